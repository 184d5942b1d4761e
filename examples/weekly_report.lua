-- A weekly report in markdown, to paste into an email or a chat: the
-- account's last 7 days against the 7 before, then the week's top pins by
-- engagement.
--
-- Against Pinterest:
--   PINTEREST_ACCESS_TOKEN=... lua5.4 examples/weekly_report.lua > week.md
-- Against the built-in simulator: leave PINTEREST_ACCESS_TOKEN unset (the
-- script starts one), or run `pinanalytics simulate` in another terminal and
-- paste the export lines it prints (PINTEREST_BASE_URL and the token).
-- From a clone, after `make build`, with LUA_PATH="lua/?.lua;lua/?/init.lua;;"
-- LUA_CPATH="build/lua5.4/?.so;;" in the environment (the rock needs neither).
local pa = require "pinanalytics"

local token, base_url = os.getenv("PINTEREST_ACCESS_TOKEN"), os.getenv("PINTEREST_BASE_URL")
local sim
if not token or token == "" then
  sim = require("pinanalytics.simulator").start {}
  token, base_url = sim.token, sim.pinterest_url
end

local function check(x, err)
  if x == nil then
    io.stderr:write(tostring(err), "\n") -- one line, never the token
    os.exit(1)                            -- the simulator, if started, stops with this process
  end
  return x
end

local client = pa.pinterest { token = token, base_url = base_url }
local week = pa.dates.last(7)            -- the 7 days ending yesterday (UTC)
local before = week:previous()           -- the 7 days before them

local cur = check(client:user_account_analytics { range = week })
local prev = check(client:user_account_analytics { range = before })
local ov = pa.report.overview(cur, prev, { range = week, previous_range = before })
io.write(pa.report.render("markdown", ov,
  { title = "Weekly report " .. week.start_date .. " .. " .. week.end_date }))

local top = check(client:top_pins { range = week, sort_by = "ENGAGEMENT", num_of_pins = 5 })
local md = pa.report.render("markdown", pa.report.top_pins(top, { range = week, limit = 5 }))
io.write("\n", (md:gsub("^# ", "## ")))  -- a section of the report rather than a page of its own

client:close()
if sim then sim:stop() end
