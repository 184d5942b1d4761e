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
local M = {}

--- The subcommands, in the order the tool's help lists them.
M.COMMANDS = { "pin", "account", "top", "overview", "sync", "oneup-overview", "oneup-posts", "simulate" }

--- The report formats (those of pinanalytics.report.render): what the
-- option --format takes.
M.FORMATS = { "text", "markdown", "csv", "json", "html" }

-- the format an --output file's name suggests
local BY_EXTENSION = { txt = "text", md = "markdown", markdown = "markdown", csv = "csv", json = "json",
  html = "html", htm = "html" }

local PIN_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" }
local ACCOUNT_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "ENGAGEMENT", "SAVE_RATE" }
-- what the rankings of an overview are computed from (pa.report.post_performance)
local RANKING_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "TOTAL_COMMENTS", "TOTAL_REACTIONS" }

-- errors --------------------------------------------------------------------

local Usage, Failure, Interrupt = {}, {}, {}

-- a usage error: exit status 2, the message and a hint to --help
local function usage(cmd, fmt, ...)
  error(setmetatable({ cmd = cmd, msg = string.format(fmt, ...) }, Usage), 0)
end

-- a run-time failure: exit status 1, one line
local function failure(fmt, ...)
  error(setmetatable({ msg = string.format(fmt, ...) }, Failure), 0)
end

-- Is e the error the interpreter raises on Ctrl-C? (lua.c and luajit.c
-- catch SIGINT and raise "interrupted!" at the next Lua instruction.)
local function is_interrupt(e)
  if getmetatable(e) == Interrupt then return true end
  return type(e) == "string" and (e:match("^[^\n]*") or ""):match("interrupted!$") ~= nil
end

-- Is e a library's own check of an argument ("pinanalytics.pinterest:
-- pin_analytics: metric_types[1] = ... is not allowed"), not a bug? The
-- checks raise a message naming their module, with no position, or with
-- one of the library's own lines in front.
local function is_argument_check(e)
  if type(e) ~= "string" then return false end
  local s = e:gsub("^[^\n:]+:%d+: ", "", 1)
  return s:match("^pinanalytics[%w_.:]*: ") ~= nil and not s:find("internal error", 1, true)
end

-- help ----------------------------------------------------------------------

local PERIOD_HELP = [[
Period (one of; default: the last 30 days, ending yesterday, UTC):
  --last N            the N days ending yesterday (1 to 36500)
  --start DATE        from DATE (YYYY-MM-DD, UTC) to --end DATE, or to yesterday
  --end DATE          (dates 1900-01-01 to 2199-12-31, at most 36500 days)
  --preset NAME       last_7_days, last_30_days, last_90_days, this_month, last_month
]]

local OUTPUT_HELP = [[
Output:
  --format FORMAT     text (default), markdown, csv, json or html
  --output FILE       write the report to FILE instead of standard output; without
                      --format, the format is the name's: .txt .md .csv .json .html
]]

local PINTEREST_HELP = [[
Connection:
  --token-file FILE   read the access token from FILE (- for standard input) instead of
                      PINTEREST_ACCESS_TOKEN; never give a token as an argument
  --base-url URL      the API (default PINTEREST_BASE_URL, else https://api.pinterest.com/v5)
  --retries N         tries again after a failure that may pass (0 to 100, default 5)
]]

local ONEUP_HELP = [[
Connection:
  --social-network-id ID   the OneUp account (required)
  --timezone ZONE     the days' time zone, e.g. Europe/Paris (OneUp's default: UTC)
  --token-file FILE   read the API key from FILE (- for standard input) instead of
                      ONEUP_API_KEY; never give a key as an argument
  --base-url URL      the API (default ONEUP_BASE_URL, else https://analyze.oneupapp.io)
]]

local STORE_HELP = [[
Local store (pinanalytics sync fills it):
  --from-store TARGET read the figures from the store TARGET (a SQLite file, or a
                      postgresql:// URI) instead of the API: no token, and any
                      period the store holds, beyond Pinterest's 90 days
  --account-name NAME the account to read, by username or id, when the store holds
                      several
]]

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
  simulate          run the built-in simulator (no token, no network) until Ctrl-C

Each command takes --help; most take a period (--last N, --start DATE
--end DATE, --preset NAME), --metrics, --format (text, markdown, csv, json,
html) and --output FILE; pin, account, top and overview take --from-store
TARGET, to read a local store that sync keeps, with no token.

The token: PINTEREST_ACCESS_TOKEN (OneUp: ONEUP_API_KEY) or --token-file
FILE. Never an argument: every user of the machine can read a command's
arguments (ps, /proc/PID/cmdline), so --token is refused.

Exit status: 0 ok, the report written; 1 a run-time failure (one line on
standard error), a report that could not be written included; 2 a usage
error; 130 interrupted (Ctrl-C), after saying what was kept.

Example, without a token (the simulator makes up the data):
  pinanalytics simulate                # in one terminal; paste its export lines
  pinanalytics overview --last 7       # into another, then
]]

HELP.pin = [[
usage: pinanalytics pin ID... [OPTIONS]

One pin: its period, each metric's total, daily minimum and maximum and a
sparkline, and the days that are not READY yet. Several pins: a row a pin
with its totals, fetched concurrently; a progress bar on standard error
when it is a terminal. Pins that fail are named on standard error (exit 1)
and the report holds the others.

]] .. PERIOD_HELP .. [[

  --metrics LIST      comma-separated, default IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,SAVE_RATE
                      (also TOTAL_COMMENTS, TOTAL_REACTIONS, USER_FOLLOW, PROFILE_VISIT, VIDEO_*)
  --no-progress       no progress bar, even on a terminal

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics pin 813744226420795884 --last 7
  pinanalytics pin 813744226420795884 729090764583391194 --format csv --output pins.csv
  pinanalytics pin 813744226420795884 --last 365 --from-store analytics.db
]]

HELP.account = [[
usage: pinanalytics account [OPTIONS]

The whole account (GET /user_account/analytics) day by day, with totals and
a sparkline a metric.

]] .. PERIOD_HELP .. [[

  --metrics LIST      comma-separated, default IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT,SAVE_RATE
                      (also ENGAGEMENT_RATE, PIN_CLICK_RATE, OUTBOUND_CLICK_RATE)

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics account --preset last_month --format markdown
  pinanalytics account --start 2025-01-01 --end 2025-12-31 --from-store analytics.db
]]

HELP.top = [[
usage: pinanalytics top [OPTIONS]

The account's top pins over the period, ranked (GET /user_account/top_pins;
with --from-store, the pins the store holds, by their totals over the period).

]] .. PERIOD_HELP .. [[

  --sort-by METRIC    IMPRESSION (default), ENGAGEMENT, SAVE, PIN_CLICK, OUTBOUND_CLICK
                      (--video: also VIDEO_MRC_VIEW, VIDEO_START, ...)
  --limit N           how many pins, 1 to 50 (default 10; from a store, 1 to 100000)
  --video             the top video pins (not from a store: it does not know which
                      pins are videos; --sort-by VIDEO_START ranks by a video metric)
  --metrics LIST      the metrics to show (default: what Pinterest sends)

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics top --sort-by SAVE --limit 25 --format csv --output top-pins.csv
  pinanalytics top --preset last_month --from-store analytics.db
]]

