-- wrk script for bench/bench_api.py: sends the requests listed in a file, each with its own token, and prints
-- latency percentiles and every kind of error (including non-2xx answers) as one line of JSON.
--
--   wrk -c 20 -t 2 -d 20s --latency -s bench/bench_api.lua http://127.0.0.1:8765 -- requests.tsv
--
-- requests.tsv: one request a line, "TOKEN<tab>PATH". Each connection starts at its own place in the list and
-- goes round it, so 20 connections send a mix, not the same request in step.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local token, path = line:match("^([^\t]*)\t(.+)$")
    if path then
      local headers = { ["Accept"] = "application/json" }
      if token ~= "" then headers["Authorization"] = "Token " .. token end
      table.insert(requests, wrk.format("GET", path, headers))
    end
  end
  -- Threads start at different places in the list.
  position = ((id - 1) * 7919) % #requests
  non2xx = 0
  first_bad = ""
end

function request()
  position = position % #requests + 1
  return requests[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 120) end
  end
end

function done(summary, latency, requests_done)
  local bad, example = 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    local first = thread:get("first_bad")
    if example == "" and first ~= nil then example = first end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.0f, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, ' ..
    '"first_bad": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, bad, e.connect, e.read, e.write, e.status, e.timeout,
    example:gsub('[%c"\\]', " ")))
end
