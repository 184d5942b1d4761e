-- The simulator's OAuth: the authorize endpoint (approving, refusing), the
-- authorization_code grant, continuous refresh tokens, short access-token
-- lifetimes, several accounts and a revoked one.
local H = require "helpers.sim"
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"

local CLIENT, SECRET = "app-oauth-77", "oauth-secret-4b1c9e"
local REDIRECT = "http://127.0.0.1:8085/callback"

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function query_of(url)
  local out = {}
  for k, v in (url:match("%?(.*)$") or ""):gmatch("([^&=]+)=([^&]*)") do out[unescape(k)] = unescape(v) end
  return out
end

local form = H.form

describe("simulator OAuth", function()
  local sim, plain, app
  setup(function()
    sim = H.start { client_id = CLIENT, client_secret = SECRET, continuous = true,
      accounts = { acme_shop = { token = "acme-static-token", pins_count = 12 } } }
    plain = core.session { base_url = sim.url, timeout = 10 }
    app = core.session { base_url = sim.pinterest_url, username = CLIENT, password = SECRET, timeout = 10 }
  end)
  teardown(function()
    if plain then plain:close() end
    if app then app:close() end
    if sim then sim:stop() end
  end)

  local function authorize(q)
    local base = { client_id = CLIENT, redirect_uri = REDIRECT, response_type = "code",
      scope = "user_accounts:read,pins:read", state = "st-123" }
    for k, v in pairs(q or {}) do base[k] = v or nil end
    local status, headers, body = plain:request("GET", "/oauth/authorize?" .. form(base))
    return status, headers.location, body
  end

  local function token(body)
    local status, _, res = app:request("POST", "/oauth/token", form(body),
      { "Content-Type: application/x-www-form-urlencoded" })
    return status, res
  end

  local function whoami(at)
    local s = core.session { base_url = sim.pinterest_url, token = at, timeout = 10 }
    local status, _, body = s:request("GET", "/user_account")
    s:close()
    return status, body
  end

  it("approves with a code and the state, and the code gives tokens once", function()
    local status, loc = authorize()
    assert.equal(302, status)
    assert.equal(REDIRECT .. "?", loc:sub(1, #REDIRECT + 1))
    local q = query_of(loc)
    assert.equal("st-123", q.state)
    assert.truthy(q.code:match("^sim%-code%-%d+%-%d+$"), q.code)
    local st, res = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    assert.equal(200, st)
    assert.equal("authorization_code", res.response_type)
    assert.equal("user_accounts:read,pins:read", res.scope)
    assert.equal(5184000, res.refresh_token_expires_in)
    assert.truthy(res.access_token:match("^sim%-at%-"))
    assert.truthy(res.refresh_token:match("^sim%-rt%-"))
    local ust, acct = whoami(res.access_token)
    assert.equal(200, ust)
    assert.equal("simulated_account", acct.username)
    assert.equal(data.ACCOUNT_ID, acct.id)
    -- single use
    st, res = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    assert.equal(400, st)
    assert.equal("Invalid authorization code.", res.message)
    assert.equal(1, sim:stats().codes_exchanged)
  end)

  it("wants the same redirect_uri and the app's credentials", function()
    local q = query_of(select(2, authorize()))
    local st, res = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT .. "x" }
    assert.equal(400, st)
    assert.truthy(res.message:find("redirect_uri", 1, true))
    -- that spent the code
    st = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    assert.equal(400, st)
    q = query_of(select(2, authorize()))
    local wrong = core.session { base_url = sim.pinterest_url, username = CLIENT, password = "nope", timeout = 10 }
    local wst, _, wres = wrong:request("POST", "/oauth/token",
      form { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT },
      { "Content-Type: application/x-www-form-urlencoded" })
    wrong:close()
    assert.equal(401, wst)
    assert.equal(2, wres.code)
  end)

  it("refuses when the user says no, and refuses a foreign client_id outright", function()
    sim:configure { authorize_refuse = true }
    local status, loc = authorize { state = "s&t=1" }
    sim:configure {}
    assert.equal(302, status)
    assert.same({ error = "access_denied", state = "s&t=1" }, query_of(loc))
    local st, _, body = authorize { client_id = "someone-else" }
    assert.equal(400, st)
    assert.equal("Invalid client_id.", body.message)
    st, loc = authorize { response_type = "token" }
    assert.equal(302, st)
    assert.equal("unsupported_response_type", query_of(loc).error)
    sim:configure { redirect_uris = { "http://127.0.0.1:9999/cb" } }
    st = authorize()
    sim:configure {}
    assert.equal(400, st)
  end)

  it("rotates continuous refresh tokens: the old one stops working", function()
    local q = query_of(select(2, authorize()))
    local _, first = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    local st, second = token { grant_type = "refresh_token", refresh_token = first.refresh_token,
      continuous_refresh = "true" }
    assert.equal(200, st)
    assert.equal("refresh_token", second.response_type)
    assert.are_not.equal(first.refresh_token, second.refresh_token)
    assert.equal(5184000, second.refresh_token_expires_in)
    assert.is_true(second.refresh_token_expires_at >= os.time() + 5184000 - 5)
    st = token { grant_type = "refresh_token", refresh_token = first.refresh_token }
    assert.equal(400, st)
    local st3, third = token { grant_type = "refresh_token", refresh_token = second.refresh_token }
    assert.equal(200, st3)
    assert.truthy(third.refresh_token)
    -- the old access tokens still work until they expire
    assert.equal(200, (whoami(first.access_token)))
    assert.is_true(sim:stats().continuous_refresh >= 1)
  end)

  it("with continuous = 'on_request', only continuous_refresh=true rotates", function()
    sim:configure { continuous = "on_request" }
    local q = query_of(select(2, authorize()))
    local _, first = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    local st, legacy = token { grant_type = "refresh_token", refresh_token = first.refresh_token }
    assert.equal(200, st)
    assert.is_nil(legacy.refresh_token)
    local st2, cont = token { grant_type = "refresh_token", refresh_token = first.refresh_token,
      continuous_refresh = "true" }
    sim:configure {}
    assert.equal(200, st2)
    assert.truthy(cont.refresh_token)
    assert.equal(400, (token { grant_type = "refresh_token", refresh_token = first.refresh_token }))
  end)

  it("expires access tokens after access_ttl with 401 code 2", function()
    sim:configure { access_ttl = 1 }
    local q = query_of(select(2, authorize()))
    local _, res = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    assert.equal(1, res.expires_in)
    assert.equal(200, (whoami(res.access_token)))
    core.sleep(1.3)
    local st, body = whoami(res.access_token)
    sim:configure {}
    assert.equal(401, st)
    assert.equal(2, body.code)
  end)

  it("tells accounts apart by their tokens, and refuses a revoked one", function()
    local st, acct = whoami("acme-static-token")
    assert.equal(200, st)
    assert.equal("acme_shop", acct.username)
    assert.equal(data.account_id_of("acme_shop"), acct.id)
    assert.are_not.equal(data.ACCOUNT_ID, acct.id)
    assert.equal(12, acct.pin_count)
    sim:configure { authorize_account = "acme_shop" }
    local q = query_of(select(2, authorize()))
    local _, res = token { grant_type = "authorization_code", code = q.code, redirect_uri = REDIRECT }
    assert.equal("acme_shop", select(2, whoami(res.access_token)).username)
    local _, again = token { grant_type = "refresh_token", refresh_token = res.refresh_token }
    assert.equal("acme_shop", select(2, whoami(again.access_token)).username)
    assert.equal("simulated_account", select(2, whoami(H.TOKEN)).username)
    sim:configure { revoked_accounts = { "acme_shop" } }
    assert.equal(401, (whoami(again.access_token)))
    assert.equal(401, (whoami("acme-static-token")))
    assert.equal(200, (whoami(H.TOKEN)))
    assert.equal(400, (token { grant_type = "refresh_token", refresh_token = again.refresh_token }))
    sim:configure {}
    -- restored: the refresh token was not used up by the refusal
    assert.equal(200, (token { grant_type = "refresh_token", refresh_token = again.refresh_token }))
  end)
end)
