-- The main job, against the built-in simulator: no token, no network.
--
--   make demo          (or: lua5.4 examples/demo.lua with the module on the paths)
--
-- Starts the simulator on a loopback port, fetches the last 30 days of
-- analytics for three pins, prints one table per pin, then the account's
-- last 30 days against the 30 before, and stops the simulator. "The last 30
-- days" is pa.dates.last(30) throughout: the 30 full UTC days ending
-- yesterday (today is not over, so its numbers are partial).
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"

local PINS = { "813744226420795884", "729090764583391194", "1125968628950271" }
local METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" }

local function fmt(metric, v)
  if v == nil then return "-" end
  if metric:match("_RATE$") then return string.format("%.2f%%", v * 100) end
  return string.format("%d", v)
end

local function report(pin_id, res, start_date, end_date)
  local all = res.all
  local days = all.daily_metrics
  local not_ready = 0
  for _, d in ipairs(days) do
    if d.data_status ~= "READY" then not_ready = not_ready + 1 end
  end
  print(string.format("Pin %s   %s .. %s (%d days, %d not READY)", pin_id, start_date, end_date,
    #days, not_ready))
  local rows = { { "metric", "total", "daily min", "daily max", "not READY" } }
  for _, m in ipairs(METRICS) do
    local lo, hi
    for _, d in ipairs(days) do
      local v = d.metrics[m]
      if v ~= nil then
        if lo == nil or v < lo then lo = v end
        if hi == nil or v > hi then hi = v end
      end
    end
    rows[#rows + 1] = { m, fmt(m, all.summary_metrics[m]), fmt(m, lo), fmt(m, hi), tostring(not_ready) }
  end
  local width = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do width[i] = math.max(width[i] or 0, #c) end
  end
  for n, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(r) do
      cells[i] = i == 1 and c .. string.rep(" ", width[i] - #c) or string.rep(" ", width[i] - #c) .. c
    end
    print("  " .. table.concat(cells, "  "))
    if n == 1 then
      local rule = {}
      for i = 1, #width do rule[i] = string.rep("-", width[i]) end
      print("  " .. table.concat(rule, "  "))
    end
  end
  print()
end

local function main()
  local sim = simulator.start {}
  local ok, err = pcall(function()
    local pin = pa.pinterest { token = sim.token, base_url = sim.pinterest_url }
    local current = pa.dates.last(30)
    print(string.format("pinanalytics %s demo: simulator at %s\n", pa._VERSION, sim.url))
    for _, id in ipairs(PINS) do
      local res, e = pin:pin_analytics(id, { range = current, metric_types = METRICS })
      if not res then error(tostring(e), 0) end
      report(id, res, current.start_date, current.end_date)
    end
    print("Days that are not READY are still being processed by Pinterest; their numbers may change.")
    print()

    -- the whole account: the same 30 days against the 30 before them
    local cur, e1 = pin:user_account_analytics { range = current }
    local prev, e2 = pin:user_account_analytics { range = current:previous() }
    if not cur or not prev then error(tostring(e1 or e2), 0) end
    local results = pin:pins_analytics(PINS, { range = current, metric_types = METRICS })
    local ov = pa.report.overview(cur, prev, { pins = results })
    print(string.format("Account, %s against %s", tostring(current), tostring(current:previous())))
    print(pa.report.render("text", ov))
    print("Most viewed of the three pins: " .. ov.post_performance.most_views[1].id)
    pin:close()
  end)
  sim:stop()
  if not ok then
    io.stderr:write("demo failed: ", tostring(err), "\n")
    os.exit(1)
  end
end

main()
