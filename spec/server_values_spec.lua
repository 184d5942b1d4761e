-- What a server hands the client is clamped or refused before it is used:
-- waits from Retry-After / X-RateLimit-Reset, tokens from POST /oauth/token;
-- and credentials travel over plain http:// only to loopback.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local pacing = require "pinanalytics.pacing"
local errors = require "pinanalytics.errors"

local PATH = "/v5/user_account"

describe("server-given waits", function()
  local sim
  setup(function() sim = H.start() end)
  teardown(function() if sim then sim:stop() end end)

  local function answer_429(headers)
    sim:configure { override = { [PATH] = { status = 429, headers = headers,
      body = '{"code":8,"message":"Too many requests"}' } } }
  end

  local cases = {
    { "X-RateLimit-Reset: 1e309", { ["X-RateLimit-Reset"] = "1e309" } },
    { "X-RateLimit-Reset: 0x7fffffffffffffff", { ["X-RateLimit-Reset"] = "0x7fffffffffffffff" } },
    { "X-RateLimit-Reset: 9223372036854775807", { ["X-RateLimit-Reset"] = "9223372036854775807" } },
    { "Retry-After: 99999999999999999999", { ["Retry-After"] = "99999999999999999999" } },
    { "Retry-After: 1e400", { ["Retry-After"] = "1e400" } },
    { "Retry-After: -5", { ["Retry-After"] = "-5" } },
  }
  for _, case in ipairs(cases) do
    it("a 429 with " .. case[1] .. " gives nil, err (never a raise, never a huge wait)", function()
      answer_429(case[2])
      local c = H.client(sim, { retries = 3, max_wait = 60 })
      local t0 = os.time()
      local ok, res, err = pcall(c.get, c, "/user_account")
      assert.is_true(ok, tostring(res))
      assert.is_nil(res)
      assert.is_true(errors.is(err))
      assert.is_true(err.kind == "quota" or err.kind == "rate_limit", err.kind)
      assert.is_true(os.time() - t0 < 30)
      local line = tostring(err)
      assert.is_nil(line:find("\n"))
      if err.retry_after then
        assert.is_true(err.retry_after >= 0 and err.retry_after <= pacing.MAX_SERVER_WAIT, tostring(err.retry_after))
      end
      if err.reset_at then
        assert.is_true(err.reset_at <= os.time() + pacing.MAX_SERVER_WAIT + 1)
      end
      c:close()
    end)
  end

  it("server_wait clamps every form to 0..MAX_SERVER_WAIT and ignores what is not a decimal number", function()
    local max = pacing.MAX_SERVER_WAIT
    local function wait(h, msg) return pacing.server_wait({ headers = h, message = msg }, 2e9) end
    assert.is_nil(wait { ["x-ratelimit-reset"] = "1e309" }) -- not a plain decimal: backoff decides
    assert.are.equal(max, wait { ["x-ratelimit-reset"] = "9223372036854775807" })
    assert.is_nil(wait { ["x-ratelimit-reset"] = "0x10" })
    assert.is_nil(wait { ["x-ratelimit-reset"] = "nan" })
    assert.are.equal(0, wait { ["x-ratelimit-reset"] = "1000000001" }) -- an epoch time in the past
    assert.are.equal(30, wait { ["x-ratelimit-reset"] = "2000000030" }) -- an epoch time 30 s ahead
    assert.are.equal(12, wait { ["x-ratelimit-reset"] = "12" })
    assert.are.equal(max, wait({}, "Retry after 99999999999999999999999 seconds"))
    assert.are.equal(7, wait({}, "Retry after 7 seconds"))
    assert.are.equal(max, errors.retry_after { ["retry-after"] = "99999999999999999999" })
    assert.are.equal(2.5, errors.retry_after { ["retry-after"] = "2.5" })
    assert.is_nil(errors.retry_after { ["retry-after"] = "-5" })
    assert.is_nil(errors.retry_after { ["retry-after"] = "inf" })
  end)

  it("quota_error formats any wait it is given", function()
    local e = pacing.quota_error({ kind = "rate_limit" }, math.huge, 300, {})
    assert.are.equal("quota", e.kind)
    assert.are.equal(pacing.MAX_SERVER_WAIT, e.retry_after)
    e = pacing.quota_error({ kind = "rate_limit" }, 0 / 0, 300, {})
    assert.are.equal(pacing.MAX_SERVER_WAIT, e.retry_after)
  end)
end)

