-- The errors a new user meets in the first hour, and the way in: the README's
-- Quick start, the example's command line and the demo, run as they are.
local H = require "helpers.sim"
local R = require "helpers.runtime"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"
local pacing = require "pinanalytics.pacing"
local pinterest = require "pinanalytics.pinterest"

local PIN = "813744226420795884"
local METRICS = { "IMPRESSION", "SAVE" }
local LUA = R.exe() -- this runtime: the README's commands name lua5.4 and build/lua5.4

local function raises(want, f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected an error: " .. want)
  assert.equal(want, err)
end

-- Runs a shell command; returns its output (stdout and stderr) and whether it succeeded.
local function run(cmd)
  local out, code = R.run(cmd .. " 2>&1")
  return out, code == 0
end

local function sh_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- The paths of this process (the .busted file's), for a child Lua.
local function lua_env()
  return "LUA_PATH=" .. sh_quote(package.path) .. " LUA_CPATH=" .. sh_quote(package.cpath) .. " "
end

describe("the rate option", function()
  local function new(rate) return function() return pa.pinterest { token = "t", rate = rate } end end

  it("raises on an unknown key, naming it and the known ones", function()
    raises('pinanalytics.pinterest:new: option rate has an unknown key "per_sec" ' ..
      "(known: burst, categories, per_minute, per_second)", new { per_sec = 1 })
    raises('pinanalytics.pinterest:new: option rate.categories.org_read has an unknown key "per_sec" ' ..
      "(known: burst, per_minute, per_second)", new { categories = { org_read = { per_sec = 1 } } })
    raises('pinanalytics.pinterest:new: option rate has an unknown key "categorys" ' ..
      "(known: burst, categories, per_minute, per_second)", new { per_second = 1, categorys = {} })
  end)

  it("raises on a category that is not one of Pinterest's", function()
    raises('pinanalytics.pinterest:new: option rate.categories has an unknown category "org_reads" (known: ' ..
      table.concat(pacing.CATEGORIES, ", ") .. ")", new { categories = { org_reads = { per_second = 1 } } })
    assert.truthy(table.concat(pacing.CATEGORIES, ","):find("org_analytics,org_read,org_write", 1, true))
  end)

  it("raises on a rate that paces nothing or says two things", function()
    raises("pinanalytics.pinterest:new: option rate needs per_second or per_minute, a number > 0", new {})
    raises("pinanalytics.pinterest:new: option rate needs per_second or per_minute, a number > 0", new { burst = 2 })
    raises("pinanalytics.pinterest:new: option rate paces nothing: give per_second or per_minute, or a category " ..
      "in rate.categories", new { categories = {} })
    raises("pinanalytics.pinterest:new: option rate gives both per_second and per_minute: give one",
      new { per_second = 1, per_minute = 60 })
  end)

  it("still takes every documented form, and paces by it", function()
    for _, rate in ipairs {
      { per_second = 5 }, { per_minute = 300, burst = 2 }, { categories = { org_analytics = { per_second = 1 } } },
      { per_second = 5, categories = { org_read = { per_minute = 60, burst = 3 } } },
    } do
      local c = new(rate)()
      assert.is_table(c.buckets("org_analytics") or c.buckets("org_read"))
      c:close()
    end
    local c = new { categories = { org_read = { per_minute = 60, burst = 3 } } }()
    assert.equal(1, c.buckets("org_read").rate)
    assert.equal(3, c.buckets("org_read").burst)
    assert.is_nil(c.buckets("org_analytics")) -- not paced: only org_read was given
    c:close()
  end)
end)

describe("a client", function()
  local sim
  setup(function() sim = H.start { oneup_api_key = "oneup-key-new-user", missing_pins = { "404404" } } end)
  teardown(function() if sim then sim:stop() end end)

  local function params() return { range = dates.last(7, { clock = H.clock }), metric_types = METRICS } end

  describe("once closed", function()
    it("raises naming the method for every call, a pager made before, and pins_analytics", function()
      local pin = H.client(sim)
      local pager = pin:list_pins { page_size = 2 }
      assert.is_table(assert(pin:pin_analytics(PIN, params())))
      pin:close()
      pin:close() -- idempotent
      raises("pinanalytics.pinterest:pin_analytics: the client is closed", pin.pin_analytics, pin, PIN, params())
      raises("pinanalytics.pinterest:pins_analytics: the client is closed", pin.pins_analytics, pin, { PIN }, params())
      raises("pinanalytics.pinterest:user_account_analytics: the client is closed", pin.user_account_analytics, pin,
        { range = dates.last(7, { clock = H.clock }) })
      raises("pinanalytics.pinterest:list_pins: the client is closed", pin.list_pins, pin, {})
      raises("pinanalytics.pinterest:get: the client is closed", pin.get, pin, "/user_account")
      raises("pinanalytics.pinterest:list_pins: the client is closed", function()
        for _ in pager:items() do end
      end)
      assert.equal("pinanalytics.pinterest (" .. sim.pinterest_url .. ")", tostring(pin))
    end)

    it("raises for OneUp's client too", function()
      local one = pa.oneup { api_key = "oneup-key-new-user", base_url = sim.url, clock = H.clock }
      assert.is_table(assert(one:overview { social_network_id = 7, preset = "last_7_days" }))
      one:close()
      one:close()
      raises("pinanalytics.oneup:overview: the client is closed", one.overview, one,
        { social_network_id = 7, preset = "last_7_days" })
      raises("pinanalytics.oneup:posts: the client is closed", one.posts, one,
        { social_network_id = 7, preset = "last_7_days" })
    end)
  end)

  describe("called with a dot instead of a colon", function()
    it("says to use a colon", function()
      local pin = H.client(sim)
      raises("pinanalytics.pinterest:pin_analytics: call it with a colon: client:pin_analytics(...)",
        pin.pin_analytics, PIN, params())
      raises("pinanalytics.pinterest:list_pins: call it with a colon: client:list_pins(...)", pin.list_pins, {})
      raises("pinanalytics.pinterest:get: call it with a colon: client:get(...)", pin.get, "/user_account")
      raises("pinanalytics.pinterest:close: call it with a colon: client:close(...)", pin.close)
      pin:close()
      local one = pa.oneup { api_key = "oneup-key-new-user", base_url = sim.url }
      raises("pinanalytics.oneup:overview: call it with a colon: client:overview(...)", one.overview,
        { social_network_id = 7, preset = "last_7_days" })
      one:close()
    end)
  end)

  describe("a failure after retries", function()
    local BUSY = '{"code":2787,"message":"Sorry! Something went wrong on our end."}'

    after_each(function() sim:configure {} end)

    local function count(path)
      local n = 0
      for _, r in ipairs(sim:requests()) do if r.path == path then n = n + 1 end end
      return n
    end

    local function assert_tried(err, tries)
      assert.equal(tries, err.tries)
      assert.is_number(err.elapsed)
      assert.is_true(err.elapsed >= 0)
      local suffix = string.format(" (after %d tries over %.1f s)", tries, err.elapsed)
      assert.equal(suffix, err.message:sub(-#suffix))
      assert.truthy(tostring(err):find(suffix, 1, true), tostring(err))
    end

    it("says how many tries it took and how long (a single call)", function()
      sim:configure { override = { ["/v5/pins/1111/analytics"] = { status = 503, body = BUSY } } }
      sim:clear_log()
      local pin = H.client(sim, { retries = 2 })
      local res, err = pin:pin_analytics("1111", params())
      assert.is_nil(res)
      assert.equal("server", err.kind)
      assert.equal(3, count("/v5/pins/1111/analytics"))
      assert_tried(err, 3)
      assert.equal("Sorry! Something went wrong on our end. (after 3 tries over " ..
        string.format("%.1f", err.elapsed) .. " s)", err.message)
      pin:close()
    end)

    it("says nothing of tries when there was one", function()
      sim:configure { override = { ["/v5/pins/1111/analytics"] = { status = 503, body = BUSY } } }
      local pin = H.client(sim, { retries = 0 })
      local _, err = pin:pin_analytics("1111", params())
      assert.equal(1, err.tries)
      assert.equal("Sorry! Something went wrong on our end.", err.message)
      pin:close()
    end)

    it("says so for a network error", function()
      local gone = H.start {}
      local url = gone.pinterest_url
      gone:stop() -- nothing listens on its port any more
      local pin = H.client({ pinterest_url = url }, { retries = 2 })
      local _, err = pin:pin_analytics(PIN, params())
      assert.equal("network", err.kind)
      assert_tried(err, 3)
      pin:close()
    end)

    it("says so per pin in bulk work, on the multi-pin endpoint and per pin", function()
      sim:configure { override = { ["/v5/pins/analytics"] = { status = 503, body = BUSY } } }
      local pin = H.client(sim, { retries = 1 })
      local results, errs = pin:pins_analytics({ "1111", "2222" }, params())
      assert.same({}, results)
      for _, id in ipairs { "1111", "2222" } do
        assert.equal("server", errs[id].kind)
        assert_tried(errs[id], 2)
      end
      pin:close()
      -- the multi-pin endpoint refused: per pin, one of which keeps failing
      sim:configure { override = {
        ["/v5/pins/analytics"] = { status = 403, body = '{"code":3,"message":"Not allowed"}' },
        ["/v5/pins/1111/analytics"] = { status = 503, body = BUSY },
      } }
      pin = H.client(sim, { retries = 2 })
      results, errs = pin:pins_analytics({ "1111", "2222" }, params())
      assert.is_table(results["2222"])
      assert.is_nil(errs["2222"])
      assert.equal("server", errs["1111"].kind)
      assert_tried(errs["1111"], 3)
      pin:close()
    end)
  end)

  describe("a 404 when base_url has no /v5", function()
    it("names base_url and /v5, in every kind of call", function()
      local pin = H.client(sim, { base_url = sim.url })
      local hint = string.format('base_url "%s" has no /v5: the API\'s paths are under /v5 ' ..
        "(https://api.pinterest.com/v5; the simulator's is sim.pinterest_url)", sim.url)
      local function assert_hint(err)
        assert.equal("not_found", err.kind)
        assert.equal(hint, err.hint)
        assert.equal("; " .. hint, err.message:sub(-#hint - 2))
        assert.truthy(tostring(err):find(hint, 1, true))
      end
      local _, err = pin:pin_analytics(PIN, params())
      assert_hint(err)
      _, err = pin:get("/user_account")
      assert_hint(err)
      local _, errs = pin:pins_analytics({ PIN }, params())
      assert_hint(errs[PIN])
      local pager = pin:list_pins {}
      for _ in pager:items() do end
      assert_hint(pager.err)
      pin:close()
    end)

    it("is not given for a pin that does not exist", function()
      local pin = H.client(sim)
      local _, err = pin:pin_analytics("404404", params())
      assert.equal("not_found", err.kind)
      assert.is_nil(err.hint)
      assert.is_nil(err.message:find("/v5", 1, true))
      pin:close()
      -- nor when base_url has /v5 further in (a proxy's path)
      pin = H.client(sim, { base_url = sim.url .. "/v5/static" })
      _, err = pin:pin_analytics("1", params())
      assert.equal(404, err.status)
      assert.is_nil(err.hint)
      pin:close()
    end)

    it("for OneUp, names base_url's path", function()
      local one = pa.oneup { api_key = "oneup-key-new-user", base_url = sim.url .. "/oneup" }
      local _, err = one:overview { social_network_id = 7, preset = "last_7_days" }
      assert.equal("not_found", err.kind)
      assert.equal(string.format('base_url "%s/oneup" has a path: OneUp\'s paths start at the host ' ..
        "(https://analyze.oneupapp.io; the simulator's is sim.url)", sim.url), err.hint)
      one:close()
    end)
  end)

  describe("an answer split by split_field", function()
    local pin, cur, prev
    setup(function()
      pin = H.client(sim)
      local r = dates.last(30, { clock = H.clock })
      cur = assert(pin:user_account_analytics { range = r, split_field = "APP_TYPE" })
      prev = assert(pin:user_account_analytics { range = r:previous(), split_field = "APP_TYPE" })
    end)
    teardown(function() pin:close() end)

    it("is refused by report.overview without opts.split, naming the splits", function()
      raises("pinanalytics.report.overview: current is an answer split by split_field (splits: MOBILE, TABLET, " ..
        'WEB): give opts.split = "MOBILE" (or another of them) for that split\'s report, or fetch without ' ..
        "split_field", pa.report.overview, cur, prev)
      raises('pinanalytics.report.overview: current has no split "ALL" (splits: MOBILE, TABLET, WEB)',
        pa.report.overview, cur, prev, { split = "ALL" })
    end)

    it("gives one split's report with opts.split", function()
      local ov = pa.report.overview(cur, prev, { split = "WEB" })
      local want = pa.report.overview({ all = cur.WEB }, { all = prev.WEB })
      assert.is_true(#ov.metrics > 0)
      assert.same(want.metrics, ov.metrics)
      assert.equal(cur.WEB.summary_metrics.IMPRESSION, ov.metrics[1].value_current_period)
      assert.equal("impressions", ov.metrics[1].key)
    end)

    it("makes a frame with a series per split and metric", function()
      local f = pa.frame(cur)
      local want = {}
      for split, answer in pairs(cur) do
        for metric in pairs(answer.summary_metrics) do want[#want + 1] = split .. "/" .. metric end
      end
      table.sort(want)
      local got = f:metrics()
      table.sort(got)
      assert.same(want, got)
      assert.truthy(#got >= 3)
      for _, split in ipairs { "MOBILE", "TABLET", "WEB" } do
        assert.equal(cur[split].summary_metrics.IMPRESSION, f:sum(split .. "/IMPRESSION"))
      end
      local web = pa.frame(cur, { split = "WEB" })
      assert.equal(cur.WEB.summary_metrics.SAVE, web:sum("SAVE"))
    end)

    it("never makes an empty report: a frame of several splits or pins is refused", function()
      local ok, err = pcall(pa.report.overview, pa.frame(cur), pa.frame(prev))
      assert.is_false(ok)
      assert.truthy(err:find("^pinanalytics%.report%.overview: no metric of the report is in both periods " ..
        "%(current has MOBILE/ENGAGEMENT, MOBILE/ENGAGEMENT_RATE, "), err)
      assert.truthy(err:find("a frame of several pins or splits needs one of them", 1, true), err)
    end)
  end)

  describe("range:windows and the 91-day limit", function()
    it("agree with the client and the library's guide", function()
      assert.equal(91, pinterest.MAX_WINDOW_DAYS)
      local pin = H.client(sim)
      local long = dates.range(H.day(-90), H.day(1)) -- 92 days
      local ok, err = pcall(pin.pin_analytics, pin, PIN, { range = long, metric_types = METRICS })
      assert.is_false(ok)
      assert.truthy(err:find("(allowed: at most 90, a range of 91 days; split longer ranges with " ..
        "range:windows(91))", 1, true), err)
      local first = long:windows(pinterest.MAX_WINDOW_DAYS)()
      assert.equal(91, first:length())
      assert.is_table(assert(pin:pin_analytics(PIN, { range = first, metric_types = METRICS })))
      pin:close()
      -- the library's guide says so (docs/library.md, "Dates and ranges")
      local guide = H.read_file("docs/library.md"):gsub("%s+", " ")
      assert.truthy(guide:find("split it with `range:windows(91)`", 1, true))
      assert.truthy(guide:find("One request spans at most 91 days", 1, true))
      assert.is_nil(guide:find("windows(90)", 1, true))
    end)
  end)
end)

describe("report.render given something else than an overview", function()
  local ov = pa.report.overview({ all = { daily_metrics = {
    { date = "2026-10-02", data_status = "READY", metrics = { SAVE = 2 } } } } },
    { all = { daily_metrics = { { date = "2026-10-01", data_status = "READY", metrics = { SAVE = 1 } } } } })

  it("raises naming what it got", function()
    local pre = "pinanalytics.report.render: ov must be an overview (from pa.report.overview, or OneUp's overview " ..
      "data), got "
    local make = "(make an overview of two periods first: pa.report.overview(current, previous); "
    raises(pre .. "an analytics answer " .. make .. "or a pin's report: pa.report.pin(answer))", pa.report.render,
      "text", { all = { daily_metrics = {} } })
    raises(pre .. "a MetricFrame " .. make .. "or a report of it: pa.report.daily(frame))", pa.report.render, "text",
      pa.frame({ daily_metrics = {} }))
    raises(pre .. "nil (nil)", pa.report.render, "text", nil)
    raises(pre .. "a table with rows, title and no metrics array", pa.report.render, "text", { rows = 1, title = 2 })
    raises('pinanalytics.report.render: the arguments are the wrong way round: render(format, overview), ' ..
      'e.g. render("text", ov)', pa.report.render, ov, "text")
    assert.equal(table.concat({
      "Account overview",
      "================",
      "Source: Pinterest",
      "Current period:  2026-10-02 .. 2026-10-02 (1 day, 0 not READY)",
      "Previous period: 2026-10-01 .. 2026-10-01 (1 day, 0 not READY)",
      "Current coverage:  1 of 1 day",
      "Previous coverage: 1 of 1 day",
      "Both periods are 1 day long.",
      "Not READY yet: 0 days",
      "",
      "metric  current  previous    change  trend",
      "------  -------  --------  --------  -----",
      "Saves         2         1  +100.0 %  ▄",
      "",
      "Trend: a character a day, ▁ the lowest and █ the highest of the period; · a day without figures.",
    }, "\n") .. "\n", pa.report.render("text", ov))
  end)
end)

describe("frame:resample", function()
  it("lists the allowed periods", function()
    local f = pa.frame({ daily_metrics = { { date = "2026-10-01", data_status = "READY", metrics = { SAVE = 1 } } } })
    local ok, err = pcall(function() return f:resample("day") end)
    assert.is_false(ok)
    assert.truthy(err:find('pinanalytics.frame: f:resample(period): period = "day" is not allowed ' ..
      '(allowed: "week", "month"; the frame is already by day)', 1, true), err)
    ok, err = pcall(function() return f:resample() end)
    assert.is_false(ok)
    assert.truthy(err:find('period = nil (nil) is not allowed (allowed: "week", "month")', 1, true), err)
    assert.equal(1, f:resample("week"):sum("SAVE"))
  end)
end)

describe("the way in", function()
  -- before and after a run: a run across midnight UTC may see either
  local function last30() return tostring(dates.last(30)) end

  it("the demo's pin reports and account overview use the same 30 days: dates.last(30)", function()
    local before = last30()
    local html = os.tmpname()
    local out, ok = run(lua_env() .. LUA .. " examples/demo.lua " .. sh_quote(html))
    local after = last30()
    os.remove(html)
    assert.is_true(ok, out)
    local function check(a, b, days)
      assert.is_true(a .. ".." .. b == before or a .. ".." .. b == after, a .. ".." .. b)
      assert.equal("30", days)
    end
    local n = 0
    for a, b, days in out:gmatch("\nPeriod: (%d+%-%d+%-%d+) %.%. (%d+%-%d+%-%d+) %((%d+) days") do
      n = n + 1
      check(a, b, days)
    end
    assert.equal(2, n) -- one pin, then three
    local a, b, days = out:match("\nCurrent period:  (%d+%-%d+%-%d+) %.%. (%d+%-%d+%-%d+) %((%d+) days")
    check(a, b, days)
    local pa_, pb = out:match("\nPrevious period: (%d+%-%d+%-%d+) %.%. (%d+%-%d+%-%d+) %(30 days")
    local prev = dates.range(a, b):previous()
    assert.equal(prev.start_date, pa_)
    assert.equal(prev.end_date, pb)
  end)

  it("the README's Quick start runs as is against the simulator, with the README's command", function()
    local readme = H.read_file("README.md")
    local qs = readme:match("\n## Quick start\n(.-)\n## ")
    assert.is_string(qs)
    local code = qs:match("```lua\n(.-)```")
    assert.truthy(code:find("simulator", 1, true))
    local env = qs:match("`(LUA_PATH=\"[^\"]*\" LUA_CPATH=\"[^\"]*\") lua5.4 quickstart.lua`")
    assert.is_string(env)
    local file = os.tmpname()
    local f = assert(io.open(file, "w"))
    f:write(code)
    f:close()
    local before = last30()
    local out, ok = run(env:gsub("build/lua5%.4/", R.BUILD .. "/") .. " " .. LUA .. " " .. file)
    local after = last30()
    os.remove(file)
    assert.is_true(ok, out)
    local range, imp = out:match("^(%S+)\t(%d+)\n")
    assert.is_true(range == before or range == after, out)
    assert.is_true(tonumber(imp) > 0)
    local days = 0
    for _ in out:gmatch("\n%d+%-%d+%-%d+\t%u+\t%d+") do days = days + 1 end
    assert.equal(30, days)
  end)

  it("the example's command line from the README runs from a clone", function()
    local readme = H.read_file("README.md")
    local cmd = readme:match("\n    (LUA_PATH=[^\n]- lua5%.4 examples/pin_analytics%.lua %-%-simulator)\n")
    assert.is_string(cmd)
    local before = last30()
    local out, ok = run((cmd:gsub("build/lua5%.4/", R.BUILD .. "/"):gsub("lua5%.4 examples", LUA .. " examples", 1)))
    local after = last30()
    assert.is_true(ok, out)
    local range = out:match("^pin " .. PIN .. ", (%S+) %(30 days%)\n")
    assert.is_true(range == before or range == after, out)
    assert.truthy(out:find("\n  IMPRESSION%s+%d+\n"), out)
    -- without a token it says how to run it
    out, ok = run(lua_env() .. LUA .. " examples/pin_analytics.lua")
    assert.is_false(ok)
    assert.truthy(out:find("usage: PINTEREST_ACCESS_TOKEN=... lua5.4 examples/pin_analytics.lua PIN_ID", 1, true))
  end)
end)
