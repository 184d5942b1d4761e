--- The ads analytics endpoints of Pinterest's REST API v5, as data: their
-- paths, the id lists they take and how many ids a request may carry, their
-- parameters and enums, their date rules per granularity, and the checks of
-- their answers that name a field of the wrong type.
--
-- Source: the official OpenAPI description, version 5.23.0 (operations
-- ad_account/analytics, campaigns/analytics, ad_groups/analytics,
-- ads/analytics, ad_pins/analytics, product_groups/analytics, the four
-- */targeting_analytics, campaigns/list, ad_groups/list, ads/list,
-- ad_accounts/get). Nothing here sends a request: `pinanalytics.ads` reads
-- these tables. Internal.
local columns = require "pinanalytics.ads.columns"
local validate = require "pinanalytics.pinterest.validate"

local P = validate.param

local M = {}

--- The rate-limit category of every ads analytics endpoint.
M.ANALYTICS = "ads_analytics"
--- The rate-limit category of the ads lists and the ad account.
M.READ = "ads_read"

--- Values of `granularity`.
M.GRANULARITIES = { "TOTAL", "DAY", "HOUR", "WEEK", "MONTH" }
--- The date rules by granularity: `lookback` days `start_date` may be
-- before today (UTC), `range` days `end_date` may be after `start_date`.
-- Not HOUR: 90 and 90; HOUR: 8 and 3 (the ad account endpoint's text gives
-- no range for HOUR: the 3 days of the others are kept for it too).
M.DATES = { lookback = 90, range = 90 }
M.HOUR_DATES = { lookback = 8, range = 3 }
--- The attribution windows (`click_window_days`, `engagement_window_days`,
-- `view_window_days`): ConversionAttributionWindowDays.
M.WINDOW_DAYS = { 0, 1, 7, 14, 30, 60 }
--- Values of `conversion_report_time`.
M.CONVERSION_REPORT_TIMES = { "TIME_OF_AD_ACTION", "TIME_OF_CONVERSION" }
--- Values of `reporting_timezone` (ReportingTimeZone; a closed beta).
M.REPORTING_TIMEZONES = { "PINTEREST_TIME_ZONE", "AD_ACCOUNT_TIME_ZONE" }
--- Values of `attribution_types` (the targeting endpoints; at most 2).
M.ATTRIBUTION_TYPES = { "INDIVIDUAL", "HOUSEHOLD" }
--- Values of `entity_statuses` (the lists; the API's default ACTIVE, PAUSED).
M.ENTITY_STATUSES = { "ACTIVE", "PAUSED", "ARCHIVED", "DRAFT", "DELETED_DRAFT" }
--- Values of `order` (the lists).
M.ORDERS = { "ASCENDING", "DESCENDING" }

--- `targeting_types` by level of `targeting_analytics`, and how many one
-- request may take.
M.TARGETING_TYPES = {
  ADVERTISER = { "KEYWORD", "APPTYPE", "GENDER", "LOCATION", "PLACEMENT", "COUNTRY", "TARGETED_INTEREST",
    "PINNER_INTEREST", "AUDIENCE_INCLUDE", "GEO", "AGE_BUCKET", "REGION", "AGE_BUCKET_AND_GENDER" },
  CAMPAIGN = { "KEYWORD", "APPTYPE", "GENDER", "LOCATION", "PLACEMENT", "COUNTRY", "TARGETED_INTEREST",
    "PINNER_INTEREST", "AUDIENCE_INCLUDE", "GEO", "AGE_BUCKET", "REGION", "CREATIVE_TYPE", "AGE_BUCKET_AND_GENDER",
    "AUDIENCE_MULTIPLIER" },
  AD_GROUP = { "KEYWORD", "APPTYPE", "GENDER", "LOCATION", "PLACEMENT", "COUNTRY", "TARGETED_INTEREST",
    "PINNER_INTEREST", "AUDIENCE_INCLUDE", "GEO", "AGE_BUCKET", "REGION", "AGE_BUCKET_AND_GENDER",
    "CREATIVE_ENHANCEMENTS" },
  AD = { "KEYWORD", "APPTYPE", "GENDER", "LOCATION", "PLACEMENT", "COUNTRY", "TARGETED_INTEREST",
    "PINNER_INTEREST", "AUDIENCE_INCLUDE", "GEO", "AGE_BUCKET", "REGION", "QUIZ_RESULT", "AGE_BUCKET_AND_GENDER" },
}
M.TARGETING_MAX = { ADVERTISER = 15, CAMPAIGN = 14, AD_GROUP = 14, AD = 14 }
--- The levels of `targeting_analytics`.
M.TARGETING_LEVELS = { "ADVERTISER", "CAMPAIGN", "AD_GROUP", "AD" }

--- The columns the synchronous endpoints take (the 175 of the `columns` enum).
M.SYNC_COLUMNS = columns.SYNC

-- parameters every analytics endpoint takes besides dates, columns and granularity
local WINDOWS = {
  click_window_days = P.int(0, 60, M.WINDOW_DAYS), engagement_window_days = P.int(0, 60, M.WINDOW_DAYS),
  view_window_days = P.int(0, 60, M.WINDOW_DAYS),
  conversion_report_time = P.enum(M.CONVERSION_REPORT_TIMES),
}
local ORDER = { "click_window_days", "engagement_window_days", "view_window_days", "conversion_report_time" }

local function with(base, extra)
  local t = {}
  for k, v in pairs(base) do t[k] = v end
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end
local function concat(a, b)
  local t = {}
  for _, v in ipairs(a) do t[#t + 1] = v end
  for _, v in ipairs(b) do t[#t + 1] = v end
  return t
end

-- An analytics endpoint: path; ids: the id lists it takes as { param, max,
-- required } (chunked by the client); params: the other parameters (kinds
-- of pinanalytics.pinterest.validate.param); order: their order in the query;
-- entity: the row's id column; shape: the C shape of its answer.
local function analytics(path, ids, extra, extra_order, entity, shape)
  return {
    path = path, ids = ids or {}, params = with(WINDOWS, extra), order = concat(ORDER, extra_order or {}),
    entity = entity, shape = shape or "ads_rows", category = M.ANALYTICS,
  }
end

local TZ = { reporting_timezone = P.enum(M.REPORTING_TIMEZONES) }
local AGG = { aggregate_report_rows = P.bool }

--- The endpoints by method name.
local E = {}
M.endpoints = E

E.ad_account_analytics = analytics("/ad_accounts/{ad_account_id}/analytics", nil, TZ, { "reporting_timezone" },
  "AD_ACCOUNT_ID")
E.campaign_analytics = analytics("/ad_accounts/{ad_account_id}/campaigns/analytics",
  { { "campaign_ids", 250, true } }, with(TZ, AGG), { "aggregate_report_rows", "reporting_timezone" }, "CAMPAIGN_ID")
E.ad_group_analytics = analytics("/ad_accounts/{ad_account_id}/ad_groups/analytics",
  { { "ad_group_ids", 250, true } }, with(TZ, AGG), { "aggregate_report_rows", "reporting_timezone" }, "AD_GROUP_ID")
-- ads/analytics: ad_ids, or campaign_ids and pin_ids (the method checks which)
E.ad_analytics = analytics("/ad_accounts/{ad_account_id}/ads/analytics",
  { { "ad_ids", 250 }, { "campaign_ids", 250 }, { "pin_ids", 100 } }, TZ, { "reporting_timezone" }, "AD_ID")
E.ad_pin_analytics = analytics("/ad_accounts/{ad_account_id}/pins/analytics",
  { { "pin_ids", 100, true } }, { campaign_id = P.digits(18) }, { "campaign_id" }, "PIN_ID")
E.ad_pin_analytics.required = { "campaign_id" }
E.product_group_analytics = analytics("/ad_accounts/{ad_account_id}/product_groups/analytics",
  { { "product_group_ids", 250, true } }, TZ, { "reporting_timezone" }, "PRODUCT_GROUP_ID")

--- The targeting endpoints by level.
M.targeting = {}
local TARGETING_PATHS = {
  ADVERTISER = { "/ad_accounts/{ad_account_id}/targeting_analytics" },
  CAMPAIGN = { "/ad_accounts/{ad_account_id}/campaigns/targeting_analytics", "campaign_ids" },
  AD_GROUP = { "/ad_accounts/{ad_account_id}/ad_groups/targeting_analytics", "ad_group_ids" },
  AD = { "/ad_accounts/{ad_account_id}/ads/targeting_analytics", "ad_ids" },
}
for level, t in pairs(TARGETING_PATHS) do
  local list = P.list(M.TARGETING_TYPES[level], ",")
  local max = M.TARGETING_MAX[level]
  local ep = analytics(t[1], t[2] and { { t[2], 250, true } } or nil, {
    reporting_timezone = TZ.reporting_timezone,
    attribution_types = function(fn, name, v)
      local wire = P.list(M.ATTRIBUTION_TYPES, ",")(fn, name, v)
      return wire
    end,
    targeting_types = function(fn, name, v)
      local wire = list(fn, name, v)
      local n = select(2, wire:gsub(",", ",")) + 1
      if n > max then
        validate.fail(fn, "%s has %d values (allowed: at most %d at level %s)", name, n, max, level)
      end
      return wire
    end,
  }, { "targeting_types", "attribution_types", "reporting_timezone" }, nil, "ads_targeting")
  ep.required = { "targeting_types" }
  ep.level = level
  ep.hint = { targeting_types = "an array of " .. table.concat(M.TARGETING_TYPES[level], ", ") }
  M.targeting[level] = ep
end

-- lists -------------------------------------------------------------------------

local function id_list(max)
  return function(fn, name, v)
    if type(v) ~= "table" then validate.fail(fn, "%s must be an array of ids, got %s", name, validate.show(v)) end
    if #v == 0 then validate.fail(fn, "%s must not be empty", name) end
    if #v > max then validate.fail(fn, "%s has %d ids (allowed: at most %d)", name, #v, max) end
    local out = {}
    for i = 1, #v do out[i] = validate.digits(fn, name .. "[" .. i .. "]", v[i], 18) end
    return out
  end
end

local LIST = {
  entity_statuses = P.list(M.ENTITY_STATUSES), page_size = P.int(1, 250), order = P.enum(M.ORDERS),
  campaign_ids = id_list(250),
}
M.lists = {
  list_campaigns = { path = "/ad_accounts/{ad_account_id}/campaigns", params = LIST,
    order = { "campaign_ids", "entity_statuses", "order", "page_size" } },
  list_ad_groups = { path = "/ad_accounts/{ad_account_id}/ad_groups",
    params = with(LIST, { ad_group_ids = id_list(250), translate_interests_to_names = P.bool }),
    order = { "campaign_ids", "ad_group_ids", "entity_statuses", "order", "translate_interests_to_names",
      "page_size" } },
  list_ads = { path = "/ad_accounts/{ad_account_id}/ads",
    params = with(LIST, { ad_group_ids = id_list(250), ad_ids = id_list(250) }),
    order = { "campaign_ids", "ad_group_ids", "ad_ids", "entity_statuses", "order", "page_size" } },
}
--- GET /ad_accounts/{ad_account_id}: one ad account.
M.ad_account = { path = "/ad_accounts/{ad_account_id}", params = {}, order = {}, category = M.READ }

for name, ep in pairs(M.lists) do ep.name = name; ep.category = M.READ end
for name, ep in pairs(E) do ep.name = name end
for level, ep in pairs(M.targeting) do ep.name = "targeting_analytics" ep.level = level end
M.ad_account.name = "ad_account"

--- Every method of the client this module's tables describe: name -> its
-- endpoint table (targeting_analytics: its tables by level).
M.methods = { ad_account = M.ad_account, targeting_analytics = M.targeting }
for name, ep in pairs(E) do M.methods[name] = ep end
for name, ep in pairs(M.lists) do M.methods[name] = ep end

-- answers -------------------------------------------------------------------------

local function is_null(v) return type(v) == "userdata" end

local function got(v)
  if is_null(v) then return "got null" end
  if type(v) == "table" then return "got " .. ((next(v) == nil or v[1] ~= nil) and "an array" or "an object") end
  return "got a " .. type(v)
end

--- Checks one row as the C core's walk does (`core` shapes "ads_rows"),
-- naming the first field it refuses.
-- @tab row
-- @string path where the row is ("$[3]")
-- @return true | false, where, why
function M.row_ok(row, path)
  if type(row) ~= "table" or (row[1] ~= nil) then return false, path, "expected a row object, " .. got(row) end
  for k, v in pairs(row) do
    if type(k) ~= "string" then return false, path, "expected a row object, got an array" end
    local kind = columns.kind(k)
    local where = path .. "." .. k
    if v ~= nil and not is_null(v) and kind then
      if kind == "id" then
        if type(v) == "number" then
          if not (v >= 0 and v < 2 ^ 53 and v == math.floor(v)) then
            return false, where, "expected an id (a string of digits), got a number that cannot be exact"
          end
        elseif type(v) ~= "string" then
          return false, where, "expected an id (a string of digits), " .. got(v)
        end
      elseif kind ~= "string" then
        if type(v) ~= "number" then return false, where, "expected a number, " .. got(v) end
        if (kind == "count" or kind == "money_micro") and not (v > -2 ^ 53 and v < 2 ^ 53) then
          return false, where, "expected a whole number below 2^53, got one that cannot be exact"
        end
      end
    end
  end
  return true
end

--- Checks an answer of the analytics endpoints: an array of rows.
-- @param body
-- @return true | false, where, why
function M.rows_ok(body)
  if type(body) ~= "table" or (next(body) ~= nil and body[1] == nil) then
    return false, "$", "expected an array of rows, " .. got(body)
  end
  for i = 1, #body do
    local ok, where, why = M.row_ok(body[i], "$[" .. (i - 1) .. "]")
    if not ok then return false, where, why end
  end
  return true
end

--- Checks an answer of the targeting endpoints: `{ data = [ { targeting_type,
-- targeting_value, metrics = row } ] }`.
-- @param body
-- @return true | false, where, why
function M.targeting_ok(body)
  if type(body) ~= "table" or body[1] ~= nil then return false, "$", "expected an object {data}, " .. got(body) end
  local data = body.data
  if data == nil then return true end
  if type(data) ~= "table" or (next(data) ~= nil and data[1] == nil) then
    return false, "$.data", "expected an array, " .. got(data)
  end
  for i = 1, #data do
    local item, path = data[i], "$.data[" .. (i - 1) .. "]"
    if type(item) ~= "table" or item[1] ~= nil then return false, path, "expected an object, " .. got(item) end
    if item.targeting_type ~= nil and type(item.targeting_type) ~= "string" then
      return false, path .. ".targeting_type", "expected a string, " .. got(item.targeting_type)
    end
    if item.metrics ~= nil then
      local ok, where, why = M.row_ok(item.metrics, path .. ".metrics")
      if not ok then return false, where, why end
    end
  end
  return true
end

--- Checks a page of a list (`{ items = [ { id, ... } ], bookmark }`): each
-- item an object whose `id`, when present, is a string.
-- @param page
-- @return true | false, where, why
function M.list_ok(page)
  if type(page) ~= "table" or type(page.items) ~= "table" then return true end -- the pager names it
  for i = 1, #page.items do
    local item, path = page.items[i], "$.items[" .. (i - 1) .. "]"
    if type(item) ~= "table" or item[1] ~= nil then return false, path, "expected an object, " .. got(item) end
    if item.id ~= nil and type(item.id) ~= "string" then return false, path .. ".id", "expected a string, " .. got(item.id) end
  end
  return true
end

--- Checks GET /ad_accounts/{id}: an AdAccount (`id` a string; `currency` a string when present).
-- @param body
-- @return true | false, where, why
function M.account_ok(body)
  if type(body) ~= "table" or body[1] ~= nil then return false, "$", "expected an ad account object, " .. got(body) end
  if type(body.id) ~= "string" then return false, "$.id", "expected a string, " .. got(body.id) end
  for _, k in ipairs({ "name", "currency", "country" }) do
    if body[k] ~= nil and type(body[k]) ~= "string" then return false, "$." .. k, "expected a string, " .. got(body[k]) end
  end
  return true
end

return M
