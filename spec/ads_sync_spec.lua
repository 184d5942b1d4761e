-- The synchronous ads analytics methods against the simulator: values that
-- add up, money exact, ratios from their parts, chunks, windows, and the
-- checks made before anything is sent.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local columns = require "pinanalytics.ads.columns"

local ACCT = ads.ACCOUNTS[1]

local function is_integer(v)
  if math.type then return math.type(v) == "integer" end
  return type(v) == "number" and v == math.floor(v)
end
local function is_float(v)
  if math.type then return math.type(v) == "float" end
  return type(v) == "number"
end

local function ids_of(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = x.id end
  return out
end

-- the rows of one entity (key = id), by DATE (or "" without)
local function by_date(rows, key, id)
  local out, n = {}, 0
  for _, r in ipairs(rows) do
    if r[key] == id then
      out[(r.DATE or "") .. (r.HOUR and (" " .. r.HOUR) or "")] = r
      n = n + 1
    end
  end
  return out, n
end

local function near(a, b) return math.abs(a - b) <= 1e-9 * math.max(1, math.abs(a), math.abs(b)) end

describe("ads data (simulator)", function()
  local day = "2026-11-10"

  it("adds up: ads to ad groups, ad groups to campaigns, campaigns to the account", function()
    local names = { "SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "TOTAL_CLICKTHROUGH", "TOTAL_CHECKOUT",
      "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR", "TOTAL_VIDEO_MRC_VIEWS" }
    local acct = ads.base("ADVERTISER", ACCT, day, names)
    local sum_c = {}
    for _, n in ipairs(names) do sum_c[n] = 0 end
    for _, c in ipairs(ads.campaigns(ACCT)) do
      local cb = ads.base("CAMPAIGN", c.id, day, names)
      local sum_g = {}
      for _, n in ipairs(names) do sum_g[n] = 0 end
      for _, g in ipairs(ads.ad_groups(ACCT, c.id)) do
        local gb = ads.base("AD_GROUP", g.id, day, names)
        local sum_a, sum_p = {}, {}
        for _, n in ipairs(names) do sum_a[n], sum_p[n] = 0, 0 end
        for _, a in ipairs(ads.ads(ACCT, g.id)) do
          local ab = ads.base("AD", a.id, day, names)
          assert.same(ab, ads.base("PIN", a.pin_id, day, names)) -- one ad per pin
          for _, n in ipairs(names) do sum_a[n] = sum_a[n] + ab[n] end
        end
        for _, p in ipairs(ads.product_groups(ACCT, g.id)) do
          local pb = ads.base("PRODUCT_GROUP", p.id, day, names)
          for _, n in ipairs(names) do sum_p[n] = sum_p[n] + pb[n] end
        end
        assert.same(gb, sum_a)
        assert.same(gb, sum_p)
        for _, n in ipairs(names) do sum_g[n] = sum_g[n] + gb[n] end
      end
      assert.same(cb, sum_g)
      for _, n in ipairs(names) do sum_c[n] = sum_c[n] + cb[n] end
    end
    assert.same(acct, sum_c)
    assert.is_true(acct.SPEND_IN_MICRO_DOLLAR > 0)
    assert.is_true(is_integer(acct.SPEND_IN_MICRO_DOLLAR))
  end)

  it("the 24 hours of a day sum to the day", function()
    local c = ads.campaigns(ACCT)[1].id
    local names = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_IMPRESSION" }
    local hours = ads.hours("CAMPAIGN", c, day, names)
    local d = ads.base("CAMPAIGN", c, day, names)
    assert.equal(24, #hours)
    for _, n in ipairs(names) do
      local s = 0
      for h = 1, 24 do
        assert.is_true(hours[h][n] >= 0)
        s = s + hours[h][n]
      end
      assert.equal(d[n], s)
    end
  end)

  it("keeps the relations between columns and computes ratios from sums", function()
    local g = ads.ad_groups(ACCT)[1].id
    local cols = { "TOTAL_CLICKTHROUGH", "CLICKTHROUGH_1", "CLICKTHROUGH_2", "TOTAL_IMPRESSION", "IMPRESSION_1",
      "PAID_IMPRESSION", "CTR", "ECTR", "SPEND_IN_MICRO_DOLLAR", "SPEND_IN_DOLLAR", "CPC_IN_MICRO_DOLLAR",
      "CHECKOUT_ROAS", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR", "TOTAL_CHECKOUT", "TOTAL_CLICK_CHECKOUT",
      "TOTAL_VIEW_CHECKOUT", "TOTAL_ENGAGEMENT_CHECKOUT" }
    local r = ads.row("AD_GROUP", g, "2026-11-01", "2026-11-30", cols)
    assert.equal(r.CLICKTHROUGH_1 + r.CLICKTHROUGH_2, r.TOTAL_CLICKTHROUGH)
    assert.equal(r.IMPRESSION_1, r.PAID_IMPRESSION)
    assert.equal(r.TOTAL_CLICK_CHECKOUT + r.TOTAL_VIEW_CHECKOUT + r.TOTAL_ENGAGEMENT_CHECKOUT, r.TOTAL_CHECKOUT)
    assert.is_true(near(r.CLICKTHROUGH_1 / r.IMPRESSION_1, r.CTR))
    assert.is_true(near(r.TOTAL_CLICKTHROUGH / r.TOTAL_IMPRESSION, r.ECTR))
    assert.is_true(near(r.SPEND_IN_MICRO_DOLLAR / 1e6, r.SPEND_IN_DOLLAR))
    assert.equal(math.floor(r.SPEND_IN_MICRO_DOLLAR / r.CLICKTHROUGH_1 + 0.5), r.CPC_IN_MICRO_DOLLAR)
    assert.is_true(near(r.TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR / r.SPEND_IN_MICRO_DOLLAR, r.CHECKOUT_ROAS))
  end)

  it("computes every column of both enums, or names it as not played", function()
    local NOT_PLAYED = {
      CAMPAIGN_BRAND_LABEL = true, CAMPAIGN_CUSTOM_LABELS = true, CAMPAIGN_MANAGED_STATUS = true,
      AD_GROUP_BID_MULTIPLIER = true, PROMO_ID = true, PROMO_NAME = true, ORDER_LINE_ID = true,
      ORDER_LINE_NAME = true, PRODUCT_GROUP_AD_IMAGE_TAG = true, PRODUCT_GROUP_AD_VIDEO_TAG = true,
      STANDARD_AD_FEED_ITEM_ID = true, PRODUCT_GROUP_ID = true, PRODUCT_GROUP_STATUS = true, -- an ad's row
    }
    local video_ad = ads.ads(ACCT)[2] -- ad 2 of each ad group is a video ad
    local r = ads.row("AD", video_ad.id, "2026-11-01", "2026-11-07", columns.ALL)
    for _, n in ipairs(columns.ALL) do
      if not NOT_PLAYED[n] and not n:find("^PRODUCT_ITEM_") then
        assert.is_not_nil(r[n], n)
      else
        assert.is_nil(r[n], n)
      end
    end
  end)
end)

describe("ads sync analytics", function()
  local sim, c

  setup(function()
    sim = H.start {}
    c = H.client(sim)
  end)
  teardown(function()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  local campaigns = ids_of(ads.campaigns(ACCT))

  local function month(over)
    local p = { start_date = H.day(-29), end_date = H.day(0), granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR", "SPEND_IN_DOLLAR", "TOTAL_CLICKTHROUGH", "CLICKTHROUGH_1", "IMPRESSION_1",
        "CTR", "CAMPAIGN_NAME" } }
    for k, v in pairs(over or {}) do p[k] = v end
    return p
  end

  it("a month of DAY spend sums to the TOTAL answer, to the micro-unit, as integers", function()
    local days = assert(c:campaign_analytics(ACCT, campaigns, month()))
    local total = assert(c:campaign_analytics(ACCT, campaigns, month { granularity = "TOTAL" }))
    assert.equal(4 * 30, #days)
    assert.equal(4, #total)
    for _, id in ipairs(campaigns) do
      local rows, n = by_date(days, "CAMPAIGN_ID", id)
      assert.equal(30, n)
      local spend, clicks, imps = 0, 0, 0
      for _, r in pairs(rows) do
        assert.is_true(is_integer(r.SPEND_IN_MICRO_DOLLAR))
        spend = spend + r.SPEND_IN_MICRO_DOLLAR
        clicks, imps = clicks + r.CLICKTHROUGH_1, imps + r.IMPRESSION_1
      end
      local t = by_date(total, "CAMPAIGN_ID", id)[""]
      assert.equal(spend, t.SPEND_IN_MICRO_DOLLAR)
      assert.is_true(is_integer(t.SPEND_IN_MICRO_DOLLAR))
      assert.is_nil(t.DATE)
      -- the ratio over the month is computed from the month's parts, not summed nor averaged
      assert.is_true(near(clicks / imps, t.CTR))
      assert.is_true(is_float(t.CTR))
      assert.is_true(is_float(t.SPEND_IN_DOLLAR))
      assert.is_true(near(t.SPEND_IN_MICRO_DOLLAR / 1e6, t.SPEND_IN_DOLLAR))
      -- and what the simulator's data says
      local want = ads.row("CAMPAIGN", id, H.day(-29), H.day(0), { "SPEND_IN_MICRO_DOLLAR", "CTR" })
      assert.equal(want.SPEND_IN_MICRO_DOLLAR, t.SPEND_IN_MICRO_DOLLAR)
      assert.equal("string", type(t.CAMPAIGN_ID))
      assert.equal(ads.entity("CAMPAIGN", id).name, t.CAMPAIGN_NAME)
    end
  end)

  it("adds up through the endpoints: ads, ad groups, campaigns, the account", function()
    local p = month { granularity = "TOTAL", columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_IMPRESSION" } }
    local acct = assert(c:ad_account_analytics(ACCT, p))
    assert.equal(1, #acct)
    assert.equal(ACCT, acct[1].AD_ACCOUNT_ID)
    local camp = assert(c:campaign_analytics(ACCT, campaigns, p))
    local groups = assert(c:ad_group_analytics(ACCT, ids_of(ads.ad_groups(ACCT)), p))
    local adrows = assert(c:ad_analytics(ACCT, { ad_ids = ids_of(ads.ads(ACCT)), range = p.range,
      start_date = p.start_date, end_date = p.end_date, granularity = "TOTAL", columns = p.columns }))
    local function sum(rows)
      local s = 0
      for _, r in ipairs(rows) do s = s + r.SPEND_IN_MICRO_DOLLAR end
      return s
    end
    assert.equal(acct[1].SPEND_IN_MICRO_DOLLAR, sum(camp))
    assert.equal(acct[1].SPEND_IN_MICRO_DOLLAR, sum(groups))
    assert.equal(acct[1].SPEND_IN_MICRO_DOLLAR, sum(adrows))
    assert.equal(8, #groups)
    assert.equal(24, #adrows)
    -- an ad group with its ads
    local g = ads.ad_groups(ACCT)[3]
    local mine = assert(c:ad_analytics(ACCT, { ad_ids = ids_of(ads.ads(ACCT, g.id)), start_date = p.start_date,
      end_date = p.end_date, granularity = "TOTAL", columns = p.columns }))
    local grow = by_date(groups, "AD_GROUP_ID", g.id)[""]
    assert.equal(grow.SPEND_IN_MICRO_DOLLAR, sum(mine))
  end)

  it("aggregate_report_rows gives one row for the campaigns, without CAMPAIGN_ID", function()
    local p = month { granularity = "TOTAL", columns = { "SPEND_IN_MICRO_DOLLAR", "CTR" } }
    local each = assert(c:campaign_analytics(ACCT, campaigns, p))
    p.aggregate_report_rows = true
    local one = assert(c:campaign_analytics(ACCT, campaigns, p))
    assert.equal(1, #one)
    assert.is_nil(one[1].CAMPAIGN_ID)
    local s = 0
    for _, r in ipairs(each) do s = s + r.SPEND_IN_MICRO_DOLLAR end
    assert.equal(s, one[1].SPEND_IN_MICRO_DOLLAR)
  end)

  it("sends 600 campaign ids as 3 requests of at most 250, paced as ads_analytics, rows merged", function()
    local many = H.digits(600, "6260000000")
    many[17], many[450], many[599] = campaigns[1], campaigns[2], campaigns[3]
    local asked = {}
    c.buckets = function(cat) asked[#asked + 1] = cat end -- records the categories, paces nothing
    sim:clear_log()
    local rows, err, info = c:campaign_analytics(ACCT, many, month { granularity = "TOTAL" })
    c.buckets = nil
    assert.is_nil(err)
    assert.equal(3, info.requests)
    local reqs = sim:requests()
    assert.equal(3, #reqs)
    local sent = {}
    for _, r in ipairs(reqs) do
      assert.equal("/v5/ad_accounts/" .. ACCT .. "/campaigns/analytics", r.path)
      local n = 0
      for id in r.args:gmatch("campaign_ids=(%d+)") do n = n + 1; sent[id] = (sent[id] or 0) + 1 end
      assert.is_true(n <= 250)
    end
    assert.equal(600, H.count(sent))
    for _, x in pairs(sent) do assert.equal(1, x) end
    assert.is_true(#asked >= 3)
    for _, cat in ipairs(asked) do assert.equal("ads_analytics", cat) end
    assert.equal(3, #rows)
    local got = {}
    for _, r in ipairs(rows) do got[r.CAMPAIGN_ID] = true end
    assert.same({ [campaigns[1]] = true, [campaigns[2]] = true, [campaigns[3]] = true }, got)
  end)

  it("sends ad pins 100 a request", function()
    local ad = ads.ads(ACCT)[1]
    local pins = H.digits(150, "9100000000")
    pins[120] = ad.pin_id
    sim:clear_log()
    local rows, err, info = c:ad_pin_analytics(ACCT, pins, month { granularity = "TOTAL", campaign_id = ad.campaign_id,
      columns = { "SPEND_IN_MICRO_DOLLAR" } })
    assert.is_nil(err)
    assert.equal(2, info.requests)
    assert.equal(2, #sim:requests())
    assert.equal(1, #rows)
    assert.equal(ad.pin_id, rows[1].PIN_ID)
    assert.equal(ads.row("AD", ad.id, H.day(-29), H.day(0), { "SPEND_IN_MICRO_DOLLAR" }).SPEND_IN_MICRO_DOLLAR,
      rows[1].SPEND_IN_MICRO_DOLLAR)
    -- a pin of another campaign gives no rows
    local other = ads.ads(ACCT)[#ads.ads(ACCT)]
    assert.not_equal(ad.campaign_id, other.campaign_id)
    rows = assert(c:ad_pin_analytics(ACCT, { other.pin_id }, month { granularity = "TOTAL",
      campaign_id = ad.campaign_id, columns = { "SPEND_IN_MICRO_DOLLAR" } }))
    assert.equal(0, #rows)
  end)

  it("splits HOUR over 9 days into windows of 4 days; the hours sum to the days", function()
    sim:clear_log()
    local p = { start_date = H.day(-8), end_date = H.day(0), granularity = "HOUR",
      columns = { "SPEND_IN_MICRO_DOLLAR", "TOTAL_CHECKOUT" } }
    local hours, err, info = c:ad_account_analytics(ACCT, p)
    assert.is_nil(err)
    assert.equal(3, info.requests)
    local reqs = sim:requests()
    assert.equal(3, #reqs)
    local spans = {}
    for _, r in ipairs(reqs) do
      spans[#spans + 1] = r.args:match("start_date=([%d-]+)") .. ".." .. r.args:match("end_date=([%d-]+)")
    end
    assert.same({ H.day(-8) .. ".." .. H.day(-5), H.day(-4) .. ".." .. H.day(-1), H.day(0) .. ".." .. H.day(0) }, spans)
    assert.equal(9 * 24, #hours)
    p.granularity = "DAY"
    local days = assert(c:ad_account_analytics(ACCT, p))
    local per_day = {}
    for _, r in ipairs(hours) do
      assert.is_nil(r.TOTAL_CHECKOUT) -- no conversion metrics by the hour
      per_day[r.DATE] = (per_day[r.DATE] or 0) + r.SPEND_IN_MICRO_DOLLAR
    end
    assert.equal(9, #days)
    for _, d in ipairs(days) do
      assert.equal(d.SPEND_IN_MICRO_DOLLAR, per_day[d.DATE])
      assert.is_not_nil(d.TOTAL_CHECKOUT)
    end
  end)

  it("splits DAY over more than 91 days into windows; WEEK rows start on Mondays", function()
    sim:clear_log()
    local rows, err, info = c:ad_account_analytics(ACCT, { start_date = H.day(-90), end_date = H.day(20),
      granularity = "DAY", columns = { "SPEND_IN_MICRO_DOLLAR" } })
    assert.is_nil(err)
    assert.equal(2, info.requests)
    assert.equal(91, #rows) -- none after today
    assert.equal(H.day(-90), rows[1].DATE)
    assert.equal(H.day(0), rows[91].DATE)
    local weeks = assert(c:ad_account_analytics(ACCT, { start_date = H.day(-27), end_date = H.day(0),
      granularity = "WEEK", columns = { "SPEND_IN_MICRO_DOLLAR" } }))
    local s, w = 0, 0
    for i, r in ipairs(weeks) do
      w = w + r.SPEND_IN_MICRO_DOLLAR
      if i > 1 then assert.equal(1, tonumber(os.date("!%w", require("pinanalytics.dates").parse(r.DATE) * 86400))) end
    end
    for _, r in ipairs(rows) do if r.DATE >= H.day(-27) then s = s + r.SPEND_IN_MICRO_DOLLAR end end
    assert.equal(s, w)
  end)

  it("targeting analytics: the values of a type sum to the entity", function()
    local cid = campaigns[1]
    local p = month { granularity = "TOTAL", columns = { "SPEND_IN_MICRO_DOLLAR", "CTR" },
      targeting_types = { "APPTYPE", "GENDER" }, attribution_types = { "INDIVIDUAL" } }
    local items = assert(c:targeting_analytics("CAMPAIGN", ACCT, { cid }, p))
    local by = {}
    for _, it in ipairs(items) do
      assert.equal(cid, it.metrics.CAMPAIGN_ID)
      by[it.targeting_type] = (by[it.targeting_type] or 0) + it.metrics.SPEND_IN_MICRO_DOLLAR
    end
    local want = ads.row("CAMPAIGN", cid, H.day(-29), H.day(0), { "SPEND_IN_MICRO_DOLLAR" }).SPEND_IN_MICRO_DOLLAR
    assert.same({ APPTYPE = want, GENDER = want }, by)
    local acct = assert(c:targeting_analytics("ADVERTISER", ACCT, nil, p))
    assert.equal(6, #acct)
  end)

  it("lists campaigns, ad groups and ads with their status filters, page by page", function()
    sim:clear_log()
    local n = {}
    for x in c:list_campaigns(ACCT, { page_size = 1 }):items() do n[#n + 1] = x.status end
    assert.same({ "ACTIVE", "ACTIVE", "PAUSED" }, n) -- the API's default: ACTIVE and PAUSED
    assert.equal(3, #sim:requests())
    local archived = c:list_campaigns(ACCT, { entity_statuses = { "ARCHIVED" } }):all()
    assert.equal(1, #archived)
    assert.equal(ads.campaigns(ACCT)[4].id, archived[1].id)
    local groups = c:list_ad_groups(ACCT, { campaign_ids = { campaigns[1] } }):all()
    assert.same(ids_of(ads.ad_groups(ACCT, campaigns[1])), ids_of(groups))
    local g = groups[1]
    local list = c:list_ads(ACCT, { ad_group_ids = { g.id }, entity_statuses = { "ACTIVE", "PAUSED" } }):all()
    assert.same(ids_of(ads.ads(ACCT, g.id)), ids_of(list))
    assert.equal(g.id, list[1].ad_group_id)
    local acct = assert(c:ad_account(ACCT))
    assert.equal("USD", acct.currency)
    assert.equal(ACCT, acct.id)
  end)

  it("raises before sending: columns, granularity, dates per granularity, parameters, ids", function()
    sim:clear_log()
    local function raises(pattern, f) assert.error_matches(f, pattern, nil, true) end
    raises('campaign_analytics: columns[1] = "TOTAL_CLICKTROUGH" is not a column of the synchronous ads ' ..
      "endpoints (did you mean TOTAL_CLICKTHROUGH (Link clicks)?)", function()
        c:campaign_analytics(ACCT, campaigns, month { columns = { "TOTAL_CLICKTROUGH" } })
      end)
    raises("did you mean TOTAL_CLICKTHROUGH", function()
      c:ad_account_analytics(ACCT, month { columns = { "link clicks" } })
    end)
    raises("a column of async reports only", function()
      c:ad_account_analytics(ACCT, month { columns = { "TOTAL_CONVERSIONS_QUANTITY" } })
    end)
    local p = month()
    p.granularity = nil
    raises("granularity is required (allowed: TOTAL, DAY, HOUR, WEEK, MONTH)", function()
      c:ad_account_analytics(ACCT, p)
    end)
    raises('granularity = "WEEKLY" is not allowed', function()
      c:ad_account_analytics(ACCT, month { granularity = "WEEKLY" })
    end)
    raises("start_date " .. H.day(-9) .. " is 9 days before today", function()
      c:ad_account_analytics(ACCT, month { granularity = "HOUR", start_date = H.day(-9) })
    end)
    raises("allowed: at most 8", function()
      c:ad_account_analytics(ACCT, month { granularity = "HOUR", start_date = H.day(-9) })
    end)
    raises("start_date " .. H.day(-91) .. " is 91 days before today", function()
      c:ad_account_analytics(ACCT, month { start_date = H.day(-91) })
    end)
    raises("allowed with granularity TOTAL: at most 90", function()
      c:ad_account_analytics(ACCT, month { granularity = "TOTAL", start_date = H.day(-90), end_date = H.day(10) })
    end)
    raises("click_window_days = 3 (number) is not allowed (allowed: 0, 1, 7, 14, 30, 60)", function()
      c:ad_account_analytics(ACCT, month { click_window_days = 3 })
    end)
    raises('unknown parameter "metric_types"', function()
      c:ad_account_analytics(ACCT, month { metric_types = { "IMPRESSION" } })
    end)
    raises('unknown parameter "aggregate_report_rows"', function()
      c:ad_account_analytics(ACCT, month { aggregate_report_rows = true })
    end)
    raises("campaign_ids[2] must be a string of digits (at most 18), got 5", function()
      c:campaign_analytics(ACCT, { "1", 5 }, month())
    end)
    raises("campaign_ids must not be empty", function() c:campaign_analytics(ACCT, {}, month()) end)
    raises("ad_account_id must be a string of digits", function() c:ad_account_analytics(5, month()) end)
    raises("ad_ids is required, or campaign_ids and pin_ids together", function()
      c:ad_analytics(ACCT, month { campaign_ids = campaigns })
    end)
    raises("give either ad_ids, or campaign_ids and pin_ids, not both", function()
      c:ad_analytics(ACCT, month { campaign_ids = campaigns, pin_ids = { "1" }, ad_ids = { "2" } })
    end)
    raises("campaign_id is required", function() c:ad_pin_analytics(ACCT, { "1" }, month()) end)
    raises('level = "PIN" is not allowed (allowed: ADVERTISER, CAMPAIGN, AD_GROUP, AD)', function()
      c:targeting_analytics("PIN", ACCT, { "1" }, month())
    end)
    raises("targeting_types is required", function() c:targeting_analytics("AD", ACCT, { "1" }, month()) end)
    raises('targeting_types[1] = "CREATIVE_TYPE" is not allowed', function()
      c:targeting_analytics("AD", ACCT, { "1" }, month { targeting_types = { "CREATIVE_TYPE" } })
    end)
    raises("ids must be nil at level ADVERTISER", function()
      c:targeting_analytics("ADVERTISER", ACCT, { "1" }, month { targeting_types = { "GENDER" } })
    end)
    raises('entity_statuses[1] = "RUNNING" is not allowed', function()
      c:list_campaigns(ACCT, { entity_statuses = { "RUNNING" } })
    end)
    raises("call it with a colon: client:campaign_analytics(...)", function()
      c.campaign_analytics(ACCT, campaigns, month())
    end)
    assert.equal(0, #sim:requests())
  end)

  it("run-time failures are nil, err: never fewer rows as if complete", function()
    local none, err = c:ad_account_analytics("549000000000000001", month())
    assert.is_nil(none)
    assert.equal("not_found", err.kind)
    -- one of three chunks fails
    local path = "/v5/ad_accounts/" .. ACCT .. "/campaigns/analytics"
    sim:configure { override = { [path] = { status = 500, body = '{"code":2787,"message":"Oops"}', times = 1 } } }
    local rows, err2 = c:campaign_analytics(ACCT, H.digits(600, "6260000000"), month { granularity = "TOTAL" })
    assert.is_nil(rows)
    assert.equal(500, err2.status)
    -- an answer of the wrong shape names the field
    sim:configure { override = { [path] = { status = 200, body = '[{"CAMPAIGN_ID":"1","TOTAL_CLICKTHROUGH":"3"}]' } } }
    rows, err2 = c:campaign_analytics(ACCT, campaigns, month { granularity = "TOTAL" })
    sim:configure {}
    assert.is_nil(rows)
    assert.equal("invalid_response", err2.kind)
    assert.equal("$[0].TOTAL_CLICKTHROUGH", err2.path)
    H.assert_no_secret(err2)
  end)
end)
