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
local OUTPUT_HELP, format_of = output.OUTPUT_HELP, output.format_of
local whole, MAX_ROWS = options.whole, options.MAX_ROWS
local PINTEREST_HELP, pinterest_client, fetch_pins = api.PINTEREST_HELP, api.pinterest_client, api.fetch_pins
local report_failures = api.report_failures
local STORE_HELP, stored, store_for_reading = store.STORE_HELP, store.stored, store.store_for_reading
local days_of, no_day, held_pins = store.days_of, store.no_day, store.held_pins

local pin = {}

-- the options it takes
pin.options = with(COMMON, "--retries", "--no-progress", "--from-store", "--account-name", "--sort-by", "--limit",
  "--shape", "--images", "--account", "--credentials", "--app-file")

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
  --sort-by METRIC    several pins: rank them by METRIC, highest first (a metric of pins, or
                      a rate recomputed from its parts: SAVE_RATE from SAVE and IMPRESSION);
                      fetched even when --metrics leaves it out, and shown
  --limit N           several pins: the first N of the ranking (1 to 100000)
  --shape SHAPE       with --format csv: wide (default), a column a metric; long, a line
                      a pin, day and metric (pin_id,date,metric,value,status), a day
                      without figures with an empty value and the status "no figures"
  --no-progress       no progress bar, even on a terminal
]] .. api.IMAGES_HELP .. [[

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics pin 813744226420795884 --last 7
  pinanalytics pin 813744226420795884 729090764583391194 --format csv --output pins.csv
  pinanalytics pin 813744226420795884 729090764583391194 --sort-by SAVE --limit 1
  pinanalytics pin 813744226420795884 729090764583391194 --format csv --shape long
  pinanalytics pin 813744226420795884 --last 365 --from-store analytics.db
]]

-- The ranking of several pins (--sort-by, --limit) and the metrics it
-- needs: { sort_by, limit, metrics = the metrics to show when the sort adds
-- one }, and the metrics to fetch. A metric to sort by that --metrics
-- leaves out is fetched and shown; a rate the pins are not fetched with
-- (SAVE_RATE without it in --metrics) is recomputed from its parts, as top
-- does (pinanalytics.report.pins).
local function ranking(cmd, opts, wanted)
  local given = opts["--sort-by"]
  local limit = whole(cmd, opts, "--limit", 1, MAX_ROWS, "pins")
  if given == nil then return { limit = limit }, wanted end
  local sort_by = given:upper()
  local known = require("pinanalytics.pinterest").PIN_METRICS
  local is_known, parts = false, nil
  for _, m in ipairs(known) do if m == sort_by then is_known = true end end
  local num = sort_by:match("^(.+)_RATE$")
  for _, m in ipairs(known) do
    if num and m == num then parts = { num, "IMPRESSION" } end
  end
  if not is_known and not parts then
    usage(cmd, "--sort-by %s: not a metric of pins (%s; or a rate of one, recomputed from it and IMPRESSION: " ..
      "PIN_CLICK_RATE, ...)", given, table.concat(known, ", "))
  end
  local has = {}
  for _, m in ipairs(wanted) do has[m] = true end
  local r = { sort_by = sort_by, limit = limit }
  if has[sort_by] then return r, wanted end
  local fetch, shown = {}, {}
  for i, m in ipairs(wanted) do fetch[i] = m; shown[i] = m end
  for _, m in ipairs(parts or { sort_by }) do
    if not has[m] then has[m] = true; fetch[#fetch + 1] = m end
  end
  -- a rate recomputed: the report adds its column; a metric fetched for the sort: shown after the others
  if not parts then shown[#shown + 1] = sort_by end
  r.metrics = shown
  return r, fetch
end

-- The options of pinanalytics.report.pins: o, and what the ranking adds.
local function ranked(o, rank)
  for k, v in pairs(rank) do if o[k] == nil then o[k] = v end end
  return o
end

-- pin --from-store
local function pin_from_store(ctx, cmd, p, range, wanted, rank)
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
  local report = call(cmd, pa.report.pins, kept, ranked({ range = range, source = source,
    metrics = not any and (rank.metrics or wanted) or nil, meta = store.stored_meta(cmd, st, ro, ids) }, rank))
  if #missing > 0 then return report, string.format("%d of %d pins are not in the store", #missing, #ids) end
  return report
end

function pin.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  if #p.args == 0 then usage(cmd, "pin needs at least one pin id (pinanalytics pin ID...)") end
  check_pin_ids(cmd, p.args)
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local shape = opts["--shape"]
  if shape ~= nil and shape ~= "long" and shape ~= "wide" then
    usage(cmd, "--shape %s: give long or wide", shape)
  end
  if shape ~= nil and format_of(cmd, opts) ~= "csv" then
    usage(cmd, "--shape %s goes with --format csv (the shape of the csv: a column a metric, or a line a pin, day " ..
      "and metric)", shape)
  end
  local wanted = metrics(opts, true) or PIN_METRICS
  -- one pin is shown day by day: what it is sorted by is not fetched for it
  local rank, fetch = ranking(cmd, opts, wanted)
  if #p.args == 1 then fetch = wanted end
  if opts["--from-store"] then return pin_from_store(ctx, cmd, p, range, fetch, rank) end
  local params = { range = range, metric_types = fetch }
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
  local report = call(cmd, pa.report.pins, results, ranked({ range = range, meta = meta }, rank))
  if failed > 0 then return report, string.format("%d of %d pins failed", failed, #ids) end
  return report
end

return { pin = pin }
