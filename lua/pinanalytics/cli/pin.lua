--- The `pin` command: one pin day by day, or several pins a row each,
-- fetched concurrently with a progress bar, from the API or from a store
-- (--from-store).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local PERIOD_HELP, COMMON, with, period = options.PERIOD_HELP, options.COMMON, options.with, options.period
local metrics, check_pin_ids, PIN_METRICS = options.metrics, options.check_pin_ids, options.PIN_METRICS
local OUTPUT_HELP = output.OUTPUT_HELP
local PINTEREST_HELP, pinterest_client, fetch_pins = api.PINTEREST_HELP, api.pinterest_client, api.fetch_pins
local report_failures = api.report_failures
local STORE_HELP, stored, store_for_reading = store.STORE_HELP, store.stored, store.store_for_reading
local days_of, no_day, held_pins = store.days_of, store.no_day, store.held_pins

local pin = {}

-- the options it takes
pin.options = with(COMMON, "--retries", "--no-progress", "--from-store", "--account-name", "--images")

pin.help = [[
usage: pinanalytics pin ID... [OPTIONS]

One pin: its period, each metric's total, daily minimum and maximum and a
sparkline, and the days that are not READY yet. Several pins: a row a pin
with its totals, fetched concurrently; a progress bar on standard error
when it is a terminal. Pins that fail are named on standard error (exit 1)
and the report holds the others.

]] .. PERIOD_HELP .. [[

  --metrics LIST      comma-separated, default IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,SAVE_RATE
                      (also TOTAL_COMMENTS, TOTAL_REACTIONS, USER_FOLLOW, PROFILE_VISIT, VIDEO_*)
  --no-progress       no progress bar, even on a terminal
]] .. api.IMAGES_HELP .. [[

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics pin 813744226420795884 --last 7
  pinanalytics pin 813744226420795884 729090764583391194 --format csv --output pins.csv
  pinanalytics pin 813744226420795884 --last 365 --from-store analytics.db
]]

-- pin --from-store
local function pin_from_store(ctx, cmd, p, range, wanted)
  local pa = require "pinanalytics"
  local st, ro, source, shown = store_for_reading(ctx, cmd, p.opts)
  local ids = {}
  local seen = {}
  for _, id in ipairs(p.args) do
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  local hint = "pinanalytics sync --store " .. shown .. " --pins " .. table.concat(ids, ",") ..
    " fetches the last 90 days"
  local known = held_pins(cmd, st, ro, ids)
  if #ids == 1 then
    if not known[ids[1]] then no_day("pin " .. ids[1], range, hint) end
    local res = stored(cmd, st.analytics, st, ids[1], range, wanted, ro)
    -- no day held in the period: the metrics asked, without figures
    return pa.report.pin(res, { pin_id = ids[1], range = range, source = source,
      metrics = #days_of(res) == 0 and wanted or nil })
  end
  local results = stored(cmd, st.analytics, st, ids, range, wanted, ro)
  local kept, missing, any = {}, {}, false
  for _, id in ipairs(ids) do
    if not known[id] then
      missing[#missing + 1] = id
      ctx.stderr:write("pinanalytics: pin ", id, ": the store does not hold it (", hint, ")\n")
    else
      kept[id] = results[id] -- a row, with the days it has in the period
      if #days_of(results[id]) > 0 then any = true end
    end
  end
  if #missing == #ids then
    failure("the store holds no day of these %d pins in %s (%s)", #ids, tostring(range), hint)
  end
  local report = pa.report.pins(kept, { range = range, source = source, metrics = not any and wanted or nil,
    meta = store.stored_meta(cmd, st, ro, ids) })
  if #missing > 0 then return report, string.format("%d of %d pins are not in the store", #missing, #ids) end
  return report
end

function pin.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  if #p.args == 0 then usage(cmd, "pin needs at least one pin id (pinanalytics pin ID...)") end
  check_pin_ids(cmd, p.args)
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local wanted = metrics(opts, true) or PIN_METRICS
  if opts["--from-store"] then return pin_from_store(ctx, cmd, p, range, wanted) end
  local params = { range = range, metric_types = wanted }
  if #p.args == 1 then
    local client = pinterest_client(ctx, cmd, opts)
    local res, err = call(cmd, client.pin_analytics, client, p.args[1], params)
    client:close()
    if not res then failure("%s", strip_prefix(line(err))) end
    return pa.report.pin(res, { pin_id = p.args[1], range = range })
  end
  local results, errs, info, ids, client = fetch_pins(ctx, cmd, opts, p.args, params, function(extra)
    return pinterest_client(ctx, cmd, opts, extra)
  end)
  local failed = report_failures(ctx, ids, errs)
  if failed == #ids then
    client:close()
    failure("all %d pins failed%s", #ids, info and info.quota and (": " .. strip_prefix(line(info.quota))) or "")
  end
  local shown = {}
  for _, id in ipairs(ids) do if results[id] then shown[#shown + 1] = id end end
  local meta = api.fetch_meta(client, shown)
  client:close()
  local report = pa.report.pins(results, { range = range, meta = meta })
  if failed > 0 then return report, string.format("%d of %d pins failed", failed, #ids) end
  return report
end

return { pin = pin }
