--- The command-line tool (bin/pinanalytics): reports from Pinterest or
-- OneUp in a terminal, a file or a pipe.
--
--   pinanalytics pin 813744226420795884 --last 7
--   pinanalytics overview --format html --output overview.html
--   pinanalytics simulate          (the built-in simulator, for trying it out)
--
-- The logic is here so that it can be tested and driven from Lua:
--   local code = require("pinanalytics.cli").main({ "top", "--limit", "5" }, ctx)
-- ctx (optional): getenv (default os.getenv), stdout, stderr, stdin (file
-- handles, default io.stdout, io.stderr, io.stdin; stdin is read for
-- --token-file -), isatty (function(fd) -> boolean, default `test -t FD`
-- run by the shell, which asks whether a progress bar may be drawn). main returns the exit status: 0 ok, 1 a
-- run-time failure (one line on stderr), 2 a usage error.
--
-- The token never comes from an argument (every user of the machine can read
-- a process's arguments with ps): PINTEREST_ACCESS_TOKEN, ONEUP_API_KEY or
-- --token-file FILE.
local M = {}

--- The subcommands, in the order the tool's help lists them.
M.COMMANDS = { "pin", "account", "top", "overview", "oneup-overview", "oneup-posts", "simulate" }

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

local Usage, Failure = {}, {}

-- a usage error: exit status 2, the message and a hint to --help
local function usage(cmd, fmt, ...)
  error(setmetatable({ cmd = cmd, msg = string.format(fmt, ...) }, Usage), 0)
end

-- a run-time failure: exit status 1, one line
local function failure(fmt, ...)
  error(setmetatable({ msg = string.format(fmt, ...) }, Failure), 0)
end

-- help ----------------------------------------------------------------------

local PERIOD_HELP = [[
Period (one of; default: the last 30 days, ending yesterday, UTC):
  --last N            the N days ending yesterday
  --start DATE        from DATE (YYYY-MM-DD, UTC) to --end DATE, or to yesterday
  --end DATE
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
  --retries N         tries again after a failure that may pass (default 5)
]]

local ONEUP_HELP = [[
Connection:
  --social-network-id ID   the OneUp account (required)
  --timezone ZONE     the days' time zone, e.g. Europe/Paris (OneUp's default: UTC)
  --token-file FILE   read the API key from FILE (- for standard input) instead of
                      ONEUP_API_KEY; never give a key as an argument
  --base-url URL      the API (default ONEUP_BASE_URL, else https://analyze.oneupapp.io)
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
  oneup-overview    OneUp's overview of an account, against the previous period
  oneup-posts       OneUp's posts of an account with their figures
  simulate          run the built-in simulator (no token, no network) until Ctrl-C

Each command takes --help; most take a period (--last N, --start DATE
--end DATE, --preset NAME), --metrics, --format (text, markdown, csv, json,
html) and --output FILE.

The token: PINTEREST_ACCESS_TOKEN (OneUp: ONEUP_API_KEY) or --token-file
FILE. Never an argument: every user of the machine can read a command's
arguments (ps, /proc/PID/cmdline), so --token is refused.

Exit status: 0 ok; 1 a run-time failure (one line on standard error);
2 a usage error.

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

]] .. OUTPUT_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics pin 813744226420795884 --last 7
  pinanalytics pin 813744226420795884 729090764583391194 --format csv --output pins.csv
]]

HELP.account = [[
usage: pinanalytics account [OPTIONS]

The whole account (GET /user_account/analytics) day by day, with totals and
a sparkline a metric.

]] .. PERIOD_HELP .. [[

  --metrics LIST      comma-separated, default IMPRESSION,SAVE,PIN_CLICK,OUTBOUND_CLICK,ENGAGEMENT,SAVE_RATE
                      (also ENGAGEMENT_RATE, PIN_CLICK_RATE, OUTBOUND_CLICK_RATE)

]] .. OUTPUT_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics account --preset last_month --format markdown
]]

HELP.top = [[
usage: pinanalytics top [OPTIONS]

The account's top pins over the period, ranked.

]] .. PERIOD_HELP .. [[

  --sort-by METRIC    IMPRESSION (default), ENGAGEMENT, SAVE, PIN_CLICK, OUTBOUND_CLICK
                      (--video: also VIDEO_MRC_VIEW, VIDEO_START, ...)
  --limit N           how many pins, 1 to 50 (default 10)
  --video             the top video pins
  --metrics LIST      the metrics to show (default: what Pinterest sends)

]] .. OUTPUT_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics top --sort-by SAVE --limit 25 --format csv --output top-pins.csv
]]