describe("tokens from POST /oauth/token", function()
  local sim
  setup(function()
    sim = H.start { client_id = "app-1", client_secret = "cs-9f8e7d", refresh_token = "rt-1a2b3c" }
  end)
  teardown(function() if sim then sim:stop() end end)

  local function refresh_client()
    return pa.pinterest { base_url = sim.pinterest_url, client_id = "app-1", client_secret = "cs-9f8e7d",
      refresh_token = "rt-1a2b3c", clock = H.clock, retries = 0 }
  end

  for _, bad in ipairs({ "abc\r\nX-Injected: yes", "abc\nX-Injected: yes", "abc def", "abc\0def" }) do
    it("an access token with " .. string.format("%q", bad):sub(1, 20) .. "... is refused like one given at construction",
      function()
        local body = '{"access_token":' .. require("cjson").encode(bad) ..
          ',"token_type":"bearer","expires_in":3600}'
        sim:configure { override = { ["/v5/oauth/token"] = { noauth = true, status = 200, body = body } } }
        local c = refresh_client()
        local res, err = c:get("/user_account")
        assert.is_nil(res)
        assert.are.equal("auth", err.kind)
        assert.truthy(err.message:find("access_token", 1, true))
        assert.is_nil(tostring(err):find("Injected", 1, true))
        -- nothing was sent with the bad token
        for _, r in ipairs(sim:requests()) do assert.are_not.equal("/v5/user_account", r.path) end
        c:close()
        sim:clear_log()
      end)
  end

  it("a rotated refresh token with a line break is refused", function()
    sim:configure { override = { ["/v5/oauth/token"] = { noauth = true, status = 200,
      body = '{"access_token":"good-token","refresh_token":"rt\\r\\nX: y","expires_in":3600}' } } }
    local c = refresh_client()
    local res, err = c:get("/user_account")
    assert.is_nil(res)
    assert.are.equal("auth", err.kind)
    assert.truthy(err.message:find("refresh_token", 1, true))
    c:close()
  end)
end)

describe("plain http://", function()
  local function new(url, extra)
    local o = { token = "t", base_url = url }
    for k, v in pairs(extra or {}) do o[k] = v end
    return pa.pinterest(o)
  end

  it("is refused for a host that is not loopback, naming the option that allows it", function()
    for _, url in ipairs({ "http://api.pinterest.com/v5", "http://127.0.0.1.example.com/v5",
      "http://localhost.example/v5", "http://10.0.0.1/v5", "http://[::2]/v5" }) do
      local ok, msg = pcall(new, url)
      assert.is_false(ok, url)
      assert.truthy(msg:find("allow_plain_http", 1, true), msg)
      ok, msg = pcall(pa.oneup, { api_key = "k", base_url = url })
      assert.is_false(ok, url)
      assert.truthy(msg:find("allow_plain_http", 1, true), msg)
    end
  end)

  it("is allowed for loopback hosts", function()
    for _, url in ipairs({ "http://127.0.0.1:8080/v5", "http://127.1.2.3/v5", "http://localhost:1/v5",
      "http://[::1]:8080/v5", "https://api.pinterest.com/v5" }) do
      local c = new(url)
      c:close()
    end
  end)

  it("is allowed anywhere with allow_plain_http = true", function()
    new("http://api.example.com/v5", { allow_plain_http = true }):close()
    pa.oneup({ api_key = "k", base_url = "http://api.example.com", allow_plain_http = true }):close()
  end)

  it("base_url with credentials in it is refused", function()
    local ok, msg = pcall(new, "https://user:pw@api.example.com/v5")
    assert.is_false(ok)
    assert.truthy(msg:find("base_url", 1, true))
    assert.is_nil(msg:find("pw@", 1, true))
  end)
end)

describe("header values given by the caller", function()
  it("user_agent with a line break is refused", function()
    local ok, msg = pcall(pa.pinterest, { token = "t", base_url = "http://127.0.0.1:1/v5",
      user_agent = "me\r\nX-Injected: yes" })
    assert.is_false(ok)
    assert.truthy(msg:find("user_agent", 1, true))
  end)
end)
