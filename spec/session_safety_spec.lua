-- A Session or Batch in the middle of a call is busy: a finalizer that runs
-- while the call builds its results (any allocation can run one) may close
-- the handle (the close waits until the call ends) but may not use it.
local core = require "pinanalytics.core"
local H = require "helpers.sim"
local R = require "helpers.runtime"

-- An answer with many headers and a body of many values: building its Lua
-- values takes thousands of allocations.
local NHEADERS = 2500
local function answer(tag)
  local items = {}
  for i = 1, 3000 do items[i] = '{"i":' .. i .. ',"tag":"' .. tag .. '"}' end
  local body = '{"which":"' .. tag .. '","items":[' .. table.concat(items, ",") .. "]}"
  local head = { "HTTP/1.1 200 OK", "Content-Type: application/json", "Content-Length: " .. #body,
    "X-Which: " .. tag }
  for i = 1, NHEADERS do head[#head + 1] = "X-Filler-" .. i .. ": " .. tag .. string.rep("v", 30) end
  return table.concat(head, "\r\n") .. "\r\n\r\n" .. body
end

-- A finalizer that re-arms itself until state.stopped; while state.armed,
-- each run counts and calls state.on_fire(count).
local function finalizer_loop(state)
  local function fire()
    if state.stopped then return end
    if state.armed then
      state.fired = state.fired + 1
      state.on_fire(state.fired)
    end
    R.finalizable(fire)
  end
  R.finalizable(fire)
end

-- Runs f with the collector as eager as this runtime lets it be (see
-- helpers/runtime.lua): a finalizer that makes a new finalizable object runs
-- again and again while the C core allocates.
local function with_eager_gc(state, f)
  state.fired, state.armed, state.stopped = 0, false, false
  R.with_eager_gc(function()
    finalizer_loop(state)
    local ok, err = pcall(f)
    state.armed, state.stopped = false, true
    if not ok then error(err, 0) end
  end)
end

describe("a busy handle", function()
  local sim

  setup(function()
    sim = H.start()
    sim:configure { override = { ["/v5/outer"] = { raw = answer("outer") }, ["/v5/inner"] = { raw = answer("inner") } } }
  end)
  teardown(function() if sim then sim:stop() end end)

  local function check_outer(status, headers, body)
    assert.equal(200, status)
    assert.equal("outer", headers["x-which"])
    local n = 0
    for k, v in pairs(headers) do
      if k:find("^x%-filler%-") then
        n = n + 1
        assert.equal("outer" .. string.rep("v", 30), v)
      end
    end
    assert.equal(NHEADERS, n)
    assert.equal("outer", body.which)
    assert.equal(3000, #body.items)
    assert.equal("outer", body.items[3000].tag)
  end

  local run = it

  run("session: close() from a finalizer during request waits until the request has returned", function()
    local s = core.session { base_url = sim.url, timeout = 10 }
    local state = {}
    local open_in_gc
    state.on_fire = function(n)
      if n == 1 then
        s:close()
        open_in_gc = not s:is_closed()
      end
    end
    local status, headers, body
    with_eager_gc(state, function()
      state.armed = true
      status, headers, body = s:request("GET", "/v5/outer")
      state.armed = false
    end)
    assert.is_true(state.fired > 0, "no finalizer ran during the request")
    assert.is_false(open_in_gc) -- reports closed as soon as the close is asked for
    check_outer(status, headers, body)
    assert.is_true(s:is_closed())
    assert.equal("pinanalytics.Session (closed)", tostring(s))
    assert.has_error(function() s:request("GET", "/v5/outer") end, "pinanalytics: attempt to use a closed session")
    s:close() -- still idempotent
  end)

  run("session: a nested call from a finalizer is refused; the outer request returns its own answer", function()
    local s = core.session { base_url = sim.url, timeout = 10 }
    local state = {}
    local errs = {}
    state.on_fire = function(n)
      if n > 3 then return end
      local calls = {
        function() return s:request("GET", "/v5/inner") end,
        function() return s:set_token("other") end,
        function() return s:info() end,
      }
      local ok, err = pcall(calls[n])
      errs[n] = ok and "no error" or tostring(err)
    end
    local status, headers, body
    with_eager_gc(state, function()
      state.armed = true
      status, headers, body = s:request("GET", "/v5/outer")
      state.armed = false
    end)
    assert.is_true(state.fired > 0, "no finalizer ran during the request")
    for n = 1, math.min(3, state.fired) do
      assert.truthy(errs[n]:find("pinanalytics: session is busy: ", 1, true), errs[n])
    end
    check_outer(status, headers, body)
    -- the session is usable again afterwards
    assert.is_false(s:is_closed())
    local st2, h2, b2 = s:request("GET", "/v5/inner")
    assert.equal(200, st2)
    assert.equal("inner", h2["x-which"])
    assert.equal("inner", b2.which)
    s:close()
  end)

  -- the Batch builds results in step(); step() itself allocates its result
  -- table first, so the finalizer acts from its second run in one step on:
  -- only the building of finished requests allocates more than once
  local function step_until_done(b, state)
    local got
    with_eager_gc(state, function()
      for _ = 1, 400 do
        state.fired = 0
        state.armed = true
        local done = b:step(25)
        state.armed = false
        if #done > 0 then
          got = done
          break
        end
      end
    end)
    return got
  end

  run("batch: close() from a finalizer during step waits until step has returned", function()
    local b = core.batch { base_url = sim.url, timeout = 10, concurrency = 2 }
    b:add(7, "GET", "/v5/outer")
    local state = {}
    local closed_at
    state.on_fire = function(n)
      if n == 2 and not closed_at then
        b:close()
        closed_at = n
      end
    end
    local done = step_until_done(b, state)
    assert.is_not_nil(done, "the request did not finish")
    assert.equal(2, closed_at, "no finalizer ran while step built its results")
    assert.equal(1, #done)
    assert.equal(7, done[1].id)
    check_outer(done[1].status, done[1].headers, done[1].body)
    assert.is_true(b:is_closed())
    assert.has_error(function() b:step(1) end, "pinanalytics: attempt to use a closed batch")
  end)

  run("batch: a nested call from a finalizer during step is refused", function()
    local b = core.batch { base_url = sim.url, timeout = 10, concurrency = 2 }
    b:add(7, "GET", "/v5/outer")
    local state = {}
    local errs = {}
    state.on_fire = function(n)
      if n < 2 or #errs >= 4 then return end
      local calls = {
        function() return b:add(8, "GET", "/v5/inner") end,
        function() return b:step(0) end,
        function() return b:set_token("other") end,
        function() return b:inflight() end,
      }
      local ok, err = pcall(calls[#errs + 1])
      errs[#errs + 1] = ok and "no error" or tostring(err)
    end
    local done = step_until_done(b, state)
    assert.is_not_nil(done, "the request did not finish")
    assert.is_true(#errs > 0, "no finalizer ran while step built its results")
    for _, e in ipairs(errs) do
      assert.truthy(e:find("pinanalytics: batch is busy: ", 1, true), e)
    end
    assert.equal(1, #done)
    assert.equal(7, done[1].id)
    check_outer(done[1].status, done[1].headers, done[1].body)
    assert.equal(0, b:inflight())
    b:close()
  end)

  -- the trampoline that runs a busy call is reachable with debug.getregistry():
  -- called with any other light userdata it raises instead of following it
  it("the internal trampoline refuses calls it did not expect", function()
    local refused = 0
    for k, v in pairs(debug.getregistry()) do
      if type(v) == "function" and type(k) == "userdata" then
        local n = 0
        for _, a in ipairs({ core.null, k }) do
          local ok, err = pcall(v, a)
          if not ok and tostring(err):find("pinanalytics: internal function", 1, true) then n = n + 1 end
        end
        if n == 2 then refused = refused + 1 end
      end
    end
    assert.equal(1, refused)
  end)
end)
