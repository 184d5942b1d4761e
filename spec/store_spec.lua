-- pinanalytics.store on SQLite: the shared checks (spec/helpers/store.lua),
-- the schema's versions, an interrupted process, two writers at once.
local H = require "helpers.sim"
local S = require "helpers.store"
local X = require "helpers.child"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"

local dir
local function tmpdir()
  if not dir then
    local h = assert(io.popen("mktemp -d /tmp/pa-store-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end
  return dir
end
local seq = 0
local function fresh_path()
  seq = seq + 1
  return tmpdir() .. "/store" .. seq .. ".db"
end

teardown(function()
  if dir then os.execute("rm -rf " .. S.quote(dir)) end
end)

describe("store (SQLite)", function()
  S.contract(function() return pa.store.open(fresh_path()) end,
    { setup = setup, teardown = teardown, before_each = before_each, it = it })
end)

describe("store: opening", function()
  it("is reached as pa.store and loads only when used", function()
    assert.equal(require("pinanalytics.store"), pa.store)
    assert.is_function(pa.store.open)
  end)

  it("creates the schema at its latest version, recorded in schema_version", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path))
    assert.equal(pa.store.SCHEMA_VERSION, st.schema_version)
    assert.equal(0, st.migrated_from)
    assert.equal("sqlite", st.dialect)
    local rows = st.db:rows("SELECT version FROM schema_version ORDER BY version")
    assert.equal(pa.store.SCHEMA_VERSION, #rows)
    st:close()
    st = assert(pa.store.open(path)) -- again: nothing to do
    assert.equal(pa.store.SCHEMA_VERSION, st.migrated_from)
    st:close()
  end)

  it("migrates an older store forward and keeps what it holds", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path, { schema_version = 1 }))
    assert.equal(1, st.schema_version)
    st.db:exec("INSERT INTO accounts (account_id, username, first_synced, last_synced) VALUES ('1', 'kept', 'a', 'b')")
    assert.is_false(pcall(st.db.rows, st.db, "SELECT * FROM oneup_snapshots"))
    st:close()
    st = assert(pa.store.open(path))
    assert.equal(1, st.migrated_from)
    assert.equal(pa.store.SCHEMA_VERSION, st.schema_version)
    assert.same({}, st:oneup_snapshots())
    assert.equal("kept", st:accounts()[1].username)
    st:close()
  end)

  it("refuses a store newer than this code, with a clear error", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path))
    st.db:exec("INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')")
    st:close()
    local none, err = pa.store.open(path)
    assert.is_nil(none)
    assert.equal("store", err.kind)
    assert.matches("schema version 99, newer than this pinanalytics knows", err.message, 1, true)
  end)

  it("says what is wrong with a target it cannot open", function()
    local none, err = pa.store.open(tmpdir() .. "/no/such/dir/x.db")
    assert.is_nil(none)
    assert.equal("store", err.kind)
    assert.matches("no/such/dir/x.db", tostring(err), 1, true)
    assert.has_error(function() pa.store.open(42) end)
    assert.has_error(function() pa.store.open("mysql://x/y") end)
    assert.has_error(function() pa.store.open("x.db", { busy = 1 }) end)
    local st = assert(pa.store.open(":memory:"))
    st:close()
    assert.has_error(function() st:pins() end) -- closed
    assert.has_error(function() pa.store.Store.pins({}) end) -- not a store
  end)

  it("never shows a postgresql:// URI's password, in its user info or its query", function()
    local secret = "pw-3b9d0e6a"
    for _, uri in ipairs({ "postgresql://pa:" .. secret .. "@127.0.0.1:1/nothing",
      "postgresql://pa@127.0.0.1:1/nothing?connect_timeout=2&password=" .. secret,
      "postgres://pa@127.0.0.1:1/nothing?password=" .. secret:gsub("%-", "%%2D") }) do
      local none, err = pa.store.open(uri)
      assert.is_nil(none)
      assert.equal("store", err.kind)
      H.assert_no_secret(err, secret)
      H.assert_no_secret(err, (secret:gsub("%-", "%%2D")))
    end
  end)

  it("checks sync's arguments before anything is sent", function()
    local st = assert(pa.store.open(":memory:"))
    local sim = H.start {}
    local c = H.client(sim)
    sim:clear_log()
    for _, bad in ipairs({
      { pins = { 123 } }, { pins = "some" }, { days = 91 }, { days = 0 }, { chunk = 0 }, { on_progress = 1 },
      { pins = { "1" }, on_start = "yes" },
      {}, { pins = { "1" }, account = "yes" }, { pins = { "1" }, window = 3 },
    }) do
      assert.has_error(function() st:sync(c, bad) end)
    end
    assert.has_error(function() st:sync({}, { pins = { "1" } }) end)
    assert.equal(0, #sim:requests())
    c:close()
    sim:stop()
    st:close()
  end)

  it("writes numbers exactly and strings as given (NUL bytes too), refusing what it cannot hold", function()
    local st = assert(pa.store.open(":memory:"))
    local db = st.db
    db:exec("CREATE TABLE t (v NUMERIC, s TEXT)")
    local values = { 0, 3000000000, 2 ^ 53, 0.1, 1 / 3, -7, 1e300 }
    for _, v in ipairs(values) do db:exec("INSERT INTO t (v) VALUES (" .. db:lit(v) .. ")") end
    local rows = db:rows("SELECT v FROM t")
    for i, v in ipairs(values) do assert.equal(v, db.num(rows[i][1])) end
    db:exec("INSERT INTO t (s) VALUES (" .. db:lit("it's; DROP TABLE t; --") .. ")")
    assert.equal("it's; DROP TABLE t; --", db:rows("SELECT s FROM t WHERE s IS NOT NULL")[1][1])
    db:exec("INSERT INTO t (s) VALUES (" .. db:lit("a\0b'\\") .. ")")
    assert.equal("a\0b'\\", db:rows("SELECT s FROM t WHERE s LIKE 'a%'")[1][1])
    for _, bad in ipairs({ 0 / 0, math.huge, {} }) do
      local ok, err = pcall(db.lit, db, bad)
      assert.is_false(ok)
      assert.equal("store", err.kind)
    end
    st:close()
  end)
end)

