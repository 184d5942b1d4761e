package.path = "lua/?.lua;lua/?/init.lua;" .. package.path

local data = require "pinanalytics.simulator.data"

local PIN = "813744226420795884"
local TODAY = "2026-11-23"
local APPS = { "MOBILE", "TABLET", "WEB" }
local COUNTS = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "TOTAL_COMMENTS", "TOTAL_REACTIONS", "USER_FOLLOW",
  "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME",
  "VIDEO_START",
}
local ALL_METRICS = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS", "TOTAL_REACTIONS",
  "USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW",
  "VIDEO_V50_WATCH_TIME", "VIDEO_START", "VIDEO_AVG_WATCH_TIME",
}

local function is_integral(x)
  return type(x) == "number" and math.floor(x) == x
end

local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function sorted(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = v end
  table.sort(out)
  return out
end

local function close(a, b)
  return math.abs(a - b) <= 1e-12 * math.max(1, math.abs(a), math.abs(b))
end

describe("simulator data: dates", function()
  it("parses and formats day numbers", function()
    assert.equal(0, data.parse_date("1970-01-01"))
    assert.equal(1, data.parse_date("1970-01-02"))
    assert.equal(-1, data.parse_date("1969-12-31"))
    assert.equal(10957, data.parse_date("2000-01-01"))
    assert.equal("2000-01-01", data.format_date(10957))
    for _, s in ipairs({ "1999-12-31", "2000-02-29", "2024-02-29", "2026-11-23", "2100-03-01", "0001-01-01" }) do
      assert.equal(s, data.format_date(data.parse_date(s)))
    end
  end)

  it("knows leap days", function()
    assert.is_number(data.parse_date("2024-02-29"))
    assert.is_nil(data.parse_date("2025-02-29"))
    assert.is_number(data.parse_date("2000-02-29"))
    assert.is_nil(data.parse_date("1900-02-29"))
    assert.equal(data.parse_date("2024-02-28") + 1, data.parse_date("2024-02-29"))
    assert.equal(data.parse_date("2024-02-29") + 1, data.parse_date("2024-03-01"))
  end)

  it("refuses what is not a calendar date", function()
    for _, s in ipairs({ "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-00", "2024-1-01", "24-01-01",
      "2024-01-01T00:00:00", "", "yesterday" }) do
      assert.is_nil(data.parse_date(s), s)
    end
    assert.is_nil(data.parse_date(nil))
    assert.is_nil(data.parse_date(20240101))
  end)

  it("adds days across months, years and leap days", function()
    assert.equal("2024-03-01", data.add_days("2024-02-28", 2))
    assert.equal("2025-03-01", data.add_days("2025-02-28", 1))
    assert.equal("2027-01-01", data.add_days("2026-12-31", 1))
    assert.equal("2026-08-25", data.add_days("2026-11-23", -90))
    assert.equal("2026-11-23", data.add_days("2026-11-23", 0))
  end)
end)

describe("simulator data: hash", function()
  it("gives the same numbers under every Lua (values computed under lua5.1 and lua5.4)", function()
    assert.equal(585519868, data.hash(""))
    assert.equal(159560797, data.hash("a"))
    assert.equal(1078362636, data.hash("pinanalytics"))
    assert.equal(1970029584, data.hash("813744226420795884|2026-11-23|MOBILE|imp"))
  end)

  it("gives the same daily values under every Lua", function()
    local m = data.app_daily(PIN, "2026-11-20", "MOBILE")
    assert.equal(237, m.IMPRESSION)
    assert.equal(20, m.SAVE)
    assert.equal(32, m.PIN_CLICK)
    assert.equal(1, m.OUTBOUND_CLICK)
    assert.equal(47, m.VIDEO_START)
    assert.equal(207740, m.VIDEO_V50_WATCH_TIME)
  end)

  it("stays in 0 .. 2^31-2 and is integral", function()
    for _, s in ipairs({ "", "x", string.rep("\255", 200), PIN }) do
      local h = data.hash(s)
      assert.is_true(is_integral(h))
      assert.is_true(h >= 0 and h < 2147483647)
    end
  end)
end)

describe("simulator data: metrics", function()
  it("is deterministic", function()
    assert.same(data.app_daily(PIN, "2026-11-01", "WEB"), data.app_daily(PIN, "2026-11-01", "WEB"))
    assert.same(data.daily(PIN, "2026-11-01"), data.daily(PIN, "2026-11-01", "ALL"))
    assert.same(data.summary(PIN, "2026-10-01", "2026-11-23", "ALL", TODAY),
      data.summary(PIN, "2026-10-01", "2026-11-23", "ALL", TODAY))
    assert.same(data.lifetime(PIN), data.lifetime(PIN))
  end)

  it("gives every metric, integral counts, plausible sizes", function()
    for n = data.parse_date("2026-09-01"), data.parse_date("2026-11-23") do
      local date = data.format_date(n)
      for _, app in ipairs(APPS) do
        local m = data.app_daily(PIN, date, app)
        assert.same(sorted(ALL_METRICS), keys(m))
        for _, k in ipairs(COUNTS) do
          assert.is_true(is_integral(m[k]), k)
          assert.is_true(m[k] >= 0, k)
        end
        assert.is_true(m.IMPRESSION >= 4 and m.IMPRESSION <= 400)
        for _, k in ipairs({ "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "VIDEO_START" }) do
          assert.is_true(m[k] <= m.IMPRESSION, k)
        end
        for _, k in ipairs({ "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW" }) do
          assert.is_true(m[k] <= m.VIDEO_START, k)
        end
        assert.is_true(m.USER_FOLLOW <= 10 and m.PROFILE_VISIT <= 10)
        assert.is_true(m.TOTAL_COMMENTS <= 10 and m.TOTAL_REACTIONS <= 10)
        assert.is_true(close(m.SAVE / m.IMPRESSION, m.SAVE_RATE))
        if m.VIDEO_START > 0 then
          assert.is_true(close(m.VIDEO_V50_WATCH_TIME / m.VIDEO_START, m.VIDEO_AVG_WATCH_TIME))
        else
          assert.equal(0, m.VIDEO_AVG_WATCH_TIME)
        end
      end
    end
  end)

  it("differs by pin and by day", function()
    local seen_days, seen_pins = {}, {}
    for n = data.parse_date("2026-11-01"), data.parse_date("2026-11-20") do
      seen_days[data.daily(PIN, data.format_date(n)).IMPRESSION] = true
    end
    for i = 1, 20 do
      seen_pins[data.daily(tostring(1000 + i), "2026-11-01").IMPRESSION] = true
    end
    assert.is_true(#keys(seen_days) >= 15)
    assert.is_true(#keys(seen_pins) >= 15)
  end)

  it("counts nothing after today", function()
    for _, app in ipairs(APPS) do
      local m = data.app_daily(PIN, "2026-11-24", app, TODAY)
      for _, k in ipairs(ALL_METRICS) do assert.equal(0, m[k], k) end
    end
    assert.equal(0, data.daily(PIN, "2026-12-01", "ALL", TODAY).IMPRESSION)
    assert.is_true(data.daily(PIN, TODAY, "ALL", TODAY).IMPRESSION > 0)
  end)

  it("sums the three apps for ALL and recomputes the rates", function()
    for _, date in ipairs({ "2026-10-02", "2026-11-15", "2026-11-22" }) do
      local all = data.daily(PIN, date, "ALL")
      local sum = {}
      for _, k in ipairs(COUNTS) do sum[k] = 0 end
      for _, app in ipairs(APPS) do
        local a = data.daily(PIN, date, app)
        assert.same(data.app_daily(PIN, date, app), a)
        for _, k in ipairs(COUNTS) do sum[k] = sum[k] + a[k] end
      end
      for _, k in ipairs(COUNTS) do assert.equal(sum[k], all[k], k) end
      assert.is_true(close(sum.SAVE / sum.IMPRESSION, all.SAVE_RATE))
      assert.is_true(close(sum.VIDEO_V50_WATCH_TIME / sum.VIDEO_START, all.VIDEO_AVG_WATCH_TIME))
    end
  end)

  it("summarises: counts are the sums of the days, rates come from the sums", function()
    for _, app in ipairs({ "ALL", "MOBILE", "TABLET", "WEB" }) do
      local s = data.summary(PIN, "2026-10-20", "2026-11-23", app, TODAY)
      local sum = {}
      for _, k in ipairs(COUNTS) do sum[k] = 0 end
      for n = data.parse_date("2026-10-20"), data.parse_date("2026-11-23") do
        local d = data.daily(PIN, data.format_date(n), app, TODAY)
        for _, k in ipairs(COUNTS) do sum[k] = sum[k] + d[k] end
      end
      for _, k in ipairs(COUNTS) do
        assert.equal(sum[k], s[k], k)
        assert.is_true(is_integral(s[k]), k)
      end
      assert.is_true(close(s.SAVE / s.IMPRESSION, s.SAVE_RATE))
      assert.is_true(close(s.VIDEO_V50_WATCH_TIME / s.VIDEO_START, s.VIDEO_AVG_WATCH_TIME))
    end
    -- days after today add nothing
    assert.same(data.summary(PIN, "2026-11-20", TODAY, "ALL", TODAY),
      data.summary(PIN, "2026-11-20", "2026-12-10", "ALL", TODAY))
  end)

  it("gives small integral lifetime metrics", function()
    local l = data.lifetime(PIN)
    assert.same({ "TOTAL_COMMENTS", "TOTAL_REACTIONS" }, keys(l))
    assert.is_true(is_integral(l.TOTAL_COMMENTS) and l.TOTAL_COMMENTS >= 0)
    assert.is_true(is_integral(l.TOTAL_REACTIONS) and l.TOTAL_REACTIONS >= 0)
  end)
end)

describe("simulator data: status", function()
  it("marks the last days as not final", function()
    assert.equal("PROCESSING", data.status(TODAY, TODAY))
    assert.equal("PROCESSING", data.status("2026-11-22", TODAY))
    assert.equal("ESTIMATE", data.status("2026-11-21", TODAY))
    assert.equal("READY", data.status("2026-11-20", TODAY))
    assert.equal("READY", data.status("2026-08-25", TODAY))
    assert.equal("PROCESSING", data.status("2026-11-30", TODAY))
  end)
end)

describe("simulator data: pin_analytics", function()
  local q = {
    start_date = "2026-11-17", end_date = TODAY, metric_types = { "IMPRESSION", "SAVE", "SAVE_RATE" },
  }

  it("answers one 'all' group without a split", function()
    local res = data.pin_analytics(PIN, q, TODAY)
    assert.same({ "all" }, keys(res))
    local all = res.all
    assert.same({ "daily_metrics", "lifetime_metrics", "summary_metrics" }, keys(all))
    assert.equal(7, #all.daily_metrics)
    for i, day in ipairs(all.daily_metrics) do
      local date = data.add_days(q.start_date, i - 1)
      assert.equal(date, day.date)
      assert.equal(data.status(date, TODAY), day.data_status)
      assert.same({ "IMPRESSION", "SAVE", "SAVE_RATE" }, keys(day.metrics))
      local want = data.daily(PIN, date, "ALL", TODAY)
      assert.equal(want.IMPRESSION, day.metrics.IMPRESSION)
      assert.equal(want.SAVE, day.metrics.SAVE)
      assert.equal(want.SAVE_RATE, day.metrics.SAVE_RATE)
    end
    assert.same({ "READY", "READY", "READY", "READY", "ESTIMATE", "PROCESSING", "PROCESSING" }, (function()
      local out = {}
      for i, d in ipairs(all.daily_metrics) do out[i] = d.data_status end
      return out
    end)())
    local s = data.summary(PIN, q.start_date, q.end_date, "ALL", TODAY)
    assert.same({ IMPRESSION = s.IMPRESSION, SAVE = s.SAVE, SAVE_RATE = s.SAVE_RATE }, all.summary_metrics)
    assert.same(data.lifetime(PIN), all.lifetime_metrics)
  end)

  it("splits by app type", function()
    local qs = { start_date = "2026-11-01", end_date = "2026-11-03", metric_types = { "PIN_CLICK" },
      split_field = "APP_TYPE" }
    local res = data.pin_analytics(PIN, qs, TODAY)
    assert.same({ "MOBILE", "TABLET", "WEB" }, keys(res))
    for _, app in ipairs(APPS) do
      assert.equal(3, #res[app].daily_metrics)
      assert.equal(data.daily(PIN, "2026-11-02", app).PIN_CLICK, res[app].daily_metrics[2].metrics.PIN_CLICK)
      assert.equal(data.summary(PIN, "2026-11-01", "2026-11-03", app, TODAY).PIN_CLICK,
        res[app].summary_metrics.PIN_CLICK)
    end
    qs.app_types = "TABLET"
    assert.same({ "TABLET" }, keys(data.pin_analytics(PIN, qs, TODAY)))
  end)

  it("restricts a single app type without a split", function()
    local qa = { start_date = "2026-11-01", end_date = "2026-11-01", metric_types = { "IMPRESSION" },
      app_types = "WEB", split_field = "NO_SPLIT" }
    local res = data.pin_analytics(PIN, qa, TODAY)
    assert.same({ "all" }, keys(res))
    assert.equal(data.app_daily(PIN, "2026-11-01", "WEB").IMPRESSION, res.all.daily_metrics[1].metrics.IMPRESSION)
  end)
end)
