--- The `overview` command: the account over the period against the period
-- just before it, and the rankings of its pins (fetched concurrently with a
-- progress bar), from the API or from a store (--from-store).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local progress_bar = require "pinanalytics.cli.progress"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local PERIOD_HELP, COMMON, with, whole = options.PERIOD_HELP, options.COMMON, options.with, options.whole
local period, metrics, MAX_ROWS = options.period, options.metrics, options.MAX_ROWS
local ACCOUNT_METRICS, RANKING_METRICS = options.ACCOUNT_METRICS, options.RANKING_METRICS
local OUTPUT_HELP = output.OUTPUT_HELP
local new_bar, progress, after_run = progress_bar.new_bar, progress_bar.progress, progress_bar.after_run
local progress_wanted = progress_bar.progress_wanted
local PINTEREST_HELP, pinterest_client = api.PINTEREST_HELP, api.pinterest_client
local report_failures = api.report_failures
local STORE_HELP, stored, store_for_reading = store.STORE_HELP, store.stored, store.store_for_reading
local days_of, stored_pins = store.days_of, store.stored_pins

local overview = {}

-- the options it takes
overview.options = with(COMMON, "--retries", "--pins", "--no-progress", "--from-store", "--account-name", "--images")

overview.help = [[
usage: pinanalytics overview [OPTIONS]

The account over the period against the period of the same length just
before it: each metric in both periods, its change (a rate's in percentage
points) and its trend; then the rankings of the account's pins (the first
--pins of GET /pins), fetched concurrently with a progress bar on standard
error when it is a terminal. A previous period reaching past Pinterest's 90
days is cut short, and the report says the periods differ in length.
With --from-store, the figures come from the store: the rankings take the
pins it holds, and a previous period reaching past what it holds is cut
short the same way.

]] .. PERIOD_HELP .. [[

  --metrics LIST      the metrics to compare (default: every metric of the account)
  --pins N            rank the account's first N pins, 0 to 100000 (default 100; 0: no
                      rankings; from a store: every pin held, or the first N by id)
  --no-progress       no progress bar, even on a terminal
]] .. api.IMAGES_HELP .. [[

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics overview --last 7
  pinanalytics overview --preset last_30_days --format html --output overview.html
  pinanalytics overview --last 90 --from-store analytics.db
]]

-- overview --from-store
local function overview_from_store(ctx, cmd, p, range, wanted)
  local pa = require "pinanalytics"
  local opts = p.opts
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins")
  local st, ro, source = store_for_reading(ctx, cmd, opts)
  -- both periods as asked: the days the store does not hold are the
  -- reports' missing days (a period without any: its figures and the
  -- changes absent)
  local cur = stored(cmd, st.analytics, st, "account", range, wanted, ro)
  local prev_range = range:previous()
  local prev = stored(cmd, st.analytics, st, "account", prev_range, wanted, ro)
  if not wanted and #days_of(cur) == 0 and #days_of(prev) == 0 then wanted = ACCOUNT_METRICS end
  local results, meta
  if npins ~= 0 then
    local got, _, n = stored_pins(cmd, st, ro, range, RANKING_METRICS, npins)
    if n > 0 then
      results = got
      local ids = {}
      for id in pairs(got) do ids[#ids + 1] = id end
      meta = store.stored_meta(cmd, st, ro, ids)
    end
  end
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted, meta = meta })
  ov.source = source
  return ov
end

function overview.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local wanted = metrics(opts, true)
  if opts["--from-store"] then return overview_from_store(ctx, cmd, p, range, wanted) end
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins") or 100
  local bar_client
  local wanted_bar = progress_wanted(ctx, opts, npins)
  local client = pinterest_client(ctx, cmd, opts, wanted_bar and {
    on_progress = progress(ctx, function(done, total, failed)
      if bar_client then bar_client:update(done, total, failed) end
    end),
  } or nil)
  local cur, err = call(cmd, client.user_account_analytics, client, { range = range, metric_types = wanted })
  if not cur then failure("%s", strip_prefix(line(err))) end
  local prev_range = range:previous()
  local earliest = pa.dates.add_days(pa.dates.today(ctx.clock), -90)
  if prev_range.end_date < earliest then
    usage(cmd, "the period before %s is %s, and Pinterest serves only the last 90 days (from %s): give a " ..
      "shorter period (up to 45 days, both periods are compared in full; longer, the previous one is cut short)",
      tostring(range), tostring(prev_range), earliest)
  end
  local prev, perr, info = call(cmd, client.user_account_analytics, client, { range = prev_range,
    metric_types = wanted, clamp = true })
  if not prev then failure("%s", strip_prefix(line(perr))) end
  if info and info.range then prev_range = info.range end
  local results, note, meta
  if npins > 0 then
    local ids, items = {}, {}
    local pager = call(cmd, client.list_pins, client, { page_size = math.min(npins, 250) })
    for pin in pager:items() do
      if #ids >= npins then break end
      ids[#ids + 1] = pin.id
      items[pin.id] = pin -- what the pin is, for the rankings: no request more
    end
    if pager.err and #ids < npins then failure("%s", strip_prefix(line(pager.err))) end
    if #ids > 0 then
      if wanted_bar and #ids > 1 then
        bar_client = new_bar(ctx.stderr, require("pinanalytics.core").now, #ids)
      end
      local errs, pinfo
      results, errs, pinfo = call(cmd, client.pins_analytics, client, ids,
        { range = range, metric_types = RANKING_METRICS })
      after_run(ctx)
      if bar_client then bar_client:finish() end
      local failed = report_failures(ctx, ids, errs)
      if failed == #ids then
        failure("the rankings: all %d pins failed%s", #ids,
          pinfo and pinfo.quota and (": " .. strip_prefix(line(pinfo.quota))) or "")
      end
      if failed > 0 then note = string.format("%d of %d pins failed; the rankings leave them out", failed, #ids) end
      local ranked = {}
      for _, id in ipairs(ids) do if results[id] then ranked[#ranked + 1] = id end end
      meta = api.fetch_meta(client, ranked, items)
    end
  end
  client:close()
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted, meta = meta })
  return ov, note
end

return { overview = overview }
