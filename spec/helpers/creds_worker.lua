--- A process of its own that uses a credentials file, for the specs of
-- rotation under contention and of crashes (spec/oauth_flow_spec.lua).
-- The app's secret comes from the file PA_SPEC_SECRET_FILE names (never
-- argv, nor a shell command line); the tokens from the credentials file.
--
--   lua creds_worker.lua loop FILE BASE_URL SECONDS
--     requests in a loop (GET /user_account, and a pin's analytics) until
--     SECONDS have passed; prints every failure (tostring), then one line
--     "done ok=N failed=N auth=N extra=N" (extra: token
--     requests and requests asked again after a 401)
--   lua creds_worker.lua kill FILE BASE_URL STEP
--     refreshes the only account, and kills itself with SIGKILL at STEP of
--     the refresh ("locked", "received", "written", "renamed", "synced");
--     prints "survived" when it gets past them all
--   lua creds_worker.lua signal FILE BASE_URL STEP SIGNAL
--     as kill, with the store holding signals (hold_signals), sending
--     itself SIGNAL (TERM or INT) at STEP; prints "survived" when it lives
--     through the refresh (it should not: the signal ends it once the
--     tokens are saved, or at once before the request)
--   lua creds_worker.lua hold FILE BASE_URL SECONDS
--     one request (GET /user_account) through the credentials, sleeping
--     SECONDS once it holds the account's lock, if it refreshes; prints
--     "ok USERNAME refreshed=N" (N: the refreshes this process made)
local pa = require "pinanalytics"
local core = require "pinanalytics.core"
local credentials = require "pinanalytics.credentials"

local mode, file, base_url = arg[1], arg[2], arg[3]

local function my_pid()
  local f = assert(io.open("/proc/self/stat", "rb"))
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  return pid
end

local function secret()
  local f = assert(io.open(assert(os.getenv("PA_SPEC_SECRET_FILE"), "PA_SPEC_SECRET_FILE is not set"), "rb"))
  local s = f:read("*l")
  f:close()
  return s
end

local function client(store)
  return pa.pinterest { credentials = store, base_url = base_url, client_secret = secret(),
    retries = 0, timeout = 10 }
end

if mode == "loop" then
  local seconds = tonumber(arg[4])
  local c = client(file)
  local ok, failed, auth = 0, 0, 0
  local today = os.date("!%Y-%m-%d")
  local deadline = core.now() + seconds
  local i = 0
  while core.now() < deadline do
    i = i + 1
    local res, err
    if i % 2 == 0 then
      res, err = c:user_account()
    else
      res, err = c:pin_analytics("42", { start_date = today, end_date = today, metric_types = { "IMPRESSION" } })
    end
    if res then
      ok = ok + 1
    else
      failed = failed + 1
      if err.kind == "auth" then auth = auth + 1 end
      print(tostring(err))
    end
    core.sleep(0.02)
  end
  print(string.format("done ok=%d failed=%d auth=%d extra=%d", ok, failed, auth,
    c:request_count() - i))
  c:close()
elseif mode == "kill" then
  local step = arg[4]
  local pid = my_pid()
  local store = credentials.open { path = file, on_step = function(name)
    if name == step then os.execute("kill -9 " .. pid) core.sleep(5) end
  end }
  local c = client(store)
  assert(c:user_account()) -- takes the stored token; the refresh below replaces it
  local ok, err = c:refresh()
  print(ok and "survived" or tostring(err))
  c:close()
elseif mode == "signal" then
  local step, sig = arg[4], arg[5]
  assert(sig == "TERM" or sig == "INT", "signal: TERM or INT")
  local pid = my_pid()
  local store = credentials.open { path = file, hold_signals = true, on_step = function(name)
    if name == step then
      -- from another process: os.execute ignores SIGINT while its child runs
      os.execute("(sleep 0.1; kill -" .. sig .. " " .. pid .. ") >/dev/null 2>&1 &")
      core.sleep(1) -- the signal arrives meanwhile (held, or not)
    end
  end }
  local c = client(store)
  assert(c:user_account())
  local ok, err = c:refresh()
  print(ok and "survived" or tostring(err))
  c:close()
elseif mode == "hold" then
  local seconds = tonumber(arg[4])
  local store = credentials.open { path = file, on_step = function(name)
    if name == "locked" then core.sleep(seconds) end
  end }
  local refreshed = 0
  local c = pa.pinterest { credentials = store, base_url = base_url, client_secret = secret(),
    retries = 0, timeout = 10, on_token = function() refreshed = refreshed + 1 end }
  local me, err = c:user_account()
  print(me and ("ok " .. me.username .. " refreshed=" .. refreshed) or tostring(err))
  c:close()
  if store.close then store:close() end
else
  error("creds_worker: unknown mode " .. tostring(mode))
end
