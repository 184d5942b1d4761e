-- Section 9 of bench/RESULTS.md: the "ngx" runtime's transports side by side
-- in one nginx, against lua-resty-http.
--
--   make bench (runs it), or alone from the checkout after
--   make build build-luajit:
--   LUA_PATH="lua/?.lua;lua/?/init.lua;spec/?.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/cosocket.lua
--
-- lua-resty-http is not packaged by Debian: to compare with it, point
-- PA_RESTY_HTTP at a copy's lib/ folder (the one holding resty/http.lua),
-- e.g. `git clone https://github.com/ledgetech/lua-resty-http` and
-- PA_RESTY_HTTP=$PWD/lua-resty-http/lib. Without it the comparison is
-- skipped, and the section says so. (It wants lua-resty-string for one
-- function, to_hex; where that is missing too, the handler gives it.)
--
-- (a) one location, requests one after another, no server delay: requests/s
--     for the cosocket transport (the default), the thread-pool transport and
--     lua-resty-http + cjson.decode; the same answer each time (a pin's 90
--     days, every metric); nginx has one worker and `thread_pool default
--     threads=16;` (the thread-pool transport needs it);
-- (b) 100 fetches at once (the simulator, 10 days of 2 metrics) (100 light threads of one handler, a client each,
--     as 100 handlers would make them) at 1 s of server latency, against one
--     fetch alone: on cosockets in an nginx with no thread_pool; then the
--     thread-pool transport (16 threads) and lua-resty-http for comparison.
-- The machine's load (uptime) is written beside the numbers: it is shared.
package.path = "spec/?.lua;" .. package.path
local H = require "helpers.sim"
local host = require "helpers.host"

local HEADING = "## 9. OpenResty transports"
local RESULTS = ((arg and arg[0] or "bench/cosocket.lua"):match("^(.*)/[^/]*$") or ".") .. "/RESULTS.md"
package.path = (RESULTS:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local SEQ = tonumber(os.getenv("PA_BENCH_SEQ")) or 500
local CONC = 100

local function say(fmt, ...) io.stderr:write(string.format(fmt, ...) .. "\n") end

local resty = os.getenv("PA_RESTY_HTTP")
if resty and resty ~= "" then
  local f = io.open(resty .. "/resty/http.lua", "rb")
  if not f then error("PA_RESTY_HTTP=" .. resty .. " holds no resty/http.lua", 0) end
  f:close()
else
  resty = nil
  say("PA_RESTY_HTTP is not set: lua-resty-http is left out of the comparison")
end

local sim = H.start {}
local PIN = "555000111"
local D1, D2 = H.day(-89), H.day(-1)
local METRICS = "IMPRESSION,OUTBOUND_CLICK,PIN_CLICK,SAVE,SAVE_RATE,TOTAL_COMMENTS,TOTAL_REACTIONS,USER_FOLLOW," ..
  "PROFILE_VISIT"

-- The answer of (a), taken from the simulator once and served as a file by
-- an nginx of its own: the simulator computes every answer in Lua (about
-- 12 ms for this one), which would hide what the transports cost.
local dir = host.capture("mktemp -d /tmp/pa-bench-XXXXXX"):gsub("%s+$", "")
local TARGET = "/pins/" .. PIN .. "/analytics?start_date=" .. D1 .. "&end_date=" .. D2 .. "&metric_types=" .. METRICS
assert(os.execute("curl -s -f -o " .. dir .. "/answer.json -H 'Authorization: Bearer " .. H.TOKEN .. "' '" ..
  sim.pinterest_url .. TARGET .. "'"))
local size
do
  local f = assert(io.open(dir .. "/answer.json", "rb"))
  size = #f:read("*a")
  f:close()
end
local origin = host.nginx(nil, "root " .. dir .. "; location /v5/ { default_type application/json; " ..
  "try_files /answer.json =404; }", "")

-- ?mode=cosocket|threads|resty&n=N (one after another) or &conc=N (at once)
-- -> "seconds"
local HANDLER = [[
content_by_lua_block {
  local pa = require "pinanalytics"
  local URL, TOKEN, PIN, D1, D2, METRICS, RESTY = %q, %q, %q, %q, %q, %q, %q
  local params = { start_date = D1, end_date = D2, metric_types = {} }
  for m in METRICS:gmatch("[^,]+") do params.metric_types[#params.metric_types + 1] = m end
  local mode, n, conc = ngx.var.arg_mode, tonumber(ngx.var.arg_n) or 1, tonumber(ngx.var.arg_conc)
  local one
  if mode == "resty" then
    if not package.path:find(RESTY, 1, true) then package.path = RESTY .. "/?.lua;" .. package.path end
    -- lua-resty-http's connect wants lua-resty-string for to_hex alone (a
    -- pool name for client certificates, unused here): given when missing
    if not pcall(require, "resty.string") then
      package.loaded["resty.string"] = { to_hex = function(b)
        return (b:gsub(".", function(ch) return string.format("%%02x", ch:byte()) end))
      end }
    end
    local http = require "resty.http"
    local cjson = require "cjson"
    local uri = URL .. "/pins/" .. PIN .. "/analytics?start_date=" .. D1 .. "&end_date=" .. D2 .. "&metric_types=" ..
      METRICS
    local headers = { ["Authorization"] = "Bearer " .. TOKEN, ["Accept"] = "application/json" }
    one = function()
      local httpc = http.new()
      local res, err = httpc:request_uri(uri, { headers = headers, keepalive_timeout = 60000 })
      assert(res and res.status == 200, err or (res and res.status))
      local v = cjson.decode(res.body)
      assert(v.all.summary_metrics.IMPRESSION)
    end
  else
    local c = pa.pinterest { token = TOKEN, base_url = URL, transport = mode, retries = 0 }
    one = function(fresh)
      local cl = c
      if fresh then cl = pa.pinterest { token = TOKEN, base_url = URL, transport = mode, retries = 0 } end
      local res = assert(cl:pin_analytics(PIN, params))
      assert(res.all.summary_metrics.IMPRESSION)
      if fresh then cl:close() end
    end
  end
  -- the worker's CPU time (its pool threads' included), as steady as the
  -- load of a shared machine lets a measure be
  local ffi = require "ffi"
  if not pcall(function() return ffi.C.clock_gettime end) then
    ffi.cdef("typedef struct { long tv_sec; long tv_nsec; } pa_timespec; int clock_gettime(int, pa_timespec *);")
  end
  local ts = ffi.new("pa_timespec")
  local function cpu()
    ffi.C.clock_gettime(2, ts) -- CLOCK_PROCESS_CPUTIME_ID
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
  end
  local c0 = cpu()
  ngx.update_time()
  local t0 = ngx.now()
  if conc then
    local threads = {}
    for i = 1, conc do threads[i] = ngx.thread.spawn(one, true) end
    for i = 1, conc do assert(ngx.thread.wait(threads[i])) end
  else
    for _ = 1, n do one() end
  end
  ngx.update_time()
  ngx.say(string.format("%%.6f %%.6f", ngx.now() - t0, cpu() - c0))
}
]]

