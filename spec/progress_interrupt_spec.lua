-- A Ctrl-C that lands in a caller's on_progress (the interpreter's signal
-- hook raises "interrupted!" at the next instruction, wherever it is) stops
-- the bulk run: what it had in flight is cancelled, the error is raised from
-- the public call, and the client is usable afterwards. Any other error of
-- on_progress is collected in info.progress_errors, as before.
local H = require "helpers.sim"
local data = require "pinanalytics.simulator.data"

local METRICS = { "IMPRESSION", "SAVE" }

local function params()
  return { start_date = H.day(-6), end_date = H.day(-1), metric_types = METRICS }
end

local function per_pin_requests(sim)
  local n = 0
  for _, r in ipairs(sim:requests()) do
    if r.path:match("^/v5/pins/%d+/analytics$") then n = n + 1 end
  end
  return n
end

describe("on_progress raising an interrupt", function()
  local sim
  setup(function() sim = H.start { latency_ms = 150 } end)
  teardown(function() if sim then sim:stop() end end)

  it("stops pins_analytics: the interrupt is raised after the run cancelled what it had in flight", function()
    -- pin by pin (the multi-pin endpoint refused), four at a time: 20 requests
    sim:configure { latency_ms = 150, refuse_multi = 404 }
    local armed, calls = true, 0
    local c = H.client(sim, { concurrency = 4, on_progress = function()
      calls = calls + 1
      if armed then error("spec/progress_interrupt_spec.lua:1: interrupted!", 0) end
    end })
    local pins = H.ids(20, 7990000)
    sim:clear_log()
    local ok, err = pcall(c.pins_analytics, c, pins, params())
    assert.is_false(ok)
    assert.equal("spec/progress_interrupt_spec.lua:1: interrupted!", err)
    assert.equal(1, calls) -- no other pin was reported after it
    -- nothing of the run is left on the client's Batch, and the queue was not sent
    assert.equal(0, c.batch:inflight())
    os.execute("sleep 0.5") -- what was cancelled had time to reach the server, had it gone on
    assert.truthy(per_pin_requests(sim) < 20, "per-pin requests: " .. per_pin_requests(sim))

    -- the client is usable: the next run has every pin, each with its own figures
    armed, calls = false, 0
    local results, errs, info = c:pins_analytics(pins, params())
    assert.same({}, errs)
    assert.same({}, info.progress_errors)
    assert.equal(20, calls)
    for _, id in ipairs(pins) do
      local want = data.pin_analytics(id, { start_date = H.day(-6), end_date = H.day(-1), metric_types = METRICS },
        H.TODAY)
      assert.same(want, results[id], id)
    end
    c:close()
  end)

  it("stops a run in bulk too (one request for every pin), and a plain error is still collected", function()
    sim:configure { latency_ms = 0 }
    local mode = "interrupt"
    local c = H.client(sim, { on_progress = function()
      if mode == "interrupt" then error("interrupted!", 0) end
      if mode == "other" then error("progress display broke", 0) end
    end })
    local pins = H.ids(150, 7991000) -- two requests of GET /pins/analytics
    local ok, err = pcall(c.pins_analytics, c, pins, params())
    assert.is_false(ok)
    assert.equal("interrupted!", err)
    assert.equal(0, c.batch:inflight())
    mode = "other"
    local results, errs, info = c:pins_analytics(pins, params())
    assert.same({}, errs)
    assert.equal(150, H.count(results))
    assert.equal(2, #info.progress_errors) -- a call a request (100 and 50 pins)
    assert.equal("progress display broke", info.progress_errors[1])
    c:close()
  end)
end)
