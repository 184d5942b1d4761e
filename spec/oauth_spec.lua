-- Token refresh: POST /oauth/token with the refresh token and HTTP Basic
-- client credentials, before expiry and once on a 401.
local H = require "helpers.sim"
local pa = require "pinanalytics"

local SECRET = "client-secret-0f9e8d7c6b5a"
local REFRESH = "refresh-token-1a2b3c4d5e6f"

describe("token refresh", function()
  local sim

  setup(function()
    sim = H.start { client_id = "app-1234", client_secret = SECRET, refresh_token = REFRESH, token_ttl = 3600 }
  end)
  teardown(function() if sim then sim:stop() end end)

  local now
  local function client(opts)
    now = pa.dates.parse(H.TODAY) * 86400 + 43200
    local o = {
      base_url = sim.pinterest_url, client_id = "app-1234", client_secret = SECRET, refresh_token = REFRESH,
      clock = function() return now end,
    }
    for k, v in pairs(opts or {}) do o[k] = v end
    return pa.pinterest(o)
  end

  local function params()
    return { start_date = H.day(-2), end_date = H.day(0), metric_types = { "IMPRESSION" } }
  end

  local function paths()
    local out = {}
    for _, r in ipairs(sim:requests()) do out[#out + 1] = r.method .. " " .. r.path .. " " .. r.status end
    return out
  end

  it("obtains a token before the first request and hands it to on_token", function()
    local got = {}
    local c = client { on_token = function(t) got[#got + 1] = t end }
    sim:clear_log()
    assert(c:pin_analytics("42", params()))
    assert.same({ "POST /v5/oauth/token 200", "GET /v5/pins/42/analytics 200" }, paths())
    assert.equal(1, #got)
    assert.truthy(got[1].access_token:match("^sim%-at%-"))
    assert.equal(3600, got[1].expires_in)
    assert.equal(REFRESH, got[1].refresh_token)
    c:close()
  end)

  it("refreshes before expires_in runs out", function()
    local got = 0
    local c = client { on_token = function() got = got + 1 end }
    sim:clear_log()
    assert(c:pin_analytics("42", params()))
    now = now + 3000 -- well inside the hour
    assert(c:pin_analytics("42", params()))
    assert.equal(1, got)
    now = now + 590 -- within a minute of expiry: refreshed first
    assert(c:pin_analytics("42", params()))
    assert.equal(2, got)
    assert.same({ "POST /v5/oauth/token 200", "GET /v5/pins/42/analytics 200", "GET /v5/pins/42/analytics 200",
      "POST /v5/oauth/token 200", "GET /v5/pins/42/analytics 200" }, paths())
    c:close()
  end)

  it("refreshes once on a 401 and retries the request", function()
    local got = {}
    local c = client { token = "stale-access-token", on_token = function(t) got[#got + 1] = t end }
    sim:clear_log()
    local res = assert(c:pin_analytics("42", params()))
    assert.is_table(res.all)
    assert.same({ "GET /v5/pins/42/analytics 401", "POST /v5/oauth/token 200", "GET /v5/pins/42/analytics 200" },
      paths())
    assert.equal(1, #got)
    -- tokens the server expires are replaced the same way
    sim:expire_tokens()
    sim:clear_log()
    assert(c:pin_analytics("42", params()))
    assert.same({ "GET /v5/pins/42/analytics 401", "POST /v5/oauth/token 200", "GET /v5/pins/42/analytics 200" },
      paths())
    c:close()
  end)

  it("keeps a rotated refresh token and uses it next time", function()
    sim:configure { rotate_refresh = true }
    local got = {}
    local c = client { on_token = function(t) got[#got + 1] = t end }
    assert(c:pin_analytics("42", params()))
    assert.truthy(got[1].refresh_token:match("^sim%-rt%-"))
    assert(c:refresh())
    assert.equal(2, #got)
    assert.are_not.equal(got[1].refresh_token, got[2].refresh_token)
    sim:configure { rotate_refresh = false }
    c:close()
  end)

  it("a failed refresh is an auth error that says so, without secrets", function()
    sim:configure { refuse_refresh = true }
    local c = client { token = "stale-access-token" }
    local res, err = c:pin_analytics("42", params())
    sim:configure { refuse_refresh = false }
    c:close()
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    assert.equal(400, err.status)
    assert.truthy(err.message:find("^token refresh failed: Invalid refresh_token%."), err.message)
    for _, secret in ipairs { SECRET, REFRESH, "stale-access-token" } do H.assert_no_secret(err, secret) end
  end)

  it("wrong client credentials fail the refresh, without secrets", function()
    local c = client { client_secret = "wrong-secret-value" }
    local res, err = c:pin_analytics("42", params())
    c:close()
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    assert.equal(401, err.status)
    assert.truthy(err.message:find("token refresh failed", 1, true))
    H.assert_no_secret(err, "wrong-secret-value")
    H.assert_no_secret(err, REFRESH)
  end)

  it("a server echoing credentials still never shows them", function()
    sim:configure { echo_auth = true }
    local c = client { token = "stale-access-token" }
    sim:configure { refuse_refresh = true }
    local _, err = c:pin_analytics("42", params())
    sim:configure { echo_auth = false, refuse_refresh = false }
    c:close()
    assert.equal("auth", err.kind)
    for _, secret in ipairs { SECRET, REFRESH, "stale-access-token" } do H.assert_no_secret(err, secret) end
  end)

  it("checks the credential options", function()
    assert.has_error(function() pa.pinterest { client_id = "a", refresh_token = "b" } end,
      "pinanalytics.pinterest:new: option client_secret is required to refresh tokens " ..
      "(give client_id, client_secret and refresh_token)")
    local ok, msg = pcall(pa.pinterest, { token = 12345 })
    assert.is_false(ok)
    assert.equal("pinanalytics.pinterest:new: option token must be a string, got a number", msg)
    assert.has_error(function() pa.pinterest { token = "x" }:refresh() end)
  end)
end)
