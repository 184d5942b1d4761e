--- The simulator's ads routes: the synchronous ads analytics endpoints, the
-- targeting analytics, the lists of campaigns, ad groups and ads (bookmark
-- pages), and GET /v5/ad_accounts/{id}. Registered by the handler
-- (`pinanalytics.simulator.server`), whose helpers it is given.
--
-- Parameters are checked as the real API checks them (400 `{code, message}`):
-- required ones, enums, id lists (at most 250 ids, 100 pins), the 175
-- columns of the synchronous enum, and the date rules per granularity (not
-- HOUR: 90 days back and 90 days long; HOUR: 8 back and 3 long). The rows
-- come from `pinanalytics.simulator.ads_data`, so that they add up; days
-- after the simulator's today have no rows (TOTAL stops at today). HOUR rows
-- carry `DATE` (the day) and `HOUR` (0..23), and no conversion column.
-- WEEK rows start on Mondays and MONTH rows on the first of the month (the
-- first row of each at `start_date`). An id of another account, or one the
-- simulator does not have, gives no rows; so does an ad pin promoted in
-- another campaign than `campaign_id`. Targeting rows split each
-- entity's figures between a few values per targeting type, whole numbers
-- that sum to the entity's.
local ads_data = require "pinanalytics.simulator.ads_data"
local columns = require "pinanalytics.ads.columns"
local data = require "pinanalytics.simulator.data"

