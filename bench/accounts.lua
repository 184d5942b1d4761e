-- Many accounts: `pinanalytics sync --all-accounts` over 50 accounts of a
-- credentials file, against the simulator answering every request after
-- 1 s, compared with one account's `pinanalytics sync` (wall clock, each in
-- a fresh SQLite store). The accounts' syncs run side by side, each with its
-- own client and pacing: the 50 should take about as long as one, not 50
-- times it.
--
--   LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;" lua5.4 bench/accounts.lua
--
-- Writes section 8 of bench/RESULTS.md (replacing it when it is there);
-- bench/run.lua runs it in a process of its own. Exits 2 when the 50 take
-- more than 2 times one account's time, or an account fails.
local pa = require "pinanalytics"
local simulator = require "pinanalytics.simulator"

local ACCOUNTS, PINS, DAYS, LATENCY_MS = 50, 20, 7, 1000
local RESULTS = ((arg and arg[0] or "bench/accounts.lua"):match("^(.*)/[^/]*$") or ".") .. "/RESULTS.md"
package.path = (RESULTS:match("^(.*)/[^/]*$") or ".") .. "/?.lua;" .. package.path
local HEADING = "## 8. Many accounts"
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
  local ok, _, code = h:close()
  if type(ok) == "number" then code = ok end
  return s, code
end

local function loadavg()
  local f = io.open("/proc/loadavg")
  local s = f and f:read("*l") or "?"
  if f then f:close() end
  return (s:match("^(%S+ %S+ %S+)")) or s
end

local load_start = loadavg()
local dir = capture("mktemp -d /tmp/pa-bench-accounts.XXXXXX"):gsub("%s+$", "")
assert(dir ~= "", "mktemp failed")

local accounts, names = {}, {}
for i = 1, ACCOUNTS do
  local name = string.format("client_%02d", i)
  names[i] = name
  accounts[name] = { token = "bench-token-" .. i, refresh_token = "bench-refresh-" .. i, pins_count = PINS }
end
local sim = simulator.start { accounts = accounts, latency_ms = LATENCY_MS }
local creds = dir .. "/conf/credentials.json"
local cs = pa.credentials.open(creds)
for _, name in ipairs(names) do
  assert(cs:put(name, { access_token = accounts[name].token, refresh_token = accounts[name].refresh_token,
    expires_in = 30 * 86400 }))
end

local env = "env -u PINTEREST_ACCESS_TOKEN PINTEREST_BASE_URL=" .. quote(sim.pinterest_url) .. " "
local what = " --all-pins --account --days " .. DAYS .. " --no-progress"

-- one account: the plain sync, its token from the environment
say("8. one account's sync (%d pins, %d days, %d ms a request)", PINS, DAYS, LATENCY_MS)
sim:clear_log()
local t0 = now()
local out1, code1 = capture(env .. "PINTEREST_ACCESS_TOKEN=" .. quote(accounts[names[1]].token) ..
  " lua5.4 bin/pinanalytics sync --store " .. quote(dir .. "/one.db") .. what .. " 2>&1")
local one = now() - t0
local one_requests = #sim:requests()
assert(code1 == 0, "the one account's sync failed: " .. out1)
say("   %.2f s, %d requests", one, one_requests)

say("8. sync --all-accounts, %d accounts", ACCOUNTS)
sim:clear_log()
t0 = now()
local out, code = capture(env .. "lua5.4 bin/pinanalytics sync --all-accounts --credentials " .. quote(creds) ..
  " --store " .. quote(dir .. "/all.db") .. what .. " 2>&1")
local all = now() - t0
local all_requests = #sim:requests()
local peak = sim:stats().peak_inflight
local failed = tonumber(out:match(" of %d+ here, (%d+) failed")) or -1
say("   %.2f s, %d requests, %d failed, peak %d requests in flight", all, all_requests, failed, peak)
local written = tonumber(out:match("(%d+) days written, %d+ days not READY yet, %d+ days missing, %d+ pins failed, " ..
  "%d+ warnings?\n$")) or 0
sim:stop()
os.execute("rm -rf " .. quote(dir))
if code ~= 0 then io.stderr:write(out) end

local ratio = all / one
local met = code == 0 and failed == 0 and ratio <= 2
local section = table.concat({
  HEADING,
  "",
  string.format("%d accounts of a credentials file, each with %d pins, %d days, the account's figures too, against " ..
    "the simulator answering every request after %d ms; each run into a fresh SQLite store, wall clock of the " ..
    "command. Measured on %s by `lua5.4 bench/accounts.lua` (load average %s before).", ACCOUNTS, PINS, DAYS,
    LATENCY_MS, os.date("!%Y-%m-%d"), load_start),
  "",
  "| run | wall clock | requests | days written |",
  "|---|---|---|---|",
  string.format("| one account: `sync --store ... --all-pins --account` | %.2f s | %d | %d |", one, one_requests,
    (PINS + 1) * DAYS),
  string.format("| %d accounts: `sync --all-accounts` (default --jobs 64) | %.2f s | %d | %d |", ACCOUNTS, all,
    all_requests, written),
  "",
  string.format("The %d accounts take %.2f times one account's time (target: at most 2, \"about as long as one " ..
    "account\", not %d times it): %s. Up to %d requests were in flight at once at the server; %d accounts failed.",
    ACCOUNTS, ratio, ACCOUNTS, met and "met" or "**missed**", peak, failed),
  "",
}, "\n")
require("section").write(RESULTS, HEADING, section)
say("wrote section 8 of %s", RESULTS)
os.exit(met and 0 or 2)