HELP.overview = [[
usage: pinanalytics overview [OPTIONS]

The account over the period against the period of the same length just
before it: each metric in both periods, its change (a rate's in percentage
points) and its trend; then the rankings of the account's pins (the first
--pins of GET /pins), fetched concurrently with a progress bar on standard
error when it is a terminal. A previous period reaching past Pinterest's 90
days is cut short, and the report says the periods differ in length.
With --from-store, the figures come from the store: the rankings take the
pins it holds, and a previous period reaching past what it holds is cut
short the same way.

]] .. PERIOD_HELP .. [[

  --metrics LIST      the metrics to compare (default: every metric of the account)
  --pins N            rank the account's first N pins, 0 to 100000 (default 100; 0: no
                      rankings; from a store: every pin held, or the first N by id)
  --no-progress       no progress bar, even on a terminal

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics overview --last 7
  pinanalytics overview --preset last_30_days --format html --output overview.html
  pinanalytics overview --last 90 --from-store analytics.db
]]

HELP.sync = [[
usage: pinanalytics sync --store TARGET [--pins ID,ID | --all-pins] [--account] [OPTIONS]

Brings a local store of Pinterest's figures up to date: each pin's and the
account's daily figures, asking only for the days the store does not hold
yet and for those that were not READY. The store keeps them beyond the 90
days Pinterest serves; pin, account, top and overview read them with
--from-store TARGET. Run daily (from cron), it asks for about a day a pin.
An interrupted sync loses nothing it wrote, and the next one resumes there.

  --store TARGET      the store: a SQLite file (created when missing), or a
                      postgresql://user@host/db URI (libpq's; a password in it is
                      never printed); one store can hold several accounts
  --pins ID,ID        these pins, comma-separated
  --all-pins          every pin of the account (GET /pins)
  --account           the account's own daily figures too
  --days N            how far back to hold, 1 to 90 (default 90), ending yesterday
  --no-progress       no progress bar, even on a terminal

It prints one line: the pins, the requests sent, the days written, those of
them not READY yet (asked for again next time), the errors, and when there
are any the days it could no longer ask for and the warnings. Then, on
standard error, what it did not do, a line each (the first 10 of each kind,
then how many more): the pins that failed, the days it could no longer ask
for (midnight UTC passed during the sync: the API had stopped serving them),
the texts it stored repaired. A progress bar is drawn on standard error when
it is a terminal.

]] .. PINTEREST_HELP .. [[

Exit status: 0 everything asked for is in the store (a text stored repaired
is a warning, not a failure); 1 when the sync stopped early (GET
/user_account failed, a rate limit, the database), some pins or the
account's figures failed (the next sync asks for them again), or there are
days it could no longer ask for (they are not in the store): so that cron
notices, its last line says which; 2 a usage error; 130 interrupted (Ctrl-C):
what was written is kept, and the next sync resumes from there.

Example:
  pinanalytics sync --store analytics.db --all-pins --account
  pinanalytics account --last 365 --from-store analytics.db
]]

HELP["oneup-overview"] = [[
usage: pinanalytics oneup-overview --social-network-id ID [OPTIONS]

OneUp's overview of a Pinterest account (GET /api/pinterest/overview): each
metric in the period and the one before, its change, and OneUp's rankings of
the posts. The API key comes from ONEUP_API_KEY or --token-file.

]] .. PERIOD_HELP .. [[
  (OneUp's presets are last_7_days, last_30_days and last_90_days; a period
  ends yesterday at the latest)

  --metrics LIST      the metrics to show, by key or name (e.g. impressions,saves)

]] .. OUTPUT_HELP .. "\n" .. ONEUP_HELP .. [[

Example:
  pinanalytics oneup-overview --social-network-id 123 --preset last_7_days
]]

HELP["oneup-posts"] = [[
usage: pinanalytics oneup-posts --social-network-id ID [OPTIONS]

OneUp's posts of a Pinterest account (GET /api/pinterest/posts), a row a
post with its figures. The API key comes from ONEUP_API_KEY or --token-file.

]] .. PERIOD_HELP .. [[

  --sort-by KEY       sort by that figure, highest first (e.g. impressions)
  --limit N           at most N posts (1 to 100000)
  --metrics LIST      the figures to show (e.g. impressions,saves)

]] .. OUTPUT_HELP .. "\n" .. ONEUP_HELP .. [[

Example:
  pinanalytics oneup-posts --social-network-id 123 --last 30 --sort-by saves --format csv
]]

