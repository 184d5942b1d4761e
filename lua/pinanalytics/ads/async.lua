--- Async ads reports: create, wait, download, rows and frames.
--
-- `POST /ad_accounts/{id}/reports` asks Pinterest for a report (a JSON body:
-- columns, level, granularity, dates, filters, report_format JSON or CSV) and
-- answers a token; `GET /ad_accounts/{id}/reports?token=` says how it goes
-- (IN_PROGRESS, then FINISHED with a URL valid five minutes, or FAILED,
-- EXPIRED, CANCELLED, DOES_NOT_EXIST); the URL is on another host (a storage
-- host) and serves the file. The methods are installed on the Pinterest
-- client (`pinanalytics.pinterest`):
--
--   client:create_ads_report(ad_account_id, params)   -> { token, report_status, message }
--   client:ads_report_status(ad_account_id, token)    -> { report_status, url, size }
--   client:wait_ads_report(ad_account_id, token [, opts]) -> the FINISHED status
--   client:download_ads_report(url [, sink [, opts]]) -> rows (or info, rows given to sink)
--   client:ads_report(ad_account_id, params [, opts]) -> all of it, longer ranges as several reports
--
-- Limits, checked before sending (the official description of
-- POST /ad_accounts/{ad_account_id}/reports, OpenAPI 5.23.0): start_date at
-- most 914 days before today (UTC) and at most 186 days a report, both ends
-- included; granularity HOUR 8 and 3; level PRODUCT_ITEM 92 and 31 (and
-- no ad_ids, ad_statuses there). `ads_report` splits a longer range into
-- reports of the most days allowed and merges their rows in date order.
--
-- The download (`download_ads_report`): no Authorization header (the token
-- never reaches the storage host), TLS verified as the client's (tls_verify,
-- ca_file), gzip read (Content-Encoding, or a gzip file), and redirects
-- followed only to https:// (a redirect to plain http:// or to another
-- scheme is refused, kind "redirect"). The URL itself must be https://; a
-- plain http:// URL is taken only from a client that was itself set up for
-- plain http on a loopback host (the simulator: base_url http://127.0.0.1...),
-- and only to a loopback host, or from one with allow_plain_http = true.
-- The file goes to a private temporary file (libcurl writes it as it comes;
-- nothing of it is held in memory), then rows are read from it in batches
-- with bounded memory (`pinanalytics.core.report_reader`): ids, names and
-- dates as strings, counts and `*_IN_MICRO_DOLLAR` as exact integers, rates
-- as floats. A 403 or 410 from the storage host is kind "link_expired": the
-- link ran out, ask for the status again for a new one.
--
-- Errors at run time are `nil, err` (`pinanalytics.errors`): kind "report"
-- (`err.report_status` FAILED, EXPIRED, CANCELLED or DOES_NOT_EXIST, or a
-- wait that ran out), "link_expired", "redirect", and the kinds of any request.
local core = require "pinanalytics.core"
local dates = require "pinanalytics.dates"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local pacing = require "pinanalytics.pacing"
local check = require "pinanalytics.check"
local columns = require "pinanalytics.ads.columns"

local M = {}

local fail = check.failer("pinanalytics.pinterest")
local show = check.show

--- The columns of an async report: the official enum `ReportingColumnAsync`
-- (OpenAPI 5.23.0, 613 names), in its order (`pinanalytics.ads.columns.ASYNC`,
-- where each has its kind, readable name and description).
M.COLUMNS = columns.ASYNC

--- Values of `level` (`MetricsReportingLevel`).
M.LEVELS = { "ADVERTISER", "ADVERTISER_TARGETING", "CAMPAIGN", "CAMPAIGN_TARGETING", "AD_GROUP",
  "AD_GROUP_TARGETING", "PIN_PROMOTION", "PIN_PROMOTION_TARGETING", "KEYWORD", "PRODUCT_GROUP",
  "PRODUCT_GROUP_TARGETING", "PRODUCT_ITEM", "PRODUCT_ITEM_TARGETING" }
--- Values of `granularity`.
M.GRANULARITIES = { "TOTAL", "DAY", "HOUR", "WEEK", "MONTH" }
--- Values of `report_format` (`DataOutputFormat`; default JSON).
M.FORMATS = { "JSON", "CSV" }
--- Values of `report_status` (`BulkReportingJobStatus`).
M.STATUSES = { "DOES_NOT_EXIST", "FINISHED", "IN_PROGRESS", "EXPIRED", "FAILED", "CANCELLED" }
-- Values of the attribution windows (`ConversionAttributionWindowDays`): 0, 1, 7, 14, 30, 60 days.
M.WINDOW_DAYS = { 0, 1, 7, 14, 30, 60 }
--- Values of `targeting_types` (`AdsAnalyticsTargetingType`).
M.TARGETING_TYPES = { "KEYWORD", "APPTYPE", "GENDER", "LOCATION", "PLACEMENT", "COUNTRY", "TARGETED_INTEREST",
  "PINNER_INTEREST", "AUDIENCE_INCLUDE", "GEO", "AGE_BUCKET", "REGION", "AGE_BUCKET_AND_GENDER" }

-- Values of `custom_event_metrics_type` (custom conversion event metrics), from the description.
local CUSTOM_EVENT_METRICS = {
  "ADE_COST_PER_ACTION", "ADE_ROAS", "ADE_TOTAL_CONVERSIONS", "ADE_TOTAL_VALUE_IN_MICRO_DOLLAR",
  "ADE_AVERAGE_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_CLICK", "ADE_TOTAL_CLICK_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_VIEW",
  "ADE_TOTAL_VIEW_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_CONVERSION_RATE", "ADE_WEB_COST_PER_ACTION", "ADE_WEB_ROAS",
  "ADE_TOTAL_WEB_CONVERSIONS", "ADE_TOTAL_WEB_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_WEB_CLICK",
  "ADE_TOTAL_WEB_CLICK_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_WEB_VIEW", "ADE_TOTAL_WEB_VIEW_VALUE_IN_MICRO_DOLLAR",
  "ADE_INAPP_COST_PER_ACTION", "ADE_INAPP_ROAS", "ADE_TOTAL_INAPP_CONVERSIONS",
  "ADE_TOTAL_INAPP_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_INAPP_CLICK", "ADE_TOTAL_INAPP_CLICK_VALUE_IN_MICRO_DOLLAR",
  "ADE_TOTAL_INAPP_VIEW", "ADE_TOTAL_INAPP_VIEW_VALUE_IN_MICRO_DOLLAR", "ADE_OFFLINE_COST_PER_ACTION",
  "ADE_OFFLINE_ROAS", "ADE_TOTAL_OFFLINE_CONVERSIONS", "ADE_TOTAL_OFFLINE_VALUE_IN_MICRO_DOLLAR",
  "ADE_TOTAL_OFFLINE_CLICK", "ADE_TOTAL_OFFLINE_CLICK_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_OFFLINE_VIEW",
  "ADE_TOTAL_OFFLINE_VIEW_VALUE_IN_MICRO_DOLLAR", "ADE_TOTAL_CONVERSION_PRODUCT_QUANTITY",
  "ADE_TOTAL_CONVERSION_PRODUCT_VALUE", "ADE_TOTAL_CONVERSION_PRODUCT_VALUE_IN_MICRO_UNITS",
  "ADE_TOTAL_CONVERSION_PRODUCT_VALUE_IN_USD", "ADE_TOTAL_CONVERSION_PRODUCT_VALUE_IN_MICRO_USD",
  "ADE_TOTAL_WEB_CONVERSION_PRODUCT_QUANTITY", "ADE_TOTAL_WEB_CONVERSION_PRODUCT_VALUE",
  "ADE_TOTAL_WEB_CONVERSION_PRODUCT_VALUE_IN_MICRO_UNITS", "ADE_TOTAL_WEB_CONVERSION_PRODUCT_VALUE_IN_USD",
  "ADE_TOTAL_WEB_CONVERSION_PRODUCT_VALUE_IN_MICRO_USD", "ADE_TOTAL_INAPP_CONVERSION_PRODUCT_QUANTITY",
  "ADE_TOTAL_INAPP_CONVERSION_PRODUCT_VALUE", "ADE_TOTAL_INAPP_CONVERSION_PRODUCT_VALUE_IN_MICRO_UNITS",
  "ADE_TOTAL_INAPP_CONVERSION_PRODUCT_VALUE_IN_USD", "ADE_TOTAL_INAPP_CONVERSION_PRODUCT_VALUE_IN_MICRO_USD",
  "ADE_TOTAL_OFFLINE_CONVERSION_PRODUCT_QUANTITY", "ADE_TOTAL_OFFLINE_CONVERSION_PRODUCT_VALUE",
  "ADE_TOTAL_OFFLINE_CONVERSION_PRODUCT_VALUE_IN_MICRO_UNITS", "ADE_TOTAL_OFFLINE_CONVERSION_PRODUCT_VALUE_IN_USD",
  "ADE_TOTAL_OFFLINE_CONVERSION_PRODUCT_VALUE_IN_MICRO_USD",
}

local CAMPAIGN_STATUSES = { "RUNNING", "PAUSED", "NOT_STARTED", "COMPLETED", "ADVERTISER_DISABLED", "ARCHIVED",
  "DRAFT", "DELETED_DRAFT" }
local AD_STATUSES = { "APPROVED", "PAUSED", "PENDING", "REJECTED", "ADVERTISER_DISABLED", "ARCHIVED", "DRAFT",
  "DELETED_DRAFT" }

--- How far back and how long a report may be, in days: `default`, and the
-- stricter rules of granularity HOUR and of level PRODUCT_ITEM (`back`: days
-- start_date may be before today, UTC; `days`: days one report spans at most,
-- both ends included).
M.LIMITS = {
  default = { back = 914, days = 186 },
  HOUR = { back = 8, days = 3 },
  PRODUCT_ITEM = { back = 92, days = 31 },
}

--- The column holding a row's entity id, by level (targeting levels as their entity's).
M.ENTITY_COLUMN = {
  ADVERTISER = "ADVERTISER_ID", ADVERTISER_TARGETING = "ADVERTISER_ID",
  CAMPAIGN = "CAMPAIGN_ID", CAMPAIGN_TARGETING = "CAMPAIGN_ID",
  AD_GROUP = "AD_GROUP_ID", AD_GROUP_TARGETING = "AD_GROUP_ID",
  PIN_PROMOTION = "PIN_PROMOTION_ID", PIN_PROMOTION_TARGETING = "PIN_PROMOTION_ID",
  PRODUCT_GROUP = "PRODUCT_GROUP_ID", PRODUCT_GROUP_TARGETING = "PRODUCT_GROUP_ID",
  PRODUCT_ITEM = "PRODUCT_ITEM_ID", PRODUCT_ITEM_TARGETING = "PRODUCT_ITEM_ID",
  KEYWORD = "KEYWORD_ID",
}

