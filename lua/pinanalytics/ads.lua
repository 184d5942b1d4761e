--- Ads analytics on the Pinterest client: the synchronous analytics of an ad
-- account, its campaigns, ad groups, ads, ad pins and product groups, their
-- targeting analytics, and the lists that find what to ask about.
--
-- These are methods of `pinanalytics.pinterest`'s client (installed by it):
-- `client:campaign_analytics(ad_account_id, campaign_ids, params)` and so on.
-- Arguments are checked before anything is sent, as for the organic
-- methods: a programmer error raises naming the method, the parameter, what
-- was given and what is allowed; an unknown column names the nearest one
-- ("did you mean TOTAL_CLICKTHROUGH (Link clicks)?"). Run-time failures
-- return `nil, err`.
--
-- `params` of every analytics method: `start_date` and `end_date` (or
-- `range`, and `clamp` as for the organic methods); `columns` (required: an
-- array, or one comma-separated string, of the 175 columns of
-- `pinanalytics.ads.columns.SYNC`); `granularity` (required: "TOTAL", "DAY",
-- "HOUR", "WEEK" or "MONTH"); `click_window_days`, `engagement_window_days`,
-- `view_window_days` (0, 1, 7, 14, 30 or 60); `conversion_report_time`
-- ("TIME_OF_AD_ACTION" or "TIME_OF_CONVERSION"); `reporting_timezone`
-- ("PINTEREST_TIME_ZONE" or "AD_ACCOUNT_TIME_ZONE") where the endpoint takes
-- it; `aggregate_report_rows` (campaigns, ad groups).
--
-- Date rules, said before sending: `start_date` at most 90 days before
-- today (UTC) and `end_date` at most 90 days after it; with granularity
-- HOUR, 8 days back and 3 days after. A longer range is split into windows
-- with granularity DAY or HOUR (the rows of the windows are one array); with
-- TOTAL, WEEK or MONTH it raises, since rows of parts of a period cannot be
-- added (their ratios would be wrong).
--
-- Id lists longer than a request takes (250 ids; 100 pins) are sent in
-- chunks, concurrently and paced in the `ads_analytics` rate-limit category
-- (give it a budget of its own with `rate = { categories = { ads_analytics =
-- { per_minute = 300 } } }`). The answer is one array of flat rows, typed in
-- C by the column catalogue as it is decoded: ids strings, counts and
-- `*_IN_MICRO_DOLLAR` money integers (exact), rates and money in units floats.
-- A failed request fails the call (`nil, err`): never fewer rows as if complete.
-- @module pinanalytics.ads
-- @usage
-- local rows = assert(client:campaign_analytics(ad_account_id, { campaign_id }, {
--   range = pa.dates.last(30), granularity = "DAY",
--   columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CLICKTHROUGH", "CTR" } }))
-- for _, r in ipairs(rows) do print(r.CAMPAIGN_ID, r.DATE, r.SPEND_IN_MICRO_DOLLAR) end
local columns = require "pinanalytics.ads.columns"
local dates = require "pinanalytics.dates"
local endpoints = require "pinanalytics.ads.endpoints"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local validate = require "pinanalytics.pinterest.validate"

local M = {}

local fail, show = validate.fail, validate.show
local E = endpoints.endpoints

--- The columns of the synchronous endpoints (`pinanalytics.ads.columns.SYNC`).
M.COLUMNS = columns.SYNC
--- Values of `granularity`.
M.GRANULARITIES = endpoints.GRANULARITIES
--- The date rules (`{ lookback, range }` in days) when granularity is not HOUR.
M.DATES = endpoints.DATES
--- The date rules with granularity HOUR.
M.HOUR_DATES = endpoints.HOUR_DATES
--- `targeting_types` by level of `targeting_analytics`.
M.TARGETING_TYPES = endpoints.TARGETING_TYPES
--- The client's ads methods by name, each with its endpoint table (the
-- targeting analytics: a table by level): what `install` adds.
M.METHODS = endpoints.methods

local SYNC_SET = validate.set_of(columns.SYNC)
local GRANULARITY_SET = validate.set_of(endpoints.GRANULARITIES)
local SPLITTABLE = { DAY = true, HOUR = true }
local COMMON = { columns = true, granularity = true }

-- The columns, checked: a fresh array without duplicates. An unknown name
-- raises with the nearest column.
local function check_columns(fn, v)
  local list = v
  if type(v) == "string" then
    list = {}
    for m in v:gmatch("[^,]+") do list[#list + 1] = m end
  elseif type(v) ~= "table" then
    fail(fn, "columns must be an array of column names, got %s", show(v))
  end
  if #list == 0 then fail(fn, "columns must not be empty (the 175 names of pinanalytics.ads.columns.SYNC)") end
  local out, seen = {}, {}
  for i = 1, #list do
    local c = list[i]
    if not SYNC_SET[c] then
      local hint
      if type(c) == "string" and columns.get(c) then
        hint = "a column of async reports only, not of the synchronous endpoints"
      else
        local near = type(c) == "string" and columns.suggest(c, columns.SYNC)
        hint = near and string.format("did you mean %s (%s)?", near, columns.label(near)) or
          "see pinanalytics.ads.columns.SYNC"
      end
      fail(fn, "columns[%d] = %s is not a column of the synchronous ads endpoints (%s)", i, show(c), hint)
    end
    if not seen[c] then seen[c] = true; out[#out + 1] = c end
  end
  return out
end

-- An id list, checked (strings of digits), duplicates asked once.
local function check_ids(fn, name, v, required)
  if v == nil then
    if required then fail(fn, "%s is required (a non-empty array of ids, strings of digits)", name) end
    return nil
  end
  if type(v) ~= "table" then fail(fn, "%s must be an array of ids (strings of digits), got %s", name, show(v)) end
  if #v == 0 then fail(fn, "%s must not be empty (an array of ids, strings of digits)", name) end
  local out, seen = {}, {}
  for i = 1, #v do
    validate.digits(fn, name .. "[" .. i .. "]", v[i], 18)
    if not seen[v[i]] then seen[v[i]] = true; out[#out + 1] = v[i] end
  end
  return out
end

-- Splits a list into chunks of at most n.
local function chunks(list, n)
  local out = {}
  for first = 1, #list, n do
    local c = {}
    for i = first, math.min(first + n - 1, #list) do c[#c + 1] = list[i] end
    out[#out + 1] = c
  end
  return out
end

-- Checks params against ep and returns the plan: the query pairs every
-- request shares, the windows (start, end), and info (clamped dates).
-- ids_in_params: names of id lists taken from params (ad_analytics).
local function plan(fn, ep, params, clock, ids_in_params)
  if params == nil then fail(fn, "params is required (a table with columns, granularity and the dates)") end
  if type(params) ~= "table" then fail(fn, "params must be a table, got %s", show(params)) end
  for k in pairs(params) do
    if not (ep.params[k] or COMMON[k] or validate.DATED[k] or (ids_in_params and ids_in_params[k])) then
      local names = {}
      for n in pairs(ep.params) do names[#names + 1] = n end
      for n in pairs(COMMON) do names[#names + 1] = n end
      for n in pairs(validate.DATED) do names[#names + 1] = n end
      for n in pairs(ids_in_params or {}) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown parameter %s (known: %s)", show(k), table.concat(names, ", "))
    end
  end
  local g = params.granularity
  if g == nil then fail(fn, "granularity is required (allowed: %s)", table.concat(endpoints.GRANULARITIES, ", ")) end
  if not GRANULARITY_SET[g] then
    fail(fn, "granularity = %s is not allowed (allowed: %s)", show(g), table.concat(endpoints.GRANULARITIES, ", "))
  end
  if params.columns == nil then
    fail(fn, "columns is required (an array of the 175 names of pinanalytics.ads.columns.SYNC)")
  end
  local cols = check_columns(fn, params.columns)
  local rules = g == "HOUR" and endpoints.HOUR_DATES or endpoints.DATES
  -- the dates and the lookback (a longer range is split below)
  local s, e, dropped = validate.dates(fn, params, { lookback = rules.lookback, range = math.huge }, clock)
  local sn, en = dates.parse(s), dates.parse(e)
  local windows = {}
  if en - sn > rules.range then
    if not SPLITTABLE[g] then
      fail(fn, "end_date %s is %d days after start_date %s (allowed with granularity %s: at most %d; a longer " ..
        "range is split into windows only with granularity DAY or HOUR, since rows of parts of a period cannot " ..
        "be added)", e, en - sn, s, g, rules.range)
    end
    for first = sn, en, rules.range + 1 do
      windows[#windows + 1] = { dates.format(first), dates.format(math.min(first + rules.range, en)) }
    end
  else
    windows[1] = { s, e }
  end
  local q = validate.add_params(fn, ep, params,
    { { "columns", table.concat(cols, ","), true }, { "granularity", g, true } })
  local info = { windows = #windows, granularity = g, columns = cols }
  if dropped then
    info.clamped, info.dropped, info.range = true, dropped, dates.range(s, e)
  end
  return q, windows, info
end

local function path_of(ep, ad_account_id)
  return (ep.path:gsub("{ad_account_id}", ad_account_id))
end

local function shape_error(self, meta, path, where, why, body)
  return errors.new({
    kind = "invalid_response", status = meta.status, request_id = meta.request_id,
    endpoint = "GET " .. path, path = where, body = body,
    message = "the answer does not have the documented shape: " .. where .. " " .. why,
  }, self.secrets)
end

-- Runs the requests: for each window, each combination of id chunks
-- (id_sets: { { name, chunks } ... }); rows merged in the order of the
-- requests. Returns rows, nil, info | nil, err, info.
local function run(self, fn, ep, ad_account_id, q, windows, info, id_sets, collect)
  local path = path_of(ep, ad_account_id)
  -- every combination of one chunk of each id list
  local combos = { {} }
  for _, set in ipairs(id_sets) do
    local next_combos = {}
    for _, combo in ipairs(combos) do
      for _, chunk in ipairs(set[2]) do
        local c = {}
        for i, x in ipairs(combo) do c[i] = x end
        c[#c + 1] = { set[1], chunk }
        next_combos[#next_combos + 1] = c
      end
    end
    combos = next_combos
  end
  local parts, jobs, first_err = {}, {}, nil
  local check = ep.shape == "ads_targeting" and endpoints.targeting_ok or endpoints.rows_ok
  for _, win in ipairs(windows) do
    for _, combo in ipairs(combos) do
      local rq = { { "start_date", win[1], true }, { "end_date", win[2], true } }
      for _, set in ipairs(combo) do
        for _, id in ipairs(set[2]) do rq[#rq + 1] = { set[1], id, true } end
      end
      for _, p in ipairs(q) do rq[#rq + 1] = p end
      local n = #jobs + 1
      jobs[n] = {
        target = path .. http.query(rq), category = ep.category, endpoint = "GET " .. path, shape = ep.shape,
        pins = 1,
        done = function(ok, body, meta)
          if not ok then
            first_err = first_err or { n, self:_hint(body) }
            return
          end
          if not meta.shape_ok then
            local good, where, why = check(body)
            if not good then
              first_err = first_err or { n, shape_error(self, meta, path, where, why, body) }
              return
            end
          end
          parts[n] = body
        end,
      }
    end
  end
  local result, progress_errors = self:_run(fn, jobs, #jobs)
  info.requests = #jobs
  info.progress_errors = progress_errors
  if result.stopped then
    return nil, result.stopped, info
  end
  if first_err then
    return nil, first_err[2], info
  end
  local rows = {}
  for n = 1, #jobs do
    if parts[n] == nil then
      -- a request with neither an answer nor an error: never fewer rows as if complete
      return nil, errors.new({ kind = "invalid_response", endpoint = "GET " .. path,
        message = "a request of the call was not answered" }, self.secrets), info
    end
    collect(rows, parts[n])
  end
  return rows, nil, info
end

local function append_rows(rows, body)
  for _, r in ipairs(body) do rows[#rows + 1] = r end
end
local function append_targeting(rows, body)
  if type(body.data) == "table" then
    for _, r in ipairs(body.data) do rows[#rows + 1] = r end
  end
end

-- One analytics method: the id lists of ep from the arguments (or params).
local function analytics(self, fn, ep, ad_account_id, given_ids, params)
  validate.digits(fn, "ad_account_id", ad_account_id, 18)
  local q, windows, info = plan(fn, ep, params, self.clock)
  local sets = {}
  for _, spec in ipairs(ep.ids) do
    local ids = given_ids[spec[1]]
    if ids then sets[#sets + 1] = { spec[1], chunks(ids, spec[2]) } end
  end
  return run(self, fn, ep, ad_account_id, q, windows, info, sets, append_rows)
end

--- The Client methods this module adds.
-- @section client
local Client = {}

--- An ad account's analytics: `GET /ad_accounts/{ad_account_id}/analytics`.
-- @string ad_account_id a string of digits
-- @tab params as the module says (dates, `columns`, `granularity`, windows, `conversion_report_time`,
-- `reporting_timezone`)
-- @treturn[1] table an array of rows `{ AD_ACCOUNT_ID = "...", DATE = "YYYY-MM-DD" (not with TOTAL),
-- SPEND_IN_MICRO_DOLLAR = 123450000, CTR = 0.0123, ... }`; a column without a value may be absent
-- @treturn[1] nil
-- @treturn[1] table info: `requests` (how many were sent), `windows`, `granularity`, `columns`, and with
-- `clamp` `clamped`, `dropped`, `range`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
-- @treturn[2] table info
function Client:ad_account_analytics(ad_account_id, params)
  return analytics(self, "ad_account_analytics", E.ad_account_analytics, ad_account_id, {}, params)
end

--- Campaigns' analytics: `GET /ad_accounts/{ad_account_id}/campaigns/analytics`,
-- 250 campaigns a request.
-- @string ad_account_id a string of digits
-- @tparam {string,...} campaign_ids any number (duplicates asked once)
-- @tab params as for `ad_account_analytics`, and `aggregate_report_rows` (true: one row for all of them,
-- without `CAMPAIGN_ID`: with more than 250 campaigns, one such row per request)
-- @return as `ad_account_analytics`, the rows with `CAMPAIGN_ID`
function Client:campaign_analytics(ad_account_id, campaign_ids, params)
  local fn = "campaign_analytics"
  return analytics(self, fn, E.campaign_analytics, ad_account_id,
    { campaign_ids = check_ids(fn, "campaign_ids", campaign_ids, true) }, params)
end

--- Ad groups' analytics: `GET /ad_accounts/{ad_account_id}/ad_groups/analytics`,
-- 250 ad groups a request.
-- @string ad_account_id a string of digits
-- @tparam {string,...} ad_group_ids any number
-- @tab params as for `campaign_analytics`
-- @return as `ad_account_analytics`, the rows with `AD_GROUP_ID`
function Client:ad_group_analytics(ad_account_id, ad_group_ids, params)
  local fn = "ad_group_analytics"
  return analytics(self, fn, E.ad_group_analytics, ad_account_id,
    { ad_group_ids = check_ids(fn, "ad_group_ids", ad_group_ids, true) }, params)
end

--- Ads' analytics: `GET /ad_accounts/{ad_account_id}/ads/analytics`. The
-- ads are given as the endpoint takes them: `params.ad_ids` (250 a
-- request), or `params.campaign_ids` and `params.pin_ids` together (the ads
-- of those campaigns that promote those pins; 250 campaigns and 100 pins a
-- request, every pair asked once).
-- @string ad_account_id a string of digits
-- @tab params as for `ad_account_analytics`, with `ad_ids`, or `campaign_ids` and `pin_ids`
-- @return as `ad_account_analytics`, the rows with `AD_ID`
function Client:ad_analytics(ad_account_id, params)
  local fn = "ad_analytics"
  if type(params) ~= "table" then fail(fn, "params is required (a table with ad_ids, or campaign_ids and pin_ids)") end
  local ids = {
    ad_ids = check_ids(fn, "ad_ids", params.ad_ids), campaign_ids = check_ids(fn, "campaign_ids", params.campaign_ids),
    pin_ids = check_ids(fn, "pin_ids", params.pin_ids),
  }
  if ids.ad_ids and (ids.campaign_ids or ids.pin_ids) then
    fail(fn, "give either ad_ids, or campaign_ids and pin_ids, not both")
  end
  if not ids.ad_ids and not (ids.campaign_ids and ids.pin_ids) then
    fail(fn, "ad_ids is required, or campaign_ids and pin_ids together (the endpoint takes the ads so)")
  end
  validate.digits(fn, "ad_account_id", ad_account_id, 18)
  local rest = {}
  for k, v in pairs(params) do
    if k ~= "ad_ids" and k ~= "campaign_ids" and k ~= "pin_ids" then rest[k] = v end
  end
  local ep = E.ad_analytics
  local q, windows, info = plan(fn, ep, rest, self.clock, { ad_ids = true, campaign_ids = true, pin_ids = true })
  local sets = {}
  for _, spec in ipairs(ep.ids) do
    if ids[spec[1]] then sets[#sets + 1] = { spec[1], chunks(ids[spec[1]], spec[2]) } end
  end
  return run(self, fn, ep, ad_account_id, q, windows, info, sets, append_rows)
end

--- Ad pins' analytics: `GET /ad_accounts/{ad_account_id}/pins/analytics`,
-- 100 pins a request.
-- @string ad_account_id a string of digits
-- @tparam {string,...} pin_ids any number
-- @tab params as for `ad_account_analytics`, with `campaign_id` (required: the campaign the pins are promoted in)
-- @return as `ad_account_analytics`, the rows with `PIN_ID`
function Client:ad_pin_analytics(ad_account_id, pin_ids, params)
  local fn = "ad_pin_analytics"
  return analytics(self, fn, E.ad_pin_analytics, ad_account_id, { pin_ids = check_ids(fn, "pin_ids", pin_ids, true) },
    params)
end

--- Product groups' analytics: `GET /ad_accounts/{ad_account_id}/product_groups/analytics`,
-- 250 product groups a request.
-- @string ad_account_id a string of digits
-- @tparam {string,...} product_group_ids any number
-- @tab params as for `ad_account_analytics`
-- @return as `ad_account_analytics`, the rows with `PRODUCT_GROUP_ID`
function Client:product_group_analytics(ad_account_id, product_group_ids, params)
  local fn = "product_group_analytics"
  return analytics(self, fn, E.product_group_analytics, ad_account_id,
    { product_group_ids = check_ids(fn, "product_group_ids", product_group_ids, true) }, params)
end

--- Targeting analytics (how figures split by age, gender, placement,
-- keyword...) of the account, its campaigns, ad groups or ads:
-- `GET /ad_accounts/{id}/targeting_analytics`, `.../campaigns/targeting_analytics`,
-- `.../ad_groups/targeting_analytics`, `.../ads/targeting_analytics`.
-- @string level "ADVERTISER" (the account; ids nil), "CAMPAIGN", "AD_GROUP" or "AD"
-- @string ad_account_id a string of digits
-- @tparam {string,...}|nil ids the campaigns, ad groups or ads (250 a request)
-- @tab params as for `ad_account_analytics`, with `targeting_types` (required: an array of
-- `TARGETING_TYPES[level]`, at most 15 for the account and 14 for the others) and `attribution_types`
-- ("INDIVIDUAL", "HOUSEHOLD")
-- @treturn[1] table an array of `{ targeting_type, targeting_value, metrics = row }` (the `data` of every answer)
-- @treturn[1] nil
-- @treturn[1] table info as for `ad_account_analytics`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:targeting_analytics(level, ad_account_id, ids, params)
  local fn = "targeting_analytics"
  local ep = endpoints.targeting[level]
  if not ep then
    fail(fn, "level = %s is not allowed (allowed: %s)", show(level), table.concat(endpoints.TARGETING_LEVELS, ", "))
  end
  validate.digits(fn, "ad_account_id", ad_account_id, 18)
  local sets = {}
  local spec = ep.ids[1]
  if spec then
    local list = check_ids(fn, "ids", ids, true)
    sets[1] = { spec[1], chunks(list, spec[2]) }
  elseif ids ~= nil then
    fail(fn, "ids must be nil at level ADVERTISER (the account itself), got %s", show(ids))
  end
  local q, windows, info = plan(fn, ep, params, self.clock)
  return run(self, fn, ep, ad_account_id, q, windows, info, sets, append_targeting)
end

-- lists --------------------------------------------------------------------------

local function list_query(fn, ep, params)
  if params == nil then params = {} end
  if type(params) ~= "table" then fail(fn, "params must be a table, got %s", show(params)) end
  for k in pairs(params) do
    if not ep.params[k] then
      local names = {}
      for n in pairs(ep.params) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown parameter %s (known: %s)", show(k), table.concat(names, ", "))
    end
  end
  local q = {}
  for _, name in ipairs(ep.order) do
    local v = params[name]
    if v ~= nil then
      local wire = ep.params[name](fn, name, v)
      if type(wire) == "table" then
        for _, x in ipairs(wire) do q[#q + 1] = { name, x, true } end
      else
        q[#q + 1] = { name, wire, true }
      end
    end
  end
  return q
end

local function lister(name)
  local ep = endpoints.lists[name]
  return function(self, ad_account_id, params)
    validate.digits(name, "ad_account_id", ad_account_id, 18)
    local q = list_query(name, ep, params)
    return self:_pager(path_of(ep, ad_account_id), q, nil, endpoints.list_ok, ep.category)
  end
end

--- An ad account's campaigns: `GET /ad_accounts/{ad_account_id}/campaigns`,
-- page by page (`id`, `name`, `status`, `objective_type`, `daily_spend_cap`,
-- `lifetime_spend_cap`, ...). Nothing is fetched until the pager is iterated.
-- @string ad_account_id a string of digits
-- @tab[opt] params
-- @tparam[opt] {string,...} params.entity_statuses of "ACTIVE", "PAUSED", "ARCHIVED", "DRAFT",
-- "DELETED_DRAFT" (the API's default: ACTIVE and PAUSED)
-- @tparam[opt] {string,...} params.campaign_ids only these (at most 250)
-- @string[opt] params.order "ASCENDING" or "DESCENDING"
-- @int[opt] params.page_size 1..250
-- @treturn pinanalytics.paginate.Pager
-- @usage for c in client:list_campaigns(acct, { entity_statuses = { "ACTIVE" } }):items() do print(c.id, c.name) end
Client.list_campaigns = lister("list_campaigns")

--- An ad account's ad groups: `GET /ad_accounts/{ad_account_id}/ad_groups`, page by page
-- (`id`, `name`, `status`, `campaign_id`, `budget_in_micro_currency`, ...).
-- @string ad_account_id a string of digits
-- @tab[opt] params as for `list_campaigns`, with `ad_group_ids` (at most 250) and
-- `translate_interests_to_names` (a boolean)
-- @treturn pinanalytics.paginate.Pager
Client.list_ad_groups = lister("list_ad_groups")

--- An ad account's ads: `GET /ad_accounts/{ad_account_id}/ads`, page by page
-- (`id`, `name`, `status`, `campaign_id`, `ad_group_id`, `pin_id`, `creative_type`, ...).
-- @string ad_account_id a string of digits
-- @tab[opt] params as for `list_ad_groups`, with `ad_ids` (at most 250)
-- @treturn pinanalytics.paginate.Pager
Client.list_ads = lister("list_ads")

--- One ad account: `GET /ad_accounts/{ad_account_id}` (`id`, `name`, `owner`,
-- `country`, `currency`: the currency of its money columns, `permissions`, ...).
-- @string ad_account_id a string of digits
-- @treturn[1] table the ad account
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:ad_account(ad_account_id)
  validate.digits("ad_account", "ad_account_id", ad_account_id, 18)
  return self:_read(path_of(endpoints.ad_account, ad_account_id), {}, endpoints.account_ok, endpoints.ad_account.category)
end

--- Adds the methods to the Pinterest client's method table (called once by
-- `pinanalytics.pinterest`, before it guards its methods).
-- @tab client_methods the Client table of `pinanalytics.pinterest`
function M.install(client_methods)
  for name, f in pairs(Client) do client_methods[name] = f end
end

return M
