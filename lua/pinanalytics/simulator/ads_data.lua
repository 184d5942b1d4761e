--- Deterministic ads data for the simulator: ad accounts, campaigns, ad
-- groups, ads, ad pins, product groups, and their figures by day and hour.
--
-- Pure functions of ids and dates, identical on every Lua (5.1-5.4, LuaJIT:
-- every intermediate below 2^52, no bit operations), so that a test can
-- compute what the simulator must have answered.
--
-- The figures add up. The leaves are the ads: each ad's day is drawn from its
-- id and the date; an ad group's day is the sum of its ads' days, a
-- campaign's the sum of its ad groups', the account's the sum of its
-- campaigns'. An ad pin's day is the sum of the ads that promote it (here
-- one each), a product group's the sum of the ads of its ad group that it
-- holds (ad k of an ad group is in product group ((k - 1) % 2) + 1).
-- Spend is in micro-units of the account's currency (integers). Ratios
-- (CTR, CPC, CPM, ROAS, conversion rates, costs per action, averages) are
-- never summed: `row` computes them from the sums of their parts, and leaves
-- them out (nil) when the part they divide by is zero, as the API leaves out
-- a column that has no value. An HOUR splits an ad's day into 24 parts that
-- sum to the day (`hours`); hours of an entity are sums of its ads' hours.
--
-- Relations between additive columns that hold in every row: `TOTAL_X` is
-- `X_1 + X_2` (paid and earned) where both exist (`TOTAL_CLICKTHROUGH`,
-- `TOTAL_IMPRESSION`, `TOTAL_ENGAGEMENT`, `TOTAL_WEB_SESSIONS`, the video
-- and idea pin columns); `PAID_IMPRESSION` is `IMPRESSION_1`;
-- `TOTAL_<EVENT>` (and its `_VALUE_IN_MICRO_DOLLAR`, `_QUANTITY`) is the sum
-- of `TOTAL_CLICK_<EVENT>`, `TOTAL_ENGAGEMENT_<EVENT>` and `TOTAL_VIEW_<EVENT>`
-- for the events that have the three; `TOTAL_CONVERSIONS` (and its value and
-- quantity) is the sum of the `TOTAL_<EVENT>` of those events;
-- `SPEND_IN_DOLLAR` is `SPEND_IN_MICRO_DOLLAR / 1e6`.
--
-- Not played (always nil): what belongs to a level the synchronous
-- endpoints do not have or to a feature the simulator lacks: the
-- `PRODUCT_ITEM_*` attributes, `STANDARD_AD_FEED_ITEM_ID`, `PROMO_*`,
-- `ORDER_LINE_*`, `CAMPAIGN_BRAND_LABEL`, `CAMPAIGN_CUSTOM_LABELS`,
-- `CAMPAIGN_MANAGED_STATUS`, `AD_GROUP_BID_MULTIPLIER`,
-- `PRODUCT_GROUP_AD_IMAGE_TAG`, `PRODUCT_GROUP_AD_VIDEO_TAG`; and an
-- attribute of a level above the row's (`CAMPAIGN_NAME` in an account's row).
-- Every other column of the synchronous and asynchronous enums is computed.
-- @usage
-- local ads = require "pinanalytics.simulator.ads_data"
-- local acct = ads.ACCOUNTS[1]
-- local c = ads.campaigns(acct)[1]
-- local row = ads.row("CAMPAIGN", c.id, "2026-11-01", "2026-11-30", { "SPEND_IN_MICRO_DOLLAR", "CTR" })
local columns = require "pinanalytics.ads.columns"
local data = require "pinanalytics.simulator.data"

local M = {}

local floor = math.floor

local function rnd(key, lo, hi)
  return lo + data.hash(key) % (hi - lo + 1)
end

-- entities ------------------------------------------------------------------

--- Campaigns per ad account.
M.CAMPAIGNS = 4
--- Ad groups per campaign.
M.AD_GROUPS = 2
--- Ads per ad group.
M.ADS = 3
--- Product groups per ad group.
M.PRODUCT_GROUPS = 2
--- Ad account numbers `account` recognises: 1 .. MAX_ACCOUNTS (GET
-- /v5/ad_accounts lists the first `ad_accounts_count`, 2 by default).
M.MAX_ACCOUNTS = 50

local N_ACCOUNT = 31337 -- as data.ad_account_id_of

--- The ad accounts GET /v5/ad_accounts lists by default (its first two).
M.ACCOUNTS = { data.ad_account_id_of(1), data.ad_account_id_of(2) }

local function number_of_account(id)
  if type(id) ~= "string" or not id:match("^5490%d%d%d%d%d%d%d%d%d%d%d%d%d%d$") then return nil end
  local n = tonumber(id:sub(5))
  if n % N_ACCOUNT ~= 0 then return nil end
  local a = math.floor(n / N_ACCOUNT)
  if a < 1 or a > M.MAX_ACCOUNTS then return nil end
  return a
end

local function id_of(prefix, n) return prefix .. string.format("%014d", n) end

-- entity numbers: account a, campaign c (1..CAMPAIGNS), ad group g, ad k, product group p
local function campaign_id(a, c) return id_of("6260", (a * 100 + c) * 7907) end
local function ad_group_id(a, c, g) return id_of("2680", ((a * 100 + c) * 10 + g) * 6133) end
local function ad_id(a, c, g, k) return id_of("6870", (((a * 100 + c) * 10 + g) * 10 + k) * 4451) end
local function ad_pin_id(a, c, g, k) return id_of("9100", (((a * 100 + c) * 10 + g) * 10 + k) * 3989) end
local function product_group_id(a, c, g, p) return id_of("2690", (((a * 100 + c) * 10 + g) * 10 + p) * 2917) end

