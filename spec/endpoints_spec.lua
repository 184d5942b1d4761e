-- Every organic analytics endpoint and list endpoint against the simulator.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local data = require "pinanalytics.simulator.data"

local function count_paths(reqs, path)
  local n = 0
  for _, r in ipairs(reqs) do if r.path == path then n = n + 1 end end
  return n
end

local function ids(n, base)
  local out = {}
  for i = 1, n do out[i] = tostring((base or 7000000) + i) end
  return out
end

describe("endpoints", function()
  local sim, pin

  setup(function()
    sim = H.start { missing_pins = { "404404" } }
    pin = H.client(sim)
  end)

  teardown(function()
    if pin then pin:close() end
    if sim then sim:stop() end
  end)

  local function dated(over)
    local p = { start_date = H.day(-9), end_date = H.day(0) }
    for k, v in pairs(over or {}) do p[k] = v end
    return p
  end

  describe("pins_analytics", function()
    local METRICS = { "IMPRESSION", "SAVE", "SAVE_RATE" }

    it("fetches 250 pins in 3 requests of at most 100, every pin with its values", function()
      sim:clear_log()
      local list = ids(250)
      list[#list + 1] = list[1] -- a duplicate is asked for once
      local results, errs = pin:pins_analytics(list, dated { metric_types = METRICS })
      local reqs = sim:requests()
      assert.equal(3, #reqs)
      assert.equal(3, count_paths(reqs, "/v5/pins/analytics"))
      local per = {}
      for _, r in ipairs(reqs) do
        local n = 0
        for _ in r.args:gmatch("pin_ids=") do n = n + 1 end
        per[#per + 1] = n
      end
      assert.same({ 100, 100, 50 }, per)
      assert.truthy(reqs[1].args:find("pin_ids=7000001&pin_ids=7000002", 1, true))
      assert.is_nil(next(errs))
      local n = 0
      for id, res in pairs(results) do
        n = n + 1
        local want = data.summary(id, H.day(-9), H.day(0), "ALL")
        assert.equal(want.IMPRESSION, res.all.summary_metrics.IMPRESSION)
        assert.equal(10, #res.all.daily_metrics)
      end
      assert.equal(250, n)
      assert.equal(data.daily("7000250", H.day(-3)).SAVE, results["7000250"].all.daily_metrics[7].metrics.SAVE)
    end)

    it("falls back to one request per pin when the endpoint is refused, and remembers it", function()
      local c = H.client(sim)
      sim:configure { refuse_multi = 403 }
      sim:clear_log()
      local list = ids(250, 8000000)
      list[120] = "404404"
      local results, errs = c:pins_analytics(list, dated { metric_types = METRICS })
      local reqs = sim:requests()
      assert.equal(1, count_paths(reqs, "/v5/pins/analytics"))
      assert.equal(250, #reqs - 1)
      local n = 0
      for _ in pairs(results) do n = n + 1 end
      assert.equal(249, n)
      assert.equal("not_found", errs["404404"].kind)
      assert.equal(data.summary("8000001", H.day(-9), H.day(0)).SAVE, results["8000001"].all.summary_metrics.SAVE)
      -- remembered for this client: no second try of the multi-pin endpoint
      sim:clear_log()
      results = c:pins_analytics(ids(3, 8100000), dated { metric_types = METRICS })
      assert.equal(0, count_paths(sim:requests(), "/v5/pins/analytics"))
      assert.is_table(results["8100003"])
      sim:configure { refuse_multi = false }
      c:close()
    end)

    it("treats a 404 for the endpoint itself as a refusal too", function()
      local c = H.client(sim)
      sim:configure { refuse_multi = 404 }
      local results, errs = c:pins_analytics(ids(5, 8200000), dated { metric_types = METRICS })
      sim:configure { refuse_multi = false }
      assert.is_nil(next(errs))
      assert.is_table(results["8200005"])
      assert.is_true(c.multi_refused)
      c:close()
    end)

    it("asks alone for a pin missing from a bulk answer", function()
      sim:clear_log()
      local results, errs = pin:pins_analytics({ "9100001", "404404", "9100002" }, dated { metric_types = METRICS })
      assert.is_table(results["9100001"])
      assert.is_table(results["9100002"])
      assert.equal("not_found", errs["404404"].kind)
      assert.equal(50, errs["404404"].code)
      assert.equal(1, count_paths(sim:requests(), "/v5/pins/404404/analytics"))
    end)

    it("puts every pin in errors when a bulk request fails", function()
      sim:configure { override = { ["/v5/pins/analytics"] = { status = 500, body = '{"code":2787,"message":"down"}' } } }
      local results, errs = pin:pins_analytics({ "1", "2" }, dated { metric_types = METRICS })
      sim:configure { override = {} }
      assert.is_nil(next(results))
      assert.equal("server", errs["1"].kind)
      assert.equal("server", errs["2"].kind)
    end)

    it("keeps the good pins of a bulk answer, typed, and names the bad one's field", function()
      local good = '{"all":{"daily_metrics":[{"date":"' .. H.day(0) .. '","data_status":"READY",' ..
        '"metrics":{"SAVE":3.0,"SAVE_RATE":0}}],"summary_metrics":{"SAVE":3}}}'
      local bad = '{"all":{"daily_metrics":[{"date":"nope","data_status":"READY","metrics":{}}]}}'
      sim:configure { override = { ["/v5/pins/analytics"] = { status = 200, body = '{"1":' .. good .. ',"2":' ..
        bad .. '}', headers = { ["Content-Type"] = "application/json" } } } }
      local results, errs = pin:pins_analytics({ "1", "2" }, dated { metric_types = METRICS })
      -- and a bulk answer entirely in the shape
      sim:configure { override = { ["/v5/pins/analytics"] = { status = 200, body = '{"1":' .. good .. '}',
        headers = { ["Content-Type"] = "application/json" } } } }
      local all_good = pin:pins_analytics({ "1" }, dated { metric_types = METRICS })
      sim:configure { override = {} }
      assert.equal(3, results["1"].all.daily_metrics[1].metrics.SAVE)
      assert.equal("invalid_response", errs["2"].kind)
      assert.equal('$["2"].all.daily_metrics[0].date', errs["2"].path)
      assert.is_nil(results["2"])
      assert.is_nil(errs["1"])
      for _, r in ipairs { results["1"], all_good["1"] } do
        local m = r.all.daily_metrics[1].metrics
        assert.equal(3, m.SAVE)
        if math.type then
          assert.equal("integer", math.type(m.SAVE))
          assert.equal("float", math.type(m.SAVE_RATE))
        end
      end
    end)

    it("checks its arguments", function()
      assert.has_error(function() pin:pins_analytics({ "1", "x2" }, dated { metric_types = METRICS }) end,
        'pinanalytics.pinterest:pins_analytics: pin_ids[2] must be a string of digits, got "x2"')
      assert.has_error(function() pin:pins_analytics({ "1" }, dated { metric_types = METRICS, split_field = "APP_TYPE" }) end)
    end)
  end)

  describe("user_account_analytics", function()
    it("returns the account's days and summary with every filter sent", function()
      sim:clear_log()
      local res = assert(pin:user_account_analytics(dated {
        metric_types = { "IMPRESSION", "ENGAGEMENT", "ENGAGEMENT_RATE", "PIN_CLICK_RATE" },
        from_claimed_content = "BOTH", pin_format = "ALL", app_types = "ALL", content_type = "ORGANIC",
        source = "YOUR_PINS", ad_account_id = "12345",
      }))
      local args = sim:requests()[1].args
      for _, kv in ipairs { "from_claimed_content=BOTH", "pin_format=ALL", "content_type=ORGANIC",
        "source=YOUR_PINS", "metric_types=IMPRESSION,ENGAGEMENT,ENGAGEMENT_RATE,PIN_CLICK_RATE" } do
        assert.truthy(args:find(kv, 1, true), kv)
      end
      local all = res.all
      assert.equal(10, #all.daily_metrics)
      local imp, eng = 0, 0
      for _, d in ipairs(all.daily_metrics) do
        -- source = "YOUR_PINS": the account's own pins only
        local m = data.account_daily(d.date, { today = H.TODAY, source = "YOUR_PINS" })
        local want_eng = m.ENGAGEMENT
        assert.equal(m.IMPRESSION, d.metrics.IMPRESSION)
        assert.equal(want_eng, d.metrics.ENGAGEMENT)
        imp, eng = imp + m.IMPRESSION, eng + want_eng
      end
      assert.equal(imp, all.summary_metrics.IMPRESSION)
      assert.near(eng / imp, all.summary_metrics.ENGAGEMENT_RATE, 1e-12)
      if math.type then assert.equal("float", math.type(all.summary_metrics.ENGAGEMENT_RATE)) end
    end)

    it("splits by source", function()
      local res = assert(pin:user_account_analytics(dated { split_field = "SOURCE" }))
      assert.is_table(res.YOUR_PINS)
      assert.is_table(res.OTHER_PINS)
      assert.is_nil(res.all)
    end)

    it("validates every enum parameter", function()
      for name, bad in pairs { from_claimed_content = "MINE", pin_format = "IMAGE", app_types = "PHONE",
        content_type = "FREE", source = "THEIRS", split_field = "DEVICE", metric_types = { "VIDEO_START" } } do
        local ok, msg = pcall(pin.user_account_analytics, pin, dated { [name] = bad })
        assert.is_false(ok, name)
        assert.truthy(msg:find("user_account_analytics: " .. name, 1, true), msg)
      end
    end)
  end)

  describe("top_pins and top_video_pins", function()
    it("returns the top pins by sort_by, data_status a map", function()
      local res = assert(pin:top_pins(dated { sort_by = "SAVE", num_of_pins = 5, metric_types = { "SAVE", "IMPRESSION" } }))
      assert.equal("SAVE", res.sort_by)
      assert.equal(5, #res.pins)
      local prev = math.huge
      for _, p in ipairs(res.pins) do
        local want = data.summary(p.pin_id, H.day(-9), H.day(0))
        assert.equal(want.SAVE, p.metrics.SAVE)
        assert.equal(want.IMPRESSION, p.metrics.IMPRESSION)
        assert.is_true(p.metrics.SAVE <= prev)
        prev = p.metrics.SAVE
        assert.equal("PROCESSING", p.data_status.SAVE)
      end
      assert.is_false(res.date_availability.is_realtime)
      assert.equal((pa.dates.parse(H.day(-2)) * 86400 + 86399) * 1000, res.date_availability.latest_available_timestamp)
    end)

    it("sorts video pins by a video metric", function()
      local res = assert(pin:top_video_pins(dated { sort_by = "VIDEO_START", created_in_last_n_days = 30 }))
      assert.equal(10, #res.pins) -- Pinterest's default num_of_pins
      assert.is_true(res.pins[1].metrics.VIDEO_START >= res.pins[10].metrics.VIDEO_START)
    end)

    it("checks sort_by, num_of_pins and created_in_last_n_days", function()
      assert.has_error(function() pin:top_pins(dated {}) end,
        "pinanalytics.pinterest:top_pins: sort_by is required (allowed: ENGAGEMENT, IMPRESSION, OUTBOUND_CLICK, PIN_CLICK, SAVE)")
      assert.has_error(function() pin:top_pins(dated { sort_by = "SAVE", num_of_pins = 51 }) end,
        "pinanalytics.pinterest:top_pins: num_of_pins = 51 (number) is not allowed (allowed: a whole number 1..50)")
      assert.has_error(function() pin:top_video_pins(dated { sort_by = "ENGAGEMENT" }) end)
      assert.has_error(function() pin:top_pins(dated { sort_by = "SAVE", created_in_last_n_days = 7 }) end)
    end)
  end)

  describe("lists", function()
    it("pages through the pins with bookmarks", function()
      sim:clear_log()
      local pager = pin:list_pins { page_size = 25, creative_types = { "REGULAR", "VIDEO" }, pin_metrics = true }
      local sizes = {}
      local all = {}
      for items, n in pager:pages() do
        sizes[n] = #items
        for _, p in ipairs(items) do all[#all + 1] = p end
      end
      assert.is_nil(pager.err)
      assert.same({ 25, 25, 10 }, sizes)
      assert.equal(60, #all)
      local seen = {}
      for _, p in ipairs(all) do
        assert.is_nil(seen[p.id]); seen[p.id] = true
        assert.is_table(p.pin_metrics["90d"])
      end
      local reqs = sim:requests()
      assert.equal(3, #reqs)
      assert.truthy(reqs[1].args:find("creative_types=REGULAR&creative_types=VIDEO", 1, true))
      assert.truthy(reqs[2].args:find("bookmark=o25", 1, true))
    end)

    it("lists boards and a board's pins", function()
      local boards = assert(pin:list_boards { privacy = "ALL" }:all())
      assert.equal(3, #boards)
      local total = 0
      for _, b in ipairs(boards) do
        local pins = assert(pin:list_board_pins(b.id, { page_size = 7 }):all())
        assert.equal(b.pin_count, #pins)
        for _, p in ipairs(pins) do assert.equal(b.id, p.board_id) end
        total = total + #pins
      end
      assert.equal(60, total)
    end)

    it("reports an unknown board as not_found", function()
      local items, err = pin:list_board_pins("123", {}):all()
      assert.is_nil(items)
      assert.equal("not_found", err.kind)
    end)

    it("stops at a repeated bookmark and at a failing page, keeping what came before", function()
      sim:configure { repeat_bookmark = true }
      local items, err = pin:list_pins { page_size = 10 }:all()
      sim:configure { repeat_bookmark = false }
      assert.is_nil(items)
      assert.equal("invalid_response", err.kind)
      assert.equal(20, #err.items)
      sim:configure { fail_page = 2 }
      items, err = pin:list_pins { page_size = 10 }:all()
      sim:configure { fail_page = false }
      assert.is_nil(items)
      assert.equal("server", err.kind)
      assert.equal(10, #err.items)
    end)

    it("checks page_size and the filters", function()
      assert.has_error(function() pin:list_pins { page_size = 251 } end,
        "pinanalytics.pinterest:list_pins: page_size = 251 (number) is not allowed (allowed: a whole number 1..250)")
      assert.has_error(function() pin:list_pins { pin_filter = "natives" } end)
      assert.has_error(function() pin:list_boards { privacy = "HIDDEN" } end)
      assert.has_error(function() pin:list_board_pins("b1", {}) end)
    end)
  end)

  describe("get", function()
    it("reaches any GET endpoint with the same session and errors", function()
      local body = assert(pin:get("/pins/555/analytics", {
        start_date = H.day(-1), end_date = H.day(0), metric_types = "IMPRESSION" }))
      assert.equal(data.summary("555", H.day(-1), H.day(0)).IMPRESSION, body.all.summary_metrics.IMPRESSION)
      local res, err = pin:get("/nothing/here")
      assert.is_nil(res)
      assert.equal("not_found", err.kind)
      assert.has_error(function() pin:get("pins") end)
      assert.has_error(function() pin:get("/pins?x=1") end)
      assert.has_error(function() pin:get("/pins", { x = {} , y = function() end }) end)
    end)
  end)

  describe("query strings", function()
    it("escape what needs it and send checked values as they are", function()
      local http = require "pinanalytics.http"
      assert.equal("", http.query({}))
      assert.equal("?q=a%20b%26c%3D%2F&n=12&list=A,B_C", http.query({ { "q", "a b&c=/" }, { "n", 12 },
        { "list", "A,B_C" } }))
      assert.equal("?start_date=2026-11-01&metric_types=IMPRESSION,SAVE", http.query({
        { "start_date", "2026-11-01", true }, { "metric_types", "IMPRESSION,SAVE", true } }))
    end)

    it("are what the client sends for checked parameters", function()
      sim:clear_log()
      assert(pin:pin_analytics("555", { start_date = H.day(-1), end_date = H.day(0),
        metric_types = { "SAVE", "IMPRESSION", "SAVE" } }))
      local req = sim:requests()[1]
      assert.equal("/v5/pins/555/analytics?start_date=" .. H.day(-1) .. "&end_date=" .. H.day(0) ..
        "&metric_types=SAVE,IMPRESSION", req.uri)
    end)
  end)

  describe("ranges", function()
    local M = { "IMPRESSION" }

    it("takes range = a range or a preset name instead of start_date/end_date", function()
      sim:clear_log()
      local res = assert(pin:pin_analytics("42", { range = pa.dates.range(H.day(-6), H.day(-2)), metric_types = M }))
      assert.equal(5, #res.all.daily_metrics)
      res = assert(pin:pin_analytics("42", { range = "last_7_days", metric_types = M }))
      assert.equal(H.day(-7), res.all.daily_metrics[1].date)
      assert.equal(H.day(-1), res.all.daily_metrics[7].date)
      assert.truthy(sim:requests()[2].args:find("start_date=" .. H.day(-7) .. "&end_date=" .. H.day(-1), 1, true))
      res = assert(pin:user_account_analytics { range = pa.dates.last(3, { clock = H.clock }) })
      assert.equal(3, #res.all.daily_metrics)
      assert.has_error(function()
        pin:pin_analytics("42", { range = "last_7_days", start_date = H.day(-1), metric_types = M })
      end, "pinanalytics.pinterest:pin_analytics: give either range or start_date/end_date, not both")
      assert.has_error(function() pin:pin_analytics("42", { range = "last_8_days", metric_types = M }) end)
    end)

    it("refuses a range reaching too far back, naming the earliest date, or clamps it", function()
      local r = pa.dates.range(H.day(-100), H.day(-80))
      local ok, msg = pcall(pin.pin_analytics, pin, "42", { range = r, metric_types = M })
      assert.is_false(ok)
      assert.truthy(msg:find("earliest allowed date: " .. H.day(-90), 1, true), msg)
      local res, err, info = pin:pin_analytics("42", { range = r, metric_types = M, clamp = true })
      assert.is_nil(err)
      assert.equal(11, #res.all.daily_metrics)
      assert.equal(H.day(-90), res.all.daily_metrics[1].date)
      assert.is_true(info.clamped)
      assert.equal(H.day(-100) .. ".." .. H.day(-91), tostring(info.dropped))
      assert.equal(H.day(-90) .. ".." .. H.day(-80), tostring(info.range))
      -- nothing left after clamping: still an error
      assert.has_error(function()
        pin:pin_analytics("42", { range = pa.dates.range(H.day(-120), H.day(-95)), metric_types = M, clamp = true })
      end)
    end)

    it("refuses a range longer than one request may span", function()
      local ok, msg = pcall(pin.pin_analytics, pin, "42",
        { range = pa.dates.range(H.day(-90), H.day(1)), metric_types = M })
      assert.is_false(ok)
      assert.truthy(msg:find("is 91 days after start_date", 1, true), msg)
    end)
  end)
end)

describe("the 90-day boundary with a fixed clock", function()
  it("allows today-90 and refuses today-91, on a day after a leap day", function()
    -- 2024-05-29 minus 90 days is 2024-02-29
    local sim = H.start { today = "2024-05-29" }
    local fixed = pa.dates.parse("2024-05-29") * 86400 + 86399 -- the last second of the day
    local c = pa.pinterest { token = H.TOKEN, base_url = sim.pinterest_url, clock = function() return fixed end }
    local res, err = c:pin_analytics("42", { start_date = "2024-02-29", end_date = "2024-03-02",
      metric_types = { "IMPRESSION" } })
    local ok, msg = pcall(c.pin_analytics, c, "42", { start_date = "2024-02-28", end_date = "2024-03-02",
      metric_types = { "IMPRESSION" } })
    c:close()
    sim:stop()
    assert.is_nil(err)
    assert.equal("2024-02-29", res.all.daily_metrics[1].date)
    assert.is_false(ok)
    assert.truthy(msg:find("start_date 2024-02-28 is 91 days before today (2024-05-29 UTC)", 1, true), msg)
    assert.truthy(msg:find("earliest allowed date: 2024-02-29", 1, true), msg)
  end)
end)
