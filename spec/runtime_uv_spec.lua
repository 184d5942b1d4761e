-- The "uv" runtime in plain Lua with Debian's lua-luv: client calls inside
-- pinanalytics.async yield to the loop; libcurl is driven by the loop's
-- socket and timer events.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local uvrt = require "pinanalytics.runtime.uv"
local uv = require "luv"

local PIN = "555000111"

local function params()
  return { start_date = H.day(-10), end_date = H.day(-1), metric_types = { "IMPRESSION", "SAVE" } }
end

-- Runs fn inside pa.async on the loop until it ends (at most `limit` s);
-- returns ok, results... as on_done got them.
local function run_async(fn, limit)
  local got
  pa.async(fn, function(...) got = { n = select("#", ...), ... } end)
  local guard = uv.new_timer()
  guard:start((limit or 20) * 1000, 0, function() guard:close(); uv.stop() end)
  while not got and uv.run("once") do end
  if not guard:is_closing() then guard:stop(); guard:close() end
  uv.run("nowait")
  assert(got, "the task did not end within the limit")
  return (table.unpack or unpack)(got, 1, got.n)
end

describe("runtime uv (luv)", function()
  local sim, expected

  setup(function()
    sim = H.start { oneup_api_key = "oneup-spec-key" }
    local c = H.client(sim)
    local res = assert(c:pin_analytics(PIN, params()))
    expected = res
    c:close()
  end)
  teardown(function()
    if sim then sim:stop() end
    -- every handle closed and its close callback run before the process
    -- ends: Debian's luv (1.44) runs pending close callbacks while Lua
    -- closes its state, and crashes there
    uv.walk(function(h) if not h:is_closing() then h:close() end end)
    uv.run("nowait")
  end)
  after_each(function() sim:configure { latency_ms = 0 } end)

  it("a fetch inside pa.async gives what the blocking client gives", function()
    local ok, res, name = run_async(function()
      local c = H.client(sim, { runtime = "uv" })
      local r = assert(c:pin_analytics(PIN, params()))
      c:close()
      return r, c.rt.name
    end)
    assert.is_true(ok)
    assert.equal("uv", name)
    assert.same(expected, res)
  end)

  it("while one request waits 1 s for its server, Lua is woken fewer than 20 times", function()
    sim:configure { latency_ms = 1000 }
    local before, t0
    local ok, res = run_async(function()
      local c = H.client(sim, { runtime = "uv" })
      assert(c:user_account()) -- connect first: the count is for the wait
      before, t0 = uvrt.stats.wakeups, uv.hrtime()
      local r = assert(c:pin_analytics(PIN, params()))
      c:close()
      return r
    end)
    local woken = uvrt.stats.wakeups - before
    assert.is_true(ok)
    assert.same(expected, res)
    assert.is_true((uv.hrtime() - t0) / 1e9 >= 0.95) -- it did wait for the server
    assert.is_true(woken < 20, "woken " .. woken .. " times")
  end)

  it("the loop goes on while a request waits, and while a Retry-After is waited out", function()
    sim:configure { latency_ms = 300, override = { ["/v5/pins/" .. PIN .. "/analytics"] = {
      status = 503, body = '{"code": 1, "message": "busy"}', headers = { ["Retry-After"] = "1" }, times = 1 } } }
    local ticks, gap, last = 0, 0, uv.hrtime()
    local timer = uv.new_timer()
    timer:start(50, 50, function()
      local now = uv.hrtime()
      ticks = ticks + 1
      if now - last > gap then gap = now - last end
      last = now
    end)
    local ok, res, tries = run_async(function()
      local c = H.client(sim, { runtime = "uv", retries = 2 })
      local r = assert(c:pin_analytics(PIN, params()))
      c:close()
      return r, #sim:requests()
    end)
    timer:stop()
    timer:close()
    assert.is_true(ok)
    assert.same(expected, res)
    assert.is_true(tries >= 2)
    -- 0.3 s + 1 s + 0.3 s: the 50 ms timer ticked all along
    assert.is_true(ticks >= 20, "ticks " .. ticks)
    assert.is_true(gap / 1e6 < 150, ("largest gap %.0f ms"):format(gap / 1e6))
  end)

  it("pins_analytics (the bulk engine) runs on the loop", function()
    local ids = H.ids(30)
    local blocking = H.client(sim)
    local want = blocking:pins_analytics(ids, params())
    blocking:close()
    local ok, res, errs = run_async(function()
      local c = H.client(sim, { runtime = "uv", concurrency = 4 })
      local r, e = c:pins_analytics(ids, params())
      c:close()
      return r, e
    end)
    assert.is_true(ok)
    assert.same({}, errs)
    assert.same(want, res)
  end)

  it("errors come back as values, and on_done hears of an error raised in fn", function()
    local ok, res, err = run_async(function()
      local c = H.client(sim, { runtime = "uv", token = "wrong-token" })
      local r, e = c:pin_analytics(PIN, params())
      c:close()
      return r, e
    end)
    assert.is_true(ok)
    assert.is_nil(res)
    assert.equal("auth", err.kind)
    local ok2, e2 = run_async(function() error("boom from the task", 0) end)
    assert.is_false(ok2)
    assert.equal("boom from the task", e2)
  end)

  it("closing a client while one of its requests waits ends that wait with an error", function()
    sim:configure { latency_ms = 1000 }
    local c = H.client(sim, { runtime = "uv" })
    local closer = uv.new_timer()
    closer:start(200, 0, function() closer:close(); c:close() end)
    local ok, err = run_async(function() return c:pin_analytics(PIN, params()) end)
    assert.is_false(ok)
    assert.equal("pinanalytics: the client was closed while a request waited on it", err)
  end)

  it("OneUp's client runs on the loop too", function()
    local one = pa.oneup { api_key = "oneup-spec-key", base_url = sim.url, clock = H.clock }
    local want, werr = one:overview { social_network_id = 1, preset = "last_30_days" }
    one:close()
    local ok, res, err = run_async(function()
      local c = pa.oneup { api_key = "oneup-spec-key", base_url = sim.url, clock = H.clock, runtime = "uv" }
      local r, e = c:overview { social_network_id = 1, preset = "last_30_days" }
      c:close()
      return r, e
    end)
    assert.is_true(ok)
    assert.same(want, res)
    assert.same(werr, err)
  end)

  it("a token is obtained and refreshed through the runtime (POST /oauth/token on the loop)", function()
    local osim = H.start { client_id = "app-uv", client_secret = "uv-secret-123", refresh_token = "uv-refresh-456",
      token_ttl = 3600 }
    local got = {}
    local ok, res = run_async(function()
      local c = pa.pinterest { base_url = osim.pinterest_url, client_id = "app-uv", client_secret = "uv-secret-123",
        refresh_token = "uv-refresh-456", runtime = "uv", clock = H.clock,
        on_token = function(t) got[#got + 1] = t.access_token end }
      local r = assert(c:pin_analytics(PIN, params()))
      c:close()
      return r
    end)
    local paths = {}
    for _, q in ipairs(osim:requests()) do paths[#paths + 1] = q.method .. " " .. q.path end
    osim:stop()
    assert.is_true(ok, tostring(res))
    assert.equal(1, #got)
    assert.equal("POST /v5/oauth/token", paths[1])
    assert.equal("GET /v5/pins/" .. PIN .. "/analytics", paths[2])
    assert.same(expected.all.summary_metrics, res.all.summary_metrics)
  end)

  it("outside pa.async a call blocks and answers, as where OpenResty cannot yield; an unknown runtime is refused", function()
    local c = H.client(sim, { runtime = "uv" })
    local got = assert(c:pin_analytics(PIN, params()))
    assert.same(expected, got)
    local many, errs = c:pins_analytics({ PIN, "555000112" }, params())
    assert.same({}, errs)
    assert.same(expected, many[PIN])
    c:close()
    assert.has_error(function() H.client(sim, { runtime = "tokio" }) end,
      "pinanalytics.pinterest:new: option runtime must be one of blocking, ngx, uv, got \"tokio\"")
    assert.has_error(function() H.client(sim, { runtime = "ngx" }) end,
      "pinanalytics.pinterest:new: option runtime \"ngx\" needs OpenResty (nginx's Lua module 0.10.21 or later, " ..
      "with ngx.run_worker_thread); this host has no ngx")
    assert.has_error(function() H.client(sim, { shared_dict = "x" }) end,
      "pinanalytics.pinterest:new: option shared_dict applies to runtime \"ngx\" only (this client's runtime " ..
      "is \"blocking\")")
    assert.has_error(function() pa.async("not a function") end,
      "pinanalytics.async: argument 'fn' must be a function, got string")
  end)
end)

describe("runtime uv: one client, many tasks", function()
  local sim, want

  local function task_runner()
    -- runs several tasks at once until all end (at most 30 s)
    local results, left = {}, 0
    local function start(name, fn)
      left = left + 1
      pa.async(fn, function(ok, a, b)
        results[name] = { ok = ok, a = a, b = b }
        left = left - 1
      end)
    end
    local function wait()
      local guard = uv.new_timer()
      guard:start(30000, 0, function() guard:close(); uv.stop() end)
      while left > 0 and uv.run("once") do end
      if not guard:is_closing() then guard:stop(); guard:close() end
      uv.run("nowait")
      assert(left == 0, left .. " tasks did not end within 30 s")
      return results
    end
    return start, wait
  end

  setup(function()
    sim = H.start {}
    local c = H.client(sim)
    want = {}
    for _, id in ipairs(H.ids(5, 555000200)) do want[id] = assert(c:pin_analytics(id, params())) end
    c:close()
  end)
  teardown(function()
    if sim then sim:stop() end
    uv.walk(function(h) if not h:is_closing() then h:close() end end)
    uv.run("nowait")
  end)
  after_each(function() sim:configure { latency_ms = 0 } end)

  for _, n in ipairs({ 2, 5 }) do
    it(n .. " tasks that call one client at once all get their own pin's answer", function()
      sim:configure { latency_ms = 300 }
      local c = H.client(sim, { runtime = "uv" })
      local start, wait = task_runner()
      local ids = H.ids(n, 555000200)
      local t0 = uv.hrtime()
      for _, id in ipairs(ids) do
        start(id, function() return c:pin_analytics(id, params()) end)
      end
      local results = wait()
      local took = (uv.hrtime() - t0) / 1e9
      c:close()
      for _, id in ipairs(ids) do
        assert.is_true(results[id].ok, tostring(results[id].a))
        assert.is_truthy(results[id].a, tostring(results[id].b))
        assert.same(want[id], results[id].a)
      end
      -- side by side, not one after another (n x 0.3 s)
      assert.is_true(took < 0.3 * n, ("took %.2f s"):format(took))
    end)
  end

  it("two tasks that run pins_analytics on one client at once both get every pin", function()
    sim:configure { latency_ms = 200 }
    local c = H.client(sim, { runtime = "uv", concurrency = 2 })
    local start, wait = task_runner()
    local a, b = H.ids(3, 555000200), { "555000203", "555000204" }
    start("a", function() return c:pins_analytics(a, params()) end)
    start("b", function() return c:pins_analytics(b, params()) end)
    local results = wait()
    c:close()
    for name, list in pairs({ a = a, b = b }) do
      local r = results[name]
      assert.is_true(r.ok, tostring(r.a))
      assert.same({}, r.b)
      assert.equal(#list, H.count(r.a))
      for _, id in ipairs(list) do assert.same(want[id], r.a[id]) end
    end
  end)

  it("a task abandoned in the middle of pins_analytics does not hold the client", function()
    sim:configure { latency_ms = 200 }
    local yielded = false
    local c = H.client(sim, { runtime = "uv", concurrency = 2, on_progress = function()
      if not yielded then
        yielded = true
        coroutine.yield() -- the task leaves the run and is never resumed
      end
    end })
    local start, wait = task_runner()
    local abandoned = pa.async(function() return c:pins_analytics(H.ids(4, 555000200), params()) end)
    local guard = uv.new_timer()
    guard:start(5000, 0, function() guard:close(); uv.stop() end)
    while not yielded and uv.run("once") do end
    if not guard:is_closing() then guard:stop(); guard:close() end
    assert.is_true(yielded)
    if abandoned.dead then
      -- Lua 5.1: on_progress runs under a pcall that cannot be yielded across
      assert.equal("Lua 5.1", _VERSION)
      c:close()
      return
    end
    abandoned = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    start("b", function() return c:pins_analytics({ "555000203", "555000204" }, params()) end)
    local r = wait().b
    c:close()
    assert.is_true(r.ok, tostring(r.a))
    assert.same({}, r.b)
    assert.same(want["555000203"], r.a["555000203"])
    assert.same(want["555000204"], r.a["555000204"])
  end)

  it("blocking: a coroutine left in the middle of pins_analytics, dead or collected, does not hold the client", function()
    local bulk = require "pinanalytics.bulk"
    local c = H.client(sim, { concurrency = 2, on_progress = function()
      coroutine.yield() -- leaves the run: the coroutine is never resumed
    end })
    local list = { "555000203", "555000204" }
    local function leave_one()
      local co = coroutine.create(function() return c:pins_analytics(H.ids(3, 555000200), params()) end)
      assert(coroutine.resume(co))
      return co, coroutine.status(co) == "suspended"
    end
    local co, left = leave_one()
    if not left then
      -- Lua 5.1: on_progress runs under a pcall that cannot be yielded across
      assert.equal("Lua 5.1", _VERSION)
      c:close()
      return
    end
    assert.equal("other", bulk.holder(c.batch))
    -- a live owner elsewhere: this run has a Batch of its own
    local res, errs = c:pins_analytics(list, params())
    assert.same({}, errs)
    assert.same(want[list[1]], res[list[1]])
    assert.equal("other", bulk.holder(c.batch))
    if rawget(coroutine, "close") then
      assert.is_true(coroutine.close(co))
      assert.equal("gone", bulk.holder(c.batch))
      leave_one() -- another, left and dropped: it is garbage once collected
      assert.equal("other", bulk.holder(c.batch))
    end
    co = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    assert.equal("gone", bulk.holder(c.batch))
    local main = c.batch
    res, errs = c:pins_analytics(list, params())
    assert.same({}, errs)
    assert.same(want[list[2]], res[list[2]])
    assert.is_nil(bulk.holder(c.batch))
    assert.equal(main, c.batch)
    assert.equal(0, c.batch:inflight())
    c:close()
  end)

  it("200 clients made and closed outside the loop leave no handles behind, and the process exits 0", function()
    local R = require "helpers.runtime"
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write(string.format([[
local uv = require "luv"
local pa = require "pinanalytics"
local URL, TOKEN, PIN, D1, D2 = %q, %q, %q, %q, %q
local function handles()
  local n = 0
  uv.walk(function() n = n + 1 end)
  return n
end
local before = handles()
-- made and closed, never used
for _ = 1, 200 do pa.pinterest{ token = TOKEN, base_url = URL, runtime = "uv" }:close() end
local idle = handles()
-- each used by a task on the loop, then closed after the loop returned
local ok = 0
for _ = 1, 200 do
  local c = pa.pinterest{ token = TOKEN, base_url = URL, runtime = "uv" }
  pa.async(function()
    return c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
  end, function(good, res) if good and res then ok = ok + 1 end end)
  uv.run()
  c:close()
end
print(before, idle, handles(), ok)
]], sim.pinterest_url, H.TOKEN, PIN, H.day(-10), H.day(-1)))
    f:close()
    local out, code = R.run("env LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='" .. R.BUILD .. "/?.so;;' " ..
      R.exe() .. " " .. script .. " 2>&1")
    os.remove(script)
    assert.equal(0, code, out)
    local before, idle, after, ok = out:match("^(%d+)\t(%d+)\t(%d+)\t(%d+)")
    assert.is_truthy(before, out)
    assert.equal(200, tonumber(ok))
    assert.is_true(tonumber(idle) - tonumber(before) <= 2, out)
    assert.is_true(tonumber(after) - tonumber(before) <= 4, out)
  end)
end)