local CAMPAIGN_STATUS = { "ACTIVE", "ACTIVE", "PAUSED", "ARCHIVED" }
local OBJECTIVES = { "AWARENESS", "CONSIDERATION", "WEB_CONVERSION", "CATALOG_SALES" }
local CAMPAIGN_NAMES = { "Holiday gifts", "Spring kitchen", "Garden ideas", "Autumn home" }
local CREATIVE = { "REGULAR", "VIDEO", "CAROUSEL" }

--- The ad account, as GET /v5/ad_accounts/{id} gives it (with `timezone`,
-- the zone the simulator reports in, which is UTC), or nil for an id the
-- simulator does not have.
-- @string ad_account_id
-- @treturn table|nil `{ id, name, owner, country, currency, timezone, permissions, created_time, updated_time }`
function M.account(ad_account_id)
  local a = number_of_account(ad_account_id)
  if not a then return nil end
  return {
    id = ad_account_id, name = "Simulated ad account " .. a,
    owner = { username = data.ACCOUNT_USERNAME, id = data.ACCOUNT_ID },
    country = "US", currency = "USD", timezone = "UTC", permissions = { "OWNER" },
    created_time = 1700000000 + a * 86400, updated_time = 1750000000 + a * 86400,
  }
end

-- The index of every entity id: id -> { level, a, c, g, k|p }. Built per
-- account on first use.
local index, indexed = {}, {}

local function campaign_obj(a, c)
  local id = campaign_id(a, c)
  return {
    id = id, ad_account_id = data.ad_account_id_of(a), name = CAMPAIGN_NAMES[c] .. " " .. a,
    status = CAMPAIGN_STATUS[c], objective_type = OBJECTIVES[c],
    lifetime_spend_cap = c == 1 and 0 or c * 500000000, daily_spend_cap = c * 25000000,
    order_line_id = nil, tracking_urls = nil, start_time = 1760000000 + c * 86400, end_time = nil,
    is_flexible_daily_budgets = false, is_campaign_budget_optimization = c == 3,
    summary_status = CAMPAIGN_STATUS[c] == "ACTIVE" and "RUNNING" or CAMPAIGN_STATUS[c],
    created_time = 1759000000 + c * 3600, updated_time = 1765000000 + c * 3600, type = "campaign",
  }
end

local function ad_group_obj(a, c, g)
  local status = (c == 2 and g == 2) and "PAUSED" or CAMPAIGN_STATUS[c]
  return {
    id = ad_group_id(a, c, g), ad_account_id = data.ad_account_id_of(a), campaign_id = campaign_id(a, c),
    name = CAMPAIGN_NAMES[c] .. " " .. a .. " - group " .. g, status = status,
    budget_in_micro_currency = (c + g) * 10000000, bid_in_micro_currency = 1500000 + g * 250000,
    budget_type = "DAILY", billable_event = "IMPRESSION", optimization_goal_metadata = nil,
    start_time = 1760000000 + c * 86400, end_time = nil, pacing_delivery_type = "STANDARD",
    summary_status = status == "ACTIVE" and "RUNNING" or status,
    created_time = 1759100000 + c * 3600 + g * 60, updated_time = 1765100000 + c * 3600 + g * 60, type = "adgroup",
  }
end

local function ad_obj(a, c, g, k)
  local status = k == 3 and "PAUSED" or ad_group_obj(a, c, g).status
  return {
    id = ad_id(a, c, g, k), ad_account_id = data.ad_account_id_of(a), campaign_id = campaign_id(a, c),
    ad_group_id = ad_group_id(a, c, g), pin_id = ad_pin_id(a, c, g, k),
    name = CAMPAIGN_NAMES[c] .. " " .. a .. " - group " .. g .. " - ad " .. k, status = status,
    creative_type = CREATIVE[k], destination_url = "https://example.com/shop/" .. c .. "/" .. g .. "/" .. k,
    review_status = "APPROVED", summary_status = status == "ACTIVE" and "RUNNING" or status,
    created_time = 1759200000 + c * 3600 + g * 60 + k, updated_time = 1765200000 + c * 3600 + g * 60 + k,
    type = "pinpromotion",
  }
end

local function product_group_obj(a, c, g, p)
  return {
    id = product_group_id(a, c, g, p), ad_group_id = ad_group_id(a, c, g), campaign_id = campaign_id(a, c),
    ad_account_id = data.ad_account_id_of(a), status = "ACTIVE", name = "Product group " .. p,
  }
end

local function build_index(a)
  if indexed[a] then return end
  indexed[a] = true
  index[data.ad_account_id_of(a)] = { "ADVERTISER", a }
  for c = 1, M.CAMPAIGNS do
    index[campaign_id(a, c)] = { "CAMPAIGN", a, c }
    for g = 1, M.AD_GROUPS do
      index[ad_group_id(a, c, g)] = { "AD_GROUP", a, c, g }
      for k = 1, M.ADS do
        index[ad_id(a, c, g, k)] = { "AD", a, c, g, k }
        index[ad_pin_id(a, c, g, k)] = { "PIN", a, c, g, k }
      end
      for p = 1, M.PRODUCT_GROUPS do index[product_group_id(a, c, g, p)] = { "PRODUCT_GROUP", a, c, g, p } end
    end
  end
end

