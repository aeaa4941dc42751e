-- wrk script of the HTTP benchmarks: GET the paths of a list file (one per line) in turn, each thread starting
-- at its own place in the list; at the end print one line "BENCHJSON {...}" that bench/harness.py reads.
--   wrk -t2 -c16 -d10s -s bench/wrk_urls.lua http://127.0.0.1:8000 -- paths.txt
-- With WRK_COUNT_STATUSES=1 it also counts responses per status class (slower: wrk hands every response to Lua).

local threads = {}
local thread_number = 0

function setup(thread)
    thread_number = thread_number + 1
    thread:set("thread_number", thread_number)
    table.insert(threads, thread)
end

local paths = {}
local position = 0
classes = { ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0 }

function init(args)
    for line in io.lines(args[1]) do
        if #line > 0 then
            table.insert(paths, line)
        end
    end
    if #paths == 0 then
        error("no paths in " .. args[1])
    end
    -- Threads start spread over the list, so they do not ask for the same page at the same time.
    local spread = math.floor(#paths / 7) + 1
    position = ((thread_number or 1) * spread) % #paths
end

function request()
    position = position % #paths + 1
    return wrk.format("GET", paths[position])
end

if os.getenv("WRK_COUNT_STATUSES") == "1" then
    function response(status, headers, body)
        local class = math.floor(status / 100)
        local key = (class >= 2 and class <= 5) and (class .. "xx") or "other"
        classes[key] = classes[key] + 1
    end
end

function done(summary, latency, requests)
    local totals = { ["2xx"] = 0, ["3xx"] = 0, ["4xx"] = 0, ["5xx"] = 0, other = 0 }
    for _, thread in ipairs(threads) do
        local counted = thread:get("classes")
        if counted then
            for key, value in pairs(counted) do
                totals[key] = totals[key] + value
            end
        end
    end
    local errors = summary.errors
    io.write(string.format(
        'BENCHJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, '
            .. '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
            .. '"statuses": {"2xx": %d, "3xx": %d, "4xx": %d, "5xx": %d, "other": %d}}\n',
        summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
        errors.status, errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
        latency.max, totals["2xx"], totals["3xx"], totals["4xx"], totals["5xx"], totals.other
    ))
end
