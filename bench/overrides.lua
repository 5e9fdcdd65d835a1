-- bench/overrides.lua: a wrk script that rotates over request paths and
-- reads every answer for items an overrides file hides
-- (bench/bench-overrides.sh).
--
--   BENCH_DIR=bench PATHS=paths.txt RULES=phase.txt INTERVAL_MS=500 \
--       SLACK_MS=50 wrk -t2 -c16 -d12s -s bench/overrides.lua \
--       http://127.0.0.1:PORT
--
-- The paths and their rotation are bench/rotate.lua's (BENCH_DIR: the
-- directory that holds it); this script adds the reading of the answers.
--
-- RULES, rewritten by the caller each time it publishes an overrides file
-- (atomically, by rename): the first line is the number of the change and
-- the wall-clock time of the publication in milliseconds ("3 1733500000123"),
-- each further line an item id the new file hides.  An answer that holds
-- one of those ids and arrives later than INTERVAL_MS + SLACK_MS after the
-- publication is a violation (SLACK_MS: the answer's own time in flight;
-- the answers of this load take well under a millisecond).  The ids hidden
-- by the next change are also counted in the answers served before it, so
-- the run shows that the hidden items were being recommended.
--
-- done() prints one line:
--
--   overrides: requests=N rps=R non200=C errors=E checked=K violations=V
--              shown_before=S changes=X
--
-- (checked: answers arriving after the interval of a change that hides
-- items had passed;
-- shown_before: answers holding an id that a later change hid, read before
-- that change.)

local ffi = require("ffi")

ffi.cdef[[
struct recsys_ts { long sec; long nsec; };
int clock_gettime(int clock, struct recsys_ts *ts);
]]

local ts = ffi.new("struct recsys_ts")

local function now_ms()
    ffi.C.clock_gettime(0, ts)              -- CLOCK_REALTIME
    return tonumber(ts.sec) * 1000 + tonumber(ts.nsec) / 1e6
end

-- the paths, their rotation (setup, init, request) from bench/rotate.lua
dofile((os.getenv("BENCH_DIR") or "bench") .. "/rotate.lua")

local rules_file = os.getenv("RULES") or "phase.txt"
local interval = tonumber(os.getenv("INTERVAL_MS") or "500")
local slack = tonumber(os.getenv("SLACK_MS") or "50")

local threads = {}
local rotate_setup = setup

function setup(thread)
    rotate_setup(thread)
    table.insert(threads, thread)
end

local change, since, hidden = -1, 0, {}
local next_ids = {}
local read_at = 0

checked = 0
violations = 0
shown_before = 0
changes = 0

-- the current rules: change number, publication time, hidden ids (as the
-- JSON text `"id":"ID"` an answer item starts with)
local function read_rules()
    local f = io.open(rules_file, "r")
    if f == nil then
        return
    end

    local head = f:read("*l")
    local n, t = string.match(head or "", "^(%d+) (%d+)$")

    if n ~= nil and tonumber(n) ~= change then
        change = tonumber(n)
        since = tonumber(t)
        hidden = {}
        for id in f:lines() do
            if #id > 0 then
                hidden[#hidden + 1] = '"id":"' .. id .. '"'
            end
        end
        changes = changes + 1
    end

    f:close()
end

-- the ids of the change after this one, known in advance (RULES .. ".next")
local function read_next()
    local f = io.open(rules_file .. ".next", "r")
    next_ids = {}
    if f == nil then
        return
    end
    for id in f:lines() do
        if #id > 0 then
            next_ids[#next_ids + 1] = '"id":"' .. id .. '"'
        end
    end
    f:close()
end

local function holds(body, ids)
    for k = 1, #ids do
        if string.find(body, ids[k], 1, true) then
            return true
        end
    end
    return false
end

function response(status, headers, body)
    local t = now_ms()

    if t - read_at > 20 then
        read_at = t
        read_rules()
        read_next()
    end

    if status ~= 200 then
        return
    end

    if #next_ids > 0 and holds(body, next_ids) then
        shown_before = shown_before + 1
    end

    if #hidden > 0 and t > since + interval + slack then
        checked = checked + 1
        if holds(body, hidden) then
            violations = violations + 1
        end
    end
end

function done(summary, latency, requests)
    local e = summary.errors
    local errors = e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6
    local c, v, s, x = 0, 0, 0, 0

    for _, thread in ipairs(threads) do
        c = c + thread:get("checked")
        v = v + thread:get("violations")
        s = s + thread:get("shown_before")
        x = math.max(x, thread:get("changes"))
    end

    io.write(string.format(
        "overrides: requests=%d rps=%.1f non200=%d errors=%d checked=%d "
        .. "violations=%d shown_before=%d changes=%d\n",
        summary.requests, summary.requests / seconds, e.status, errors,
        c, v, s, x))
end
