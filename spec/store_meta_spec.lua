-- What the pins are (title, the start of the description, board, link,
-- picture) in the store: schema version 3 adds it to a store without
-- losing what it held; a sync fetches it for the pins that lack it (or
-- hold it from too long ago), and store:pin_meta reads it back for the
-- reports; a pin whose metadata cannot be fetched is stored with why.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local data = require "pinanalytics.simulator.data"
local pinmeta = require "pinanalytics.pinmeta"

local sim
setup(function() sim = H.start { pins_count = 6, boards_count = 2 } end)
teardown(function() if sim then sim:stop() end end)
before_each(function() sim:configure { pins_count = 6, boards_count = 2 } end)

local function tmpdir()
  local h = assert(io.popen("mktemp -d /tmp/pa-store-meta-spec.XXXXXX"))
  local d = h:read("*l")
  h:close()
  return d
end

local dir
teardown(function() if dir then os.execute("rm -rf '" .. dir .. "'") end end)
local function fresh_path()
  dir = dir or tmpdir()
  local h = assert(io.popen("mktemp -u '" .. dir .. "/s.XXXXXX'"))
  local p = h:read("*l") .. ".db"
  h:close()
  return p
end

-- the requests the simulator answered, by path without the query (counted)
local function paths()
  local out = {}
  for _, r in ipairs(sim:requests()) do
    local p = r.path:gsub("/v5/pins/%d+$", "/v5/pins/{id}")
    out[p] = (out[p] or 0) + 1
  end
  return out
end

local function store_at(path, day)
  return assert(pa.store.open(path, { clock = function() return (pa.dates.parse(H.TODAY) + (day or 0)) * 86400 + 43200 end }))
end

local PINS = data.account_pins(6)

