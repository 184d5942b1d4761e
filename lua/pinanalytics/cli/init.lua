--- The command-line tool (bin/pinanalytics): reports from Pinterest or
-- OneUp in a terminal, a file or a pipe.
--
--   pinanalytics pin 813744226420795884 --last 7
--   pinanalytics overview --format html --output overview.html
--   pinanalytics sync --store analytics.db --all-pins --account   (daily, from cron)
--   pinanalytics account --last 365 --from-store analytics.db
--   pinanalytics simulate          (the built-in simulator, for trying it out)
--
-- The logic is here so that it can be tested and driven from Lua:
--   local code = require("pinanalytics.cli").main({ "top", "--limit", "5" }, ctx)
-- ctx (optional): getenv (default os.getenv), stdout, stderr, stdin (file
-- handles, default io.stdout, io.stderr, io.stdin; stdin is read for
-- --token-file -), isatty (function(fd) -> boolean, default `test -t FD`
-- run by the shell, which asks whether a progress bar may be drawn), clock
-- (a function returning seconds since the epoch, default os.time: what day
-- "today" is, for the periods and the clients). main returns the exit
-- status: 0 ok, 1 a run-time failure (one line on stderr; a report that
-- could not be written, an internal error), 2 a usage error, 130 Ctrl-C.
--
-- The token never comes from an argument (every user of the machine can read
-- a process's arguments with ps): PINTEREST_ACCESS_TOKEN, ONEUP_API_KEY or
-- --token-file FILE.
--
-- Its files (lua/pinanalytics/cli/), a file a command over shared parts:
--   init.lua       this: main (dispatch, exit statuses, interrupts, internal
--                  errors), parse and help
--   errors.lua     the kinds of error (usage, failure, interrupt) and their lines
--   options.lua    the options, their parsing, the period, metrics and bounds
--   output.lua     formats, the report written (standard output, --output),
--                  text made safe for a terminal
--   progress.lua   the progress bar on standard error
--   api.lua        the token, the Pinterest and OneUp clients
--   store.lua      the local store (--store, --from-store)
--   pin.lua, account.lua, top.lua, overview.lua, sync.lua, oneup.lua
--                  (oneup-overview, oneup-posts), simulate.lua: the commands,
--                  each with its options, its help and what it runs
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local store = require "pinanalytics.cli.store"

local Usage, Failure, failure, call = errors.Usage, errors.Failure, errors.failure, errors.call
local is_interrupt, line, usage = errors.is_interrupt, errors.line, errors.usage
local format_of, emit, write_output, scrub = output.format_of, output.emit, output.write_output, output.scrub
local stdout_closed, default_isatty, remove_partial = output.stdout_closed, output.default_isatty, output.remove_partial

local M = {}

--- The subcommands, in the order the tool's help lists them.
M.COMMANDS = { "pin", "account", "top", "overview", "sync", "oneup-overview", "oneup-posts", "login", "accounts",
  "logout", "simulate", "ads" }

--- The report formats (those of pinanalytics.report.render): what the
-- option --format takes.
M.FORMATS = output.FORMATS

-- the file that holds each command
local FILE = { pin = "pin", account = "account", top = "top", overview = "overview", sync = "sync",
  ["oneup-overview"] = "oneup", ["oneup-posts"] = "oneup", simulate = "simulate", login = "login", accounts = "login",
  logout = "login", ads = "ads" }

-- The command named (its options, help and run), or nil.
local function command(name)
  local file = FILE[name]
  return file and require("pinanalytics.cli." .. file)[name]
end

local HELP = {}

HELP.main = [[
usage: pinanalytics COMMAND [OPTIONS]

Pinterest analytics as reports: text for a terminal, markdown, csv, json, or
one self-contained html page with charts.

Commands:
  pin ID...         pins: one pin day by day, or several pins a row each
  account           the whole account, day by day
  top               the account's top pins
  overview          the account, this period against the previous one, with
                    rankings of its pins (most and least engaging, viewed, ...)
  sync              bring a local store (a SQLite file or PostgreSQL) up to date:
                    the history beyond Pinterest's 90 days, read with --from-store
  oneup-overview    OneUp's overview of an account, against the previous period
  oneup-posts       OneUp's posts of an account with their figures
  login             sign in to Pinterest in a browser once: the account's tokens are
                    saved in the credentials file, and refreshed from then on
  accounts          the accounts of the credentials file, with their tokens' expiry
  logout ACCOUNT    forget an account of the credentials file
  simulate          run the built-in simulator (no token, no network) until Ctrl-C
  ads report        an async ads report (any level, columns, granularity; up to 914
                    days back) to csv or json
  ads overview      an ad account, this period against the previous one: spend,
                    CTR, CPC, CPM, conversions, ROAS, in its currency
  ads campaigns     an ad account's campaigns ranked (--sort spend, ctr, roas, ...)

Each command takes --help; most take a period (--last N, --start DATE
--end DATE, --preset NAME), --metrics, --format (text, markdown, csv, json,
html) and --output FILE; pin, account, top and overview take --from-store
TARGET, to read a local store that sync keeps, with no token.

The token: PINTEREST_ACCESS_TOKEN (OneUp: ONEUP_API_KEY) or --token-file
FILE, else an account that `pinanalytics login` saved (--account NAME picks
one of several). Never an argument: every user of the machine can read a
command's arguments (ps, /proc/PID/cmdline), so --token is refused.

Exit status: 0 ok, the report written; 1 a run-time failure (one line on
standard error), a report that could not be written included; 2 a usage
error; 130 interrupted (Ctrl-C), after saying what was kept.

Example, without a token (the simulator makes up the data):
  pinanalytics simulate                # in one terminal; paste its export lines
  pinanalytics overview --last 7       # into another, then
]]

--- Parses the arguments of the tool, checking each option against those its
-- command takes; it reads no file and no environment variable.
--
-- An option's value is the next argument or follows "=" (`--last=7`); an
-- option that takes none is `true`. `-h` is `--help`; `--` makes every
-- argument after it a positional one; `help [COMMAND]` asks for help too.
-- @tparam {string,...} argv the arguments, without the program's name
-- @treturn table `{ command = name, args = { positional... }, opts = {
-- ["--last"] = "7", ["--video"] = true, ... } }`; `{ help = command }`
-- (`"main"` for the tool's) for `--help`, `-h` or `help`; `{ version = true }`
-- for `--version`
-- @raise a usage error (what `main` turns into exit status 2) for an unknown
-- command or option, an option the command does not take, a missing or
-- unexpected value, no command, or an option that would carry a secret
-- (`--token`, `--api-key`, ...). It is a table, not a string: call parse
-- through `main`, or catch it with pcall and read its `msg` field
function M.parse(argv)
  return options.parse(argv, M.COMMANDS, function(cmd) return command(cmd).options end)
end

-- main ----------------------------------------------------------------------

-- The library, or a failure that says why it does not load.
local function library()
  local loaded, pa = pcall(require, "pinanalytics")
  if not loaded and is_interrupt(pa) then error(pa, 0) end
  if not loaded then
    local jit = rawget(_G, "jit")
    failure("the library does not load in %s (is its C core built for this Lua? `make build` builds it for " ..
      "lua5.4, the rock for the Lua that luarocks was told): %s", jit and jit.version or _VERSION, line(pa))
  end
  return pa
end

local function run(ctx, p)
  local cmd = p.command
  for _, name in ipairs({ "--store", "--from-store", "--credentials" }) do
    for _, pw in ipairs(store.uri_passwords(p.opts[name] or "")) do ctx.secrets[#ctx.secrets + 1] = pw end
  end
  if p.opts["--account-name"] and not p.opts["--from-store"] and cmd ~= "sync" then
    usage(cmd, "--account-name goes with --from-store: it names the account to read in a store that holds several " ..
      "(with the API, --account NAME picks an account of the credentials file)")
  end
  local pa = library()
  if cmd ~= "simulate" then format_of(cmd, p.opts) end -- a bad --format is said before anything is fetched
  -- what the library would refuse, said in the tool's words with advice that can be typed
  options.check_request(cmd, p, pa, ctx.clock)
  local report, note = command(cmd).run(ctx, cmd, p)
  if report == nil then return 0 end

  local text = call(cmd, require("pinanalytics.report").render, format_of(cmd, p.opts), report,
    (p.opts["--shape"] or p.opts["--images"]) and { shape = p.opts["--shape"], images = p.opts["--images"] and true }
      or nil)
  write_output(ctx, cmd, p.opts, text)
  if note then failure("%s", note) end
  return 0
end

--- Runs the tool on argv, as bin/pinanalytics does: writes the report (or the
-- help, or the version) to ctx.stdout or the `--output` file, and what went
-- wrong to ctx.stderr (the error that ends the run as its last line, the
-- token or key it read replaced by "[REDACTED]"). An error of the command,
-- a bug included, becomes an exit status instead of being raised.
-- @tparam {string,...} argv the arguments, without the program's name
-- @tab[opt] ctx what the tool reads and writes instead of the process's
-- own (each field optional)
-- @func[opt=os.getenv] ctx.getenv `getenv(name)`: PINTEREST_ACCESS_TOKEN,
-- ONEUP_API_KEY, PINTEREST_BASE_URL, ONEUP_BASE_URL
-- @tparam[opt=io.stdout] file ctx.stdout where the report, the help and the version go
-- @tparam[opt=io.stderr] file ctx.stderr where errors, the pins that failed and
-- the progress bar go
-- @tparam[opt=io.stdin] file ctx.stdin read for `--token-file -`
-- @func[opt] ctx.isatty `isatty(fd)` -> boolean: whether the progress bar may
-- be drawn on fd 2 (default: `test -t FD` run by the shell)
-- @func[opt=os.time] ctx.clock seconds since the epoch: what day "today" is,
-- for the periods (`--last`, the presets) and the clients
-- @treturn int the exit status: 0 ok (what was asked for written and
-- flushed); 1 a run-time failure (a line "pinanalytics: ..." on stderr): an
-- error of the API or the store, a report, help or summary that could not
-- be written ("the report was not written to standard output: No space left
-- on device"), or a bug ("internal error: ..."); 2 a usage error (its line,
-- then a hint to `--help`; a value the library's own checks refuse is one);
-- 130 interrupted by Ctrl-C ("interrupted: " and what was kept)
function M.main(argv, ctx)
  ctx = ctx or {}
  local c = {
    getenv = ctx.getenv or os.getenv, stdout = ctx.stdout or io.stdout, stderr = ctx.stderr or io.stderr,
    stdin = ctx.stdin or io.stdin, isatty = ctx.isatty or default_isatty, clock = ctx.clock, secrets = {},
    stores = {}, after = {},
  }
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local ok, result = pcall(function()
    local p = M.parse(args)
    -- what goes to standard output; when it is closed, nothing is done (a
    -- file or socket opened later could take its descriptor)
    local what = p.help and "the help" or p.version and "the version" or
      (p.command == "sync" and "the sync's summary") or (p.command == "simulate" and "the simulator's address") or
      (not p.opts["--output"] and "the report")
    if what and stdout_closed(c.stdout) then
      failure("%s was not written: standard output is closed (nothing was done)", what)
    end
    if p.help then return emit(c, "the help", M.help(p.help)) or 0 end
    if p.version then return emit(c, "the version", "pinanalytics " .. library()._VERSION .. "\n") or 0 end
    return run(c, p)
  end)
  for _, st in ipairs(c.stores) do
    local closed, why = pcall(st.close, st)
    if not closed and is_interrupt(why) and ok then ok, result = false, why end -- Ctrl-C while it closed
  end
  -- what is said once the command has run (a refresh token near its end),
  -- before its last line
  if not (not ok and is_interrupt(result)) then
    for _, f in ipairs(c.after) do
      local done, why = pcall(f)
      if not done and is_interrupt(why) and ok then ok, result = false, why end
    end
  end
  if ok then return result end
  local e = result
  if getmetatable(e) == Usage then
    c.stderr:write("pinanalytics: ", scrub(e.msg, c.secrets), "\n",
      "Try 'pinanalytics ", e.cmd and (e.cmd .. " ") or "", "--help'.\n")
    return 2
  end
  if is_interrupt(e) then
    local said = "nothing was written"
    if c.partial then
      said = "the report was not written to " .. c.partial .. remove_partial(c.partial)
    elseif c.writing then
      said = c.writing .. " on standard output is incomplete"
    elseif c.kept then
      said = c.kept()
    end
    c.stderr:write("pinanalytics: interrupted: ", scrub(said, c.secrets), "\n")
    return 130
  end
  local msg = getmetatable(e) == Failure and e.msg
  if not msg then
    local loaded, pa = pcall(require, "pinanalytics")
    msg = "internal error: " .. line(e) .. " (a bug in pinanalytics" ..
      (loaded and type(pa) == "table" and pa._VERSION and (" " .. pa._VERSION) or "") ..
      ": please report it, with the command that led to it)"
  end
  c.stderr:write("pinanalytics: ", scrub(line(msg), c.secrets), "\n")
  return 1
end

--- The help text of a command: what the tool prints for
-- `pinanalytics COMMAND --help` (or `pinanalytics --help`).
-- @string[opt="main"] name a command of `COMMANDS`, or "main" for the tool's
-- own help
-- @treturn string|nil the text, ending with a newline; nil for a name that
-- is neither
function M.help(name)
  name = name or "main"
  if name == "main" then return HELP.main end
  local c = command(name)
  return c and c.help
end

return M
