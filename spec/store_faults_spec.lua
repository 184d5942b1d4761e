-- The store's fault matrix: a sync killed at every step, a PostgreSQL
-- server restarted under it, a disk that fills, a lock held past the busy
-- timeout, a store of a newer version, a file that is not a database. Each
-- ends with what was committed intact, a clear error of kind "store", and a
-- store that a second sync completes to the simulator's figures.
local H = require "helpers.sim"
local S = require "helpers.store"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"

local D = dates.parse(H.TODAY)
local DAYS = 5
local PINS = H.ids(3, 7950000)
table.sort(PINS)

local dir
local function tmpdir()
  if not dir then
    local h = assert(io.popen("mktemp -d /tmp/pa-store-faults.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end
  return dir
end
local seq = 0
local function fresh_path(where)
  seq = seq + 1
  return (where or tmpdir()) .. "/store" .. seq .. ".db"
end

local function capture(cmd)
  local h = assert(io.popen(cmd .. " 2>&1"))
  local out = h:read("*a")
  h:close()
  return out
end

local function read_bytes(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function count(st, sql)
  return S.num(st.db:rows(sql)[1][1])
end

-- Days held of each pin (by id) and of the account.
local function held(st)
  local out = { account = 0 }
  if count(st, "SELECT COUNT(*) FROM accounts") > 0 then out.account = st:coverage("account").days end
  for _, pin in ipairs(PINS) do
    out[pin] = count(st, "SELECT COUNT(*) FROM pin_days d JOIN pins p ON p.pin_key = d.pin_key WHERE p.pin_id = " ..
      st.db:lit(pin))
  end
  return out
end

-- Every pin and the account hold the DAYS days, equal to the simulator's.
local function assert_complete(st)
  for _, pin in ipairs(PINS) do
    local cov = st:coverage(pin)
    assert.equal(DAYS, cov.days)
    S.assert_simulator_data(st:frame(pin), pin, D - DAYS, D - 1, function() return D end)
  end
  S.assert_simulator_data(st:frame("account"), nil, D - DAYS, D - 1, function() return D end)
end

local function sync(st, c, opts)
  local o = { pins = PINS, account = true, days = DAYS, chunk = 1 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return st:sync(c, o)
end

local sim
setup(function() sim = H.start {} end)
teardown(function()
  if sim then sim:stop() end
  if dir then os.execute("rm -rf " .. S.quote(dir)) end
end)
before_each(function() sim:configure {} end)

describe("store fault matrix: a process killed", function()
  -- the sync in a process of its own (spec/helpers/store_sync.lua)
  local function child(path, kill_step)
    return capture((kill_step and ("PA_SYNC_KILL_STEP=" .. kill_step .. " ") or "") ..
      "PA_SYNC_ACCOUNT=1 PA_SYNC_DAYS=" .. DAYS .. " " .. table.concat({ S.LUA, "spec/helpers/store_sync.lua",
      S.quote(path), S.quote(sim.pinterest_url), S.quote(sim.token), H.TODAY, table.concat(PINS, ","), "1" }, " "))
  end

  it("at every step of a sync, before and after each transaction and before each COMMIT", function()
    -- the transactions of the sync: the account, its days, the pins, a chunk each pin, and what
    -- the pins are (these pins are not the account's: not found, said so)
    local ntx = 4 + #PINS
    local out = child(fresh_path())
    assert.matches("steps " .. 3 * ntx .. "\ndone %d+ " .. (1 + #PINS) * DAYS .. " %-", out)
    for k = 1, 3 * ntx do
      local path = fresh_path()
      out = child(path, k)
      local tx = math.floor((k - 1) / 3) + 1
      local phase = ({ "begin", "commit", "after" })[(k - 1) % 3 + 1]
      assert.matches("^killed " .. k .. " " .. phase .. " " .. tx .. "\n", out)
      assert.not_matches("done", out)
      -- what was committed before the kill, all of it, and nothing else
      local commits = phase == "after" and tx or tx - 1
      local st = assert(pa.store.open(path))
      assert.equal("ok", st.db:rows("PRAGMA integrity_check")[1][1])
      assert.equal(commits >= 1 and 1 or 0, count(st, "SELECT COUNT(*) FROM accounts"), "step " .. k)
      assert.equal(commits >= 3 and #PINS or 0, count(st, "SELECT COUNT(*) FROM pins"), "step " .. k)
      local h = held(st)
      assert.equal(commits >= 2 and DAYS or 0, h.account, "step " .. k)
      for i, pin in ipairs(PINS) do
        assert.equal(commits >= 3 + i and DAYS or 0, h[pin], "step " .. k .. " pin " .. i) -- never half a chunk
      end
      -- a second sync completes it, asking again only for what is missing or pending
      local c = H.client(sim)
      local res, err = sync(st, c)
      assert.is_nil(err)
      assert.same({}, res.errors)
      local complete = math.min(#PINS, math.max(0, commits - 3))
      assert.equal((#PINS - complete) * DAYS + complete * 2 + (commits >= 2 and 2 or DAYS), res.days_written,
        "step " .. k)
      assert_complete(st)
      c:close()
      st:close()
    end
  end)
end)

describe("store fault matrix: PostgreSQL", function()
  local pg, why = require("helpers.pg").start()
  if not pg then
    pending("PostgreSQL restarted in the middle of a sync: " .. why)
    return
  end
  teardown(function() pg.stop() end)

  it("restarted in the middle of a sync: nil, err of kind store; what was committed kept; a resumed sync completes",
    function()
      local uri = pg.uri("faults_restart")
      local st = assert(pa.store.open(uri))
      local c = H.client(sim)
      local chunks = 0
      local res, err = sync(st, c, { on_progress = function()
        chunks = chunks + 1
        if chunks == 1 then assert(pg.restart()) end
      end })
      assert.equal(1, chunks)
      assert.is_table(err)
      assert.equal("store", err.kind)
      assert.equal(err, res.errors.store)
      assert.matches(uri:match("//(.*)$"), err.message, 1, true) -- names the database
      st:close()
      st = assert(pa.store.open(uri))
      local h = held(st)
      assert.same({ account = DAYS, [PINS[1]] = DAYS, [PINS[2]] = 0, [PINS[3]] = 0 }, h)
      res, err = sync(st, c)
      assert.is_nil(err)
      assert.same({}, res.errors)
      assert.equal(2 * DAYS + 2 + 2, res.days_written)
      assert_complete(st)
      c:close()
      st:close()
    end)
end)

describe("store fault matrix: a disk that fills", function()
  local function can_mount()
    local probe = tmpdir() .. "/probe"
    os.execute("mkdir -p " .. S.quote(probe))
    local ok = capture("mount -t tmpfs -o size=64k tmpfs " .. S.quote(probe) .. " && echo mounted")
    if ok:match("mounted") then
      os.execute("umount " .. S.quote(probe))
      return true
    end
    return false
  end

  -- A sync of 40 pins, 90 days each, into the store open_small(path) opens,
  -- until the database cannot grow; then make_room() and a second sync.
  local function fill_then_resume(path, open_small, make_room)
    local pins = H.ids(40, 7960000)
    local st = assert(open_small(path))
    local c = H.client(sim)
    local done = 0
    local res, err = st:sync(c, { pins = pins, chunk = 4, on_progress = function(n) done = n end })
    assert.is_table(err, "the disk never filled")
    assert.equal("store", err.kind)
    assert.equal(err, res.errors.store)
    assert.matches("full", err.message)
    assert.matches(path, err.message, 1, true)
    assert.is_true(done > 0 and done < #pins)
    -- every chunk written before is whole; nothing of the one that failed
    local complete = 0
    for _, pin in ipairs(pins) do
      local n = st:coverage(pin).days
      assert(n == 0 or n == 90, pin .. " holds " .. n .. " days")
      if n == 90 then complete = complete + 1 end
    end
    assert.equal(done, complete)
    st:close()
    make_room()
    st = assert(pa.store.open(path))
    assert.equal("ok", st.db:rows("PRAGMA integrity_check")[1][1])
    res, err = st:sync(c, { pins = pins, chunk = 10 })
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.equal((#pins - complete) * 90 + complete * 2, res.days_written)
    for _, pin in ipairs({ pins[1], pins[#pins] }) do
      S.assert_simulator_data(st:frame(pin), pin, D - 90, D - 1, function() return D end)
    end
    assert.equal(#pins * 90, count(st, "SELECT COUNT(*) FROM pin_days"))
    c:close()
    st:close()
  end

  it("a small file system (tmpfs) fills: nil, err; the chunks written kept; room again, the sync completes", function()
    if not can_mount() then
      pending("mount -t tmpfs is not allowed here (the SQLite size limit case covers the same)")
      return
    end
    local mnt = tmpdir() .. "/small"
    os.execute("mkdir -p " .. S.quote(mnt))
    assert.matches("mounted", capture("mount -t tmpfs -o size=256k tmpfs " .. S.quote(mnt) .. " && echo mounted"))
    local ok, e = pcall(fill_then_resume, fresh_path(mnt), pa.store.open, function()
      assert.matches("ok", capture("mount -o remount,size=8m " .. S.quote(mnt) .. " && echo ok"))
    end)
    os.execute("umount " .. S.quote(mnt))
    assert(ok, e)
  end)

  it("SQLite's own size limit (max_page_count) is reached: the same", function()
    -- max_page_count holds for one connection: the first store's; the
    -- second opens without it
    fill_then_resume(fresh_path(), function(path)
      local st = assert(pa.store.open(path))
      local pages = count(st, "PRAGMA page_count")
      st.db:rows("PRAGMA max_page_count = " .. (pages + 40))
      return st
    end, function() end)
  end)
end)

describe("store fault matrix: another writer", function()
  it("holds the lock longer than the busy timeout: err names the lock; committed kept; the sync resumes", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path, { busy_timeout = 150 }))
    local holder = assert(pa.store.open(path))
    local c = H.client(sim)
    local chunks = 0
    local res, err = sync(st, c, { on_progress = function()
      chunks = chunks + 1
      if chunks == 1 then holder.db:exec("BEGIN IMMEDIATE") end -- another writer, in its transaction
    end })
    assert.is_table(err)
    assert.equal("store", err.kind)
    assert.is_true(err.busy)
    assert.equal(err, res.errors.store)
    assert.matches("is locked by another writer", err.message, 1, true)
    assert.matches("busy timeout (150 ms)", err.message, 1, true)
    assert.matches(path, err.message, 1, true)
    holder.db:exec("ROLLBACK")
    holder:close()
    assert.same({ account = DAYS, [PINS[1]] = DAYS, [PINS[2]] = 0, [PINS[3]] = 0 }, held(st))
    res, err = sync(st, c)
    assert.is_nil(err)
    assert.equal(2 * DAYS + 2 + 2, res.days_written)
    assert_complete(st)
    c:close()
    st:close()
  end)
end)

describe("store fault matrix: a file the store cannot use", function()
  it("a store of a newer schema version: a clear error, the file not touched", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path))
    local c = H.client(sim)
    assert.is_nil(select(2, sync(st, c)))
    st.db:exec("INSERT INTO schema_version (version, applied_at) VALUES (" .. (pa.store.SCHEMA_VERSION + 1) ..
      ", 'later')")
    st:close()
    c:close()
    local before = assert(read_bytes(path))
    local none, err = pa.store.open(path)
    assert.is_nil(none)
    assert.equal("store", err.kind)
    assert.matches("schema version " .. (pa.store.SCHEMA_VERSION + 1) .. ", newer than this pinanalytics knows",
      err.message, 1, true)
    assert.matches(path, err.message, 1, true)
    assert.equal(before, read_bytes(path))
    assert.is_nil(read_bytes(path .. "-wal"))
    -- what it holds is all there (read with the driver alone)
    local env = require("luasql.sqlite3").sqlite3()
    local con = assert(env:connect(path))
    local cur = assert(con:execute("SELECT COUNT(*) FROM pin_days"))
    assert.equal(#PINS * DAYS, S.num(cur:fetch()))
    cur:close()
    con:close()
    env:close()
  end)

  it("a file that is not a database: a clear error naming it, the file not touched", function()
    for _, body in ipairs({
      string.rep("this is not a database, it is a text file\n", 200),
      "SQLite format 3\0" .. string.rep("\255", 4080), -- a header, then garbage
    }) do
      local path = fresh_path()
      local f = assert(io.open(path, "wb"))
      f:write(body)
      f:close()
      local none, err = pa.store.open(path)
      assert.is_nil(none)
      assert.equal("store", err.kind)
      assert.matches(path, err.message, 1, true)
      assert.matches("not a database", err.message, 1, true)
      assert.equal(body, read_bytes(path))
      assert.is_nil(read_bytes(path .. "-wal"))
      assert.is_nil(read_bytes(path .. "-journal"))
    end
  end)
end)
