-- Ads reports: money exact from the wire to every format, ratios from their
-- parts, the overview and the campaigns ranking against the simulator's data.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local money = require "pinanalytics.ads.money"
local ar = require "pinanalytics.ads.report"
local pa = require "pinanalytics"
local core = require "pinanalytics.core"

local ACCT = ads.ACCOUNTS[1]
local SPEND = "SPEND_IN_MICRO_DOLLAR"

describe("pinanalytics.ads.money", function()
  it("shows micro-units in the currency's decimals, rounded half away from zero on whole numbers", function()
    assert.are.equal("12.35", money.units(12345678, "USD"))
    assert.are.equal("12.34", money.units(12344999, "USD"))
    assert.are.equal("12.35", money.units(12345000, "USD")) -- half: away from zero
    assert.are.equal("-12.35", money.units(-12345000, "USD"))
    assert.are.equal("0.00", money.units(4999, "USD"))
    assert.are.equal("0.01", money.units(5000, "USD"))
    assert.are.equal("12", money.units(12345678, "JPY"))
    assert.are.equal("13", money.units(12500000, "JPY"))
    assert.are.equal("12.346", money.units(12345678, "KWD"))
    assert.are.equal("1,234,567.89 USD", money.text(1234567890000, "USD"))
    assert.are.equal("1,234,568 JPY", money.text(1234567890000, "JPY"))
    -- 2^53 - 1 micro-units: exact on every Lua (a float would round the last digits)
    assert.are.equal("9007199254.74", money.units(9007199254740991, "USD"))
    assert.are.equal(2, money.decimals("EUR"))
    assert.are.equal(0, money.decimals("JPY"))
  end)

  it("makes a price from its parts, rounded once", function()
    assert.are.equal("3.33", money.per(10000000, 3, "USD"))       -- 10 units over 3 clicks
    assert.are.equal("6.67", money.per(20000000, 3, "USD"))
    assert.are.equal("3", money.per(10000000, 3, "JPY"))
    assert.are.equal("3,333.33", money.per(10000000, 3, "USD", 1000, { grouped = true })) -- per thousand
    assert.is_nil(money.per(10000000, 0, "USD"))
  end)

  it("raises on a currency that is not a code, naming what it got", function()
    assert.has_error(function() money.units(1, "usd") end,
      'pinanalytics.ads.money.units: currency must be an ISO 4217 code of three capital letters ("USD", "JPY"), got "usd"')
    assert.has_error(function() money.per(1.5, 2, "USD") end)
  end)
end)