-- /run: the file server, 90 days of 9 metrics; /slow: the simulator, 10 days of 2 metrics
local function location()
  return "location = /run { " .. string.format(HANDLER, origin.url .. "/v5", H.TOKEN, PIN, D1, D2, METRICS,
    resty or "") .. " }\n" .. "location = /slow { " .. string.format(HANDLER, sim.pinterest_url, H.TOKEN, PIN,
    H.day(-10), D2, "IMPRESSION,SAVE", resty or "") .. " }"
end
local http_conf = nil

-- one nginx for (a): the thread pool is there for the "threads" transport
local server = host.nginx(http_conf, location(), "thread_pool default threads=16;")

-- seconds, and the worker's CPU seconds
local function get(srv, path)
  local r = host.curl_many(srv.url, { { path = path, name = "r", max_time = 120 } }).r
  assert(r.status == 200, path .. ": HTTP " .. tostring(r.status) .. " " .. tostring(r.body) ..
    srv:error_log():sub(-1500))
  local secs, cpu = r.body:match("^(%S+) (%S+)")
  return tonumber(secs), tonumber(cpu)
end

local function load()
  local p = io.popen("uptime")
  local s = p:read("*a"):match("load average: ([^\n]+)")
  p:close()
  return s
end

local MODES = { "cosocket", "threads" }
if resty then MODES[#MODES + 1] = "resty" end
local seq = {}
local load_a = load()
for _, mode in ipairs(MODES) do
  get(server, "/run?mode=" .. mode .. "&n=50") -- warm: connections, thread VMs, JIT
end
-- rounds in turn, so that a burst of load on the shared machine falls on all of them
local ROUNDS = 5
local best, best_cpu = {}, {}
for _ = 1, ROUNDS do
  for _, mode in ipairs(MODES) do
    local secs, cpu = get(server, "/run?mode=" .. mode .. "&n=" .. SEQ)
    if not best[mode] or secs < best[mode] then best[mode] = secs end
    if not best_cpu[mode] or cpu < best_cpu[mode] then best_cpu[mode] = cpu end
  end
end
local cpu_per = {}
for _, mode in ipairs(MODES) do
  seq[mode] = SEQ / best[mode]
  cpu_per[mode] = best_cpu[mode] / SEQ
  say("(a) %-8s %.0f requests/s, %.1f us of the worker's CPU a request", mode, seq[mode], cpu_per[mode] * 1e6)
end

-- (b) at 1 s latency
sim:configure { latency_ms = 1000 }
local conc = {}
local one_alone = get(server, "/slow?mode=threads&n=1")
conc.threads = get(server, "/slow?mode=threads&conc=" .. CONC)
if resty then conc.resty = get(server, "/slow?mode=resty&conc=" .. CONC) end
server:stop()
local plain = host.nginx(http_conf, location(), "")
get(plain, "/slow?mode=cosocket&n=1")
conc.one = get(plain, "/slow?mode=cosocket&n=1")
conc.cosocket = get(plain, "/slow?mode=cosocket&conc=" .. CONC)
local load_b = load()
plain:stop()
origin:stop()
sim:stop()
os.execute("rm -rf " .. dir)
say("(b) one fetch %.3f s; %d at once: cosocket %.3f s, threads %.3f s (one alone %.3f s)%s", conc.one, CONC,
  conc.cosocket, conc.threads, one_alone, resty and (", lua-resty-http " .. string.format("%.3f s", conc.resty)) or "")

---------------------------------------------------------------- RESULTS.md

local out = {}
local function add(fmt, ...)
  out[#out + 1] = select("#", ...) > 0 and string.format(fmt, ...) or (fmt or "")
end
add("%s: cosockets, the thread pool and lua-resty-http", HEADING)
add()
add("`lua5.4 bench/cosocket.lua` (in its own process; `make bench` runs it), %s; machine load (uptime, 1/5/15 " ..
  "min, 2 cores shared with other work) %s at the start and %s at the end. nginx with its Lua module, one worker, " ..
  "the project's LuaJIT build. In (a) the answer is a pin's 90 days with 9 metrics, %d bytes of JSON taken " ..
  "from the simulator and served as a file by another nginx on 127.0.0.1 (the simulator computes each answer in " ..
  "Lua, which would hide the transports' costs); in (b) the simulator itself answers (10 days, 2 metrics) after " ..
  "1 s (its latency option). The **cosocket** transport (the default: nginx's sockets, the C core's H1 codec, " ..
  "the answer checked and typed in the worker), the **threads** transport (libcurl on nginx's thread pool, " ..
  "the answer decoded there and copied to the worker) and %s.", os.date("!%Y-%m-%d %H:%M UTC"), load_a, load_b, size,
  resty and "**lua-resty-http** (`request_uri` with keep-alive, then `cjson.decode`: no check, no typing)" or
  "lua-resty-http left out: PA_RESTY_HTTP was not set (see the top of bench/cosocket.lua)")
add()
add("(a) One location, one request after another, no server delay (best of %d x %d, the modes in turn; " ..
  "`thread_pool default threads=16;` in this nginx for the threads transport):", ROUNDS, SEQ)
add()
add("| | requests/s | against lua-resty-http | the worker's CPU a request (its pool threads' included) |")
add("|---|---:|---:|---:|")
for _, mode in ipairs(MODES) do
  local label = mode == "resty" and "lua-resty-http + cjson.decode" or ("pinanalytics, transport " .. mode)
  add("| %s | %.0f | %s | %.0f us |", label, seq[mode], resty and string.format("%.2fx", seq[mode] / seq.resty) or "-",
    cpu_per[mode] * 1e6)
end
add()
add("(b) %d fetches at once (%d light threads of one handler, a client each), the server answering after 1 s:",
  CONC, CONC)
add()
add("| | all %d done in | against one fetch |", CONC)
add("|---|---:|---:|")
add("| one fetch alone, cosocket transport, nginx.conf with no thread_pool | %.3f s | 1x |", conc.one)
add("| pinanalytics, transport cosocket, nginx.conf with no thread_pool | %.3f s | %.2fx |", conc.cosocket,
  conc.cosocket / conc.one)
add("| pinanalytics, transport threads (`threads=16`) | %.3f s | %.2fx |", conc.threads, conc.threads / conc.one)
if resty then
  add("| lua-resty-http + cjson.decode | %.3f s | %.2fx |", conc.resty, conc.resty / conc.one)
end
add()
local section = table.concat(out, "\n")

require("section").write(RESULTS, HEADING, section)
say("wrote the OpenResty transports section of %s", RESULTS)
