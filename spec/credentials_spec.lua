-- pinanalytics.credentials: the file's place, its modes, what it holds,
-- atomic saves and the locks.
local credentials = require "pinanalytics.credentials"
local core = require "pinanalytics.core"

local AT, RT = "at-secret-9c2f71e0d4", "rt-secret-51aa0b7e93"

local function sh(cmd)
  local h = assert(io.popen(cmd .. " 2>&1"))
  local out = h:read("*a")
  h:close()
  return out
end

local function tempdir()
  local d = sh("mktemp -d /tmp/pa-creds-spec.XXXXXX"):match("^(%S+)")
  assert(d and d ~= "")
  return d
end

local function mode_of(path)
  return core.fs_stat(path).mode
end

local read = require("helpers.sim").read_file
local R = require "helpers.runtime"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

describe("credentials", function()
  local dir
  before_each(function() dir = tempdir() end)
  after_each(function() sh("rm -rf '" .. dir .. "'") end)

  it("finds its default file from PINANALYTICS_CREDENTIALS, XDG_CONFIG_HOME, HOME", function()
    local env = {}
    local function getenv(k) return env[k] end
    assert.is_nil((credentials.default_path(getenv)))
    env.HOME = "/home/ann"
    assert.equal("/home/ann/.config/pinanalytics/credentials.json", credentials.default_path(getenv))
    env.XDG_CONFIG_HOME = "relative/ignored"
    assert.equal("/home/ann/.config/pinanalytics/credentials.json", credentials.default_path(getenv))
    env.XDG_CONFIG_HOME = "/cfg/"
    assert.equal("/cfg/pinanalytics/credentials.json", credentials.default_path(getenv))
    env.PINANALYTICS_CREDENTIALS = "/srv/pa/creds.json"
    assert.equal("/srv/pa/creds.json", credentials.default_path(getenv))
  end)

  it("creates the file 0600 in a 0700 folder, and reads back what it saved", function()
    local path = dir .. "/a/b/credentials.json"
    local store = credentials.open { path = path, clock = function() return 1700000000 end }
    assert.same({}, assert(store:list()))
    assert.is_nil(core.fs_stat(path)) -- reading creates nothing
    assert(store:put("acme_shop", { access_token = AT, refresh_token = RT, expires_in = 2592000,
      refresh_token_expires_in = 5184000, scope = "pins:read", client_id = "app-1" }))
    assert.equal(448, mode_of(dir .. "/a/b")) -- 0700
    assert.equal(448, mode_of(dir .. "/a"))
    assert.equal(384, mode_of(path)) -- 0600
    local e = assert(store:get("acme_shop"))
    assert.same({ account = "acme_shop", access_token = AT, refresh_token = RT,
      access_expires_at = 1700000000 + 2592000, access_issued_at = 1700000000,
      refresh_expires_at = 1700000000 + 5184000, client_id = "app-1", scope = "pins:read",
      updated_at = 1700000000 }, e)
    local list = assert(store:list())
    assert.same({ { account = "acme_shop", access_expires_at = 1700000000 + 2592000,
      refresh_expires_at = 1700000000 + 5184000, client_id = "app-1", scope = "pins:read",
      updated_at = 1700000000 } }, list)
    assert.equal("acme_shop", store:only_account())
    -- no temporary file is left beside it
    assert.equal("credentials.json\ncredentials.json.locks\n", sh("ls -A '" .. dir .. "/a/b'"))
    -- the file is JSON another program can read
    local doc = core.decode(read(path))
    assert.equal(1, doc.version)
    assert.equal(RT, doc.accounts.acme_shop.refresh_token)
  end)

  it("keeps accounts apart, names them when one is missing, forgets one", function()
    local store = credentials.open(dir .. "/c.json")
    assert(store:put("b_two", { access_token = "at-b", refresh_token = "rt-b" }))
    assert(store:put("a_one", { access_token = "at-a", refresh_token = "rt-a" }))
    local names = {}
    for i, a in ipairs(assert(store:list())) do names[i] = a.account end
    assert.same({ "a_one", "b_two" }, names)
    local _, err = store:only_account()
    assert.equal("credentials", err.kind)
    assert.truthy(err.message:find("several accounts in " .. dir .. "/c.json (a_one, b_two)", 1, true), err.message)
    local none, gerr = store:get("c_three")
    assert.is_nil(none)
    assert.equal("no account c_three in " .. dir .. "/c.json (it has a_one, b_two)", gerr.message)
    assert.is_true(store:remove("a_one"))
    assert.is_false(store:remove("a_one"))
    assert.equal("rt-b", store:get("b_two").refresh_token)
    assert.equal("b_two", store:only_account())
  end)

  it("refuses a file group or others can read, naming it and the chmod that fixes it", function()
    local path = dir .. "/credentials.json"
    local store = credentials.open(path)
    assert(store:put("acme_shop", { access_token = AT, refresh_token = RT }))
    for _, m in ipairs({ "640", "604", "660", "644" }) do
      sh("chmod " .. m .. " '" .. path .. "'")
      local res, err = store:get("acme_shop")
      assert.is_nil(res)
      assert.equal("credentials", err.kind)
      assert.equal("the credentials file " .. path .. " can be read or written by others (mode 0" .. m ..
        "): refused, as its tokens give access to the accounts; run chmod 600 " .. path, err.message)
      assert.falsy(tostring(err):find(RT, 1, true))
      assert.falsy(tostring(err):find(AT, 1, true))
      -- and a save does not go through it either
      assert.is_nil((store:put("other", { access_token = "x", refresh_token = "y" })))
    end
    sh("chmod 600 '" .. path .. "'")
    assert.equal(RT, assert(store:get("acme_shop")).refresh_token)
    sh("chmod 400 '" .. path .. "'")
    assert.equal(RT, assert(store:get("acme_shop")).refresh_token) -- read-only for the user is fine
    sh("chmod 600 '" .. path .. "'")
    -- a folder others may write
    sh("chmod 777 '" .. dir .. "'")
    local _, err = store:list()
    assert.equal("the credentials folder " .. dir .. " can be written by others (mode 0777): refused; run chmod 700 " ..
      dir, err.message)
    sh("chmod 755 '" .. dir .. "'")
    assert(store:list())
    -- a link instead of the file
    sh("mv '" .. path .. "' '" .. path .. ".real' && ln -s '" .. path .. ".real' '" .. path .. "'")
    _, err = store:list()
    assert.truthy(err.message:find("is not a plain file (a link): refused", 1, true), err.message)
  end)

  it("says which file is damaged, and never shows its tokens", function()
    local path = dir .. "/credentials.json"
    local f = assert(io.open(path, "wb"))
    f:write('{"accounts": {"x": {"refresh_token": "' .. RT .. '"')
    f:close()
    sh("chmod 600 '" .. path .. "'")
    local _, err = credentials.open(path):list()
    assert.equal("credentials", err.kind)
    assert.truthy(err.message:find("the credentials file " .. path .. " is not one pinanalytics wrote (not JSON", 1,
      true), err.message)
    assert.falsy(tostring(err):find(RT, 1, true))
  end)

  it("checks its arguments", function()
    assert.has_error(function() credentials.open(42) end,
      "pinanalytics.credentials.open: opts must be a path or a table, got number")
    assert.has_error(function() credentials.open { path = dir .. "/" } end)
    assert.has_error(function() credentials.open { path = dir .. "/x", sleep = 1 } end,
      "pinanalytics.credentials.open: option sleep must be a function, got number")
    local store = credentials.open(dir .. "/x.json")
    assert.has_error(function() store:get(nil) end,
      "pinanalytics.credentials.Store:get: account must be a non-empty string, got nil")
    assert.has_error(function() store:put("a", { access_token = "x" }) end)
    assert.is_true(credentials.is_store(store))
    assert.equal("pinanalytics.credentials (" .. dir .. "/x.json)", tostring(store))
    assert.has_error(function() credentials.open { path = dir .. "/x", hold_signals = "yes" } end,
      "pinanalytics.credentials.open: option hold_signals must be a boolean, got string")
  end)

  it("holds signals in nested holds, and refuses to let go of one it does not hold", function()
    assert.has_error(function() core.fs_hold_signals(false) end,
      "pinanalytics.core.fs_hold_signals: no hold to let go of")
    assert.has_error(function() core.fs_hold_signals("yes") end)
    assert.equal(1, core.fs_hold_signals(true))
    assert.equal(2, core.fs_hold_signals(true))
    assert.equal(1, core.fs_hold_signals(false))
    assert.equal(0, core.fs_hold_signals(false))
    -- in a process of its own: a SIGTERM sent while held waits for the last
    -- hold to go, then ends the process
    local script = [[
      local core = require "pinanalytics.core"
      local pid = io.open("/proc/self/stat"):read("*l"):match("^%d+")
      core.fs_hold_signals(true)
      core.fs_hold_signals(true)
      os.execute("kill -TERM " .. pid)
      core.sleep(0.2)
      io.write("held ") io.flush()
      core.fs_hold_signals(false)
      io.write("one ") io.flush()
      core.fs_hold_signals(false)
      core.sleep(0.2)
      io.write("survived") io.flush()
    ]]
    local h = assert(io.popen(R.exe() .. " -e " .. q(script) .. " 2>&1; echo \" status=$?\""))
    local out = h:read("*a")
    h:close()
    -- (the shell may say "Terminated" between them)
    assert.truthy(out:find("^held one .*status=143\n$"), out)
    assert.falsy(out:find("survived", 1, true), out)
  end)

  it("refresh: uses a token another process saved meanwhile instead of refreshing again", function()
    local now = 1700000000
    local store = credentials.open { path = dir .. "/r.json", clock = function() return now end }
    assert(store:put("acme", { access_token = "old-at", refresh_token = "rt-1", expires_in = 3600 }))
    local calls = 0
    local function request(entry)
      calls = calls + 1
      assert.equal("rt-" .. calls, entry.refresh_token)
      return { access_token = "at-" .. (calls + 1), refresh_token = "rt-" .. (calls + 1), expires_in = 3600 }
    end
    -- refused with old-at: refreshed here
    local e, here = store:refresh("acme", "old-at", request)
    assert.is_true(here)
    assert.same({ "at-2", "rt-2" }, { e.access_token, e.refresh_token })
    -- a second process that was refused with old-at too finds at-2: no request
    e, here = store:refresh("acme", "old-at", request)
    assert.is_false(here)
    assert.equal("at-2", e.access_token)
    assert.equal(1, calls)
    -- refused with at-2 itself: refreshed
    e = store:refresh("acme", "at-2", request)
    assert.same({ "at-3", "rt-3" }, { e.access_token, e.refresh_token })
    -- a stored token that is about to expire is refreshed even if it is not the one used
    now = now + 3600 - 30
    e, here = store:refresh("acme", "something-else", request)
    assert.is_true(here)
    assert.equal("at-4", e.access_token)
    -- a failed request changes nothing and passes its error on
    local res, err = store:refresh("acme", "at-4", function() return nil, "refused" end)
    assert.is_nil(res)
    assert.equal("refused", err)
    assert.equal("rt-4", store:get("acme").refresh_token)
  end)

  it("a lock held elsewhere is waited for, and a wait that lasts too long is an error", function()
    local path = dir .. "/l.json"
    local store = credentials.open { path = path, lock_timeout = 0.3 }
    assert(store:put("acme", { access_token = "a", refresh_token = "r" }))
    local hex = ("acme"):gsub(".", function(c) return string.format("%02x", c:byte()) end)
    local other = assert(core.fs_lock(path .. ".locks/account-" .. hex))
    assert.is_true(other:try())
    local t0 = core.now()
    local res, err = store:refresh("acme", "a", function() error("must not be called") end)
    assert.is_nil(res)
    assert.is_true(core.now() - t0 >= 0.3)
    assert.equal("another process has held the lock of account acme for more than 0.3 s", err.message)
    -- released: the refresh goes through (its wait sleeps through the store's sleep)
    local slept = 0
    local store2 = credentials.open { path = path, sleep = function(s) slept = slept + 1; other:close(); core.sleep(s) end }
    assert.is_true(other:try())
    local e = assert(store2:refresh("acme", "a", function() return { access_token = "b", refresh_token = "r2" } end))
    assert.equal("b", e.access_token)
    assert.is_true(slept >= 1)
  end)
end)
