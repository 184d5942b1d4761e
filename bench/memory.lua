-- Peak RSS after fetching 2,000 pins x 90 days (all 15 metrics) and keeping
-- every answer. Run in a fresh process by bench/run.lua; prints one line of JSON.
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"
local data = require "pinanalytics.simulator.data"
local cjson = require "cjson"

local function status_kib(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+) kB"))
end

local PINS = 2000
local baseline = status_kib("VmHWM")
local sim = simulator.start {}
local ok, res = pcall(function()
  local c = pa.pinterest { token = sim.token, base_url = sim.pinterest_url, concurrency = 4 }
  local ids = {}
  for i = 1, PINS do ids[i] = tostring(4200000000 + i) end
  collectgarbage()
  local heap0 = collectgarbage("count")
  local today = pa.dates.today()
  local results, errs = c:pins_analytics(ids, {
    start_date = pa.dates.add_days(today, -89), end_date = today, metric_types = data.PIN_METRICS })
  assert(next(errs) == nil, "errors while fetching")
  local n = 0
  for _ in pairs(results) do n = n + 1 end
  assert(n == PINS)
  collectgarbage()
  local heap = collectgarbage("count") - heap0
  local requests = sim:stats().requests
  c:close()
  return { results = results, heap = heap, requests = requests }
end)
sim:stop()
assert(ok, res)
io.write(cjson.encode {
  pins = PINS, days = 90, requests = res.requests, baseline_kib = baseline, peak_kib = status_kib("VmHWM"),
  lua_heap_kib = res.heap,
}, "\n")
