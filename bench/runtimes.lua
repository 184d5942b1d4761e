-- Section 6 of bench/RESULTS.md: what waiting without blocking costs, and
-- what it buys, on each runtime.
--
--   make bench (runs it last), or alone from the checkout after
--   make build build-luajit:
--   LUA_PATH="lua/?.lua;lua/?/init.lua;spec/?.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/runtimes.lua
--
-- In nginx (one worker, the project's LuaJIT build), three ways for a
-- request handler to wait for the API are compared: the "ngx" runtime
-- with transport "threads" (libcurl on nginx's thread pool; the handler's
-- light thread yields; section 9 compares it with the cosocket transport), the
-- "blocking" runtime (libcurl in the worker itself), and a core Batch
-- polled between ngx.sleep(0.001) calls (the other non-blocking way open to
-- the C core: nginx's event loop cannot watch libcurl's sockets).
-- (a) sequential requests with no server delay: the cost per request;
-- (b) 10 clients at once against a server that answers after 200 ms: the
--     time until all are served, and how long a plain location took to
--     answer meanwhile.
-- Then the "uv" runtime in plain Lua with lua-luv against "blocking".
-- Nothing here goes over a network: every server is on 127.0.0.1.
package.path = "spec/?.lua;" .. package.path
local H = require "helpers.sim"
local host = require "helpers.host"
local pa = require "pinanalytics"
local core = require "pinanalytics.core"

local HEADING = "## 6. Runtimes"
local RESULTS = ((arg and arg[0] or "bench/runtimes.lua"):match("^(.*)/[^/]*$") or ".") .. "/RESULTS.md"
package.path = (RESULTS:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local SEQ = 300

local function say(fmt, ...) io.stderr:write(string.format(fmt, ...) .. "\n") end

local sim = H.start {}
local PARAMS = string.format("{ start_date = %q, end_date = %q, metric_types = { 'IMPRESSION', 'SAVE' } }",
  H.day(-10), H.day(-1))

-- the handler: ?mode=ngx|blocking|polled&n=N -> "seconds wakeups"
local HANDLER = [[
content_by_lua_block {
  local pa = require "pinanalytics"
  local core = require "pinanalytics.core"
  local URL, TOKEN, PIN = %q, %q, "555000111"
  local params = ]] .. PARAMS .. [[
  local mode, n = ngx.var.arg_mode, tonumber(ngx.var.arg_n) or 1
  local wakeups = 0
  ngx.update_time()
  local t0 = ngx.now()
  if mode == "polled" then
    local b = core.batch { base_url = URL, token = TOKEN, concurrency = 1 }
    local target = "/pins/" .. PIN .. "/analytics?start_date=" .. params.start_date .. "&end_date=" ..
      params.end_date .. "&metric_types=IMPRESSION,SAVE"
    for i = 1, n do
      b:add(i, "GET", target)
      local got
      repeat
        local done = b:step(0)
        got = done[1]
        if not got then wakeups = wakeups + 1; ngx.sleep(0.001) end
      until got
      assert(got.status == 200, got.message or got.status)
    end
    b:close()
  else
    local c = pa.pinterest { token = TOKEN, base_url = URL, runtime = mode, retries = 0,
      transport = mode == "ngx" and "threads" or nil }
    for _ = 1, n do assert(c:pin_analytics(PIN, params)) end
    c:close()
  end
  ngx.update_time()
  ngx.say(string.format("%%.6f %%d", ngx.now() - t0, wakeups))
}
]]

local server = host.nginx(nil, table.concat({
  "location = /ok { return 200 'ok'; }",
  "location = /run { " .. string.format(HANDLER, sim.pinterest_url, H.TOKEN) .. " }",
}, "\n"), "thread_pool default threads=16;")

local function get(path)
  local r = host.curl_many(server.url, { { path = path, name = "r" } }).r
  assert(r.status == 200, path .. ": HTTP " .. tostring(r.status) .. " " .. tostring(r.body) ..
    server:error_log():sub(-1500))
  local secs, wakeups = r.body:match("^(%S+) (%d+)")
  return tonumber(secs), tonumber(wakeups)
end

local MODES = { "ngx", "blocking", "polled" }
local seq = {}
for _, mode in ipairs(MODES) do
  get("/run?mode=" .. mode .. "&n=20") -- warm: connections, thread VMs
  local best = math.huge
  for _ = 1, 3 do
    local secs = get("/run?mode=" .. mode .. "&n=" .. SEQ)
    if secs < best then best = secs end
  end
  seq[mode] = best / SEQ
  say("(a) %-8s %.3f ms a request", mode, seq[mode] * 1000)
end

sim:configure { latency_ms = 200 }
local conc = {}
for _, mode in ipairs(MODES) do
  local reqs = {}
  for i = 1, 10 do reqs[i] = { path = "/run?mode=" .. mode .. "&n=1", name = i } end
  reqs[11] = { path = "/ok", name = "ok", delay = 0.05 }
  local r = host.curl_many(server.url, reqs)
  local slowest, wakeups = 0, 0
  for i = 1, 10 do
    assert(r[i].status == 200, mode .. ": HTTP " .. tostring(r[i].status))
    if r[i].time > slowest then slowest = r[i].time end
    wakeups = wakeups + tonumber(r[i].body:match(" (%d+)"))
  end
  conc[mode] = { all = slowest, ok = r.ok.time, wakeups = wakeups / 10 }
  say("(b) %-8s all served in %.3f s, /ok in %.3f s, %.0f wakeups a request", mode, slowest, r.ok.time,
    wakeups / 10)
end
server:stop()

-- the uv runtime in plain Lua
sim:configure { latency_ms = 0 }
local uv = require "luv"
local uvrt = require "pinanalytics.runtime.uv"
local function uv_run(fn)
  local done
  pa.async(fn, function(ok, err) assert(ok, err) done = true end)
  while not done and uv.run("once") do end
end
local params = { start_date = H.day(-10), end_date = H.day(-1), metric_types = { "IMPRESSION", "SAVE" } }
local per = {}
for _, name in ipairs({ "uv", "blocking" }) do
  local best = math.huge
  for _ = 1, 3 do
    uv_run(function()
      local c = H.client(sim, { runtime = name })
      assert(c:pin_analytics("555000111", params))
      local t0 = core.now()
      for _ = 1, SEQ do assert(c:pin_analytics("555000111", params)) end
      local secs = core.now() - t0
      if secs < best then best = secs end
      c:close()
    end)
  end
  per[name] = best / SEQ
  say("(c) %-8s %.3f ms a request", name, per[name] * 1000)
end
sim:configure { latency_ms = 1000 }
local woken
uv_run(function()
  local c = H.client(sim, { runtime = "uv" })
  assert(c:user_account())
  local before = uvrt.stats.wakeups
  assert(c:pin_analytics("555000111", params))
  woken = uvrt.stats.wakeups - before
  c:close()
end)
say("(c) uv: %d wakeups during one 1 s request", woken)
sim:stop()

---------------------------------------------------------------- RESULTS.md

local out = {}
local function add(fmt, ...)
  out[#out + 1] = select("#", ...) > 0 and string.format(fmt, ...) or (fmt or "")
end
add("%s: waiting without blocking the host", HEADING)
add()
add("`lua5.4 bench/runtimes.lua` (in its own process; `make bench` runs it last), %s. nginx with its Lua module, " ..
  "one worker, the project's LuaJIT build, `thread_pool default threads=16;`; the simulator on 127.0.0.1. " ..
  "Three ways for a request handler to wait: " ..
  "the **ngx** runtime (libcurl on nginx's thread pool, the handler's light thread yields), the **blocking** " ..
  "runtime (libcurl in the worker itself), and a core Batch **polled** with `step(0)` between `ngx.sleep(0.001)` " ..
  "calls.", os.date("!%Y-%m-%d %H:%M UTC"))
add()
add("| | ngx | blocking | polled |")
add("|---|---:|---:|---:|")
add("| (a) one request after another, no server delay: time a request (best of 3 x %d) | %.3f ms | %.3f ms | " ..
  "%.3f ms |", SEQ, seq.ngx * 1000, seq.blocking * 1000, seq.polled * 1000)
add("| (b) 10 clients at once, server answers after 200 ms: all served in | %.2f s | %.2f s | %.2f s |",
  conc.ngx.all, conc.blocking.all, conc.polled.all)
add("| (b) a plain location asked meanwhile answered in | %.3f s | %.3f s | %.3f s |", conc.ngx.ok,
  conc.blocking.ok, conc.polled.ok)
add("| (b) Lua wakeups a request while it waits | 0 | 0 | %.0f |", conc.polled.wakeups)
add()
add("In plain Lua with lua-luv: a request on the **uv** runtime (inside `pinanalytics.async`, libcurl driven by " ..
  "the loop's socket and timer events) took %.3f ms against %.3f ms on the blocking runtime (best of 3 x %d, no " ..
  "server delay), and Lua was woken %d times while one request waited 1 s for its server.",
  per.uv * 1000, per.blocking * 1000, SEQ, woken)
add()
local section = table.concat(out, "\n")

require("section").write(RESULTS, HEADING, section)
say("wrote the runtimes section of %s", RESULTS)
