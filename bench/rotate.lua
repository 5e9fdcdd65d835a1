-- bench/rotate.lua: a wrk script that rotates over a file of request paths.
--
--   PATHS=paths.txt wrk -t1 -c64 -d10s --latency \
--       -s bench/rotate.lua http://127.0.0.1:PORT
--
-- PATHS: one request path per line ("/recommend?user=42"); every thread
-- walks the whole list in order and starts again, so no single key is hot.
-- (A run is bounded by -d only: wrk's thread:stop() ends a thread's
-- requests but wrk itself still waits out -d, so counts are reached by
-- repeating runs, see bench/bench.sh.)
--
-- done() prints one machine-readable line for bench/bench.sh:
--
--   rotate: requests=N seconds=S rps=R p50_us=A p99_us=B non200=C errors=E
--
-- (errors: connect, read, write and timeout errors; non200: responses
-- with a status of 400 or more, as wrk counts them).

local file = os.getenv("PATHS") or "paths.txt"

paths = {}
for line in io.lines(file) do
    if #line > 0 then
        paths[#paths + 1] = line
    end
end

if #paths == 0 then
    error("rotate.lua: no paths in " .. file)
end

local threads = {}
local nthreads = 0

function setup(thread)
    nthreads = nthreads + 1
    thread:set("id", nthreads)
    table.insert(threads, thread)
end

local i = 0

function init(args)
    -- spread the threads over the list
    i = ((id or 1) - 1) * math.floor(#paths / 16)
end

function request()
    i = i % #paths + 1
    return wrk.format(nil, paths[i])
end

-- No response() callback: with one, wrk hands every body to Lua as a
-- string, which costs the client more per byte than nginx pays to send
-- it, and large answers (n=100) would measure wrk.  wrk counts responses
-- with a status above 399 itself (summary.errors.status).

function done(summary, latency, requests)
    local e = summary.errors
    local non200 = e.status
    local errors = e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6

    io.write(string.format(
        "rotate: requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d "
        .. "non200=%d errors=%d paths=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50), latency:percentile(99), non200, errors,
        #paths))
end
