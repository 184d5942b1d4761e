-- A bulk run in OpenResty whose light thread is alive but waits behind a
-- worker that blocks (the README's own blocking fallback: a call in
-- set_by_lua*) must not be taken for gone: its call returns its answers,
-- or nil, err, and never raises.
local H = require "helpers.sim"
local host = require "helpers.host"

describe("a live bulk run on a module-level client in OpenResty", function()
  local sim, server

  setup(function()
    sim = H.start { latency_ms = 1000 }
    local head = "local pa = require 'pinanalytics'\n" ..
      string.format("local URL, TOKEN, D1, D2 = %q, %q, %q, %q\n", sim.pinterest_url, H.TOKEN, H.day(-10), H.day(-1)) ..
      [[local c = package.loaded["spec.live_run_client"]
      if not c then
        c = pa.pinterest { token = TOKEN, base_url = URL, retries = 0 }
        package.loaded["spec.live_run_client"] = c
      end
      local P = { start_date = D1, end_date = D2, metric_types = { "IMPRESSION" } }
      local function bulk()
        local ok, res, errs = pcall(c.pins_analytics, c, { "7600001", "7600002", "7600003" }, P)
        if not ok then return "raised " .. tostring(res) end
        local n = 0
        for _ in pairs(res) do n = n + 1 end
        return "ok " .. n .. " " .. tostring(next(errs) and select(2, next(errs)) or "none")
      end
      ]]
    server = host.nginx(nil, table.concat({
      "location = /bulk { content_by_lua_block {", head, "ngx.say(bulk()) } }",
      "location = /later_bulk { content_by_lua_block {", head, "ngx.sleep(0.8) ngx.say(bulk()) } }",
      -- five single calls where nginx cannot yield: each blocks the worker 1 s
      "location = /blocking { set_by_lua_block $x {", head,
      "local n = 0 for i = 1, 5 do if c:pin_analytics('7600009', P) then n = n + 1 end end return n }",
      "content_by_lua_block { ngx.say('blocking ', ngx.var.x) } }",
    }, "\n"))
  end)
  teardown(function()
    if server then server:stop() end
    if sim then sim:stop() end
  end)

  it("is not taken for gone while the worker is blocked: it returns its answers", function()
    local r = host.curl_many(server.url, {
      { path = "/bulk", name = "a" },
      { path = "/later_bulk", name = "c", delay = 0.1 },
      { path = "/blocking", name = "b", delay = 0.2 },
    })
    local log = "\nnginx error log:\n" .. server:error_log():sub(-1500)
    assert.equal("blocking 5\n", r.b.body, log)
    assert.equal("ok 3 none\n", r.c.body, log)
    -- today: "raised pinanalytics.bulk.run: this run was taken for gone (it did not
    -- come back from a wait in time) and its Batch was given to another run"
    assert.equal("ok 3 none\n", r.a.body, log)
  end)
end)