describe("store: sync's on_start", function()
  it("is called once, before the first pins request, with the pins that need one", function()
    local st = assert(pa.store.open(":memory:"))
    local sim = H.start {}
    local c = H.client(sim)
    local pins = H.ids(3, 7830000)
    local calls = {}
    local function hooks()
      return {
        on_start = function(total, res)
          calls[#calls + 1] = { "start", total, res.pins, #S.analytics_requests(sim) }
        end,
        on_progress = function(done, total) calls[#calls + 1] = { "progress", done, total } end,
      }
    end
    sim:clear_log()
    local o = hooks()
    o.pins = pins
    assert.is_nil(select(2, st:sync(c, o)))
    assert.same({ { "start", 3, 3, 0 }, { "progress", 3, 3 } }, calls)
    -- the same day again: the pin needs its two-day tail
    calls = {}
    sim:clear_log()
    o = hooks()
    o.pins = { pins[1] }
    assert.is_nil(select(2, st:sync(c, o)))
    assert.same({ { "start", 1, 1, 0 }, { "progress", 1, 1 } }, calls)
    -- no pins: not called
    calls = {}
    o = hooks()
    o.account = true
    assert.is_nil(select(2, st:sync(c, o)))
    assert.same({}, calls)
    c:close()
    sim:stop()
    st:close()
  end)
end)

describe("store: processes", function()
  local sim
  setup(function() sim = H.start { latency_ms = 20 } end)
  teardown(function() if sim then sim:stop() end end)

  local function run(path, pins, chunk, kill_after)
    local cmd = table.concat({ X.bounded(300, S.LUA), "spec/helpers/store_sync.lua", S.quote(path), S.quote(sim.pinterest_url),
      S.quote(sim.token), H.TODAY, table.concat(pins, ","), tostring(chunk or 500), kill_after and tostring(kill_after)
      or "" }, " ")
    return cmd
  end

  local function capture(cmd)
    local h = assert(io.popen(cmd .. " 2>&1"))
    local out = h:read("*a")
    h:close()
    return out
  end

  it("a process killed half way loses nothing written, and the next sync completes it", function()
    local path = fresh_path()
    local pins = H.ids(8, 7800000)
    sim:configure { latency_ms = 20, refuse_multi = 404 }
    local out = capture(run(path, pins, 2, 2))
    assert.not_matches("done", out) -- it never got to its end
    local st = assert(pa.store.open(path))
    assert.equal("ok", st.db:rows("PRAGMA integrity_check")[1][1])
    local complete = 0
    for _, pin in ipairs(pins) do
      local n = st:coverage(pin).days
      assert(n == 0 or n == 90, pin .. " holds " .. n .. " days")
      if n == 90 then complete = complete + 1 end
    end
    assert.equal(4, complete)
    sim:clear_log()
    local c = H.client(sim)
    local res, err = st:sync(c, { pins = pins })
    assert.is_nil(err)
    assert.equal(4 * 90 + 4 * 2, res.days_written)
    local D = dates.parse(H.TODAY)
    local full = 0
    for _, q in ipairs(S.analytics_requests(sim)) do
      if q.start_date == dates.format(D - 90) then full = full + 1 else
        assert.equal(dates.format(D - 2), q.start_date)
      end
    end
    assert.equal(4, full)
    for _, pin in ipairs(pins) do assert.equal(90, st:coverage(pin).days) end
    c:close()
    st:close()
  end)

  it("two syncs on one file at once: both finish, the file is sound, every day held once", function()
    local path = fresh_path()
    assert(pa.store.open(path)):close() -- the schema first, so that both only write
    local a, b = H.ids(12, 7810000), H.ids(12, 7810006) -- six pins in common
    sim:configure { latency_ms = 20, refuse_multi = 404 }
    local out = capture("(" .. run(path, a, 2) .. " & " .. run(path, b, 2) .. " & wait) 2>&1")
    local n = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^done %d+ %d+ %-$") then n = n + 1 end
    end
    assert.equal(2, n, out)
    local st = assert(pa.store.open(path))
    assert.equal("ok", st.db:rows("PRAGMA integrity_check")[1][1])
    local pins = st:pins()
    assert.equal(18, #pins)
    for _, pin in ipairs(pins) do
      local cov = st:coverage(pin)
      assert.equal(90, cov.days)
      assert.same({}, cov.missing)
    end
    assert.equal(18 * 90, S.num(st.db:rows("SELECT COUNT(*) FROM pin_days")[1][1]))
    st:close()
  end)

  it("a writer that waits longer than busy_timeout fails with a clear error, writing nothing", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path, { busy_timeout = 200 }))
    local holder = assert(pa.store.open(path))
    holder.db:exec("BEGIN IMMEDIATE") -- another writer in the middle of its transaction
    sim:configure { latency_ms = 0 }
    local c = H.client(sim)
    local res, err = st:sync(c, { pins = H.ids(2, 7820000) })
    assert.is_table(err)
    assert.equal("store", err.kind)
    assert.is_true(err.busy)
    assert.matches("is locked by another writer", err.message, 1, true)
    assert.matches("busy timeout (200 ms)", err.message, 1, true)
    assert.equal(err, res.errors.store)
    holder.db:exec("ROLLBACK")
    holder:close()
    assert.same({}, st:accounts())
    -- once the other writer is done, the same sync goes through
    res, err = st:sync(c, { pins = H.ids(2, 7820000) })
    assert.is_nil(err)
    assert.equal(180, res.days_written)
    c:close()
    st:close()
  end)
end)
