-- A sync in a process of its own, for the store specs that need two
-- processes at once or a process killed half way:
--
--   lua spec/helpers/store_sync.lua TARGET BASE_URL TOKEN TODAY PINS [CHUNK [KILL_AFTER]]
--
-- PINS: pin ids separated by commas. KILL_AFTER: the process sends itself
-- SIGKILL in on_progress after that many chunks were written (a process
-- killed between two writes, with nothing to clean up). Prints one line
-- "done <requests> <days_written> <error or ->" on success.
--
-- The environment adds (the store's fault matrix):
--   PA_SYNC_ACCOUNT=1  the account's figures too
--   PA_SYNC_DAYS=N     opts.days
--   PA_SYNC_KILL_STEP=K  SIGKILL at step K of the sync's transactions: each
--     transaction of the sync has three steps, before its BEGIN ("begin"),
--     after its statements and before its COMMIT ("commit"), after its
--     COMMIT ("after"); the line "killed <K> <phase> <transaction>" is
--     printed first. Without it, a line "steps <N>" before "done" counts them.
local pa = require "pinanalytics"

local target, base_url, token, today, pins = arg[1], arg[2], arg[3], arg[4], arg[5]
local chunk = tonumber(arg[6] or "") or 500
local kill_after = tonumber(arg[7] or "")
local kill_step = tonumber(os.getenv("PA_SYNC_KILL_STEP") or "")
local ids = {}
for id in pins:gmatch("%d+") do ids[#ids + 1] = id end
local day = pa.dates.parse(today)

local function die()
  io.stdout:flush()
  local f = assert(io.open("/proc/self/stat", "rb"))
  local pid = f:read("*l"):match("^%d+")
  f:close()
  os.execute("kill -KILL " .. pid)
  while true do os.execute("sleep 1") end -- the signal is on its way
end

local client = pa.pinterest { token = token, base_url = base_url, retries = 3, timeout = 20,
  clock = function() return day * 86400 + 43200 end }
local store = assert(pa.store.open(target))

-- the steps of the sync's transactions (the store's own, not a nested one)
local steps, txs = 0, 0
local function step(phase)
  steps = steps + 1
  if kill_step == steps then
    io.stdout:write(string.format("killed %d %s %d\n", steps, phase, txs))
    die()
  end
end
local transaction = store.db.transaction
local unpack = table.unpack or unpack -- luacheck: ignore (Lua 5.1)
local function pack(...) return { n = select("#", ...), ... } end
store.db.transaction = function(self, fn, ...)
  if self.in_tx then return transaction(self, fn, ...) end
  txs = txs + 1
  step("begin")
  local out = pack(transaction(self, function(...)
    local r = pack(fn(...))
    step("commit")
    return unpack(r, 1, r.n)
  end, ...))
  step("after")
  return unpack(out, 1, out.n)
end

local chunks = 0
local days = tonumber(os.getenv("PA_SYNC_DAYS") or "")
local res, err = store:sync(client, { pins = ids, chunk = chunk, days = days,
  account = os.getenv("PA_SYNC_ACCOUNT") == "1" or nil, on_progress = function()
    chunks = chunks + 1
    if kill_after and chunks >= kill_after then die() end
  end })
store:close()
client:close()
for id, e in pairs(res.errors) do io.stderr:write("error ", id, ": ", tostring(e), "\n") end
if not kill_step then print("steps " .. steps) end
print(string.format("done %d %d %s", res.requests, res.days_written, err and tostring(err) or "-"))
