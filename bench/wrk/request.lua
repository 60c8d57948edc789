-- The one wrk script of the bench. Method, Authorization and a body template come from the
-- environment (WRK_METHOD, WRK_AUTHORIZATION, WRK_BODY), so GET, PUT, batch and etcd runs
-- share it. "{n}" in the body becomes a number unique across wrk's threads: every PUT is a
-- real change. done() prints one JSON line for bench/loadgen_wrk.py to read.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id
  step = tonumber(os.getenv("WRK_THREADS") or "1")
  wrk.method = os.getenv("WRK_METHOD") or "GET"
  local authorization = os.getenv("WRK_AUTHORIZATION") or ""
  if authorization ~= "" then wrk.headers["Authorization"] = authorization end
  template = os.getenv("WRK_BODY") or ""
  if template ~= "" then wrk.headers["Content-Type"] = "application/json" end
end

function request()
  if template == "" then return wrk.format() end
  counter = counter + step
  return wrk.format(nil, nil, nil, (template:gsub("{n}", tostring(counter))))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p90_us": %.0f, ' ..
    '"p99_us": %.0f, "connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), e.connect, e.read, e.write, e.timeout, e.status))
end
