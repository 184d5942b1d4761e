-- Exercises the C core's paths for `make memcheck` (valgrind): decoding,
-- sessions, requests against the simulator, transport failures, close/gc.
local core = require "pinanalytics.core"
local pa = require "pinanalytics"

local function decode_cases()
  local cases = {
    '{"a":240,"b":1.5,"c":1.0,"d":2e3,"e":729090764583391194,"f":"x","g":null,"h":[1,2.0,[3]]}',
    "240", "1.0", '"s"', "[", "{\"a\":", "<html>", string.rep("[", 70) .. string.rep("]", 70),
    '{"a":"\\u0000pa:f:1","b":1.0}', "[" .. string.rep("1.0,", 5000) .. "1]",
  }
  for _ = 1, 20 do
    for _, c in ipairs(cases) do core.decode(c) end
  end
end

local function sessions(url)
  for i = 1, 20 do
    local s = core.session { base_url = url, token = "t" .. i, timeout = 5 }
    s:request("GET", "/pins/1/analytics?start_date=" .. pa.dates.add_days(pa.dates.today(), -3) ..
      "&end_date=" .. pa.dates.today() .. "&metric_types=IMPRESSION,SAVE_RATE")
    s:set_token("other")
    s:request("GET", "/pins/1/analytics")
    s:request("POST", "/nothing", "a=b", { "Content-Type: application/x-www-form-urlencoded" })
    if i % 2 == 0 then s:close() end
  end
  local s = core.session { base_url = url, token = "t", max_body = 10 }
  s:request("GET", "/pins/1/analytics")
  s:close()
  s:close()
  local dead = core.session { base_url = "http://127.0.0.1:1", timeout = 2 }
  dead:request("GET", "/x")
  collectgarbage()
  collectgarbage()
end

decode_cases()
local sim = require("pinanalytics.simulator").start {}
local ok, err = pcall(sessions, sim.pinterest_url)
sim:stop()
assert(ok, err)
collectgarbage()
collectgarbage()
print("memcheck workload done")
-- Leave without lua_close(): it would dlclose() the module and libcurl's
-- dependencies, and valgrind could no longer name what they hold. Every
-- session above was closed or collected, so a leak of ours still shows.
os.exit(0, false)
