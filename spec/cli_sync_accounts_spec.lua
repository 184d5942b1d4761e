-- pinanalytics sync --all-accounts: every account of a credentials file
-- synced into one store, each with its own token and client; a revoked
-- account fails alone (exit 1, named), the others are written; the summary
-- names each; a second run in the same round syncs only what failed.
local C = require "helpers.cli"
local H = require "helpers.sim"
local pa = require "pinanalytics"
local data = require "pinanalytics.simulator.data"

local APP_ID, APP_SECRET = "many-app-id", "many-app-secret-9f3e1d"
local NAMES = { "ann_shop", "bob_studio", "cleo_crafts", "dan_revoked" }
local PINS = { ann_shop = 6, bob_studio = 9, cleo_crafts = 4, dan_revoked = 5 }
local DAYS = 5

local function token_of(name) return "tok-" .. name .. "-77c1" end
local function refresh_of(name) return "rt-" .. name .. "-2b9a" end

describe("sync --all-accounts", function()
  local sim, dir, creds, db

  setup(function()
    local accounts = {}
    for _, name in ipairs(NAMES) do
      accounts[name] = { token = token_of(name), refresh_token = refresh_of(name), pins_count = PINS[name] }
    end
    sim = H.start { accounts = accounts, revoked_accounts = { "dan_revoked" }, client_id = APP_ID,
      client_secret = APP_SECRET, latency_ms = 20 }
    local h = assert(io.popen("mktemp -d"))
    dir = h:read("*l")
    h:close()
    creds = dir .. "/conf/credentials.json"
    db = dir .. "/analytics.db"
    local cs = pa.credentials.open(creds)
    for _, name in ipairs(NAMES) do
      assert(cs:put(name, { access_token = token_of(name), refresh_token = refresh_of(name), expires_in = 30 * 86400,
        refresh_token_expires_in = 60 * 86400, client_id = APP_ID }))
    end
  end)
  teardown(function()
    if sim then sim:stop() end
    if dir then os.execute("rm -rf " .. C.q(dir)) end
  end)

  local function run(extra, env)
    local e = { PINTEREST_BASE_URL = sim.pinterest_url, PINTEREST_CLIENT_ID = APP_ID,
      PINTEREST_CLIENT_SECRET = APP_SECRET }
    for k, v in pairs(env or {}) do e[k] = v or nil end
    return C.run("sync --all-accounts --credentials " .. C.q(creds) .. " --store " .. C.q(db) ..
      " --all-pins --account --days " .. DAYS .. " " .. (extra or ""), e)
  end

  it("writes each account's days; the revoked one fails alone, named, with exit 1", function()
    sim:clear_log()
    local code, out, err = run()
    assert.equal(1, code, err)
    -- a line an account, in the file's order (by name), then the total
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(#NAMES + 1, #lines, out)
    local expected_days = 0
    for i, name in ipairs({ "ann_shop", "bob_studio", "cleo_crafts" }) do
      local n = PINS[name]
      -- every pin's days and the account's: DAYS each
      local days = (n + 1) * DAYS
      expected_days = expected_days + days
      assert.truthy(lines[i]:find("^account " .. name .. " %(" .. data.account_id_of(name) .. "%): " .. n ..
        " pins, %d+ requests, " .. days .. " days written, %d+ days not READY yet, 0 days missing, 0 pins failed, " ..
        "0 warnings$"), lines[i])
    end
    assert.truthy(lines[4]:find("^account dan_revoked: failed: the sync stopped early: auth: token refresh failed"),
      lines[4])
    assert.truthy(lines[4]:find("pinanalytics login renews the account", 1, true), lines[4])
    assert.truthy(lines[5]:find("^synced " .. db:gsub("%p", "%%%0") .. ": 4 accounts of 4 here, 1 failed; 19 pins, " ..
      "%d+ requests, " .. expected_days .. " days written, "), lines[5])
    assert.truthy(err:find("pinanalytics: 1 of 4 accounts failed: dan_revoked; the next sync tries them again\n$"),
      err)
    -- no token, refresh token or secret in what it printed
    for _, name in ipairs(NAMES) do
      assert.falsy(out:find(token_of(name), 1, true))
      assert.falsy(err:find(token_of(name), 1, true))
      assert.falsy(err:find(refresh_of(name), 1, true))
    end
    assert.falsy((out .. err):find(APP_SECRET, 1, true))

    -- the store holds each account's days, the figures the simulator serves
    local st = assert(pa.store.open(db))
    local held = {}
    for _, a in ipairs(st:accounts()) do held[a.username] = a.pins end
    assert.same({ ann_shop = 6, bob_studio = 9, cleo_crafts = 4 }, held)
    local f = assert(st:frame("account", nil, { "IMPRESSION" }, { account = "bob_studio" }))
    assert.equal(DAYS, #f:dates())
    local claims = assert(st:claims { worker = "spec", round = pa.dates.today(H.clock) })
    local status = assert(claims:status(NAMES))
    st:close()
    assert.equal(pa.dates.today(), status.ann_shop.synced_round)
    assert.is_nil(status.dan_revoked.synced_round)
    assert.truthy(status.dan_revoked.error:find("token refresh failed", 1, true))

    -- each account was asked with its own token: GET /user_account once each
    local by = {}
    for _, r in ipairs(sim:requests()) do
      if r.path == "/v5/user_account" and r.status == 200 then by[r.account] = (by[r.account] or 0) + 1 end
    end
    assert.same({ ann_shop = 1, bob_studio = 1, cleo_crafts = 1 }, by)
  end)

  it("a second run in the same round syncs only the account that failed, and names the others", function()
    sim:clear_log()
    local code, out, err = run()
    assert.equal(1, code, err)
    assert.truthy(out:find("account ann_shop: already synced in this round (" .. pa.dates.today(), 1, true), out)
    assert.truthy(out:find("4 accounts of 4 here", 1, true) == nil, out)
    assert.truthy(out:find(": 1 account of 4 here, 1 failed, 3 already synced in this round;", 1, true), out)
    local asked = {}
    for _, r in ipairs(sim:requests()) do
      if r.path:find("^/v5/") and r.account then asked[r.account] = true end
    end
    assert.same({}, asked) -- dan's token is refused (no account), the others are not asked at all
  end)

  it("without the app's secret, a revoked account still fails alone; with --jobs 1 one after another", function()
    os.remove(db)
    local code, out, err = run("--jobs 1", { PINTEREST_CLIENT_SECRET = false })
    assert.equal(1, code, err)
    assert.truthy(out:find("account dan_revoked: failed: the sync stopped early: auth: token refresh failed: it " ..
      "needs the app's client_id and client_secret", 1, true), out)
    assert.truthy(out:find(": 4 accounts of 4 here, 1 failed;", 1, true), out)
  end)

  it("usage errors: --pins, --token-file, --jobs 0, --account-name, and its options without --all-accounts", function()
    local code, _, err = C.run("sync --all-accounts --credentials " .. C.q(creds) .. " --store " .. C.q(db) ..
      " --pins 1234")
    assert.equal(2, code)
    assert.truthy(err:find("--pins names one account's pins", 1, true), err)
    code, _, err = C.run("sync --all-accounts --credentials " .. C.q(creds) .. " --store " .. C.q(db) ..
      " --account --jobs 0")
    assert.equal(2, code)
    assert.truthy(err:find("--jobs must be a whole number", 1, true), err)
    code, _, err = C.run("sync --store " .. C.q(db) .. " --account --jobs 2", { PINTEREST_ACCESS_TOKEN = "x" })
    assert.equal(2, code)
    assert.truthy(err:find("--jobs goes with --all-accounts", 1, true), err)
    code, _, err = C.run("sync --all-accounts --account-name simulated_account --credentials " .. C.q(creds) ..
      " --store " .. C.q(db) .. " --account")
    assert.equal(2, code)
    assert.truthy(err:find("--account-name picks one account", 1, true), err)
    code, _, err = C.run("sync --all-accounts --token-file /dev/null --credentials " .. C.q(creds) .. " --store " ..
      C.q(db) .. " --account")
    assert.equal(2, code)
    assert.truthy(err:find("--token-file does not go with --all-accounts", 1, true), err)
  end)

  it("--app-file: read for the app's id and secret, refused when others may read it", function()
    local app = dir .. "/app.conf"
    local f = assert(io.open(app, "wb"))
    f:write("# the app\nclient_id = " .. APP_ID .. "\nclient_secret = " .. APP_SECRET .. "\n")
    f:close()
    os.execute("chmod 644 " .. C.q(app))
    local code, _, err = C.run("sync --all-accounts --app-file " .. C.q(app) .. " --credentials " .. C.q(creds) ..
      " --store " .. C.q(db) .. " --account --days 2", { PINTEREST_BASE_URL = sim.pinterest_url })
    assert.equal(1, code)
    assert.truthy(err:find("can be read or written by others (mode 0644): refused", 1, true), err)
    os.execute("chmod 600 " .. C.q(app))
    os.remove(db)
    local out
    code, out, err = C.run("sync --all-accounts --app-file " .. C.q(app) .. " --credentials " .. C.q(creds) ..
      " --store " .. C.q(db) .. " --account --days 2", { PINTEREST_BASE_URL = sim.pinterest_url })
    assert.equal(1, code, err)
    -- the secret was sent: the revoked account's refresh reached the server and was refused there
    assert.truthy(out:find("account dan_revoked: failed: the sync stopped early: auth: token refresh failed: " ..
      "Invalid refresh_token", 1, true), out)
    assert.falsy((out .. err):find(APP_SECRET, 1, true))
  end)
  it("warns of an account whose refresh token runs out in fewer than 14 days, naming the login that renews it", function()
    local cs = pa.credentials.open(creds)
    local e = assert(cs:get("bob_studio"))
    assert(cs:put("bob_studio", { access_token = e.access_token, refresh_token = e.refresh_token,
      expires_in = 30 * 86400, refresh_token_expires_in = 5 * 86400 + 3600, client_id = APP_ID }))
    local _, _, err = run()
    assert.truthy(err:find("pinanalytics: warning: the refresh token of account bob_studio expires in 5 days (", 1,
      true), err)
    assert.truthy(err:find("run `pinanalytics login --credentials " .. creds .. "` and sign in as bob_studio to " ..
      "renew it", 1, true), err)
    assert.falsy(err:find("account ann_shop expires", 1, true))
    assert.falsy(err:find(e.refresh_token, 1, true))
  end)
  it("puts no token nor the app's secret in the process list while it runs", function()
    sim:configure { latency_ms = 150 }
    -- the app from a file: an environment given on the spec's command line
    -- would be in the list itself
    local app = dir .. "/app-ps.conf"
    local f = assert(io.open(app, "wb"))
    f:write("client_id = ", APP_ID, "\nclient_secret = ", APP_SECRET, "\n")
    f:close()
    assert(C.succeeds("chmod 600 " .. C.q(app)))
    local t = C.spawn("sync --all-accounts --app-file " .. C.q(app) .. " --credentials " .. C.q(creds) ..
      " --store " .. C.q(db) .. " --all-pins --account --days " .. DAYS, { PINTEREST_BASE_URL = sim.pinterest_url })
    local seen, looks = {}, 0
    local secrets = { APP_SECRET }
    for _, name in ipairs(NAMES) do secrets[#secrets + 1] = token_of(name); secrets[#secrets + 1] = refresh_of(name) end
    -- every process's command line, a few times while the sync runs
    for _ = 1, 10 do
      local h = assert(io.popen("cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '"))
      local all = h:read("*a") or ""
      h:close()
      looks = looks + 1
      for _, secret in ipairs(secrets) do
        if all:find(secret, 1, true) then seen[#seen + 1] = secret end
      end
      if all:find("bin/pinanalytics sync --all-accounts", 1, true) == nil then break end
      os.execute("sleep 0.1")
    end
    local code, _, err = t.wait(60)
    sim:configure { latency_ms = 20 }
    assert.truthy(code == 0 or code == 1, err)
    assert.truthy(looks >= 1)
    assert.same({}, seen)
  end)
end)
