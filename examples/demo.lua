-- The main job, against the built-in simulator: no token, no network.
--
--   make demo          (or: lua5.4 examples/demo.lua with the module on the paths)
--
-- Starts the simulator on a loopback port, fetches the last 30 days of
-- analytics for three pins, prints each pin's weeks (a MetricFrame printed as
-- it is), ranks the three pins, then the account's last 30 days against the
-- 30 before, and stops the simulator. "The last 30 days" is pa.dates.last(30)
-- throughout: the 30 full UTC days ending yesterday (today is not over, so
-- its numbers are partial).
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"

local PINS = { "813744226420795884", "729090764583391194", "1125968628950271" }
local METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" }

-- one pin: its frame by ISO week; weeks the 30 days cover in part and days
-- that are not READY are marked in the table's status column
local function report(pin_id, res, range)
  local f = pa.frame(res)
  print(string.format("Pin %s   %s .. %s (%d days, %d not READY)", pin_id, range.start_date, range.end_date,
    #f, #f:not_ready()))
  print(f:resample("week"))
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
      report(id, res, current)
    end
    print("Days that are not READY are still being processed by Pinterest; their numbers may change.")
    print()

    -- the three pins side by side: ranked by saves per impression, the rate
    -- recomputed from each pin's summed SAVE and IMPRESSION
    local results = pin:pins_analytics(PINS, { range = current, metric_types = METRICS })
    print("The three pins by save rate, " .. tostring(current) .. ":")
    for i, t in ipairs(pa.frame(results):top(3, "SAVE_RATE")) do
      print(string.format("  %d. %-20s %.2f%%", i, t.key, t.value * 100))
    end
    print()

    -- the whole account: the same 30 days against the 30 before them
    local cur, e1 = pin:user_account_analytics { range = current }
    local prev, e2 = pin:user_account_analytics { range = current:previous() }
    if not cur or not prev then error(tostring(e1 or e2), 0) end
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
