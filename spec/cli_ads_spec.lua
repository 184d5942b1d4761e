-- pinanalytics ads overview and ads campaigns: the reports against the
-- simulator's data, in every format; usage errors before anything is sent.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local money = require "pinanalytics.ads.money"
local cli = require "pinanalytics.cli"
local core = require "pinanalytics.core"

local ACCT = ads.ACCOUNTS[1]
local SPEND = "SPEND_IN_MICRO_DOLLAR"

local function sink()
  local parts = {}
  return {
    write = function(self, ...)
      for _, s in ipairs({ ... }) do parts[#parts + 1] = s end
      return self
    end,
    flush = function(self) return self end,
    text = function() return table.concat(parts) end,
  }
end

describe("pinanalytics ads overview and campaigns", function()
  local sim
  setup(function() sim = H.start { ads_report_polls = 0 } end)
  teardown(function() if sim then sim:stop() end end)

  local function run(args, env)
    local out, err = sink(), sink()
    env = env or { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url,
      PINANALYTICS_CREDENTIALS = "/nonexistent/pinanalytics-spec/credentials.json" }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      clock = H.clock, isatty = function() return false end })
    return code, out.text(), err.text()
  end

  it("ads overview: the account's figures in both periods, money exact, in json", function()
    local code, out, err = run({ "ads", "overview", "--account-id", ACCT, "--last", "30", "--format", "json" })
    assert.are.equal(0, code, err)
    local doc = core.decode(out)
    assert.are.equal("ads_overview", doc.kind)
    assert.are.equal("USD", doc.currency)
    local s, e = H.day(-30), H.day(-1)
    local ps, pe = H.day(-60), H.day(-31)
    local cols = { SPEND, "CTR", "CHECKOUT_ROAS", "TOTAL_CONVERSIONS", "IMPRESSION_1", "CLICKTHROUGH_1" }
    local want = ads.row("ADVERTISER", ACCT, s, e, cols)
    local before = ads.row("ADVERTISER", ACCT, ps, pe, cols)
    local by = {}
    for _, m in ipairs(doc.metrics) do by[m.key] = m end
    assert.are.equal(want[SPEND], by.spend.current_micro)
    assert.are.equal(before[SPEND], by.spend.previous_micro)
    assert.are.equal(money.text(want[SPEND], "USD"), by.spend.current_text)
    assert.near(want.CTR, by.ctr.current, 1e-15)
    assert.near(before.CTR, by.ctr.previous, 1e-15)
    assert.near((want.CTR - before.CTR) * 100, by.ctr.change_pp, 1e-12)
    assert.near(want.CHECKOUT_ROAS, by.roas.current, 1e-12)
    assert.are.equal(want.TOTAL_CONVERSIONS, by.conversions.current)
    assert.are.equal(tonumber(money.per(want[SPEND], want.CLICKTHROUGH_1, "USD")), by.cpc.current)
    assert.are.equal(tonumber(money.per(want[SPEND], want.IMPRESSION_1, "USD", 1000)), by.cpm.current)
    assert.are.equal(30, doc.current.days_with_figures)
    assert.are.equal(30, doc.previous.days_with_figures)
    assert.are.equal(ps, doc.previous.start_date)
    assert.is_nil(out:find(H.TOKEN, 1, true))
  end)

  it("ads overview: a previous period past 90 days comes from async reports, the same figures", function()
    local code, out, err = run({ "ads", "overview", "--account-id", ACCT, "--last", "60", "--format", "csv" })
    assert.are.equal(0, code, err)
    local want = ads.row("ADVERTISER", ACCT, H.day(-120), H.day(-61), { SPEND })
    local now = ads.row("ADVERTISER", ACCT, H.day(-60), H.day(-1), { SPEND })
    local line = out:match("\n(spend,[^\n]+)")
    assert.is_string(line, out)
    local cells = {}
    for c in (line .. ","):gmatch("([^,]*),") do cells[#cells + 1] = c end
    assert.are.equal(money.units(now[SPEND], "USD"):gsub("0+$", ""):gsub("%.$", ""), cells[5])
    assert.are.equal(string.format("%d", now[SPEND]), cells[7])
    assert.are.equal(string.format("%d", want[SPEND]), cells[8])
    assert.are.equal("60", cells[19]) -- the previous period's days with figures
  end)

  it("ads overview in text, markdown and html: readable names, the currency, the coverage", function()
    local want = ads.row("ADVERTISER", ACCT, H.day(-7), H.day(-1), { SPEND })
    for _, fmt in ipairs({ "text", "markdown", "html" }) do
      local code, out, err = run({ "ads", "overview", "--account-id", ACCT, "--last", "7", "--format", fmt })
      assert.are.equal(0, code, err)
      assert.truthy(out:find(money.text(want[SPEND], "USD"), 1, true), fmt)
      assert.truthy(out:find("Paid CTR", 1, true), fmt)
      assert.truthy(out:find("ROAS (checkouts)", 1, true), fmt)
      assert.truthy(out:find("7 of 7 days", 1, true), fmt)
    end
  end)

  it("ads campaigns past 90 days: from an async report, the same figures", function()
    local code, out, err = run({ "ads", "campaigns", "--account-id", ACCT, "--start", H.day(-200), "--end",
      H.day(-151), "--format", "json" })
    assert.are.equal(0, code, err)
    local doc = core.decode(out)
    assert.are.equal(#ads.campaigns(ACCT), #doc.campaigns)
    for _, c in ipairs(doc.campaigns) do
      local want = ads.row("CAMPAIGN", c.id, H.day(-200), H.day(-151), { SPEND, "CTR" })
      assert.are.equal(want[SPEND], c.micro.spend)
      assert.near(want.CTR, c.values.ctr, 1e-15)
      assert.are.equal(50, c.days_with_figures)
    end
  end)

  it("ads campaigns: ranked by --sort, --limit, the figures each campaign's", function()
    local code, out, err = run({ "ads", "campaigns", "--account-id", ACCT, "--last", "14", "--sort", "CTR",
      "--limit", "3", "--format", "json" })
    assert.are.equal(0, code, err)
    local doc = core.decode(out)
    assert.are.equal("ads_campaigns", doc.kind)
    assert.are.equal("ctr", doc.sort_by)
    assert.are.equal(3, #doc.campaigns)
    assert.are.equal(#ads.campaigns(ACCT), doc.count)
    local all = {}
    for _, c in ipairs(ads.campaigns(ACCT)) do
      local r = ads.row("CAMPAIGN", c.id, H.day(-14), H.day(-1), { SPEND, "CTR" })
      all[#all + 1] = { id = c.id, ctr = r.CTR, spend = r[SPEND] }
    end
    table.sort(all, function(a, b) return a.ctr > b.ctr end)
    for i, c in ipairs(doc.campaigns) do
      assert.are.equal(all[i].id, c.id)
      assert.are.equal(i, c.rank)
      assert.are.equal(all[i].spend, c.micro.spend)
      assert.near(all[i].ctr, c.values.ctr, 1e-15)
    end
    local acct = ads.row("ADVERTISER", ACCT, H.day(-14), H.day(-1), { SPEND })
    assert.are.equal(acct[SPEND], doc.total.micro.spend)
    code, out, err = run({ "ads", "campaigns", "--account-id", ACCT, "--last", "14" })
    assert.are.equal(0, code, err)
    assert.truthy(out:find("Sorted by: Spend, highest first", 1, true), out)
    assert.truthy(out:find(money.text(acct[SPEND], "USD"), 1, true), out)
  end)

  it("says usage errors before anything is sent, and has help", function()
    local sent = #sim:requests()
    local function usage_of(args, pattern)
      local code, out, err = run(args)
      assert.are.equal(2, code, err)
      assert.are.equal("", out)
      assert.matches(pattern, err)
    end
    usage_of({ "ads", "overview" }, "%-%-account%-id is required")
    usage_of({ "ads", "overview", "--account-id", "12x" }, "%-%-account%-id must be digits")
    usage_of({ "ads", "campaigns", "--account-id", ACCT, "--sort", "ctx" }, "did you mean %-%-sort ctr%?")
    usage_of({ "ads", "campaigns", "--account-id", ACCT, "--limit", "0" }, "%-%-limit must be a whole number")
    usage_of({ "ads", "overview", "--account-id", ACCT, "--last", "500" }, "keeps ads analytics for 914 days")
    usage_of({ "ads", "overview", "--account-id", ACCT, "--sort", "ctr" }, "ads overview does not take %-%-sort")
    usage_of({ "ads", "overview", "--account-id", ACCT, "--start", H.day(-3), "--end", H.day(5) }, "end_date")
    usage_of({ "ads", "campaigns", "--account-id", ACCT, "--start", H.day(-3), "--end", H.day(5) }, "end_date")
    assert.are.equal(sent, #sim:requests())
    usage_of({ "ads", "overview", "--account-id", ACCT, "--format", "xml" }, "not a format")
    -- no token: said before anything is sent
    local code, _, err = run({ "ads", "overview", "--account-id", ACCT },
      { PINANALYTICS_CREDENTIALS = "/nonexistent/pinanalytics-spec/credentials.json" })
    assert.are_not.equal(0, code)
    assert.matches("token", err)
    for _, sub in ipairs({ "overview", "campaigns" }) do
      local c, out = run({ "ads", sub, "--help" })
      assert.are.equal(0, c)
      assert.truthy(out:find("usage: pinanalytics ads " .. sub, 1, true), out)
    end
  end)

  it("a run-time failure is one line: an ad account the simulator does not have", function()
    local code, _, err = run({ "ads", "overview", "--account-id", "549000000000000001", "--last", "7" })
    assert.are.equal(1, code)
    assert.is_nil(err:find(H.TOKEN, 1, true))
    assert.truthy(#err > 0)
  end)
end)