--- Seconds before the first status poll's successor: the wait is doubled up to
-- `POLL_MAX` (as Pinterest's quickstart polls: 1 s doubling to 10 s).
M.POLL_FIRST = 1
--- The longest wait between status polls, seconds.
M.POLL_MAX = 10
--- Seconds `wait_ads_report` waits for one report at most by default (a report is kept an hour).
M.WAIT_TIMEOUT = 3600
--- Redirects `download_ads_report` follows at most.
M.MAX_REDIRECTS = 5

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local COLUMN_SET = set_of(M.COLUMNS)

-- columns -------------------------------------------------------------------

--- The async column nearest to a name that is not one (`pinanalytics.ads.columns.suggest`
-- among the async columns: Ads Manager's readable names count, "link clicks" ->
-- TOTAL_CLICKTHROUGH), or nil when none is near.
-- @string name
-- @treturn[opt] string
function M.suggest(name)
  return (columns.suggest(name, columns.ASYNC))
end

-- catalogue kinds -> how the report reader types a column
local READ_AS = { id = "text", string = "text", count = "int", money = "float", rate = "float", float = "float" }

--- How a column's values are typed when a report is read, from its kind in
-- `pinanalytics.ads.columns`: "text" (ids, names, statuses), "int" (counts, and
-- micro-unit money that is not a ratio: exact integers), "float" (money in units,
-- rates, measures), or nil (a ratio in micro-units, CPC say: whole when it is
-- whole, else a float; and a name the catalogue does not know).
-- @string column
-- @treturn string|nil
function M.kind_of(column)
  if column == "DATE" then return "text" end
  local k = columns.kind(column)
  if k == "money_micro" then
    if columns.is_ratio_name(column) then return nil end
    return "int"
  end
  return k and READ_AS[k] or nil
end

-- a tiny JSON encoder (the request body, and reports written as JSON) -------

local function json_string(s)
  return '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    local b = c:byte()
    if c == '"' then return '\\"' elseif c == "\\" then return "\\\\"
    elseif c == "\n" then return "\\n" elseif c == "\r" then return "\\r" elseif c == "\t" then return "\\t"
    elseif b < 0x20 or b == 0x7f then return string.format("\\u%04x", b) end
    return c
  end) .. '"'
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function json_number(v)
  if math.type and math.type(v) == "integer" then return string.format("%d", v) end
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%.0f", v) end
  local s = string.format("%.15g", v)
  if tonumber(s) ~= v then s = string.format("%.17g", v) end
  return (s:gsub(",", "."))
