-- Peak memory of a process that fetches 2,000 pins x 90 days (all 15 pin
-- metrics) with pins_analytics and keeps every answer. bench/run.lua runs it
-- in a fresh process:
--
--   lua5.4 bench/memory.lua [pins]      (LUA_PATH/LUA_CPATH as `make bench` sets them)
--
-- Prints one line of JSON (sizes in KiB): VmHWM and VmRSS before fetching,
-- VmHWM after, VmRSS after a full collection with the results still held,
-- the Lua heap the results hold, requests made and seconds taken.
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"
local data = require "pinanalytics.simulator.data"
local cjson = require "cjson"

local PINS = tonumber(arg and arg[1]) or 2000

local function status_kib()
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("*a")
  f:close()
  return { hwm = tonumber(s:match("VmHWM:%s*(%d+) kB")), rss = tonumber(s:match("VmRSS:%s*(%d+) kB")) }
end

local function heap_kib()
  collectgarbage()
  collectgarbage()
  return collectgarbage("count")
end

local sim = simulator.start {}
local ok, out = pcall(function()
  local client = pa.pinterest { token = sim.token, base_url = sim.pinterest_url, concurrency = 8 }
  local ids = {}
  for i = 1, PINS do ids[i] = tostring(5200000000 + i) end
  local today = pa.dates.today()
  local params = { start_date = pa.dates.add_days(today, -89), end_date = today, metric_types = data.PIN_METRICS }

  local heap0 = heap_kib()
  local before = status_kib()
  local t0 = pa.core.now()
  local results, errs = client:pins_analytics(ids, params)
  local secs = pa.core.now() - t0
  local peak = status_kib().hwm
  local heap1 = heap_kib() -- results are still referenced: they are counted below
  local after = status_kib()

  local got, failed, days = 0, 0, nil
  for _, r in pairs(results) do
    got = got + 1
    days = days or #r.all.daily_metrics
  end
  for id, e in pairs(errs) do
    failed = failed + 1
    if failed == 1 then io.stderr:write("memory.lua: pin ", id, ": ", tostring(e), "\n") end
  end
  if got ~= PINS or failed ~= 0 then error(string.format("%d results, %d errors for %d pins", got, failed, PINS)) end

  local requests = sim:stats().requests
  client:close()
  return {
    pins = PINS, days = days, metrics = #data.PIN_METRICS, requests = requests, seconds = secs,
    hwm_before_kib = before.hwm, rss_before_kib = before.rss, hwm_after_kib = peak, rss_after_kib = after.rss,
    results_heap_kib = heap1 - heap0,
  }
end)
sim:stop()
if not ok then error(out, 0) end
io.write(cjson.encode(out), "\n")
