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

  it("a call outside pa.async, or an unknown runtime, is refused with a clear error", function()
    local c = H.client(sim, { runtime = "uv" })
    assert.has_error(function() c:user_account() end,
      "pinanalytics (runtime uv): a request must run inside pinanalytics.async(fn): the client waits by yielding " ..
      "to the loop")
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
