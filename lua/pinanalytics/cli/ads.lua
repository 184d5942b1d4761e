--- The `ads` command: ads analytics by subcommand (`pinanalytics ads report
-- ...`). Each subcommand is an entry of `SUBCOMMANDS` with its options,
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
