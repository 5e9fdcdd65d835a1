-- bench/events.lua: a wrk script that POSTs events (bench/bench-events.sh).
--
--   EVENTS_PATH=/event EVENTS_ITEMS=items.txt EVENTS_PER=1 \
--   EVENTS_USERS=100000 EVENTS_PREFIX=b \
--       wrk -t1 -c64 -d4s -s bench/events.lua http://127.0.0.1:PORT
--
-- Each request is one JSON body of EVENTS_PER play events for one user:
-- with EVENTS_USERS > 0 the users cycle over PREFIX<thread>-<0..USERS-1>,
-- with EVENTS_USERS = 0 every request is a new user (the capacity run).
-- Items rotate over the lines of EVENTS_ITEMS.  done() prints the line of
-- bench/rotate.lua:
--
--   rotate: requests=N seconds=S rps=R p50_us=A p99_us=B non200=C errors=E

local path = os.getenv("EVENTS_PATH") or "/event"
local per = tonumber(os.getenv("EVENTS_PER") or "1")
local users = tonumber(os.getenv("EVENTS_USERS") or "100000")
local prefix = os.getenv("EVENTS_PREFIX") or "b"

items = {}
for line in io.lines(os.getenv("EVENTS_ITEMS") or "items.txt") do
    if #line > 0 then
        items[#items + 1] = line
    end
end

local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("id", nthreads)
end

local n = 0
local k = 0
local headers = { ["Content-Type"] = "application/json" }

function request()
    local user, parts
    n = n + 1
    if users > 0 then
        user = prefix .. (id or 1) .. "-" .. (n % users)
    else
        user = prefix .. (id or 1) .. "-" .. n
    end
    parts = {}
    for e = 1, per do
        k = k % #items + 1
        parts[e] = '{"user":"' .. user .. '","item":"' .. items[k]
                   .. '","type":"play"}'
    end
    return wrk.format("POST", path, headers,
                      "[" .. table.concat(parts, ",") .. "]")
end

function done(summary, latency, requests)
    local e = summary.errors
    local seconds = summary.duration / 1e6

    io.write(string.format(
        "rotate: requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d "
        .. "non200=%d errors=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50), latency:percentile(99), e.status,
        e.connect + e.read + e.write + e.timeout))
end
