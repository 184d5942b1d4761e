-- The simulator's rate budgets are per account (Pinterest's limits are per
-- user and app): every token of one account draws on one budget, another
-- account's requests do not touch it, an account may have a budget or a
-- quota of its own, and the request log names each request's account.
local H = require "helpers.sim"
local core = require "pinanalytics.core"

describe("simulator rate budgets per account", function()
  local sim
  local sessions = {}
  local function session(token)
    if not sessions[token] then
      sessions[token] = core.session { base_url = sim.pinterest_url, token = token, timeout = 10 }
    end
    return sessions[token]
  end
  local function get(token, path)
    local status, headers, body = session(token):request("GET", path or "/user_account")
    return status, headers, body
  end

  setup(function()
    sim = H.start {
      -- a budget of 2 at once, refilled at one request every 100 s: what a
      -- test spends is not given back while it runs
      rate_limit = { per_minute = 0.6, burst = 2 },
      client_id = "budget-app", client_secret = "budget-secret",
      accounts = {
        ann_shop = { token = "ann-static", refresh_token = "ann-refresh" },
        bob_studio = { token = "bob-static" },
        cleo_crafts = { token = "cleo-static", rate_limit = { per_minute = 0.6, burst = 4 } },
        dan_quota = { token = "dan-static", quota_reset_in = 7200 },
      },
    }
  end)
  teardown(function()
    for _, s in pairs(sessions) do s:close() end
    if sim then sim:stop() end
  end)

  it("an account's third request is a 429 code 8 with the usual headers; another account's is not", function()
    assert.equal(200, (get("ann-static")))
    local status, headers = get("ann-static")
    assert.equal(200, status)
    assert.equal("0", headers["x-ratelimit-remaining"])
    local body
    status, headers, body = get("ann-static")
    assert.equal(429, status)
    assert.equal(8, body.code)
    assert.equal("0", headers["x-ratelimit-remaining"])
    assert.is_string(headers["x-ratelimit-limit"])
    assert.is_true(tonumber(headers["retry-after"]) >= 90, tostring(headers["retry-after"]))
    assert.equal(headers["retry-after"], headers["x-ratelimit-reset"])
    -- bob's budget is whole
    assert.equal(200, (get("bob-static")))
    assert.equal(200, (get("bob-static")))
    assert.equal(429, (get("bob-static")))
    assert.equal(2, sim:stats().rate_limited)
  end)

  it("every token of one account draws on its one budget: a refreshed token gets no new one", function()
    -- a new access token of ann's, through the refresh grant
    local app = core.session { base_url = sim.pinterest_url, username = "budget-app", password = "budget-secret",
      timeout = 10 }
    local status, _, answer = app:request("POST", "/oauth/token",
      "grant_type=refresh_token&refresh_token=ann-refresh", { "Content-Type: application/x-www-form-urlencoded" })
    app:close()
    assert.equal(200, status)
    assert.is_string(answer.access_token)
    assert.are_not.equal("ann-static", answer.access_token)
    local body
    status, _, body = get(answer.access_token)
    assert.equal(429, status)
    assert.equal(8, body.code)
  end)

  it("an account's own rate_limit and quota_reset_in apply to it alone", function()
    for _ = 1, 4 do assert.equal(200, (get("cleo-static"))) end
    assert.equal(429, (get("cleo-static")))
    -- dan's quota is used up for the analytics; his account itself answers
    local status, headers, body = get("dan-static", "/user_account/analytics?start_date=" .. H.day(-3) ..
      "&end_date=" .. H.day(-1))
    assert.equal(429, status)
    assert.equal(8, body.code)
    assert.equal("7200", headers["retry-after"])
    assert.equal(200, (get("dan-static")))
    -- the server's own account has the server's budget, untouched so far
    assert.equal(200, (get(H.TOKEN)))
  end)

  it("the request log names each request's account, and none for a refused token", function()
    assert.equal(401, (get("no-such-token")))
    local by = {}
    local refused = 0
    for _, r in ipairs(sim:requests()) do
      if r.account then
        by[r.account] = (by[r.account] or 0) + 1
      elseif r.status == 401 then
        refused = refused + 1
      end
    end
    -- ann: 3 static + 1 with the refreshed token; bob 3; cleo 5; dan 2; the server's own 1
    assert.same({ ann_shop = 4, bob_studio = 3, cleo_crafts = 5, dan_quota = 2, simulated_account = 1 }, by)
    assert.equal(1, refused)
  end)
end)
