-- pin_analytics end to end against the simulator over loopback HTTP.
local H = require "helpers.sim"
local data = require "pinanalytics.simulator.data"

local PIN = "813744226420795884"
local ALL_METRICS = {
  "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE", "USER_FOLLOW", "PROFILE_VISIT",
  "VIDEO_START", "VIDEO_AVG_WATCH_TIME",
}

describe("pin_analytics", function()
  local sim, pin

  setup(function()
    sim = H.start { missing_pins = { "404404" } }
    pin = H.client(sim)
  end)

  teardown(function()
    if pin then pin:close() end
    if sim then sim:stop() end
  end)

  local function params(over)
    local p = {
      start_date = H.day(-29), end_date = H.day(0),
      metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" },
    }
    for k, v in pairs(over or {}) do p[k] = v end
    return p
  end

  describe("a successful call", function()
    it("returns the simulator's daily values, summary and statuses", function()
      local res, err = pin:pin_analytics(PIN, params { metric_types = ALL_METRICS })
      assert.is_nil(err)
      local all = res.all
      assert.equal(30, #all.daily_metrics)
      for i, day in ipairs(all.daily_metrics) do
        local date = H.day(-30 + i)
        assert.equal(date, day.date)
        assert.equal(data.status(date, H.TODAY), day.data_status)
        local want = data.daily(PIN, date, "ALL")
        for _, m in ipairs(ALL_METRICS) do
          if m:match("_RATE$") or m == "VIDEO_AVG_WATCH_TIME" then
            assert.near(want[m], day.metrics[m], 1e-9)
          else
            assert.equal(want[m], day.metrics[m])
          end
        end
        -- exactly the requested metrics
        local n = 0
        for _ in pairs(day.metrics) do n = n + 1 end
        assert.equal(#ALL_METRICS, n)
      end
      -- the most recent days are not READY
      assert.equal("PROCESSING", all.daily_metrics[30].data_status)
      assert.equal("PROCESSING", all.daily_metrics[29].data_status)
      assert.equal("ESTIMATE", all.daily_metrics[28].data_status)
      assert.equal("READY", all.daily_metrics[27].data_status)
      -- summary consistent with the days, computed here in plain Lua
      local imp, save = 0, 0
      for _, day in ipairs(all.daily_metrics) do
        imp = imp + day.metrics.IMPRESSION
        save = save + day.metrics.SAVE
      end
      assert.equal(imp, all.summary_metrics.IMPRESSION)
      assert.equal(save, all.summary_metrics.SAVE)
      assert.near(save / imp, all.summary_metrics.SAVE_RATE, 1e-12)
      assert.is_true(imp > 0)
    end)

    it("gives counts as integers and rates as floats", function()
      local res = assert(pin:pin_analytics(PIN, params { metric_types = ALL_METRICS }))
      local s = res.all.summary_metrics
      if math.type then
        for _, m in ipairs { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "VIDEO_START" } do
          assert.equal("integer", math.type(s[m]), m)
          assert.equal("integer", math.type(res.all.daily_metrics[1].metrics[m]), m)
        end
        assert.equal("float", math.type(s.SAVE_RATE))
        assert.equal("float", math.type(s.VIDEO_AVG_WATCH_TIME))
        for _, day in ipairs(res.all.daily_metrics) do
          assert.equal("float", math.type(day.metrics.SAVE_RATE))
        end
        for _, v in pairs(res.all.lifetime_metrics) do assert.equal("integer", math.type(v)) end
      end
    end)

    it("sends metric_types comma-separated and the optional parameters", function()
      sim:clear_log()
      local res = assert(pin:pin_analytics(PIN, params {
        metric_types = { "SAVE", "IMPRESSION", "SAVE" }, app_types = "MOBILE",
        split_field = "APP_TYPE", ad_account_id = "549755885175",
      }))
      local reqs = sim:requests()
      assert.equal(1, #reqs)
      assert.equal("/v5/pins/" .. PIN .. "/analytics", reqs[1].path)
      assert.truthy(reqs[1].args:find("metric_types=SAVE,IMPRESSION", 1, true))
      assert.truthy(reqs[1].args:find("app_types=MOBILE", 1, true))
      assert.truthy(reqs[1].args:find("split_field=APP_TYPE", 1, true))
      assert.truthy(reqs[1].args:find("ad_account_id=549755885175", 1, true))
      -- split by app type, restricted to the one app asked for
      assert.is_table(res.MOBILE)
      assert.is_nil(res.all)
      local d = res.MOBILE.daily_metrics[1]
      assert.equal(data.daily(PIN, d.date, "MOBILE").SAVE, d.metrics.SAVE)
    end)

    it("keeps the connection alive across calls (seen by the server)", function()
      sim:clear_log()
      assert(pin:pin_analytics(PIN, params()))
      assert(pin:pin_analytics("1234567", params()))
      local reqs = sim:requests()
      assert.equal(2, #reqs)
      assert.equal(reqs[1].connection, reqs[2].connection)
      assert.equal(reqs[1].connection_requests + 1, reqs[2].connection_requests)
      assert.equal(0, pin.session:info().new_connections)
    end)
  end)

  describe("validation before sending", function()
    local function rejects(pattern, pin_id, p)
      sim:clear_log()
      local ok, msg = pcall(pin.pin_analytics, pin, pin_id, p)
      assert.is_false(ok)
      assert.is_string(msg)
      assert.truthy(msg:find("pin_analytics", 1, true), msg)
      assert.truthy(msg:find(pattern, 1, true), "expected '" .. pattern .. "' in: " .. msg)
      assert.equal(0, #sim:requests()) -- nothing was sent
      return msg
    end

    it("pin_id must be digits", function()
      local msg = rejects('pin_id must be a string of digits, got "81374x"', "81374x", params())
      assert.truthy(msg)
      rejects("pin_id must be a string of digits, got 42 (number)", 42, params())
    end)

    it("start_date must be a real calendar date", function()
      rejects('start_date = "2025-02-29" is not a valid date: 2025-02 has no day 29', PIN,
        params { start_date = "2025-02-29" })
      rejects('start_date = "2026/10/01" is not a valid date: not in the form YYYY-MM-DD', PIN,
        params { start_date = "2026/10/01" })
    end)

    it("end_date must be a real calendar date", function()
      rejects('end_date = "2026-13-01" is not a valid date: month 13 does not exist', PIN,
        params { end_date = "2026-13-01" })
    end)

    it("start_date and end_date are required", function()
      local p = params(); p.start_date = nil
      rejects("start_date is required", PIN, p)
      p = params(); p.end_date = nil
      rejects("end_date is required", PIN, p)
    end)

    it("start_date must not be after end_date", function()
      rejects("start_date " .. H.day(-1) .. " is after end_date " .. H.day(-2), PIN,
        params { start_date = H.day(-1), end_date = H.day(-2) })
    end)

    it("end_date at most 90 days after start_date", function()
      -- 90 days is allowed (checked against the server), 91 is not
      assert(pin:pin_analytics(PIN, params { start_date = H.day(-90), end_date = H.day(0) }))
      rejects("end_date " .. H.day(1) .. " is 91 days after start_date " .. H.day(-90) .. " (allowed: at most 90",
        PIN, params { start_date = H.day(-90), end_date = H.day(1) })
    end)

    it("start_date at most 90 days before today (UTC)", function()
      assert(pin:pin_analytics(PIN, params { start_date = H.day(-90), end_date = H.day(-80) }))
      rejects("start_date " .. H.day(-91) .. " is 91 days before today (" .. H.TODAY ..
        " UTC) (allowed: at most 90; earliest allowed date: " .. H.day(-90),
        PIN, params { start_date = H.day(-91), end_date = H.day(-80) })
    end)

    it("metric_types must be non-empty", function()
      rejects("metric_types must not be empty", PIN, params { metric_types = {} })
      local p = params(); p.metric_types = nil
      rejects("metric_types is required", PIN, p)
    end)

    it("metric_types must come from the allowed lists", function()
      local msg = rejects('metric_types[2] = "IMPRESSIONS" is not allowed (allowed: IMPRESSION,', PIN,
        params { metric_types = { "SAVE", "IMPRESSIONS" } })
      assert.truthy(msg:find("VIDEO_AVG_WATCH_TIME", 1, true)) -- the video list too
    end)

    it("app_types must be from its enum", function()
      rejects('app_types = "mobile" is not allowed (allowed: ALL, MOBILE, TABLET, WEB)', PIN,
        params { app_types = "mobile" })
    end)

    it("split_field must be from its enum", function()
      rejects('split_field = "SOURCE" is not allowed (allowed: NO_SPLIT, APP_TYPE)', PIN,
        params { split_field = "SOURCE" })
    end)

    it("ad_account_id must be digits", function()
      rejects('ad_account_id must be a string of digits (at most 18), got "act_12"', PIN,
        params { ad_account_id = "act_12" })
    end)

    it("unknown parameters are named", function()
      rejects('unknown parameter "metrics"', PIN, params { metrics = { "SAVE" } })
    end)
  end)

  describe("server errors", function()
    it("400 arrives as bad_request with Pinterest's code and message", function()
      -- a date range the client allows but the server's own today refuses
      local other = H.start { today = H.day(30) }
      local c = H.client(other)
      local res, err = c:pin_analytics(PIN, params { start_date = H.day(-70), end_date = H.day(-60) })
      c:close(); other:stop()
      assert.is_nil(res)
      assert.equal("bad_request", err.kind)
      assert.equal(400, err.status)
      assert.equal(1, err.code)
      assert.truthy(err.message:find("You can only get data from the last 90 days", 1, true))
      assert.is_string(err.request_id)
      H.assert_no_secret(err)
    end)

    it("401 arrives as auth for a wrong token", function()
      local c = H.client(sim, { token = "wrong-token-value" })
      local res, err = c:pin_analytics(PIN, params())
      c:close()
      assert.is_nil(res)
      assert.equal("auth", err.kind)
      assert.equal(401, err.status)
      assert.equal(2, err.code)
      assert.equal("Authentication failed.", err.message)
      H.assert_no_secret(err, "wrong-token-value")
    end)

    it("a server that echoes the token in its error still never shows it", function()
      local c = H.client(sim, { token = "echoed-secret-value" })
      sim:configure { echo_auth = true }
      local res, err = c:pin_analytics(PIN, params())
      sim:configure { echo_auth = false }
      c:close()
      assert.is_nil(res)
      assert.equal("auth", err.kind)
      assert.truthy(err.message:find("[REDACTED]", 1, true), err.message)
      H.assert_no_secret(err, "echoed-secret-value")
    end)

    it("404 arrives as not_found", function()
      local res, err = pin:pin_analytics("404404", params())
      assert.is_nil(res)
      assert.equal("not_found", err.kind)
      assert.equal(404, err.status)
      assert.equal(50, err.code)
      assert.equal("Pin not found.", err.message)
      local line = tostring(err)
      assert.is_nil(line:find("\n"))
      assert.truthy(line:find("not_found: Pin not found. (GET /pins/404404/analytics, HTTP 404, code 50", 1, true), line)
      H.assert_no_secret(err)
    end)

    it("the token never appears in any error string", function()
      local errs = {}
      errs[#errs + 1] = select(2, pin:pin_analytics("404404", params()))
      local bad = H.client({ pinterest_url = "http://127.0.0.1:1/v5" })
      errs[#errs + 1] = select(2, bad:pin_analytics(PIN, params()))
      bad:close()
      for _, e in ipairs(errs) do H.assert_no_secret(e) end
      assert.is_nil(tostring(pin):find(H.TOKEN, 1, true))
      assert.is_nil(tostring(pin.session):find(H.TOKEN, 1, true))
    end)
  end)

  describe("redirects", function()
    it("are not followed, so the token never goes to another host", function()
      sim:configure { override = { ["/v5/pins/777/analytics"] = { status = 302, body = "{}",
        headers = { Location = "http://127.0.0.1:1/elsewhere" } } } }
      sim:clear_log()
      local res, err = pin:pin_analytics("777", params())
      sim:configure { override = {} }
      assert.is_nil(res)
      assert.equal("http", err.kind)
      assert.equal(302, err.status)
      assert.equal(1, #sim:requests())
      H.assert_no_secret(err)
    end)
  end)

  describe("transport failures", function()
    it("a port where nothing listens gives kind network", function()
      local c = H.client({ pinterest_url = "http://127.0.0.1:1/v5" })
      local res, err = c:pin_analytics(PIN, params())
      c:close()
      assert.is_nil(res)
      assert.equal("network", err.kind)
      assert.is_nil(err.status)
      assert.truthy(tostring(err):find("pinanalytics: network:", 1, true))
      H.assert_no_secret(err)
    end)

    it("a server that never answers gives kind timeout within the timeout", function()
      local slow = H.start { latency_ms = 5000 }
      local c = H.client(slow, { timeout = 0.5 })
      local t0 = os.time()
      local res, err = c:pin_analytics(PIN, params())
      local elapsed = os.time() - t0
      c:close(); slow:stop()
      assert.is_nil(res)
      assert.equal("timeout", err.kind)
      assert.is_true(elapsed <= 2, "took " .. elapsed .. " s")
    end)
  end)

  describe("number types", function()
    local function serve(id, text)
      sim:configure { override = { ["/v5/pins/" .. id .. "/analytics"] = {
        status = 200, body = text, headers = { ["Content-Type"] = "application/json" } } } }
    end
    local day = '{"date":"2026-11-01","data_status":"READY","metrics":{"IMPRESSION":240.0,"SAVE":3,' ..
      '"SAVE_RATE":0,"VIDEO_AVG_WATCH_TIME":12,"OUTBOUND_CLICK":1.5}'

    it("come from the schema: counts integers, rates floats, whatever the literal", function()
      serve("444", '{"all":{"daily_metrics":[' .. day .. '}],"summary_metrics":{"IMPRESSION":240.0,"SAVE_RATE":0}}}')
      local res = assert(pin:pin_analytics("444", params()))
      sim:configure { override = {} }
      local m = res.all.daily_metrics[1].metrics
      assert.same({ 240, 3, 0, 12, 1.5 }, { m.IMPRESSION, m.SAVE, m.SAVE_RATE, m.VIDEO_AVG_WATCH_TIME, m.OUTBOUND_CLICK })
      if math.type then
        assert.same({ "integer", "integer", "float", "float", "float" }, { math.type(m.IMPRESSION),
          math.type(m.SAVE), math.type(m.SAVE_RATE), math.type(m.VIDEO_AVG_WATCH_TIME), math.type(m.OUTBOUND_CLICK) })
        assert.equal("integer", math.type(res.all.summary_metrics.IMPRESSION))
        assert.equal("float", math.type(res.all.summary_metrics.SAVE_RATE))
      end
    end)

    it("an answer with a field the schema does not name is still returned, checked field by field", function()
      serve("555", '{"all":{"daily_metrics":[' .. day .. ',"note":"new"}],"summary_metrics":{"SAVE":3}}}')
      local res, err = pin:pin_analytics("555", params())
      sim:configure { override = {} }
      assert.is_table(res, tostring(err))
      local d = res.all.daily_metrics[1]
      assert.equal("new", d.note)
      assert.equal(3, d.metrics.SAVE)
      if math.type then
        -- the same types as on the fast path
        assert.equal("integer", math.type(d.metrics.SAVE))
        assert.equal("integer", math.type(d.metrics.IMPRESSION))
        assert.equal("float", math.type(d.metrics.SAVE_RATE))
        assert.equal("float", math.type(d.metrics.VIDEO_AVG_WATCH_TIME))
      end
    end)
  end)

  describe("answers of the wrong shape", function()
    it("the seed's sample response is invalid_response naming the bad field, body kept", function()
      local fixture = H.read_file("spec/fixtures/seed_pin_analytics.json")
      sim:configure { override = { ["/v5/pins/111/analytics"] = {
        status = 200, body = fixture, headers = { ["Content-Type"] = "application/json" } } } }
      local res, err = pin:pin_analytics("111", params())
      sim:configure { override = {} }
      assert.is_nil(res)
      assert.equal("invalid_response", err.kind)
      assert.equal(200, err.status)
      assert.equal("$.aliqua_8a6.daily_metrics[0].date", err.path)
      assert.truthy(err.message:find("expected a date string YYYY-MM-DD, got object", 1, true), err.message)
      -- nothing lost: the decoded body is on the error
      assert.equal(240, err.body.aliqua_8a6.summary_metrics.IMPRESSION)
      assert.equal(2507.75, err.body.esse_.summary_metrics.VIDEO_AVG_WATCH_TIME)
      assert.truthy(tostring(err):find("at $.aliqua_8a6.daily_metrics[0].date", 1, true))
    end)

    it("a body that is not JSON is invalid_json with the text kept", function()
      sim:configure { override = { ["/v5/pins/222/analytics"] = { status = 200, body = "<html>oops</html>" } } }
      local res, err = pin:pin_analytics("222", params())
      sim:configure { override = {} }
      assert.is_nil(res)
      assert.equal("invalid_json", err.kind)
      assert.equal("<html>oops</html>", err.raw)
    end)

    it("an error status with a non-JSON body keeps kind and text", function()
      sim:configure { override = { ["/v5/pins/333/analytics"] = { status = 503, body = "upstream down" } } }
      local res, err = pin:pin_analytics("333", params())
      sim:configure { override = {} }
      assert.is_nil(res)
      assert.equal("server", err.kind)
      assert.equal(503, err.status)
      assert.truthy(err.message:find("upstream down", 1, true))
    end)
  end)
end)
