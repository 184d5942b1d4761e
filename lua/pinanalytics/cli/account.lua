--- The `account` command: the whole account day by day, from the API or
-- from a store (--from-store).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local failure, call, line, strip_prefix = errors.failure, errors.call, errors.line, errors.strip_prefix
local PERIOD_HELP, COMMON, with = options.PERIOD_HELP, options.COMMON, options.with
local period, metrics, ACCOUNT_METRICS = options.period, options.metrics, options.ACCOUNT_METRICS
local OUTPUT_HELP = output.OUTPUT_HELP
local PINTEREST_HELP, pinterest_client = api.PINTEREST_HELP, api.pinterest_client
local STORE_HELP, stored, store_for_reading = store.STORE_HELP, store.stored, store.store_for_reading
local days_of = store.days_of

local account = {}

-- the options it takes
account.options = with(COMMON, "--retries", "--from-store", "--account-name", "--account", "--credentials",
  "--app-file")

account.help = [[
usage: pinanalytics account [OPTIONS]

The whole account (GET /user_account/analytics) day by day, with totals and
a sparkline a metric.

]] .. PERIOD_HELP .. [[

  --metrics LIST      comma-separated, default IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT,SAVE_RATE
                      (also ENGAGEMENT_RATE, PIN_CLICK_RATE, OUTBOUND_CLICK_RATE)

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics account --preset last_month --format markdown
  pinanalytics account --start 2025-01-01 --end 2025-12-31 --from-store analytics.db
]]

function account.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local range = period(cmd, p.opts, pa.dates, ctx.clock)
  local wanted = metrics(p.opts, true) or ACCOUNT_METRICS
  if p.opts["--from-store"] then
    local st, ro, source = store_for_reading(ctx, cmd, p.opts)
    local res = stored(cmd, st.analytics, st, "account", range, wanted, ro)
    -- no day held in the period: the metrics asked, without figures
    return pa.report.daily(res, { title = "Account", range = range, source = source,
      metrics = #days_of(res) == 0 and wanted or nil })
  end
  local client = pinterest_client(ctx, cmd, p.opts)
  local res, err = call(cmd, client.user_account_analytics, client,
    { range = range, metric_types = wanted })
  client:close()
  if not res then failure("%s", strip_prefix(line(err))) end
  return pa.report.daily(res, { title = "Account", range = range })
end

return { account = account }
