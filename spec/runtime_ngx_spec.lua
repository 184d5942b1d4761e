-- The "ngx" runtime: inside OpenResty a client's call yields its light
-- thread while it waits, so the worker goes on serving other requests.
-- nginx runs the project's LuaJIT build (build/luajit) with one worker.
-- Everything runs on both transports: "cosocket" (nginx's sockets, the
-- default) and "threads" (libcurl on nginx's thread pool).
local H = require "helpers.sim"
local host = require "helpers.host"

local PIN = "555000111"

for _, TRANSPORT in ipairs({ "cosocket", "threads" }) do
describe("runtime ngx (OpenResty), transport " .. TRANSPORT, function()
  local sim, ngx_server, expected

  local function log_tail()
    return "\nnginx error log:\n" .. ngx_server:error_log():sub(-3000)
  end

  -- the module-level client of the /shared_* locations
  local SHARED = [[
    local bulk = require 'pinanalytics.bulk'
    local keep = package.loaded.pa_spec_shared or {}
    package.loaded.pa_spec_shared = keep
    keep.c = keep.c or pa.pinterest{ token = TOKEN, base_url = URL, retries = 3, concurrency = 2 }
    local c = keep.c
    local IDS = { PIN, "555000112", "555000113" }
    local P = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
  ]]

  -- another module-level client, for the /live_* locations
  local LIVE = [[
    local keep = package.loaded.pa_spec_live or {}
    package.loaded.pa_spec_live = keep
    keep.c = keep.c or pa.pinterest{ token = TOKEN, base_url = URL, retries = 0 }
    local c = keep.c
    local P = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
    local function bulk()
      local ok, res, errs = pcall(c.pins_analytics, c, { "7600001", "7600002", "7600003" }, P)
      if not ok then return "raised " .. tostring(res) end
      local n = 0
      for _ in pairs(res) do n = n + 1 end
      return "ok " .. n .. " " .. tostring(next(errs) and select(2, next(errs)) or "none")
    end
  ]]

  -- pa.pinterest makes its clients on this describe's transport (unless a
  -- thread pool is named)
  local function handler(body)
    return "content_by_lua_block {\n" ..
      "local pa0 = require 'pinanalytics'\n" ..
      "local pa = setmetatable({ pinterest = function(o) if o.thread_pool == nil then o.transport = " ..
      string.format("%q", TRANSPORT) .. " end return pa0.pinterest(o) end }, { __index = pa0 })\n" ..
      string.format("local URL, TOKEN, D1, D2, PIN = %q, %q, %q, %q, %q\n", sim.pinterest_url, H.TOKEN,
        H.day(-10), H.day(-1), PIN) ..
      body .. "\n}"
  end

  setup(function()
    sim = H.start { latency_ms = 1000 }
    local c = H.client(sim)
    sim:configure { latency_ms = 0 }
    local res = assert(c:pin_analytics(PIN, { start_date = H.day(-10), end_date = H.day(-1),
      metric_types = { "IMPRESSION" } }))
    expected = res.all.summary_metrics.IMPRESSION
    c:close()
    sim:configure { latency_ms = 1000 }
    ngx_server = host.nginx("lua_shared_dict pa_rate 1m;", table.concat({
      "location = /ok { return 200 'ok'; }",
      "location = /fetch { " .. handler([[
        local c = pa.pinterest{ token = TOKEN, base_url = URL, retries = 3 }
        local res, err = c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
        if not res then ngx.status = 502; ngx.say("error ", tostring(err)); return end
        ngx.say(c.rt.name, " ", res.all.summary_metrics.IMPRESSION)
        c:close()]]) .. " }",
      "location = /transport { " .. handler([[
        local c = pa.pinterest{ token = TOKEN, base_url = URL }
        local d = pa0.pinterest{ token = TOKEN, base_url = URL }
        ngx.say(c.rt.transport, " ", d.rt.transport)]]) .. " }",
      "location = /bulk { " .. handler([[
        local c = pa.pinterest{ token = TOKEN, base_url = URL, retries = 3 }
        local res, errs = c:pins_analytics({ PIN, "555000112", "555000113" }, { start_date = D1, end_date = D2,
          metric_types = { "IMPRESSION" } })
        local n = 0
        for _ in pairs(res) do n = n + 1 end
        if next(errs) then ngx.status = 502; ngx.say("error ", tostring(select(2, next(errs)))); return end
        ngx.say(c.rt.name, " ", res[PIN].all.summary_metrics.IMPRESSION, " ", n)
        c:close()]]) .. " }",
      "location = /share { " .. handler([[
        local a = pa.pinterest{ token = TOKEN, base_url = URL, rate = { per_second = 5 } }
        local b = pa.pinterest{ token = TOKEN, base_url = URL, rate = { per_second = 5 } }
        local other = pa.pinterest{ token = "another-token", base_url = URL, rate = { per_second = 5 } }
        local s1 = pa.pinterest{ token = TOKEN, base_url = URL, rate = { per_second = 5 }, shared_dict = "pa_rate" }
        local before = #ngx.shared.pa_rate:get_keys(0)
        assert(s1:user_account())
        local keys = ngx.shared.pa_rate:get_keys(0)
        ngx.say(tostring(a.buckets("org_read") == b.buckets("org_read")), " ",
          tostring(a.buckets("org_read") == other.buckets("org_read")), " ", before, " ", #keys, " ",
          tostring(keys[1]:find(TOKEN, 1, true) == nil))]]) .. " }",
      "location = /keepalive { " .. handler([[
        local c = pa.pinterest{ token = TOKEN, base_url = URL }
        for _ = 1, 12 do assert(c:user_account()) end
        c:close()
        ngx.say("done")]]) .. " }",
      "location = /timer { " .. handler([[
        local out = {}
        ngx.timer.at(0, function()
          local c = pa.pinterest{ token = TOKEN, base_url = URL }
          local res, err = c:pin_analytics(PIN, { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } })
          out.v = res and (c.rt.name .. " " .. res.all.summary_metrics.IMPRESSION) or tostring(err)
          c:close()
        end)
        for _ = 1, 100 do if out.v then break end ngx.sleep(0.05) end
        ngx.say(tostring(out.v))]]) .. " }",
      "location = /set_phase { set_by_lua_block $got { " .. [[
        local pa = require 'pinanalytics'
        ]] .. string.format("local c = pa.pinterest{ token = %q, base_url = %q }", H.TOKEN, sim.pinterest_url) .. [[
        local res, err = c:user_account()
        c:close()
        return res and ("blocking fallback " .. res.username) or tostring(err) }]] ..
        " return 200 $got; }",
      -- one client for the worker, kept at module level, as an application keeps it
      "location = /shared_kill { " .. handler(SHARED .. [[
        local t = ngx.thread.spawn(function() return c:pins_analytics(IDS, P) end)
        ngx.sleep(0.3)
        local ok, err = ngx.thread.kill(t)
        ngx.say("killed ", tostring(not not ok), " ", tostring(err), " ", tostring(bulk.holder(c.batch)))]]) .. " }",
      -- killed while its run waits for a pacing token, nothing in flight
      "location = /idle_kill { " .. handler([[
        local bulk = require 'pinanalytics.bulk'
        local keep = package.loaded.pa_spec_idle or {}
        package.loaded.pa_spec_idle = keep
        keep.c = keep.c or pa.pinterest{ token = TOKEN, base_url = URL, rate = { per_second = 1, burst = 1 } }
        local c = keep.c
        local P = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
        local t = ngx.thread.spawn(function()
          c:pins_analytics({ PIN }, P)
          return c:pins_analytics({ "555000112" }, P) -- its token is due 1 s after the first one's
        end)
        ngx.sleep(0.3)
        local waiting = c.batch:waiting()
        ngx.thread.kill(t)
        ngx.say(bulk.in_progress(c.batch) and "in a run" or "no run", " ", waiting, " ", c.batch:inflight(), " ",
          tostring(bulk.holder(c.batch)), " ", c.batch:waiting())]]) .. " }",
      "location = /shared_abort { lua_check_client_abort on; " .. handler(SHARED .. [[
        c:pins_analytics(IDS, P)
        ngx.say("not aborted")]]) .. " }",
      "location = /shared_bulk { " .. handler(SHARED .. [[
        local before = tostring(bulk.holder(c.batch))
        local res, errs = c:pins_analytics(IDS, P)
        if next(errs) then ngx.status = 502; ngx.say("error ", tostring(select(2, next(errs)))); return end
        local n = 0
        for _ in pairs(res) do n = n + 1 end
        ngx.say(before, " ", res[PIN].all.summary_metrics.IMPRESSION, " ", n, " ", tostring(bulk.holder(c.batch)),
          " ", c.batch:inflight())]]) .. " }",
      "location = /shared_single { " .. handler(SHARED .. [[
        local res, err = c:pin_analytics(PIN, P)
        ngx.say(res and res.all.summary_metrics.IMPRESSION or ("error " .. tostring(err)))]]) .. " }",
      "location = /live_bulk { " .. handler(LIVE .. "ngx.say(bulk())") .. " }",
      "location = /live_later_bulk { " .. handler(LIVE .. "ngx.sleep(0.8) ngx.say(bulk())") .. " }",
      -- five single calls where nginx cannot yield: each blocks the worker 1 s
      "location = /live_blocking { set_by_lua_block $x { local pa = require 'pinanalytics'\n" ..
        string.format("local URL, TOKEN, D1, D2 = %q, %q, %q, %q\n", sim.pinterest_url, H.TOKEN, H.day(-10), H.day(-1)) ..
        LIVE .. "local n = 0 for _ = 1, 5 do if c:pin_analytics('7600009', P) then n = n + 1 end end return n }" ..
        " content_by_lua_block { ngx.say('blocking ', ngx.var.x) } }",
      "location = /bad_pool { " .. handler([[
        local c = pa.pinterest{ token = TOKEN, base_url = URL, thread_pool = "no_such_pool" }
        local ok, err = pcall(c.user_account, c)
        ngx.say(tostring(ok), " ", tostring(err))]]) .. " }",
      "location = /bad_dict { " .. handler([[
        local ok, err = pcall(pa.pinterest, { token = TOKEN, base_url = URL, shared_dict = "nope" })
        ngx.say(tostring(ok), " ", tostring(err))]]) .. " }",
    }, "\n"))
  end)

  teardown(function()
    if ngx_server then ngx_server:stop() end
    if sim then sim:stop() end
  end)

  it("runs on the transport asked for; cosockets by default", function()
    local r = host.curl_many(ngx_server.url, { { path = "/transport", name = "t" } })
    assert.equal(TRANSPORT .. " cosocket\n", r.t.body, log_tail())
  end)

  it("two requests that each wait 1 s for the server run together, and a plain location answers meanwhile", function()
    local r = host.curl_many(ngx_server.url, {
      { path = "/fetch", name = "a" }, { path = "/fetch", name = "b" }, { path = "/ok", name = "ok", delay = 0.1 },
    })
    assert.equal(200, r.a.status, r.a.body .. log_tail())
    assert.equal(200, r.b.status, r.b.body .. log_tail())
    assert.equal("ngx " .. expected .. "\n", r.a.body)
    assert.equal("ngx " .. expected .. "\n", r.b.body)
    assert.is_true(r.a.time >= 0.95 and r.b.time >= 0.95) -- they did wait for the server
    assert.is_true(r.a.time <= 1.3 and r.b.time <= 1.3, ("%.3f %.3f"):format(r.a.time, r.b.time))
    assert.equal(200, r.ok.status)
    assert.is_true(r.ok.time <= 0.1, ("plain location took %.3f s"):format(r.ok.time))
  end)

  it("a 503 with Retry-After: 1 is waited out without blocking the worker", function()
    sim:configure { latency_ms = 1000, override = { ["/v5/pins/" .. PIN .. "/analytics"] = {
      status = 503, body = '{"code": 1, "message": "busy"}', headers = { ["Retry-After"] = "1" }, times = 2 } } }
    local r = host.curl_many(ngx_server.url, {
      { path = "/fetch", name = "a" }, { path = "/fetch", name = "b" },
      { path = "/ok", name = "ok1", delay = 0.5 }, { path = "/ok", name = "ok2", delay = 1.5 },
    })
    sim:configure { latency_ms = 1000 }
    assert.equal(200, r.a.status, r.a.body .. log_tail())
    assert.equal(200, r.b.status, r.b.body .. log_tail())
    assert.equal("ngx " .. expected .. "\n", r.a.body)
    -- 1 s to the 503, 1 s waited, 1 s to the answer: about 3 s each, side by side
    assert.is_true(r.a.time >= 2.9 and r.b.time >= 2.9, ("%.3f %.3f"):format(r.a.time, r.b.time))
    assert.is_true(r.elapsed < 4.5, ("all took %.3f s"):format(r.elapsed))
    assert.is_true(r.ok1.time <= 0.1, ("plain location during the first wait: %.3f s"):format(r.ok1.time))
    assert.is_true(r.ok2.time <= 0.1, ("plain location during Retry-After: %.3f s"):format(r.ok2.time))
  end)

  it("pins_analytics (the bulk engine) runs on the runtime too", function()
    local r = host.curl_many(ngx_server.url, { { path = "/bulk", name = "bulk" }, { path = "/ok", name = "ok", delay = 0.3 } })
    assert.equal(200, r.bulk.status, r.bulk.body .. log_tail())
    assert.equal("ngx " .. expected .. " 3\n", r.bulk.body)
    assert.is_true(r.ok.time <= 0.1, ("plain location took %.3f s"):format(r.ok.time))
  end)

  it("clients of one worker with the same token share one pacing budget; shared_dict shares it across workers", function()
    local r = host.curl_many(ngx_server.url, { { path = "/share", name = "s" } })
    assert.equal(200, r.s.status, r.s.body .. log_tail())
    -- same bucket for the same token, another for another token; the dict
    -- holds one bucket after one request, under a key without the token
    assert.equal("true false 0 1 true\n", r.s.body)
  end)

  it("a runtime's requests reuse their connection; an ngx.timer callback runs on the pool too", function()
    sim:configure { latency_ms = 0 }
    local before = #sim:requests()
    local r = host.curl_many(ngx_server.url, { { path = "/keepalive", name = "k" } })
    assert.equal(200, r.k.status, r.k.body .. log_tail())
    -- 12 requests one after another (on a pool of 8 threads: some thread
    -- ran two of them; on cosockets: nginx's keep-alive pool): some request
    -- went over the connection of an earlier one
    local most, n, conns = 0, 0, {}
    local reqs = sim:requests()
    for i = before + 1, #reqs do
      local q = reqs[i]
      if q.path == "/v5/user_account" then
        n = n + 1
        conns[q.connection] = true
        if q.connection_requests > most then most = q.connection_requests end
      end
    end
    assert.equal(12, n)
    assert.is_true(most >= 2, "no connection served two requests")
    -- one at a time on cosockets: all over one connection of nginx's pool
    if TRANSPORT == "cosocket" then assert.equal(1, H.count(conns)) end
    local t = host.curl_many(ngx_server.url, { { path = "/timer", name = "t" } })
    sim:configure { latency_ms = 1000 }
    assert.equal("ngx " .. expected .. "\n", t.t.body)
  end)

  it("where nginx cannot yield (set_by_lua), a call blocks as in plain Lua and still answers", function()
    sim:configure { latency_ms = 0 }
    local r = host.curl_many(ngx_server.url, { { path = "/set_phase", name = "s" } })
    sim:configure { latency_ms = 1000 }
    assert.equal(200, r.s.status, tostring(r.s.body) .. log_tail())
    assert.matches("^blocking fallback %S+", r.s.body)
  end)

  it("a module-level client is not held by a bulk run whose light thread died (killed, client gone)", function()
    sim:configure { latency_ms = 1000 }
    -- the light thread running pins_analytics is killed in the middle of the
    -- run: nginx took it off its wait on the Batch, and the run is gone at once
    local k = host.curl_many(ngx_server.url, { { path = "/shared_kill", name = "k" } })
    assert.equal("killed true nil gone\n", k.k.body, log_tail())
    -- the next request's run cancels it and takes the client's own Batch
    local r = host.curl_many(ngx_server.url, { { path = "/shared_bulk", name = "b" } })
    assert.equal(200, r.b.status, tostring(r.b.body) .. log_tail())
    assert.equal("gone " .. expected .. " 3 nil 0\n", r.b.body)
    -- the client goes away in the middle of a run (lua_check_client_abort on):
    -- nginx ends the request and its light threads' waits with it
    local a = host.curl_many(ngx_server.url, { { path = "/shared_abort", name = "a", max_time = 0.3 } })
    assert.equal(0, a.a.status)
    r = host.curl_many(ngx_server.url, { { path = "/shared_bulk", name = "b" } })
    assert.equal(200, r.b.status, tostring(r.b.body) .. log_tail())
    assert.equal("gone " .. expected .. " 3 nil 0\n", r.b.body)
    assert.is_nil(ngx_server:error_log():find("already in progress", 1, true))
  end)

  it("one module-level client serves single calls of several requests at once", function()
    sim:configure { latency_ms = 1000 }
    local r = host.curl_many(ngx_server.url, {
      { path = "/shared_single", name = "a" }, { path = "/shared_single", name = "b" },
      { path = "/shared_single", name = "c", delay = 0.2 },
    })
    for _, k in ipairs({ "a", "b", "c" }) do
      assert.equal(tostring(expected) .. "\n", r[k].body, log_tail())
      assert.is_true(r[k].time < 1.6, k .. (" took %.3f s"):format(r[k].time))
    end
  end)

  it("a bulk run killed while it waits for a pacing token (nothing in flight) is gone at once", function()
    sim:configure { latency_ms = 0 }
    -- (its first call's request threads had finished: nginx never ended a
    -- request whose killed light thread had finished children not waited for)
    local r = host.curl_many(ngx_server.url, { { path = "/idle_kill", name = "k", max_time = 5 } })
    sim:configure { latency_ms = 1000 }
    assert.equal("in a run 1 0 gone 0\n", r.k.body, tostring(r.k.status) .. " " .. tostring(r.k.time) .. log_tail())
  end)

  it("a live bulk run is never taken for gone, however long the worker blocks (set_by_lua)", function()
    sim:configure { latency_ms = 1000 }
    -- a's run waits for its answers; c's comes while it waits (a Batch of its
    -- own); b blocks the worker 5 s meanwhile (five calls of 1 s where nginx
    -- cannot yield), so that c's wake comes due before a's, 4 s late
    local r = host.curl_many(ngx_server.url, {
      { path = "/live_bulk", name = "a" },
      { path = "/live_later_bulk", name = "c", delay = 0.1 },
      { path = "/live_blocking", name = "b", delay = 0.2 },
    })
    assert.equal("blocking 5\n", r.b.body, log_tail())
    assert.equal("ok 3 none\n", r.c.body, log_tail())
    assert.equal("ok 3 none\n", r.a.body, log_tail())
  end)

  it("a missing thread pool or shared dict is named in a clear error", function()
    local r = host.curl_many(ngx_server.url, { { path = "/bad_pool", name = "p" }, { path = "/bad_dict", name = "d" } })
    assert.matches("^false pinanalytics %(runtime ngx%): the request could not run on nginx's thread pool " ..
      "\"no_such_pool\"", r.p.body)
    assert.matches("thread_pool no_such_pool threads=N", r.p.body, 1, true)
    assert.equal("false pinanalytics.pinterest:new: option shared_dict names no lua_shared_dict: \"nope\" " ..
      "(nginx.conf: lua_shared_dict nope 1m;)\n", r.d.body)
  end)
end)
end
