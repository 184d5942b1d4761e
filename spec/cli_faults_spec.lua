-- bin/pinanalytics keeps its word under faults: a report that cannot be
-- written is an exit status 1 naming what was not written; Ctrl-C is exit
-- 130 saying what was kept; a bug is an internal error (exit 1), never a
-- usage error; every numeric option is bounded and says its range.
local H = require "helpers.sim"
local C = require "helpers.cli"

local q, run, run_to, lines = C.q, C.run, C.run_to, C.lines
local PIN = "813744226420795884"

local dir
local function tmpdir()
  if not dir then
    local h = assert(io.popen("mktemp -d /tmp/pa-cli-faults-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end
  return dir
end

teardown(function()
  if dir then os.execute("rm -rf " .. q(dir)) end
end)

-- the number of rows of a table of a SQLite store
local function count(db, tbl)
  local env = require("luasql.sqlite3").sqlite3()
  local con = assert(env:connect(db))
  local cur = assert(con:execute("SELECT COUNT(*) FROM " .. tbl))
  local n = tonumber(cur:fetch())
  cur:close()
  con:close()
  env:close()
  return n
end

describe("pinanalytics when the report cannot be written", function()
  local sim, env, db
  setup(function()
    sim = H.start {}
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    db = tmpdir() .. "/written.db"
    local code, _, err = run("sync --store " .. q(db) .. " --pins " .. PIN .. ",729090764583391194 --account", env)
    assert(code == 0, err)
  end)
  teardown(function() sim:stop() end)

  local REPORTS = {
    { "pin " .. PIN, "the report" },
    { "pin " .. PIN .. " 729090764583391194 --format csv", "the report" },
    { "account --format html", "the report" },
    { "pin " .. PIN .. " --from-store DB", "the report" },
    { "overview --last 7 --from-store DB --format json", "the report" },
    { "--help", "the help" },
    { "top --help", "the help" },
    { "--version", "the version" },
  }

  it("exits 1 naming it when standard output is full (/dev/full)", function()
    for _, c in ipairs(REPORTS) do
      local args = c[1]:gsub("DB", q(db))
      local code, err = run_to(">/dev/full", args, env)
      assert.equal(1, code, args .. ": " .. err)
      assert.equal(1, #lines(err), args .. ": " .. err)
      assert.equal("pinanalytics: " .. c[2] .. " was not written to standard output: No space left on device\n", err)
    end
  end)

  it("exits 1 naming it when standard output is closed, before fetching anything", function()
    for _, c in ipairs(REPORTS) do
      local args = c[1]:gsub("DB", q(db))
      sim:clear_log()
      local code, err = run_to(">&-", args, env)
      assert.equal(1, code, args .. ": " .. err)
      assert.equal("pinanalytics: " .. c[2] .. " was not written: standard output is closed (nothing was done)\n",
        err)
      assert.equal(0, #sim:requests(), args)
    end
  end)

  it("sync: exits 1 when its summary cannot be written, saying the store keeps what it wrote", function()
    local fresh = tmpdir() .. "/sync-full.db"
    local code, err = run_to(">/dev/full", "sync --store " .. q(fresh) .. " --pins " .. PIN .. " --account", env)
    assert.equal(1, code, err)
    assert.equal("pinanalytics: the sync's summary was not written to standard output: No space left on device " ..
      "(the store keeps the 180 days the sync wrote)\n", err)
    assert.equal(90, count(fresh, "pin_days"))
    code, err = run_to(">&-", "sync --store " .. q(fresh) .. " --pins " .. PIN, env)
    assert.equal(1, code, err)
    assert.equal("pinanalytics: the sync's summary was not written: standard output is closed " ..
      "(nothing was done)\n", err)
    assert.equal(90, count(fresh, "pin_days"))
  end)

  it("--output: exits 1 naming the file when it cannot be written, and leaves no part of a report", function()
    local code, out, err = run("pin " .. PIN .. " --output /dev/full", env)
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.equal("pinanalytics: the report was not written to /dev/full: No space left on device\n", err)
    local missing = tmpdir() .. "/no/such/dir/report.csv"
    code, out, err = run("pin " .. PIN .. " --output " .. q(missing), env)
    assert.equal(1, code, err)
    assert.equal("", out)
    assert.equal("pinanalytics: the report was not written to " .. missing .. ": No such file or directory\n", err)
    local _
    code, _, err = run("pin " .. PIN .. " --output " .. q(tmpdir()), env)
    assert.equal(1, code, err)
    assert.truthy(err:find("^pinanalytics: the report was not written to " .. tmpdir():gsub("%p", "%%%0") ..
      ": Is a directory\n$"), err)
  end)

  it("--output on a file system that fills: exit 1, and the part written is removed", function()
    local mnt = tmpdir() .. "/small"
    os.execute("mkdir -p " .. q(mnt))
    if not C.succeeds("mount -t tmpfs -o size=8k tmpfs " .. q(mnt) .. " 2>/dev/null") then
      pending("mounting a small tmpfs needs root where the machine allows it; /dev/full above stands in")
      return
    end
    local file = mnt .. "/report.html"
    local code, _, err = run("account --last 60 --format html --output " .. q(file), env)
    os.execute("ls -l " .. q(mnt) .. " >/dev/null; umount " .. q(mnt))
    assert.equal(1, code, err)
    assert.equal("pinanalytics: the report was not written to " .. file .. ": No space left on device " ..
      "(the incomplete file was removed)\n", err)
    assert.is_nil(C.read(file))
  end)
end)

describe("pinanalytics on Ctrl-C (SIGINT)", function()
  local sim, env
  setup(function()
    sim = H.start { latency_ms = 1500 }
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  local function in_flight() return sim:stats().inflight > 0 end

  local function seen(path)
    for _, r in ipairs(sim:requests()) do
      if r.path == path then return true end
    end
    return false
  end

  it("pin, several pins: exit 130, 'interrupted', nothing written, no usage hint", function()
    sim:clear_log()
    local out = tmpdir() .. "/interrupted.csv"
    local t = C.spawn("pin " .. table.concat(H.ids(30, 7100000), " ") .. " --format csv --output " .. q(out), env)
    -- Ctrl-C while the request is in flight (answered after 1.5 s)
    assert.is_true(C.eventually(20, in_flight))
    t.signal("INT")
    local code, stdout, err = t.wait(30)
    assert.equal(130, code, err)
    assert.equal("", stdout)
    assert.equal("pinanalytics: interrupted: nothing was written\n", err)
    assert.is_nil(C.read(out))
  end)

  -- the API paths asked, in order (the log has a request when its answer leaves)
  local function asked()
    local out = {}
    for _, r in ipairs(sim:requests()) do
      if r.path:match("^/v5/") then out[#out + 1] = r.path end
    end
    return out
  end

  -- Ctrl-C while a report's one request is awaited: the interpreter's hook
  -- lands at the first call after libcurl's wait, the decoder's (inside the
  -- C core's lua_pcall); that is an interrupt, never an answer that "is not
  -- valid JSON" (exit 1)
  for _, args in ipairs({ "pin " .. PIN .. " --last 7", "account --last 7",
    "top --last 7 --sort-by SAVE", "pin " .. PIN .. " --last 7 --format json" }) do
    it(args .. ", Ctrl-C during the request: exit 130, 'interrupted: nothing was written'", function()
      -- what an earlier test left in flight is answered first
      assert.is_true(C.eventually(20, function() return not in_flight() end))
      sim:clear_log()
      local t = C.spawn(args, env)
      assert.is_true(C.eventually(20, in_flight))
      t.signal("INT")
      local code, stdout, err = t.wait(30)
      assert.equal("pinanalytics: interrupted: nothing was written\n", err)
      assert.equal(130, code, err)
      assert.equal("", stdout)
      os.execute("sleep 0.3") -- a request sent after it would be in the log by now
      assert.equal(1, #asked()) -- and nothing was asked after it
    end)
  end

  -- Ctrl-C while the request after `path` is awaited: `path`'s answer has
  -- left (it is in the log), the next request waits 1.5 s for its answer;
  -- the signal comes 0.5 s into that wait
  local function interrupt_after(t, path)
    assert.is_true(C.eventually(20, function() return seen(path) end), path)
    os.execute("sleep 0.5")
    assert.is_true(in_flight())
    t.signal("INT")
  end

  -- On Lua 5.1 the interpreter sees Ctrl-C only in its main coroutine, and
  -- a sync runs in another (runtime.pcall): there the interrupt lands when
  -- the sync returns, and the tool says what it kept then
  local LUA51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")

  -- exit 130, and what the message says is what the store holds
  local function stopped(db, code, stdout, err)
    assert.equal(130, code, err)
    assert.equal("", stdout)
    assert.is_nil(err:find("invalid_json", 1, true), err)
    local said = err:match("^pinanalytics: interrupted: the sync stopped; the store keeps (.-) it wrote %(each " ..
      "part is written whole%), and the next sync resumes from there\n$")
    assert.truthy(said, err)
    local days = count(db, "account_days") + count(db, "pin_days")
    if said ~= "what" then assert.equal("the " .. days .. " days", said) end
    return days
  end

  it("sync, Ctrl-C during the account's figures: exit 130, nothing written, and no pin asked for after it", function()
    assert.is_true(C.eventually(20, function() return not in_flight() end))
    sim:clear_log()
    local db = tmpdir() .. "/interrupted-account.db"
    local t = C.spawn("sync --store " .. q(db) .. " --all-pins --account", env)
    interrupt_after(t, "/v5/user_account") -- GET /user_account/analytics is awaited
    local days = stopped(db, t.wait(30))
    if LUA51 then return end
    assert.equal(0, days)
    os.execute("sleep 0.3") -- a request sent after it would be in the log by now, had it gone on
    assert.same({ "/v5/user_account", "/v5/user_account/analytics" }, asked())
  end)

  it("sync, Ctrl-C during the list of pins: exit 130, the account's days kept and said, no pin asked for", function()
    assert.is_true(C.eventually(20, function() return not in_flight() end))
    sim:clear_log()
    local db = tmpdir() .. "/interrupted-list.db"
    local t = C.spawn("sync --store " .. q(db) .. " --all-pins --account", env)
    interrupt_after(t, "/v5/user_account/analytics") -- GET /pins is awaited
    stopped(db, t.wait(30))
    assert.equal(90, count(db, "account_days"))
    if LUA51 then return end
    assert.equal(0, count(db, "pin_days"))
    os.execute("sleep 0.3")
    assert.same({ "/v5/user_account", "/v5/user_account/analytics", "/v5/pins" }, asked())
  end)

  it("sync: exit 130 after saying what the store keeps, and the next sync resumes", function()
    sim:clear_log()
    local db = tmpdir() .. "/interrupted.db"
    local pins = H.ids(30, 7200000)
    local t = C.spawn("sync --store " .. q(db) .. " --pins " .. table.concat(pins, ",") .. " --account", env)
    -- the account's days are written when its answer came; the pins' are asked
    -- then, and answered 1.5 s later: Ctrl-C comes while they are in flight
    assert.is_true(C.eventually(20, function() return seen("/v5/user_account/analytics") end))
    assert.is_true(C.eventually(20, in_flight))
    t.signal("INT")
    local code, stdout, err = t.wait(30)
    assert.equal(130, code, err)
    assert.equal("", stdout)
    local kept = tonumber(err:match("^pinanalytics: interrupted: the sync stopped; the store keeps the (%d+) days " ..
      "it wrote %(each part is written whole%), and the next sync resumes from there\n$"))
    assert.truthy(kept, err)
    -- what it says is what the store holds: the account's 90 days, and the
    -- pins' part whole or not at all (on Lua 5.1 the interpreter sees Ctrl-C
    -- only in its main coroutine, and the part under way runs in another)
    assert.equal(90, count(db, "account_days"))
    local pin_days = count(db, "pin_days")
    assert.equal(kept, 90 + pin_days)
    if _VERSION ~= "Lua 5.1" or rawget(_G, "jit") then
      assert.equal(0, pin_days)
    else
      assert.truthy(pin_days == 0 or pin_days == 30 * 90, pin_days)
    end
    sim:configure { latency_ms = 0 }
    local code2, out2, err2 = run("sync --store " .. q(db) .. " --pins " .. table.concat(pins, ",") .. " --account",
      env)
    sim:configure { latency_ms = 1500 }
    assert.equal(0, code2, err2)
    -- the pins' 90 days each (and the account's days that were not final, asked again)
    assert.truthy(out2:find(": 30 pins, ", 1, true), out2)
    assert.equal(30 * 90, count(db, "pin_days"))
    assert.equal(90, count(db, "account_days"))
  end)
end)

describe("pinanalytics.cli.main on Ctrl-C inside the progress bar", function()
  local sim
  setup(function() sim = H.start {} end)
  teardown(function() sim:stop() end)

  -- stderr as a terminal whose n-th write raises what the interpreter raises
  -- on Ctrl-C: the bar is redrawn from the client's progress callback, which
  -- the client calls under pcall
  local function interrupting(n)
    local t = { parts = {}, writes = 0 }
    function t.write(self, ...)
      self.writes = self.writes + 1
      if self.writes == n then error("interrupted!") end
      for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
      return self
    end
    function t.flush() return true end
    return t
  end

  local function sink()
    local t = { parts = {} }
    function t.write(self, ...)
      for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
      return self
    end
    function t.flush() return true end
    return t
  end

  it("is not lost: exit 130, nothing written (pin and sync)", function()
    local cli = require "pinanalytics.cli"
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local pin = { "pin" }
    for _, id in ipairs(H.ids(5, 7300000)) do pin[#pin + 1] = id end
    local cases = {
      pin,
      { "sync", "--store", tmpdir() .. "/bar.db", "--pins", table.concat(H.ids(5, 7400000), ",") },
    }
    for _, args in ipairs(cases) do
      local out, err = sink(), interrupting(2) -- the first drawing is before the requests
      local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
        isatty = function(fd) return fd == 2 end })
      local text = table.concat(err.parts)
      assert.equal(130, code, text)
      assert.equal("", table.concat(out.parts), args[1])
      assert.truthy(text:find("pinanalytics: interrupted: ", 1, true), text)
    end
  end)
end)

describe("pinanalytics when a library call raises", function()
  local sim, env
  setup(function()
    sim = H.start {}
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  -- LUA_INIT puts a bug in the library before the tool runs
  local function with_bug(init, args)
    local e = {}
    for k, v in pairs(env) do e[k] = v end
    e.LUA_INIT = init
    return run(args, e)
  end

  it("reports a bug as an internal error (exit 1, a hint to report it), never as a usage error", function()
    local bugs = {
      { "local r = require 'pinanalytics.report'; r.render = function() local t; return t.x end",
        "pin " .. PIN },
      { "local c = require('pinanalytics').pinterest { token = 't' }; getmetatable(c).__index.pins_analytics = " ..
        "function() error('lua/pinanalytics/bulk.lua:12: attempt to compare nil with number', 0) end; c:close()",
        "pin " .. PIN .. " 729090764583391194" },
    }
    for _, b in ipairs(bugs) do
      local code, out, err = with_bug(b[1], b[2])
      assert.equal(1, code, err)
      assert.equal("", out)
      assert.equal(1, #lines(err), err)
      assert.truthy(err:find("^pinanalytics: internal error: "), err)
      assert.truthy(err:find("a bug in pinanalytics", 1, true), err)
      assert.is_nil(err:find("--help", 1, true), err)
    end
  end)

  it("keeps the library's own check of what the user gave a usage error (exit 2)", function()
    local code, _, err = run("pin " .. PIN .. " --metrics IMPRESSIONS", env)
    assert.equal(2, code, err)
    assert.truthy(err:find("IMPRESSIONS", 1, true), err)
    assert.truthy(err:find("Try 'pinanalytics pin --help'.", 1, true), err)
  end)
end)

describe("pinanalytics numeric options", function()
  local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = "http://127.0.0.1:9/v5",
    ONEUP_API_KEY = "k", ONEUP_BASE_URL = "http://127.0.0.1:9" }

  -- each numeric option of each command: values out of its range, and the message
  local CASES = {
    { "pin 1 --last", "--last must be a whole number of days from 1 to 36500", { "0", "36501", "99999999999", "-3",
      "1.5", "7d", "1e3" } },
    { "account --last", "--last must be a whole number of days from 1 to 36500", { "0", "99999999999" } },
    { "top --last", "--last must be a whole number of days from 1 to 36500", { "99999999999" } },
    { "overview --last", "--last must be a whole number of days from 1 to 36500", { "99999999999" } },
    { "oneup-overview --social-network-id 1 --last", "--last must be a whole number of days from 1 to 36500",
      { "99999999999" } },
    { "oneup-posts --social-network-id 1 --last", "--last must be a whole number of days from 1 to 36500",
      { "99999999999" } },
    { "pin 1 --retries", "--retries must be a whole number from 0 to 100", { "101", "99999999999", "-1" } },
    { "top --limit", "--limit must be a whole number of pins from 1 to 50", { "0", "51", "99999999999" } },
    { "top --from-store x.db --limit", "--limit must be a whole number of pins from 1 to 100000",
      { "0", "100001", "99999999999" } },
    { "overview --pins", "--pins must be a whole number of pins from 0 to 100000", { "100001", "99999999999" } },
    { "overview --from-store x.db --pins", "--pins must be a whole number of pins from 0 to 100000",
      { "99999999999" } },
    { "sync --store x.db --account --days", "--days must be a whole number of days from 1 to 90",
      { "0", "91", "99999999999" } },
    { "simulate --latency", "--latency must be a whole number of milliseconds from 0 to 60000",
      { "60001", "99999999999" } },
    { "oneup-posts --social-network-id 1 --limit", "--limit must be a whole number of posts from 1 to 100000",
      { "0", "99999999999" } },
    { "oneup-overview --social-network-id", "--social-network-id must be the account's number (up to 20 digits)",
      { "12ab", "123456789012345678901", "-1" } },
  }

  it("refuses a value out of its range with exit 2, naming the range", function()
    for _, c in ipairs(CASES) do
      for _, v in ipairs(c[3]) do
        local args = c[1] .. " " .. q(v)
        local code, out, err = run(args, env)
        assert.equal(2, code, args .. ": " .. err)
        assert.equal("", out, args)
        assert.equal("pinanalytics: " .. c[2] .. ", got " .. v .. "\n" ..
          "Try 'pinanalytics " .. c[1]:match("^%S+") .. " --help'.\n", err)
      end
    end
  end)

  it("bounds the period --start and --end give as --last is, from a store or not, in a few seconds", function()
    -- a store that holds an account: a report from it reads every day of its period
    local db = tmpdir() .. "/period.db"
    local pa = require "pinanalytics"
    local st = assert(pa.store.open(db))
    st.db:exec("INSERT INTO accounts (account_id, username, first_synced, last_synced) VALUES ('1', 'a', 'a', 'a')")
    st:close()
    local from = " --from-store " .. q(db)
    local DATES = "must be a date from 1900-01-01 to 2199-12-31"
    local LONG = "--start and --end must give a period of 1 to 36500 days (as --last does)"
    for _, c in ipairs({
      { "account --start 0001-01-01 --end 9999-12-31" .. from, "--start " .. DATES .. ", got 0001-01-01" },
      { "account --start 2000-01-01 --end 9999-12-31" .. from, "--end " .. DATES .. ", got 9999-12-31" },
      { "pin 1 --start 1899-12-31 --end 1900-01-01" .. from, "--start " .. DATES .. ", got 1899-12-31" },
      { "pin 1 --start 2199-12-31 --end 2200-01-01" .. from, "--end " .. DATES .. ", got 2200-01-01" },
      { "pin 1 --start 1900-01-01 --end 2199-12-31" .. from, LONG .. ", got 109573 days (1900-01-01..2199-12-31)" },
      { "top --start 2000-01-01 --end 2099-12-31" .. from, LONG .. ", got 36525 days (2000-01-01..2099-12-31)" },
      { "overview --start 2000-01-01 --end 2099-12-31" .. from, LONG .. ", got 36525 days (2000-01-01..2099-12-31)" },
      { "pin 1 --start 2000-01-01 --end 2099-12-30", LONG .. ", got 36524 days (2000-01-01..2099-12-30)" },
      { "account --start 1950-01-01 --end 2049-12-31", LONG .. ", got 36525 days (1950-01-01..2049-12-31)" },
      { "oneup-posts --social-network-id 1 --start 2000-01-01 --end 2099-12-31",
        LONG .. ", got 36525 days (2000-01-01..2099-12-31)" },
    }) do
      local code, out, err = run(c[1], env, nil, 5)
      assert.equal(2, code, c[1] .. ": " .. tostring(err)) -- 124: still running after 5 s
      assert.equal("", out, c[1])
      assert.equal("pinanalytics: " .. c[2] .. "\nTry 'pinanalytics " .. c[1]:match("^%S+") .. " --help'.\n", err)
    end
    -- with no --end, the period ends yesterday
    local code, _, err = run("account --start 1900-01-01" .. from, env, nil, 5)
    assert.equal(2, code, err)
    assert.truthy(err:find("^pinanalytics: " .. LONG:gsub("%p", "%%%0") .. ", got %d+ days %(1900%-01%-01%.%.%d"), err)
  end)

  it("takes the ends of each range", function()
    local cli = require "pinanalytics.cli"
    for _, a in ipairs({ { "pin", "1", "--last", "36500" }, { "pin", "1", "--retries", "100" },
      { "top", "--limit", "50" }, { "overview", "--pins", "0" }, { "sync", "--store", "x", "--days", "90" },
      { "simulate", "--latency", "0" } }) do
      assert.equal(a[#a], cli.parse(a).opts[a[#a - 1]])
    end
    -- the largest period is a valid one: the store is looked for (and is not there: exit 1)
    local code, _, err = run("pin 1 --last 36500 --from-store /nonexistent/x.db", env)
    assert.equal(1, code, err)
    assert.equal("pinanalytics: /nonexistent/x.db is not a pinanalytics store (no such file): `pinanalytics sync " ..
      "--store /nonexistent/x.db --all-pins --account` fills it\n", err)
    -- and so are the longest --start/--end, and the first and last dates
    for _, p in ipairs({ "--start 1926-01-01 --end 2025-12-06", "--start 1900-01-01 --end 1900-01-01",
      "--start 2199-12-31 --end 2199-12-31", "--start 2100-01-25 --end 2199-12-31" }) do
      code, _, err = run("pin 1 " .. p .. " --from-store /nonexistent/x.db", env, nil, 5)
      assert.equal(1, code, p .. ": " .. err)
      assert.truthy(err:find("is not a pinanalytics store", 1, true), p .. ": " .. err)
    end
  end)
end)
