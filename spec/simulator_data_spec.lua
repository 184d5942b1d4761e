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

describe("simulator data: the account hangs together", function()
  local ACCOUNT_COUNTS = { "ENGAGEMENT", "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE" }
  local RATES = { ENGAGEMENT_RATE = "ENGAGEMENT", OUTBOUND_CLICK_RATE = "OUTBOUND_CLICK", PIN_CLICK_RATE = "PIN_CLICK",
    SAVE_RATE = "SAVE" }

  -- The account's pins' figures of one day summed, ENGAGEMENT as the account counts it.
  local function pins_sum(date, app, n, today)
    local sum = {}
    for _, k in ipairs(ACCOUNT_COUNTS) do sum[k] = 0 end
    for _, id in ipairs(data.account_pins(n)) do
      local m = data.daily(id, date, app, today)
      m.ENGAGEMENT = m.SAVE + m.PIN_CLICK + m.OUTBOUND_CLICK + m.TOTAL_REACTIONS + m.TOTAL_COMMENTS
      for _, k in ipairs(ACCOUNT_COUNTS) do sum[k] = sum[k] + m[k] end
    end
    return sum
  end

  it("lists pins_count distinct pins, 60 by default", function()
    local pins = data.account_pins()
    assert.equal(60, #pins)
    local seen = {}
    for _, id in ipairs(pins) do
      assert.truthy(id:match("^%d+$"), id)
      assert.is_nil(seen[id])
      seen[id] = true
    end
    assert.equal(7, #data.account_pins(7))
    assert.equal(pins[7], data.account_pins(7)[7])
  end)

  it("counts on a day at least what its pins count that day, for every count metric", function()
    for _, n in ipairs({ 1, 7, 60 }) do
      for _, app in ipairs({ "ALL", "MOBILE", "TABLET", "WEB" }) do
        for k = -45, 2, n == 60 and 3 or 1 do
          local date = data.add_days(TODAY, k)
          local acc = data.account_daily(date, { app_types = app, pins_count = n, today = TODAY })
          local pins = pins_sum(date, app, n, TODAY)
          for _, metric in ipairs(ACCOUNT_COUNTS) do
            assert.is_true(is_integral(acc[metric]), metric)
            assert.is_true(acc[metric] >= pins[metric], ("%s on %s (%s, %d pins): account %d < pins %d"):format(
              metric, date, app, n, acc[metric], pins[metric]))
          end
          if k <= 0 then assert.is_true(acc.IMPRESSION > pins.IMPRESSION) end
          -- its own pins alone are exactly their sum
          local own = data.account_daily(date, { app_types = app, pins_count = n, today = TODAY, source = "YOUR_PINS" })
          for _, metric in ipairs(ACCOUNT_COUNTS) do assert.equal(pins[metric], own[metric], metric) end
        end
      end
    end
  end)

  it("has more impressions in any 30 days than any one of its pins", function()
    local s, e = data.add_days(TODAY, -30), data.add_days(TODAY, -1)
    local total = 0
    for n = data.parse_date(s), data.parse_date(e) do
      total = total + data.account_daily(data.format_date(n), { today = TODAY }).IMPRESSION
    end
    local pins = 0
    for _, id in ipairs(data.account_pins()) do
      local imp = data.summary(id, s, e, "ALL", TODAY).IMPRESSION
      assert.is_true(imp < total, id)
      pins = pins + imp
    end
    assert.is_true(pins <= total)
  end)

  it("computes its rates from its counts", function()
    for k = -20, 0 do
      local m = data.account_daily(data.add_days(TODAY, k), { today = TODAY })
      for rate, count in pairs(RATES) do assert.is_true(close(m[count] / m.IMPRESSION, m[rate]), rate) end
      assert.is_true(m.ENGAGEMENT >= m.SAVE + m.PIN_CLICK + m.OUTBOUND_CLICK)
    end
    local m = data.account_daily(data.add_days(TODAY, 1), { today = TODAY })
    for _, metric in ipairs(ACCOUNT_COUNTS) do assert.equal(0, m[metric], metric) end
    for rate in pairs(RATES) do assert.equal(0, m[rate], rate) end
  end)

  it("answers days and a summary that add up, and splits that add up to the whole", function()
    local q = { start_date = data.add_days(TODAY, -12), end_date = TODAY, pins_count = 9 }
    local whole = data.user_account_analytics(q, TODAY)
    assert.same({ "all" }, keys(whole))
    local all = whole.all
    assert.equal(13, #all.daily_metrics)
    local sum = {}
    for _, k in ipairs(ACCOUNT_COUNTS) do sum[k] = 0 end
    for i, d in ipairs(all.daily_metrics) do
      assert.equal(data.add_days(q.start_date, i - 1), d.date)
      assert.equal(data.status(d.date, TODAY), d.data_status)
      assert.same(data.account_daily(d.date, { pins_count = 9, today = TODAY }), d.metrics)
      for _, k in ipairs(ACCOUNT_COUNTS) do sum[k] = sum[k] + d.metrics[k] end
    end
    for _, k in ipairs(ACCOUNT_COUNTS) do assert.equal(sum[k], all.summary_metrics[k], k) end
    for rate, count in pairs(RATES) do
      assert.is_true(close(sum[count] / sum.IMPRESSION, all.summary_metrics[rate]), rate)
    end
    for split, values in pairs({ APP_TYPE = { "MOBILE", "TABLET", "WEB" }, SOURCE = { "OTHER_PINS", "YOUR_PINS" },
      OWNED_CONTENT = { "CLAIMED", "OTHER" }, PIN_FORMAT = { "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO" } }) do
      q.split_field = split
      local parts = data.user_account_analytics(q, TODAY)
      assert.same(values, keys(parts))
      for i, d in ipairs(all.daily_metrics) do
        for _, k in ipairs(ACCOUNT_COUNTS) do
          local s = 0
          for _, v in ipairs(values) do s = s + parts[v].daily_metrics[i].metrics[k] end
          assert.equal(d.metrics[k], s, split .. " " .. k .. " " .. d.date)
        end
      end
    end
  end)

  it("filters whole parts: the account runs no ads, its own pins are its claimed content", function()
    local q = { start_date = data.add_days(TODAY, -5), end_date = data.add_days(TODAY, -1), metric_types = { "IMPRESSION" } }
    local function imp(extra)
      local qq = {}
      for k, v in pairs(q) do qq[k] = v end
      for k, v in pairs(extra) do qq[k] = v end
      return data.user_account_analytics(qq, TODAY).all.summary_metrics.IMPRESSION
    end
    local total = imp {}
    assert.is_true(total > 0)
    assert.equal(total, imp { source = "YOUR_PINS" } + imp { source = "OTHER_PINS" })
    assert.equal(imp { source = "YOUR_PINS" }, imp { from_claimed_content = "CLAIMED" })
    assert.equal(total, imp { from_claimed_content = "BOTH", pin_format = "ALL", content_type = "ORGANIC" })
    assert.equal(0, imp { content_type = "PAID" })
    assert.equal(0, imp { pin_format = "ADS_STANDARD" })
    assert.equal(total, imp { pin_format = "ORGANIC_IMAGE" } + imp { pin_format = "ORGANIC_PRODUCT" } +
      imp { pin_format = "ORGANIC_VIDEO" })
  end)

  it("describes itself like the official schema's Account", function()
    local a = data.user_account(TODAY, { pins_count = 12, boards_count = 4 })
    assert.same({ "about", "account_type", "board_count", "business_name", "follower_count", "following_count", "id",
      "monthly_views", "pin_count", "profile_image", "username", "website_url" }, keys(a))
    assert.truthy(a.id:match("^%d+$"))
    assert.equal("BUSINESS", a.account_type)
    for _, k in ipairs({ "about", "business_name", "profile_image", "username", "website_url" }) do
      assert.is_string(a[k], k)
    end
    for _, k in ipairs({ "board_count", "follower_count", "following_count", "monthly_views", "pin_count" }) do
      assert.is_true(is_integral(a[k]) and a[k] >= 0, k)
    end
    assert.equal(12, a.pin_count)
    assert.equal(4, a.board_count)
    assert.equal(60, data.user_account(TODAY).pin_count)
    assert.equal(3, data.user_account(TODAY).board_count)
    -- monthly views: the account's impressions over the 30 days before today
    local views, pins = 0, 0
    for k = 1, 30 do
      local date = data.add_days(TODAY, -k)
      views = views + data.account_daily(date, { pins_count = 12, today = TODAY }).IMPRESSION
      pins = pins + pins_sum(date, "ALL", 12, TODAY).IMPRESSION
    end
    assert.equal(views, a.monthly_views)
    assert.is_true(a.monthly_views > pins)
    assert.same(a, data.user_account(TODAY, { pins_count = 12, boards_count = 4 }))
  end)
end)

describe("simulator data: OneUp's posts add up", function()
  local STATS = { "impressions", "saves", "comments", "repins", "clicks" }
  local PERIODS = { { -2, -1 }, { -7, -1 }, { -30, -1 }, { -60, -31 }, { -90, -1 } }

  it("never add up to more than the account's figures of the period", function()
    for _, id in ipairs({ 1, 42, "123456" }) do
      for _, p in ipairs(PERIODS) do
        local s, e = data.add_days(TODAY, p[1]), data.add_days(TODAY, p[2])
        local posts = data.oneup_posts(id, s, e)
        local totals = data.oneup_totals(id, s, e)
        assert.equal(#posts, totals.posts)
        local days = p[2] - p[1] + 1
        assert.is_true(#posts >= days and #posts <= 2 * days, #posts .. " posts in " .. days .. " days")
        local sum = {}
        for _, k in ipairs(STATS) do sum[k] = 0 end
        for _, post in ipairs(posts) do
          local day = post.timestamp:sub(1, 10)
          assert.is_true(day >= s and day <= e, post.timestamp)
          for _, k in ipairs(STATS) do
            assert.is_true(is_integral(post.stats[k]) and post.stats[k] >= 0, k)
            sum[k] = sum[k] + post.stats[k]
          end
        end
        for _, k in ipairs(STATS) do
          assert.is_true(sum[k] <= totals[k], ("%s %s..%s: posts %d > account %d"):format(k, s, e, sum[k], totals[k]))
        end
        assert.is_true(sum.impressions < totals.impressions)
      end
    end
  end)

  it("keeps a post's id and date whatever the period asked, its figures counted from its day", function()
    local s, e = data.add_days(TODAY, -7), data.add_days(TODAY, -1)
    local short = data.oneup_posts(42, data.add_days(TODAY, -3), e)
    local long = data.oneup_posts(42, s, e)
    local by_id = {}
    for _, post in ipairs(long) do by_id[post.id] = post end
    for _, post in ipairs(short) do
      local same = by_id[post.id]
      assert.is_table(same, post.id)
      assert.equal(same.timestamp, post.timestamp)
      assert.same(same.stats, post.stats) -- both count from its day to e
    end
    assert.same(data.oneup_posts(42, s, e), long)
  end)
end)

describe("simulator data: what the simulator serves", function()
  local H = require "helpers.sim"
  local core = require "pinanalytics.core"
  local sim, s

  setup(function()
    sim = H.start { pins_count = 9, boards_count = 2, oneup_api_key = "k" }
    s = core.session { base_url = sim.url, timeout = 30 }
  end)
  teardown(function()
    if s then s:close() end
    if sim then sim:stop() end
  end)

  local function get(target)
    local status, _, body = s:request("GET", target, nil, { "Authorization: Bearer " .. H.TOKEN })
    assert.equal(200, status, target)
    return body
  end

  -- rates travel as JSON numbers with fewer digits: compared to 1e-9
  local function same_numbers(want, got, path)
    if type(want) == "table" then
      assert.same(keys(want), keys(got), path)
      for k, v in pairs(want) do same_numbers(v, got[k], path .. "." .. tostring(k)) end
    elseif type(want) == "number" and not is_integral(want) then
      assert.is_true(math.abs(want - got) <= 1e-9 * math.max(1, math.abs(want)), path)
    else
      assert.equal(want, got, path)
    end
  end

  it("GET /v5/user_account", function()
    same_numbers(data.user_account(H.TODAY, { pins_count = 9, boards_count = 2 }), get("/v5/user_account"), "$")
  end)

  it("GET /v5/user_account/analytics, with and without a split", function()
    local q = { start_date = H.day(-20), end_date = H.day(0), pins_count = 9 }
    local range = "?start_date=" .. q.start_date .. "&end_date=" .. q.end_date
    same_numbers(data.user_account_analytics(q, H.TODAY), get("/v5/user_account/analytics" .. range), "$")
    q.split_field, q.source, q.metric_types = "PIN_FORMAT", "OTHER_PINS", { "IMPRESSION", "SAVE_RATE" }
    same_numbers(data.user_account_analytics(q, H.TODAY), get("/v5/user_account/analytics" .. range ..
      "&split_field=PIN_FORMAT&source=OTHER_PINS&metric_types=IMPRESSION,SAVE_RATE"), "$")
  end)

  it("lists the pins the account's figures are made of", function()
    local ids = {}
    for _, item in ipairs(get("/v5/pins?page_size=100").items) do ids[#ids + 1] = item.id end
    assert.same(data.account_pins(9), ids)
  end)

  it("OneUp's overview and posts", function()
    local s7, e7 = H.day(-7), H.day(-1)
    local ps, pe = H.day(-14), H.day(-8)
    local ov = get("/api/pinterest/overview?apiKey=k&social_network_id=42&preset=last_7_days").data
    local cur, prev = data.oneup_totals(42, s7, e7), data.oneup_totals(42, ps, pe)
    local seen = {}
    for _, m in ipairs(ov.metrics) do
      assert.equal(cur[m.key], m.value_current_period, m.key)
      assert.equal(prev[m.key], m.value_last_period, m.key)
      seen[#seen + 1] = m.key
    end
    assert.same({ "clicks", "comments", "impressions", "posts", "repins", "saves" }, sorted(seen))
    assert.equal(data.oneup_followers(42), ov.total_followers)
    local posts = get("/api/pinterest/posts?apiKey=k&social_network_id=42&start_date=" .. s7 .. "&end_date=" .. e7).data
    assert.same(data.oneup_posts(42, s7, e7), posts.posts)
  end)
end)
