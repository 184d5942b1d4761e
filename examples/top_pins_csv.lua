-- The account's 25 top pins of the last 30 days by saves, as CSV for a
-- spreadsheet: a header row, then a row a pin; numbers as numbers (counts
-- whole, rates as fractions), text quoted as RFC 4180 says.
--
--   PINTEREST_ACCESS_TOKEN=... lua5.4 examples/top_pins_csv.lua [FILE.csv]
-- Without FILE the CSV goes to standard output. Without a token it runs
-- against the built-in simulator (or against `pinanalytics simulate`'s,
-- with the lines it prints pasted into this shell). From a clone, after
-- `make build`, with LUA_PATH="lua/?.lua;lua/?/init.lua;;"
-- LUA_CPATH="build/lua5.4/?.so;;" in the environment.
--
-- The same from the command line:
--   pinanalytics top --sort-by SAVE --limit 25 --format csv --output top-pins.csv
local pa = require "pinanalytics"

local token, base_url = os.getenv("PINTEREST_ACCESS_TOKEN"), os.getenv("PINTEREST_BASE_URL")
local sim
if not token or token == "" then
  sim = require("pinanalytics.simulator").start {}
  token, base_url = sim.token, sim.pinterest_url
end

local client = pa.pinterest { token = token, base_url = base_url }
local range = pa.dates.last(30)
local top, err = client:top_pins { range = range, sort_by = "SAVE", num_of_pins = 25 }
if not top then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
local csv = pa.report.render("csv", pa.report.top_pins(top, { range = range, limit = 25 }))
local path = arg[1]
if path then
  local f = assert(io.open(path, "wb"))
  f:write(csv)
  f:close()
  io.stderr:write("wrote ", path, "\n")
else
  io.write(csv)
end
client:close()
if sim then sim:stop() end