HELP.simulate = [[
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

-- options -------------------------------------------------------------------

-- name -> takes a value
local OPTIONS = {
  ["--last"] = true, ["--start"] = true, ["--end"] = true, ["--preset"] = true, ["--metrics"] = true,
  ["--format"] = true, ["--output"] = true, ["--base-url"] = true, ["--token-file"] = true,
  ["--retries"] = true, ["--social-network-id"] = true, ["--timezone"] = true, ["--sort-by"] = true,
  ["--limit"] = true, ["--pins"] = true, ["--latency"] = true, ["--store"] = true, ["--from-store"] = true,
  ["--account-name"] = true, ["--days"] = true,
  ["--video"] = false, ["--no-progress"] = false, ["--help"] = false, ["--all-pins"] = false, ["--account"] = false,
}

local COMMON = { "--last", "--start", "--end", "--preset", "--metrics", "--format", "--output", "--base-url",
  "--token-file", "--help" }

local function with(list, ...)
  local out = {}
  for _, v in ipairs(list) do out[#out + 1] = v end
  for _, v in ipairs({ ... }) do out[#out + 1] = v end
  return out
end

-- the options each command takes
local ALLOWED = {
  pin = with(COMMON, "--retries", "--no-progress", "--from-store", "--account-name"),
  account = with(COMMON, "--retries", "--from-store", "--account-name"),
  top = with(COMMON, "--retries", "--sort-by", "--limit", "--video", "--from-store", "--account-name"),
  overview = with(COMMON, "--retries", "--pins", "--no-progress", "--from-store", "--account-name"),
  sync = { "--store", "--pins", "--all-pins", "--account", "--days", "--base-url", "--token-file", "--retries",
    "--no-progress", "--help" },
  ["oneup-overview"] = with(COMMON, "--social-network-id", "--timezone"),
  ["oneup-posts"] = with(COMMON, "--social-network-id", "--timezone", "--sort-by", "--limit"),
  simulate = { "--latency", "--help" },
}

-- Options that would put a secret where every user sees it.
local SECRET_OPTIONS = { ["--token"] = true, ["--access-token"] = true, ["--api-key"] = true, ["--apikey"] = true,
  ["--key"] = true, ["--client-secret"] = true, ["--refresh-token"] = true }

local function is_command(name)
  for _, c in ipairs(M.COMMANDS) do if c == name then return true end end
  return false
end

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
  local cmd, positional, opts = nil, {}, {}
  local i = 1
  local only_args = false
  while i <= #argv do
    local a = tostring(argv[i])
    if only_args or a:sub(1, 1) ~= "-" or a == "-" then
      if cmd == nil then
        if a == "help" then
          local topic = argv[i + 1]
          if topic == nil then return { help = "main" } end
          if not is_command(topic) then usage(nil, "no help on '%s' (commands: %s)", topic,
            table.concat(M.COMMANDS, ", ")) end
          return { help = topic }
        end
        if not is_command(a) then
          usage(nil, "unknown command '%s' (commands: %s)", a, table.concat(M.COMMANDS, ", "))
        end
        cmd = a
      else
        positional[#positional + 1] = a
      end
    elseif a == "--" then
      only_args = true
    else
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      if SECRET_OPTIONS[name] then
        usage(cmd, "%s is refused: every user of this machine can read a command's arguments (ps, " ..
          "/proc/PID/cmdline), so a secret there is no longer one; other users would see it. Set " ..
          "PINTEREST_ACCESS_TOKEN (OneUp: ONEUP_API_KEY) in the environment, or give --token-file FILE", name)
      end
      if name == "-h" then name = "--help" end
      if name == "--version" then return { version = true } end
      if OPTIONS[name] == nil then
        usage(cmd, "unknown option %s", name)
      end
      if OPTIONS[name] then
        if value == nil then
          value = argv[i + 1]
          if value == nil then usage(cmd, "%s needs a value", name) end
          i = i + 1
        end
        opts[name] = tostring(value)
      else
        if value ~= nil then usage(cmd, "%s takes no value", name) end
        opts[name] = true
      end
    end
    i = i + 1
  end
  if opts["--help"] then return { help = cmd or "main" } end
  if cmd == nil then usage(nil, "no command given") end
  local allowed = {}
  for _, o in ipairs(ALLOWED[cmd]) do allowed[o] = true end
  local names = {}
  for name in pairs(opts) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    if not allowed[name] then usage(cmd, "unknown option %s for %s", name, cmd) end
  end
  return { command = cmd, args = positional, opts = opts }
end

-- the parts of a command ----------------------------------------------------

-- The value of a numeric option, a whole number in lo..hi (of `unit`,
-- "days", ...), or nil when not given; a usage error naming the range else.
local function whole(cmd, opts, name, lo, hi, unit)
  local v = opts[name]
  if v == nil then return nil end
  local n = v:match("^%d+$") and #v <= 15 and tonumber(v)
  if not n or n < lo or n > hi then
    usage(cmd, "%s must be a whole number%s from %d to %d, got %s", name, unit and (" of " .. unit) or "", lo, hi, v)
  end
  return n
end

-- the longest --last: a hundred years of days (a store may hold more than
-- the API's 90 days; any longer period is not a date range anyone keeps)
local MAX_LAST = 36500
-- the dates --start and --end may name: any day --last can reach for a
-- century to come (dates outside them are typos, not periods)
local FIRST_DATE, LAST_DATE = "1900-01-01", "2199-12-31"
-- the most pins or posts a report from a store or OneUp ranks or lists
local MAX_ROWS = 100000

-- The period: a range, and the preset's name when one was given.
local function period(cmd, opts, dates, clock)
  local on = { clock = clock }
  local last, s, e, preset = opts["--last"], opts["--start"], opts["--end"], opts["--preset"]
  local given = (last and 1 or 0) + ((s or e) and 1 or 0) + (preset and 1 or 0)
  if given > 1 then
    usage(cmd, "give one period: --last N, --start DATE [--end DATE] or --preset NAME (--last, --start/--end " ..
      "and --preset do not go together)")
  end
  if last then return dates.last(whole(cmd, opts, "--last", 1, MAX_LAST, "days"), on) end
  if preset then
    local ok, r = pcall(dates.preset, preset, on)
    if not ok and is_interrupt(r) then error(r, 0) end
    if not ok then usage(cmd, "--preset %s is not a preset (presets: %s)", preset, table.concat(dates.PRESETS, ", ")) end
    return r, preset
  end
  if e and not s then usage(cmd, "--end needs --start") end
  if s then
    for _, x in ipairs({ { "--start", s }, { "--end", e } }) do
      if x[2] then
        local ok, why = dates.parse(x[2])
        if not ok then usage(cmd, "%s %s is not a date: %s", x[1], x[2], tostring(why)) end
        if x[2] < FIRST_DATE or x[2] > LAST_DATE then
          usage(cmd, "%s must be a date from %s to %s, got %s", x[1], FIRST_DATE, LAST_DATE, x[2])
        end
      end
    end
    e = e or dates.add_days(dates.today(clock), -1)
    if e < s then usage(cmd, "--end %s is before --start %s", e, s) end
    local days = dates.parse(e) - dates.parse(s) + 1
    if days > MAX_LAST then
      usage(cmd, "--start and --end must give a period of 1 to %d days (as --last does), got %d days (%s..%s)",
        MAX_LAST, days, s, e)
    end
    return dates.range(s, e)
  end
  return dates.last(30, on)
end

local function metrics(opts, upper)
  local v = opts["--metrics"]
  if v == nil then return nil end
  local out = {}
  for m in v:gmatch("[^,%s]+") do out[#out + 1] = upper and m:upper() or m end
  return out
end

local function format_of(cmd, opts)
  local f = opts["--format"]
  if f == nil and opts["--output"] then
    f = BY_EXTENSION[(opts["--output"]:match("%.(%w+)$") or ""):lower()]
  end
  f = f or "text"
  for _, known in ipairs(M.FORMATS) do if f == known then return f end end
  usage(cmd, "--format %s: give one of %s", f, table.concat(M.FORMATS, ", "))
end

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- The token: --token-file, else the environment variable.
local function secret(ctx, cmd, opts, var)
  local file = opts["--token-file"]
  if file then
    local s
    if file == "-" then
      s = ctx.stdin:read("*a")
    else
      local f, why = io.open(file, "rb")
      if not f then
        failure("cannot read the token file %s: %s", file, tostring(why):match(": ([^:]+)$") or tostring(why))
      end
      s = f:read("*a")
      f:close()
    end
    s = trim((s or ""):match("^[^\n]*") or "")
    if s == "" then failure("the token file %s is empty", file == "-" and "(standard input)" or file) end
    return s
  end
  local v = ctx.getenv(var)
  if v == nil or trim(v) == "" then
    usage(cmd, "no token: set %s in the environment, or give --token-file FILE (never the token itself as an " ..
      "argument: other users see arguments in ps)", var)
  end
  return trim(v)
end

-- Calls a library function. An error it raises is: the library's own check
-- of an argument (a value the user gave: a metric, a date too far back) a
-- usage error; Ctrl-C an interrupt; anything else a bug, which `main`
-- reports as an internal error.
local function call(cmd, f, ...)
  local r = { pcall(f, ...) }
  if not r[1] then
    local e = r[2]
    local mt = getmetatable(e)
    if mt == Usage or mt == Failure or mt == Interrupt then error(e, 0) end
    if is_interrupt(e) then error(setmetatable({}, Interrupt), 0) end
    if is_argument_check(e) then usage(cmd, "%s", tostring(e)) end
    error(e, 0)
  end
  return r[2], r[3], r[4]
end

-- Text of the API's made safe for a terminal: no control character, no
-- bidirectional control (pinanalytics.format.clean).
local function safe(s)
  return require("pinanalytics.format").clean(s)
end

-- One line: an error value's tostring without line breaks.
local function line(x)
  return (tostring(x):gsub("[\r\n]+", " "))
end

local function strip_prefix(s)
  return (s:gsub("^pinanalytics: ", ""))
end

-- The reason of an I/O error without the file name Lua puts in front.
local function reason(why)
  why = tostring(why)
  return why:match(": ([^:]+)$") or why
end

-- Writes text to ctx.stdout and flushes: `what` ("the report") was written,
-- or a failure says it was not, and why (then `after`, when given).
local function emit(ctx, what, text, after)
  ctx.writing = what
  local ok, why = ctx.stdout:write(text)
  if ok then ok, why = ctx.stdout:flush() end
  ctx.writing = nil
  if not ok then
    failure("%s was not written to standard output: %s%s", what, reason(why), after or "")
  end
end

-- the progress bar ----------------------------------------------------------

-- A line on stderr, redrawn in place: "12/31 pins [████░░░░] 1 failed,
-- 40.2 pins/s, 0:01 left". Drawn at most ten times a second, and at the end.
local Bar = {}
Bar.__index = Bar

local WIDTH = 24

local function clock(s)
  if s == nil or s ~= s or s == math.huge then return "--:--" end
  s = math.floor(s + 0.5)
  if s >= 3600 then return string.format("%d:%02d:%02d", math.floor(s / 3600), math.floor(s / 60) % 60, s % 60) end
  return string.format("%d:%02d", math.floor(s / 60), s % 60)
end

local function new_bar(stream, now, total)
  local self = setmetatable({ stream = stream, now = now, total = total, done = 0, failed = 0 }, Bar)
  self.started = now()
  self:draw(true)
  return self
end

--- Draws the bar on its stream (a carriage return, then the line, then an
-- erase to its end): "12/31 pins [████░░░░] 1 failed, 40.2 pins/s, 0:01 left",
-- or "done in 0:05" once every pin is done. Nothing is written within 0.1 s
-- of the last drawing unless force is set, nor when the line would read
-- the same as the one shown.
-- @bool[opt] force draw even within 0.1 s of the last drawing
function Bar:draw(force)
  local t = self.now()
  if not force and self.drawn and t - self.drawn < 0.1 then return end
  self.drawn = t
  local total = math.max(self.total, 1)
  local filled = math.floor(WIDTH * math.min(self.done, total) / total)
  local elapsed = t - self.started
  local rate = elapsed > 0 and self.done / elapsed or 0
  local when
  if self.done >= self.total then
    when = "done in " .. clock(elapsed)
  else
    when = clock(rate > 0 and (self.total - self.done) / rate or nil) .. " left"
  end
  local text = string.format("%d/%d pins [%s%s] %d failed, %.1f pins/s, %s", self.done, self.total,
    string.rep("█", filled), string.rep("░", WIDTH - filled), self.failed, rate, when)
  if text == self.shown then return end
  self.shown = text
  self.stream:write("\r", text, "\27[K")
  self.stream:flush()
end

--- Records the progress and redraws: at once when done reaches the total,
-- else at most ten times a second.
-- @int done pins done so far
-- @int[opt] total pins in all (default: unchanged)
-- @int[opt=0] failed pins that failed so far
function Bar:update(done, total, failed)
  self.done, self.total, self.failed = done, total or self.total, failed or 0
  self:draw(done >= self.total)
end

--- Ends the bar: draws it at once unless every pin is done (the update that
-- got there drew it already), then ends its line, so that what is written
-- next starts on a line of its own.
function Bar:finish()
  if self.done < self.total then self:draw(true) end -- else its last state is shown already
  self.stream:write("\n")
  self.stream:flush()
end

-- commands ------------------------------------------------------------------

local function pinterest_client(ctx, cmd, opts, extra)
  local pa = require "pinanalytics"
  local token = secret(ctx, cmd, opts, "PINTEREST_ACCESS_TOKEN")
  ctx.secrets[#ctx.secrets + 1] = token
  local o = { token = token, base_url = opts["--base-url"] or ctx.getenv("PINTEREST_BASE_URL"),
    retries = whole(cmd, opts, "--retries", 0, 100), clock = ctx.clock }
  if o.base_url == "" then o.base_url = nil end
  for k, v in pairs(extra or {}) do o[k] = v end
  return call(cmd, pa.pinterest, o)
end

local function oneup_client(ctx, cmd, opts)
  local pa = require "pinanalytics"
  local key = secret(ctx, cmd, opts, "ONEUP_API_KEY")
  ctx.secrets[#ctx.secrets + 1] = key
  local base = opts["--base-url"] or ctx.getenv("ONEUP_BASE_URL")
  if base == "" then base = nil end
  return call(cmd, pa.oneup, { api_key = key, base_url = base, clock = ctx.clock })
end

-- The client's on_progress (the bar): the client calls it under pcall and
-- keeps what it raises, so a Ctrl-C that lands in it would be lost; it is
-- noted, and raised by `after_run` once the client's call returns.
local function progress(ctx, f)
  return function(...)
    local ok, e = pcall(f, ...)
    if not ok then
      if is_interrupt(e) then ctx.interrupted = true end
      error(e, 0)
    end
  end
end

-- Raises the interrupt a progress callback noted.
local function after_run(ctx)
  if ctx.interrupted then error(setmetatable({}, Interrupt), 0) end
end

local function progress_wanted(ctx, opts, n)
  return n > 1 and not opts["--no-progress"] and ctx.isatty(2)
end

-- pins_analytics with a progress bar: results, errors, info
local function fetch_pins(ctx, cmd, opts, ids, params, make_client)
  local seen, unique = {}, {}
  for _, id in ipairs(ids) do
    if not seen[id] then seen[id] = true; unique[#unique + 1] = id end
  end
  local bar
  local wanted = progress_wanted(ctx, opts, #unique)
  local client = make_client(wanted and {
    on_progress = progress(ctx, function(done, total, failed) if bar then bar:update(done, total, failed) end end),
  } or nil)
  if wanted then
    bar = new_bar(ctx.stderr, require("pinanalytics.core").now, #unique)
  end
  local results, errs, info = call(cmd, client.pins_analytics, client, unique, params)
  after_run(ctx)
  if bar then bar:finish() end
  return results, errs, info, unique, client
end

-- "pin 404404: not_found: ..." for each failed pin, in the order asked
local function report_failures(ctx, ids, errs)
  local n = 0
  for _, id in ipairs(ids) do
    if errs[id] then
      n = n + 1
      ctx.stderr:write("pinanalytics: pin ", id, ": ", safe(strip_prefix(line(errs[id]))), "\n")
    end
  end
  return n
end

-- the local store (--store, --from-store) --------------------------------------

local function is_uri(target)
  return target:match("^postgres") ~= nil
end

-- The passwords a postgresql:// URI carries (in its user info, or as
-- ?password=), as written and percent-decoded: what no message may show.
local function uri_passwords(target)
  if not is_uri(target) then return {} end
  return require("pinanalytics.store.db").uri_passwords(target)
end

-- The target as a message shows it: a URI without its password.
local function shown_target(target)
  if not is_uri(target) then return target end
  local s = target:gsub("^(%a[%w+.-]*://)([^@/?]*)@", function(scheme, userinfo)
    return scheme .. userinfo:gsub(":.*$", "") .. "@"
  end)
  s = s:gsub("([?&]password=)[^&]*", "%1[REDACTED]")
  return s
end

-- The value of --store or --from-store, checked.
local function store_target(cmd, opts, name)
  local target = opts[name]
  if target == nil then
    usage(cmd, "%s needs %s TARGET: a SQLite file (analytics.db) or a postgresql:// URI", cmd, name)
  end
  if target == "" then usage(cmd, "%s needs a file path or a postgresql:// URI", name) end
  return target
end

-- Opens the store; a store error is a failure, said by explain(err) when
-- it says something (a line), else as the error says it.
local function open_store(ctx, cmd, target, sopts, explain)
  local pa = require "pinanalytics"
  -- the store's time is the tool's: its "fetched" stamps, and which days
  -- the API still serves (a day not final beyond them can no longer be refreshed)
  sopts = sopts or {}
  if ctx.clock then sopts.clock = ctx.clock end
  local st, err = call(cmd, pa.store.open, target, sopts)
  if not st then failure("%s", explain and explain(err) or strip_prefix(line(err))) end
  ctx.stores[#ctx.stores + 1] = st
  return st
end

-- the store's answer, or a failure (a store error: the database failed)
local function stored(cmd, f, ...)
  local res, err = call(cmd, f, ...)
  if res == nil then failure("%s", strip_prefix(line(err))) end
  return res
end

-- The store a report reads (--from-store): the store, the read options
-- that name its account, and the report's source.
local function store_for_reading(ctx, cmd, opts)
  local target = store_target(cmd, opts, "--from-store")
  for _, o in ipairs({ "--token-file", "--base-url", "--retries" }) do
    if opts[o] then usage(cmd, "%s has no use with --from-store: the report reads the store, not the API", o) end
  end
  local shown = shown_target(target)
  local function not_a_store(why)
    return string.format("%s is not a pinanalytics store (%s): `pinanalytics sync --store %s` fills it", shown, why,
      shown)
  end
  if not is_uri(target) then
    local f = io.open(target, "rb")
    if not f then failure("%s", not_a_store("no such file")) end
    f:close()
  end
  -- a report never writes the store: read-only (nothing created, nothing
  -- migrated), and a damaged file is refused, not half read
  local st = open_store(ctx, cmd, target, { check = true, read_only = true }, function(err)
    if err.not_a_store then return not_a_store(err.not_a_store) end
    if err.needs_version then
      return string.format("the store %s is at schema version %s and needs migrating to version %s, which a " ..
        "report does not do: run a sync on it first (`pinanalytics sync --store %s --account`, as a user who may " ..
        "write it)", shown, tostring(err.schema_version), tostring(err.needs_version), shown)
    end
  end)
  local accounts = stored(cmd, st.accounts, st)
  if #accounts == 0 then
    failure("the store %s holds no account yet (pinanalytics sync --store %s fills it)", shown, shown)
  end
  local names = {}
  for i, a in ipairs(accounts) do names[i] = tostring(a.username or "?") .. " (" .. a.account_id .. ")" end
  local want, account = opts["--account-name"], nil
  if want then
    for _, a in ipairs(accounts) do
      if a.account_id == want then account = a end
    end
    for _, a in ipairs(accounts) do
      if not account and a.username == want then account = a end
    end
    if not account then
      usage(cmd, "--account-name %s: the store %s holds no such account (it holds %s)", want, shown,
        table.concat(names, ", "))
    end
  elseif #accounts > 1 then
    usage(cmd, "the store %s holds %d accounts (%s): give --account-name with the username or id of one", shown,
      #accounts, table.concat(names, ", "))
  else
    account = accounts[1]
  end
  return st, { account = account.account_id }, "Pinterest (local store " .. shown .. ")", shown
end

local function days_of(answer)
  local group = type(answer) == "table" and answer.all
  return type(group) == "table" and group.daily_metrics or {}
end

-- A report from the store covers the period asked: the days the store does
-- not hold are stated in the report (its coverage), never cut off, never an
-- error; only a pin the store does not hold at all is one.
local function no_day(what, range, hint)
  failure("the store holds no day of %s in %s (%s)", what, tostring(range), hint)
end

-- The pins of ids the store holds (a set).
local function held_pins(cmd, st, ro, ids)
  local set, wanted = {}, {}
  for _, id in ipairs(ids) do wanted[id] = true end
  for _, id in ipairs(stored(cmd, st.pins, st, ro)) do
    if wanted[id] then set[id] = true end
  end
  return set
end

-- metrics the store keeps for pins: a usage error for any other
local function store_pin_metric(cmd, name, what)
  for _, m in ipairs(require("pinanalytics.store").PIN_METRICS) do
    if m == name then return name end
  end
  usage(cmd, "%s %s: the store keeps no such figure for pins (it keeps %s)", what, name,
    table.concat(require("pinanalytics.store").PIN_METRICS, ", "))
end

-- the commands ---------------------------------------------------------------

local RUN = {}

local function check_pin_ids(cmd, ids)
  for _, id in ipairs(ids) do
    if not id:match("^%d+$") or #id > 40 then
      usage(cmd, "'%s' is not a pin id (a pin id is a string of digits)", id)
    end
  end
end

-- pin --from-store
local function pin_from_store(ctx, cmd, p, range, wanted)
  local pa = require "pinanalytics"
  local st, ro, source, shown = store_for_reading(ctx, cmd, p.opts)
  local ids = {}
  local seen = {}
  for _, id in ipairs(p.args) do
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  local hint = "pinanalytics sync --store " .. shown .. " --pins " .. table.concat(ids, ",") ..
    " fetches the last 90 days"
  local known = held_pins(cmd, st, ro, ids)
  if #ids == 1 then
    if not known[ids[1]] then no_day("pin " .. ids[1], range, hint) end
    local res = stored(cmd, st.analytics, st, ids[1], range, wanted, ro)
    -- no day held in the period: the metrics asked, without figures
    return pa.report.pin(res, { pin_id = ids[1], range = range, source = source,
      metrics = #days_of(res) == 0 and wanted or nil })
  end
  local results = stored(cmd, st.analytics, st, ids, range, wanted, ro)
  local kept, missing, any = {}, {}, false
  for _, id in ipairs(ids) do
    if not known[id] then
      missing[#missing + 1] = id
      ctx.stderr:write("pinanalytics: pin ", id, ": the store does not hold it (", hint, ")\n")
    else
      kept[id] = results[id] -- a row, with the days it has in the period
      if #days_of(results[id]) > 0 then any = true end
    end
  end
  if #missing == #ids then
    failure("the store holds no day of these %d pins in %s (%s)", #ids, tostring(range), hint)
  end
  local report = pa.report.pins(kept, { range = range, source = source, metrics = not any and wanted or nil })
  if #missing > 0 then return report, string.format("%d of %d pins are not in the store", #missing, #ids) end
  return report
end

function RUN.pin(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  if #p.args == 0 then usage(cmd, "pin needs at least one pin id (pinanalytics pin ID...)") end
  check_pin_ids(cmd, p.args)
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local wanted = metrics(opts, true) or PIN_METRICS
  if opts["--from-store"] then return pin_from_store(ctx, cmd, p, range, wanted) end
  local params = { range = range, metric_types = wanted }
  if #p.args == 1 then
    local client = pinterest_client(ctx, cmd, opts)
    local res, err = call(cmd, client.pin_analytics, client, p.args[1], params)
    client:close()
    if not res then failure("%s", strip_prefix(line(err))) end
    return pa.report.pin(res, { pin_id = p.args[1], range = range })
  end
  local results, errs, info, ids, client = fetch_pins(ctx, cmd, opts, p.args, params, function(extra)
    return pinterest_client(ctx, cmd, opts, extra)
  end)
  client:close()
  local failed = report_failures(ctx, ids, errs)
  if failed == #ids then
    failure("all %d pins failed%s", #ids, info and info.quota and (": " .. strip_prefix(line(info.quota))) or "")
  end
  local report = pa.report.pins(results, { range = range })
  if failed > 0 then return report, string.format("%d of %d pins failed", failed, #ids) end
  return report
end

function RUN.account(ctx, cmd, p)
  local pa = require "pinanalytics"
  local range = period(cmd, p.opts, pa.dates, ctx.clock)
  local wanted = metrics(p.opts, true) or ACCOUNT_METRICS
  if p.opts["--from-store"] then
    local st, ro, source = store_for_reading(ctx, cmd, p.opts)
    local res = stored(cmd, st.analytics, st, "account", range, wanted, ro)
    -- no day held in the period: the metrics asked, without figures
    return pa.report.daily(res, { title = "Account", range = range, source = source,
      metrics = #days_of(res) == 0 and wanted or nil })
  end
  local client = pinterest_client(ctx, cmd, p.opts)
  local res, err = call(cmd, client.user_account_analytics, client,
    { range = range, metric_types = wanted })
  client:close()
  if not res then failure("%s", strip_prefix(line(err))) end
  return pa.report.daily(res, { title = "Account", range = range })
end

-- The stored pins with at least one day in range: results by pin id, and
-- how many pins the store holds.
local function stored_pins(cmd, st, ro, range, wanted, limit)
  local ids = stored(cmd, st.pins, st, ro)
  local held = #ids
  if limit and #ids > limit then
    local first = {}
    for i = 1, limit do first[i] = ids[i] end
    ids = first
  end
  if #ids == 0 then return {}, held, 0 end
  local results = stored(cmd, st.analytics, st, ids, range, wanted, ro)
  local kept, n = {}, 0
  for _, id in ipairs(ids) do
    if #days_of(results[id]) > 0 then kept[id] = results[id]; n = n + 1 end
  end
  return kept, held, n
end

function RUN.top(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local sort_by = (opts["--sort-by"] or "IMPRESSION"):upper()
  if opts["--from-store"] then
    if opts["--video"] then
      usage(cmd, "--video does not go with --from-store: the store does not know which pins are videos " ..
        "(--sort-by VIDEO_START, VIDEO_MRC_VIEW, ... ranks the pins held by a video figure)")
    end
    local limit = whole(cmd, opts, "--limit", 1, MAX_ROWS, "pins") or 10
    store_pin_metric(cmd, sort_by, "--sort-by")
    local shown = metrics(opts, true)
    local fetch, has = {}, {}
    for _, m in ipairs(shown or PIN_METRICS) do
      store_pin_metric(cmd, m, "--metrics")
      if not has[m] then has[m] = true; fetch[#fetch + 1] = m end
    end
    if not has[sort_by] then fetch[#fetch + 1] = sort_by end
    local st, ro, source = store_for_reading(ctx, cmd, opts)
    -- the pins with figures in the period; none: a report without pins, 0 days covered
    local results = stored_pins(cmd, st, ro, range, fetch)
    return pa.report.top_pins(results, { range = range, limit = limit, sort_by = sort_by, metrics = shown or PIN_METRICS,
      title = "Top pins", source = source })
  end
  local limit = whole(cmd, opts, "--limit", 1, 50, "pins") or 10
  local client = pinterest_client(ctx, cmd, opts)
  local method = opts["--video"] and client.top_video_pins or client.top_pins
  local res, err = call(cmd, method, client, { range = range, sort_by = sort_by, num_of_pins = limit,
    metric_types = metrics(opts, true) })
  client:close()
  if not res then failure("%s", strip_prefix(line(err))) end
  return pa.report.top_pins(res, { range = range, limit = limit,
    title = opts["--video"] and "Top video pins" or "Top pins" })
end

-- overview --from-store
local function overview_from_store(ctx, cmd, p, range, wanted)
  local pa = require "pinanalytics"
  local opts = p.opts
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins")
  local st, ro, source = store_for_reading(ctx, cmd, opts)
  -- both periods as asked: the days the store does not hold are the
  -- reports' missing days (a period without any: its figures and the
  -- changes absent)
  local cur = stored(cmd, st.analytics, st, "account", range, wanted, ro)
  local prev_range = range:previous()
  local prev = stored(cmd, st.analytics, st, "account", prev_range, wanted, ro)
  if not wanted and #days_of(cur) == 0 and #days_of(prev) == 0 then wanted = ACCOUNT_METRICS end
  local results
  if npins ~= 0 then
    local got, _, n = stored_pins(cmd, st, ro, range, RANKING_METRICS, npins)
    if n > 0 then results = got end
  end
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted })
  ov.source = source
  return ov
end

function RUN.overview(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local wanted = metrics(opts, true)
  if opts["--from-store"] then return overview_from_store(ctx, cmd, p, range, wanted) end
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins") or 100
  local bar_client
  local wanted_bar = progress_wanted(ctx, opts, npins)
  local client = pinterest_client(ctx, cmd, opts, wanted_bar and {
    on_progress = progress(ctx, function(done, total, failed)
      if bar_client then bar_client:update(done, total, failed) end
    end),
  } or nil)
  local cur, err = call(cmd, client.user_account_analytics, client, { range = range, metric_types = wanted })
  if not cur then failure("%s", strip_prefix(line(err))) end
  local prev_range = range:previous()
  local earliest = pa.dates.add_days(pa.dates.today(ctx.clock), -90)
  if prev_range.end_date < earliest then
    usage(cmd, "the period before %s is %s, and Pinterest serves only the last 90 days (from %s): give a " ..
      "shorter period (up to 45 days, both periods are compared in full; longer, the previous one is cut short)",
      tostring(range), tostring(prev_range), earliest)
  end
  local prev, perr, info = call(cmd, client.user_account_analytics, client, { range = prev_range,
    metric_types = wanted, clamp = true })
  if not prev then failure("%s", strip_prefix(line(perr))) end
  if info and info.range then prev_range = info.range end
  local results, note
  if npins > 0 then
    local ids = {}
    local pager = call(cmd, client.list_pins, client, { page_size = math.min(npins, 250) })
    for pin in pager:items() do
      if #ids >= npins then break end
      ids[#ids + 1] = pin.id
    end
    if pager.err and #ids < npins then failure("%s", strip_prefix(line(pager.err))) end
    if #ids > 0 then
      if wanted_bar and #ids > 1 then
        bar_client = new_bar(ctx.stderr, require("pinanalytics.core").now, #ids)
      end
      local errs, pinfo
      results, errs, pinfo = call(cmd, client.pins_analytics, client, ids,
        { range = range, metric_types = RANKING_METRICS })
      after_run(ctx)
      if bar_client then bar_client:finish() end
      local failed = report_failures(ctx, ids, errs)
      if failed == #ids then
        failure("the rankings: all %d pins failed%s", #ids,
          pinfo and pinfo.quota and (": " .. strip_prefix(line(pinfo.quota))) or "")
      end
      if failed > 0 then note = string.format("%d of %d pins failed; the rankings leave them out", failed, #ids) end
    end
  end
  client:close()
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted })
  return ov, note
end

-- How many pins, days or warnings sync names one by one before "and N more".
local SYNC_LISTED = 10

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

function RUN.sync(ctx, cmd, p)
  local opts = p.opts
  if #p.args > 0 then usage(cmd, "sync takes no argument ('%s'): give pins as --pins ID,ID", p.args[1]) end
  local target = store_target(cmd, opts, "--store")
  local ids
  if opts["--pins"] then
    if opts["--all-pins"] then usage(cmd, "--pins and --all-pins do not go together: give one") end
    ids = {}
    local seen = {}
    for id in opts["--pins"]:gmatch("[^,%s]+") do
      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    end
    if #ids == 0 then usage(cmd, "--pins '%s': give pin ids separated by commas", opts["--pins"]) end
    check_pin_ids(cmd, ids)
  elseif opts["--all-pins"] then
    ids = "all"
  end
  if ids == nil and not opts["--account"] then
    usage(cmd, "nothing to sync: give --pins ID,ID or --all-pins, and/or --account")
  end
  local days = whole(cmd, opts, "--days", 1, 90, "days") or 90
  if target:match("^%a[%w+.-]*://") and not is_uri(target) then
    usage(cmd, "--store %s: a store is a SQLite file path or a postgresql:// URI",
      target:match("^%a[%w+.-]*://"))
  end

  -- the bar: pins done in the chunks written (from the store), and in the
  -- request under way (from the client)
  local bar, base, failed_base, total = nil, 0, 0, 0
  local wanted_bar = not opts["--no-progress"] and ctx.isatty(2)
  local client = pinterest_client(ctx, cmd, opts, wanted_bar and {
    on_progress = progress(ctx, function(done, _, failed)
      if bar then bar:update(math.min(base + done, total), total, failed_base + failed) end
    end),
  } or nil)
  local ok, st = pcall(open_store, ctx, cmd, target)
  if not ok then
    client:close()
    error(st, 0)
  end
  local function pin_errors(r)
    local n = 0
    for k in pairs(r.errors) do
      if type(k) == "string" and k:match("^%d+$") then n = n + 1 end
    end
    return n
  end
  local sopts = { pins = ids, account = opts["--account"] == true, days = days }
  -- what the sync has written so far (from its hooks), for an interrupt's message
  local so_far
  ctx.kept = function()
    return string.format("the sync stopped; the store keeps %s it wrote (each part is written whole), and the " ..
      "next sync resumes from there", so_far and ("the " .. plural(so_far.days_written, "day")) or "what")
  end
  sopts.on_start = function(n, r)
    so_far = r
    after_run(ctx)
    total = n
    if wanted_bar and n > 1 then bar = new_bar(ctx.stderr, require("pinanalytics.core").now, n) end
  end
  sopts.on_progress = function(done, n, r)
    so_far = r
    after_run(ctx) -- a Ctrl-C the client's progress callback caught stops the sync here
    if not wanted_bar then return end
    base, total, failed_base = done, n, pin_errors(r)
    if bar then bar:update(done, n, failed_base) end
  end
  local res, err = call(cmd, st.sync, st, client, sopts)
  after_run(ctx)
  if bar then bar:finish() end
  client:close()
  st:close()

  -- the summary: what was done, then what was not, each list bounded
  local errs = res.errors
  local failed, counted = {}, {}
  for k, e in pairs(errs) do
    if type(k) == "string" and k:match("^%d+$") then failed[#failed + 1] = k end
    counted[e] = true
  end
  local nerr = 0
  for _ in pairs(counted) do nerr = nerr + 1 end
  table.sort(failed)
  -- the days planned that the API no longer served when asked (midnight UTC
  -- passed during the sync): the account's first, then by pin id
  local lost, lost_days, lost_pins = {}, 0, 0
  for k, list in pairs(res.missing or {}) do
    if type(list) == "table" and #list > 0 then
      lost[#lost + 1] = k
      lost_days = lost_days + #list
      if k ~= "account" then lost_pins = lost_pins + 1 end
    end
  end
  table.sort(lost, function(a, b)
    if a == "account" or b == "account" then return a == "account" and b ~= "account" end
    return a < b
  end)
  local warnings = type(res.warnings) == "table" and res.warnings or {}
  local who = ""
  if res.account then
    who = ", account " .. safe(res.account.username and (res.account.username .. " (" .. res.account.id .. ")")
      or res.account.id)
  end
  ctx.kept = nil
  emit(ctx, "the sync's summary", string.format("synced %s%s: %s, %s, %d days written, %d days not READY yet, %s%s%s\n",
    shown_target(target), who, plural(res.pins, "pin"), plural(res.requests, "request"), res.days_written,
    res.days_not_ready, plural(nerr, "error"),
    lost_days > 0 and (", " .. plural(lost_days, "day") .. " not fetched (no longer served)") or "",
    #warnings > 0 and (", " .. plural(#warnings, "warning")) or ""),
    string.format(" (the store keeps the %s the sync wrote)", plural(res.days_written, "day")))
  local function say(...) ctx.stderr:write("pinanalytics: ", safe(table.concat({ ... })), "\n") end
  for i, id in ipairs(failed) do
    if i > SYNC_LISTED then
      say(string.format("and %d more pins failed", #failed - SYNC_LISTED))
      break
    end
    say("pin ", id, ": ", strip_prefix(line(errs[id])))
  end
  if errs.account and errs.account ~= err then
    say("the account's figures: ", strip_prefix(line(errs.account)))
  end
  local listed = 0
  for _, k in ipairs(lost) do
    if k ~= "account" then listed = listed + 1 end
    if listed > SYNC_LISTED then
      say(string.format("and %d more pins with days not fetched", lost_pins - SYNC_LISTED))
      break
    end
    local gone = res.missing[k]
    local shown = {}
    for i = 1, math.min(#gone, 5) do shown[i] = tostring(gone[i]) end
    say(k == "account" and "the account's figures" or ("pin " .. k), ": ", plural(#gone, "day"),
      " not fetched, no longer served by the API: ", table.concat(shown, ", "),
      #gone > 5 and string.format(" and %d more", #gone - 5) or "")
  end
  for i, w in ipairs(warnings) do
    if i > SYNC_LISTED then
      say(string.format("and %d more warnings", #warnings - SYNC_LISTED))
      break
    end
    say("warning: ", strip_prefix(line(w)))
  end
  if err then
    failure("the sync stopped early: %s; what it wrote is kept, and the next sync resumes from there",
      strip_prefix(line(err)))
  end
  -- what the sync did not do: exit 1, so that cron notices
  local undone = {}
  if #failed > 0 then
    undone[#undone + 1] = string.format("%d of %s failed; the next sync asks for them again", #failed,
      plural(res.pins, "pin"))
  end
  if errs.account then
    undone[#undone + 1] = "the account's figures failed; the next sync asks for them again"
  end
  if lost_days > 0 then
    local of = {}
    if lost_pins > 0 then of[#of + 1] = plural(lost_pins, "pin") end
    if res.missing.account and #res.missing.account > 0 then of[#of + 1] = "the account" end
    undone[#undone + 1] = string.format("%s of %s could no longer be asked for and are not in the store " ..
      "(the API serves the last 90 days)", plural(lost_days, "day"), table.concat(of, " and "))
  end
  if #undone > 0 then failure("%s", table.concat(undone, "; ")) end
  return nil
end

-- OneUp's period: its preset when one of OneUp's was named, else the range
local function oneup_params(cmd, opts, range, preset)
  local id = opts["--social-network-id"]
  if id == nil then usage(cmd, "%s needs --social-network-id ID (the OneUp account)", cmd) end
  if not id:match("^%d+$") or #id > 20 then
    usage(cmd, "--social-network-id must be the account's number (up to 20 digits), got %s", id)
  end
  local params = { social_network_id = id, timezone = opts["--timezone"] }
  local oneup = require "pinanalytics.oneup"
  local known = false
  for _, name in ipairs(oneup.PRESETS) do if name == preset then known = true end end
  if known then params.preset = preset else params.range = range end
  return params
end

RUN["oneup-overview"] = function(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range, preset = period(cmd, opts, pa.dates, ctx.clock)
  local params = oneup_params(cmd, opts, range, preset)
  local client = oneup_client(ctx, cmd, opts)
  local data, err = call(cmd, client.overview, client, params)
  client:close()
  if not data then failure("%s", strip_prefix(line(err))) end
  local wanted = metrics(opts, false)
  if wanted then
    local keep = {}
    for _, m in ipairs(wanted) do keep[m:lower()] = true end
    local kept = {}
    for _, m in ipairs(data.metrics) do
      if keep[tostring(m.key):lower()] or keep[tostring(m.name):lower()] then kept[#kept + 1] = m end
    end
    if #kept == 0 then
      local names = {}
      for _, m in ipairs(data.metrics) do names[#names + 1] = tostring(m.key) end
      usage(cmd, "--metrics %s: OneUp sent none of them (it sent %s)", opts["--metrics"], table.concat(names, ", "))
    end
    data.metrics = kept
  end
  return pa.report.overview(data, { range = range })
end

RUN["oneup-posts"] = function(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range, preset = period(cmd, opts, pa.dates, ctx.clock)
  local params = oneup_params(cmd, opts, range, preset)
  local limit = whole(cmd, opts, "--limit", 1, MAX_ROWS, "posts")
  local client = oneup_client(ctx, cmd, opts)
  local data, err = call(cmd, client.posts, client, params)
  client:close()
  if not data then failure("%s", strip_prefix(line(err))) end
  return call(cmd, pa.report.pins, data, { title = "OneUp posts", range = range, sort_by = opts["--sort-by"],
    limit = limit, metrics = metrics(opts, false) })
end

-- Waits for Ctrl-C or SIGTERM; returns the signal's name, or nil when the
-- process is ended by it before (SIGTERM without luv).
local function wait_for_signal()
  local ok, uv = pcall(require, "luv")
  if not ok and is_interrupt(uv) then return "sigint" end
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
    uv.run()
    for _, h in ipairs(handles) do
      h:stop()
      h:close()
    end
    uv.run("nowait")
    return caught
  end
  -- Plain Lua: the interpreter (lua, luajit) turns SIGINT into the error
  -- "interrupted!" at the next instruction; a short sleep lets it come soon.
  local sleep = require("pinanalytics.core").sleep
  local function forever() while true do sleep(0.2) end end
  local jit = rawget(_G, "jit")
  if jit and jit.off then jit.off(forever) end -- compiled code does not look at the hook
  pcall(forever)
  return "sigint"
end

function RUN.simulate(ctx, cmd, p)
  local latency = whole(cmd, p.opts, "--latency", 0, 60000, "milliseconds")
  if #p.args > 0 then usage(cmd, "simulate takes no argument ('%s')", p.args[1]) end
  local simulator = require "pinanalytics.simulator"
  local ok, sim = pcall(simulator.start, { latency_ms = latency })
  if not ok and is_interrupt(sim) then error(sim, 0) end
  if not ok then failure("%s", line(sim)) end
  local ok_out, why = pcall(emit, ctx, "the simulator's address", table.concat({
    "pinanalytics simulator: ", sim.url, " (made-up data; no token, no network)\n",
    "Point the commands at it (in another terminal):\n",
    "  export PINTEREST_BASE_URL=", sim.pinterest_url, "\n",
    "  export PINTEREST_ACCESS_TOKEN=", sim.token, "\n",
    "  export ONEUP_BASE_URL=", sim.url, "\n",
    "  export ONEUP_API_KEY=", sim.control.oneup_api_key or "sim-oneup-key", "\n",
    "then, for example:\n",
    "  pinanalytics overview --last 7\n",
    "  pinanalytics pin 813744226420795884 729090764583391194 1125968628950271\n",
    "  pinanalytics oneup-overview --social-network-id 1\n",
    "Logs: ", sim.prefix, "/logs/error.log\n",
    "Stop it with Ctrl-C (or SIGTERM).\n" }))
  if not ok_out then
    sim:stop()
    error(why, 0)
  end
  local sig = wait_for_signal()
  sim:stop()
  emit(ctx, "the simulator's last line", "\nsimulator stopped" .. (sig and (" (" .. sig:upper() .. ")") or "") .. "\n")
  return nil
end

-- main ----------------------------------------------------------------------

-- Is stream the process's standard output, closed (`>&-`)?
local function stdout_closed(stream)
  if stream ~= io.stdout then return false end
  local pos, _, code = stream:seek("cur")
  return pos == nil and code == 9 -- EBADF; a pipe or a terminal is ESPIPE
end

local function default_isatty(fd)
  local ok, how, code = os.execute("test -t " .. math.floor(fd))
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1
  return ok == true and (how == nil or how == "exit") and (code == nil or code == 0)
end

local function scrub(s, secrets)
  s = tostring(s)
  for _, x in ipairs(secrets) do
    if #x >= 4 then
      local at = s:find(x, 1, true)
      while at do
        s = s:sub(1, at - 1) .. "[REDACTED]" .. s:sub(at + #x)
        at = s:find(x, at + 10, true)
      end
    end
  end
  -- a message may quote the API (an account's name): no control sequence reaches the terminal
  return safe(s)
end

-- Removes what was written of a report to path when it is a regular file
-- (not a device, a pipe or a link); says so, or "".
local function remove_partial(path)
  local q = "'" .. path:gsub("'", "'\\''") .. "'"
  local ok, how, code = os.execute("test -f " .. q .. " && test ! -L " .. q)
  if type(ok) == "number" then ok = ok == 0 else ok = ok == true and how == "exit" and code == 0 end
  if ok and os.remove(path) then return " (the incomplete file was removed)" end
  return ""
end

local function write_output(ctx, cmd, opts, text)
  local path = opts["--output"]
  if not path then return emit(ctx, "the report", text) end
  if path == "" then usage(cmd, "--output needs a file name") end
  local f, why = io.open(path, "wb")
  if not f then failure("the report was not written to %s: %s", path, reason(why)) end
  ctx.partial = path
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then
    ctx.partial = nil
    failure("the report was not written to %s: %s%s", path, reason(werr or cerr), remove_partial(path))
  end
  ctx.partial = nil
end

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
  for _, name in ipairs({ "--store", "--from-store" }) do
    for _, pw in ipairs(uri_passwords(p.opts[name] or "")) do ctx.secrets[#ctx.secrets + 1] = pw end
  end
  if p.opts["--account-name"] and not p.opts["--from-store"] then
    usage(cmd, "--account-name goes with --from-store: it names the account to read in a store that holds several " ..
      "(with the API, the token says whose account it is)")
  end
  library()
  if cmd ~= "simulate" then format_of(cmd, p.opts) end -- a bad --format is said before anything is fetched
  local report, note = RUN[cmd](ctx, cmd, p)
  if report == nil then return 0 end
  local text = call(cmd, require("pinanalytics.report").render, format_of(cmd, p.opts), report)
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
    stores = {},
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
    if p.help then return emit(c, "the help", HELP[p.help]) or 0 end
    if p.version then return emit(c, "the version", "pinanalytics " .. library()._VERSION .. "\n") or 0 end
    return run(c, p)
  end)
  for _, st in ipairs(c.stores) do
    local closed, why = pcall(st.close, st)
    if not closed and is_interrupt(why) and ok then ok, result = false, why end -- Ctrl-C while it closed
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
  return HELP[name or "main"]
end

return M
