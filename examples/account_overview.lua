-- The account's last 30 days against the 30 before: each metric in both
-- periods, its change (a rate's in percentage points) and its trend, then
-- the rankings of the account's pins (most and least engaging, viewed,
-- saved, clicked). Printed as text; given a file name, also written there
-- as one HTML page with its charts.
--
--   PINTEREST_ACCESS_TOKEN=... lua5.4 examples/account_overview.lua [overview.html]
-- Without a token it runs against the built-in simulator (or against
-- `pinanalytics simulate`'s, with the lines it prints pasted into this
-- shell). From a clone, after `make build`, with
-- LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/lua5.4/?.so;;".
--
-- The same from the command line:
--   pinanalytics overview --last 30 [--format html --output overview.html]
local pa = require "pinanalytics"

local token, base_url = os.getenv("PINTEREST_ACCESS_TOKEN"), os.getenv("PINTEREST_BASE_URL")
local sim
if not token or token == "" then
  sim = require("pinanalytics.simulator").start {}
  token, base_url = sim.token, sim.pinterest_url
end

local function check(x, err)
  if x == nil then
    io.stderr:write(tostring(err), "\n")
    os.exit(1)
  end
  return x
end

local client = pa.pinterest { token = token, base_url = base_url }
local current = pa.dates.last(30)
local previous = current:previous()
local cur = check(client:user_account_analytics { range = current })
local prev = check(client:user_account_analytics { range = previous })

-- the rankings: the account's pins (the first 250 of GET /pins), their totals over the period
local ids = {}
local pager = client:list_pins { page_size = 250 }
for pin in pager:items() do
  if #ids == 250 then break end
  ids[#ids + 1] = pin.id
end
if pager.err then check(nil, pager.err) end
local results, errors = client:pins_analytics(ids, { range = current,
  metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "TOTAL_COMMENTS", "TOTAL_REACTIONS" } })
for id, e in pairs(errors) do io.stderr:write("pin ", id, ": ", tostring(e), "\n") end

local ov = pa.report.overview(cur, prev, { pins = results, range = current, previous_range = previous })
io.write(pa.report.render("text", ov))
if arg[1] then
  local f = assert(io.open(arg[1], "wb"))
  f:write(pa.report.render("html", ov))
  f:close()
  io.stderr:write("wrote ", arg[1], "\n")
end
client:close()
if sim then sim:stop() end
