-- A team's credentials in PostgreSQL (pa.credentials.open("postgresql://...")):
-- the same store as a file, on a real server started here on loopback
-- (spec/helpers/pg.lua), against the simulator with continuous refresh
-- tokens: a round trip, refreshes saved before use, refreshes of one
-- account by two processes and by two coroutines (one request, the other
-- takes the saved token), a process killed at each step, and no token nor
-- password in any error.
local H = require "helpers.sim"
local R = require "helpers.runtime"
local credentials = require "pinanalytics.credentials"
local pa = require "pinanalytics"

local pg, why = require("helpers.pg").start()
if not pg then
  print("credentials_pg_spec skipped: " .. why)
  describe("credentials (PostgreSQL)", function()
    pending("skipped: " .. why)
  end)
  return
end

local CLIENT, SECRET = "app-pgcred-17", "pgcred-secret-4b1c9e03f2"
local REFRESH = "static-refresh-pg-5e6f7a8b"
local REDIRECT = "http://127.0.0.1:8085/callback"
local PASSWORD = "pw-never-shown-91c3"

local function sh(cmd)
  local h = assert(io.popen(cmd .. " 2>&1"))
  local out = h:read("*a")
  h:close()
  return out
end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end


local seq = 0
-- A new database's URI, with a password in it (the server trusts its one
-- user, so any password connects: it must never show).
local function fresh_uri()
  seq = seq + 1
  return (pg.uri("creds" .. seq):gsub("^postgresql://pa@", "postgresql://pa:" .. PASSWORD .. "@"))
end

-- The URI as messages show it: its password replaced.
local function shown_of(uri)
  local a, b = uri:find(":" .. PASSWORD .. "@", 1, true)
  return uri:sub(1, a) .. "[REDACTED]" .. uri:sub(b)
end

