-- bin/pinanalytics and the local store: `pinanalytics sync` fills a store,
-- `--from-store` reads the reports from it, against the simulator.
local cjson = require "cjson"
local H = require "helpers.sim"
local S = require "helpers.store"
local cli = require "pinanalytics.cli"
local data = require "pinanalytics.simulator.data"
local dates = require "pinanalytics.dates"
local pa = require "pinanalytics"

local q = S.quote

local C = require "helpers.cli"
local read, run, lines = C.read, C.run, C.lines

local dir
local function fresh_db()
  if not dir then
    local h = assert(io.popen("mktemp -d /tmp/pa-cli-store-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end
  local h = assert(io.popen("mktemp -u " .. q(dir .. "/store.XXXXXX")))
  local p = h:read("*l") .. ".db"
  h:close()
  return p
end

teardown(function()
  if dir then os.execute("rm -rf " .. q(dir)) end
end)

-- The figures of sync's summary line.
local function summary(out)
  local l = lines(out)
  assert.equal(1, #l, out)
  local s = l[1]
  local n = {}
  for _, k in ipairs({ "pins?", "requests?", "days? written", "days? not READY yet", "errors?" }) do
    local v = s:match("(%d+) " .. k)
    assert(v, "no '" .. k .. "' in: " .. s)
    n[#n + 1] = tonumber(v)
  end
  return { pins = n[1], requests = n[2], written = n[3], not_ready = n[4], errors = n[5], line = s }
end

-- A file handle that keeps what is written to it.
local function sink()
  local t = { parts = {} }
  function t.write(self, ...)
    for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
    return self
  end
  function t.flush() return true end
  function t.text(self) return table.concat(self.parts) end
  return t
end

local PINS = data.account_pins(5)
table.sort(PINS)

describe("pinanalytics sync and --from-store", function()
  local sim, env, db
  setup(function()
    sim = H.start { pins_count = 5, missing_pins = { "404404" } }
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    db = fresh_db()
  end)
  teardown(function() sim:stop() end)

  describe("help", function()
    it("sync --help names its options and gives an example; the tool's help lists sync", function()
      assert.same({ "pin", "account", "top", "overview", "sync", "oneup-overview", "oneup-posts", "login", "accounts",
        "logout", "simulate", "ads" },
        cli.COMMANDS)
      for _, form in ipairs({ "sync --help", "help sync", "sync -h" }) do
        local code, out, err = run(form)
        assert.equal(0, code, form)
        assert.equal("", err)
        assert.truthy(out:find("^usage: pinanalytics sync "), out)
        for _, o in ipairs({ "--store", "--pins", "--all-pins", "--account", "--days", "--token-file", "--base-url",
          "postgresql://", "Exit status", "\nExample" }) do
          assert.truthy(out:find(o, 1, true), o .. " not in sync --help")
        end
        assert.truthy(out:find("\n  pinanalytics sync --store ", 1, true), out)
      end
      local _, main = run("--help")
      assert.truthy(main:find("\n  sync ", 1, true), main)
      for _, cmd in ipairs({ "pin", "account", "top", "overview" }) do
        local code, out = run(cmd .. " --help")
        assert.equal(0, code)
        assert.truthy(out:find("--from-store", 1, true), cmd .. " --help says nothing of --from-store")
        assert.truthy(out:find("--account-name", 1, true), cmd .. " --help says nothing of --account-name")
      end
    end)
  end)

  describe("sync", function()
    it("fills the store, prints a one-line summary and exits 0; a second sync asks for the tail alone", function()
      local code, out, err = run("sync --store " .. q(db) .. " --all-pins --account", env)
      assert.equal(0, code, err)
      assert.equal("", err)
      local s = summary(out)
      -- user_account, the account's 90 days, GET /pins, the five pins' 90 days in one request, and
      -- GET /boards for the names of the pins' boards (what the pins are comes with GET /pins)
      assert.same({ pins = 5, requests = 5, written = 6 * 90, not_ready = 6 * 2, errors = 0 },
        { pins = s.pins, requests = s.requests, written = s.written, not_ready = s.not_ready, errors = s.errors })
      assert.truthy(s.line:find(db, 1, true), s.line)
      assert.truthy(s.line:find("simulated_account", 1, true), s.line)
      local st = assert(pa.store.open(db))
      assert.same(PINS, st:pins())
      for _, pin in ipairs(PINS) do assert.equal(90, st:coverage(pin).days) end
      assert.equal(90, st:coverage("account").days)
      st:close()
      code, out, err = run("sync --store " .. q(db) .. " --pins " .. table.concat(PINS, ",") .. " --account", env)
      assert.equal(0, code, err)
      s = summary(out)
      assert.same({ 3, 6 * 2, 6 * 2, 0 }, { s.requests, s.written, s.not_ready, s.errors })
    end)

    it("--days N holds the last N days", function()
      local path = fresh_db()
      local code, out, err = run("sync --store " .. q(path) .. " --pins " .. PINS[1] .. " --days 7", env)
      assert.equal(0, code, err)
      assert.equal(7, summary(out).written)
      local st = assert(pa.store.open(path))
      local cov = st:coverage(PINS[1])
      assert.same({ 7, H.day(-7), H.day(-1) }, { cov.days, cov.first, cov.last })
      st:close()
    end)

    it("exits 1 when some pins fail: the summary, then a line a pin and the count on stderr", function()
      local path = fresh_db()
      local code, out, err = run("sync --store " .. q(path) .. " --pins " .. PINS[1] .. ",404404", env)
      assert.equal(1, code)
      local s = summary(out)
      assert.same({ 2, 90, 1 }, { s.pins, s.written, s.errors })
      local l = lines(err)
      assert.equal(2, #l, err)
      assert.truthy(l[1]:find("^pinanalytics: pin 404404: not_found: "), l[1])
      assert.truthy(l[2]:find("^pinanalytics: 1 of 2 pins failed"), l[2])
      assert.is_nil(err:find(H.TOKEN, 1, true))
    end)

    it("exits 1 when the sync stops early, saying why on its last line", function()
      local path = fresh_db()
      local code, out, err = run("sync --store " .. q(path) .. " --pins 1,2 --account",
        { PINTEREST_ACCESS_TOKEN = "not-the-token", PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(1, code)
      assert.equal(0, summary(out).written)
      local l = lines(err)
      assert.truthy(l[#l]:find("^pinanalytics: the sync stopped early: auth: "), err)
      assert.is_nil(err:find("not-the-token", 1, true))
    end)

    it("exits 2 on a usage error, before anything is asked or written", function()
      local path = fresh_db()
      sim:clear_log()
      local cases = {
        { "sync --pins 1", "--store" },
        { "sync --store " .. q(path), "nothing to sync" },
        { "sync --store " .. q(path) .. " --pins 1 --all-pins", "--all-pins" },
        { "sync --store " .. q(path) .. " --pins 12ab", "12ab" },
        { "sync --store " .. q(path) .. " --pins ,", "--pins" },
        { "sync --store " .. q(path) .. " --account --days 91", "--days" },
        { "sync --store " .. q(path) .. " --account --days 0", "--days" },
        { "sync --store " .. q(path) .. " --account extra", "extra" },
        { "sync --store " .. q(path) .. " --account --format csv", "unknown option --format" },
        { "sync --store mysql://db/x --account", "postgresql://" },
        { "sync --store '' --account", "--store" },
      }
      for _, c in ipairs(cases) do
        local code, out, err = run(c[1], env)
        assert.equal(2, code, c[1] .. ": " .. err)
        assert.equal("", out, c[1])
        assert.truthy(err:find(c[2], 1, true), c[1] .. ": " .. err)
        assert.truthy(err:find("--help", 1, true), c[1] .. ": " .. err)
      end
      -- no token: a usage error too
      local code, _, err = run("sync --store " .. q(path) .. " --account", { PINTEREST_BASE_URL = sim.pinterest_url })
      assert.equal(2, code)
      assert.truthy(err:find("PINTEREST_ACCESS_TOKEN", 1, true), err)
      assert.equal(0, #sim:requests())
      assert.is_nil(read(path))
    end)
  end)

  describe("--from-store", function()
    local function json(args, e)
      local code, out, err = run(args .. " --format json", e)
      assert.equal(0, code, args .. ": " .. err)
      return cjson.decode(out)
    end

    -- a report's data without its source
    local function body(r)
      r.source = nil
      return r
    end

    it("pin: the same report as from the API for the same range, without a token, naming its source", function()
      for _, period in ipairs({ "--last 30", "--last 90", "--start " .. H.day(-20) .. " --end " .. H.day(-5) }) do
        local api = json("pin " .. PINS[1] .. " " .. period, env)
        local local_ = json("pin " .. PINS[1] .. " " .. period .. " --from-store " .. q(db))
        assert.equal("Pinterest", api.source)
        assert.equal("Pinterest (local store " .. db .. ")", local_.source)
        assert.same(body(api), body(local_))
      end
      -- the text report says where its figures come from
      local code, out = run("pin " .. PINS[1] .. " --from-store " .. q(db))
      assert.equal(0, code)
      assert.truthy(out:find("\nSource: Pinterest (local store " .. db .. ")\n", 1, true), out)
      -- several pins: the same rows
      local ids = table.concat(PINS, " ")
      local _, a = run("pin " .. ids .. " --last 14 --format csv", env)
      local _, b = run("pin " .. ids .. " --last 14 --format csv --from-store " .. q(db))
      assert.equal(a, b)
      assert.equal(6, #lines(b))
    end)

    it("account and overview: the same figures as from the API", function()
      local api = json("account --last 30", env)
      local local_ = json("account --last 30 --from-store " .. q(db))
      assert.equal("Pinterest (local store " .. db .. ")", local_.source)
      assert.same(body(api), body(local_))
      -- the overview, with the rankings of the same five pins
      api = json("overview --last 14 --pins 5", env)
      local_ = json("overview --last 14 --from-store " .. q(db))
      assert.equal("Pinterest (local store " .. db .. ")", local_.source)
      assert.truthy(#local_.rankings > 0)
      assert.same(body(api), body(local_))
    end)

    it("top: the pins held, ranked over the period", function()
      local r = json("top --last 30 --sort-by SAVE --limit 3 --from-store " .. q(db))
      assert.equal("Pinterest (local store " .. db .. ")", r.source)
      assert.equal(3, #r.pins)
      -- the order of their totals from the API
      local totals = {}
      local c = H.client(sim)
      local results = c:pins_analytics(PINS, { range = dates.last(30), metric_types = { "SAVE" } })
      c:close()
      for _, pin in ipairs(PINS) do totals[#totals + 1] = { pin, pa.frame(results[pin]):sum("SAVE") } end
      table.sort(totals, function(x, y) return x[2] > y[2] or (x[2] == y[2] and x[1] < y[1]) end)
      for i = 1, 3 do
        assert.equal(totals[i][1], r.pins[i].id)
        assert.equal(totals[i][2], r.pins[i].values.SAVE)
      end
      local code, _, err = run("top --sort-by ENGAGEMENT --from-store " .. q(db))
      assert.equal(2, code)
      assert.truthy(err:find("ENGAGEMENT", 1, true), err)
      code, _, err = run("top --video --from-store " .. q(db))
      assert.equal(2, code)
      assert.truthy(err:find("--video", 1, true), err)
    end)

    it("says what is missing: a pin not held, a store that does not exist, API options", function()
      local code, out, err = run("pin 999 --from-store " .. q(db))
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find("^pinanalytics: the store holds no day of pin 999 "), err)
      assert.truthy(err:find("pinanalytics sync", 1, true), err)
      local missing = fresh_db()
      code, out, err = run("account --from-store " .. q(missing))
      assert.equal(1, code)
      assert.equal("", out)
      assert.truthy(err:find(missing .. " is not a pinanalytics store (no such file)", 1, true), err)
      assert.is_nil(read(missing)) -- reading does not create it
      for _, c in ipairs({
        { "account --from-store " .. q(db) .. " --base-url http://127.0.0.1:1/v5", "--base-url" },
        { "account --from-store " .. q(db) .. " --retries 2", "--retries" },
        { "account --account-name simulated_account", "--from-store" },
        { "account --from-store " .. q(db) .. " --account-name nobody", "simulated_account" },
        { "oneup-posts --social-network-id 1 --from-store " .. q(db), "unknown option --from-store" },
        { "pin " .. PINS[1] .. " --from-store " .. q(db) .. " --metrics ENGAGEMENT", "ENGAGEMENT" },
      }) do
        code, out, err = run(c[1], env)
        assert.equal(2, code, c[1] .. ": " .. err)
        assert.equal("", out)
        assert.truthy(err:find(c[2], 1, true), c[1] .. ": " .. err)
      end
    end)

    it("a store of several accounts needs --account-name, and lists them otherwise", function()
      local path = fresh_db()
      assert.equal(0, (run("sync --store " .. q(path) .. " --pins " .. PINS[1] .. " --days 5", env)))
      local other = data.user_account(H.TODAY)
      other.id, other.username = "7000000000000042", "o'brien"
      sim:configure { override = { ["/v5/user_account"] = { status = 200,
        body = require("pinanalytics.simulator").encode_json(other) } } }
      local code, out, err = run("sync --store " .. q(path) .. " --pins " .. PINS[2] .. " --days 3", env)
      sim:configure {}
      assert.equal(0, code, err)
      assert.truthy(out:find("o'brien", 1, true), out)
      code, out, err = run("pin " .. PINS[1] .. " --from-store " .. q(path))
      assert.equal(2, code)
      assert.equal("", out)
      assert.truthy(err:find("holds 2 accounts", 1, true), err)
      assert.truthy(err:find("o'brien (7000000000000042)", 1, true), err)
      assert.truthy(err:find("simulated_account (" .. data.ACCOUNT_ID .. ")", 1, true), err)
      assert.truthy(err:find("--account-name", 1, true), err)
      local r = json("pin " .. PINS[1] .. " --last 5 --from-store " .. q(path) .. " --account-name simulated_account")
      assert.equal(5, #r.days)
      r = json("pin " .. PINS[2] .. " --last 3 --from-store " .. q(path) .. " --account-name 7000000000000042")
      assert.equal(3, #r.days)
    end)
  end)

  describe("a postgresql:// store", function()
    local SECRET = "pw-5e8c1d9b"
    it("never shows the URI's password: not in a connection error, nor in a usage error", function()
      for _, uri in ipairs({ "postgresql://pa:" .. SECRET .. "@127.0.0.1:1/analytics",
        "postgresql://pa@127.0.0.1:1/analytics?password=" .. SECRET .. "&connect_timeout=2" }) do
        for _, c in ipairs({
          { "sync --store " .. q(uri) .. " --account", 1 },
          { "account --from-store " .. q(uri), 1 },
          { "sync --store " .. q(uri), 2 }, -- nothing to sync
          { "pin 1 --from-store " .. q(uri) .. " --retries 3", 2 },
        }) do
          local code, out, err = run(c[1], env)
          assert.equal(c[2], code, c[1] .. ": " .. err)
          assert.equal("", out)
          assert.is_nil(err:find(SECRET, 1, true), c[1] .. ": " .. err)
          assert.truthy(err:find("^pinanalytics: "), err)
        end
      end
    end)
  end)
end)

describe("pinanalytics sync and --from-store in this process", function()
  local sim, D
  setup(function()
    sim = H.start {}
    D = dates.parse(H.TODAY)
  end)
  teardown(function() sim:stop() end)

  -- cli.main on day `day` (a day number): the simulator's today and the tool's
  local function main(args, day, tty)
    sim:configure { today = dates.format(day) }
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function(fd) return tty and fd == 2 end, clock = function() return day * 86400 + 43200 end })
    return code, out:text(), err:text()
  end

  it("reads a period beyond the API's 90 days: synced ten days ago, then today", function()
    local db = fresh_db()
    local pins = H.ids(3, 7600000)
    local code, out, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--account" }, D - 10)
    assert.equal(0, code, err)
    assert.equal(4 * 90, summary(out).written)
    sim:clear_log()
    code, out, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--account" }, D)
    assert.equal(0, code, err)
    local s = summary(out)
    -- the ten new days and the two that were not final, for the account and the three pins
    assert.same({ 3, 4 * 12 }, { s.requests, s.written })
    for _, req in ipairs(S.analytics_requests(sim)) do
      assert.same({ dates.format(D - 12), dates.format(D - 1) }, { req.start_date, req.end_date })
    end

    -- 100 days, from the store; the API serves 90
    code, out, err = main({ "pin", pins[1], "--last", "100", "--format", "json" }, D)
    assert.equal(2, code)
    assert.equal("", out)
    assert.truthy(err:find("90", 1, true), err)
    code, out, err = main({ "pin", pins[1], "--last", "100", "--format", "json", "--from-store", db }, D)
    assert.equal(0, code, err)
    local r = cjson.decode(out)
    assert.equal(100, r.current.days)
    assert.equal(100, #r.days)
    assert.equal(dates.format(D - 100), r.days[1].date)
    for i, day in ipairs(r.days) do
      local want = data.daily(pins[1], day.date, "ALL", H.TODAY)
      assert.equal(data.status(day.date, H.TODAY), day.status, day.date)
      for _, m in ipairs({ "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" }) do
        assert.equal(want[m], day.values[m], day.date .. " " .. m .. " (" .. i .. ")")
      end
    end
    -- the account and an overview of 50 days against the 50 before
    code, out, err = main({ "account", "--last", "100", "--format", "json", "--from-store", db }, D)
    assert.equal(0, code, err)
    assert.equal(100, #cjson.decode(out).days)
    code, out, err = main({ "overview", "--last", "50", "--format", "json", "--from-store", db }, D)
    assert.equal(0, code, err)
    r = cjson.decode(out)
    assert.same({ dates.format(D - 100), dates.format(D - 51), 50 },
      { r.previous.start_date, r.previous.end_date, r.previous.days })
    assert.is_false(r.periods_differ)
    -- longer: the previous period is the one asked, and the report says what the store holds of it
    code, out, err = main({ "overview", "--last", "60", "--pins", "0", "--format", "json", "--from-store", db }, D)
    assert.equal(0, code, err)
    r = cjson.decode(out)
    assert.same({ dates.format(D - 120), 60, 40 }, { r.previous.start_date, r.previous.days,
      r.previous.days_with_figures })
    assert.is_false(r.periods_differ)
    assert.is_true(r.coverage_differs)
  end)

  it("draws the progress bar on a terminal, and none elsewhere", function()
    local db = fresh_db()
    local pins = H.ids(4, 7610000)
    local code, out, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ",") }, D, true)
    assert.equal(0, code, err)
    assert.equal(4 * 90, summary(out).written)
    local _
    assert.truthy(err:find("^\r0/4 pins %["), err)
    assert.truthy(err:find("\r4/4 pins %[" .. ("█"):rep(24) .. "%] 0 failed, [%d.]+ pins/s, done in 0:0%d\27%[K\n$"),
      err)
    code, _, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ",") }, D, false)
    assert.equal(0, code)
    assert.equal("", err)
    code, _, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--no-progress" }, D, true)
    assert.equal(0, code)
    assert.equal("", err)
  end)
end)

describe("--from-store never writes the store", function()
  local REPORTS = { "pin 7960001 --last 7", "account --last 7", "top --last 7", "overview --last 7 --pins 0" }

  -- the names in directory d, sorted
  local function listing(d)
    local h = assert(io.popen("ls -A " .. q(d)))
    local s = h:read("*a")
    h:close()
    return s
  end

  -- a store at schema version 1 holding one account, as an older
  -- pinanalytics left it
  local function version_1(target)
    local st = assert(pa.store.open(target, { schema_version = 1 }))
    st.db:exec("INSERT INTO accounts (account_id, username, first_synced, last_synced) VALUES " ..
      "('1', 'reader', 'a', 'a')")
    st:close()
  end

  -- runs every report on target: each exits 1 with nothing on stdout and
  -- one line on stderr that check(err) accepts; target's file (when it is
  -- one) keeps its bytes and its directory gets no new file
  local function refused(target, check)
    local d = not target:match("^postgres") and target:match("^(.*)/[^/]*$")
    local before, names = read(target), d and listing(d)
    for _, r in ipairs(REPORTS) do
      local code, out, err = run(r .. " --from-store " .. q(target))
      assert.equal(1, code, r .. ": " .. err)
      assert.equal("", out, r)
      assert.equal(1, #lines(err), err)
      check(err, r)
      assert.equal(before, read(target), r .. ": the store's file changed")
      if d then assert.equal(names, listing(d), r .. ": a file was created beside the store") end
    end
  end

  local function not_a_store(target, why)
    return function(err, r)
      assert.equal("pinanalytics: " .. target .. " is not a pinanalytics store (" .. why .. "): `pinanalytics " ..
        "sync --store " .. target .. " --all-pins --account` fills it\n", err, r)
    end
  end

  it("a path with no file: an error, and no file created", function()
    local path = fresh_db()
    refused(path, not_a_store(path, "no such file"))
    assert.is_nil(read(path))
  end)

  it("an empty file: an error, and the file stays empty", function()
    local path = fresh_db()
    assert(io.open(path, "wb")):close()
    refused(path, not_a_store(path, "an empty file"))
    assert.equal("", read(path))
  end)

  it("a SQLite database without the store's tables: an error, and the file unchanged", function()
    local path = fresh_db()
    local env = require("luasql.sqlite3").sqlite3()
    local con = assert(env:connect(path))
    assert(con:execute("CREATE TABLE notes (x TEXT)"))
    con:close()
    env:close()
    refused(path, not_a_store(path, "no pinanalytics tables in it"))
  end)

  it("a store that needs migrating: says to run a sync first, and is not migrated", function()
    local path = fresh_db()
    version_1(path)
    refused(path, function(err, r)
      assert.truthy(err:find("^pinanalytics: the store " .. path:gsub("%p", "%%%0") .. " is at schema version 1 " ..
        "and needs migrating to version " .. pa.store.SCHEMA_VERSION .. ", which a report does not do: "), r .. ": " .. err)
      assert.truthy(err:find("`pinanalytics sync --store " .. path, 1, true), r .. ": " .. err)
    end)
    local st = assert(pa.store.open(path, { read_only = true, schema_version = 1 }))
    assert.equal(1, st.schema_version)
    st:close()
  end)

  it("on PostgreSQL: an empty database gets no table, a store of version 1 stays at 1", function()
    local pg, why = require("helpers.pg").start()
    if not pg then pending(why) return end
    local ok, e = pcall(function()
      local empty = pg.uri("never_written")
      refused(empty, not_a_store(empty, "no pinanalytics tables in it"))
      local db = require("pinanalytics.store.db").open(empty, { read_only = true })
      assert.equal(0, S.num(db:rows("SELECT COUNT(*) FROM information_schema.tables " ..
        "WHERE table_schema = current_schema()")[1][1]))
      db:close()
      local st
      local old = pg.uri("version_one")
      version_1(old)
      refused(old, function(err, r)
        assert.truthy(err:find("is at schema version 1 and needs migrating to version " .. pa.store.SCHEMA_VERSION ..
          ", which a report does not do", 1, true), r .. ": " .. err)
        assert.truthy(err:find("`pinanalytics sync --store " .. old, 1, true), r .. ": " .. err)
      end)
      st = assert(pa.store.open(old, { read_only = true, schema_version = 1 }))
      assert.equal(1, S.num(st.db:rows("SELECT MAX(version) FROM schema_version")[1][1]))
      st:close()
    end)
    pg.stop()
    assert(ok, e)
  end)
end)
