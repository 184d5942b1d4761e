-- make bench: measures pinanalytics against the alternatives and writes
-- bench/RESULTS.md. Everything runs against the simulator (nginx) on
-- 127.0.0.1; nothing touches the internet.
--
--   make bench
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/run.lua
--   ... lua5.4 bench/run.lua overhead    section 1 alone, its text printed
--
-- Run from the checkout after `make build`. Sections:
--   1. per-request overhead: one 90-day answer (~35 KB) from a static file,
--      pinanalytics against a C ceiling, LuaSocket (+ lua-cjson, + dkjson)
--      and python3's urllib + json
--   2. bulk: 2,000 pins through the per-pin endpoint at a limit of 100
--      requests/s, with pacing on and off, and one request at a time
--   3. memory: peak RSS of a fresh process holding 2,000 pins x 90 days
--   4. MetricFrame against decoded tables, bytes per value
--   5., 6., 7., 8., 9.: bench/soak.lua, bench/runtimes.lua, bench/store.lua,
--      bench/accounts.lua, bench/cosocket.lua and bench/ads_report.lua, each in a
--      process of its own (they write their own sections)
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"
local data = require "pinanalytics.simulator.data"
local cjson = require "cjson"

local core = pa.core
local now = core.now
local unpack = table.unpack or unpack

local BENCH = (arg and arg[0] or "bench/run.lua"):match("^(.*)/[^/]*$") or "."
local LUA = "lua5.4"
local RESULTS = BENCH .. "/RESULTS.md"

local TODAY = pa.dates.today()
local START90 = pa.dates.add_days(TODAY, -89) -- 90 days: today-89 .. today
local ALL_METRICS = data.PIN_METRICS

---------------------------------------------------------------- helpers

local function say(fmt, ...)
  io.stdout:write(string.format(fmt, ...), "\n")
  io.stdout:flush()
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- Runs a shell command; returns its stdout, and whether it exited with 0.
local function capture(cmd)
  local h = assert(io.popen(cmd))
  local s = h:read("*a")
  local ok = h:close()
  return s, ok == true
end

local function trim(s)
  return ((s or ""):gsub("^%s+", ""):gsub("%s+$", ""))
end

local function median(list)
  local s = {}
  for i, v in ipairs(list) do s[i] = v end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local function loadavg()
  local f = io.open("/proc/loadavg")
  if not f then return "?" end
  local s = f:read("*l")
  f:close()
  return (s:match("^(%S+ %S+ %S+)"))
end

local function machine()
  local cpu = trim(capture("grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2"))
  local mem = trim(capture("awk '/^MemTotal/ { printf \"%.1f GiB\", $2 / 1048576 }' /proc/meminfo"))
  local py = trim(capture("python3 --version 2>&1")) .. " (" .. trim(capture("command -v python3")) .. ")"
  return {
    uname = trim(capture("uname -srm")), cpu = cpu ~= "" and cpu or "unknown",
    cores = trim(capture("nproc")), mem = mem,
    software = string.format("%s, %s, lua-cjson %s, LuaSocket %s, dkjson %s, %s, nginx %s", _VERSION,
      core.curl_version or "libcurl", cjson._VERSION or "?", require("socket")._VERSION:gsub("^LuaSocket ", ""),
      require("dkjson").version:gsub("^dkjson ", ""), py,
      trim(capture("nginx -v 2>&1")):match("nginx/(%S+)") or "?"),
  }
end

-- TCP connections this machine has opened so far (ActiveOpens in
-- /proc/net/snmp). Machine-wide: the difference across a run counts that
-- run's connections, plus any other program's in the meantime.
local function tcp_opens()
  local f = io.open("/proc/net/snmp")
  if not f then return 0 end
  local names, values
  for line in f:lines() do
    if line:match("^Tcp:") then
      if names then values = line else names = line end
    end
  end
  f:close()
  if not values then return 0 end
  local i, col = 0, nil
  for w in names:gmatch("%S+") do
    if w == "ActiveOpens" then col = i end
    i = i + 1
  end
  i = 0
  for w in values:gmatch("%S+") do
    if i == col then return tonumber(w) end
    i = i + 1
  end
  return 0
