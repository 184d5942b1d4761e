-- The last 30 days of one pin's analytics.
--
-- From a clone, after `make build` (an installed rock needs no LUA_PATH/LUA_CPATH):
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" \
--     PINTEREST_ACCESS_TOKEN=... lua5.4 examples/pin_analytics.lua 813744226420795884
-- Against the built-in simulator (no token, no network):
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" \
--     lua5.4 examples/pin_analytics.lua --simulator [PIN_ID]
--
-- Set PINTEREST_BASE_URL to point it somewhere else. "The last 30 days" is
-- pa.dates.last(30): the 30 full UTC days ending yesterday.
local pa = require "pinanalytics"

local USAGE = "usage: PINTEREST_ACCESS_TOKEN=... lua5.4 examples/pin_analytics.lua PIN_ID\n" ..
  "       lua5.4 examples/pin_analytics.lua --simulator [PIN_ID]\n"

local sim, token, base_url
local pin_id = arg[1]
if pin_id == "--simulator" then
  sim = require("pinanalytics.simulator").start {}
  token, base_url = sim.token, sim.pinterest_url
  pin_id = arg[2] or "813744226420795884"
else
  token, base_url = os.getenv("PINTEREST_ACCESS_TOKEN"), os.getenv("PINTEREST_BASE_URL")
end
if not pin_id or not token or token == "" then
  io.stderr:write(USAGE)
  os.exit(2)
end

local client = pa.pinterest {
  token = token,
  base_url = base_url, -- nil: https://api.pinterest.com/v5
}
local range = pa.dates.last(30)
local res, err = client:pin_analytics(pin_id, {
  range = range,
  metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" },
})
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1) -- the simulator, if started, stops with this process
end
print(string.format("pin %s, %s (%d days)", pin_id, tostring(range), range:length()))
for split, m in pairs(res) do
  print(split)
  local names = {}
  for name in pairs(m.summary_metrics or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    print(string.format("  %-16s %s", name, tostring(m.summary_metrics[name])))
  end
end
client:close()
if sim then sim:stop() end