local M = {}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local SYNC = set_of(columns.SYNC)
local GRANULARITY = set_of({ "TOTAL", "DAY", "HOUR", "WEEK", "MONTH" })
local WINDOW_DAYS = set_of({ "0", "1", "7", "14", "30", "60" })
local TARGETING = {
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
local TARGETING_MAX = { ADVERTISER = 15, CAMPAIGN = 14, AD_GROUP = 14, AD = 14 }

--- The values a targeting type splits into, and their weights.
M.TARGETING_VALUES = {
  APPTYPE = { { "iphone", 5 }, { "android_mobile", 3 }, { "web", 2 } },
  GENDER = { { "female", 6 }, { "male", 3 }, { "unknown", 1 } },
  AGE_BUCKET = { { "18-24", 2 }, { "25-34", 4 }, { "35-44", 3 }, { "45+", 1 } },
  COUNTRY = { { "US", 7 }, { "CA", 2 }, { "GB", 1 } },
  PLACEMENT = { { "BROWSE", 6 }, { "SEARCH", 4 } },
  KEYWORD = { { "christmas decor ideas", 3 }, { "gift ideas", 2 } },
}
local OTHER_VALUES = { { "value 1", 1 }, { "value 2", 1 } }

--- Registers the routes.
-- @func route `route(method, pattern, handler)` of the handler
-- @tab h the handler's helpers: `send`, `fail`, `bad`, `one`, `page`
function M.register(route, h)
  local send, fail, bad, one, page = h.send, h.fail, h.bad, h.one, h.page

  -- all values of a repeated key
  local function many(v)
    if v == nil then return nil end
    if type(v) == "table" then return v end
    if v == true then return { "" } end
    return { v }
  end
  local function csv(v)
    v = one(v)
    if v == nil then return nil end
    local out = {}
    for x in v:gmatch("[^,]+") do out[#out + 1] = x end
    return out
  end

  local function account_of(prefix, id)
    if #id > 18 then bad(prefix, "ad_account_id", "must be at most 18 digits") end
    return ads_data.account(id)
  end

  local function check_ids(prefix, args, name, max, required)
    local list = many(args[name])
    if list == nil then
      if required then bad(prefix, name, "is required") end
      return nil
    end
    if #list < 1 then bad(prefix, name, "must have at least 1 item") end
    if #list > max then bad(prefix, name, "must have at most " .. max .. " items, got " .. #list) end
    for _, id in ipairs(list) do
      if not id:match("^%d+$") then bad(prefix, name, "must be digits, got " .. id) end
    end
    return list
  end

  -- the common checks: dates per granularity, columns, windows; returns them
  local function check_common(prefix, args, today, extra)
    local s, e = one(args.start_date), one(args.end_date)
    if not s then bad(prefix, "start_date", "is required") end
    if not e then bad(prefix, "end_date", "is required") end
    local sn, en = data.parse_date(s), data.parse_date(e)
    if not sn then bad(prefix, "start_date", "must be a date YYYY-MM-DD, got " .. s) end
    if not en then bad(prefix, "end_date", "must be a date YYYY-MM-DD, got " .. e) end
    if sn > en then bad(prefix, "start_date", "must not be after end_date") end
    local g = one(args.granularity)
    if not g then bad(prefix, "granularity", "is required") end
    if not GRANULARITY[g] then bad(prefix, "granularity", "must be one of TOTAL, DAY, HOUR, WEEK, MONTH") end
    local back, long = 90, 90
    if g == "HOUR" then back, long = 8, 3 end
    if data.parse_date(today) - sn > back then
      bad(prefix, "start_date", "is too far back: with granularity " .. g .. " data goes back " .. back .. " days")
    end
    if en - sn > long then
      bad(prefix, "end_date", "cannot be more than " .. long .. " days past start_date with granularity " .. g)
    end
    local cols = csv(args.columns)
    if not cols or #cols == 0 then bad(prefix, "columns", "is required") end
    for _, c in ipairs(cols) do
      if not SYNC[c] then bad(prefix, "columns", "has an invalid column " .. c) end
    end
    for _, w in ipairs({ "click_window_days", "engagement_window_days", "view_window_days" }) do
      local v = one(args[w])
      if v ~= nil and not WINDOW_DAYS[v] then bad(prefix, w, "must be one of 0, 1, 7, 14, 30, 60") end
    end
    local crt = one(args.conversion_report_time)
    if crt ~= nil and crt ~= "TIME_OF_AD_ACTION" and crt ~= "TIME_OF_CONVERSION" then
      bad(prefix, "conversion_report_time", "must be TIME_OF_AD_ACTION or TIME_OF_CONVERSION")
    end
    if extra.timezone then
      local tz = one(args.reporting_timezone)
      if tz ~= nil and tz ~= "PINTEREST_TIME_ZONE" and tz ~= "AD_ACCOUNT_TIME_ZONE" then
        bad(prefix, "reporting_timezone", "must be PINTEREST_TIME_ZONE or AD_ACCOUNT_TIME_ZONE")
      end
    end
    if extra.aggregate then
      local v = one(args.aggregate_report_rows)
      if v ~= nil and v ~= "true" and v ~= "false" then bad(prefix, "aggregate_report_rows", "must be true or false") end
    end
    -- no rows after today
    local last = math.min(en, data.parse_date(today))
    return { s = sn, e = last, g = g, cols = cols }
  end

  -- The periods of the granularity: { first, last, hour } day numbers.
  local function periods(c)
    local out = {}
    if c.e < c.s then return out end
    if c.g == "TOTAL" then
      out[1] = { c.s, c.e }
    elseif c.g == "DAY" then
      for n = c.s, c.e do out[#out + 1] = { n, n } end
    elseif c.g == "HOUR" then
      for n = c.s, c.e do
        for hr = 0, 23 do out[#out + 1] = { n, n, hr } end
      end
    else
      local first = c.s
      for n = c.s, c.e do
        local boundary
        if c.g == "WEEK" then
          boundary = (n + 3) % 7 == 6 -- day number 0 (1970-01-01) was a Thursday: this is a Sunday
        else
          boundary = n == c.e or data.format_date(n + 1):sub(9, 10) == "01"
        end
        if boundary or n == c.e then
          out[#out + 1] = { first, n }
          first = n + 1
        end
      end
    end
    return out
  end

  -- rows of entities (ids of level), the entity's id in key; aggregate: one
  -- set of rows for all of them, without key
  local function rows_of(level, ids, c, key, aggregate)
    local parts = ads_data.parts_of(c.cols)
    local out = {}
    local groups = {}
    if aggregate then groups[1] = ids else for _, id in ipairs(ids) do groups[#groups + 1] = { id } end end
    for _, group in ipairs(groups) do
      for _, p in ipairs(periods(c)) do
        local sums = ads_data.sums(level, group, data.format_date(p[1]), data.format_date(p[2]), parts, p[3])
        local row = ads_data.finish(level, not aggregate and group[1] or nil, sums, c.cols, p[3])
        if not aggregate then row[key] = group[1] end
        if c.g ~= "TOTAL" then row.DATE = data.format_date(p[1]) end
        if p[3] then row.HOUR = p[3] end
        out[#out + 1] = row
      end
    end
    return out
  end

  -- the ids of a level that the account has, in the order given, each once
  local function own(level, acct, ids)
    local out, seen = {}, {}
    for _, id in ipairs(ids) do
      local e = not seen[id] and ads_data.entity(level, id)
      if e and e.ad_account_id == acct then out[#out + 1] = id end
      seen[id] = true
    end
    return out
  end

  local PREFIX = "Invalid ads analytics parameters"

  local function analytics_route(pattern, level, key, spec)
    route("GET", pattern, function(_, args, today, acct)
      if not account_of(PREFIX, acct) then return fail(404, 2, "AdAccount not found.") end
      local ids
      if spec.ids then ids = check_ids(PREFIX, args, spec.ids, spec.max, true) end
      local campaign
      if spec.campaign_id then
        campaign = one(args.campaign_id)
        if not campaign then bad(PREFIX, "campaign_id", "is required") end
        if not campaign:match("^%d+$") or #campaign > 18 then bad(PREFIX, "campaign_id", "must be digits") end
      end
      local c = check_common(PREFIX, args, today, spec)
      local agg = one(args.aggregate_report_rows) == "true"
      if level == "ADVERTISER" then
        return send(200, rows_of(level, { acct }, c, key))
      end
      ids = own(level, acct, ids)
      if campaign then
        -- the pins promoted in that campaign only
        local kept = {}
        for _, id in ipairs(ids) do
          if ads_data.entity(level, id).campaign_id == campaign then kept[#kept + 1] = id end
        end
        ids = kept
      end
      return send(200, rows_of(level, ids, c, key, agg))
    end)
  end

  analytics_route("^/v5/ad_accounts/(%d+)/analytics$", "ADVERTISER", "AD_ACCOUNT_ID", { timezone = true })
  analytics_route("^/v5/ad_accounts/(%d+)/campaigns/analytics$", "CAMPAIGN", "CAMPAIGN_ID",
    { ids = "campaign_ids", max = 250, timezone = true, aggregate = true })
  analytics_route("^/v5/ad_accounts/(%d+)/ad_groups/analytics$", "AD_GROUP", "AD_GROUP_ID",
    { ids = "ad_group_ids", max = 250, timezone = true, aggregate = true })
  analytics_route("^/v5/ad_accounts/(%d+)/pins/analytics$", "PIN", "PIN_ID",
    { ids = "pin_ids", max = 100, campaign_id = true })
  analytics_route("^/v5/ad_accounts/(%d+)/product_groups/analytics$", "PRODUCT_GROUP", "PRODUCT_GROUP_ID",
    { ids = "product_group_ids", max = 250, timezone = true })

  -- ads: ad_ids, or campaign_ids and pin_ids
  route("GET", "^/v5/ad_accounts/(%d+)/ads/analytics$", function(_, args, today, acct)
    if not account_of(PREFIX, acct) then return fail(404, 2, "AdAccount not found.") end
    local ad_ids = check_ids(PREFIX, args, "ad_ids", 250)
    local campaign_ids = check_ids(PREFIX, args, "campaign_ids", 250)
    local pin_ids = check_ids(PREFIX, args, "pin_ids", 100)
    if not ad_ids and not (campaign_ids and pin_ids) then
      bad(PREFIX, "ad_ids", "is required, or campaign_ids and pin_ids")
    end
    local c = check_common(PREFIX, args, today, { timezone = true })
    local ids = ad_ids
    if not ids then
      local cs, ps = set_of(campaign_ids), set_of(pin_ids)
      ids = {}
      for _, ad in ipairs(ads_data.ads(acct)) do
        if cs[ad.campaign_id] and ps[ad.pin_id] then ids[#ids + 1] = ad.id end
      end
    end
    return send(200, rows_of("AD", own("AD", acct, ids), c, "AD_ID"))
  end)

  -- targeting analytics
  local function split(sums, parts, weights)
    local total = 0
    for _, w in ipairs(weights) do total = total + w[2] end
    local out = {}
    for i = 1, #weights do out[i] = {} end
    for _, p in ipairs(parts) do
      local before, cum = 0, 0
      for i, w in ipairs(weights) do
        cum = cum + w[2]
        local upto = math.floor(sums[p] * cum / total)
        out[i][p] = upto - before
        before = upto
      end
    end
    return out
  end

  local function targeting_route(pattern, level, ids_name, key)
    route("GET", pattern, function(_, args, today, acct)
      if not account_of(PREFIX, acct) then return fail(404, 2, "AdAccount not found.") end
      local ids = { acct }
      if ids_name then ids = check_ids(PREFIX, args, ids_name, 250, true) end
      local types = csv(args.targeting_types)
      if not types or #types == 0 then bad(PREFIX, "targeting_types", "is required") end
      if #types > TARGETING_MAX[level] then
        bad(PREFIX, "targeting_types", "must have at most " .. TARGETING_MAX[level] .. " items")
      end
      local allowed = set_of(TARGETING[level])
      for _, t in ipairs(types) do
        if not allowed[t] then bad(PREFIX, "targeting_types", "has an invalid value " .. t) end
      end
      local at = csv(args.attribution_types)
      if at then
        if #at > 2 then bad(PREFIX, "attribution_types", "must have at most 2 items") end
        for _, t in ipairs(at) do
          if t ~= "INDIVIDUAL" and t ~= "HOUSEHOLD" then bad(PREFIX, "attribution_types", "has an invalid value " .. t) end
        end
      end
      local c = check_common(PREFIX, args, today, { timezone = true })
      local lv = level
      if level ~= "ADVERTISER" then ids = own(level, acct, ids) end
      local parts = ads_data.parts_of(c.cols)
      local out = {}
      for _, id in ipairs(ids) do
        for _, p in ipairs(periods(c)) do
          local sums = ads_data.sums(lv, { id }, data.format_date(p[1]), data.format_date(p[2]), parts, p[3])
          for _, t in ipairs(types) do
            local weights = M.TARGETING_VALUES[t] or OTHER_VALUES
            for i, piece in ipairs(split(sums, parts, weights)) do
              local row = ads_data.finish(lv, id, piece, c.cols, p[3])
              row[key] = id
              if c.g ~= "TOTAL" then row.DATE = data.format_date(p[1]) end
              if p[3] then row.HOUR = p[3] end
              out[#out + 1] = { targeting_type = t, targeting_value = weights[i][1], metrics = row }
            end
          end
        end
      end
      return send(200, { data = out })
    end)
  end
  targeting_route("^/v5/ad_accounts/(%d+)/targeting_analytics$", "ADVERTISER", nil, "AD_ACCOUNT_ID")
  targeting_route("^/v5/ad_accounts/(%d+)/campaigns/targeting_analytics$", "CAMPAIGN", "campaign_ids", "CAMPAIGN_ID")
  targeting_route("^/v5/ad_accounts/(%d+)/ad_groups/targeting_analytics$", "AD_GROUP", "ad_group_ids", "AD_GROUP_ID")
  targeting_route("^/v5/ad_accounts/(%d+)/ads/targeting_analytics$", "AD", "ad_ids", "AD_ID")

  -- lists
  local LIST_PREFIX = "Invalid list parameters"
  local STATUSES = set_of({ "ACTIVE", "PAUSED", "ARCHIVED", "DRAFT", "DELETED_DRAFT" })
  local function list_route(pattern, items_of, filters)
    route("GET", pattern, function(ctl, args, _, acct)
      if not account_of(LIST_PREFIX, acct) then return fail(404, 2, "AdAccount not found.") end
      local statuses = many(args.entity_statuses) or { "ACTIVE", "PAUSED" }
      for _, s in ipairs(statuses) do
        if not STATUSES[s] then bad(LIST_PREFIX, "entity_statuses", "has an invalid value " .. s) end
      end
      local order = one(args.order)
      if order ~= nil and order ~= "ASCENDING" and order ~= "DESCENDING" then
        bad(LIST_PREFIX, "order", "must be ASCENDING or DESCENDING")
      end
      local v = one(args.translate_interests_to_names)
      if v ~= nil and v ~= "true" and v ~= "false" then
        bad(LIST_PREFIX, "translate_interests_to_names", "must be true or false")
      end
      local want = {}
      for _, f in ipairs(filters) do
        local ids = check_ids(LIST_PREFIX, args, f[1], 250)
        if ids then want[f[2]] = set_of(ids) end
      end
      local ok_status = set_of(statuses)
      local items = {}
      for _, it in ipairs(items_of(acct)) do
        local keep = ok_status[it.status]
        for field, set in pairs(want) do keep = keep and set[it[field]] end
        if keep then items[#items + 1] = it end
      end
      if order == "DESCENDING" then
        local rev = {}
        for i = #items, 1, -1 do rev[#rev + 1] = items[i] end
        items = rev
      end
      return page(ctl, args, items)
    end)
  end
  list_route("^/v5/ad_accounts/(%d+)/campaigns$", ads_data.campaigns, { { "campaign_ids", "id" } })
  list_route("^/v5/ad_accounts/(%d+)/ad_groups$", ads_data.ad_groups,
    { { "campaign_ids", "campaign_id" }, { "ad_group_ids", "id" } })
  list_route("^/v5/ad_accounts/(%d+)/ads$", ads_data.ads,
    { { "campaign_ids", "campaign_id" }, { "ad_group_ids", "ad_group_id" }, { "ad_ids", "id" } })

  -- the ad account (its documented fields)
  route("GET", "^/v5/ad_accounts/(%d+)$", function(_, _, _, acct)
    local a = account_of("Invalid parameters", acct)
    if not a then return fail(404, 2, "AdAccount not found.") end
    a.timezone = nil -- not a field of AdAccount in the description
    return send(200, a)
  end)
end

return M