end

--- JSON text of a value: tables with keys 1..n are arrays (an empty table an
-- object), other tables objects with their keys sorted; `pinanalytics.null` is null.
-- @param v
-- @treturn string
function M.json(v)
  local t = type(v)
  if t == "string" then return json_string(v) end
  if t == "number" then return json_number(v) end
  if t == "boolean" then return tostring(v) end
  if v == nil or v == core.null then return "null" end
  if t ~= "table" then error("pinanalytics.ads.async.json: cannot encode a " .. t, 2) end
  local out = {}
  if next(v) ~= nil and is_array(v) then
    for i = 1, #v do out[i] = M.json(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local x = v[k]
    if x == nil then x = v[tonumber(k)] end
    out[i] = json_string(k) .. ":" .. M.json(x)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

-- the request body ------------------------------------------------------------

local function ids(fn, name, v)
  if type(v) ~= "table" or #v == 0 or #v > 500 then
    fail(fn, "%s must be an array of 1..500 ids (strings of digits), got %s", name,
      type(v) == "table" and (#v .. " ids") or show(v))
  end
  local out = {}
  for i = 1, #v do
    local id = v[i]
    if type(id) ~= "string" or not id:match("^%d+$") or #id > 18 then
      fail(fn, "%s[%d] must be a string of digits (at most 18), got %s", name, i, show(id))
    end
    out[i] = id
  end
  return out
end

local function names(fn, name, v, allowed, max)
  if type(v) == "string" then v = { v } end
  if type(v) ~= "table" or #v == 0 or (max and #v > max) then
    fail(fn, "%s must be an array of 1..%d names (allowed: %s), got %s", name, max or 100,
      table.concat(allowed, ", "), show(v))
  end
  local ok, out = set_of(allowed), {}
  for i = 1, #v do
    if not ok[v[i]] then
      fail(fn, "%s[%d] = %s is not allowed (allowed: %s)", name, i, show(v[i]), table.concat(allowed, ", "))
    end
    out[i] = v[i]
  end
  return out
end

local function enum(fn, name, v, allowed)
  if not set_of(allowed)[v] then
    fail(fn, "%s = %s is not allowed (allowed: %s)", name, show(v), table.concat(allowed, ", "))
  end
  return v
end

local function window_days(fn, name, v)
  if type(v) ~= "number" or not set_of(M.WINDOW_DAYS)[v] then
    fail(fn, "%s = %s is not allowed (allowed: 0, 1, 7, 14, 30, 60)", name, show(v))
  end
  return math.floor(v)
end

local function hour(fn, name, v)
  if type(v) ~= "number" or v ~= math.floor(v) or v < 0 or v > 23 then
    fail(fn, "%s = %s is not allowed (allowed: a whole number 0..23)", name, show(v))
  end
  return math.floor(v)
end

--- The columns, checked: an array of known names, without repeats. An
-- unknown one raises naming the nearest known column.
-- @string fn the method (for the message)
-- @param cols an array of names, or one comma-separated string
-- @treturn {string,...}
function M.check_columns(fn, cols)
  if type(cols) == "string" then
    local list = {}
    for c in cols:gmatch("[^,%s]+") do list[#list + 1] = c end
    cols = list
  end
  if type(cols) ~= "table" or #cols == 0 then
    fail(fn, "columns is required: an array of column names (pinanalytics.pinterest.ADS_REPORT_COLUMNS), got %s",
      show(cols))
  end
  local out, seen = {}, {}
  for i = 1, #cols do
    local c = cols[i]
    if not COLUMN_SET[c] then
      local near = M.suggest(c)
      fail(fn, "columns[%d] = %s is not an async report column%s (the %d names are " ..
        "pinanalytics.pinterest.ADS_REPORT_COLUMNS)", i, show(c),
        near and ("; did you mean " .. near .. "?") or "", #M.COLUMNS)
    end
    if not seen[c] then
      seen[c] = true
      out[#out + 1] = c
    end
  end
  return out
end

-- The checks of params every report needs but its dates; returns the body
-- without dates, and the level's limits.
local function body_of(fn, p)
  if type(p) ~= "table" then fail(fn, "params must be a table, got %s", show(p)) end
  local body = {}
  if p.level == nil then fail(fn, "level is required (allowed: %s)", table.concat(M.LEVELS, ", ")) end
  body.level = enum(fn, "level", p.level, M.LEVELS)
  if p.granularity == nil then
    fail(fn, "granularity is required (allowed: %s)", table.concat(M.GRANULARITIES, ", "))
  end
  body.granularity = enum(fn, "granularity", p.granularity, M.GRANULARITIES)
  body.columns = M.check_columns(fn, p.columns)
  body.report_format = enum(fn, "report_format", p.report_format or "JSON", M.FORMATS)
  for _, k in ipairs({ "campaign_ids", "ad_group_ids", "ad_ids", "product_group_ids", "product_item_ids" }) do
    if p[k] ~= nil then body[k] = ids(fn, k, p[k]) end
  end
  if p.campaign_statuses ~= nil then body.campaign_statuses = names(fn, "campaign_statuses", p.campaign_statuses,
    CAMPAIGN_STATUSES, 6) end
  if p.ad_group_statuses ~= nil then body.ad_group_statuses = names(fn, "ad_group_statuses", p.ad_group_statuses,
    CAMPAIGN_STATUSES, 6) end
  if p.ad_statuses ~= nil then body.ad_statuses = names(fn, "ad_statuses", p.ad_statuses, AD_STATUSES, 6) end
  if p.product_group_statuses ~= nil then body.product_group_statuses = names(fn, "product_group_statuses",
    p.product_group_statuses, { "RUNNING", "PAUSED", "EXCLUDED", "ARCHIVED" }, 6) end
  if p.campaign_objective_types ~= nil then body.campaign_objective_types = names(fn, "campaign_objective_types",
    p.campaign_objective_types, { "AWARENESS", "CONSIDERATION", "WEB_CONVERSION", "CATALOG_SALES",
      "VIDEO_COMPLETION" }, 7) end
  if p.targeting_types ~= nil then body.targeting_types = names(fn, "targeting_types", p.targeting_types,
    M.TARGETING_TYPES, 5) end
  if p.attribution_types ~= nil then body.attribution_types = names(fn, "attribution_types", p.attribution_types,
    { "INDIVIDUAL", "HOUSEHOLD" }, 2) end
  for _, k in ipairs({ "click_window_days", "engagement_window_days", "view_window_days" }) do
    if p[k] ~= nil then body[k] = window_days(fn, k, p[k]) end
  end
  if p.conversion_report_time ~= nil then body.conversion_report_time = enum(fn, "conversion_report_time",
    p.conversion_report_time, { "TIME_OF_AD_ACTION", "TIME_OF_CONVERSION" }) end
  if p.reporting_timezone ~= nil then body.reporting_timezone = enum(fn, "reporting_timezone",
    p.reporting_timezone, { "PINTEREST_TIME_ZONE", "AD_ACCOUNT_TIME_ZONE" }) end
  if p.primary_sort ~= nil then body.primary_sort = enum(fn, "primary_sort", p.primary_sort, { "BY_ID", "BY_DATE" }) end
  if p.combine_targeting_types ~= nil then
    if type(p.combine_targeting_types) ~= "boolean" then
      fail(fn, "combine_targeting_types must be true or false, got %s", show(p.combine_targeting_types))
    end
    body.combine_targeting_types = p.combine_targeting_types
  end
  if p.campaign_brand_label ~= nil then
    if type(p.campaign_brand_label) ~= "string" then
      fail(fn, "campaign_brand_label must be a string, got %s", show(p.campaign_brand_label))
    end
    body.campaign_brand_label = p.campaign_brand_label
  end
  for _, k in ipairs({ "start_hour", "end_hour" }) do
    if p[k] ~= nil then
      if body.granularity ~= "HOUR" then fail(fn, "%s is allowed only with granularity HOUR", k) end
      body[k] = hour(fn, k, p[k])
    end
  end
  if p.metrics_filters ~= nil then
    local mf = p.metrics_filters
    if type(mf) ~= "table" or #mf == 0 then fail(fn, "metrics_filters must be a non-empty array, got %s", show(mf)) end
    body.metrics_filters = {}
    for i, f in ipairs(mf) do
      if type(f) ~= "table" then fail(fn, "metrics_filters[%d] must be a table, got %s", i, show(f)) end
      local vals = f.values
      if type(vals) ~= "table" or #vals == 0 then
        fail(fn, "metrics_filters[%d].values must be a non-empty array of numbers", i)
      end
      for j, x in ipairs(vals) do
        if type(x) ~= "number" or x ~= x then fail(fn, "metrics_filters[%d].values[%d] must be a number", i, j) end
      end
      body.metrics_filters[i] = {
        field = enum(fn, "metrics_filters[" .. i .. "].field", f.field, { "SPEND_IN_DOLLAR", "TOTAL_IMPRESSION" }),
        operator = enum(fn, "metrics_filters[" .. i .. "].operator", f.operator, { "LESS_THAN", "GREATER_THAN" }),
        values = vals,
      }
    end
  end
  if p.custom_conversion_event_metrics ~= nil then
    local cm = p.custom_conversion_event_metrics
    if type(cm) ~= "table" then fail(fn, "custom_conversion_event_metrics must be an array, got %s", show(cm)) end
    for i, m in ipairs(cm) do
      if type(m) ~= "table" or type(m.custom_event_name) ~= "string" or type(m.custom_event_metrics_type) ~= "string" then
        fail(fn, "custom_conversion_event_metrics[%d] must have custom_event_name and custom_event_metrics_type " ..
          "(strings)", i)
      end
      enum(fn, "custom_conversion_event_metrics[" .. i .. "].custom_event_metrics_type", m.custom_event_metrics_type,
        CUSTOM_EVENT_METRICS)
    end
    body.custom_conversion_event_metrics = cm
  end
  if body.level == "PRODUCT_ITEM" and (body.ad_ids or body.ad_statuses) then
    fail(fn, "level PRODUCT_ITEM takes no ad_ids nor ad_statuses (the official description says so)")
  end
  local known = { range = true, start_date = true, end_date = true }
  for k in pairs(body) do known[k] = true end
  for k in pairs(p) do
    if not known[k] and p[k] ~= nil then
      fail(fn, "unknown parameter %s (the body of POST /ad_accounts/{id}/reports: level, granularity, columns, " ..
        "start_date/end_date or range, report_format, the *_ids and *_statuses filters, ...)", show(k))
    end
  end
  local lim = { back = M.LIMITS.default.back, days = M.LIMITS.default.days }
  for _, special in ipairs({ body.granularity == "HOUR" and "HOUR", body.level == "PRODUCT_ITEM" and "PRODUCT_ITEM" }) do
    if special then
      lim.back = math.min(lim.back, M.LIMITS[special].back)
      lim.days = math.min(lim.days, M.LIMITS[special].days)
    end
  end
  return body, lim
end

local function account(fn, v)
  if type(v) == "number" and v >= 0 and v == math.floor(v) and v < 2 ^ 53 then v = string.format("%d", v) end
  if type(v) ~= "string" or not v:match("^%d+$") or #v > 18 then
    fail(fn, "ad_account_id must be a string of digits (at most 18), got %s", show(v))
  end
  return v
end

-- start, end (day numbers) of params, checked against the lookback; span:
-- the most days allowed in one request (nil: any, split later).
local function date_range(fn, p, lim, clock, one_report)
  local s, e = p.start_date, p.end_date
  if p.range ~= nil then
    if s ~= nil or e ~= nil then fail(fn, "give either range or start_date/end_date, not both") end
    local r, why = dates.resolve(p.range, { clock = clock })
    if not r then fail(fn, "%s", why) end
    s, e = r.start_date, r.end_date
  end
  if s == nil then fail(fn, "start_date is required (a UTC date YYYY-MM-DD), or give range") end
  if e == nil then fail(fn, "end_date is required (a UTC date YYYY-MM-DD), or give range") end
  local sn, why = dates.parse(s)
  if not sn then fail(fn, "start_date = %s is not a valid date: %s", show(s), why) end
  local en
  en, why = dates.parse(e)
  if not en then fail(fn, "end_date = %s is not a valid date: %s", show(e), why) end
  if sn > en then fail(fn, "start_date %s is after end_date %s (allowed: start_date <= end_date)", s, e) end
  local today = dates.today_number(clock)
  if today - sn > lim.back then
    fail(fn, "start_date %s is %d days before today (%s UTC) (allowed: at most %d for this granularity and level; " ..
      "earliest allowed date: %s)", s, today - sn, dates.format(today), lim.back, dates.format(today - lim.back))
  end
  if en > today then
    fail(fn, "end_date %s is after today (%s UTC)", e, dates.format(today))
  end
  if one_report and en - sn + 1 > lim.days then
    fail(fn, "start_date %s to end_date %s is %d days (allowed: at most %d days a report for this granularity and " ..
      "level; client:ads_report splits a longer range into several reports)", s, e, en - sn + 1, lim.days)
  end
  return sn, en
end

--- The checked body of a report request and its limits. Raises on a
-- programmer error (see the top of this file).
-- @string fn the method, for messages
-- @tab params
-- @func[opt] clock decides "today"
-- @bool[opt] one_report refuse a range longer than one report may be
-- @treturn table the body without dates
-- @treturn table limits `{ back, days }`
-- @treturn int start day number
-- @treturn int end day number
function M.check(fn, params, clock, one_report)
  local body, lim = body_of(fn, params)
  local sn, en = date_range(fn, params, lim, clock, one_report)
  return body, lim, sn, en
end

-- the client's requests -------------------------------------------------------

-- A POST with a JSON body, with the client's pacing, retries and token
-- refresh (as Client:_get): true, body, meta | false, err.
local function post_json(self, path, body, endpoint)
  local ok, refreshed = self:_token_due()
  if not ok then return false, refreshed end
  local opts = { method = "POST", body = body, secrets = self.secrets, endpoint = "POST " .. endpoint,
    headers = { "Content-Type: application/json" } }
  local attempt, first_try = 0, nil
  while true do
    self:_pace("ads_analytics")
    first_try = first_try or core.now()
    self.sent = self.sent + 1
    local res, meta
    ok, res, meta = http.perform(self.session, path, opts)
    if ok then return true, res, meta end
    if res.kind == "auth" and self.oauth and not refreshed then
      refreshed = true
      local rok, rerr = self:refresh()
      if not rok then return false, rerr end
    else
      attempt = attempt + 1
      local what, x = pacing.after_failure(res, attempt, self.policy)
      if what == "retry" then
        self.rt.sleep(x)
      elseif what == "quota" then
        return false, x
      else
        return false, self:_hint(pacing.tried(res, attempt, core.now() - first_try))
      end
    end
  end
end

local function shape_error(self, endpoint, meta, why, body)
  return errors.new({ kind = "invalid_response", status = meta and meta.status, request_id = meta and meta.request_id,
    endpoint = endpoint, message = "the answer does not have the documented shape: " .. why, body = body },
    self.secrets)
end

local STATUS_SET = set_of(M.STATUSES)

local function create(self, fn, ad_account_id, body)
  local endpoint = "/ad_accounts/{ad_account_id}/reports"
  local ok, res, meta = post_json(self, "/ad_accounts/" .. ad_account_id .. "/reports", M.json(body), endpoint)
  if not ok then return nil, res end
  if type(res) ~= "table" or type(res.token) ~= "string" or res.token == "" then
    return nil, shape_error(self, "POST " .. endpoint, meta, "no token in it", res)
  end
  if res.report_status ~= nil and not STATUS_SET[res.report_status] then
    return nil, shape_error(self, "POST " .. endpoint, meta, "report_status " .. show(res.report_status) ..
      " is not one of " .. table.concat(M.STATUSES, ", "), res)
  end
  local _ = fn
  return { token = res.token, report_status = res.report_status, message = res.message ~= core.null and res.message
    or nil }
end

local function status_of(self, ad_account_id, token)
  local endpoint = "/ad_accounts/{ad_account_id}/reports"
  local ok, res, meta = self:_get("/ad_accounts/" .. ad_account_id .. "/reports", { { "token", token } },
    endpoint, "ads_analytics")
  if not ok then return nil, res end
  if type(res) ~= "table" or not STATUS_SET[res.report_status] then
    return nil, shape_error(self, "GET " .. endpoint, meta, "report_status is not one of " ..
      table.concat(M.STATUSES, ", "), res)
  end
  local url = res.url ~= core.null and res.url or nil
  local size = res.size ~= core.null and res.size or nil
  if url ~= nil and type(url) ~= "string" then
    return nil, shape_error(self, "GET " .. endpoint, meta, "url is not a string", res)
  end
  if size ~= nil and type(size) ~= "number" then
    return nil, shape_error(self, "GET " .. endpoint, meta, "size is not a number", res)
  end
  return { report_status = res.report_status, url = url, size = size }
end

local END_MESSAGES = {
  FAILED = "the report FAILED on Pinterest's side: ask for it again (client:create_ads_report), perhaps with " ..
    "fewer columns or days",
  EXPIRED = "the report EXPIRED (a report is kept one hour after it is made): ask for it again",
  CANCELLED = "the report was CANCELLED: ask for it again",
  DOES_NOT_EXIST = "no report has this token (DOES_NOT_EXIST): ask for it again",
}

local function report_error(self, status, token)
  local _ = token
  return errors.new({ kind = "report", report_status = status, endpoint = "GET /ad_accounts/{ad_account_id}/reports",
    message = END_MESSAGES[status] or ("the report is " .. tostring(status)) }, self.secrets)
end

-- the download ----------------------------------------------------------------

local function host_of(url)
  local scheme, authority = url:match("^(%a[%w+.-]*)://([^/?#]*)")
  if not scheme then return nil end
  authority = authority:gsub("^.*@", "")
  local host = authority:match("^(%[[%x:.]+%])") or authority:match("^([^:]*)")
  return scheme:lower(), (host or ""):lower()
end

-- May the download go to this URL? first: the URL the status gave (else a
-- redirect's Location). Returns true | false, why.
local function url_allowed(self, url, first)
  local scheme, host = host_of(url)
  if scheme == "https" then return true end
  if scheme == "http" and first then
    if self.session_opts.allow_plain_http then return true end
    local bscheme, bhost = host_of(self.base_url)
    if bscheme == "http" and check.is_loopback(bhost) and check.is_loopback(host) then return true end
    return false, "the report's URL is plain http:// (" .. tostring(host) .. "): only https:// is taken, but " ..
      "from a client set up for plain http on a loopback host (the simulator) to a loopback host"
  end
  if scheme == "http" then
    return false, "a redirect to plain http:// (" .. tostring(host) .. ") was refused: the report is followed " ..
      "only to https://"
  end
  return false, (first and "the report's URL" or "a redirect") .. " to scheme " .. show(scheme or url:sub(1, 12)) ..
    " was refused: only https:// is followed"
end

local function redirect_error(self, why, status)
  return errors.new({ kind = "redirect", status = status, endpoint = "GET (report download)", message = why },
    self.secrets)
end

-- Resolves a Location against the URL it came from (absolute, or "/path").
local function resolve(base, loc)
  if loc:match("^%a[%w+.-]*:") then return loc end
  if loc:sub(1, 2) == "//" then return (base:match("^(%a[%w+.-]*:)") or "https:") .. loc end
  if loc:sub(1, 1) == "/" then return (base:match("^(%a[%w+.-]*://[^/?#]*)") or "") .. loc end
  return (base:match("^(.*/)") or base .. "/") .. loc
end

-- Runs one download to its end, every wait through the runtime.
-- Returns the Download and its result (status, headers) | nil, err.
local function fetch(self, url, opts)
  local ok, d = errors.pass_interrupt(pcall(core.download, {
    url = url, timeout = opts.timeout or 300, connect_timeout = self.session_opts.connect_timeout,
    tls_verify = self.session_opts.tls_verify, ca_file = self.session_opts.ca_file,
    user_agent = self.session_opts.user_agent, max_bytes = opts.max_bytes,
  }))
  if not ok then
    return nil, errors.new({ kind = "invalid_response", endpoint = "GET (report download)",
      message = "the report's URL cannot be used: " .. tostring(d) }, self.secrets)
  end
  local rt = self.rt
  if rt.name == "blocking" then
    while d:step(200) do end
  else
    -- never blocks: the host's loop runs between steps
    while d:step(0) do rt.sleep(0.005) end
  end
  local status, headers, bytes = d:result()
  if not status then
    d:close()
    return nil, errors.new({ kind = headers, endpoint = "GET (report download)", message = bytes }, self.secrets)
  end
  return d, status, headers, bytes
end

--- Options of the download (`download_ads_report`'s opts, `ads_report`'s too).
-- @table DownloadOptions
-- @number[opt=300] timeout seconds for the whole download
-- @number[opt] max_bytes a larger report is kind "too_large"
-- @int[opt=1000] batch rows handed to the sink at once
-- @string[opt] level the report's level: its entity column is filled from a JSON report's keys
-- @tab[opt] columns the report's columns, to type them (else `kind_of` every column met)

local function download(self, url, sink, opts)
  local current, first = url, true
  for _ = 0, M.MAX_REDIRECTS do
    local allowed, why = url_allowed(self, current, first)
    if not allowed then return nil, redirect_error(self, why) end
    local d, status, headers, bytes = fetch(self, current, opts)
    if not d then return nil, status end
    if status >= 300 and status <= 399 then
      d:close()
      local loc = headers.location
      if type(loc) ~= "string" or loc == "" then
        return nil, redirect_error(self, "a redirect (HTTP " .. status .. ") without a Location", status)
      end
      current, first = resolve(current, loc), false
    elseif status == 403 or status == 410 then
      d:close()
      return nil, errors.new({ kind = "link_expired", status = status, endpoint = "GET (report download)",
        message = "the report's download link ran out (it is valid five minutes) or was refused: ask for the " ..
          "report's status again (client:ads_report_status) for a new link" }, self.secrets)
    elseif status < 200 or status > 299 then
      d:close()
      return nil, errors.new({ kind = errors.kind_for_status(status), status = status,
        endpoint = "GET (report download)", message = "the storage host answered HTTP " .. status }, self.secrets)
    else
      local kinds = {}
      for _, c in ipairs(opts.columns or {}) do kinds[c] = M.kind_of(c) end
      kinds.DATE = "text"
      local key_column = opts.level and M.ENTITY_COLUMN[opts.level]
      if key_column then kinds[key_column] = "text" end
      setmetatable(kinds, nil)
      local r = d:reader({ kinds = kinds, key_column = key_column })
      d:close()
      local n, batch = 0, opts.batch or 1000
      while true do
        local rows, err = r:next(batch)
        if not rows then
          r:close()
          return nil, errors.new({ kind = "invalid_response", endpoint = "GET (report download)",
            message = "the report file cannot be read: " .. tostring(err) }, self.secrets)
        end
        if #rows == 0 then break end
        n = n + #rows
        sink(rows)
      end
      local info = r:info()
      r:close()
      return { rows = n, bytes = bytes, format = info.format, gzip = info.gzip or
        (headers["content-encoding"] or ""):lower():find("gzip", 1, true) ~= nil }
    end
  end
  return nil, redirect_error(self, "more than " .. M.MAX_REDIRECTS .. " redirects")
end

-- the methods -------------------------------------------------------------------

local Methods = {}

--- Asks for one async report: `POST /ad_accounts/{ad_account_id}/reports`.
-- Checked before sending: `level`, `granularity`, `columns` (of `ADS_REPORT_COLUMNS`; an
-- unknown one raises naming the nearest), the dates (`range` or `start_date`/`end_date`:
-- at most 914 days back and 186 days; HOUR 8 and 3; PRODUCT_ITEM 92 and 31), `report_format`
-- ("JSON", the default, or "CSV") and the filters (`campaign_ids`, `ad_group_ids`, `ad_ids`,
-- `product_group_ids`, `product_item_ids`: 1..500 ids; `campaign_statuses`, `ad_group_statuses`,
-- `ad_statuses`, `product_group_statuses`, `campaign_objective_types`, `targeting_types`,
-- `metrics_filters`, `attribution_types`, the attribution windows, `conversion_report_time`,
-- `reporting_timezone`, `primary_sort`, `start_hour`/`end_hour` with HOUR, ...).
-- @tparam string|int ad_account_id
-- @tab params
-- @treturn[1] table `{ token, report_status, message }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Methods:create_ads_report(ad_account_id, params)
  local fn = "create_ads_report"
  ad_account_id = account(fn, ad_account_id)
  local body, _, sn, en = M.check(fn, params, self.clock, true)
  body.start_date, body.end_date = dates.format(sn), dates.format(en)
  return create(self, fn, ad_account_id, body)
end

--- How a report goes: `GET /ad_accounts/{ad_account_id}/reports?token=`.
-- @tparam string|int ad_account_id
-- @string token as `create_ads_report` gave it
-- @treturn[1] table `{ report_status, url, size }` (url and size once FINISHED)
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Methods:ads_report_status(ad_account_id, token)
  local fn = "ads_report_status"
  ad_account_id = account(fn, ad_account_id)
  if type(token) ~= "string" or token == "" or token:find("%c") then
    fail(fn, "token must be the non-empty string create_ads_report gave, got %s", type(token))
  end
  return status_of(self, ad_account_id, token)
end

--- Waits until a report is FINISHED: polls its status, the first wait
-- `opts.interval` seconds, doubled up to `opts.max_interval`; every wait
-- through the client's runtime (OpenResty and Neovim go on meanwhile).
-- @tparam string|int ad_account_id
-- @string token
-- @tab[opt] opts
-- @number[opt=1] opts.interval the first wait
-- @number[opt=10] opts.max_interval the longest wait between polls
-- @number[opt=3600] opts.timeout seconds to wait in all (then kind "report", `report_status` IN_PROGRESS)
-- @treturn[1] table the FINISHED status `{ report_status, url, size }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "report" with `report_status` FAILED, EXPIRED,
-- CANCELLED or DOES_NOT_EXIST (or IN_PROGRESS when the wait ran out), or any request's kind
function Methods:wait_ads_report(ad_account_id, token, opts)
  local fn = "wait_ads_report"
  ad_account_id = account(fn, ad_account_id)
  if type(token) ~= "string" or token == "" or token:find("%c") then
    fail(fn, "token must be the non-empty string create_ads_report gave, got %s", type(token))
  end
  opts = opts or {}
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  for _, k in ipairs({ "interval", "max_interval", "timeout" }) do
    local v = opts[k]
    if v ~= nil and (type(v) ~= "number" or v ~= v or v < 0) then
      fail(fn, "opts.%s must be a number of seconds >= 0, got %s", k, show(v))
    end
  end
  local wait, most = opts.interval or M.POLL_FIRST, opts.max_interval or M.POLL_MAX
  local deadline = self.rt.now() + (opts.timeout or M.WAIT_TIMEOUT)
  while true do
    local st, err = status_of(self, ad_account_id, token)
    if not st then return nil, err end
    if st.report_status == "FINISHED" then
      if type(st.url) ~= "string" or st.url == "" then
        return nil, errors.new({ kind = "invalid_response", endpoint = "GET /ad_accounts/{ad_account_id}/reports",
          message = "the report is FINISHED but its answer has no url" }, self.secrets)
      end
      return st
    end
    if st.report_status ~= "IN_PROGRESS" then return nil, report_error(self, st.report_status, token) end
    local now = self.rt.now()
    if now >= deadline then
      return nil, errors.new({ kind = "report", report_status = "IN_PROGRESS",
        endpoint = "GET /ad_accounts/{ad_account_id}/reports",
        message = "the report was still IN_PROGRESS after " .. (opts.timeout or M.WAIT_TIMEOUT) ..
          " s (opts.timeout): wait_ads_report may be called again with the same token" }, self.secrets)
    end
    self.rt.sleep(math.min(wait, deadline - now))
    wait = math.min(wait * 2, most)
  end
end

--- Downloads a report file and reads its rows (see the top of this file for
-- what is refused: never the token, https only, ...).
-- @string url the FINISHED status's `url`
-- @func[opt] sink `function(rows)` given the rows in batches (then the rows are not kept);
-- without it the rows are returned
-- @tparam[opt] DownloadOptions opts
-- @treturn[1] table the rows, or with a sink `{ rows = n, bytes, format = "csv"|"json", gzip }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "link_expired", "redirect", "invalid_response" (a file that
-- cannot be read: never fewer rows), or a network kind
function Methods:download_ads_report(url, sink, opts)
  local fn = "download_ads_report"
  if type(url) ~= "string" or url == "" then fail(fn, "url must be a string (the report's url), got %s", type(url)) end
  if sink ~= nil and type(sink) ~= "function" then fail(fn, "sink must be a function or nil, got %s", show(sink)) end
  opts = opts or {}
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  local rows
  if not sink then
    rows = {}
    sink = function(batch) for i = 1, #batch do rows[#rows + 1] = batch[i] end end
  end
  local info, err = download(self, url, sink, opts)
  if not info then return nil, err end
  if rows then return rows, info end
  return info
end

--- One call for the whole flow: the range split into reports of the most
-- days allowed (186; HOUR 3; PRODUCT_ITEM 31), each created, waited for and
-- downloaded in turn, their rows merged in date order. `client.on_progress`
-- (`function(done, total, failed)`) is called as reports finish. Stops at
-- the first report that fails: never partial data presented as complete.
-- @tparam string|int ad_account_id
-- @tab params as for `create_ads_report`, the range up to 914 days back (HOUR 8, PRODUCT_ITEM 92)
-- @tab[opt] opts `wait_ads_report`'s `interval`, `max_interval`, `timeout` (per report), and
-- `DownloadOptions`; `sink` = `function(rows)` takes the rows in batches instead of keeping them
-- @treturn[1] table `{ rows = {...} (none with a sink), count, level, columns, granularity, entity_column,
-- start_date, end_date, reports = { { start_date, end_date, token, rows, bytes, format, gzip }, ... },
-- progress_errors }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error (`err.reports`: the reports done before it, `err.report`: which
-- one failed, 1-based)
function Methods:ads_report(ad_account_id, params, opts)
  local fn = "ads_report"
  ad_account_id = account(fn, ad_account_id)
  local body, lim, sn, en = M.check(fn, params, self.clock, false)
  opts = opts or {}
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  if opts.sink ~= nil and type(opts.sink) ~= "function" then fail(fn, "opts.sink must be a function, got %s", show(opts.sink)) end
  local windows = {}
  local s = sn
  while s <= en do
    local e = math.min(en, s + lim.days - 1)
    windows[#windows + 1] = { s, e }
    s = e + 1
  end
  local out = { level = body.level, columns = body.columns, granularity = body.granularity,
    entity_column = M.ENTITY_COLUMN[body.level], start_date = dates.format(sn), end_date = dates.format(en),
    reports = {}, count = 0, progress_errors = {} }
  local rows = not opts.sink and {} or nil
  local sink = opts.sink or function(batch) for i = 1, #batch do rows[#rows + 1] = batch[i] end end
  local counted = function(batch)
    out.count = out.count + #batch
    sink(batch)
  end
  local dl = { timeout = opts.timeout_download, max_bytes = opts.max_bytes, batch = opts.batch, level = body.level,
    columns = body.columns }
  local function progress(done)
    local cb = self.on_progress
    if not cb then return end
    local ok, perr = pcall(cb, done, #windows, 0)
    if not ok then
      if errors.is_interrupt(perr) then error(perr, 0) end
      out.progress_errors[#out.progress_errors + 1] = tostring(perr)
    end
  end
  progress(0)
  for i, w in ipairs(windows) do
    local b = {}
    for k, v in pairs(body) do b[k] = v end
    b.start_date, b.end_date = dates.format(w[1]), dates.format(w[2])
    local made, err = create(self, fn, ad_account_id, b)
    local st, info
    if made then
      st, err = Methods.wait_ads_report(self, ad_account_id, made.token, opts)
    end
    if st then
      info, err = download(self, st.url, counted, dl)
    end
    if not info then
      err.report, err.reports = i, out.reports
      err.message = string.format("report %d of %d (%s to %s): %s", i, #windows, b.start_date, b.end_date,
        tostring(err.message))
      return nil, err
    end
    out.reports[i] = { start_date = b.start_date, end_date = b.end_date, token = made.token, rows = info.rows,
      bytes = info.bytes, format = info.format, gzip = info.gzip }
    progress(i)
  end
  out.rows = rows
  return out
end

-- frames ------------------------------------------------------------------------

-- a row's day for a frame: its DATE and numeric columns
local function day_of(row, i)
  local date = row.DATE
  if type(date) ~= "string" then
    error("pinanalytics.ads.async.frames: row " .. i .. " has no DATE (frames need granularity DAY)", 3)
  end
  local metrics = {}
  for k, v in pairs(row) do
    if type(v) == "number" then metrics[k] = v end
  end
  return { date = date:sub(1, 10), data_status = "READY", metrics = metrics }
end

--- A sink of report rows (`ads_report`'s `opts.sink`, `download_ads_report`'s
-- sink) that builds a MetricFrame per entity as the rows stream: the rows of
-- one entity are made a frame when the next entity's rows start (a report
-- sorted BY_ID gives each entity's rows together; rows of an entity met
-- again are merged into its frame), so that only one entity's rows are held
-- as tables at a time.
-- @string entity_column the rows' entity id column ("CAMPAIGN_ID", ...; `ENTITY_COLUMN[level]`)
-- @treturn func `sink(rows)`
-- @treturn func `finish()` -> entity id -> MetricFrame
function M.frame_sink(entity_column)
  if type(entity_column) ~= "string" then
    error("pinanalytics.ads.async.frame_sink: entity_column must be a string (ENTITY_COLUMN[level])", 2)
  end
  local frames, current, days, n = {}, nil, {}, 0
  local function flush()
    if current and #days > 0 then
      local f = core.frame({ { daily = days } })
      frames[current] = frames[current] and frames[current]:merge(f) or f
    end
    days = {}
  end
  local function sink(rows)
    for i = 1, #rows do
      local row = rows[i]
      n = n + 1
      local id = row[entity_column]
      if id ~= nil then
        id = tostring(id)
        if id ~= current then
          flush()
          current = id
        end
        days[#days + 1] = day_of(row, n)
      end
    end
  end
  local function finish()
    flush()
    current = nil
    return frames
  end
  return sink, finish
end

--- The rows of a report as MetricFrames, one per entity (entity id -> frame):
-- a series per numeric column, a row per DATE (granularity DAY; every day
-- READY). Text columns (ids, names, statuses) are left out. To build them
-- as the rows stream, without keeping the rows, give `frame_sink` as
-- `ads_report`'s sink.
-- @tab report what `ads_report` returned (or `{ rows = ..., entity_column = ... }`)
-- @treturn table entity id -> MetricFrame
function M.frames(report)
  if type(report) ~= "table" or type(report.rows) ~= "table" then
    error("pinanalytics.ads.async.frames: report must be what client:ads_report returned (with its rows)", 2)
  end
  local col = report.entity_column
  if type(col) ~= "string" then
    error("pinanalytics.ads.async.frames: the report has no entity column (level " .. tostring(report.level) .. ")", 2)
  end
  local daily = {}
  for i, row in ipairs(report.rows) do
    local id = row[col]
    if id ~= nil then
      id = tostring(id)
      local list = daily[id]
      if not list then list = {}; daily[id] = list end
      list[#list + 1] = day_of(row, i)
    end
  end
  local out = {}
  for id, list in pairs(daily) do out[id] = core.frame({ { daily = list } }) end
  return out
end

--- The client methods this module installs, in the order the guide gives them.
M.METHODS = { "create_ads_report", "ads_report_status", "wait_ads_report", "download_ads_report", "ads_report" }

--- Installs the methods on the Pinterest client's method table (before its
-- methods are guarded), and the public names on the module.
-- @tab Client the client's methods
-- @tab P the `pinanalytics.pinterest` module
function M.install(Client, P)
  for name, f in pairs(Methods) do Client[name] = f end
  P.ADS_REPORT_COLUMNS = M.COLUMNS
  P.ADS_REPORT_LEVELS = M.LEVELS
  P.ADS_REPORT_LIMITS = M.LIMITS
end

return M
