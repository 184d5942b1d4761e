-- Ads analytics in the store: the first sync backfills 914 days with async
-- reports, the next ones fetch nothing, or only the days missing or not
-- final; what is held reads back exactly (micro-units), on SQLite and on
-- PostgreSQL (a server started here when it can be: spec/helpers/pg.lua);
-- `sync --ads` and the ads reports --from-store.
local H = require "helpers.sim"
local ads = require "pinanalytics.simulator.ads_data"
local money = require "pinanalytics.ads.money"
local cli = require "pinanalytics.cli"
local core = require "pinanalytics.core"
local pa = require "pinanalytics"

local ACCT = ads.ACCOUNTS[1]
local SPEND = "SPEND_IN_MICRO_DOLLAR"

local function reports_created(sim, since)
  local n = 0
  for i, r in ipairs(sim:requests()) do
    if i > since and r.method == "POST" and r.path:match("/ad_accounts/%d+/reports$") then n = n + 1 end
  end
  return n
end

-- The checks, on a store opened by open()
local function contract(open, sim_of, days)
  local per_level = math.ceil(days / 186)
  local g = math.floor(days / 2) -- a gap of 10 days from there back
  it("backfills " .. days .. " days with async reports, then fetches only what is missing or not final", function()
    local sim = sim_of()
    local client = H.client(sim)
    local st = assert(open())
    local before = #sim:requests()
    local res = assert(st:sync_ads(client, { ad_account_ids = { ACCT }, days = days }))
    assert.are.same({}, res.failures)
    -- 186 days a report (914 days: 5 reports a level)
    assert.are.equal(2 * per_level, res.reports)
    assert.are.equal(2 * per_level, reports_created(sim, before))
    assert.are.equal(days, res.accounts[1].levels.ADVERTISER.days_written)
    assert.are.equal(days, res.accounts[1].levels.CAMPAIGN.days_written)
    assert.are.equal(#ads.campaigns(ACCT), res.accounts[1].entities)
    assert.are.equal("USD", res.accounts[1].currency)

    -- what is held reads back exactly: a month, and a day near the first
    local month = pa.dates.range(H.day(-30), H.day(-1))
    local rows, info = assert(st:ads_rows(ACCT, "CAMPAIGN", month))
    assert.are.equal(30, #info.held)
    assert.are.same({}, info.missing)
    assert.are.equal(29, #info.not_final) -- fetched today: a day may change for 30 days
    assert.are.equal("USD", info.currency)
    local sums = {}
    for _, r in ipairs(rows) do sums[r.CAMPAIGN_ID] = (sums[r.CAMPAIGN_ID] or 0) + r[SPEND] end
    for _, c in ipairs(ads.campaigns(ACCT)) do
      assert.are.equal(ads.row("CAMPAIGN", c.id, month.start_date, month.end_date, { SPEND })[SPEND], sums[c.id])
    end
    local old = H.day(-(days - 14))
    local arows = assert(st:ads_rows(ACCT, "ADVERTISER", pa.dates.range(old, old)))
    assert.are.equal(1, #arows)
    local want = ads.row("ADVERTISER", ACCT, old, old, { SPEND, "TOTAL_CONVERSIONS", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR" })
    assert.are.equal(want[SPEND], arows[1][SPEND])
    assert.are.equal(want.TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR, arows[1].TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR)
    if math.type then assert.are.equal("integer", math.type(arows[1][SPEND])) end

    -- the same day again: nothing to fetch
    before = #sim:requests()
    res = assert(st:sync_ads(client, { ad_account_ids = { ACCT }, days = days }))
    assert.are.equal(0, res.reports)
    assert.are.equal(0, reports_created(sim, before))
    assert.are.equal(0, res.accounts[1].levels.CAMPAIGN.days_asked)

    -- days missing (as if lost) are fetched, and only they
    st.db:exec("DELETE FROM ads_fetched WHERE level = 'CAMPAIGN' AND day >= '" .. H.day(-g) .. "' AND day <= '" ..
      H.day(-g + 9) .. "'")
    st.db:exec("DELETE FROM ads_days WHERE level = 'CAMPAIGN' AND day >= '" .. H.day(-g) .. "' AND day <= '" ..
      H.day(-g + 9) .. "'")
    local gap = pa.dates.range(H.day(-g), H.day(-g + 9))
    local held = assert(st:ads_rows(ACCT, "CAMPAIGN", gap))
    assert.are.equal(0, #held)
    before = #sim:requests()
    res = assert(st:sync_ads(client, { ad_account_ids = { ACCT }, days = days }))
    assert.are.equal(1, res.reports)
    assert.are.equal(1, reports_created(sim, before))
    assert.are.equal(10, res.accounts[1].levels.CAMPAIGN.days_asked)
    assert.are.equal(0, res.accounts[1].levels.ADVERTISER.days_asked)
    held = assert(st:ads_rows(ACCT, "CAMPAIGN", gap))
    assert.are.equal(10 * #ads.campaigns(ACCT), #held)

    -- fetched a day earlier: the days not final are asked again (once a day), the final ones not
    st.db:exec("UPDATE ads_fetched SET fetched = fetched - 86400")
    before = #sim:requests()
    res = assert(st:sync_ads(client, { ad_account_ids = { ACCT }, days = days }))
    assert.are.equal(2, res.reports)
    assert.are.equal(2, reports_created(sim, before))
    assert.are.equal(30, res.accounts[1].levels.ADVERTISER.days_asked)
    assert.are.equal(30, res.accounts[1].levels.CAMPAIGN.days_asked)
    client:close()
    st:close()
  end)

  it("says what it did not do: an ad account it cannot read", function()
    local sim = sim_of()
    local client = H.client(sim)
    local st = assert(open())
    local res = assert(st:sync_ads(client, { ad_account_ids = { "549000000000000001" }, days = 10 }))
    assert.are.equal(1, #res.failures)
    assert.are.equal("549000000000000001", res.failures[1].ad_account_id)
    assert.are.equal(0, res.reports)
    assert.has_error(function() st:sync_ads(client, { days = 915 }) end,
      "pinanalytics.store:sync_ads: opts.days must be a whole number from 1 to 914, got 915 (number)")
    client:close()
    st:close()
  end)
end

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

describe("ads in the store (SQLite)", function()
  local sim, dir
  setup(function()
    sim = H.start { ads_report_polls = 0 }
    local h = assert(io.popen("mktemp -d"))
    dir = h:read("*l")
    h:close()
  end)
  teardown(function()
    if sim then sim:stop() end
    if dir then os.execute("rm -rf '" .. dir .. "'") end
  end)
  local n = 0
  contract(function()
    n = n + 1
    return pa.store.open(dir .. "/ads" .. n .. ".db", { clock = H.clock })
  end, function() return sim end, 914)

  local function run(args, env)
    local out, err = sink(), sink()
    env = env or { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url,
      PINANALYTICS_CREDENTIALS = "/nonexistent/pinanalytics-spec/credentials.json" }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      clock = H.clock, isatty = function() return false end })
    return code, out.text(), err.text()
  end

  it("sync --ads, then ads overview and ads campaigns --from-store, without a token", function()
    local path = dir .. "/cli.db"
    local _
    local code, out, err = run({ "sync", "--ads", "--store", path, "--account-id", ACCT, "--days", "120" })
    assert.are.equal(0, code, err)
    assert.are.equal("synced ads into " .. path .. ": 1 ad account, " .. #ads.campaigns(ACCT) .. " campaigns, " ..
      "2 reports, 240 days asked, 240 days written (" .. (120 + 120 * #ads.campaigns(ACCT)) .. " rows), 0 failures\n",
      out)
    code, out = run({ "sync", "--ads", "--store", path, "--account-id", ACCT, "--days", "120" })
    assert.are.equal(0, code)
    assert.matches("0 reports, 0 days asked, 0 days written", out)
    local none = { PINANALYTICS_CREDENTIALS = "/nonexistent/pinanalytics-spec/credentials.json" }
    code, out, err = run({ "ads", "overview", "--account-id", ACCT, "--last", "60", "--from-store", path,
      "--format", "json" }, none)
    assert.are.equal(0, code, err)
    local doc = core.decode(out)
    local cur = ads.row("ADVERTISER", ACCT, H.day(-60), H.day(-1), { SPEND, "CTR" })
    local prev = ads.row("ADVERTISER", ACCT, H.day(-120), H.day(-61), { SPEND })
    assert.are.equal(cur[SPEND], doc.metrics[1].current_micro)
    assert.are.equal(prev[SPEND], doc.metrics[1].previous_micro)
    assert.near(cur.CTR, doc.metrics[4].current, 1e-15)
    assert.are.equal(29, #doc.not_final)
    code, out = run({ "ads", "overview", "--account-id", ACCT, "--last", "90", "--from-store", path }, none)
    assert.are.equal(0, code)
    -- the previous period reaches past what the store holds: said, not shown as zeros
    assert.truthy(out:find("Previous coverage: 30 of 90 days; missing " .. H.day(-180) .. ".." .. H.day(-121) ..
      " (60 days)", 1, true), out)
    assert.truthy(out:find("Not final: 29 days may still change (conversions are attributed for up to 30 days): " ..
      H.day(-29) .. ".." .. H.day(-1) .. "\n", 1, true), out)
    code, out, err = run({ "ads", "campaigns", "--account-id", ACCT, "--last", "30", "--from-store", path,
      "--format", "csv" }, none)
    assert.are.equal(0, code, err)
    local total = ads.row("ADVERTISER", ACCT, H.day(-30), H.day(-1), { SPEND })
    assert.truthy(out:find("\n,total,,,USD," .. money.units(total[SPEND], "USD"):gsub("0+$", ""):gsub("%.$", "") ..
      ",", 1, true), out)
    assert.truthy(out:find("," .. string.format("%d", total[SPEND]) .. ",", 1, true), out)
    assert.truthy(out:find("," .. H.day(-29) .. ".." .. H.day(-1) .. "\n", 1, true), out) -- the days not final
    -- an ad account the store does not hold: said, with what to run
    code, _, err = run({ "ads", "overview", "--account-id", "549000000000062674", "--from-store", path }, none)
    assert.are.equal(1, code)
    assert.matches("holds no ads analytics of the ad account 549000000000062674: sync them first", err)
    -- usage errors before anything is sent
    code, _, err = run({ "sync", "--ads", "--store", path, "--all-pins" })
    assert.are.equal(2, code)
    assert.matches("sync %-%-ads does not take %-%-all%-pins", err)
    code, _, err = run({ "sync", "--ads", "--store", path, "--days", "915" })
    assert.are.equal(2, code)
    assert.matches("%-%-days must be a whole number of days from 1 to 914", err)
    code, _, err = run({ "sync", "--store", path, "--account-id", ACCT, "--account" })
    assert.are.equal(2, code)
    assert.matches("%-%-account%-id goes with %-%-ads", err)
  end)

  it("sync --ads without --account-id: every ad account the token's user can act for", function()
    local path = dir .. "/all.db"
    local code, out, err = run({ "sync", "--ads", "--store", path, "--days", "3" })
    assert.are.equal(0, code, err)
    assert.matches("^synced ads into [^:]+: 2 ad accounts, " .. 2 * #ads.campaigns(ACCT) .. " campaigns, 4 reports, " ..
      "12 days asked, 12 days written", out)
    local st = assert(pa.store.open(path, { read_only = true, clock = H.clock }))
    local held = assert(st:ad_accounts())
    assert.are.equal(2, #held)
    for i, a in ipairs(held) do
      assert.are.equal(ads.ACCOUNTS[i], a.ad_account_id)
      assert.are.equal("USD", a.currency)
      local rows = assert(st:ads_rows(a.ad_account_id, "ADVERTISER", pa.dates.range(H.day(-3), H.day(-1))))
      assert.are.equal(3, #rows)
      local want = ads.row("ADVERTISER", a.ad_account_id, H.day(-3), H.day(-1), { SPEND })
      assert.are.equal(want[SPEND], rows[1][SPEND] + rows[2][SPEND] + rows[3][SPEND])
    end
    st:close()
  end)

  it("sync --ads says each failure and exits 1", function()
    local path = dir .. "/fail.db"
    local code, out, err = run({ "sync", "--ads", "--store", path, "--account-id", "549000000000000001", "--days",
      "5" })
    assert.are.equal(1, code)
    assert.matches("1 failure", out)
    assert.matches("not synced: ad account 549000000000000001", err)
    assert.is_nil(err:find(H.TOKEN, 1, true))
  end)
end)

local pg, why = require("helpers.pg").start()
if not pg then
  describe("ads in the store (PostgreSQL)", function()
    pending("skipped: " .. why)
  end)
  return
end

describe("ads in the store (PostgreSQL)", function()
  local sim
  setup(function() sim = H.start { ads_report_polls = 0 } end)
  teardown(function()
    if sim then sim:stop() end
    pg.stop()
  end)
  local n = 0
  contract(function()
    n = n + 1
    return pa.store.open(pg.uri("ads" .. n), { clock = H.clock })
  end, function() return sim end, 200)
end)