end

-- N timed calls of fn after `warm` untimed ones; returns the seconds.
local function timed(fn, warm, n)
  for _ = 1, warm do fn() end
  local t0 = now()
  for _ = 1, n do fn() end
  return now() - t0
end

---------------------------------------------------------------- 1. per-request overhead

local OV_N, OV_WARM, OV_RUNS = 300, 20, 11
local PROF_RUNS = 5
local PROF_N, PROF_BLOCK = 1000, 100 -- the split of pinanalytics's time: calls a run, calls a turn

local function bench_overhead()
  local pin_id = "813744226420795884"
  local params = { start_date = START90, end_date = TODAY, metric_types = ALL_METRICS }
  local body = cjson.encode(data.pin_analytics(pin_id, params, TODAY))
  if #body < 25000 or #body > 50000 then
    error(string.format("the static answer is %d bytes, expected about 35 KB", #body))
  end
  -- nginx's worker (another user when run as root) reads the file
  local dir = trim(capture("mktemp -d /tmp/pa-bench.XXXXXX"))
  assert(dir ~= "", "mktemp failed")
  local file = dir .. "/pin_analytics_90d.json"
  local f = assert(io.open(file, "wb"))
  f:write(body)
  f:close()
  os.execute("chmod 0755 " .. quote(dir) .. " && chmod 0644 " .. quote(file))

  local sim = simulator.start { static_file = file }
  local ok, res = pcall(function()
    local base = sim.url .. "/v5/static"
    local target = "/pins/" .. pin_id .. "/analytics?start_date=" .. START90 .. "&end_date=" .. TODAY ..
      "&metric_types=" .. table.concat(ALL_METRICS, ",")
    local url = base .. target

    -- (a) the ceiling, compiled now
    local exe = dir .. "/ceiling"
    local cc_fmt = "cc -O2 %s -o %s $(pkg-config --cflags --libs libcurl) -I/usr/include/lua5.4 -llua5.4"
    local cc_out, built = capture(string.format(cc_fmt, quote(BENCH .. "/ceiling.c"), quote(exe)) .. " 2>&1")
    if not built then error("cannot build " .. BENCH .. "/ceiling.c:\n" .. cc_out, 0) end

    local function subprocess(cmd)
      return function(warm, n)
        local s, good = capture(cmd .. " " .. warm .. " " .. n)
        local secs, conns = s:match("^(%S+)%s*(%d*)")
        secs = tonumber(secs)
        if not good or not secs then error("failed: " .. cmd .. "\n" .. s, 0) end
        return secs, tonumber(conns)
      end
    end

    local client = pa.pinterest { token = sim.token, base_url = base }
    local first = assert(client:pin_analytics(pin_id, params))
    assert(#first.all.daily_metrics == 90, "the static answer does not have 90 days")
    -- pinanalytics keeps one connection: its local port stays the same
    local function local_port()
      local got, info = pcall(function() return client.session:info() end)
      return got and info.local_port or nil
    end
    local port0 = local_port()
    local ports_same = port0 ~= nil

    local http = require "socket.http"
    local dkjson = require "dkjson"
    local function luasocket_get()
      local b, code = http.request(url)
      if code ~= 200 then error("LuaSocket: " .. tostring(code), 0) end
      return b
    end

    local contenders = {
      { key = "ceiling", label = "(a) C: libcurl easy handle + lua-cjson via lua_pcall (the ceiling)",
        run = subprocess(quote(exe) .. " " .. quote(url)) },
      { key = "pinanalytics", label = "pinanalytics `c:pin_analytics(id, params)`", run = function(warm, n)
          local secs = timed(function()
            local r, err = client:pin_analytics(pin_id, params)
            if not r then error("pinanalytics: " .. tostring(err), 0) end
          end, warm, n)
          if local_port() ~= port0 then ports_same = false end
          return secs
        end },
      { key = "luasocket_cjson", label = "(b) LuaSocket `socket.http.request` + lua-cjson", run = function(warm, n)
          return timed(function() assert(type(cjson.decode(luasocket_get())) == "table") end, warm, n)
        end },
      { key = "luasocket_dkjson", label = "(c) LuaSocket `socket.http.request` + dkjson", run = function(warm, n)
          return timed(function() assert(type(dkjson.decode(luasocket_get())) == "table") end, warm, n)
        end },
      { key = "python", label = "(d) python3 `urllib.request` + `json`",
        run = subprocess("python3 " .. quote(BENCH .. "/urllib_json.py") .. " " .. quote(url)) },
    }

    -- rounds: every contender once per round, so that a slow spell of the
    -- machine falls on all of them alike
    for _, c in ipairs(contenders) do c.rates, c.opened = {}, 0 end
    local ceiling_conns = 0
    for round = 1, OV_RUNS do
      local line = {}
      for _, c in ipairs(contenders) do
        local opens = tcp_opens()
        local secs, conns = c.run(OV_WARM, OV_N)
        c.opened = c.opened + tcp_opens() - opens
        if c.key == "ceiling" then ceiling_conns = math.max(ceiling_conns, conns or 0) end
        c.rates[round] = OV_N / secs
        line[#line + 1] = string.format("%s %.0f/s", c.key, c.rates[round])
      end
      say("  round %d: %s", round, table.concat(line, ", "))
    end

    -- Where pinanalytics's time goes: the same request cut short at each
    -- stage (the client's Session alone, decoding with the analytics shape
    -- as the client does, then the full call) and the decoders alone, in
    -- rounds like the above.
    local session = client.session
    local stages = {
      session = function()
        local status, _, decoded, _, _, shape_ok = session:request("GET", target, nil, nil, "analytics")
        assert(status == 200 and type(decoded) == "table" and shape_ok)
      end,
      full = function() assert(client:pin_analytics(pin_id, params)) end,
      pa_decode_shaped = function() core.decode(body, "analytics") end,
      pa_decode = function() core.decode(body) end,
      cjson_decode = function() cjson.decode(body) end,
    }
    local order = { "session", "full", "pa_decode_shaped", "pa_decode", "cjson_decode" }
    local ms = {}
    for _, k in ipairs(order) do ms[k] = {} end
    -- the stages take turns in blocks of PROF_BLOCK calls, so that a slow
    -- spell of the machine falls on all of them alike
    for round = 1, PROF_RUNS do
      local sum = {}
      for _, k in ipairs(order) do
        sum[k] = 0
        timed(stages[k], OV_WARM, 0)
      end
      for _ = 1, math.floor(PROF_N / PROF_BLOCK) do
        for _, k in ipairs(order) do sum[k] = sum[k] + timed(stages[k], 0, PROF_BLOCK) end
      end
      for _, k in ipairs(order) do ms[k][round] = sum[k] / PROF_N * 1000 end
    end
    local prof = {}
    for _, k in ipairs(order) do prof[k] = median(ms[k]) end
    client:close()

    local out = { size = #body, url_path = "/v5/static" .. target, contenders = contenders, prof = prof,
      ports_same = ports_same, ceiling_conns = ceiling_conns,
      cc = string.format(cc_fmt, BENCH .. "/ceiling.c", "<tmp>/ceiling") }
    -- each contender against (a) in the same round, then the median of
    -- those ratios: a slow spell of the machine falls on a round, not on
    -- one contender
    local ceiling = contenders[1]
    assert(ceiling.key == "ceiling")
    for _, c in ipairs(contenders) do
      c.rps = median(c.rates)
      local ratios = {}
      for round = 1, OV_RUNS do ratios[round] = c.rates[round] / ceiling.rates[round] end
      c.ratio = median(ratios)
      c.ratios = ratios
      out[c.key] = c.rps
    end
    return out
  end)
  sim:stop()
  os.execute("rm -rf " .. quote(dir))
  if not ok then error(res, 0) end
  return res
end

---------------------------------------------------------------- 2. bulk

local BULK_PINS, LIMIT, LATENCY_MS, BULK_RUNS = 2000, 100, 50, 3

local function bench_bulk()
  local sim = simulator.start {
    latency_ms = LATENCY_MS, rate_limit = { per_second = LIMIT, burst = LIMIT }, refuse_multi = 403,
  }
  local ok, res = pcall(function()
    local ids = {}
    for i = 1, BULK_PINS do ids[i] = tostring(4100000000 + i) end
    local params = { start_date = pa.dates.add_days(TODAY, -6), end_date = TODAY,
      metric_types = { "IMPRESSION", "SAVE" } }

    local function fresh()
      core.sleep(1.5) -- the server's bucket refills
      sim:reset_stats()
    end

    local function measured(secs, got, failed)
      local st = sim:stats()
      return { secs = secs, got = got, errors = failed, lost = BULK_PINS - got - failed,
        r429 = st.rate_limited, requests = st.requests, peak = st.peak_inflight }
    end

    local function bulk_run(opts)
      fresh()
      local client = pa.pinterest(opts)
      local t0 = now()
      local results, errs = client:pins_analytics(ids, params)
      local secs = now() - t0
      client:close()
      return measured(secs, count(results), count(errs))
    end

    local base = { token = sim.token, base_url = sim.pinterest_url, concurrency = 16, retries = 10 }
    local paced = { rate = { per_second = LIMIT } }
    for k, v in pairs(base) do paced[k] = v end

    local r = { pacing_on = {}, pacing_off = {} }
    for i = 1, BULK_RUNS do -- alternate, so that both see the machine alike
      for _, which in ipairs({ "pacing_on", "pacing_off" }) do
        local x = bulk_run(which == "pacing_on" and paced or base)
        r[which][i] = x
        say("  %-10s run %d: %6.2f s, %4d 429s, %4d requests, %d lost, %d in errors", which, i, x.secs, x.r429,
          x.requests, x.lost, x.errors)
      end
    end

    -- one request at a time, as Pinterest's quickstart does it
    fresh()
    local client = pa.pinterest { token = sim.token, base_url = sim.pinterest_url, retries = 0 }
    local got, failed = 0, 0
    local t0 = now()
    for _, id in ipairs(ids) do
      if client:pin_analytics(id, params) then got = got + 1 else failed = failed + 1 end
    end
    local secs = now() - t0
    client:close()
    r.sequential = { measured(secs, got, failed) }
    local x = r.sequential[1]
    say("  %-10s run 1: %6.2f s, %4d 429s, %4d requests, %d lost, %d in errors", "sequential", x.secs, x.r429,
      x.requests, x.lost, x.errors)
    return r
  end)
  sim:stop()
  if not ok then error(res, 0) end
  for _, runs in pairs(res) do
    for _, k in ipairs({ "secs", "r429", "requests", "lost", "errors", "peak" }) do
      local list = {}
      for i, x in ipairs(runs) do list[i] = x[k] end
      runs[k] = median(list)
    end
    local worst = 0
    for _, x in ipairs(runs) do worst = math.max(worst, x.lost) end
    runs.worst_lost = worst
  end
  return res
end

---------------------------------------------------------------- 3, 4. memory (fresh processes)

local function json_of(cmd)
  local s, good = capture(cmd)
  local okj, v = pcall(cjson.decode, s)
  if not good or not okj or type(v) ~= "table" then error("failed: " .. cmd .. "\n" .. s, 0) end
  return v
end

---------------------------------------------------------------- RESULTS.md text

local out = {}
local function add(fmt, ...)
  if fmt == nil then out[#out + 1] = "" return end
  out[#out + 1] = select("#", ...) > 0 and string.format(fmt, ...) or fmt
end

local function verdict(met) return met and "**met**" or "**not met**" end

-- Section 1 of RESULTS.md from bench_overhead()'s figures.
local function overhead_section(o)
  add("## 1. Per-request overhead")
  add()
  add("One answer of `GET %s...` (90 days x all 15 pin metrics, %d bytes of JSON) served by nginx from a static " ..
    "file, with no Lua on the server. Each run is %d requests after %d warm-up requests; each contender ran %d " ..
    "times, in rounds (every contender once per round, (a) first). Requests/s are the median of the %d runs. " ..
    "\"Against (a)\" is the median over the rounds of the contender's rate divided by (a)'s in the same round, " ..
    "so that a slow spell of this virtual machine, which moves every rate, weighs on a round's contenders alike " ..
    "(in this run (a)'s own rate went from %.0f to %.0f requests/s between rounds).",
    o.url_path:match("^([^?]*)"), o.size, OV_N, OV_WARM, OV_RUNS, OV_RUNS,
    math.min(unpack(o.contenders[1].rates)), math.max(unpack(o.contenders[1].rates)))
  add()
  add("| client | connections a request | requests/s | ms/request | against (a) | slowest..fastest run (req/s) |")
  add("|---|---:|---:|---:|---:|---|")
  for _, c in ipairs(o.contenders) do
    local lo, hi = math.huge, 0
    for _, v in ipairs(c.rates) do lo, hi = math.min(lo, v), math.max(hi, v) end
    add("| %s | %.2f | %.0f | %.3f | %.2f | %.0f..%.0f |", c.label, c.opened / (OV_RUNS * (OV_N + OV_WARM)), c.rps,
      1000 / c.rps, c.ratio, lo, hi)
  end
  add()
  add("Connections a request: TCP connections opened during the runs (warm-up included; ActiveOpens in " ..
    "/proc/net/snmp), divided by the requests. LuaSocket's `http.request` sends `Connection: close` " ..
    "and cannot keep a connection alive, and urllib.request does the same, so (b), (c) and (d) pay for a new TCP " ..
    "connection on every request; that is part of what is compared. (a) and pinanalytics keep one connection: " ..
    "libcurl reported %d new connections during (a)'s timed requests, and pinanalytics's local port was %s.",
    o.ceiling_conns, o.ports_same and "the same after every run" or "not the same after every run (it reconnected)")
  add()
  local pa_c
  for _, c in ipairs(o.contenders) do if c.key == "pinanalytics" then pa_c = c end end
  local ratio = pa_c.ratio
  local rs = {}
  for i, r in ipairs(pa_c.ratios) do rs[i] = string.format("%.2f", r) end
  add("Target: pinanalytics at least 0.9 x (a). Measured: **%.2f x** (median of the rounds' ratios: %s; the " ..
    "medians of the rates, %.0f against %.0f requests/s, give %.2f): %s.", ratio, table.concat(rs, ", "),
    o.pinanalytics, o.ceiling, o.pinanalytics / o.ceiling, verdict(ratio >= 0.9))
  add()
  local p = o.prof
  add("Where pinanalytics's time goes, measured in this run on the same body and connection: the same request cut " ..
    "short at each stage (the client's internal Session object alone, decoding with the analytics shape as the " ..
    "client does: transfer, decode, shape check and number typing in C; then the full call), and the decoders " ..
    "alone; each the median of %d runs of %d calls, the stages taking turns in blocks of %d calls. A part is the " ..
    "difference between two stages, so it carries their noise.", PROF_RUNS, PROF_N, PROF_BLOCK)
  add()
  add("| part | ms/request | share |")
  add("|---|---:|---:|")
  local function prow(name, ms)
    add("| %s | %.3f | %.0f%%%s |", name, ms, ms / p.full * 100, ms < 0 and " (within the noise)" or "")
  end
  prow("transfer in C (libcurl, headers, buffers)", p.session - p.pa_decode_shaped)
  prow("lua-cjson's decode (`cjson.decode` of the body, measured alone)", p.cjson_decode)
  prow("shape check and number typing in C (`core.decode(body, \"analytics\")` minus `cjson.decode`)",
    p.pa_decode_shaped - p.cjson_decode)
  prow("argument checks, query building, result handling in Lua", p.full - p.session)
  prow("**full `c:pin_analytics` call** (measured here, apart from the table above)", p.full)
  add()
  if math.type and math.type(cjson.decode("[1]")[1]) == "float" then
    add("This lua-cjson (%s) decodes every number as a double, so the row \"shape check and number typing\" " ..
      "includes rewriting every count of the answer as an integer, one table write each (counts are integers, " ..
      "rates floats); lua-cjson 2.1.0.14 and later decode integer literals as integers themselves, and the walk then " ..
      "only checks. (a) keeps the doubles.", cjson._VERSION or "?")
    add()
  end
  add("For comparison: (a) took %.3f ms for the whole request; pinanalytics's general decoder (`core.decode(body)`: " ..
    "lua-cjson, then a walk that makes every whole number below 2^53 an integer; used for answers without a shape " ..
    "(`client:get`), and for answers outside their documented shape) took %.3f ms on this body.",
    1000 / o.ceiling, p.pa_decode)
  add()
end

---------------------------------------------------------------- run

-- `lua5.4 bench/run.lua overhead` measures section 1 alone and prints its
-- text (for RESULTS.md) instead of writing the whole file.
local ONLY_OVERHEAD = arg and arg[1] == "overhead"

local t_start = now()
local started = os.date("!%Y-%m-%d %H:%M UTC")
local load_start = loadavg()
local m = machine()
say("pinanalytics benchmarks, %s, %s", started, m.uname)

say("1. per-request overhead (%d rounds of %d requests after %d warm-up, every contender per round)",
  OV_RUNS, OV_N, OV_WARM)
local o = bench_overhead()
if ONLY_OVERHEAD then
  overhead_section(o)
  io.stdout:write(string.format("\nMeasured on %s by `lua5.4 bench/run.lua overhead` (this section alone, %.0f s); " ..
    "machine `%s`, %s, %s cores; load average %s at the start, %s at the end.\n\n", started, now() - t_start, m.uname,
    m.cpu, m.cores, load_start, loadavg()))
  io.stdout:write(table.concat(out, "\n"), "\n")
  os.exit(0)
end
say("2. bulk: %d pins, %d ms latency, server limit %d requests/s", BULK_PINS, LATENCY_MS, LIMIT)
local b = bench_bulk()
say("3. memory")
local mem_cmd = LUA .. " " .. BENCH .. "/memory.lua " .. BULK_PINS
local mem = json_of(LUA .. " " .. quote(BENCH .. "/memory.lua") .. " " .. BULK_PINS)
say("  peak %.1f MiB, before fetching %.1f MiB", mem.hwm_after_kib / 1024, mem.hwm_before_kib / 1024)
say("4. MetricFrame bytes per value")
local frame_cmd = LUA .. " " .. BENCH .. "/frame_memory.lua " .. BULK_PINS
local fm = json_of(LUA .. " " .. quote(BENCH .. "/frame_memory.lua") .. " " .. BULK_PINS)
local total = now() - t_start

---------------------------------------------------------------- RESULTS.md

add("# Benchmarks")
add()
add("Measured on %s by `make bench`, which installs what is missing (lua-socket, lua-dkjson, python3), " ..
  "builds `build/lua5.4/pinanalytics/core.so` and runs `lua5.4 bench/run.lua` from the checkout. The whole run took " ..
  "%.0f s. Every server is the simulator (nginx) on 127.0.0.1; nothing goes over a network.", started, total)
add()
add("- Machine: `%s`, %s, %s cores, %s RAM; load average %s at the start, %s at the end.", m.uname, m.cpu,
  m.cores, m.mem, load_start, loadavg())
add("- Software: %s.", m.software)
add("- Commands run by `bench/run.lua`, besides its own Lua code: `%s`; `<tmp>/ceiling URL 20 300`; " ..
  "`python3 bench/urllib_json.py URL 20 300`; `%s`; `%s`.", o.cc, mem_cmd, frame_cmd)
add()

-- 1
overhead_section(o)

-- 2
local ideal = BULK_PINS / LIMIT
add("## 2. Bulk: %d pins at a limit of %d requests/s", BULK_PINS, LIMIT)
add()
add("The simulator with `latency_ms = %d`, `rate_limit = { per_second = %d, burst = %d }` (a token bucket; beyond " ..
  "it 429 with Retry-After) and `refuse_multi = 403`, so `pins_analytics` makes one refused `GET /pins/analytics` " ..
  "probe and then one `GET /pins/{id}/analytics` per pin. Dates: the last 7 days (%s..%s), metric_types " ..
  "IMPRESSION, SAVE. Ideal time: %d / %d = %.0f s. Pacing on and off: %d runs each, alternating, a fresh client " ..
  "per run, 1.5 s between runs for the server's bucket to refill; figures are medians of the %d runs. " ..
  "429s and requests are what the server counted (`sim:stats()` after `sim:reset_stats()`).",
  LATENCY_MS, LIMIT, LIMIT, pa.dates.add_days(TODAY, -6), TODAY, BULK_PINS, LIMIT, ideal, BULK_RUNS, BULK_RUNS)
add()
add("| client | runs | wall time | against ideal | 429s | requests | pins lost | pins in errors |")
add("|---|---:|---:|---:|---:|---:|---:|---:|")
local brows = {
  { "pacing_on", "pinanalytics, pacing on: `rate = { per_second = 100 }, concurrency = 16, retries = 10`" },
  { "pacing_off", "pinanalytics, pacing off: `concurrency = 16, retries = 10`" },
  { "sequential", "sequential: `c:pin_analytics` in a loop on one client, `retries = 0`" },
}
for _, row in ipairs(brows) do
  local x = b[row[1]]
  add("| %s | %d | %.2f s | %.3f | %d | %d | %d | %d |", row[2], #x, x.secs, x.secs / ideal, x.r429, x.requests,
    x.lost, x.errors)
end
add()
for _, row in ipairs(brows) do
  local runs = {}
  for i, x in ipairs(b[row[1]]) do runs[i] = string.format("%.2f s (%d 429s)", x.secs, x.r429) end
  add("- %s, every run: %s.", row[1]:gsub("_", " "), table.concat(runs, ", "))
end
local seq = b.sequential
add("- The server's bucket starts full (%d requests), so the least any client can take is about %.0f s plus the " ..
  "latency; pacing off gets there by sending requests that are refused and retried after the Retry-After the server sends. " ..
  "Requests include the refused probe of the multi-pin endpoint (none for the sequential client, which calls " ..
  "the per-pin endpoint directly).", LIMIT, (BULK_PINS - LIMIT) / LIMIT)
add("- The sequential client made %d requests in %.1f s: %.1f pins/s, %.1f ms a pin (%d ms of it the simulator's " ..
  "latency).", seq.requests, seq.secs, BULK_PINS / seq.secs, seq.secs / BULK_PINS * 1000, LATENCY_MS)
add()
local on = b.pacing_on
local met = on.secs / ideal <= 1.05 and on.r429 == 0 and on.worst_lost == 0
add("Target: pacing on at most 1.05 x ideal, zero 429s, zero pins lost. Measured: %.3f x (%.2f s), %d 429s, " ..
  "%d lost (in the worst run): %s.", on.secs / ideal, on.secs, on.r429, on.worst_lost, verdict(met))
add()

-- 3
add("## 3. Memory")
add()
add("A fresh process (`%s`) starts the simulator (no latency, no rate limit, the multi-pin endpoint open) and " ..
  "fetches %d pins x %d days x %d metrics with `pins_analytics` (`concurrency = 8`, %d requests in %.1f s), " ..
  "keeping every result. Sizes from `/proc/self/status`; one run.", mem_cmd, mem.pins, mem.days,
  mem.metrics, mem.requests, mem.seconds)
add()
add("| | |")
add("|---|---:|")
add("| VmHWM before fetching (baseline) | %.1f MiB |", mem.hwm_before_kib / 1024)
add("| **VmHWM after fetching (peak RSS)** | **%.1f MiB** |", mem.hwm_after_kib / 1024)
add("| VmRSS after fetching, results held, after a full GC | %.1f MiB |", mem.rss_after_kib / 1024)
add("| Lua heap held by the results | %.1f MiB, %.1f KiB a pin |", mem.results_heap_kib / 1024,
  mem.results_heap_kib / mem.pins)
add("| resident growth (VmRSS after - before) | %.1f MiB, %.1f KiB a pin |",
  (mem.rss_after_kib - mem.rss_before_kib) / 1024, (mem.rss_after_kib - mem.rss_before_kib) / mem.pins)
add()
add("A pin's answer is about %.1f KiB of JSON (section 1), so the decoded tables take about %.1f times that.",
  o.size / 1024, mem.results_heap_kib * 1024 / mem.pins / o.size)
add()

-- 4
add("## 4. MetricFrame against decoded tables")
add()
add("`%s`: %d pins x %d days x %d metrics (%d values) decoded into Lua tables, then into one MetricFrame; one run. " ..
  "%.1f bytes a value in the frame (its C arrays plus the names it keeps in Lua), %.1f as decoded tables " ..
  "(%.1f times more). Target: at most 12 bytes a value: %s.", frame_cmd, fm.pins, fm.days,
  fm.metrics, fm.values, fm.frame_bytes_per_value, fm.lua_tables_bytes_per_value, fm.ratio,
  verdict(fm.frame_bytes_per_value <= 12))
add()

local f = assert(io.open(RESULTS, "wb"))
f:write(table.concat(out, "\n"))
f:close()
say("wrote %s in %.0f s", RESULTS, total)

-- 5. soak: in a process of its own, which writes its section of RESULTS.md
-- (exit 2: it ran, and missed a target)
say("5. soak")
local _, _, soak_code = os.execute(LUA .. " " .. quote(BENCH .. "/soak.lua"))
if soak_code ~= 0 and soak_code ~= 2 then error("bench/soak.lua failed (exit " .. tostring(soak_code) .. ")", 0) end

-- 6. runtimes: in a process of its own, which writes its section of RESULTS.md
say("6. runtimes")
local _, _, rt_code = os.execute(LUA .. " " .. quote(BENCH .. "/runtimes.lua"))
if rt_code ~= 0 then error("bench/runtimes.lua failed (exit " .. tostring(rt_code) .. ")", 0) end

-- 7. store: in a process of its own, which writes its section of RESULTS.md
-- (exit 2: it ran, and missed a target)
say("7. store")
local _, _, store_code = os.execute(LUA .. " " .. quote(BENCH .. "/store.lua"))
if store_code ~= 0 and store_code ~= 2 then error("bench/store.lua failed (exit " .. tostring(store_code) .. ")", 0) end

-- 8. many accounts: in a process of its own, which writes its section of
-- RESULTS.md (exit 2: it ran, and missed a target)
say("8. many accounts")
local _, _, accounts_code = os.execute(LUA .. " " .. quote(BENCH .. "/accounts.lua"))
if accounts_code ~= 0 and accounts_code ~= 2 then
  error("bench/accounts.lua failed (exit " .. tostring(accounts_code) .. ")", 0)
end

-- 9. OpenResty transports: in a process of its own, which writes its section
-- of RESULTS.md (lua-resty-http joins when PA_RESTY_HTTP points at a copy)
say("9. OpenResty transports")
local _, _, cos_code = os.execute(LUA .. " " .. quote(BENCH .. "/cosocket.lua"))
if cos_code ~= 0 then error("bench/cosocket.lua failed (exit " .. tostring(cos_code) .. ")", 0) end

-- 10. an async ads report of 1,000,000 rows: in processes of their own, which
-- write their section of RESULTS.md
say("10. async ads report")
local _, _, ads_code = os.execute(LUA .. " " .. quote(BENCH .. "/ads_report.lua"))
if ads_code ~= 0 then error("bench/ads_report.lua failed (exit " .. tostring(ads_code) .. ")", 0) end