describe("credentials (PostgreSQL)", function()
  local sim, dir, app, secret_file
  setup(function()
    sim = H.start { client_id = CLIENT, client_secret = SECRET, refresh_token = REFRESH, continuous = true,
      accounts = { acme_shop = { token = "acme-static-token-pg-31" } } }
    app = H.oauth_app(sim, CLIENT, SECRET, REDIRECT)
    dir = sh("mktemp -d /tmp/pa-pgcred-spec.XXXXXX"):match("^(%S+)")
    secret_file = dir .. "/app-secret"
    local f = assert(io.open(secret_file, "wb"))
    f:write(SECRET, "\n")
    f:close()
  end)
  teardown(function()
    if app then app.close() end
    if sim then sim:stop() end
    if dir then sh("rm -rf " .. q(dir)) end
    pg.stop()
  end)

  -- the app's side of OAuth (helpers.sim): POST /oauth/token, and a whole login
  local function token(body) return app.token(body) end
  local function login(account, opts) return app.login(account, opts) end

  local function client(target, opts)
    local o = { credentials = target, base_url = sim.pinterest_url, client_secret = SECRET, retries = 0,
      timeout = 10 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return pa.pinterest(o)
  end

  local function log()
    local out = {}
    for _, r in ipairs(sim:requests()) do out[#out + 1] = r.method .. " " .. r.path .. " " .. r.status end
    return out
  end

  local function no_secret(err, secrets)
    for _, s in ipairs(secrets) do
      H.assert_no_secret(err, s)
      assert.falsy(tostring(err):find(s, 1, true), s)
    end
  end

  it("put, get, list, only_account and remove round trip, in the store's table", function()
    local uri = fresh_uri()
    local store = credentials.open(uri)
    assert.is_true(credentials.is_store(store))
    local shown = shown_of(uri)
    assert.equal(shown, store:path())
    assert.equal("pinanalytics.credentials (" .. shown .. ")", tostring(store))
    assert.same({}, assert(store:list()))
    local none, nerr = store:only_account()
    assert.is_nil(none)
    assert.equal("no account in " .. shown .. ": pinanalytics login adds one", nerr.message)
    local before = os.time()
    assert.is_true(store:put("bob_studio", { access_token = "at-bob-1", refresh_token = "rt-bob-1",
      expires_in = 2592000, refresh_token_expires_in = 5184000, scope = "pins:read", client_id = CLIENT }))
    assert.equal("bob_studio", store:only_account())
    assert.is_true(store:put("ann_shop", { access_token = "at-ann-1", refresh_token = "rt-ann-1",
      expires_in = 600, refresh_token_expires_at = before + 1000 }))
    local e = assert(store:get("bob_studio"))
    assert.equal("bob_studio", e.account)
    assert.equal("at-bob-1", e.access_token)
    assert.equal("rt-bob-1", e.refresh_token)
    assert.equal(CLIENT, e.client_id)
    assert.equal("pins:read", e.scope)
    assert.is_true(e.access_expires_at >= before + 2592000 and e.access_expires_at <= os.time() + 2592000)
    assert.is_true(e.refresh_expires_at >= before + 5184000 and e.refresh_expires_at <= os.time() + 5184000)
    assert.equal(e.access_expires_at - 2592000, e.access_issued_at)
    assert.is_true(store:usable(e))
    local list = assert(store:list())
    assert.same({ "ann_shop", "bob_studio" }, { list[1].account, list[2].account })
    assert.equal(before + 1000, list[1].refresh_expires_at)
    assert.is_nil(list[1].access_token)
    assert.is_nil(list[1].refresh_token)
    local several, serr = store:only_account()
    assert.is_nil(several)
    assert.equal("several accounts in " .. shown .. " (ann_shop, bob_studio): name one", serr.message)
    -- a put replaces the whole entry
    assert.is_true(store:put("bob_studio", { access_token = "at-bob-2", refresh_token = "rt-bob-2" }))
    e = assert(store:get("bob_studio"))
    assert.same({ "at-bob-2", "rt-bob-2" }, { e.access_token, e.refresh_token })
    assert.is_nil(e.client_id)
    assert.is_nil(e.access_expires_at)
    -- the table of the store's schema, version 5: a second connection sees it
    local st = assert(pa.store.open(uri))
    assert.equal(pa.store.SCHEMA_VERSION, st.schema_version) -- 5 or later: the store is opened at the latest
    local rows = st.db:rows("SELECT account, refresh_token FROM credentials ORDER BY account")
    assert.same({ { "ann_shop", "rt-ann-1" }, { "bob_studio", "rt-bob-2" } }, rows)
    st:close()
    assert.is_true(store:remove("ann_shop"))
    assert.is_false(store:remove("ann_shop"))
    local gone, gerr = store:get("ann_shop")
    assert.is_nil(gone)
    assert.equal("credentials", gerr.kind)
    assert.equal("ann_shop", gerr.account)
    assert.equal("no account ann_shop in " .. shown .. " (it has bob_studio)", gerr.message)
    no_secret(gerr, { PASSWORD, "at-bob-2", "rt-bob-2" })
    store:close()
    store:close() -- idempotent; the next call connects again
    assert.equal("bob_studio", store:only_account())
    store:close()
  end)

  it("a client made from the URI uses the stored token, refreshes, and saves the new pair first", function()
    local uri = fresh_uri()
    local store = credentials.open(uri)
    local answer = login(nil)
    assert(store:put("simulated_account", answer))
    local got = {}
    local c = client(uri, { on_token = function(t) got[#got + 1] = t end })
    sim:clear_log()
    assert.equal("simulated_account", assert(c:user_account()).username)
    assert.same({ "GET /v5/user_account 200" }, log()) -- the stored token, no refresh
    local issued = sim:stats().tokens_issued
    sim:expire_tokens()
    sim:clear_log()
    assert.equal("simulated_account", assert(c:user_account()).username)
    assert.same({ "GET /v5/user_account 401", "POST /v5/oauth/token 200", "GET /v5/user_account 200" }, log())
    assert.equal(issued + 1, sim:stats().tokens_issued)
    local e = assert(store:get("simulated_account"))
    assert.are_not.equal(answer.refresh_token, e.refresh_token)
    assert.equal(1, #got)
    assert.equal(got[1].refresh_token, e.refresh_token)
    assert.equal(got[1].access_token, e.access_token)
    assert.equal(CLIENT, e.client_id)
    assert.is_true(e.refresh_expires_at >= os.time() + 5184000 - 5)
    -- the old refresh token is dead, the stored one works
    assert.equal(400, (token { grant_type = "refresh_token", refresh_token = answer.refresh_token }))
    c:close()
    -- store:refresh itself: a token the caller did not have, still usable, is taken without a request
    local calls = 0
    local taken, refreshed = store:refresh("simulated_account", "a-token-replaced-long-ago", function()
      calls = calls + 1
    end)
    assert.equal(0, calls)
    assert.is_false(refreshed)
    assert.equal(e.access_token, taken.access_token)
    -- the token it had: a request, saved before the answer is returned
    local new, again = store:refresh("simulated_account", e.access_token, function(stored)
      calls = calls + 1
      assert.equal(e.refresh_token, stored.refresh_token)
      local st, res = token { grant_type = "refresh_token", refresh_token = stored.refresh_token,
        continuous_refresh = "true" }
      assert.equal(200, st)
      return res
    end)
    assert.equal(1, calls)
    assert.is_true(again)
    assert.equal(new.refresh_token, assert(store:get("simulated_account")).refresh_token)
    assert.are_not.equal(e.refresh_token, new.refresh_token)
    -- a failed request changes nothing
    local none, ferr = store:refresh("simulated_account", new.access_token, function()
      return nil, pa.errors.new { kind = "auth", message = "token refresh failed: refused" }
    end)
    assert.is_nil(none)
    assert.equal("auth", ferr.kind)
    assert.equal(new.refresh_token, assert(store:get("simulated_account")).refresh_token)
    store:close()
  end)

  -- the environment of the worker processes: the app's secret in a file
  local function worker(args, out)
    return "PA_SPEC_SECRET_FILE=" .. q(secret_file) .. " " .. q(R.exe()) .. " spec/helpers/creds_worker.lua " ..
      args .. " >" .. q(out) .. " 2>&1"
  end

  local read = H.read_file

  it("two processes refused at once: one refreshes under the row lock, the other takes its token", function()
    local uri = fresh_uri()
    local store = credentials.open(uri)
    local answer = login(nil)
    assert(store:put("simulated_account", answer))
    sim:expire_tokens() -- both are refused with the stored token, and refresh
    local issued = sim:stats().tokens_issued
    sim:clear_log()
    -- the first holds the row 2 s once it has it; the second starts meanwhile
    local a, b = dir .. "/hold-a.out", dir .. "/hold-b.out"
    sh("timeout -k 5 60 sh -c " .. q(worker("hold " .. q(uri) .. " " .. q(sim.pinterest_url) .. " 2", a)) ..
      " & sleep 0.7; timeout -k 5 60 sh -c " .. q(worker("hold " .. q(uri) .. " " .. q(sim.pinterest_url) ..
      " 2", b)) .. "; wait")
    local outs = { read(a), read(b) }
    assert.equal(1, sim:stats().tokens_issued - issued) -- one request in all
    -- whichever got the row first (the first started, unless its start was slow) made the request
    local sorted = { outs[1], outs[2] }
    table.sort(sorted)
    assert.same({ "ok simulated_account refreshed=0\n", "ok simulated_account refreshed=1\n" }, sorted)
    local tokens = 0
    for _, line in ipairs(log()) do if line:find("oauth/token", 1, true) then tokens = tokens + 1 end end
    assert.equal(1, tokens)
    -- the saved refresh token works
    local e = assert(store:get("simulated_account"))
    assert.are_not.equal(answer.refresh_token, e.refresh_token)
    assert.equal(200, (token { grant_type = "refresh_token", refresh_token = e.refresh_token }))
    for _, out in ipairs(outs) do
      for _, s in ipairs({ "sim-at-", "sim-rt-", SECRET, PASSWORD }) do assert.falsy(out:find(s, 1, true), s) end
    end
    store:close()
  end)

  -- Runs the functions as coroutines, round robin, until all are done.
  local function run_all(fns)
    local cos = {}
    for i, f in ipairs(fns) do cos[i] = coroutine.create(f) end
    local live = #cos
    local spins = 0
    while live > 0 do
      live = 0
      for _, co in ipairs(cos) do
        if coroutine.status(co) ~= "dead" then
          local ok, err = coroutine.resume(co)
          assert(ok, err)
          if coroutine.status(co) ~= "dead" then live = live + 1 end
        end
      end
      spins = spins + 1
      assert(spins < 100000, "the coroutines do not finish")
    end
  end

  -- (Lua 5.1 cannot yield across the pcall of a store's transaction: a
  -- sleep that yields is for LuaJIT and Lua 5.2+, as docs/credentials.md says)
  local yields_in_pcall = _VERSION ~= "Lua 5.1" or rawget(_G, "jit") ~= nil
  for _, shared in ipairs({ false, true }) do
    local it_ = yields_in_pcall and it or function(name) pending(name .. " (not on Lua 5.1: no yield across pcall)") end
    it_("two coroutines refreshing at once " .. (shared and "on one store (one connection)" or
        "on two connections") .. ": one request, the other takes the saved token", function()
      local uri = fresh_uri()
      local yield_sleep = function() coroutine.yield() end
      local s1 = credentials.open { path = uri, sleep = yield_sleep }
      local s2 = shared and s1 or credentials.open { path = uri, sleep = yield_sleep }
      local answer = login(nil)
      assert(s1:put("simulated_account", answer))
      local issued = sim:stats().tokens_issued
      local results, requests = {}, 0
      local function refresher(store, i)
        return function()
          local e, refreshed = store:refresh("simulated_account", answer.access_token, function(stored)
            requests = requests + 1
            for _ = 1, 20 do coroutine.yield() end -- a slow answer: the other one asks meanwhile
            local st, res = token { grant_type = "refresh_token", refresh_token = stored.refresh_token,
              continuous_refresh = "true" }
            assert.equal(200, st)
            return res
          end)
          results[i] = { assert(e, refreshed), refreshed }
        end
      end
      run_all({ refresher(s1, 1), refresher(s2, 2) })
      assert.equal(1, requests)
      assert.equal(1, sim:stats().tokens_issued - issued)
      assert.is_true(results[1][2])
      assert.is_false(results[2][2])
      assert.equal(results[1][1].access_token, results[2][1].access_token)
      assert.are_not.equal(answer.access_token, results[2][1].access_token)
      assert.equal(results[1][1].refresh_token, assert(s1:get("simulated_account")).refresh_token)
      s1:close()
      s2:close()
    end)
  end

  it("a process killed at each step of a refresh leaves the old pair or the new one, committed", function()
    local expect = {
      locked = { "old", 200 },     -- before the request: nothing changed, the row's lock went with the process
      received = { "old", 400 },   -- the server replaced the token; not committed: the one window left
      committed = { "new", 200 },
    }
    for _, step in ipairs({ "locked", "received", "committed" }) do
      local uri = fresh_uri()
      local store = credentials.open(uri)
      local answer = login(nil)
      assert(store:put("simulated_account", answer))
      local out = dir .. "/kill-" .. step .. ".out"
      sh("timeout -k 5 60 sh -c " .. q(worker("kill " .. q(uri) .. " " .. q(sim.pinterest_url) .. " " .. step, out)))
      local printed = read(out)
      assert.falsy(printed:find("survived", 1, true), step .. ": " .. printed)
      -- the row is free again at once: a refresh here does not wait for it
      local e = assert(store:get("simulated_account"))
      local which = e.refresh_token == answer.refresh_token and "old" or "new"
      assert.equal(expect[step][1], which, step)
      assert.equal(expect[step][2], (token { grant_type = "refresh_token", refresh_token = e.refresh_token }), step)
      store:close()
    end
  end)

  it("SIGTERM or Ctrl-C at each step of a refresh (signals held) leaves a pair that works", function()
    -- the signal ends the process before the request, or once the new pair is committed
    local expect = { locked = "old", received = "new", committed = "new" }
    for _, sig in ipairs({ "TERM", "INT" }) do
      for _, step in ipairs({ "locked", "received", "committed" }) do
        local uri = fresh_uri()
        local store = credentials.open(uri)
        local answer = login(nil)
        assert(store:put("simulated_account", answer))
        local out = dir .. "/sig-" .. sig .. "-" .. step .. ".out"
        sh("timeout -k 5 60 sh -c " .. q(worker("signal " .. q(uri) .. " " .. q(sim.pinterest_url) .. " " .. step ..
          " " .. sig, out)))
        local printed = read(out)
        local what = sig .. " at " .. step .. ": " .. printed
        assert.falsy(printed:find("survived", 1, true), what)
        local e = assert(store:get("simulated_account"))
        assert.equal(expect[step], e.refresh_token == answer.refresh_token and "old" or "new", what)
        assert.equal(200, (token { grant_type = "refresh_token", refresh_token = e.refresh_token }), what)
        store:close()
      end
    end
  end)

  it("the command line takes --credentials postgresql://...: accounts, a command, logout, sync --all-accounts",
    function()
    local C = require "helpers.cli"
    local uri = fresh_uri()
    local store = credentials.open(uri)
    local answer = login(nil)
    local other = login("acme_shop")
    assert(store:put("simulated_account", answer))
    assert(store:put("acme_shop", other))
    local plain = shown_of(uri):gsub(":%[REDACTED%]@", "@")
    local env = { PINTEREST_BASE_URL = sim.pinterest_url, PINTEREST_CLIENT_ID = CLIENT,
      PINTEREST_CLIENT_SECRET = SECRET }
    local seen = {}
    local function run(args)
      local code, out, err = C.run(args, env, nil, 60)
      seen[#seen + 1] = out .. err
      return code, out, err
    end
    local code, out, err = run("accounts --credentials " .. q(uri))
    assert.equal(0, code, err)
    assert.truthy(out:find("^credentials: " .. plain:gsub("%p", "%%%0") .. "\n"), out)
    assert.truthy(out:find("\nacme_shop ", 1, true), out)
    assert.truthy(out:find("\nsimulated_account ", 1, true), out)
    -- a command through the account's stored token, refreshed when refused
    sim:expire_tokens()
    local issued = sim:stats().tokens_issued
    code, out, err = run("account --last 7 --account acme_shop --credentials " .. q(uri))
    assert.equal(0, code, err)
    assert.truthy(out:find("\ntotal +%d"), out)
    assert.truthy(out:find("Impressions", 1, true), out)
    assert.equal(issued + 1, sim:stats().tokens_issued)
    local e = assert(store:get("acme_shop"))
    assert.are_not.equal(other.refresh_token, e.refresh_token)
    -- several accounts and none named: the message names them, not the password
    code, out, err = run("account --last 7 --credentials " .. q(uri))
    assert.equal(2, code, out)
    assert.truthy(err:find("has several accounts (acme_shop, simulated_account)", 1, true), err)
    -- sync --all-accounts takes the URI too (the analytics in a SQLite store)
    code, out, err = run("sync --all-accounts --credentials " .. q(uri) .. " --store " .. q(dir .. "/all.db") ..
      " --account --days 3")
    assert.equal(0, code, err)
    assert.truthy(out:find("\naccount simulated_account ", 1, true) or out:find("^account simulated_account "), out)
    assert.truthy(out:find("account acme_shop ", 1, true), out)
    -- logout forgets an account in the database
    code, out, err = run("logout simulated_account --credentials " .. q(uri))
    assert.equal(0, code, err)
    assert.truthy(out:find("forgot simulated_account", 1, true), out)
    assert.equal("acme_shop", store:only_account())
    for _, text in ipairs(seen) do
      for _, secret in ipairs({ PASSWORD, SECRET, "sim-at-", "sim-rt-" }) do
        assert.falsy(text:find(secret, 1, true), secret .. " in " .. text)
      end
    end
    store:close()
  end)

  it("names the account and never a token nor the password in its errors", function()
    local uri = fresh_uri()
    local store = credentials.open(uri)
    local answer = login("acme_shop")
    assert(store:put("acme_shop", answer))
    -- a revoked account: the refresh fails as auth, the row unchanged
    sim:configure { revoked_accounts = { "acme_shop" } }
    sim:expire_tokens()
    local c = client(uri, { account = "acme_shop" })
    local res, err = c:user_account()
    sim:configure {}
    c:close()
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    assert.truthy(err.message:find("^token refresh failed: Invalid refresh_token%."), err.message)
    no_secret(err, { answer.access_token, answer.refresh_token, SECRET, PASSWORD })
    assert.equal(answer.refresh_token, assert(store:get("acme_shop")).refresh_token)
    -- no such account, through a client
    c = client(uri, { account = "nobody" })
    res, err = c:user_account()
    c:close()
    assert.is_nil(res)
    assert.equal("credentials", err.kind)
    assert.equal("nobody", err.account)
    local shown = shown_of(uri)
    assert.equal("no account nobody in " .. shown .. " (it has acme_shop)", err.message)
    no_secret(err, { answer.access_token, answer.refresh_token, PASSWORD })
    -- a database that cannot be reached: each method says so, naming the account
    local bad = uri:gsub("/creds%d+$", "/no_such_database")
    local down = credentials.open(bad)
    local got, derr = down:get("acme_shop")
    assert.is_nil(got)
    assert.equal("credentials", derr.kind)
    assert.equal("acme_shop", derr.account)
    assert.truthy(derr.message:find("^cannot read account acme_shop: cannot connect to postgresql://pa:%[REDACTED%]@"),
      derr.message)
    assert.truthy(derr.message:find("no_such_database", 1, true), derr.message)
    no_secret(derr, { PASSWORD })
    local ok, perr = down:put("acme_shop", { access_token = "at-never-shown-1", refresh_token = "rt-never-shown-1" })
    assert.is_nil(ok)
    assert.truthy(perr.message:find("^cannot save account acme_shop: "), perr.message)
    no_secret(perr, { PASSWORD, "at-never-shown-1", "rt-never-shown-1" })
    local r, rerr = down:refresh("acme_shop", "at-never-shown-1", function() error("never asked") end)
    assert.is_nil(r)
    assert.truthy(rerr.message:find("^cannot refresh account acme_shop: "), rerr.message)
    no_secret(rerr, { PASSWORD, "at-never-shown-1" })
    local l, lerr = down:list()
    assert.is_nil(l)
    no_secret(lerr, { PASSWORD })
    -- a wrong argument raises, naming no URI
    assert.has_error(function() store:get("") end,
      "pinanalytics.credentials.PgStore:get: account must be a non-empty string, got string")
    store:close()
  end)
end)