describe("ads reports against the simulator", function()
  local sim, client
  setup(function()
    sim = H.start { ads_report_polls = 0 }
    client = H.client(sim)
  end)
  teardown(function()
    if client then client:close() end
    if sim then sim:stop() end
  end)

  local range = pa.dates.range(H.day(-30), H.day(-1))

  local function day_rows(prange)
    return assert(client:ad_account_analytics(ACCT, { start_date = prange.start_date, end_date = prange.end_date,
      granularity = "DAY", columns = ar.PARTS }))
  end

  it("a month of daily spend sums to the TOTAL answer, shown exactly in every format", function()
    local days = day_rows(range)
    assert.are.equal(30, #days)
    local total = assert(client:ad_account_analytics(ACCT, { start_date = range.start_date, end_date = range.end_date,
      granularity = "TOTAL", columns = { SPEND, "CTR", "CPC_IN_MICRO_DOLLAR", "CHECKOUT_ROAS", "IMPRESSION_1",
        "CLICKTHROUGH_1" } }))
    assert.are.equal(1, #total)
    local sum = 0
    for _, r in ipairs(days) do
      if math.type then assert.are.equal("integer", math.type(r[SPEND])) end
      sum = sum + r[SPEND]
    end
    assert.are.equal(total[1][SPEND], sum)
    local ov = ar.overview(days, day_rows(range:previous()), { currency = "USD", range = range, ad_account_id = ACCT })
    local spend = ov.metrics[1]
    assert.are.equal("spend", spend.key)
    assert.are.equal(sum, spend.current_micro)
    local shown = money.units(sum, "USD")
    local grouped = money.text(sum, "USD")
    assert.are.equal(grouped, spend.current_text)
    -- every format shows that figure as it is
    local text = pa.report.render("text", ov)
    assert.truthy(text:find(grouped, 1, true), text)
    assert.truthy(pa.report.render("markdown", ov):find("| Spend | " .. grouped .. " |", 1, true))
    assert.truthy(pa.report.render("html", ov):find(">" .. grouped .. "<", 1, true))
    local csv = pa.report.render("csv", ov)
    assert.truthy(csv:find("\nspend,Spend,money,USD," .. shown:gsub("0+$", ""):gsub("%.$", "") .. ",", 1, true), csv)
    assert.truthy(csv:find("," .. string.format("%d", sum) .. ",", 1, true))
    local doc = core.decode(pa.report.render("json", ov))
    assert.are.equal(sum, doc.metrics[1].current_micro)
    assert.are.equal(tonumber(shown), doc.metrics[1].current)
    assert.are.equal(grouped, doc.metrics[1].current_text)
    -- the ratios are the TOTAL answer's, recomputed from the month's parts (never a sum of daily ratios)
    local ctr = ov.metrics[4]
    assert.are.equal("ctr", ctr.key)
    assert.near(total[1].CTR, ctr.current, 1e-15)
    local daily_sum = 0
    for _, r in ipairs(days) do daily_sum = daily_sum + r.CLICKTHROUGH_1 / r.IMPRESSION_1 end
    assert.is_true(math.abs(daily_sum - ctr.current) > 0.1) -- what summing would have given
    assert.are.equal(money.units(total[1].CPC_IN_MICRO_DOLLAR, "USD"), money.units(total[1][SPEND] * 1e0 /
      total[1].CLICKTHROUGH_1, "USD"))
    assert.are.equal(tonumber(money.per(sum, total[1].CLICKTHROUGH_1, "USD")), ov.metrics[5].current)
    assert.near(total[1].CHECKOUT_ROAS, ov.metrics[9].current, 1e-12)
    assert.is_table(doc.current.missing_ranges)
  end)

  it("states the coverage and what is missing; a missing figure is absent, never 0", function()
    local days = day_rows(range)
    table.remove(days, 10) -- a day without figures
    local ov = ar.overview(days, nil, { currency = "USD", range = range })
    local missing = days[9].DATE -- the day after it is days[10] now
    local gap = pa.dates.add_days(missing, 1)
    assert.are.equal(29, ov.current.days_with_figures)
    assert.are.equal(gap, ov.current.missing_ranges[1].start_date)
    local text = pa.report.render("text", ov)
    assert.truthy(text:find("Current coverage:  29 of 30 days; missing " .. gap .. " (1 day)", 1, true), text)
    assert.truthy(text:find("Previous coverage: unknown", 1, true) or text:find("Previous coverage: 0 of", 1, true),
      text)
    for _, m in ipairs(ov.metrics) do assert.are.equal("-", m.previous_text) end
    local doc = core.decode(pa.report.render("json", ov))
    for _, m in ipairs(doc.metrics) do assert.are.equal(core.null, m.previous) end
    local csv = pa.report.render("csv", ov)
    assert.truthy(csv:find(",29," .. gap .. ",", 1, true), csv)
  end)

  it("ranks the campaigns by any metric, values from each campaign's parts, ties stable", function()
    local camps = {}
    for c in client:list_campaigns(ACCT, { entity_statuses = { "ACTIVE", "PAUSED", "ARCHIVED" } }):items() do
      camps[#camps + 1] = c
    end
    assert.are.equal(#ads.campaigns(ACCT), #camps)
    local ids = {}
    for i, c in ipairs(camps) do ids[i] = c.id end
    local rows = assert(client:campaign_analytics(ACCT, ids, { start_date = range.start_date,
      end_date = range.end_date, granularity = "DAY", columns = ar.PARTS }))
    local cols = { SPEND, "CTR", "CHECKOUT_ROAS", "IMPRESSION_1", "CLICKTHROUGH_1", "TOTAL_CONVERSIONS" }
    local wants = {}
    for _, c in ipairs(camps) do wants[c.id] = ads.row("CAMPAIGN", c.id, range.start_date, range.end_date, cols) end
    local acct = ads.row("ADVERTISER", ACCT, range.start_date, range.end_date, { SPEND, "CTR" })
    for _, key in ipairs({ "spend", "ctr", "cpc", "cpm", "roas", "impressions", "clicks", "conversions" }) do
      local r = ar.campaigns(rows, { currency = "USD", campaigns = camps, sort_by = key, range = range })
      assert.are.equal(#camps, #r.campaigns)
      for i, c in ipairs(r.campaigns) do
        local want = wants[c.id]
        assert.are.equal(want[SPEND], c.micro.spend)
        assert.are.equal(money.text(want[SPEND], "USD"), c.texts.spend)
        assert.near(want.CTR, c.values.ctr, 1e-15)
        assert.near(want.CHECKOUT_ROAS, c.values.roas, 1e-12)
        assert.are.equal(want.TOTAL_CONVERSIONS, c.values.conversions)
        assert.are.equal(tonumber(money.per(want[SPEND], want.CLICKTHROUGH_1, "USD")), c.values.cpc)
        if i > 1 then
          local a, b = r.campaigns[i - 1].values[key], c.values[key]
          assert.is_true(a >= b, key)
        end
      end
      -- the total: parts of every campaign summed, ratios from them (the account's row)
      assert.are.equal(acct[SPEND], r.total.micro.spend)
      assert.near(acct.CTR, r.total.values.ctr, 1e-15)
    end
    -- ties keep the campaigns' order; a campaign without figures is last, its figures missing
    local tied = {
      { CAMPAIGN_ID = "3", DATE = range.start_date, [SPEND] = 5000000, IMPRESSION_1 = 10, CLICKTHROUGH_1 = 1 },
      { CAMPAIGN_ID = "1", DATE = range.start_date, [SPEND] = 5000000, IMPRESSION_1 = 10, CLICKTHROUGH_1 = 1 },
      { CAMPAIGN_ID = "2", DATE = range.start_date, [SPEND] = 7000000, IMPRESSION_1 = 10, CLICKTHROUGH_1 = 1 },
    }
    local r = ar.campaigns(tied, { currency = "JPY", range = range,
      campaigns = { { id = "9", name = "idle" }, { id = "1" }, { id = "3" }, { id = "2" } } })
    local order = {}
    for i, c in ipairs(r.campaigns) do order[i] = c.id end
    assert.are.same({ "2", "1", "3", "9" }, order)
    assert.are.equal("-", r.campaigns[4].texts.spend)
    assert.are.equal(1, r.without_figures)
    assert.are.equal("17 JPY", r.total.texts.spend)
    -- a price ranks by its exact parts: 0.414 above 0.412 though both show 0.41
    local close = ar.campaigns({
      { CAMPAIGN_ID = "a", [SPEND] = 412000, CLICKTHROUGH_1 = 1 },
      { CAMPAIGN_ID = "b", [SPEND] = 414000, CLICKTHROUGH_1 = 1 },
    }, { currency = "USD", sort_by = "cpc" })
    assert.are.equal("b", close.campaigns[1].id)
    assert.are.equal("0.41 USD", close.campaigns[1].texts.cpc)
    assert.are.equal("0.41 USD", close.campaigns[2].texts.cpc)
    local limited = ar.campaigns(tied, { currency = "JPY", limit = 2, sort_by = "CPC_IN_MICRO_DOLLAR" })
    assert.are.equal(2, #limited.campaigns)
    assert.are.equal("17 JPY", limited.total.texts.spend) -- the total is of them all
    for _, fmt in ipairs({ "text", "markdown", "csv", "json", "html" }) do
      local out = pa.report.render(fmt, r)
      assert.truthy(out:find("17", 1, true), fmt)
      if fmt ~= "json" and fmt ~= "csv" then
        assert.truthy(out:find("Paid CTR", 1, true), fmt) -- the catalogue's readable names
        assert.truthy(out:find("Coverage", 1, true) or out:find("coverage", 1, true), fmt)
      end
    end
    assert.truthy(pa.report.render("html", r):find("<svg", 1, true))
    local html = pa.report.render("html", ar.overview(day_rows(range), nil, { currency = "USD", range = range }))
    local _, charts = html:gsub("<svg", "")
    assert.are.equal(#ar.METRICS, charts)
  end)

  it("raises on a sort it does not know, naming those it does", function()
    local ok, err = pcall(ar.campaigns, {}, { currency = "USD", sort_by = "link clicks" })
    assert.is_false(ok)
    assert.matches("opts.sort_by \"link clicks\" is not a metric of the ranking %(spend, impressions, clicks, ctr, " ..
      "cpc, cpm, conversions, checkout_value, roas", err)
    assert.has_error(function() ar.overview({}, {}, {}) end)
    ok, err = pcall(ar.overview, {}, {}, { currency = "dollars" })
    assert.is_false(ok)
    assert.matches("opts.currency must be the ad account's currency", err)
    ok, err = pcall(ar.campaigns, { { [SPEND] = 1 } }, { currency = "USD" })
    assert.is_false(ok)
    assert.matches("rows%[1%] has no CAMPAIGN_ID", err)
  end)
end)