HELP.overview = [[
usage: pinanalytics overview [OPTIONS]

The account over the period against the period of the same length just
before it: each metric in both periods, its change (a rate's in percentage
points) and its trend; then the rankings of the account's pins (the first
--pins of GET /pins), fetched concurrently with a progress bar on standard
error when it is a terminal. A previous period reaching past Pinterest's 90
days is cut short, and the report says the periods differ in length.

]] .. PERIOD_HELP .. [[

  --metrics LIST      the metrics to compare (default: every metric of the account)
  --pins N            rank the account's first N pins (default 100; 0: no rankings)
  --no-progress       no progress bar, even on a terminal

]] .. OUTPUT_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics overview --last 7
  pinanalytics overview --preset last_30_days --format html --output overview.html
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
  --limit N           at most N posts
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

  --latency MS        wait MS milliseconds before each answer (to watch the progress bar)

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
  ["--limit"] = true, ["--pins"] = true, ["--latency"] = true,
  ["--video"] = false, ["--no-progress"] = false, ["--help"] = false,
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
  pin = with(COMMON, "--retries", "--no-progress"),
  account = with(COMMON, "--retries"),
  top = with(COMMON, "--retries", "--sort-by", "--limit", "--video"),
  overview = with(COMMON, "--retries", "--pins", "--no-progress"),
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

local function whole(cmd, opts, name, lo, hi)
  local v = opts[name]
  if v == nil then return nil end
  local n = tonumber(v)
  if not v:match("^%d+$") or not n or n < lo or (hi and n > hi) then
    usage(cmd, "%s %s: give a whole number %s", name, v, hi and ("from " .. lo .. " to " .. hi) or
      ("of at least " .. lo))
  end
  return n
end

-- The period: a range, and the preset's name when one was given.
local function period(cmd, opts, dates)
  local last, s, e, preset = opts["--last"], opts["--start"], opts["--end"], opts["--preset"]
  local given = (last and 1 or 0) + ((s or e) and 1 or 0) + (preset and 1 or 0)
  if given > 1 then
    usage(cmd, "give one period: --last N, --start DATE [--end DATE] or --preset NAME (--last, --start/--end " ..
      "and --preset do not go together)")
  end
  if last then return dates.last(whole(cmd, opts, "--last", 1)) end
  if preset then
    local ok, r = pcall(dates.preset, preset)
    if not ok then usage(cmd, "--preset %s is not a preset (presets: %s)", preset, table.concat(dates.PRESETS, ", ")) end
    return r, preset
  end
  if e and not s then usage(cmd, "--end needs --start") end
  if s then
    for _, x in ipairs({ { "--start", s }, { "--end", e } }) do
      if x[2] then
        local ok, why = dates.parse(x[2])
        if not ok then usage(cmd, "%s %s is not a date: %s", x[1], x[2], tostring(why)) end
      end
    end
    e = e or dates.add_days(dates.today(), -1)
    if e < s then usage(cmd, "--end %s is before --start %s", e, s) end
    return dates.range(s, e)
  end
  return dates.last(30)
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

-- Calls a library function; an error it raises is about what was asked
-- (the library checks every argument): a usage error.
local function call(cmd, f, ...)
  local r = { pcall(f, ...) }
  if not r[1] then
    local e = r[2]
    if getmetatable(e) == Usage or getmetatable(e) == Failure then error(e, 0) end
    usage(cmd, "%s", tostring(e))
  end
  return r[2], r[3], r[4]
end

-- One line: an error value's tostring without line breaks.
local function line(x)
  return (tostring(x):gsub("[\r\n]+", " "))
end

