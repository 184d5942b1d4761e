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

-- The interpreter's Ctrl-C (lua.c, luajit.c): SIGINT sets a hook on calls,
-- returns, lines and every instruction that raises "interrupted!" at the next
-- of them, wherever that is: after a wait in libcurl, it is the call of the
-- decoder, which the C core runs under lua_pcall. ctrl_c(when, f) calls f
-- under such a hook, `when()` saying whether the signal has come: the hook
-- then raises once (and is removed, as lua.c's is). The hook is set inside
-- the pcall and removed as soon as f returns: what lands between is raised
-- here, never lost and never outside. Returns pcall's results, then where
-- it landed (debug.getinfo's "S" and "n"; nil when it did not).
local sethook, getinfo = debug.sethook, debug.getinfo
local function ctrl_c(when, f)
  local landed
  local r = { pcall(function()
    sethook(function()
      if landed or not when() then return end
      sethook()
      landed = getinfo(2, "Sn") or {}
      error("interrupted!", 2)
    end, "crl", 1)
    local a, b = f()
    sethook()
    return a, b
  end) }
  sethook()
  return r[1], r[2], r[3], landed
end

describe("an interrupt during a request (the interpreter's Ctrl-C)", function()
  local is_interrupt = require("pinanalytics.pinterest").is_interrupt
  local core = require "pinanalytics.core"
  local bulk = require "pinanalytics.bulk"
  local PIN = "813744226420795884"
  local sim, c
  setup(function()
    sim = H.start {}
    c = H.client(sim)
  end)
  teardown(function()
    debug.sethook()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  local calls = {
    { "pin_analytics", function(cl) return cl:pin_analytics(PIN, params()) end },
    { "user_account_analytics", function(cl) return cl:user_account_analytics(params()) end },
    { "top_pins", function(cl)
      return cl:top_pins { start_date = H.day(-6), end_date = H.day(-1), sort_by = "SAVE", metric_types = METRICS }
    end },
    { "pins_analytics", function(cl)
      local res, errs = cl:pins_analytics(H.ids(3, 7992000), params())
      if next(errs) then return nil, select(2, next(errs)) end
      return res
    end },
  }

  -- the call ends as the call without an interrupt does: figures, no error
  local function answers(call)
    local res, err = call[2](c)
    assert.is_nil(err, call[1])
    assert.is_table(res, call[1])
  end

  it("that comes while the answer is awaited is raised from the call, not returned as invalid_json", function()
    sim:configure { latency_ms = 300 }
    for _, call in ipairs(calls) do
      local due = core.now() + 0.15 -- Ctrl-C 150 ms into the 300 ms wait
      local ok, err, _, where = ctrl_c(function() return core.now() >= due end, function() return call[2](c) end)
      assert.is_false(ok, call[1] .. " returned " .. tostring(err))
      assert.is_true(is_interrupt(err), call[1] .. ": " .. tostring(err))
      assert.truthy(where, call[1])
      if call[1] ~= "pins_analytics" then
        -- the first hook event after libcurl's wait: the call of the decoder
        assert.equal("C", where.what, call[1])
      end
      assert.is_true(core.now() >= due, call[1])
    end
    sim:configure { latency_ms = 0 }
    -- the client is whole: every call answers
    for _, call in ipairs(calls) do answers(call) end
  end)

  -- Every hook event of a call (the decoder's call and return, the library's
  -- own pcalls, its pacing and shape checks, the bulk engine) in turn, from
  -- the first until the call ends before the hook fires: the call raises the
  -- interrupt wherever it lands, and never returns as if nothing happened;
  -- the client then answers as before.
  for _, call in ipairs({ calls[1], calls[4] }) do -- GET through the session, and through the bulk engine
    it("wherever it lands in " .. call[1] .. ", the call raises it", function()
      sim:configure { latency_ms = 0 }
      answers(call)
      local raised, lost, decoder = 0, {}, 0
      local k = 0
      while true do
        k = k + 1
        assert.truthy(k < 50000, "the call never ends without the hook firing")
        local n = 0
        local done, err, _, where = ctrl_c(function() n = n + 1; return n == k end, function() return call[2](c) end)
        if not where then
          -- the call ended before its k-th event: every event was tried
          if not done then lost[#lost + 1] = string.format("event %d: raised %s", k, tostring(err)) end
          break
        end
        if done or not is_interrupt(err) then
          lost[#lost + 1] = string.format("event %d (%s %s:%s): %s", k, tostring(where.what),
            tostring(where.short_src), tostring(where.name), done and "returned" or tostring(err))
        else
          raised = raised + 1
          if where.what == "C" and where.name == nil then decoder = decoder + 1 end
        end
        -- a run the interrupt left on the client's Batch (it landed between
        -- the run's record being made and dropped) is gone: the next call
        -- takes the Batch back and answers
        if (c.batch and bulk.in_progress(c.batch)) or k % 100 == 0 then answers(call) end
      end
      assert.same({}, lost)
      -- every event but the last raised (the count of events varies with the
      -- runtime and what it has compiled; a call has hundreds)
      assert.equal(k - 1, raised)
      assert.truthy(raised > 200, raised)
      -- the C core's calls (the decoder's among them, called from C: no
      -- name); on Lua 5.1 the bulk engine runs in a coroutine of its own
      -- (runtime.pcall), which a hook of the calling thread does not reach,
      -- as lua.c's does not
      if call[1] ~= "pins_analytics" or rawget(_G, "jit") or _VERSION ~= "Lua 5.1" then
        assert.truthy(decoder >= 2, decoder)
      end
      answers(call)
    end)
  end
end)

-- The library's other catches (a store's transactions and reads, a report's
-- sums, a template's filters): an interrupt that lands in one is raised,
-- never taken for a failure of what it caught. `samples` hook events spread
-- over the call's whole length are tried (each on a state of its own).
describe("an interrupt in a sync or a report (the interpreter's Ctrl-C)", function()
  local is_interrupt = require("pinanalytics.errors").is_interrupt
  local pa = require "pinanalytics"
  local sim, c
  setup(function()
    sim = H.start {}
    c = H.client(sim)
  end)
  teardown(function()
    if c then c:close() end
    if sim then sim:stop() end
  end)

  local function sweep(make, samples)
    assert(make()()) -- once first: what a first call loads and keeps (templates) is not counted
    local events = 0
    local ok, res = ctrl_c(function() events = events + 1; return false end, make())
    assert.is_true(ok, tostring(res))
    assert.truthy(events > samples, events)
    local lost, raised = {}, 0
    for i = 0, samples - 1 do
      local k = 1 + math.floor(i * (events - 1) / (samples - 1))
      local n = 0
      local done, err, _, where = ctrl_c(function() n = n + 1; return n == k end, make())
      if where and (done or not is_interrupt(err)) then
        lost[#lost + 1] = string.format("event %d of %d (%s %s:%s): %s", k, events, tostring(where.what),
          tostring(where.short_src), tostring(where.name), done and "returned" or tostring(err))
      elseif where then
        raised = raised + 1
      end
    end
    assert.same({}, lost)
    assert.truthy(raised >= samples * 0.9, raised)
  end

  it("a store's sync raises it wherever it lands", function()
    local pins = H.ids(3, 7993000)
    sweep(function()
      local st = assert(pa.store.open(":memory:", { clock = H.clock }))
      return function()
        local res, err = st:sync(c, { pins = pins, account = true, days = 7 })
        assert(res and not err and res.days_written == 4 * 7, tostring(err))
        return res
      end
    end, 200)
  end)

  it("a report's rendering raises it wherever it lands", function()
    local res = assert(c:pin_analytics("813744226420795884", params()))
    local per_pin = assert(c:pins_analytics(H.ids(3, 7994000), params()))
    sweep(function()
      return function()
        return pa.report.render("markdown", pa.report.pin(res)) .. pa.report.render("text", pa.report.pins(per_pin))
      end
    end, 200)
  end)
end)
