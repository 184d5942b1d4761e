-- The store's database layer on SQLite: a read that fails part-way is an
-- error, never fewer rows (a damaged file); a store its reader may not write
-- is read without writing anything.
local S = require "helpers.store"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"

local function sh(cmd)
  local h = assert(io.popen(cmd .. " 2>&1"))
  local out = h:read("*a")
  local ok = h:close()
  return out, ok == true or ok == 0
end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function exists(path) return read_all(path) ~= nil end

local dir = sh("mktemp -d /tmp/pa-storedb.XXXXXX"):match("^[^\n]+")
os.execute("chmod 0755 " .. S.quote(dir))
local seq = 0
local function fresh_path()
  seq = seq + 1
  return dir .. "/store" .. seq .. ".db"
end

local ROOT = sh("id -u"):match("^%d+") == "0"
local FIRST = "2025-01-01"
local PINS, DAYS = 60, 90

-- A store with PINS pins x DAYS days (IMPRESSION = pin * 1000 + day),
-- written straight into its tables; returns the pin ids.
local function fill(path, opts)
  local st = assert(pa.store.open(path, opts))
  local db = st.db
  local ids = {}
  db:transaction(function()
    db:exec("INSERT INTO accounts (account_id, username, first_synced, last_synced) VALUES ('1', 'reader', 'a', 'a')")
    local first = dates.parse(FIRST)
    for p = 1, PINS do
      ids[p] = tostring(7960000 + p)
      db:exec("INSERT INTO pins (pin_key, account_key, pin_id, first_synced, last_synced) VALUES (" .. p ..
        ", 1, '" .. ids[p] .. "', 'a', 'a')")
      local values = {}
      for d = 0, DAYS - 1 do
        values[#values + 1] = string.format("(%d, '%s', 'READY', 0, %d, %d)", p, dates.format(first + d),
          p * 1000 + d, d % 7)
      end
      db:exec("INSERT INTO pin_days (pin_key, day, status, fetched, impression, save) VALUES " ..
        table.concat(values, ", "))
    end
  end)
  st:close()
  table.sort(ids)
  return ids
end

local RANGE = dates.range(FIRST, dates.add_days(FIRST, DAYS - 1))

teardown(function() os.execute("rm -rf " .. S.quote(dir)) end)