-- Where an entity id is: its index entry, the account's number given.
local function locate(level, id)
  if type(id) ~= "string" then return nil end
  if level == "ADVERTISER" then
    local a = number_of_account(id)
    return a and { "ADVERTISER", a } or nil
  end
  if level == "PIN_PROMOTION" then level = "AD" end
  local e = index[id]
  if not e then
    -- ids carry no account: look through the accounts in turn
    for a = 1, M.MAX_ACCOUNTS do
      if not indexed[a] then
        build_index(a)
        e = index[id]
        if e then break end
      end
    end
  end
  if e and e[1] == level then return e end
  return nil
end

--- The account's campaigns, as GET /v5/ad_accounts/{id}/campaigns gives
-- them (all statuses; the route filters).
-- @string ad_account_id
-- @treturn table an array (empty for an unknown account)
function M.campaigns(ad_account_id)
  local a = number_of_account(ad_account_id)
  local out = {}
  if not a then return out end
  for c = 1, M.CAMPAIGNS do out[#out + 1] = campaign_obj(a, c) end
  return out
end

--- The account's ad groups, of one campaign when campaign_id is given.
-- @string ad_account_id
-- @string[opt] campaign the campaign's id
-- @treturn table an array
function M.ad_groups(ad_account_id, campaign)
  local a = number_of_account(ad_account_id)
  local out = {}
  if not a then return out end
  for c = 1, M.CAMPAIGNS do
    if campaign == nil or campaign == campaign_id(a, c) then
      for g = 1, M.AD_GROUPS do out[#out + 1] = ad_group_obj(a, c, g) end
    end
  end
  return out
end

--- The account's ads, of one ad group when ad_group_id is given.
-- @string ad_account_id
-- @string[opt] ad_group the ad group's id
-- @treturn table an array
function M.ads(ad_account_id, ad_group)
  local a = number_of_account(ad_account_id)
  local out = {}
  if not a then return out end
  for c = 1, M.CAMPAIGNS do
    for g = 1, M.AD_GROUPS do
      if ad_group == nil or ad_group == ad_group_id(a, c, g) then
        for k = 1, M.ADS do out[#out + 1] = ad_obj(a, c, g, k) end
      end
    end
  end
  return out
end

--- The account's product groups, of one ad group when ad_group_id is given.
-- @string ad_account_id
-- @string[opt] ad_group the ad group's id
-- @treturn table an array of `{ id, ad_group_id, campaign_id, ad_account_id, status, name }`
function M.product_groups(ad_account_id, ad_group)
  local a = number_of_account(ad_account_id)
  local out = {}
  if not a then return out end
  for c = 1, M.CAMPAIGNS do
    for g = 1, M.AD_GROUPS do
      if ad_group == nil or ad_group == ad_group_id(a, c, g) then
        for p = 1, M.PRODUCT_GROUPS do out[#out + 1] = product_group_obj(a, c, g, p) end
      end
    end
  end
  return out
end

--- The entity of a level by id, or nil when the simulator has none.
-- @string level "ADVERTISER", "CAMPAIGN", "AD_GROUP", "AD" (or "PIN_PROMOTION"), "PIN", "PRODUCT_GROUP"
-- @string id
-- @treturn table|nil the object as the lists give it (a pin: `{ id, ad_id, ... }`)
function M.entity(level, id)
  local e = locate(level, id)
  if not e then return nil end
  local lv, a, c, g, k = e[1], e[2], e[3], e[4], e[5]
  if lv == "ADVERTISER" then return M.account(id) end
  if lv == "CAMPAIGN" then return campaign_obj(a, c) end
  if lv == "AD_GROUP" then return ad_group_obj(a, c, g) end
  if lv == "AD" then return ad_obj(a, c, g, k) end
  if lv == "PRODUCT_GROUP" then return product_group_obj(a, c, g, k) end
  local ad = ad_obj(a, c, g, k)
  return { id = id, ad_id = ad.id, ad_group_id = ad.ad_group_id, campaign_id = ad.campaign_id,
    ad_account_id = ad.ad_account_id }
end

-- the leaves: an ad's day ----------------------------------------------------

-- The additive columns: every count and money_micro column that is not a
-- ratio, of both enums.
local ADDITIVE, ADDITIVE_SET = {}, {}
do
  local seen = {}
  for _, list in ipairs({ columns.SYNC, columns.ASYNC }) do
    for _, name in ipairs(list) do
      local kind = columns.kind_of_name(name)
      if not seen[name] and (kind == "count" or kind == "money_micro") and not columns.is_ratio_name(name)
          and not name:find("SPEND_CAP$") then
        seen[name] = true
        ADDITIVE[#ADDITIVE + 1] = name
        ADDITIVE_SET[name] = true
      end
    end
  end
  -- not columns of the enums, but parts of some: video spend, watch time (ms)
  for _, name in ipairs({ "_VIDEO_SPEND_IN_MICRO_DOLLAR", "_VIDEO_WATCHTIME_MS_1", "_VIDEO_WATCHTIME_MS_2" }) do
    ADDITIVE[#ADDITIVE + 1] = name
    ADDITIVE_SET[name] = true
  end
end
--- Every additive column `base` gives (the two enums' counts and money that
-- are not ratios, and three parts named with a leading "_").
M.ADDITIVE = ADDITIVE

local EVENTS3 = {} -- events with TOTAL_CLICK_, TOTAL_ENGAGEMENT_, TOTAL_VIEW_ columns
for _, e in ipairs(columns.CONVERSION_EVENTS) do
  if ADDITIVE_SET["TOTAL_CLICK_" .. e] and ADDITIVE_SET["TOTAL_VIEW_" .. e] and ADDITIVE_SET["TOTAL_ENGAGEMENT_" .. e] then
    EVENTS3[#EVENTS3 + 1] = e
  end
end
local EVENT_WEIGHT = { PAGE_VISIT = 60, ADD_TO_CART = 20, CHECKOUT = 8, SIGNUP = 5, LEAD = 4 }

-- The drivers of an ad's day: paid and earned impressions, clicks, spend.
local function drivers(ad, date)
  local key = ad .. "|" .. date
  local i1 = rnd(key .. "|imp", 400, 6000)
  local i2 = floor(i1 * rnd(key .. "|earned", 5, 40) / 100)
  return {
    i1 = i1, i2 = i2,
    ct1 = floor(i1 * rnd(key .. "|ctr", 40, 300) / 10000),
    ct2 = floor(i2 * rnd(key .. "|ctr2", 20, 200) / 10000),
    spend = i1 * rnd(key .. "|cpm", 2000, 12000),
    key = key,
  }
end

local leaf -- forward: the value of an additive column for an ad's day

-- The price (micro-units) of an event's conversions for an ad.
local function price(ad, e)
  return rnd(ad .. "|" .. e .. "|price", 5, 150) * 1000000 + rnd(ad .. "|" .. e .. "|cents", 0, 99) * 10000
end

local function event_count(d, e, how)
  local w = EVENT_WEIGHT[e] or 3
  if how == "VIEW" then return floor(d.i1 * rnd(d.key .. "|" .. e .. "|v", 0, w) / 10000) end
  local base = how == "CLICK" and d.ct1 or floor((d.ct1 + d.ct2) / 2)
  return floor(base * rnd(d.key .. "|" .. e .. "|" .. how, 0, w) / 100)
end

-- Is ad id (an "AD" entry) a video ad? Ad k = 2 of each ad group is.
local function is_video(ad)
  local e = index[ad]
  return e ~= nil and e[5] == 2
end

leaf = function(ad, d, name, memo)
  local v = memo[name]
  if v ~= nil then return v end
  if name == "IMPRESSION_1" or name == "PAID_IMPRESSION" then v = d.i1
  elseif name == "IMPRESSION_2" then v = d.i2
  elseif name == "CLICKTHROUGH_1" then v = d.ct1
  elseif name == "CLICKTHROUGH_2" then v = d.ct2
  elseif name == "SPEND_IN_MICRO_DOLLAR" then v = d.spend
  elseif name == "ADS_CREDIT_SPEND_IN_MICRO_DOLLAR" then v = floor(d.spend * rnd(d.key .. "|credit", 0, 10) / 100)
  elseif name == "_VIDEO_SPEND_IN_MICRO_DOLLAR" then v = is_video(ad) and d.spend or 0
  elseif name == "IMPRESSION_1_GROSS" then v = d.i1 + rnd(d.key .. "|igross", 0, 40)
  elseif name == "CLICKTHROUGH_1_GROSS" then v = d.ct1 + rnd(d.key .. "|cgross", 0, 3)
  elseif name == "OUTBOUND_CLICK_1" then v = floor(d.ct1 * rnd(d.key .. "|oc1", 50, 95) / 100)
  elseif name == "OUTBOUND_CLICK_2" then v = floor(d.ct2 * rnd(d.key .. "|oc2", 50, 95) / 100)
  elseif name == "REPIN_1" then v = floor(d.i1 * rnd(d.key .. "|r1", 10, 150) / 10000)
  elseif name == "REPIN_2" then v = floor(d.i2 * rnd(d.key .. "|r2", 10, 150) / 10000)
  elseif name == "ENGAGEMENT_1" then
    v = d.ct1 + leaf(ad, d, "REPIN_1", memo) + rnd(d.key .. "|en1", 0, 20)
  elseif name == "ENGAGEMENT_2" then
    v = d.ct2 + leaf(ad, d, "REPIN_2", memo) + rnd(d.key .. "|en2", 0, 10)
  elseif name == "TOTAL_IMPRESSION_USER" then v = floor((d.i1 + d.i2) * rnd(d.key .. "|reach", 55, 90) / 100)
  elseif name == "_VIDEO_WATCHTIME_MS_1" then
    v = leaf(ad, d, "VIDEO_MRC_VIEWS_1", memo) * rnd(d.key .. "|wt1", 2000, 9000)
  elseif name == "_VIDEO_WATCHTIME_MS_2" then
    v = leaf(ad, d, "VIDEO_MRC_VIEWS_2", memo) * rnd(d.key .. "|wt2", 2000, 9000)
  elseif name:find("^VIDEO_") and name:find("_[12]$") then
    -- video columns: only video ads have them
    v = is_video(ad) and floor((name:sub(-1) == "1" and d.i1 or d.i2) * rnd(d.key .. "|" .. name, 5, 40) / 100) or 0
  elseif name:find("^TOTAL_") and ADDITIVE_SET[name:sub(7) .. "_1"] and ADDITIVE_SET[name:sub(7) .. "_2"] then
    v = leaf(ad, d, name:sub(7) .. "_1", memo) + leaf(ad, d, name:sub(7) .. "_2", memo)
  elseif name == "TOTAL_VIDEO_3SEC_VIEWS" or name:find("^TOTAL_VIDEO_") then
    local part = name:sub(7) -- TOTAL_VIDEO_MRC_VIEWS -> VIDEO_MRC_VIEWS
    v = leaf(ad, d, part .. "_1", memo) + leaf(ad, d, part .. "_2", memo)
  elseif name == "TOTAL_CONVERSIONS" or name == "TOTAL_CONVERSIONS_VALUE_IN_MICRO_DOLLAR"
      or name == "TOTAL_CONVERSIONS_QUANTITY" then
    local suffix = name:sub(#"TOTAL_CONVERSIONS" + 1)
    v = 0
    for _, e in ipairs(EVENTS3) do v = v + leaf(ad, d, "TOTAL_" .. e .. suffix, memo) end
  else
    v = nil
    -- conversions by attribution: TOTAL_{CLICK,ENGAGEMENT,VIEW}_<E>[_VALUE_IN_MICRO_DOLLAR|_QUANTITY]
    for _, how in ipairs({ "CLICK", "ENGAGEMENT", "VIEW" }) do
      local pre = "TOTAL_" .. how .. "_"
      if name:sub(1, #pre) == pre then
        local rest = name:sub(#pre + 1)
        for _, e in ipairs(EVENTS3) do
          if rest == e then
            v = event_count(d, e, how)
          elseif rest == e .. "_VALUE_IN_MICRO_DOLLAR" then
            v = leaf(ad, d, pre .. e, memo) * price(ad, e)
          elseif rest == e .. "_QUANTITY" then
            local n = leaf(ad, d, pre .. e, memo)
            v = n + floor(n * rnd(d.key .. "|" .. name, 0, 60) / 100)
          end
          if v then break end
        end
      end
      if v then break end
    end
    if v == nil then
      -- the sum over attribution types: TOTAL_<E>[_VALUE_IN_MICRO_DOLLAR|_QUANTITY]
      for _, e in ipairs(EVENTS3) do
        for _, suffix in ipairs({ "", "_VALUE_IN_MICRO_DOLLAR", "_QUANTITY" }) do
          if name == "TOTAL_" .. e .. suffix then
            v = 0
            for _, how in ipairs({ "CLICK", "ENGAGEMENT", "VIEW" }) do
              v = v + leaf(ad, d, "TOTAL_" .. how .. "_" .. e .. suffix, memo)
            end
          end
        end
        if v then break end
      end
    end
    if v == nil then
      if name:find("_VALUE_IN_MICRO_DOLLAR$") then
        -- another count's value: that count times the ad's price for it
        local count = name:sub(1, -#"_VALUE_IN_MICRO_DOLLAR" - 1)
        v = ADDITIVE_SET[count] and leaf(ad, d, count, memo) * price(ad, count) or
          floor(d.ct1 * rnd(d.key .. "|" .. name, 0, 5) / 100) * price(ad, name)
      elseif name:find("_IN_MICRO_DOLLAR$") then
        v = floor(d.spend * rnd(d.key .. "|" .. name, 0, 10) / 100)
      elseif columns.is_conversion_name(name) or name:find("_QUANTITY$") then
        -- the other conversion counts (channels, devices, quantities): a
        -- share of the clicks
        v = floor(d.ct1 * rnd(d.key .. "|" .. name, 0, 6) / 100)
      else
        -- the other engagement counts (showcase, idea pins, quiz, sessions, destination views)
        v = floor((d.i1 + d.i2) * rnd(d.key .. "|" .. name, 0, 80) / 10000)
      end
    end
  end
  memo[name] = v
  return v
end

-- The ads an entity's figures sum.
local function ads_of(e)
  local lv, a, c, g, k = e[1], e[2], e[3], e[4], e[5]
  build_index(a)
  local out = {}
  for cc = 1, M.CAMPAIGNS do
    for gg = 1, M.AD_GROUPS do
      for kk = 1, M.ADS do
        local take
        if lv == "ADVERTISER" then take = true
        elseif lv == "CAMPAIGN" then take = cc == c
        elseif lv == "AD_GROUP" then take = cc == c and gg == g
        elseif lv == "AD" or lv == "PIN" then take = cc == c and gg == g and kk == k
        elseif lv == "PRODUCT_GROUP" then take = cc == c and gg == g and (kk - 1) % M.PRODUCT_GROUPS + 1 == k
        end
        if take then out[#out + 1] = ad_id(a, cc, gg, kk) end
      end
    end
  end
  return out
end

local function needed_names(names)
  if names == nil then return ADDITIVE end
  local out = {}
  for _, n in ipairs(names) do if ADDITIVE_SET[n] then out[#out + 1] = n end end
  return out
end

--- The additive columns of an entity on a UTC day: integers (counts, and
-- money in micro-units), sums of its ads' figures.
-- @string level "ADVERTISER", "CAMPAIGN", "AD_GROUP", "AD" (or "PIN_PROMOTION"), "PIN", "PRODUCT_GROUP"
-- @string entity_id
-- @string date "YYYY-MM-DD"
-- @tparam[opt] {string,...} names only these columns (the others are left out); default all of `ADDITIVE`
-- @treturn table|nil column -> integer; nil for an unknown entity
function M.base(level, entity_id, date, names)
  local e = locate(level, entity_id)
  if not e then return nil end
  local want = needed_names(names)
  local out = {}
  for _, n in ipairs(want) do out[n] = 0 end
  for _, ad in ipairs(ads_of(e)) do
    local d, memo = drivers(ad, date), {}
    for _, n in ipairs(want) do out[n] = out[n] + leaf(ad, d, n, memo) end
  end
  return out
end

-- an hour's part of a day's value: the day cut by cumulative weights, so
-- that the 24 parts are whole and sum to the day
local function hour_weights(ad, date)
  local w, cum = {}, 0
  for h = 0, 23 do
    -- more in the evening, as people browse
    local shape = (h >= 18 and h <= 22) and 6 or ((h >= 7 and h <= 17) and 4 or 1)
    cum = cum + shape + rnd(ad .. "|" .. date .. "|h" .. h, 0, 3)
    w[h] = cum
  end
  return w
end

--- The additive columns of an entity for each hour of a UTC day: an array
-- of 24 tables (index 1 is 00:00-01:00), each column's 24 values summing to
-- its day in `base`.
-- @string level as for `base`
-- @string entity_id
-- @string date
-- @tparam[opt] {string,...} names as for `base`
-- @treturn table|nil
function M.hours(level, entity_id, date, names)
  local e = locate(level, entity_id)
  if not e then return nil end
  local want = needed_names(names)
  local out = {}
  for h = 1, 24 do
    out[h] = {}
    for _, n in ipairs(want) do out[h][n] = 0 end
  end
  for _, ad in ipairs(ads_of(e)) do
    local d, memo = drivers(ad, date), {}
    local w = hour_weights(ad, date)
    local total = w[23]
    for _, n in ipairs(want) do
      local v = leaf(ad, d, n, memo)
      local before = 0
      for h = 0, 23 do
        local upto = floor(v * w[h] / total)
        out[h + 1][n] = out[h + 1][n] + upto - before
        before = upto
      end
    end
  end
  return out
end

-- rows ------------------------------------------------------------------------

local function div(a, b)
  if a == nil or b == nil or b == 0 then return nil end
  return a / b
end
local function round(x) return x and floor(x + 0.5) or nil end

-- Ratio columns: name -> { parts, f(sums) }. The money ratios in micro-units
-- are rounded to whole micro-units; those in units are micro / 1e6.
local RATIOS = {}
local function ratio(name, parts, f) RATIOS[name] = { parts = parts, f = f } end
local SPEND = "SPEND_IN_MICRO_DOLLAR"

ratio("CTR", { "CLICKTHROUGH_1", "IMPRESSION_1" }, function(s) return div(s.CLICKTHROUGH_1, s.IMPRESSION_1) end)
ratio("CTR_2", { "CLICKTHROUGH_2", "IMPRESSION_2" }, function(s) return div(s.CLICKTHROUGH_2, s.IMPRESSION_2) end)
ratio("ECTR", { "TOTAL_CLICKTHROUGH", "TOTAL_IMPRESSION" },
  function(s) return div(s.TOTAL_CLICKTHROUGH, s.TOTAL_IMPRESSION) end)
ratio("OUTBOUND_CTR_1", { "OUTBOUND_CLICK_1", "IMPRESSION_1" },
  function(s) return div(s.OUTBOUND_CLICK_1, s.IMPRESSION_1) end)
ratio("OUTBOUND_CTR", { "OUTBOUND_CLICK_1", "OUTBOUND_CLICK_2", "TOTAL_IMPRESSION" },
  function(s) return div(s.OUTBOUND_CLICK_1 + s.OUTBOUND_CLICK_2, s.TOTAL_IMPRESSION) end)
ratio("ENGAGEMENT_RATE", { "ENGAGEMENT_1", "IMPRESSION_1" }, function(s) return div(s.ENGAGEMENT_1, s.IMPRESSION_1) end)
ratio("EENGAGEMENT_RATE", { "TOTAL_ENGAGEMENT", "TOTAL_IMPRESSION" },
  function(s) return div(s.TOTAL_ENGAGEMENT, s.TOTAL_IMPRESSION) end)
ratio("REPIN_RATE", { "REPIN_1", "IMPRESSION_1" }, function(s) return div(s.REPIN_1, s.IMPRESSION_1) end)
ratio("TOTAL_REPIN_RATE", { "REPIN_1", "REPIN_2", "TOTAL_IMPRESSION" },
  function(s) return div(s.REPIN_1 + s.REPIN_2, s.TOTAL_IMPRESSION) end)
ratio("TOTAL_IMPRESSION_FREQUENCY", { "TOTAL_IMPRESSION", "TOTAL_IMPRESSION_USER" },
  function(s) return div(s.TOTAL_IMPRESSION, s.TOTAL_IMPRESSION_USER) end)
ratio("PAID_VIDEO_VIEWABLE_RATE", { "VIDEO_MRC_VIEWS_1", "IMPRESSION_1" },
  function(s) return div(s.VIDEO_MRC_VIEWS_1, s.IMPRESSION_1) end)
ratio("QUIZ_COMPLETION_RATE", { "QUIZ_COMPLETED", "TOTAL_IMPRESSION" },
  function(s) return div(s.QUIZ_COMPLETED, s.TOTAL_IMPRESSION) end)
ratio("SHOWCASE_AVERAGE_SUBPAGE_CLOSEUP_PER_SESSION", { "SHOWCASE_SUBPAGE_CLOSEUP", "SHOWCASE_PIN_CLICKTHROUGH" },
  function(s) return div(s.SHOWCASE_SUBPAGE_CLOSEUP, s.SHOWCASE_PIN_CLICKTHROUGH) end)
-- money per something: micro-units rounded, or units
local function per(name, denominators, micro, scale)
  local parts = { SPEND }
  for _, p in ipairs(denominators) do parts[#parts + 1] = p end
  ratio(name, parts, function(s)
    local den = 0
    for _, p in ipairs(denominators) do den = den + s[p] end
    local x = div(s[SPEND] * (scale or 1), den)
    if x == nil then return nil end
    if micro then return round(x) end
    return x / 1000000
  end)
end
per("CPC_IN_MICRO_DOLLAR", { "CLICKTHROUGH_1" }, true)
per("ECPC_IN_MICRO_DOLLAR", { "TOTAL_CLICKTHROUGH" }, true)
per("ECPC_IN_DOLLAR", { "TOTAL_CLICKTHROUGH" }, false)
per("CPM_IN_MICRO_DOLLAR", { "IMPRESSION_1" }, true, 1000)
per("CPM_IN_DOLLAR", { "IMPRESSION_1" }, false, 1000)
per("ECPM_IN_MICRO_DOLLAR", { "TOTAL_IMPRESSION" }, true, 1000)
per("ECPE_IN_DOLLAR", { "TOTAL_ENGAGEMENT" }, false)
per("COST_PER_OUTBOUND_CLICK_IN_DOLLAR", { "OUTBOUND_CLICK_1", "OUTBOUND_CLICK_2" }, false)
per("COST_PER_OUTBOUND_CLICK", { "OUTBOUND_CLICK_1", "OUTBOUND_CLICK_2" }, false)
per("COST_PER_OUTBOUND_CLICK_IN_DOLLAR_1", { "OUTBOUND_CLICK_1" }, false)
per("CPV_IN_MICRO_DOLLAR", { "VIDEO_MRC_VIEWS_1" }, true)
per("ECPV_IN_DOLLAR", { "TOTAL_VIDEO_MRC_VIEWS" }, false)
per("CPCV_IN_MICRO_DOLLAR", { "VIDEO_P100_COMPLETE_1" }, true)
per("ECPCV_IN_DOLLAR", { "TOTAL_VIDEO_P100_COMPLETE" }, false)
per("CPCV_P95_IN_MICRO_DOLLAR", { "VIDEO_P95_COMBINED_1" }, true)
per("ECPCV_P95_IN_DOLLAR", { "TOTAL_VIDEO_P95_COMBINED" }, false)
per("COST_PER_LEAD", { "LEADS" }, false)
local function watch(name, ms, views)
  ratio(name, { ms, views }, function(s)
    local x = div(s[ms], s[views])
    return x and x / 1000 or nil
  end)
end
watch("VIDEO_AVG_WATCHTIME_IN_SECOND_1", "_VIDEO_WATCHTIME_MS_1", "VIDEO_MRC_VIEWS_1")
watch("VIDEO_AVG_WATCHTIME_IN_SECOND_2", "_VIDEO_WATCHTIME_MS_2", "VIDEO_MRC_VIEWS_2")
ratio("TOTAL_VIDEO_AVG_WATCHTIME_IN_SECOND", { "_VIDEO_WATCHTIME_MS_1", "_VIDEO_WATCHTIME_MS_2", "TOTAL_VIDEO_MRC_VIEWS" },
  function(s)
    local x = div(s._VIDEO_WATCHTIME_MS_1 + s._VIDEO_WATCHTIME_MS_2, s.TOTAL_VIDEO_MRC_VIEWS)
    return x and x / 1000 or nil
  end)

-- the families: <P>_ROAS = TOTAL_<P>_VALUE_IN_MICRO_DOLLAR / spend;
-- <P>_COST_PER_ACTION = spend / TOTAL_<P> / 1e6;
-- TOTAL_<P>_CONVERSION_RATE = TOTAL_<P> / TOTAL_CLICKTHROUGH
-- The parts of TOTAL_<P><suffix>: itself when it is a column, else its
-- click, engagement and view parts when those are; nil otherwise.
local function total_parts(p, suffix)
  if ADDITIVE_SET["TOTAL_" .. p .. suffix] then return { "TOTAL_" .. p .. suffix } end
  local out = {}
  for _, how in ipairs({ "CLICK", "ENGAGEMENT", "VIEW" }) do
    local n = "TOTAL_" .. how .. "_" .. p .. suffix
    if not ADDITIVE_SET[n] then return nil end
    out[#out + 1] = n
  end
  return out
end

local function sum_of(s, list)
  local x = 0
  for _, n in ipairs(list) do x = x + s[n] end
  return x
end

local function with(list, extra)
  local out = { extra }
  for _, n in ipairs(list) do out[#out + 1] = n end
  return out
end

local function family(name)
  local p = name:match("^(.+)_ROAS$")
  local value = p and total_parts(p, "_VALUE_IN_MICRO_DOLLAR")
  if value then
    return with(value, SPEND), function(s) return div(sum_of(s, value), s[SPEND]) end
  end
  p = name:match("^(.+)_COST_PER_ACTION$")
  local n = p and total_parts(p, "")
  if n then
    return with(n, SPEND), function(s)
      local x = div(s[SPEND], sum_of(s, n))
      return x and x / 1000000 or nil
    end
  end
  p = name:match("^TOTAL_(.+)_CONVERSION_RATE$")
  n = p and total_parts(p, "")
  if n then
    return with(n, "TOTAL_CLICKTHROUGH"), function(s) return div(sum_of(s, n), s.TOTAL_CLICKTHROUGH) end
  end
end

-- money in units that is a sum: micro / 1e6
local UNITS = {
  SPEND_IN_DOLLAR = SPEND, ADS_CREDIT_SPEND_IN_DOLLAR = "ADS_CREDIT_SPEND_IN_MICRO_DOLLAR",
  VIDEO_SPEND_IN_DOLLAR = "_VIDEO_SPEND_IN_MICRO_DOLLAR",
}

-- The attribute columns: name -> f(entity context) (nil: not played at that level)
local function attributes(e)
  local lv, a, c, g, k = e[1], e[2], e[3], e[4], e[5]
  local acct = data.ad_account_id_of(a)
  local t = { AD_ACCOUNT_ID = acct, ADVERTISER_ID = acct }
  if lv == "ADVERTISER" then return t end
  local camp = campaign_obj(a, c)
  t.CAMPAIGN_ID, t.CAMPAIGN_NAME = camp.id, camp.name
  t.CAMPAIGN_ENTITY_STATUS, t.CAMPAIGN_STATUS = camp.status, camp.status
  t.CAMPAIGN_OBJECTIVE_TYPE = camp.objective_type
  t.CAMPAIGN_LIFETIME_SPEND_CAP, t.CAMPAIGN_DAILY_SPEND_CAP = camp.lifetime_spend_cap, camp.daily_spend_cap
  t.CAMPAIGN_BUDGET_OPTIMIZATION = tostring(camp.is_campaign_budget_optimization)
  t.IS_PREMIERE_CAMPAIGN = "false"
  if lv == "CAMPAIGN" then return t end
  local grp = ad_group_obj(a, c, g)
  t.AD_GROUP_ID, t.AD_GROUP_NAME = grp.id, grp.name
  t.AD_GROUP_ENTITY_STATUS, t.AD_GROUP_STATUS = grp.status, grp.status
  t.AD_GROUP_BUDGET_TYPE = grp.budget_type
  t.AD_GROUP_BUDGET_IN_LOCAL_CURRENCY = grp.budget_in_micro_currency / 1000000
  t.AD_GROUP_OPTIMIZATION = "IMPRESSION"
  if lv == "AD_GROUP" then return t end
  if lv == "PRODUCT_GROUP" then
    t.PRODUCT_GROUP_ID = product_group_id(a, c, g, k)
    t.PRODUCT_GROUP_STATUS = "ACTIVE"
    return t
  end
  local ad = ad_obj(a, c, g, k)
  t.AD_ID, t.PIN_PROMOTION_ID = ad.id, ad.id
  t.AD_NAME, t.PIN_PROMOTION_NAME = ad.name, ad.name
  t.AD_STATUS, t.PIN_PROMOTION_STATUS = ad.status, ad.status
  t.PIN_ID = ad.pin_id
  if k == 2 then t.VIDEO_LENGTH = 15.0 end
  return t
end

--- The parts (additive columns) a column is computed from; a column of
-- `ADDITIVE` is its own part; an attribute or a column not played has none.
-- @string name
-- @treturn table an array of column names
function M.parts(name)
  if ADDITIVE_SET[name] then return { name } end
  if UNITS[name] then return { UNITS[name] } end
  local r = RATIOS[name]
  if r then return r.parts end
  local parts = family(name)
  return parts or {}
end

-- the value of a column from the sums and the attributes
local function value(name, sums, attrs)
  if ADDITIVE_SET[name] then return sums[name] end
  if UNITS[name] then return sums[UNITS[name]] / 1000000 end
  local r = RATIOS[name]
  if r then return r.f(sums) end
  local _, f = family(name)
  if f then return f(sums) end
  return attrs[name]
end

--- The sums of the parts (additive columns) of several entities of a level
-- over the days first_date..last_date, or over one hour of first_date.
-- Unknown ids add nothing.
-- @string level as for `base`
-- @tparam {string,...} ids
-- @string first_date
-- @string last_date
-- @tparam {string,...} parts additive column names (`parts` gives them for a column)
-- @int[opt] hour 0..23
-- @treturn table part -> integer
function M.sums(level, ids, first_date, last_date, parts, hour)
  local sums = {}
  for _, p in ipairs(parts) do sums[p] = 0 end
  for _, id in ipairs(ids) do
    if locate(level, id) then
      if hour ~= nil then
        local hs = M.hours(level, id, first_date, parts)
        for _, p in ipairs(parts) do sums[p] = sums[p] + hs[hour + 1][p] end
      else
        local first, last = data.parse_date(first_date), data.parse_date(last_date)
        for n = first, last do
          local b = M.base(level, id, data.format_date(n), parts)
          for _, p in ipairs(parts) do sums[p] = sums[p] + b[p] end
        end
      end
    end
  end
  return sums
end

--- The parts the columns need (see `parts`), each once.
-- @tparam {string,...} cols
-- @treturn table an array of additive column names
function M.parts_of(cols)
  local need, list = {}, {}
  for _, c in ipairs(cols) do
    for _, p in ipairs(M.parts(c)) do
      if not need[p] then need[p] = true; list[#list + 1] = p end
    end
  end
  return list
end

--- A row from sums: the additive columns as summed, the ratios computed
-- from the sums, the attributes of the entity (of level and id; with id nil
-- none). A column with no value is absent; with hour, the conversion columns too.
-- @string level
-- @tparam ?string id the entity (nil: no attributes)
-- @tab sums as `sums` gives them (for `parts_of(cols)`)
-- @tparam {string,...} cols
-- @int[opt] hour
-- @treturn table column -> value
function M.finish(level, id, sums, cols, hour)
  local e = id and locate(level, id)
  local attrs = e and attributes(e) or {}
  local out = {}
  for _, c in ipairs(cols) do
    if not (hour ~= nil and columns.is_conversion_name(c)) then
      out[c] = value(c, sums, attrs)
    end
  end
  return out
end

--- One row of an entity over the days first_date..last_date (UTC, both
-- included): the additive columns summed, the ratios computed from the
-- sums, the attributes of the entity. A column with no value (a ratio over
-- zero, a column not played) is absent.
-- @string level as for `base`
-- @string entity_id
-- @string first_date "YYYY-MM-DD"
-- @string last_date "YYYY-MM-DD", not before first_date
-- @tparam {string,...} cols column names (of the sync or async enums)
-- @int[opt] hour 0..23: that hour of first_date only (conversion columns are then absent)
-- @treturn table|nil column -> value; nil for an unknown entity
function M.row(level, entity_id, first_date, last_date, cols, hour)
  if not locate(level, entity_id) then return nil end
  local sums = M.sums(level, { entity_id }, first_date, last_date, M.parts_of(cols), hour)
  return M.finish(level, entity_id, sums, cols, hour)
end

return M
