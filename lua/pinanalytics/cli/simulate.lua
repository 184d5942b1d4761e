--- The `simulate` command: runs the built-in simulator of the Pinterest
-- and OneUp APIs in the foreground, prints how to point the other commands
-- at it, and serves until Ctrl-C or SIGTERM.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"

local usage, failure, line, is_interrupt = errors.usage, errors.failure, errors.line, errors.is_interrupt
local whole = options.whole
local emit = output.emit

local simulate = {}

-- the options it takes
simulate.options = { "--latency", "--help" }

simulate.help = [[
usage: pinanalytics simulate [OPTIONS]

Runs the built-in simulator of the Pinterest and OneUp APIs (nginx with its
Lua module, on 127.0.0.1) in the foreground, prints its URL, its token and
the lines that point the other commands at it, and serves until Ctrl-C or
SIGTERM; then it stops nginx and removes its files. No network, no token:
the data is made up, the same for the same ids.

  --latency MS        wait MS milliseconds (0 to 60000) before each answer (to watch the
                      progress bar)

With the Lua binding of libuv (luv) installed, SIGTERM and Ctrl-C are
caught and the simulator is stopped before the command ends; without it,
Ctrl-C is caught and SIGTERM ends the command at once, after which the
simulator's watchdog stops nginx within a few seconds.

Example:
  pinanalytics simulate
  # in another terminal, the export lines it printed, then:
  pinanalytics pin 813744226420795884 --last 7
]]

-- Catches Ctrl-C and SIGTERM from now on (before the address is printed,
-- so that a signal sent as soon as it is read is not lost); returns the
-- function that waits for one and returns its name, or nil when the process
-- is ended by it before (SIGTERM without luv).
local function catch_signals()
  local ok, uv = pcall(require, "luv")
  if not ok and is_interrupt(uv) then return function() return "sigint" end end
  if ok and type(uv) == "table" and uv.new_signal then
    local caught
    local handles = {}
    for _, name in ipairs({ "sigint", "sigterm", "sighup" }) do
      local h = uv.new_signal()
      h:start(name, function()
        caught = name
        uv.stop()
      end)
      handles[#handles + 1] = h
    end
    return function()
      -- a signal that came before is waiting in the loop: run sees it at once
      uv.run()
      for _, h in ipairs(handles) do
        h:stop()
        h:close()
      end
      uv.run("nowait")
      return caught
    end
  end
  return function()
    -- Plain Lua: the interpreter (lua, luajit) turns SIGINT into the error
    -- "interrupted!" at the next instruction; a short sleep lets it come soon.
    local sleep = require("pinanalytics.core").sleep
    local function forever() while true do sleep(0.2) end end
    local jit = rawget(_G, "jit")
    if jit and jit.off then jit.off(forever) end -- compiled code does not look at the hook
    pcall(forever)
    return "sigint"
  end
end

function simulate.run(ctx, cmd, p)
  local latency = whole(cmd, p.opts, "--latency", 0, 60000, "milliseconds")
  if #p.args > 0 then usage(cmd, "simulate takes no argument ('%s')", p.args[1]) end
  local simulator = require "pinanalytics.simulator"
  local ok, sim = pcall(simulator.start, { latency_ms = latency })
  if not ok and is_interrupt(sim) then error(sim, 0) end
  if not ok then failure("%s", line(sim)) end
  local wait = catch_signals()
  -- the hints run as printed: the launcher names the file it ran from a
  -- clone (an absolute path), else the command is on PATH
  local prog = ctx.getenv("PINANALYTICS_PROGRAM")
  if not prog or prog == "" or prog:find("[^%w%-%._/+]") then prog = "pinanalytics" end
  local ok_out, why = pcall(emit, ctx, "the simulator's address", table.concat({
    "pinanalytics simulator: ", sim.url, " (made-up data; no token, no network)\n",
    "Point the commands at it (in another terminal):\n",
    "  export PINTEREST_BASE_URL=", sim.pinterest_url, "\n",
    "  export PINTEREST_ACCESS_TOKEN=", sim.token, "\n",
    "  export ONEUP_BASE_URL=", sim.url, "\n",
    "  export ONEUP_API_KEY=", sim.control.oneup_api_key or "sim-oneup-key", "\n",
    "then, for example:\n",
    "  ", prog, " overview --last 7\n",
    "  ", prog, " pin 813744226420795884 729090764583391194 1125968628950271\n",
    "  ", prog, " oneup-overview --social-network-id 1\n",
    "To try logging in against it (its sign-in page approves at once):\n",
    "  export PINTEREST_OAUTH_URL=", sim.url, "/oauth/authorize\n",
    "  export PINTEREST_CLIENT_ID=", sim.control.client_id or "sim-client-id", "\n",
    "  export PINTEREST_CLIENT_SECRET=", sim.control.client_secret or "sim-client-secret", "\n",
    "  unset PINTEREST_ACCESS_TOKEN\n",
    "  ", prog, " login --no-browser --credentials /tmp/pinanalytics-sim-credentials.json\n",
    "Logs: ", sim.prefix, "/logs/error.log\n",
    "Stop it with Ctrl-C (or SIGTERM).\n" }))
  if not ok_out then
    sim:stop()
    error(why, 0)
  end
  local sig = wait()
  sim:stop()
  emit(ctx, "the simulator's last line", "\nsimulator stopped" .. (sig and (" (" .. sig:upper() .. ")") or "") .. "\n")
  return nil
end

return { simulate = simulate }
