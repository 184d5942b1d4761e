-- A client made from a credentials file (pa.pinterest{ credentials, account }):
-- it takes the account's tokens from the file, refreshes through it with
-- continuous refresh tokens that rotate, saves each new pair before using it,
-- and shares the file with other processes: rotation under contention, a
-- process killed at each step of a refresh, no token in any output.
local H = require "helpers.sim"
local R = require "helpers.runtime"
local core = require "pinanalytics.core"
local credentials = require "pinanalytics.credentials"
local pa = require "pinanalytics"

local CLIENT, SECRET = "app-flow-31", "flow-secret-8e77c0d2a1"
local REFRESH = "static-refresh-0d9c8b7a"
local REDIRECT = "http://127.0.0.1:8085/callback"

local function sh(cmd)
  local h = assert(io.popen(cmd .. " 2>&1"))
  local out = h:read("*a")
  h:close()
  return out
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end


describe("a client from a credentials file", function()
  local sim, dir, app, secret_file
  setup(function()
    sim = H.start { client_id = CLIENT, client_secret = SECRET, refresh_token = REFRESH, continuous = true,
      accounts = { acme_shop = { token = "acme-static-token-77" } } }
    app = H.oauth_app(sim, CLIENT, SECRET, REDIRECT)
    dir = sh("mktemp -d /tmp/pa-flow-spec.XXXXXX"):match("^(%S+)")
    secret_file = dir .. "/app-secret"
    local f = assert(io.open(secret_file, "wb"))
    f:write(SECRET, "\n")
    f:close()
  end)
  teardown(function()
    if app then app.close() end
    if sim then sim:stop() end
    if dir then sh("rm -rf " .. q(dir)) end
  end)

  local n = 0
  local function new_file()
    n = n + 1
    return dir .. "/c" .. n .. "/credentials.json"
  end

  -- the app's side of OAuth (helpers.sim): POST /oauth/token, and a whole login
  local function token(body) return app.token(body) end
  local function login(account, opts) return app.login(account, opts) end

  local function client(path, opts)
    local o = { credentials = path, base_url = sim.pinterest_url, client_secret = SECRET, retries = 0, timeout = 10 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return pa.pinterest(o)
  end

  local function log()
    local out = {}
    for _, r in ipairs(sim:requests()) do out[#out + 1] = r.method .. " " .. r.path .. " " .. r.status end
    return out
  end

  it("logs in, then uses the account's token and refreshes through the file, saving first", function()
    local path = new_file()
    local store = credentials.open(path)
    local answer = login(nil)
    -- the account's name, as a login learns it
    local who = core.session { base_url = sim.pinterest_url, token = answer.access_token, timeout = 10 }
    local _, _, acct = who:request("GET", "/user_account")
    who:close()
    answer.client_id = CLIENT
    assert(store:put(acct.username, answer))
    local got = {}
    local c = client(path, { on_token = function(t) got[#got + 1] = t end }) -- no client_id: the file's
    sim:clear_log()
    local me = assert(c:user_account())
    assert.equal("simulated_account", me.username)
    assert.same({ "GET /v5/user_account 200" }, log()) -- the stored token, no refresh
    local before = sim:stats().continuous_refresh
    sim:expire_tokens()
    sim:clear_log()
    assert(c:user_account())
    assert.same({ "GET /v5/user_account 401", "POST /v5/oauth/token 200", "GET /v5/user_account 200" }, log())
    assert.equal(before + 1, sim:stats().continuous_refresh) -- the body had continuous_refresh=true
    local e = assert(store:get("simulated_account"))
    assert.are_not.equal(answer.refresh_token, e.refresh_token)
    assert.equal(1, #got)
    assert.equal(got[1].refresh_token, e.refresh_token)
    assert.equal(got[1].access_token, e.access_token)
    assert.equal(CLIENT, e.client_id)
    assert.is_true(e.refresh_expires_at >= os.time() + 5184000 - 5)
    -- the old refresh token is dead; the stored one works
    assert.equal(400, (token { grant_type = "refresh_token", refresh_token = answer.refresh_token }))
    c:close()
  end)

  it("names the accounts when there are several, and account picks one", function()
    local path = new_file()
    local store = credentials.open(path)
    assert(store:put("acme_shop", login("acme_shop")))
    assert(store:put("simulated_account", login(nil)))
    local c = client(path)
    local res, err = c:user_account()
    assert.is_nil(res)
    assert.equal("credentials", err.kind)
    assert.equal("several accounts in " .. path .. " (acme_shop, simulated_account): name one", err.message)
    c:close()
    c = client(path, { account = "acme_shop" })
    assert.equal("acme_shop", assert(c:user_account()).username)
    c:close()
    c = client(path, { account = "nobody" })
    res, err = c:user_account()
    assert.is_nil(res)
    assert.equal("no account nobody in " .. path .. " (it has acme_shop, simulated_account)", err.message)
    c:close()
    assert.has_error(function() pa.pinterest { credentials = path, token = "x" } end,
      "pinanalytics.pinterest:new: option token cannot be given with credentials (the tokens come from the " ..
      "credentials file)")
    assert.has_error(function() pa.pinterest { account = "x", token = "y" } end,
      "pinanalytics.pinterest:new: option account needs credentials (a pinanalytics.credentials store or its path)")
  end)

  it("a client refused with a token another one replaced takes the new token without refreshing", function()
    local path = new_file()
    local store = credentials.open(path)
    assert(store:put("simulated_account", login(nil)))
    local a = client(path, { client_id = CLIENT })
    local b = client(path, { client_id = CLIENT })
    assert(a:user_account())
    assert(b:user_account())
    sim:expire_tokens()
    sim:clear_log()
    assert(a:user_account()) -- refreshes
    assert(b:user_account()) -- finds a's token in the file
    assert.same({ "GET /v5/user_account 401", "POST /v5/oauth/token 200", "GET /v5/user_account 200",
      "GET /v5/user_account 401", "GET /v5/user_account 200" }, log())
    a:close()
    b:close()
  end)

  it("a revoked account's refresh fails as auth, naming no token", function()
    local path = new_file()
    local store = credentials.open(path)
    local answer = login("acme_shop")
    answer.client_id = CLIENT
    assert(store:put("acme_shop", answer))
    sim:configure { revoked_accounts = { "acme_shop" } }
    local c = client(path)
    local res, err = c:user_account()
    sim:configure {}
    c:close()
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    assert.truthy(err.message:find("^token refresh failed: Invalid refresh_token%."), err.message)
    for _, s in ipairs({ answer.access_token, answer.refresh_token, SECRET }) do H.assert_no_secret(err, s) end
    -- the file still holds the account's tokens as they were
    assert.equal(answer.refresh_token, store:get("acme_shop").refresh_token)
  end)

  -- the environment of the worker processes: the app's secret in a file
  local function worker(args, out)
    return "PA_SPEC_SECRET_FILE=" .. q(secret_file) .. " " .. q(R.exe()) .. " spec/helpers/creds_worker.lua " ..
      args .. " >" .. q(out) .. " 2>&1"
  end

  it("rotation under contention: three processes, tokens living 2 s, none fails on auth", function()
    local path = new_file()
    local store = credentials.open(path)
    local answer = login(nil, { access_ttl = 2 })
    answer.client_id = CLIENT
    assert(store:put("simulated_account", answer))
    local issued = sim:stats().tokens_issued
    local cmds = {}
    for i = 1, 3 do
      cmds[i] = "timeout -k 5 60 sh -c " .. q(worker("loop " .. q(path) .. " " .. q(sim.pinterest_url) .. " 30",
        dir .. "/loop" .. i .. ".out")) .. " &"
    end
    sh(table.concat(cmds, " ") .. " wait")
    local outputs = {}
    for i = 1, 3 do
      local f = assert(io.open(dir .. "/loop" .. i .. ".out", "rb"))
      outputs[i] = f:read("*a")
      f:close()
      local ok, failed, auth = outputs[i]:match("done ok=(%d+) failed=(%d+) auth=(%d+)")
      assert(ok, "worker " .. i .. " did not finish:\n" .. outputs[i])
      assert.equal("0", failed, outputs[i])
      assert.equal("0", auth)
      assert.is_true(tonumber(ok) > 100, ok)
    end
    sim:configure {}
    -- 30 s of 2-s tokens: a refresh every 2 s or so, far fewer than one per request
    local refreshes = sim:stats().tokens_issued - issued
    assert.is_true(refreshes >= 10 and refreshes <= 100, tostring(refreshes))
    -- the stored refresh token works at the end, once
    local e = assert(store:get("simulated_account"))
    local st, res = token { grant_type = "refresh_token", refresh_token = e.refresh_token }
    assert.equal(200, st)
    -- no token, nor the app's secret, in what the processes printed
    for i = 1, 3 do
      assert.falsy(outputs[i]:find("sim-at-", 1, true))
      assert.falsy(outputs[i]:find("sim-rt-", 1, true))
      assert.falsy(outputs[i]:find(SECRET, 1, true))
    end
    assert.truthy(res.refresh_token)
  end)

  it("a process killed at each step of a refresh leaves a file that parses, holding a pair", function()
    -- what the stored refresh token is after a kill at each step, and
    -- whether this simulator (continuous tokens: the old one dies when the
    -- new one is issued) still takes it
    local expect = {
      locked = { "old", 200 },   -- before the request: nothing changed
      marked = { "old", 200 },   -- the entry says a refresh began; the request is not sent
      received = { "old", 400 }, -- the server replaced the token; not written yet: the one window left
      written = { "old", 400 },  -- the new file is written but not yet in place
      renamed = { "new", 200 },
      synced = { "new", 200 },
    }
    for _, step in ipairs({ "locked", "marked", "received", "written", "renamed", "synced" }) do
      local path = new_file()
      local store = credentials.open(path)
      local answer = login(nil)
      answer.client_id = CLIENT
      assert(store:put("simulated_account", answer))
      local out = dir .. "/kill-" .. step .. ".out"
      sh("timeout -k 5 60 sh -c " .. q(worker("kill " .. q(path) .. " " .. q(sim.pinterest_url) .. " " .. step, out)))
      local f = assert(io.open(out, "rb"))
      local printed = f:read("*a")
      f:close()
      assert.falsy(printed:find("survived", 1, true), step .. ": " .. printed)
      assert.falsy(printed:find("sim-rt-", 1, true))
      local e = assert(store:get("simulated_account")) -- parses, whole
      assert.truthy(e.access_token and e.refresh_token)
      local which = e.refresh_token == answer.refresh_token and "old" or "new"
      assert.equal(expect[step][1], which, step)
      local st = token { grant_type = "refresh_token", refresh_token = e.refresh_token }
      assert.equal(expect[step][2], st, step)
    end
  end)

  it("a process killed after the answer leaves a trace: the next refresh refused says a refresh was cut off", function()
    local path = new_file()
    local store = credentials.open(path)
    local answer = login(nil)
    answer.client_id = CLIENT
    assert(store:put("simulated_account", answer))
    assert.is_nil(store:get("simulated_account").refresh_started_at)
    local out = dir .. "/trace.out"
    sh("timeout -k 5 60 sh -c " .. q(worker("kill " .. q(path) .. " " .. q(sim.pinterest_url) .. " received", out)))
    local e = assert(store:get("simulated_account"))
    assert.equal(answer.refresh_token, e.refresh_token)
    local began = e.refresh_started_at
    assert.is_true(math.abs(began - os.time()) <= 60, tostring(began))
    local c = client(path)
    assert(c:user_account()) -- the old access token still works; the refresh below is refused
    local ok, err = c:refresh()
    c:close()
    assert.is_nil(ok)
    assert.equal("auth", err.kind)
    assert.truthy(err.message:find("(a refresh of simulated_account begun " ..
      os.date("!%Y-%m-%d %H:%M:%S UTC", began) .. " was cut off before it saved the new refresh token, " ..
      "which Pinterest may then have put in place of this one)", 1, true), err.message)
    H.assert_no_secret(err, answer.refresh_token)
    -- a login puts a new pair in place and the trace goes with it
    local again = login(nil)
    again.client_id = CLIENT
    assert(store:put("simulated_account", again))
    assert.is_nil(store:get("simulated_account").refresh_started_at)
    c = client(path)
    assert(c:user_account())
    assert.is_true(c:refresh())
    c:close()
    assert.is_nil(store:get("simulated_account").refresh_started_at)
  end)

  it("Ctrl-C or SIGTERM at any step of a refresh (signals held) leaves a pair that works", function()
    -- the signal ends the process before the request (locked, marked) or
    -- once the new pair is saved: never in between
    local expect = { locked = "old", marked = "old", received = "new", written = "new", renamed = "new",
      synced = "new" }
    for _, sig in ipairs({ "TERM", "INT" }) do
      for _, step in ipairs({ "locked", "marked", "received", "written", "renamed", "synced" }) do
        local path = new_file()
        local store = credentials.open(path)
        local answer = login(nil)
        answer.client_id = CLIENT
        assert(store:put("simulated_account", answer))
        local out = dir .. "/sig-" .. sig .. "-" .. step .. ".out"
        sh("timeout -k 5 60 sh -c " .. q(worker("signal " .. q(path) .. " " .. q(sim.pinterest_url) .. " " ..
          step .. " " .. sig, out)))
        local f = assert(io.open(out, "rb"))
        local printed = f:read("*a")
        f:close()
        local what = sig .. " at " .. step .. ": " .. printed
        assert.falsy(printed:find("survived", 1, true), what)
        assert.falsy(printed:find("sim-rt-", 1, true), what)
        local e = assert(store:get("simulated_account"))
        assert.equal(expect[step], e.refresh_token == answer.refresh_token and "old" or "new", what)
        assert.equal(200, (token { grant_type = "refresh_token", refresh_token = e.refresh_token }), what)
      end
    end
  end)
end)
