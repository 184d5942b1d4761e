-- The store: a sync of 2,000 pins x 90 days into SQLite against the
-- simulator, paced by the API's rate limit; the store's size on disk.
--
--   (a) the full sync through GET /pins/{id}/analytics (the multi-pin
--       endpoint refused, as it is to most apps): 2,000 requests at a server
--       limit of 50 requests/s. The sync should take what the limit allows
--       (about 39 s), not more: writing to the store must not be what paces it.
--   (b) the next day's sync on (a)'s store through GET /pins/analytics
--       (100 pins a request): the new day and the two days that were not
--       final, per pin.
-- (0) is the same requests as (a) without a store, the baseline. For (a):
-- wall time against (0) and the ideal, the time spent writing (inside the
-- store's statements), 429s; the file's size per value held once the
-- write-ahead log is checkpointed.
--
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/store.lua
--
-- Writes section 7 of bench/RESULTS.md (replacing it when it is there);
-- bench/run.lua runs it last, in a process of its own. Exits 2 when (a)
-- misses its target (at most 1.05 x the time of the same requests without
-- the store, no pin lost).
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"

local PINS, DAYS, LIMIT, LATENCY_MS = 2000, 90, 50, 50
-- the client's pace: the server's limit, with a burst a little under the
-- server's (the client takes a token when it sends, the server when the
-- request arrives: the same burst would now and then go one over)
local RATE = { per_second = LIMIT, burst = LIMIT * 0.8 }
local RESULTS = ((arg and arg[0] or "bench/store.lua"):match("^(.*)/[^/]*$") or ".") .. "/RESULTS.md"
package.path = (RESULTS:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local HEADING = "## 7. Store"
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

local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local n = f:seek("end")
  f:close()
  return n
end

local function loadavg()
  local f = io.open("/proc/loadavg")
  local s = f and f:read("*l") or "?"
  if f then f:close() end
  return (s:match("^(%S+ %S+ %S+)")) or s
end

local load_start = loadavg()
local dir = capture("mktemp -d /tmp/pa-bench-store.XXXXXX")
assert(dir ~= "", "mktemp failed")
local TODAY = pa.dates.today()
local today_n = pa.dates.parse(TODAY)

local ids = {}
for i = 1, PINS do ids[i] = tostring(4100000000 + i) end

-- A store whose statements are timed: the seconds spent inside the database.
local function timed_store(path)
  local st = assert(pa.store.open(path))
  local db = st.db
  db.spent = 0
  for _, name in ipairs({ "exec", "rows" }) do
    local f = db[name]
    db[name] = function(...)
      local t0 = now()
      local a = f(...)
      db.spent = db.spent + (now() - t0)
      return a
    end
  end
  return st
end

-- One sync; returns what it measured.
local function sync(sim, path, day, client_opts)
  local o = { token = sim.token, base_url = sim.pinterest_url, concurrency = 16, retries = 10,
    clock = function() return day * 86400 + 43200 end }
  for k, v in pairs(client_opts or {}) do o[k] = v end
  local client = pa.pinterest(o)
  local st = timed_store(path)
  sim:reset_stats()
  local t0 = now()
  local res, err = st:sync(client, { pins = ids, days = DAYS })
  local secs = now() - t0
  local stats = sim:stats()
  client:close()
  if err then error("sync failed: " .. tostring(err), 0) end
  local failed = 0
  for _ in pairs(res.errors) do failed = failed + 1 end
  local held = 0
  for _, r in ipairs(st.db:rows("SELECT COUNT(*) FROM pin_days")) do held = tonumber(r[1]) end
  local m = { secs = secs, store_secs = st.db.spent, requests = res.requests, server_requests = stats.requests,
    r429 = stats.rate_limited or 0, written = res.days_written, not_ready = res.days_not_ready, failed = failed,
    held = held }
  st:close()
  return m
end

local ok, res = pcall(function()
  local out = {}
  local sim = simulator.start { latency_ms = LATENCY_MS, today = TODAY,
    rate_limit = { per_second = LIMIT, burst = LIMIT } }
  -- (0) the same requests without the store: client:pins_analytics alone
  sim:configure { refuse_multi = 403 }
  say("(0) the same requests without a store: client:pins_analytics(ids, 90 days, every metric)")
  do
    local client = pa.pinterest { token = sim.token, base_url = sim.pinterest_url, concurrency = 16, retries = 10,
      rate = RATE }
    pa.core.sleep(1.5) -- the server's bucket refills
    sim:reset_stats()
    local t0 = now()
    local results, errs = client:pins_analytics(ids, { start_date = pa.dates.format(today_n - DAYS),
      end_date = pa.dates.format(today_n - 1), metric_types = pa.store.PIN_METRICS })
    local secs = now() - t0
    local got, failed = 0, 0
    for _ in pairs(results) do got = got + 1 end
    for _ in pairs(errs) do failed = failed + 1 end
    out.bare = { secs = secs, requests = client:request_count(), r429 = sim:stats().rate_limited or 0, got = got,
      failed = failed }
    client:close()
    say("    %.2f s, %d requests, %d 429s, %d pins, %d failed", secs, out.bare.requests, out.bare.r429, got, failed)
    results = nil -- luacheck: ignore
    collectgarbage()
  end

  -- (a) the per-pin endpoint at the limit
  pa.core.sleep(1.5)
  local path = dir .. "/store.db"
  say("(a) %d pins x %d days, GET /pins/{id}/analytics, server limit %d requests/s, %d ms latency", PINS, DAYS,
    LIMIT, LATENCY_MS)
  out.a = sync(sim, path, today_n, { rate = RATE })
  say("    %.2f s, %.2f s of it in the store's statements, %d requests, %d 429s, %d day rows written, %d pins failed",
    out.a.secs, out.a.store_secs, out.a.requests, out.a.r429, out.a.written, out.a.failed)

  -- size: checkpoint the write-ahead log into the file, then measure it
  local st = assert(pa.store.open(path))
  st.db:exec("PRAGMA wal_checkpoint(TRUNCATE)")
  local present = {}
  for i, m in ipairs(pa.store.PIN_METRICS) do present[i] = "CASE WHEN " .. m:lower() .. " IS NULL THEN 0 ELSE 1 END" end
  local rows = st.db:rows("SELECT COUNT(*), SUM(" .. table.concat(present, " + ") .. ") FROM pin_days")
  out.size = { rows = tonumber(rows[1][1]), values = tonumber(rows[1][2]) }
  out.size.pages = st.db:rows("PRAGMA page_count")[1][1]
  out.size.page_size = st.db:rows("PRAGMA page_size")[1][1]
  out.sqlite_version = st.db:rows("SELECT sqlite_version()")[1][1]
  st:close()
  out.size.bytes = file_size(path)
  say("    store: %d bytes for %d day rows, %d values: %.2f bytes a value", out.size.bytes, out.size.rows,
    out.size.values, out.size.bytes / out.size.values)

  -- (b) the next day, the multi-pin endpoint open
  sim:configure { today = pa.dates.format(today_n + 1) }
  say("(b) the next day's sync, through GET /pins/analytics (100 pins a request)")
  out.b = sync(sim, path, today_n + 1, { rate = RATE })
  say("    %.2f s, %.2f s of it in the store's statements, %d requests, %d day rows written", out.b.secs,
    out.b.store_secs, out.b.requests, out.b.written)
  sim:stop()
  return out
end)
os.execute("rm -rf " .. quote(dir))
if not ok then error(res, 0) end

local a, b = res.a, res.b
local ideal = (PINS - LIMIT) / LIMIT -- the server's bucket starts full
local bare = res.bare
local met = a.secs <= 1.05 * bare.secs and a.failed == 0 and a.held == PINS * DAYS
say("%s (a): %.2f s against %.2f s without the store (%.3f x; the ideal is %.1f s); %d day rows held",
  met and "PASS" or "FAIL", a.secs, bare.secs, a.secs / bare.secs, ideal, a.held)

---------------------------------------------------------------- RESULTS.md

local lines = {}
local function add(fmt, ...)
  lines[#lines + 1] = select("#", ...) > 0 and string.format(fmt, ...) or (fmt or "")
end
local luasql_version = require("luasql.sqlite3")._VERSION
add("%s: %d pins x %d days into SQLite", HEADING, PINS, DAYS)
add()
add("`lua5.4 bench/store.lua` (in its own process; `make bench` runs it last), %s; %s, SQLite %s (WAL, " ..
  "synchronous = NORMAL). `store:sync(client, { pins = <%d ids>, days = %d })` into a new file against the " ..
  "simulator on 127.0.0.1 (`latency_ms = %d`): every metric of the pin_days table (%d), 90 days, the default " ..
  "chunk of %d pins (each chunk's answers written in one transaction before the next chunk is asked for). " ..
  "\"In the store\" is the time spent inside the store's SQL statements (the sync's planning queries and its " ..
  "writes), measured around each. Load average %s at the start, %s at the end.",
  os.date("!%Y-%m-%d %H:%M UTC"), luasql_version, res.sqlite_version, PINS, DAYS,
  LATENCY_MS, #pa.store.PIN_METRICS, require("pinanalytics.store.sync").DEFAULT_CHUNK, load_start, loadavg())
add()
add("Server limit %d requests/s (`rate_limit = { per_second = %d, burst = %d }`, 429 beyond it); client " ..
  "`rate = { per_second = %d, burst = %d }, concurrency = 16, retries = 10`.", LIMIT, LIMIT, LIMIT, RATE.per_second,
  RATE.burst)
add()
add("| | requests | time | in the store | 429s | day rows written | not final |")
add("|---|---:|---:|---:|---:|---:|---:|")
add("| (0) the same requests without a store: `client:pins_analytics(ids, { 90 days, every metric })`, " ..
  "results dropped | %d | %.2f s | - | %d | - | - |", bare.requests, bare.secs, bare.r429)
add("| (a) `store:sync`, GET /pins/{id}/analytics | %d | %.2f s | %.2f s | %d | %d | %d |",
  a.requests, a.secs, a.store_secs, a.r429, a.written, a.not_ready)
add("| (b) the next day, on (a)'s store, GET /pins/analytics (100 pins a request): the new day and the 2 days " ..
  "not final | %d | %.2f s | %.2f s | %d | %d | %d |", b.requests, b.secs, b.store_secs, b.r429, b.written, b.not_ready)
add()
add("Requests include `GET /user_account` (one a sync) and, in (0) and (a), the refused probe of the multi-pin " ..
  "endpoint; (b) asks %d pins a call (the default chunk), 3 requests of at most 100 pins each. The server's " ..
  "bucket starts full (%d requests), so (a) cannot take less than about %.0f s plus the latency. The client's " ..
  "bucket has the server's rate and a burst a little under the server's: the requests it could not send while " ..
  "a chunk was being written go out right after, within the limit, so the writes overlap with the limit's own " ..
  "pace instead of adding to it (with the default burst, a twentieth of a second's worth, they would add up). " ..
  "The store's statements took %.2f s in all (%.0f %% of the sync), %.0f day rows/s with the planning " ..
  "queries. The limit is %d requests/s, not more, because the simulator computes every answer (90 days x %d " ..
  "metrics x 3 app types from its hash) in its one nginx worker: at 100 requests/s that worker, not the API's " ..
  "limit, would set the pace.",
  require("pinanalytics.store.sync").DEFAULT_CHUNK, LIMIT, ideal, a.store_secs, a.store_secs / a.secs * 100,
  a.written / a.store_secs, LIMIT, #pa.store.PIN_METRICS)
add()
add("Size on disk of (a)'s store after `PRAGMA wal_checkpoint(TRUNCATE)`: %d bytes (%d pages of %d bytes) for " ..
  "%d day rows holding %d values: **%.2f bytes a value**, %.0f bytes a day row (its pin, date, status and " ..
  "fetch time included; counts are stored as variable-length integers, the two rates as 8-byte doubles).",
  res.size.bytes, res.size.pages, res.size.page_size, res.size.rows, res.size.values,
  res.size.bytes / res.size.values, res.size.bytes / res.size.rows)
add()
add("Target: the sync at most 1.05 x the same requests without the store (0), every pin held complete. " ..
  "Measured: **%.3f x** (%.2f s against %.2f s; the ideal is %.1f s), %d of %d day rows held, %d pins failed: " ..
  "**%s**.", a.secs / bare.secs, a.secs, bare.secs, ideal, a.held, PINS * DAYS, a.failed, met and "met" or "not met")
add()
local section = table.concat(lines, "\n")

require("section").write(RESULTS, HEADING, section)
say("wrote the store section of %s", RESULTS)
if not met then os.exit(2) end
