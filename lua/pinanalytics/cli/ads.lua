--- The `ads` command: ads analytics by subcommand (`pinanalytics ads report
-- ...`, `ads overview`, `ads campaigns`). Each subcommand is an entry of `SUBCOMMANDS` with its options,
-- help and run; `ads` takes the options of all of them and refuses, for
-- each, those it does not take.
--
-- `ads report`: an async report (`client:ads_report`: longer ranges as
-- several reports, merged) written as csv (a header of the API's column
-- names, a row per entity and period, metrics zero-filled as Pinterest's own
-- CSV reports are) or json (an object keyed by entity id, each a list of row
-- objects, as third-party clients read Pinterest's JSON reports).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"
local progress = require "pinanalytics.cli.progress"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local PERIOD_HELP, with, period = options.PERIOD_HELP, options.with, options.period

local M = {}

--- The subcommands of `ads`: name -> { options, help, run(ctx, cmd, p) }.
M.SUBCOMMANDS = {}
--- Their names, in the order the help lists them.
M.ORDER = {}

local function subcommand(name, def)
  M.SUBCOMMANDS[name] = def
  M.ORDER[#M.ORDER + 1] = name
end

-- report ------------------------------------------------------------------------

local REPORT_HELP = [[
usage: pinanalytics ads report --account-id ID --level LEVEL --columns LIST [OPTIONS]

An async ads report (POST /ad_accounts/{id}/reports, waited for, downloaded):
any level, columns and granularity, up to 914 days back; a period longer than
one report may be (186 days; HOUR 3) is asked as several reports, merged.

  --account-id ID     the ad account (digits)
  --level LEVEL       ADVERTISER, CAMPAIGN, AD_GROUP, PIN_PROMOTION, PRODUCT_GROUP,
                      PRODUCT_ITEM, KEYWORD, and the *_TARGETING levels
  --columns LIST      the API's column names, comma-separated (SPEND_IN_MICRO_DOLLAR,
                      TOTAL_CLICKTHROUGH, CTR, ...); an unknown name is answered with
                      the nearest ("link clicks" -> TOTAL_CLICKTHROUGH)
  --granularity G     DAY (default), TOTAL, HOUR, WEEK, MONTH
]] .. PERIOD_HELP .. [[
  --format FORMAT     csv (default) or json: csv has a header and a row per entity and
                      period, metrics zero-filled; json is an object keyed by entity id,
                      each a list of row objects
  --output FILE, -o FILE   write it there (default: standard output)
  --no-progress       no progress bar (one step a report), even on a terminal
  --retries N         retries of a failed request (default 5)
  --base-url URL      the API (default: PINTEREST_BASE_URL, else https://api.pinterest.com/v5)
  --token-file FILE   the access token (default: PINTEREST_ACCESS_TOKEN, else an account
                      of the credentials file: --account, --credentials, --app-file)

Example:
  pinanalytics ads report --account-id 549031337 --level CAMPAIGN \
    --columns SPEND_IN_MICRO_DOLLAR,TOTAL_CLICKTHROUGH,CTR --last 400 --format json -o ads.json
]]

local function csv_cell(v)
  if v == nil then return "" end
  local s
  if type(v) == "number" then
    s = require("pinanalytics.ads.async").json(v)
  else
    s = tostring(v)
  end
  if s:find('[,"\r\n]') or s:find("^[=+%-@]") and type(v) ~= "number" then
    s = '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

-- the columns a report file has: the entity's, DATE, then those asked
local function file_columns(res)
  local cols, seen = {}, {}
  local function add(c) if c and not seen[c] then seen[c] = true; cols[#cols + 1] = c end end
  add(res.entity_column)
  if res.granularity ~= "TOTAL" then add("DATE") end
  for _, c in ipairs(res.columns) do add(c) end
  return cols
end

--- The rows of an `ads_report` result as csv: a header, then the rows;
-- metrics zero-filled, text columns empty where absent.
-- @tab res what `client:ads_report` returned
-- @treturn string
function M.to_csv(res)
  local columns = require "pinanalytics.ads.columns"
  local cols = file_columns(res)
  local metric = {}
  for _, c in ipairs(cols) do
    local k = columns.kind(c)
    metric[c] = k ~= nil and k ~= "id" and k ~= "string"
  end
  local out = { table.concat(cols, ",") }
  for _, row in ipairs(res.rows) do
    local cells = {}
    for i, c in ipairs(cols) do
      local v = row[c]
      if v == nil and metric[c] then v = 0 end
      cells[i] = csv_cell(v)
    end
    out[#out + 1] = table.concat(cells, ",")
  end
  return table.concat(out, "\n") .. "\n"
end

--- The rows of an `ads_report` result as json: an object keyed by entity id
-- (in the order met), each a list of row objects (absent values left out).
-- @tab res what `client:ads_report` returned
-- @treturn string
function M.to_json(res)
  local async = require "pinanalytics.ads.async"
  local cols = file_columns(res)
  local order, groups = {}, {}
  local key = res.entity_column or "DATE"
  for _, row in ipairs(res.rows) do
    local id = tostring(row[key] or "")
    if not groups[id] then groups[id] = {}; order[#order + 1] = id end
    local parts = {}
    for _, c in ipairs(cols) do
      if row[c] ~= nil then parts[#parts + 1] = async.json(c) .. ":" .. async.json(row[c]) end
    end
    local g = groups[id]
    g[#g + 1] = "{" .. table.concat(parts, ",") .. "}"
  end
  local out = {}
  for i, id in ipairs(order) do out[i] = async.json(id) .. ":[" .. table.concat(groups[id], ",") .. "]" end
  return "{" .. table.concat(out, ",") .. "}\n"
end

subcommand("report", {
  options = with(options.COMMON, "--account-id", "--level", "--columns", "--granularity", "--retries",
    "--no-progress", "--account", "--credentials", "--app-file"),
  help = REPORT_HELP,
  run = function(ctx, cmd, p)
    local pa = require "pinanalytics"
    local opts = p.opts
    local fmt = (opts["--format"] or "csv"):lower()
    if fmt ~= "csv" and fmt ~= "json" then
      usage(cmd, "--format %s is not a format of ads report (csv, json)", opts["--format"])
    end
    for _, name in ipairs({ "--account-id", "--level", "--columns" }) do
      if not opts[name] then usage(cmd, "%s is required (see pinanalytics ads report --help)", name) end
    end
    if opts["--metrics"] then usage(cmd, "ads report takes --columns, not --metrics") end
    local id = opts["--account-id"]
    if not id:match("^%d+$") or #id > 18 then usage(cmd, "--account-id must be digits (at most 18), got %s", id) end
    local range = period(cmd, opts, pa.dates, ctx.clock)
    local cols = {}
    for c in opts["--columns"]:gmatch("[^,]+") do cols[#cols + 1] = (c:gsub("^%s+", ""):gsub("%s+$", "")) end
    local params = { level = opts["--level"]:upper(), granularity = (opts["--granularity"] or "DAY"):upper(),
      columns = cols, start_date = range.start_date, end_date = range.end_date,
      report_format = fmt == "json" and "JSON" or "CSV" }
    -- the library's own checks, said as a usage error before anything is sent
    local ok, why = pcall(require("pinanalytics.ads.async").check, "ads_report", params, ctx.clock, false)
    if not ok then
      if errors.is_interrupt(why) then error(why, 0) end
      usage(cmd, "%s", (tostring(why):gsub("^pinanalytics%.pinterest:ads_report: ", "")))
    end
    local bar
    local wanted = not opts["--no-progress"] and ctx.isatty(2)
    local client = api.pinterest_client(ctx, cmd, opts, wanted and {
      on_progress = progress.progress(ctx, function(done, total, failed)
        if bar then bar:update(done, total, failed) elseif total > 1 then
          bar = progress.new_bar(ctx.stderr, require("pinanalytics.core").now, total, "reports")
          bar:update(done, total, failed)
        end
      end),
    } or nil)
    local res, err = call(cmd, client.ads_report, client, id, params)
    progress.after_run(ctx)
    if bar then bar:finish() end
    client:close()
    if not res then failure("%s", strip_prefix(line(err))) end
    output.write_output(ctx, cmd, opts, fmt == "json" and M.to_json(res) or M.to_csv(res))
    return nil
  end,
})

-- overview and campaigns ------------------------------------------------------------

-- the token, as `ads report` takes it
local CREDENTIALS_HELP = [[
  --retries N         retries of a failed request (default 5)
  --base-url URL      the API (default: PINTEREST_BASE_URL, else https://api.pinterest.com/v5)
  --token-file FILE   the access token (default: PINTEREST_ACCESS_TOKEN, else an account
                      of the credentials file: --account, --credentials, --app-file)
]]

-- The sync endpoints serve the last 90 days (pinanalytics.ads); async
-- reports 914 (pinanalytics.ads.async.LIMITS).
local SYNC_BACK, ASYNC_BACK = 90, 914

-- --account-id, checked
local function account_id(cmd, opts, name)
  local id = opts["--account-id"]
  if not id then usage(cmd, "--account-id is required (see pinanalytics ads %s --help)", name) end
  if not id:match("^%d+$") or #id > 18 then usage(cmd, "--account-id must be digits (at most 18), got %s", id) end
  return id
end

-- a period no report reaches, said before anything is sent; then the
-- library's own date rules (an end after today...), as a usage error
local function reachable(cmd, dates, clock, range, what)
  local earliest = dates.add_days(dates.today(clock), -ASYNC_BACK)
  if range.start_date < earliest then
    usage(cmd, "%s starts %s, and Pinterest keeps ads analytics for %d days (from %s): give a later period",
      what, range.start_date, ASYNC_BACK, earliest)
  end
  local ok, why = pcall(require("pinanalytics.ads.async").check, "ads_report", { level = "ADVERTISER",
    granularity = "DAY", columns = require("pinanalytics.ads.report").PARTS, start_date = range.start_date,
    end_date = range.end_date }, clock, false)
  if not ok then
    if errors.is_interrupt(why) then error(why, 0) end
    usage(cmd, "%s: %s", what, (tostring(why):gsub("^pinanalytics%.pinterest:ads_report: ", "")))
  end
end

-- The DAY rows of the report parts of a level (ADVERTISER, or CAMPAIGN of
-- ids) over range: from the sync endpoints within their 90 days, else from
-- async reports (client:ads_report). Returns rows, or fails.
local function fetch(cmd, ctx, client, id, level, ids, range)
  local pa = require "pinanalytics"
  local ar = require "pinanalytics.ads.report"
  local rows, err
  if range.start_date >= pa.dates.add_days(pa.dates.today(ctx.clock), -SYNC_BACK) then
    local params = { start_date = range.start_date, end_date = range.end_date, granularity = "DAY", columns = ar.PARTS }
    if level == "ADVERTISER" then
      rows, err = call(cmd, client.ad_account_analytics, client, id, params)
    else
      if #ids == 0 then return {} end
      rows, err = call(cmd, client.campaign_analytics, client, id, ids, params)
    end
  else
    local res
    res, err = call(cmd, client.ads_report, client, id, { level = level, granularity = "DAY", columns = ar.PARTS,
      start_date = range.start_date, end_date = range.end_date })
    rows = res and res.rows
    if rows and level == "CAMPAIGN" then
      -- the campaigns asked for (an account's report holds every campaign)
      local want, kept = {}, {}
      for _, c in ipairs(ids) do want[c] = true end
      for _, r in ipairs(rows) do if want[tostring(r.CAMPAIGN_ID)] then kept[#kept + 1] = r end end
      rows = kept
    end
  end
  if not rows then failure("%s", strip_prefix(line(err))) end
  return rows
end

-- the ad account (its currency and name), or a failure
local function ad_account(cmd, client, id)
  local acct, err = call(cmd, client.ad_account, client, id)
  if not acct then failure("%s", strip_prefix(line(err))) end
  if type(acct.currency) ~= "string" or not acct.currency:match("^%u%u%u$") then
    failure("the ad account %s did not say its currency: its money cannot be shown", id)
  end
  return acct
end

-- every campaign of the account (any status but drafts), in the list's order
local function campaigns_of(cmd, client, id)
  local out = {}
  local pager = client:list_campaigns(id, { entity_statuses = { "ACTIVE", "PAUSED", "ARCHIVED" } })
  while true do
    local items = call(cmd, pager.next_page, pager)
    if not items then break end
    for _, c in ipairs(items) do out[#out + 1] = c end
  end
  if pager.err then failure("%s", strip_prefix(line(pager.err))) end
  return out
end

-- the rows a store holds, and what it knows of them; a failure when it fails
local function stored(cmd, st, id, level, range)
  local rows, info = call(cmd, st.ads_rows, st, id, level, range)
  if not rows then failure("%s", strip_prefix(line(info))) end
  return rows, info
end

-- --from-store: the store (read only), what it holds of the ad account's
-- level over range, and those rows; a failure when it holds nothing of it
local function from_store(ctx, cmd, opts, id, level, range)
  for _, o in ipairs({ "--token-file", "--base-url", "--retries", "--credentials", "--app-file", "--account" }) do
    if opts[o] then usage(cmd, "%s has no use with --from-store: the report reads the store, not the API", o) end
  end
  local target = store.store_target(cmd, opts, "--from-store")
  local st = store.open_store(ctx, cmd, target, { read_only = true })
  local rows, info = stored(cmd, st, id, level, range)
  if type(info.currency) ~= "string" then
    failure("the store %s holds no ads analytics of the ad account %s: sync them first (pinanalytics sync --ads " ..
      "--store %s --account-id %s)", store.shown_target(target), id, target, id)
  end
  return st, info, rows
end

local OVERVIEW_HELP = [[
usage: pinanalytics ads overview --account-id ID [OPTIONS]

An ad account over the period against the period of the same length just
before it: spend, paid impressions, paid link clicks, CTR, CPC, CPM,
conversions, checkout value and ROAS, each with its change and its daily
trend. Money is shown in the account's currency with its decimals; the
ratios are made from the period's sums of their parts, never summed. Within
the last 90 days the figures come from the sync endpoints, further back
(up to 914 days) from async reports. Each period's coverage (days with
figures, the days missing) is stated.

  --account-id ID     the ad account (digits)
  --from-store TARGET read the figures from a store that `sync --ads` keeps (no token);
                      the days it does not hold are said missing, those that may still
                      change (fetched within 30 days of the day) not final
]] .. PERIOD_HELP .. "\n" .. output.OUTPUT_HELP .. "\n" .. CREDENTIALS_HELP .. [[

Example:
  pinanalytics ads overview --account-id 549031337 --last 30
  pinanalytics ads overview --account-id 549031337 --last 7 --format html -o ads.html
]]

subcommand("overview", {
  options = with(options.COMMON, "--account-id", "--retries", "--account", "--credentials", "--app-file",
    "--from-store"),
  help = OVERVIEW_HELP,
  run = function(ctx, cmd, p)
    local pa = require "pinanalytics"
    local opts = p.opts
    if opts["--metrics"] then usage(cmd, "ads overview shows its metrics all; it takes no --metrics") end
    local id = account_id(cmd, opts, "overview")
    local range = period(cmd, opts, pa.dates, ctx.clock)
    local prev = range:previous()
    if not opts["--from-store"] then
      reachable(cmd, pa.dates, ctx.clock, prev, "the previous period (" .. tostring(prev) .. ")")
      reachable(cmd, pa.dates, ctx.clock, range, "the period (" .. tostring(range) .. ")")
    end
    if opts["--from-store"] then
      local st, info, cur = from_store(ctx, cmd, opts, id, "ADVERTISER", range)
      local before, pinfo = stored(cmd, st, id, "ADVERTISER", prev)
      local nf = {}
      for _, d in ipairs(info.not_final) do nf[#nf + 1] = d end
      for _, d in ipairs(pinfo.not_final) do nf[#nf + 1] = d end
      return call(cmd, require("pinanalytics.ads.report").overview, cur, before, { currency = info.currency,
        range = range, previous_range = prev, ad_account_id = id, account_name = info.name, not_final = nf,
        source = "Pinterest Ads (store " .. store.shown_target(opts["--from-store"]) .. ")" })
    end
    local client = api.pinterest_client(ctx, cmd, opts)
    local acct = ad_account(cmd, client, id)
    local cur = fetch(cmd, ctx, client, id, "ADVERTISER", nil, range)
    local before = fetch(cmd, ctx, client, id, "ADVERTISER", nil, prev)
    client:close()
    return call(cmd, require("pinanalytics.ads.report").overview, cur, before, { currency = acct.currency,
      range = range, previous_range = prev, ad_account_id = id, account_name = acct.name })
  end,
})

local CAMPAIGNS_HELP = [[
usage: pinanalytics ads campaigns --account-id ID [OPTIONS]

The campaigns of an ad account (active, paused and archived) ranked over the
period, highest first: each with its spend, paid impressions, paid link
clicks, CTR, CPC, CPM, conversions, checkout value and ROAS (each
campaign's ratios from its own parts), and the total of them all (its
ratios from the summed parts). Campaigns that tie keep the order Pinterest
lists them in; a campaign without figures in the period comes last, its
figures shown as missing.

  --account-id ID     the ad account (digits)
  --sort COLUMN       what to rank by: spend (default), impressions, clicks, ctr, cpc,
                      cpm, conversions, checkout_value, roas, or the API's column name
                      (SPEND_IN_MICRO_DOLLAR, CTR, CPC_IN_MICRO_DOLLAR, CHECKOUT_ROAS, ...)
  --limit N           show the first N campaigns (1 to 100000; the total is of all)
  --from-store TARGET read the figures from a store that `sync --ads` keeps (no token)
]] .. PERIOD_HELP .. "\n" .. output.OUTPUT_HELP .. "\n" .. CREDENTIALS_HELP .. [[

Example:
  pinanalytics ads campaigns --account-id 549031337 --last 30 --sort roas --limit 10
]]

subcommand("campaigns", {
  options = with(options.COMMON, "--account-id", "--sort", "--limit", "--retries", "--account", "--credentials",
    "--app-file", "--from-store"),
  help = CAMPAIGNS_HELP,
  run = function(ctx, cmd, p)
    local pa = require "pinanalytics"
    local ar = require "pinanalytics.ads.report"
    local opts = p.opts
    if opts["--metrics"] then usage(cmd, "ads campaigns shows its metrics all; it takes no --metrics (--sort ranks)") end
    local id = account_id(cmd, opts, "campaigns")
    local sort = opts["--sort"] or "spend"
    if not ar.metric_key(sort) then
      local keys = {}
      for _, m in ipairs(ar.METRICS) do keys[#keys + 1] = m.key end
      local near = options.suggest(sort:lower(), keys)
      usage(cmd, "--sort %s is not a metric of the ranking%s (%s, or their column names)", sort,
        near and ("; did you mean --sort " .. near .. "?") or "", table.concat(keys, ", "))
    end
    local limit = options.whole(cmd, opts, "--limit", 1, options.MAX_ROWS, "campaigns")
    local range = period(cmd, opts, pa.dates, ctx.clock)
    if opts["--from-store"] then
      local _, info, rows = from_store(ctx, cmd, opts, id, "CAMPAIGN", range)
      return call(cmd, ar.campaigns, rows, { currency = info.currency, campaigns = info.entities, sort_by = sort,
        limit = limit, range = range, ad_account_id = id, not_final = info.not_final, held = info.held,
        source = "Pinterest Ads (store " .. store.shown_target(opts["--from-store"]) .. ")" })
    end
    reachable(cmd, pa.dates, ctx.clock, range, "the period (" .. tostring(range) .. ")")
    local client = api.pinterest_client(ctx, cmd, opts)
    local acct = ad_account(cmd, client, id)
    local camps = campaigns_of(cmd, client, id)
    local ids = {}
    for i, c in ipairs(camps) do ids[i] = tostring(c.id) end
    local rows = fetch(cmd, ctx, client, id, "CAMPAIGN", ids, range)
    client:close()
    return call(cmd, ar.campaigns, rows, { currency = acct.currency, campaigns = camps, sort_by = sort,
      limit = limit, range = range, ad_account_id = id })
  end,
})

-- the command ---------------------------------------------------------------------

local ads = {}

-- every subcommand's options (each is checked against its own in run)
do
  local all, seen = {}, {}
  for _, name in ipairs(M.ORDER) do
    for _, o in ipairs(M.SUBCOMMANDS[name].options) do
      if not seen[o] then seen[o] = true; all[#all + 1] = o end
    end
  end
  ads.options = all
end

ads.help = [[
usage: pinanalytics ads SUBCOMMAND [OPTIONS]

Ads analytics. Subcommands:
  report            an async report: any level, columns and granularity, up to 914 days
                    back, to csv or json
  overview          the ad account, this period against the previous one: spend, CTR,
                    CPC, CPM, conversions, ROAS, in the account's currency
  campaigns         the campaigns ranked by spend or any other of those

]]
for _, name in ipairs(M.ORDER) do ads.help = ads.help .. M.SUBCOMMANDS[name].help end

function ads.run(ctx, cmd, p)
  local name = p.args[1]
  local sub = name and M.SUBCOMMANDS[name]
  if not sub then
    usage(cmd, "%s (subcommands: %s)", name and ("unknown subcommand '" .. name .. "'") or "no subcommand given",
      table.concat(M.ORDER, ", "))
  end
  if #p.args > 1 then usage(cmd, "ads %s takes no argument %s", name, p.args[2]) end
  local allowed = {}
  for _, o in ipairs(sub.options) do allowed[o] = true end
  for o in pairs(p.opts) do
    if not allowed[o] then usage(cmd, "ads %s does not take %s", name, o) end
  end
  return sub.run(ctx, cmd .. " " .. name, p)
end

M.ads = ads

return M
