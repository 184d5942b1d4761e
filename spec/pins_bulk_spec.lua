-- client:pins asks for many pins together (GET /pins/{pin_id} each, through
-- the bulk engine: concurrent, paced, retried), and pinmeta.fetch (the
-- reports' titles, the store's sync) goes through it: the titles of twenty
-- pins cost about one round trip, not twenty.
local H = require "helpers.sim"
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local pinmeta = require "pinanalytics.pinmeta"

local PINS = data.account_pins(20)

describe("client:pins", function()
  local sim
  setup(function() sim = H.start { pins_count = 20, boards_count = 3 } end)
  teardown(function() if sim then sim:stop() end end)
  before_each(function()
    sim:configure { pins_count = 20, boards_count = 3 }
    sim:reset_stats()
    sim:clear_log()
  end)

  it("asks for every pin once, together, and answers each as client:pin does", function()
    sim:configure { pins_count = 20, boards_count = 3, latency_ms = 150 }
    sim:reset_stats()
    local c = H.client(sim, { concurrency = 8 })
    local ids = {}
    for _, id in ipairs(PINS) do ids[#ids + 1] = id end
    ids[#ids + 1] = PINS[1] -- asked once
    local t0 = core.now()
    local pins, errs, info = c:pins(ids)
    local took = core.now() - t0
    local st = sim:stats()
    assert.same({}, errs)
    assert.is_nil(info.quota)
    assert.equal(20, H.count(pins))
    assert.equal(20, st.requests)
    assert.equal(8, st.peak_inflight)
    -- three rounds of 150 ms, not twenty
    assert.truthy(took < 20 * 0.15 / 2, took)
    sim:configure { pins_count = 20, boards_count = 3 }
    for i, id in ipairs(PINS) do
      local one = assert(c:pin(id))
      assert.same(one, pins[id])
      assert.equal(data.pin_info(i).link, pins[id].link)
    end
    c:close()
  end)

  it("sends params to every pin, and says which pins failed and why", function()
    local missing, broken = PINS[2], PINS[3]
    sim:configure { pins_count = 20, boards_count = 3,
      override = { ["/v5/pins/" .. missing] = { status = 404, body = '{"code":50,"message":"Pin not found."}' },
        ["/v5/pins/" .. broken] = { status = 200, body = '{"id": 7}' } } }
    local c = H.client(sim)
    local pins, errs = c:pins({ PINS[1], missing, broken }, { ad_account_id = "549755885175" })
    assert.same({ PINS[1] }, (function() local k = {} for id in pairs(pins) do k[#k + 1] = id end return k end)())
    assert.equal(404, errs[missing].status)
    assert.equal("not_found", errs[missing].kind)
    assert.equal("invalid_response", errs[broken].kind)
    for _, r in ipairs(sim:requests()) do
      assert.truthy(r.path:match("^/v5/pins/%d+$"), r.path)
      assert.equal("ad_account_id=549755885175", r.args)
    end
    c:close()
  end)

  it("stops at a quota error: the pins not asked get it without a request", function()
    sim:configure { pins_count = 20, boards_count = 3,
      override = { ["/v5/pins/" .. PINS[1]] = { status = 429, body = '{"code":8,"message":"quota"}',
        headers = { ["Retry-After"] = "3600" } } } }
    local c = H.client(sim, { concurrency = 1, retries = 3 })
    local pins, errs, info = c:pins(PINS)
    assert.same({}, pins)
    assert.equal(20, H.count(errs))
    assert.truthy(info.quota)
    assert.equal(1, sim:stats().requests)
    c:close()
  end)

  it("refuses what is not an array of pin ids, naming the argument", function()
    local c = H.client(sim)
    assert.has_error(function() c:pins("123") end,
      'pinanalytics.pinterest:pins: pin_ids must be an array of pin ids, got "123"')
    assert.has_error(function() c:pins({ "123", "12a" }) end,
      'pinanalytics.pinterest:pins: pin_ids[2] must be a string of digits, got "12a"')
    local ok, err = pcall(c.pins, c, { "123" }, { title = true })
    assert.is_false(ok)
    assert.truthy(tostring(err):find("unknown parameter", 1, true), tostring(err))
    assert.equal(0, sim:stats().requests)
    c:close()
  end)
end)

describe("pinmeta.fetch", function()
  local sim
  setup(function() sim = H.start { pins_count = 20, boards_count = 3 } end)
  teardown(function() if sim then sim:stop() end end)

  it("fetches the pins together, then the board names once; the client's on_progress hears nothing of it", function()
    sim:configure { pins_count = 20, boards_count = 3, latency_ms = 100 }
    sim:reset_stats()
    sim:clear_log()
    local heard = 0
    local c = H.client(sim, { concurrency = 10, on_progress = function() heard = heard + 1 end })
    local t0 = core.now()
    local meta, errs = pinmeta.fetch(c, PINS)
    local took = core.now() - t0
    assert.same({}, errs)
    assert.equal(0, heard)
    assert.equal(10, sim:stats().peak_inflight)
    assert.truthy(took < 1.0, took) -- two rounds of pins and the boards, not 21 requests one by one
    for i, id in ipairs(PINS) do
      local info = data.pin_info(i)
      assert.equal(info.title ~= "" and info.title or nil, meta[id].title)
      assert.equal(data.board_name_of((i - 1) % 3 + 1), meta[id].board_name)
    end
    local n = 0
    for _, r in ipairs(sim:requests()) do if r.path == "/v5/boards" then n = n + 1 end end
    assert.equal(1, n)
    -- the hook is the client's again
    assert.is_function(c.on_progress)
    c:close()
  end)

  it("a pin not asked (not a pin id) or known already costs no request", function()
    sim:configure { pins_count = 20, boards_count = 3 }
    sim:reset_stats()
    local c = H.client(sim)
    local meta = pinmeta.fetch(c, { "not-an-id", PINS[1] }, { items = { [PINS[1]] = { id = PINS[1], title = "Known" } } })
    assert.same({ error = "not a pin id" }, meta["not-an-id"])
    assert.equal("Known", meta[PINS[1]].title)
    assert.equal(0, sim:stats().requests)
    c:close()
  end)
end)