describe("store: a read that fails part-way", function()
  it("is an error of kind store, never fewer rows (three damaged pages of pin_days)", function()
    local path = fresh_path()
    local ids = fill(path)
    -- the leaf pages of pin_days, and the page size
    local st = assert(pa.store.open(path))
    local size = S.num(st.db:rows("PRAGMA page_size")[1][1])
    local leaves = {}
    for _, r in ipairs(st.db:rows("SELECT pageno FROM dbstat WHERE name = 'pin_days' AND pagetype = 'leaf' " ..
        "ORDER BY pageno")) do
      leaves[#leaves + 1] = S.num(r[1])
    end
    local whole = assert(st:analytics(ids, RANGE))
    local n = 0
    for _, id in ipairs(ids) do n = n + #whole[id].all.daily_metrics end
    assert.equal(PINS * DAYS, n)
    st:close()
    assert.is_true(#leaves >= 10, "pin_days has " .. #leaves .. " leaf pages")
    -- three pages in the middle of the table: their header and cells overwritten
    local f = assert(io.open(path, "r+b"))
    for k = 1, 3 do
      local page = leaves[math.floor(#leaves * k / 4)]
      f:seek("set", (page - 1) * size)
      f:write(string.rep("\255", 64))
      f:seek("set", (page - 1) * size + size / 2)
      f:write(string.rep("\171", 200))
    end
    f:close()

    st = assert(pa.store.open(path))
    local res, err = st:analytics(ids, RANGE)
    assert.is_nil(res)
    assert.equal("store", err.kind)
    assert.matches("malformed", err.message)
    local fr, ferr = st:frame(ids, RANGE)
    assert.is_nil(fr)
    assert.equal("store", ferr.kind)
    -- each pin: all of its days, or an error
    local failed = 0
    for _, id in ipairs(ids) do
      local cov, cerr = st:coverage(id)
      if cov then
        assert.equal(DAYS, cov.days, id)
      else
        assert.equal("store", cerr.kind)
        failed = failed + 1
      end
      local one, oerr = st:analytics(id, RANGE)
      if one then assert.equal(DAYS, #one.all.daily_metrics, id) else assert.equal("store", oerr.kind) end
    end
    assert.is_true(failed >= 1)
    local pins, perr = st:pins()
    if pins then assert.same(ids, pins) else assert.equal("store", perr.kind) end
    st:close()

    -- opened for a report (check = true): refused at once, naming the file
    local none, cerr = pa.store.open(path, { check = true })
    assert.is_nil(none)
    assert.equal("store", cerr.kind)
    assert.matches("damaged", cerr.message)
    assert.matches(path, cerr.message, 1, true)
    -- a whole store passes the check
    local good = fresh_path()
    fill(good)
    assert(pa.store.open(good, { check = true })):close()
  end)
end)

-- A Lua program run as another user (nobody) that opens path and reads it;
-- prints "ok <days> <schema version>" or "err <kind> <message>".
local READER = [[
local pa = require "pinanalytics"
local st, err = pa.store.open(arg[1], { check = true })
if not st then print("err " .. err.kind .. " " .. err.message) os.exit(0) end
local res, rerr = st:analytics(st:pins(), require("pinanalytics.dates").range(arg[2], arg[3]))
if not res then print("err " .. rerr.kind .. " " .. rerr.message) os.exit(0) end
local n = 0
for _, r in pairs(res) do n = n + #r.all.daily_metrics end
print("ok " .. n .. " " .. st.schema_version)
st:close()
]]

local function files(path)
  return { main = read_all(path), wal = exists(path .. "-wal"), shm = exists(path .. "-shm"),
    journal = exists(path .. "-journal") }
end

describe("store: a reader that may not write the store", function()
  local script = fresh_path() .. ".lua"
  setup(function()
    local f = assert(io.open(script, "wb"))
    f:write(READER)
    f:close()
    os.execute("chmod 0644 " .. S.quote(script))
  end)

  -- runs READER on path as a user who may not write it: nobody when root
  -- (the store stays root's, 0644, in a directory nobody may not write),
  -- else this user with the store 0444 in a directory 0555
  local function read_as_other(path)
    local cwd = sh("pwd"):match("^[^\n]+")
    local env = "env -u LD_PRELOAD LUA_PATH=" .. S.quote(cwd .. "/lua/?.lua;" .. cwd .. "/lua/?/init.lua;;") ..
      " LUA_CPATH=" .. S.quote(cwd .. "/build/" .. S.LUA .. "/?.so;;") .. " "
    local run = env .. S.LUA .. " " .. S.quote(script) .. " " .. S.quote(path) .. " " .. RANGE.start_date .. " " ..
      RANGE.end_date
    if ROOT then
      os.execute("chmod 0644 " .. S.quote(path))
      return (sh("cd /tmp && runuser -u nobody -- " .. run))
    end
    local sub = path:match("^(.*)/[^/]*$")
    os.execute("chmod 0444 " .. S.quote(path) .. " && chmod 0555 " .. S.quote(sub))
    local out = sh(run)
    os.execute("chmod 0755 " .. S.quote(sub))
    return out
  end

  local function own_dir()
    local sub = fresh_path() .. ".d"
    os.execute("mkdir " .. S.quote(sub) .. " && chmod 0755 " .. S.quote(sub))
    return sub .. "/analytics.db"
  end

  it("reads a current store and writes nothing: no -wal, -shm or journal, the file unchanged", function()
    local path = own_dir()
    fill(path)
    local before = files(path)
    assert.same({ false, false, false }, { before.wal, before.shm, before.journal })
    local out = read_as_other(path)
    assert.equal("ok " .. PINS * DAYS .. " " .. pa.store.SCHEMA_VERSION, out:match("^[^\n]*"), out)
    local after = files(path)
    assert.is_true(before.main == after.main, "the store's file changed")
    assert.same({ false, false, false }, { after.wal, after.shm, after.journal })
  end)

  it("reads it while its writer has it open in WAL mode", function()
    local path = own_dir()
    fill(path)
    local st = assert(pa.store.open(path))
    st.db:transaction(function() st.db:exec("UPDATE accounts SET username = 'writer'") end)
    assert.is_true(exists(path .. "-wal"))
    local out = read_as_other(path)
    assert.equal("ok " .. PINS * DAYS .. " " .. pa.store.SCHEMA_VERSION, out:match("^[^\n]*"), out)
    st:close()
    -- the writer gone, the store is readable again without a -shm
    assert.is_false(exists(path .. "-shm"))
    out = read_as_other(path)
    assert.equal("ok " .. PINS * DAYS .. " " .. pa.store.SCHEMA_VERSION, out:match("^[^\n]*"), out)
  end)

  it("says clearly that a store needing a migration must be migrated by a writer", function()
    local path = own_dir()
    fill(path, { schema_version = 1 })
    local before = read_all(path)
    local out = read_as_other(path)
    assert.matches("^err store ", out)
    assert.matches(path, out, 1, true)
    assert.matches("schema version 1", out, 1, true)
    assert.matches("not writable", out, 1, true)
    assert.matches("migrat", out, 1, true)
    assert.is_true(before == read_all(path), "the store's file changed")
    assert.is_false(exists(path .. "-shm"))
  end)

  it("opens read_only on request: reads, and never migrates", function()
    local path = own_dir()
    fill(path)
    local before = read_all(path)
    local st = assert(pa.store.open(path, { read_only = true }))
    assert.is_true(st.db.read_only)
    assert.equal(PINS, #st:pins())
    local ok, err = pcall(st.db.exec, st.db, "UPDATE accounts SET username = 'x'")
    assert.is_false(ok)
    assert.equal("store", err.kind)
    st:close()
    assert.is_true(before == read_all(path))
    local old = own_dir()
    fill(old, { schema_version = 1 })
    local none, oerr = pa.store.open(old, { read_only = true })
    assert.is_nil(none)
    assert.matches("opened read_only", oerr.message, 1, true)
  end)
end)

describe("store: --from-store", function()
  local function cli(args, as_nobody)
    local cwd = sh("pwd"):match("^[^\n]+")
    local env = "env -u LD_PRELOAD -u PINTEREST_ACCESS_TOKEN LUA_PATH=" ..
      S.quote(cwd .. "/lua/?.lua;" .. cwd .. "/lua/?/init.lua;;") ..
      " LUA_CPATH=" .. S.quote(cwd .. "/build/" .. S.LUA .. "/?.so;;") .. " "
    local cmd = env .. S.LUA .. " " .. S.quote(cwd .. "/bin/pinanalytics") .. " " .. args .. " 2>&1; echo \"exit=$?\""
    if as_nobody then cmd = "cd /tmp && runuser -u nobody -- sh -c " .. S.quote(cmd) end
    return sh(cmd)
  end
  local period = "--start " .. RANGE.start_date .. " --end " .. RANGE.end_date .. " --format csv"

  it("refuses a damaged store (exit 1, the file named) and reads a whole one", function()
    local path = fresh_path()
    local ids = fill(path)
    local out = cli("pin " .. ids[1] .. " " .. period .. " --from-store " .. S.quote(path))
    assert.matches("exit=0", out, 1, true)
    assert.matches(RANGE.end_date, out, 1, true)
    local f = assert(io.open(path, "r+b"))
    f:seek("set", 4096 * 3)
    f:write(string.rep("\255", 4096))
    f:close()
    out = cli("pin " .. ids[1] .. " " .. period .. " --from-store " .. S.quote(path))
    assert.matches("exit=1", out, 1, true)
    assert.matches("damaged", out, 1, true)
    assert.matches(path, out, 1, true)
  end)

  if ROOT then
    it("reads a store of another user (0644, its directory 0755) as nobody", function()
      local sub = fresh_path() .. ".d"
      os.execute("mkdir " .. S.quote(sub) .. " && chmod 0755 " .. S.quote(sub))
      local path = sub .. "/analytics.db"
      local ids = fill(path)
      os.execute("chmod 0644 " .. S.quote(path))
      local before = read_all(path)
      local out = cli("pin " .. ids[2] .. " " .. period .. " --from-store " .. S.quote(path), true)
      assert.matches("exit=0", out, 1, true)
      assert.matches(RANGE.end_date, out, 1, true)
      assert.is_true(before == read_all(path))
      assert.is_false(exists(path .. "-shm"))
    end)
  end
end)
