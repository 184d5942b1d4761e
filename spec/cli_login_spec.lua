-- pinanalytics login, accounts and logout, and the commands that use the
-- credentials file when no token is set: a login end to end against the
-- simulator (the browser a script that follows the redirect with curl), then
-- a report with no token in the environment; --no-browser with the address
-- pasted; a state that is not the login's, a refusal, a port taken, no
-- answer in time; several accounts and --account; a credentials file others
-- can read; the warnings that name the login renewing an account. No token,
-- nor the app's secret, in any output.
local C = require "helpers.cli"
local H = require "helpers.sim"
local credentials = require "pinanalytics.credentials"
local core = require "pinanalytics.core"

local q = C.q
local CLIENT, SECRET = "app-login-77", "login-secret-3b9e1f06d2"

-- a free port of 127.0.0.1 (taken, then given back)
local function free_port()
  local socket = require "socket"
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function mode_of(path)
  local st = assert(core.fs_stat(path))
  return st.mode % 512
end

describe("pinanalytics login", function()
  local sim, dir, browser, forging_browser
  local outputs = {} -- every stdout and stderr, searched for secrets at the end
  local n = 0

  setup(function()
    sim = H.start { client_id = CLIENT, client_secret = SECRET, continuous = true,
      accounts = { acme_shop = { token = "acme-static-token-4411" } } }
    dir = C.tmpname()
    os.remove(dir)
    assert(C.succeeds("mkdir -m 700 " .. q(dir)))
    -- the browser: follows the sign-in page's redirect to the listener
    browser = dir .. "/browser.sh"
    local f = assert(io.open(browser, "wb"))
    f:write("#!/bin/sh\nexec curl -s -L -o /dev/null --max-time 20 \"$1\"\n")
    f:close()
    -- a browser sent back with another state: the answer to someone else's login
    forging_browser = dir .. "/forging.sh"
    f = assert(io.open(forging_browser, "wb"))
    f:write("#!/bin/sh\nto=$(curl -s -o /dev/null -w '%{redirect_url}' --max-time 20 \"$1\")\n" ..
      "exec curl -s -o /dev/null --max-time 20 \"$(printf '%s' \"$to\" | sed 's/state=[0-9a-f]*/state=forged0/')\"\n")
    f:close()
    assert(C.succeeds("chmod 755 " .. q(browser) .. " " .. q(forging_browser)))
  end)

  teardown(function()
    if sim then sim:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  local function new_file()
    n = n + 1
    return dir .. "/c" .. n .. "/credentials.json"
  end

  -- the environment of a run on the credentials file path
  local function env_of(path, more)
    local e = { PINANALYTICS_CREDENTIALS = path, PINTEREST_BASE_URL = sim.pinterest_url,
      PINTEREST_OAUTH_URL = sim.url .. "/oauth/authorize", PINTEREST_CLIENT_ID = CLIENT,
      PINTEREST_CLIENT_SECRET = SECRET, BROWSER = browser }
    for k, v in pairs(more or {}) do e[k] = v ~= false and v or nil end
    return e
  end

  local function run(args, env, stdin)
    local code, out, err = C.run(args, env, stdin, 60)
    outputs[#outputs + 1] = out or ""
    outputs[#outputs + 1] = err or ""
    return code, out, err
  end

  -- a login in the browser as `account` (the simulator's default when nil)
  local function login(path, account, extra)
    sim:configure { authorize_account = account }
    return run("login --port " .. free_port() .. " --timeout 20" .. (extra or ""), env_of(path))
  end

  -- what the report of the account says with the simulator's own token
  local function report_with_token(args)
    local code, out, err = run(args, { PINTEREST_ACCESS_TOKEN = sim.token, PINTEREST_BASE_URL = sim.pinterest_url })
    assert.equal(0, code, err)
    return out
  end

  it("logs in through the browser and the listener, then a report needs no token", function()
    local path = new_file()
    local before = sim:stats().codes_exchanged
    sim:clear_log()
    local code, out, err = login(path)
    assert.equal(0, code, err)
    assert.truthy(out:find("^logged in as simulated_account: its tokens are saved in " .. path:gsub("%p", "%%%0") ..
      " %(its refresh token expires on %d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC unless used; each refresh renews it%)\n$"),
      out)
    assert.truthy(err:find("opened with $BROWSER", 1, true), err)
    assert.equal(before + 1, sim:stats().codes_exchanged)
    -- the sign-in page was asked for the default scopes, with a random state
    local asked
    for _, r in ipairs(sim:requests()) do if r.path == "/oauth/authorize" then asked = r.args end end
    assert.truthy(asked:find("scope=user_accounts%3Aread,pins%3Aread,boards%3Aread", 1, true), asked)
    assert.truthy(asked:find("state=%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x%x"), asked)
    assert.truthy(asked:find("response_type=code", 1, true), asked)
    -- saved 0600 in a 0700 folder, with the app's id, and the tokens work
    assert.equal(384, mode_of(path))
    assert.equal(448, mode_of(path:match("^(.*)/")))
    local e = assert(credentials.open(path):get("simulated_account"))
    assert.equal(CLIENT, e.client_id)
    assert.equal("user_accounts:read,pins:read,boards:read", e.scope)
    assert.is_true(e.refresh_expires_at >= os.time() + 5184000 - 60)
    assert.truthy(e.access_token:find("^sim%-at%-"))

    -- a report with no token in the environment: the same as with the token
    local c2, report, rerr = run("account --last 7", env_of(path))
    assert.equal(0, c2, rerr)
    assert.equal("", rerr)
    assert.equal(report_with_token("account --last 7"), report)
  end)

  it("--no-browser: prints the address, reads the one the browser was sent to on standard input", function()
    local path = new_file()
    sim:configure { authorize_account = nil }
    local fifo = dir .. "/in-" .. n
    assert(C.succeeds("mkfifo " .. q(fifo)))
    local t = C.spawn("login --no-browser", env_of(path, { BROWSER = false }), fifo)
    local w = assert(io.open(fifo, "wb")) -- meets the tool's end of the FIFO
    local url
    assert.is_true(C.eventually(20, function()
      url = (C.read(t.err) or ""):match("\n  (http://%S+)\n")
      return url ~= nil
    end))
    local redirect = assert(url:match("redirect_uri=([^&]+)"))
    assert.equal("http%3A%2F%2F127.0.0.1%3A8085%2F", redirect) -- the default port and path
    -- the browser on another machine: sent to 127.0.0.1:8085, which it cannot load
    local plain = core.session { base_url = sim.url, timeout = 10 }
    local status, headers = plain:request("GET", url:sub(#sim.url + 1))
    plain:close()
    assert.equal(302, status)
    assert.truthy(headers.location:find("^http://127%.0%.0%.1:8085/%?code="), headers.location)
    w:write("  ", headers.location, "\n")
    w:close()
    local code, out, err = t.wait(30)
    outputs[#outputs + 1], outputs[#outputs + 2] = out, err
    assert.equal(0, code, err)
    assert.truthy(err:find("Paste that whole address here", 1, true), err)
    assert.truthy(out:find("^logged in as simulated_account: its tokens are saved in ", 1), out)
    assert.truthy(credentials.open(path):get("simulated_account"))
    os.remove(fifo)
  end)

  it("refuses an answer whose state is not the login's, and a refusal in the browser: exit 1, nothing saved", function()
    local path = new_file()
    sim:configure {}
    local code, out, err = run("login --port " .. free_port() .. " --timeout 20",
      env_of(path, { BROWSER = forging_browser }))
    assert.equal(1, code, err)
    assert.equal("", out)
    local l = C.lines(err)
    assert.equal("pinanalytics: the answer's state is not the one this login sent: refused (it may be the answer to " ..
      "another login, or a link someone else made); nothing was saved: run pinanalytics login again", l[#l])
    assert.is_nil(C.read(path))
    -- pasted, the same
    local pasted = C.tmpname()
    local f = assert(io.open(pasted, "wb"))
    f:write("http://127.0.0.1:8085/?code=sim-code-1-abc&state=0123456789abcdef0123456789abcdef\n")
    f:close()
    code, out, err = run("login --no-browser", env_of(path), pasted)
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.truthy(err:find("pinanalytics: the answer's state is not the one this login sent: refused", 1, true), err)
    os.remove(pasted)

    sim:configure { authorize_refuse = true }
    code, out, err = run("login --port " .. free_port() .. " --timeout 20", env_of(path))
    sim:configure {}
    assert.equal(1, code, err)
    assert.equal("", out)
    l = C.lines(err)
    assert.equal("pinanalytics: the app was not allowed access to the account in the browser (access_denied); " ..
      "nothing was saved", l[#l])
    assert.is_nil(C.read(path))
  end)

  it("says when the port is taken and how to choose another, and when the browser never comes back", function()
    local socket = require "socket"
    local taken = assert(socket.bind("127.0.0.1", 0))
    local _, port = taken:getsockname()
    local code, out, err = run("login --port " .. port, env_of(new_file()))
    taken:close()
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.equal("pinanalytics: the port " .. port .. " of 127.0.0.1 is taken (another program listens there): " ..
      "choose another with --port N (the app must have http://127.0.0.1:N/ registered as a redirect URI)\n", err)

    code, out, err = run("login --timeout 1 --path /cb --port " .. free_port(), env_of(new_file(), { BROWSER = "true" }))
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.truthy(err:find("\npinanalytics: no answer from the browser within 1 s %(%-%-timeout%): nothing was " ..
      "saved; run pinanalytics login again %(and check that the app's redirect URI is " ..
      "http://127%.0%.0%.1:%d+/cb%)\n$"), err)
  end)

  it("takes the app from --app-file (refused when others can read it), never from an argument", function()
    local path = new_file()
    local app = dir .. "/app.env"
    local f = assert(io.open(app, "wb"))
    f:write("# the app\nPINTEREST_CLIENT_ID=" .. CLIENT .. "\nexport PINTEREST_CLIENT_SECRET='" .. SECRET .. "'\n")
    f:close()
    assert(C.succeeds("chmod 644 " .. q(app)))
    local e = env_of(path, { PINTEREST_CLIENT_ID = false, PINTEREST_CLIENT_SECRET = false })
    local code, out, err = run("login --app-file " .. q(app), e)
    assert.equal(1, code)
    assert.equal("", out)
    assert.equal("pinanalytics: the app file " .. app .. " can be read or written by others (mode 0644): refused, " ..
      "as it holds the app's secret; run chmod 600 " .. app .. "\n", err)
    assert(C.succeeds("chmod 600 " .. q(app)))
    sim:configure {}
    code, out, err = run("login --timeout 20 --port " .. free_port() .. " --app-file " .. q(app), e)
    assert.equal(0, code, err)
    assert.truthy(out:find("^logged in as simulated_account: its tokens are saved in "), out)
    assert.equal(CLIENT, credentials.open(path):get("simulated_account").client_id)
    -- no app at all: a usage error naming where it comes from
    code, out, err = run("login", e)
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("login needs the app's id and secret: set PINTEREST_CLIENT_ID and " ..
      "PINTEREST_CLIENT_SECRET in the environment, or give --app-file FILE", 1, true), err)
    for _, o in ipairs({ "--client-secret", "--app-secret" }) do
      code, out, err = run("login " .. o .. " whatever", e)
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find(o .. " is refused: every user of this machine can read a command's arguments", 1, true))
      assert.truthy(err:find("Set PINTEREST_CLIENT_SECRET in the environment, or give --app-file FILE", 1, true), err)
    end
    code, out, err = run("login --scopes user_accounts:read,pin:read", e)
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("--scopes user_accounts:read,pin:read: pin:read is not a scope; did you mean --scopes " ..
      "user_accounts:read,pins:read?", 1, true), err)
  end)

  it("several accounts: --account picks one (sync: --account-name), none named is an error naming them", function()
    local path = new_file()
    assert.equal(0, (login(path, "acme_shop")))
    assert.equal(0, (login(path, nil, " --scopes user_accounts:read,pins:read,boards:read,ads:read")))
    local e = credentials.open(path):get("simulated_account")
    assert.equal("user_accounts:read,pins:read,boards:read,ads:read", e.scope)

    local code, out, err = run("account --last 7", env_of(path))
    assert.equal(2, code)
    assert.equal("", out)
    assert.equal("pinanalytics: the credentials file " .. path .. " has several accounts (acme_shop, " ..
      "simulated_account): name one with --account NAME\nTry 'pinanalytics account --help'.\n", err)
    code, out, err = run("account --last 7 --account simulated_account", env_of(path))
    assert.equal(0, code, err)
    assert.equal(report_with_token("account --last 7"), out)
    code, out, err = run("top --last 7 --account acme_shop", env_of(path))
    assert.equal(0, code, err)
    assert.equal(report_with_token("top --last 7"), out) -- the simulator's pins are the same for every account
    code, out, err = run("account --last 7 --account acme_shp", env_of(path))
    assert.equal(2, code)
    assert.equal("", out)
    assert.equal("pinanalytics: --account acme_shp: no such account in the credentials file " .. path .. "; did " ..
      "you mean --account acme_shop? (it has acme_shop, simulated_account)\nTry 'pinanalytics account --help'.\n",
      err)
    -- the token of the environment wins, and then --account has no use
    code, out, err = run("account --last 7 --account acme_shop", env_of(path, { PINTEREST_ACCESS_TOKEN = sim.token }))
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("--account has no use with PINTEREST_ACCESS_TOKEN", 1, true), err)
    -- sync: its --account is the account's figures; --account-name names the login
    local db = dir .. "/s" .. n .. ".db"
    code, out, err = run("sync --store " .. q(db) .. " --account --days 3 --account-name acme_shop", env_of(path))
    assert.equal(0, code, err)
    assert.truthy(out:find("synced " .. db, 1, true), out)
    code, out, err = run("sync --store " .. q(db) .. " --account --days 3", env_of(path))
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("has several accounts (acme_shop, simulated_account): name one with --account-name NAME",
      1, true), err)
  end)

  it("accounts lists them with their expiry and no token; logout forgets one", function()
    local path = new_file()
    assert.equal(0, (login(path, "acme_shop")))
    assert.equal(0, (login(path, nil)))
    local code, out, err = run("accounts", env_of(path))
    assert.equal(0, code, err)
    local lines = C.lines(out)
    assert.equal("credentials file: " .. path, lines[1])
    assert.truthy(lines[2]:find("^ACCOUNT +ACCESS TOKEN EXPIRES +REFRESH TOKEN EXPIRES +DAYS LEFT +SCOPES$"), lines[2])
    local left = lines[3]:match("^acme_shop +%d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC +%d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC +(%d+) " ..
      "+user_accounts:read,pins:read,boards:read$")
    assert.truthy(left == "59" or left == "60", lines[3]) -- 60 days, less the seconds since
    assert.truthy(lines[4]:find("^simulated_account "), lines[4])
    assert.equal(4, #lines)
    -- the expiry shown is the file's
    local e = credentials.open(path):get("acme_shop")
    assert.truthy(lines[3]:find(os.date("!%Y-%m-%d %H:%M UTC", e.refresh_expires_at), 1, true))

    code, out, err = run("logout acme_shp", env_of(path))
    assert.equal(2, code)
    assert.equal("", out)
    assert.equal("pinanalytics: no account acme_shp in " .. path .. "; did you mean pinanalytics logout acme_shop? " ..
      "(it has acme_shop, simulated_account)\nTry 'pinanalytics logout --help'.\n", err)
    code, out, err = run("logout acme_shop", env_of(path))
    assert.equal(0, code, err)
    assert.equal("forgot acme_shop: its tokens are removed from " .. path .. "\n", out)
    assert.is_nil((credentials.open(path):get("acme_shop")))
    code, out = run("accounts", env_of(path))
    assert.equal(0, code)
    assert.is_nil(out:find("acme_shop", 1, true))
    assert.truthy(out:find("\nsimulated_account ", 1, true))
    code, out = run("accounts", env_of(dir .. "/none/credentials.json"))
    assert.equal(0, code)
    assert.equal("no account in " .. dir .. "/none/credentials.json: `pinanalytics login` adds one\n", out)
  end)

  it("refuses a credentials file others can read, naming the chmod", function()
    local path = new_file()
    assert.equal(0, (login(path, nil)))
    assert(C.succeeds("chmod 640 " .. q(path)))
    for _, args in ipairs({ "accounts", "account --last 7", "logout simulated_account" }) do
      local code, out, err = run(args, env_of(path))
      assert.equal(1, code, args)
      assert.equal("", out)
      assert.equal("pinanalytics: the credentials file " .. path .. " can be read or written by others (mode 0640): " ..
        "refused, as its tokens give access to the accounts; run chmod 600 " .. path .. "\n", err)
    end
    assert(C.succeeds("chmod 600 " .. q(path)))
  end)

  it("refreshes through the file, and warns when the refresh token is near its end or refused", function()
    local path = new_file()
    local store = credentials.open(path)
    local want = report_with_token("account --last 7") -- before the tokens are expired
    -- a login whose refresh token has 5 days left, and an expired access token
    sim:configure {}
    assert.equal(0, (login(path, nil)))
    local e = store:get("simulated_account")
    assert(store:put("simulated_account", { access_token = e.access_token, refresh_token = e.refresh_token,
      expires_in = -10, refresh_token_expires_at = os.time() + 5 * 86400 + 3600, client_id = CLIENT }))
    sim:expire_tokens()
    -- no app secret: the expired token cannot be refreshed, and it says so
    local code, _, err = run("account --last 7", env_of(path, { PINTEREST_CLIENT_SECRET = false }))
    assert.equal(1, code)
    assert.equal("pinanalytics: the access token of account simulated_account has expired, and refreshing it needs " ..
      "the app's secret: set PINTEREST_CLIENT_SECRET in the environment, or give --app-file FILE\n", err)
    -- with it: refreshed (continuous: a new refresh token, 60 days again), no warning
    local out
    code, out, err = run("account --last 7", env_of(path))
    assert.equal(0, code, err)
    assert.equal("", err)
    assert.equal(want, out)
    local after = store:get("simulated_account")
    assert.are_not.equal(e.refresh_token, after.refresh_token)
    assert.is_true(after.refresh_expires_at > os.time() + 59 * 86400)
    -- 5 days left, still usable: a warning naming the login, with the file given
    assert(store:put("simulated_account", { access_token = after.access_token, refresh_token = after.refresh_token,
      expires_in = 3600, refresh_token_expires_at = os.time() + 5 * 86400 + 3600, client_id = CLIENT }))
    code, out, err = run("account --last 7 --credentials " .. q(path), env_of(C.NO_CREDENTIALS))
    assert.equal(0, code, err)
    assert.equal(want, out)
    assert.truthy(err:find("^pinanalytics: warning: the refresh token of account simulated_account expires in 5 days " ..
      "%(%d%d%d%d%-%d%d%-%d%d %d%d:%d%d UTC%) unless it is used: run `pinanalytics login %-%-credentials " ..
      path:gsub("%p", "%%%0") .. "` and sign in as simulated_account to renew it\n$"), err)
    local _, listed = run("accounts", env_of(path))
    assert.truthy(listed:find("\nsimulated_account: fewer than 14 days left: run `pinanalytics login` and sign in " ..
      "as simulated_account to renew it\n", 1, true), listed)
    -- refused (the account revoked): the warning, then the failure
    sim:configure { revoked_accounts = { "simulated_account" } }
    sim:expire_tokens()
    code, out, err = run("account --last 7", env_of(path))
    sim:configure {}
    assert.equal(1, code)
    assert.equal("", out)
    local l = C.lines(err)
    assert.equal(2, #l, err)
    assert.truthy(l[1]:find("^pinanalytics: warning: the refresh token of account simulated_account was refused %(" ..
      ".*%): it can no longer renew the access token; run `pinanalytics login` and sign in as simulated_account to " ..
      "renew it$"), l[1])
    assert.truthy(l[2]:find("^pinanalytics: .*token refresh failed"), l[2])
  end)

  it("no token and no account: a usage error that names login", function()
    local code, out, err = run("account --last 7", env_of(dir .. "/empty/credentials.json"))
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("no token: set PINTEREST_ACCESS_TOKEN in the environment, give --token-file FILE (never " ..
      "the token itself as an argument: other users see arguments in ps), or log in once with `pinanalytics login`",
      1, true), err)
  end)

  it("never prints a token, the app's secret, nor puts them in a browser's arguments", function()
    assert.is_true(#outputs > 20)
    local secrets = { SECRET, require("pinanalytics.http").base64(CLIENT .. ":" .. SECRET) }
    local h = assert(io.popen("cat " .. q(dir) .. "/c*/credentials.json"))
    local files = h:read("*a")
    h:close()
    for k, v in files:gmatch('"(%w+_token)": "([^"]+)"') do
      assert.truthy(k == "access_token" or k == "refresh_token", k)
      secrets[#secrets + 1] = v
    end
    assert.is_true(#secrets > 10)
    assert.is_nil(files:find(SECRET, 1, true)) -- the app's secret is never written there
    for _, s in ipairs(secrets) do
      for _, o in ipairs(outputs) do
        assert.is_nil(o:find(s, 1, true), "a secret in the output: " .. o)
      end
    end
  end)
end)
