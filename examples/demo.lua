-- The main job, against the built-in simulator: no token, no network.
--
--   make demo          (or: lua5.4 examples/demo.lua [HTML_FILE] with the module on the paths)
--
-- Starts the simulator on a loopback port and runs the command-line tool
-- (bin/pinanalytics, whose logic is pinanalytics.cli) against it, in this
-- process: a pin's last 30 days with a sparkline a metric, three pins side
-- by side, and the account's last 30 days against the 30 before with the
-- rankings of its pins, as text; then the same overview as one HTML page
-- with its charts, written to HTML_FILE (default build/demo/overview.html),
-- whose path it prints. Each step shows the command that gives it.
-- "The last 30 days" is pa.dates.last(30): the 30 full UTC days ending
-- yesterday (today is not over, so its numbers are partial).
local pa = require "pinanalytics"
local cli = require "pinanalytics.cli"
local simulator = require "pinanalytics.simulator"

local PINS = { "813744226420795884", "729090764583391194", "1125968628950271" }

local function cwd()
  local h = io.popen("pwd")
  local dir = h and h:read("*l")
  if h then h:close() end
  return dir or "."
end

local html = arg[1]
if not html then
  os.execute("mkdir -p build/demo")
  html = cwd() .. "/build/demo/overview.html"
end

local sim = simulator.start {}
-- the tool reads its token and base URL from the environment: this one
local env = { PINTEREST_ACCESS_TOKEN = sim.token, PINTEREST_BASE_URL = sim.pinterest_url }
local ctx = { getenv = function(name) return env[name] end }

local function run(args, to_file)
  io.stdout:write("$ pinanalytics ", table.concat(args, " "), to_file and "\n" or "\n\n")
  io.stdout:flush()
  local code = cli.main(args, ctx)
  if not to_file then io.stdout:write("\n") end
  if code ~= 0 then
    sim:stop()
    io.stderr:write("demo failed: pinanalytics ", table.concat(args, " "), " exited with ", code, "\n")
    os.exit(1)
  end
end

print(string.format("pinanalytics %s demo: simulator at %s (made-up data)\n", pa._VERSION, sim.url))
run { "pin", PINS[1], "--last", "30" }
run { "pin", PINS[1], PINS[2], PINS[3], "--last", "30" }
run { "overview", "--last", "30", "--pins", "60" }
run({ "overview", "--last", "30", "--pins", "60", "--format", "html", "--output", html }, true)
print("HTML report: " .. html)
sim:stop()
