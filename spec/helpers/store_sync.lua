-- A sync in a process of its own, for the store specs that need two
-- processes at once or a process killed half way:
--
--   lua spec/helpers/store_sync.lua TARGET BASE_URL TOKEN TODAY PINS [CHUNK [KILL_AFTER]]
--
-- PINS: pin ids separated by commas. KILL_AFTER: the process sends itself
-- SIGKILL in on_progress after that many chunks were written (a process
-- killed between two writes, with nothing to clean up). Prints one line
-- "done <requests> <days_written> <error or ->" on success.
local pa = require "pinanalytics"

local target, base_url, token, today, pins = arg[1], arg[2], arg[3], arg[4], arg[5]
local chunk = tonumber(arg[6] or "") or 500
local kill_after = tonumber(arg[7] or "")
local ids = {}
for id in pins:gmatch("%d+") do ids[#ids + 1] = id end
local day = pa.dates.parse(today)

local client = pa.pinterest { token = token, base_url = base_url, retries = 3, timeout = 20,
  clock = function() return day * 86400 + 43200 end }
local store = assert(pa.store.open(target))
local chunks = 0
local res, err = store:sync(client, { pins = ids, chunk = chunk, on_progress = function()
  chunks = chunks + 1
  if kill_after and chunks >= kill_after then
    local f = assert(io.open("/proc/self/stat", "rb"))
    local pid = f:read("*l"):match("^%d+")
    f:close()
    os.execute("kill -KILL " .. pid)
    while true do os.execute("sleep 1") end -- the signal is on its way
  end
end })
store:close()
client:close()
for id, e in pairs(res.errors) do io.stderr:write("error ", id, ": ", tostring(e), "\n") end
print(string.format("done %d %d %s", res.requests, res.days_written, err and tostring(err) or "-"))
