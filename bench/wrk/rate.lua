-- A fixed request rate for wrk (wrk2-like): request i of this thread is due at start + i / rate, whatever
-- connection is free to send it, so the rate does not depend on latency. Latency is measured by wrk from the
-- moment each request is written. Usage: wrk -t1 -c64 -d10s -s rate.lua URL -- <requests per second>
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms, next_ms

init = function(args)
  interval_ms = 1000 / tonumber(args[1])
end

delay = function()
  local t = now_ms()
  if next_ms == nil then next_ms = t end
  next_ms = next_ms + interval_ms
  local wait = next_ms - t
  if wait < 0 then return 0 end
  return wait
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"non2xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
