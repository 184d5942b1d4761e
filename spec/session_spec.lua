-- The Session userdata of the C core.
local core = require "pinanalytics.core"
local H = require "helpers.sim"

describe("core.session", function()
  local sim

  setup(function() sim = H.start() end)
  teardown(function() if sim then sim:stop() end end)

  it("checks its options", function()
    assert.has_error(function() core.session {} end,
      "pinanalytics.core.session: option 'base_url' is required")
    assert.has_error(function() core.session { base_url = "http://x", timeout = "5" } end,
      "pinanalytics.core.session: option 'timeout' must be a number, got string")
    assert.has_error(function() core.session { base_url = "http://x", tls_verify = "no" } end,
      "pinanalytics.core.session: option 'tls_verify' must be a boolean")
  end)

  it("returns status, lower-case headers and the decoded body", function()
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    local status, headers, body = s:request("GET", "/pins/404404/analytics?start_date=" .. H.day(-1) ..
      "&end_date=" .. H.day(0) .. "&metric_types=SAVE")
    assert.equal(200, status)
    assert.is_string(headers["x-pinterest-rid"])
    assert.truthy(headers["content-type"]:find("application/json", 1, true))
    assert.is_table(body.all)
    s:close()
  end)

  it("checks and types an analytics answer while decoding when asked to", function()
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    local target = "/pins/404404/analytics?start_date=" .. H.day(-1) .. "&end_date=" .. H.day(0) ..
      "&metric_types=SAVE,SAVE_RATE"
    local status, headers, body, decode_err, raw, shape_ok = s:request("GET", target, nil, nil, "analytics")
    assert.equal(200, status)
    assert.is_table(headers)
    assert.is_nil(decode_err)
    assert.is_nil(raw)
    assert.is_true(shape_ok)
    local m = body.all.daily_metrics[1].metrics
    assert.is_number(m.SAVE)
    if math.type then
      assert.equal("integer", math.type(m.SAVE))
      assert.equal("float", math.type(m.SAVE_RATE))
    end
    -- an error answer is decoded the general way, and is not in the shape
    local st, _, err_body, _, _, err_ok = s:request("GET", "/pins/404404/analytics", nil, nil, "analytics")
    assert.equal(400, st)
    assert.is_table(err_body)
    assert.is_false(err_ok)
    -- without a shape, five results at most, as before
    assert.equal(3, select("#", s:request("GET", target)))
    local ok, msg = pcall(s.request, s, "GET", target, nil, nil, "nope")
    assert.is_false(ok)
    assert.truthy(msg:find("invalid option 'nope'", 1, true), msg)
    s:close()
  end)

  it("sends the bearer token only as a header, and can replace it", function()
    local s = core.session { base_url = sim.pinterest_url, token = "not-the-token" }
    local status = s:request("GET", "/pins/1/analytics")
    assert.equal(401, status)
    assert.is_true(s:info().has_token)
    s:set_token(H.TOKEN)
    status = s:request("GET", "/pins/1/analytics?start_date=" .. H.day(0) .. "&end_date=" .. H.day(0) ..
      "&metric_types=SAVE")
    assert.equal(200, status)
    s:set_token(nil)
    assert.is_false(s:info().has_token)
    assert.equal(401, (s:request("GET", "/pins/1/analytics")))
    s:close()
  end)

  it("caps the response size", function()
    sim:configure { override = { ["/v5/big"] = { status = 200, body = string.rep("x", 200000) } } }
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN, max_body = 1000 }
    local ok, kind, msg = s:request("GET", "/big")
    sim:configure { override = {} }
    s:close()
    assert.is_nil(ok)
    assert.equal("too_large", kind)
    assert.equal("response larger than max_body (1000 bytes)", msg)
  end)

  it("keeps a body that is not JSON as raw text", function()
    sim:configure { override = { ["/v5/text"] = { status = 200, body = "plain words" } } }
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    local status, _, body, decode_err, raw = s:request("GET", "/text")
    sim:configure { override = {} }
    s:close()
    assert.equal(200, status)
    assert.is_nil(body)
    assert.is_string(decode_err)
    assert.equal("plain words", raw)
  end)

  it("closes idempotently and refuses use after close", function()
    local s = core.session { base_url = sim.pinterest_url, token = H.TOKEN }
    assert.equal("pinanalytics.Session (open)", tostring(s))
    s:close()
    s:close()
    assert.is_true(s:is_closed())
    assert.equal("pinanalytics.Session (closed)", tostring(s))
    assert.has_error(function() s:request("GET", "/x") end, "pinanalytics: attempt to use a closed session")
  end)

  if _VERSION == "Lua 5.4" then
    it("closes through a to-be-closed variable", function()
      local f = assert(load([[
        local core, url = ...
        local kept
        do
          local s <close> = core.session { base_url = url }
          kept = s
        end
        return kept
      ]]))
      local s = f(core, sim.pinterest_url)
      assert.is_true(s:is_closed())
    end)
  end
end)