local function strip_prefix(s)
  return (s:gsub("^pinanalytics: ", ""))
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
    retries = whole(cmd, opts, "--retries", 0, 100) }
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
  return call(cmd, pa.oneup, { api_key = key, base_url = base })
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
    on_progress = function(done, total, failed) if bar then bar:update(done, total, failed) end end,
  } or nil)
  if wanted then
    bar = new_bar(ctx.stderr, require("pinanalytics.core").now, #unique)
  end
  local results, errs, info = call(cmd, client.pins_analytics, client, unique, params)
  if bar then bar:finish() end
  return results, errs, info, unique, client
end

-- "pin 404404: not_found: ..." for each failed pin, in the order asked
local function report_failures(ctx, ids, errs)
  local n = 0
  for _, id in ipairs(ids) do
    if errs[id] then
      n = n + 1
      ctx.stderr:write("pinanalytics: pin ", id, ": ", strip_prefix(line(errs[id])), "\n")
    end
  end
  return n
end

local RUN = {}

function RUN.pin(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  if #p.args == 0 then usage(cmd, "pin needs at least one pin id (pinanalytics pin ID...)") end
  for _, id in ipairs(p.args) do
    if not id:match("^%d+$") then usage(cmd, "'%s' is not a pin id (a pin id is a string of digits)", id) end
  end
  local range = period(cmd, opts, pa.dates)
  local params = { range = range, metric_types = metrics(opts, true) or PIN_METRICS }
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
  local range = period(cmd, p.opts, pa.dates)
  local client = pinterest_client(ctx, cmd, p.opts)
  local res, err = call(cmd, client.user_account_analytics, client,
    { range = range, metric_types = metrics(p.opts, true) or ACCOUNT_METRICS })
  client:close()
  if not res then failure("%s", strip_prefix(line(err))) end
  return pa.report.daily(res, { title = "Account", range = range })
end

function RUN.top(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates)
  local limit = whole(cmd, opts, "--limit", 1, 50) or 10
  local sort_by = (opts["--sort-by"] or "IMPRESSION"):upper()
  local client = pinterest_client(ctx, cmd, opts)
  local method = opts["--video"] and client.top_video_pins or client.top_pins
  local res, err = call(cmd, method, client, { range = range, sort_by = sort_by, num_of_pins = limit,
    metric_types = metrics(opts, true) })
  client:close()
  if not res then failure("%s", strip_prefix(line(err))) end
  return pa.report.top_pins(res, { range = range, limit = limit,
    title = opts["--video"] and "Top video pins" or "Top pins" })
end

function RUN.overview(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates)
  local npins = whole(cmd, opts, "--pins", 0) or 100
  local wanted = metrics(opts, true)
  local bar_client
  local wanted_bar = progress_wanted(ctx, opts, npins)
  local client = pinterest_client(ctx, cmd, opts, wanted_bar and {
    on_progress = function(done, total, failed) if bar_client then bar_client:update(done, total, failed) end end,
  } or nil)
  local cur, err = call(cmd, client.user_account_analytics, client, { range = range, metric_types = wanted })
  if not cur then failure("%s", strip_prefix(line(err))) end
  local prev_range = range:previous()
  local earliest = pa.dates.add_days(pa.dates.today(), -90)
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

-- OneUp's period: its preset when one of OneUp's was named, else the range
local function oneup_params(cmd, opts, range, preset)
  local id = opts["--social-network-id"]
  if id == nil then usage(cmd, "%s needs --social-network-id ID (the OneUp account)", cmd) end
  if not id:match("^%d+$") then usage(cmd, "--social-network-id %s: give the account's number", id) end
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
  local range, preset = period(cmd, opts, pa.dates)
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
  local range, preset = period(cmd, opts, pa.dates)
  local params = oneup_params(cmd, opts, range, preset)
  local limit = whole(cmd, opts, "--limit", 1)
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
  local latency = whole(cmd, p.opts, "--latency", 0, 60000)
  if #p.args > 0 then usage(cmd, "simulate takes no argument ('%s')", p.args[1]) end
  local simulator = require "pinanalytics.simulator"
  local ok, sim = pcall(simulator.start, { latency_ms = latency })
  if not ok then failure("%s", line(sim)) end
  local out = ctx.stdout
  out:write("pinanalytics simulator: ", sim.url, " (made-up data; no token, no network)\n",
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
    "Stop it with Ctrl-C (or SIGTERM).\n")
  out:flush()
  local sig = wait_for_signal()
  sim:stop()
  out:write("\nsimulator stopped", sig and (" (" .. sig:upper() .. ")") or "", "\n")
  out:flush()
  return nil
end

-- main ----------------------------------------------------------------------

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
  return s
end

local function write_output(cmd, opts, text, stdout)
  local path = opts["--output"]
  if not path then
    stdout:write(text)
    stdout:flush()
    return
  end
  if path == "" then usage(cmd, "--output needs a file name") end
  local f, why = io.open(path, "wb")
  if not f then failure("cannot write %s: %s", path, tostring(why)) end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then failure("cannot write %s: %s", path, tostring(werr or cerr)) end
end

-- The library, or a failure that says why it does not load.
local function library()
  local loaded, pa = pcall(require, "pinanalytics")
  if not loaded then
    local jit = rawget(_G, "jit")
    failure("the library does not load in %s (is its C core built for this Lua? `make build` builds it for " ..
      "lua5.4, the rock for the Lua that luarocks was told): %s", jit and jit.version or _VERSION, line(pa))
  end
  return pa
end

local function run(ctx, p)
  local cmd = p.command
  library()
  if cmd ~= "simulate" then format_of(cmd, p.opts) end -- a bad --format is said before anything is fetched
  local report, note = RUN[cmd](ctx, cmd, p)
  if report == nil then return 0 end
  local text = call(cmd, require("pinanalytics.report").render, format_of(cmd, p.opts), report)
  write_output(cmd, p.opts, text, ctx.stdout)
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
-- @treturn int the exit status: 0 ok; 1 a run-time failure (a line
-- "pinanalytics: ..." on stderr); 2 a usage error (its line, then a hint to
-- `--help`)
function M.main(argv, ctx)
  ctx = ctx or {}
  local c = {
    getenv = ctx.getenv or os.getenv, stdout = ctx.stdout or io.stdout, stderr = ctx.stderr or io.stderr,
    stdin = ctx.stdin or io.stdin, isatty = ctx.isatty or default_isatty, secrets = {},
  }
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local ok, result = pcall(function()
    local p = M.parse(args)
    if p.help then
      c.stdout:write(HELP[p.help])
      c.stdout:flush()
      return 0
    end
    if p.version then
      c.stdout:write("pinanalytics ", library()._VERSION, "\n")
      return 0
    end
    return run(c, p)
  end)
  if ok then return result end
  local e = result
  if getmetatable(e) == Usage then
    c.stderr:write("pinanalytics: ", scrub(e.msg, c.secrets), "\n",
      "Try 'pinanalytics ", e.cmd and (e.cmd .. " ") or "", "--help'.\n")
    return 2
  end
  local msg = getmetatable(e) == Failure and e.msg or ("internal error: " .. line(e))
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
