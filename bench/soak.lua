-- Soak: 100,000 requests on one client, then 100,000 more through its
-- Batch, against the simulator on 127.0.0.1. Memory must stay flat and no
-- file descriptor may be left open:
--
--   - resident size (/proc/self/statm) after the first 10,000 requests of a
--     part and at its end, each after a full collection: within 5 %;
--   - open file descriptors (/proc/<pid>/fd): the same after client:close()
--     as before the client was made, and within each part no more at the
--     end than after the first 10,000 requests (fewer is no leak: a
--     connection closed by nginx, which closes one after 100,000 requests on
--     it, its keepalive_requests, or by libcurl's connection cache).
--
-- nginx serves one answer from a static file (no Lua on the server), so the
-- client is what is exercised. Part 1 calls c:pin_analytics(id, params) in
-- a loop; part 2 calls c:pins_analytics(ids, params) with 1,000 pins at a
-- time (GET /pins/{id}/analytics per pin: the multi-pin endpoint is not
-- served there), keeping no result. Prints a line every 10,000 requests and
-- PASS/FAIL for each target, and writes section 5 of bench/RESULTS.md
-- (replacing it when it is there). Exits 2 when a target is missed.
--
--   make soak
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/soak.lua [requests]
--
-- bench/run.lua runs it last, in a process of its own.
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"
local data = require "pinanalytics.simulator.data"
local cjson = require "cjson"

local N = tonumber(arg and arg[1]) or 100000 -- requests a part
local FIRST = math.floor(N / 10) -- the first measure, and one every FIRST requests: 10,000 of 100,000
local PINS_A_CALL = 1000
local RSS_TOLERANCE = 0.05
local RESULTS = ((arg and arg[0] or "bench/soak.lua"):match("^(.*)/[^/]*$") or ".") .. "/RESULTS.md"
package.path = (RESULTS:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local HEADING = "## 5. Soak"

local now = pa.core.now

local function say(fmt, ...)
  io.stdout:write(string.format(fmt, ...), "\n")
  io.stdout:flush()
end

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function capture(cmd)
  local h = assert(io.popen(cmd))
  local s = h:read("*a")
  h:close()
  return (s:gsub("%s+$", ""))
end

local PAGE = tonumber(capture("getconf PAGESIZE")) or 4096
local function loadavg()
  local lf = io.open("/proc/loadavg")
  local s = lf and lf:read("*l") or "?"
  if lf then lf:close() end
  return (s:match("^(%S+ %S+ %S+)")) or s
end
local load_start = loadavg()
local PID
do
  local f = assert(io.open("/proc/self/stat"))
  PID = f:read("*a"):match("^(%d+)")
  f:close() -- an open handle here would be counted, then closed by the collector mid-run
end

-- Resident size in KiB, after a full collection (garbage is not a leak).
local function rss_kib()
  collectgarbage()
  collectgarbage()
  local f = assert(io.open("/proc/self/statm"))
  local resident = f:read("*a"):match("^%d+%s+(%d+)")
  f:close()
  return tonumber(resident) * PAGE / 1024
end

-- Open file descriptors of this process, less the pipe that ls writes to.
local function fds()
  return tonumber(capture("ls /proc/" .. PID .. "/fd | wc -l")) - 1
end

local today = pa.dates.today()
local params = { start_date = pa.dates.add_days(today, -6), end_date = today, metric_types = data.PIN_METRICS }
local PIN = "813744226420795884"
local body = cjson.encode(data.pin_analytics(PIN, params, today))

-- nginx's worker (another user when run as root) reads the file
local dir = capture("mktemp -d /tmp/pa-soak.XXXXXX")
assert(dir ~= "", "mktemp failed")
local file = dir .. "/answer.json"
local f = assert(io.open(file, "wb"))
f:write(body)
f:close()
os.execute("chmod 0755 " .. quote(dir) .. " && chmod 0644 " .. quote(file))

-- A part: `calls` calls of step (each making `per_call` requests), measured
-- after the first FIRST requests and at the end, with a line every tenth.
local function part(name, calls, per_call, step)
  local p = { name = name, samples = {} }
  local t0 = now()
  local done, mark = 0, FIRST
  for call = 1, calls do
    step(call)
    done = done + per_call
    if done >= mark then
      mark = mark + FIRST
      local rss = rss_kib()
      p.samples[#p.samples + 1] = rss
      if not p.rss_first then p.rss_first, p.fds_first = rss, fds() end
      say("  %s: %6d requests, %6.1f s, RSS %.1f MiB, Lua heap %.1f MiB", name, done, now() - t0, rss / 1024,
        collectgarbage("count") / 1024)
    end
  end
  p.secs = now() - t0
  p.requests = done
  p.rss_end, p.fds_end = rss_kib(), fds()
  p.growth = (p.rss_end - p.rss_first) / p.rss_first
  p.rss_ok = math.abs(p.growth) <= RSS_TOLERANCE
  p.fds_ok = p.fds_end <= p.fds_first
  return p
end

local sim = simulator.start { static_file = file }
local ok, res = pcall(function()
  local fds_before = fds()
  local client = pa.pinterest { token = sim.token, base_url = sim.url .. "/v5/static", retries = 0 }

  local one = part("one client", N, 1, function()
    local r, err = client:pin_analytics(PIN, params)
    if not r then error("pin_analytics: " .. tostring(err), 0) end
    if #r.all.daily_metrics ~= 7 then error("pin_analytics: not 7 days", 0) end
  end)

  local ids = {}
  for i = 1, PINS_A_CALL do ids[i] = tostring(4100000000 + i) end
  local batches = part("batches", math.floor(N / PINS_A_CALL), PINS_A_CALL, function()
    local results, errs = client:pins_analytics(ids, params)
    local id, err = next(errs)
    if id then error("pins_analytics: pin " .. id .. ": " .. tostring(err), 0) end
    local got = 0
    for _, r in pairs(results) do
      if #r.all.daily_metrics ~= 7 then error("pins_analytics: not 7 days", 0) end
      got = got + 1
    end
    if got ~= PINS_A_CALL then error("pins_analytics: " .. got .. " results", 0) end
  end)

  client:close()
  collectgarbage()
  collectgarbage()
  return { one = one, batches = batches, fds_before = fds_before, fds_after = fds() }
end)
sim:stop()
os.execute("rm -rf " .. quote(dir))
if not ok then error(res, 0) end

local one, batches = res.one, res.batches
local rss_ok = one.rss_ok and batches.rss_ok
local fds_ok = one.fds_ok and batches.fds_ok and res.fds_after == res.fds_before
local function verdict(met) return met and "PASS" or "FAIL" end
say("%s RSS: one client %.1f -> %.1f MiB (%+.2f %%), batches %.1f -> %.1f MiB (%+.2f %%); at most 5 %%",
  verdict(rss_ok), one.rss_first / 1024, one.rss_end / 1024, one.growth * 100, batches.rss_first / 1024,
  batches.rss_end / 1024, batches.growth * 100)
say("%s file descriptors: %d before the client, %d/%d (one client), %d/%d (batches), %d after close",
  verdict(fds_ok), res.fds_before, one.fds_first, one.fds_end, batches.fds_first, batches.fds_end, res.fds_after)

---------------------------------------------------------------- RESULTS.md

local out = {}
local function add(fmt, ...)
  out[#out + 1] = select("#", ...) > 0 and string.format(fmt, ...) or (fmt or "")
end
local function mib(kib) return string.format("%.1f MiB", kib / 1024) end
local function series(p)
  local s = {}
  for i, v in ipairs(p.samples) do s[i] = string.format("%.1f", v / 1024) end
  return table.concat(s, ", ")
end

add("%s: %d requests on one client, %d through batches", HEADING, N, N)
add()
add("`%s bench/soak.lua` (in its own process; `make soak` runs it alone), %s. The simulator serves one answer " ..
  "(7 days x all %d pin metrics, %d bytes of JSON) from a static file, with no Lua on the server. One client " ..
  "(`retries = 0`) makes %d `c:pin_analytics(id, params)` calls in a loop, then %d `c:pins_analytics(ids, params)` " ..
  "calls of %d pins each (one `GET /pins/{id}/analytics` a pin on the client's Batch, concurrency 8; the multi-pin " ..
  "endpoint is refused once, then remembered), keeping no result. Every answer is checked (7 days, no error). " ..
  "Resident size from `/proc/self/statm` after a full collection; open file descriptors from `/proc/<pid>/fd`. " ..
  "Load average %s at the start, %s at the end.",
  "lua5.4", os.date("!%Y-%m-%d %H:%M UTC"), #data.PIN_METRICS, #body, N, math.floor(N / PINS_A_CALL), PINS_A_CALL,
  load_start, loadavg())
add()
add("| part | requests | time | requests/s | RSS after %d | RSS at the end | change | open fds after %d / at the end |",
  FIRST, FIRST)
add("|---|---:|---:|---:|---:|---:|---:|---:|")
for _, p in ipairs({ one, batches }) do
  add("| %s | %d | %.1f s | %.0f | %s | %s | %+.2f %% | %d / %d |", p.name, p.requests, p.secs, p.requests / p.secs,
    mib(p.rss_first), mib(p.rss_end), p.growth * 100, p.fds_first, p.fds_end)
end
add()
add("- RSS every %d requests (MiB): one client %s; batches %s.", FIRST, series(one), series(batches))
add("- Open file descriptors: %d before the client was made, %d after `client:close()`.", res.fds_before,
  res.fds_after)
add()
add("Targets: RSS at the end within 5 %% of RSS after the first %d requests, in each part: **%s**. The same " ..
  "open file descriptors after closing the client as before making it, and in each part no more at the end than " ..
  "after the first %d requests: **%s**. A count that falls is a connection closed by the server or by libcurl " ..
  "(nginx closes one after %d requests on it, its `keepalive_requests`); a leak would make it rise.",
  FIRST, rss_ok and "met" or "not met", FIRST, fds_ok and "met" or "not met", 100000)
add()
local section = table.concat(out, "\n")

require("section").write(RESULTS, HEADING, section)
say("wrote the soak section of %s", RESULTS)
if not (rss_ok and fds_ok) then os.exit(2) end
