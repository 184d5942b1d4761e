-- Last 30 days of one pin's analytics with a real access token.
--
--   PINTEREST_ACCESS_TOKEN=... lua5.4 examples/pin_analytics.lua 813744226420795884
--
-- Set PINTEREST_BASE_URL to point it somewhere else (the simulator, say).
local pa = require "pinanalytics"

local pin_id = arg[1]
local token = os.getenv("PINTEREST_ACCESS_TOKEN")
if not pin_id or not token then
  io.stderr:write("usage: PINTEREST_ACCESS_TOKEN=... lua5.4 examples/pin_analytics.lua PIN_ID\n")
  os.exit(2)
end

local client = pa.pinterest {
  token = token,
  base_url = os.getenv("PINTEREST_BASE_URL"), -- nil: https://api.pinterest.com/v5
}
local today = pa.dates.today()
local res, err = client:pin_analytics(pin_id, {
  start_date = pa.dates.add_days(today, -29),
  end_date = today,
  metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" },
})
if not res then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
for split, m in pairs(res) do
  print(split)
  for name, value in pairs(m.summary_metrics or {}) do
    print(string.format("  %-16s %s", name, tostring(value)))
  end
end
client:close()
