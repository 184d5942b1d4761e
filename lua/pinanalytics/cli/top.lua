--- The `top` command: the account's top pins over the period, ranked by the
-- API (top pins, top video pins) or, from a store (--from-store), by the
-- totals of the pins it holds.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local PERIOD_HELP, COMMON, with, whole = options.PERIOD_HELP, options.COMMON, options.with, options.whole
local period, metrics, MAX_ROWS, PIN_METRICS = options.period, options.metrics, options.MAX_ROWS, options.PIN_METRICS
local OUTPUT_HELP = output.OUTPUT_HELP
local PINTEREST_HELP, pinterest_client = api.PINTEREST_HELP, api.pinterest_client
local STORE_HELP, store_for_reading = store.STORE_HELP, store.store_for_reading
local store_pin_metric, stored_pins = store.store_pin_metric, store.stored_pins

local top = {}

-- the options it takes
top.options = with(COMMON, "--retries", "--sort-by", "--limit", "--video", "--from-store", "--account-name", "--images",
  "--account", "--credentials", "--app-file")

top.help = [[
usage: pinanalytics top [OPTIONS]

The account's top pins over the period, ranked (GET /user_account/top_pins;
with --from-store, the pins the store holds, by their totals over the period).

]] .. PERIOD_HELP .. [[

  --sort-by METRIC    IMPRESSION (default), ENGAGEMENT, SAVE, PIN_CLICK, OUTBOUND_CLICK
                      (--video: also VIDEO_MRC_VIEW, VIDEO_START, ...)
  --limit N           how many pins, 1 to 50 (default 10; from a store, 1 to 100000)
  --video             the top video pins (not from a store: it does not know which
                      pins are videos; --sort-by VIDEO_START ranks by a video metric)
  --metrics LIST      the metrics to show (default: what Pinterest sends)
]] .. api.IMAGES_HELP .. [[

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics top --sort-by SAVE --limit 25 --format csv --output top-pins.csv
  pinanalytics top --preset last_month --from-store analytics.db
]]

function top.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local sort_by = (opts["--sort-by"] or "IMPRESSION"):upper()
  if opts["--from-store"] then
    if opts["--video"] then
      usage(cmd, "--video does not go with --from-store: the store does not know which pins are videos " ..
        "(--sort-by VIDEO_START, VIDEO_MRC_VIEW, ... ranks the pins held by a video figure)")
    end
    local limit = whole(cmd, opts, "--limit", 1, MAX_ROWS, "pins") or 10
    store_pin_metric(cmd, sort_by, "--sort-by")
    local shown = metrics(opts, true)
    local fetch, has = {}, {}
    for _, m in ipairs(shown or PIN_METRICS) do
      store_pin_metric(cmd, m, "--metrics")
      if not has[m] then has[m] = true; fetch[#fetch + 1] = m end
    end
    if not has[sort_by] then fetch[#fetch + 1] = sort_by end
    local st, ro, source = store_for_reading(ctx, cmd, opts)
    -- the pins with figures in the period; none: a report without pins, 0 days covered
    local results = stored_pins(cmd, st, ro, range, fetch)
    local ids = {}
    for id in pairs(results) do ids[#ids + 1] = id end
    return pa.report.top_pins(results, { range = range, limit = limit, sort_by = sort_by, metrics = shown or PIN_METRICS,
      title = "Top pins", source = source, meta = store.stored_meta(cmd, st, ro, ids) })
  end
  local limit = whole(cmd, opts, "--limit", 1, 50, "pins") or 10
  local client = pinterest_client(ctx, cmd, opts)
  local method = opts["--video"] and client.top_video_pins or client.top_pins
  local res, err = call(cmd, method, client, { range = range, sort_by = sort_by, num_of_pins = limit,
    metric_types = metrics(opts, true) })
  if not res then client:close(); failure("%s", strip_prefix(line(err))) end
  local ids = {}
  for i, tp in ipairs(type(res.pins) == "table" and res.pins or {}) do
    if i > limit then break end
    if type(tp) == "table" and type(tp.pin_id) == "string" then ids[#ids + 1] = tp.pin_id end
  end
  local meta = api.fetch_meta(client, ids)
  client:close()
  return pa.report.top_pins(res, { range = range, limit = limit,
    title = opts["--video"] and "Top video pins" or "Top pins", meta = meta })
end

return { top = top }
