-- pinanalytics.store on PostgreSQL: a real server started here on
-- loopback (spec/helpers/pg.lua), the shared checks of spec/helpers/store.lua,
-- several writers at once, and a password that never shows.
local H = require "helpers.sim"
local S = require "helpers.store"
local X = require "helpers.child"
local pa = require "pinanalytics"

local pg, why = require("helpers.pg").start()
if not pg then
  print("store_pg_spec skipped: " .. why)
  describe("store (PostgreSQL)", function()
    pending("skipped: " .. why)
  end)
  return
end

local seq = 0
local function fresh_uri()
  seq = seq + 1
  return pg.uri("store" .. seq)
end

describe("store (PostgreSQL)", function()
  teardown(function() pg.stop() end)

  describe("the shared checks", function()
    S.contract(function() return pa.store.open(fresh_uri()) end,
      { setup = setup, teardown = teardown, before_each = before_each, it = it })
  end)

  it("creates the schema once and migrates an older store forward", function()
    local uri = fresh_uri()
    local st = assert(pa.store.open(uri, { schema_version = 1 }))
    assert.equal("postgres", st.dialect)
    assert.equal(1, st.schema_version)
    st:close()
    st = assert(pa.store.open(uri))
    assert.same({ 1, pa.store.SCHEMA_VERSION }, { st.migrated_from, st.schema_version })
    assert.same({}, st:oneup_snapshots())
    st:close()
  end)

  it("takes several writers at once: two processes sync into one database", function()
    local uri = fresh_uri()
    assert(pa.store.open(uri)):close()
    local sim = H.start { latency_ms = 20, refuse_multi = 404 }
    local function run(pins)
      return table.concat({ X.bounded(300, S.LUA), "spec/helpers/store_sync.lua", S.quote(uri), S.quote(sim.pinterest_url),
        S.quote(sim.token), H.TODAY, table.concat(pins, ","), "2" }, " ")
    end
    local h = assert(io.popen("(" .. run(H.ids(12, 7900000)) .. " & " .. run(H.ids(12, 7900006)) .. " & wait) 2>&1"))
    local out = h:read("*a")
    h:close()
    sim:stop()
    local n = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^done %d+ %d+ %-$") then n = n + 1 end
    end
    assert.equal(2, n, out)
    local st = assert(pa.store.open(uri))
    local pins = st:pins()
    assert.equal(18, #pins)
    for _, pin in ipairs(pins) do assert.equal(90, st:coverage(pin).days) end
    assert.equal(18 * 90, S.num(st.db:rows("SELECT COUNT(*) FROM pin_days")[1][1]))
    st:close()
  end)

  it("never shows the password of the URI", function()
    local secret = "pw-7f3a9c1e"
    local none, err = pa.store.open("postgresql://pa:" .. secret .. "@127.0.0.1:1/nothing")
    assert.is_nil(none)
    assert.equal("store", err.kind)
    H.assert_no_secret(err, secret)
    assert.matches("[REDACTED]", err.message, 1, true)
    -- with the server's trust authentication the password is not checked:
    -- the store's name shows without it
    local st = assert(pa.store.open("postgresql://pa:" .. secret .. "@127.0.0.1:" .. pg.port .. "/store1"))
    assert.not_matches(secret, tostring(st), 1, true)
    st:close()
  end)
end)