describe("the store and what the pins are", function()
  it("version 3 adds it to a version 2 store, keeping what the store held", function()
    local path = fresh_path()
    local st = assert(pa.store.open(path, { schema_version = 2 }))
    assert.equal(2, st.schema_version)
    st.db:exec("INSERT INTO accounts (account_id, username, first_synced, last_synced) VALUES ('1', 'kept', 'a', 'b')")
    st.db:exec("INSERT INTO pins (account_key, pin_id, first_synced, last_synced) VALUES (1, '42', 'a', 'b')")
    st.db:exec("INSERT INTO pin_days (pin_key, day, status, fetched, impression) VALUES (1, '2026-01-02', 'READY', 1, 77)")
    assert.same({}, st:pin_meta()) -- a store before version 3 knows none
    st:close()
    st = assert(pa.store.open(path))
    assert.same({ 2, pa.store.SCHEMA_VERSION }, { st.migrated_from, st.schema_version })
    assert.same({ "42" }, st:pins())
    assert.equal("kept", st:accounts()[1].username)
    local res = st:analytics("42", pa.dates.range("2026-01-02", "2026-01-02"), { "IMPRESSION" })
    assert.equal(77, res.all.daily_metrics[1].metrics.IMPRESSION)
    assert.same({}, st:pin_meta()) -- held, never fetched: not in the answer
    st:close()
  end)

  it("a sync of pins by id fetches what they are, one GET /pins/{id} a pin and the board names once", function()
    local path = fresh_path()
    local st = store_at(path)
    local c = H.client(sim)
    local hidden, failing = PINS[3], PINS[4]
    sim:configure { pins_count = 6, boards_count = 2,
      override = { ["/v5/pins/" .. hidden] = { status = 404, body = '{"code":50,"message":"Pin not found."}' },
        ["/v5/pins/" .. failing] = { status = 500, body = '{"code":2787,"message":"Sorry!"}' } } }
    sim:clear_log()
    local res, err = st:sync(c, { pins = PINS, days = 3 })
    assert.is_nil(err)
    assert.same({}, res.errors) -- a pin without its metadata is not a sync error
    assert.equal(4, res.meta)
    assert.equal(404, res.meta_errors[hidden].status)
    assert.equal(500, res.meta_errors[failing].status)
    local n = paths()
    assert.equal(6, n["/v5/pins/{id}"])
    assert.equal(1, n["/v5/boards"])
    local meta = st:pin_meta()
    for i, id in ipairs(PINS) do
      local m = meta[id]
      assert.truthy(m, id)
      assert.truthy(m.fetched:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"), m.fetched)
      if id == hidden then
        assert.same({ error = "not found (HTTP 404)", fetched = m.fetched }, m)
      elseif id == failing then
        assert.same({ error = "server (HTTP 500)", fetched = m.fetched }, m)
      else
        local info = data.pin_info(i)
        assert.equal(info.title ~= "" and info.title or nil, m.title)
        assert.equal(pinmeta.from_pin({ description = info.description }).description, m.description)
        assert.equal(data.board_id_of((i - 1) % 2 + 1), m.board_id)
        assert.equal(data.board_name_of((i - 1) % 2 + 1), m.board_name)
        assert.equal(info.link, m.link)
        assert.equal(info.image_url, m.image_url)
      end
    end
    assert.is_nil(meta[PINS[5]].title) -- the fifth pin has a description alone
    assert.truthy(meta[PINS[5]].description:find("^Cold brew coffee, idea number 5"))
    -- only some pins asked
    local some = st:pin_meta({ PINS[1], "999" })
    assert.same({ PINS[1] }, (function() local k = {} for id in pairs(some) do k[#k + 1] = id end return k end)())
    -- the next sync asks again only for the pin that failed (a pin not found: after meta_days)
    sim:configure { pins_count = 6, boards_count = 2 }
    sim:clear_log()
    res = st:sync(c, { pins = PINS, days = 3 })
    assert.equal(1, res.meta)
    assert.equal(1, paths()["/v5/pins/{id}"])
    assert.equal("Autumn wreath #4", st:pin_meta()[failing].title)
    assert.equal("not found (HTTP 404)", st:pin_meta()[hidden].error)
    st:close()
    -- meta_days later, every pin is asked again; meta = false asks none
    st = store_at(path, 31)
    sim:clear_log()
    st:sync(c, { pins = PINS, days = 3, meta = false })
    assert.is_nil(paths()["/v5/pins/{id}"])
    sim:clear_log()
    res = st:sync(c, { pins = PINS, days = 3 })
    assert.equal(6, res.meta)
    assert.equal(6, paths()["/v5/pins/{id}"])
    assert.equal("Balcony garden #3", st:pin_meta()[hidden].title)
    st:close()
  end)

  it("a pin that cannot be fetched again keeps what the store held of it", function()
    local path = fresh_path()
    local st = store_at(path)
    local c = H.client(sim)
    st:sync(c, { pins = { PINS[1] }, days = 1 })
    st:close()
    st = store_at(path, 40)
    sim:configure { pins_count = 6, boards_count = 2,
      override = { ["/v5/pins/" .. PINS[1]] = { status = 404, body = '{"code":50,"message":"Pin not found."}' } } }
    local res = st:sync(c, { pins = { PINS[1] }, days = 1 })
    assert.equal(404, res.meta_errors[PINS[1]].status)
    assert.equal("Lemon tart #1", st:pin_meta()[PINS[1]].title)
    st:close()
  end)

  it("a sync of every pin takes what they are from GET /pins: no request a pin", function()
    local st = store_at(fresh_path())
    local c = H.client(sim)
    sim:clear_log()
    local res = st:sync(c, { pins = "all", days = 2 })
    assert.equal(6, res.meta)
    local n = paths()
    assert.is_nil(n["/v5/pins/{id}"])
    assert.equal(1, n["/v5/boards"])
    assert.equal(1, n["/v5/pins"])
    local meta = st:pin_meta()
    assert.equal("Lemon tart #1", meta[PINS[1]].title)
    assert.equal("Simulated board 2", meta[PINS[2]].board_name)
    -- the round trip: a report from the store names each pin
    local results = st:analytics(PINS, nil, { "IMPRESSION" })
    local text = pa.report.render("text", pa.report.pins(results, { meta = meta }))
    assert.truthy(text:find("Lemon tart #1", 1, true), text)
    assert.truthy(text:find("Simulated board 1", 1, true), text)
    assert.truthy(text:find("Cold brew coffee, idea number 5", 1, true), text)
    st:close()
  end)

  it("pin_meta refuses ids that are not pin ids", function()
    local st = store_at(":memory:")
    assert.has_error(function() st:pin_meta({ "12ab" }) end)
    assert.has_error(function() st:pin_meta("1") end)
    st:close()
  end)
end)
