--- The command-line tool's options: which there are and whether each takes
-- a value, the parsing of the arguments (checked against the options each
-- command takes), and the options most commands share read into values:
-- the period, the metrics, whole numbers within bounds, pin ids. What is
-- wrong with them is a usage error (exit status 2).
local errors = require "pinanalytics.cli.errors"

local usage, is_interrupt = errors.usage, errors.is_interrupt

local O = {}

-- the metrics each report shows when --metrics is not given
local PIN_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" }
local ACCOUNT_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "ENGAGEMENT", "SAVE_RATE" }
-- what the rankings of an overview are computed from (pa.report.post_performance)
local RANKING_METRICS = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "TOTAL_COMMENTS", "TOTAL_REACTIONS" }

-- the period's options, as each command's help lists them
local PERIOD_HELP = [[
Period (one of; default: the last 30 days, ending yesterday, UTC):
  --last N            the N days ending yesterday (1 to 36500)
  --start DATE        from DATE (YYYY-MM-DD, UTC) to --end DATE, or to yesterday
  --end DATE          (dates 1900-01-01 to 2199-12-31, at most 36500 days)
  --preset NAME       last_7_days, last_30_days, last_90_days, this_month, last_month
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
  ["--images"] = false,
}

-- the options of every report command (each command's file lists those it takes)
local COMMON = { "--last", "--start", "--end", "--preset", "--metrics", "--format", "--output", "--base-url",
  "--token-file", "--help" }

-- a new list: list, then the names given
local function with(list, ...)
  local out = {}
  for _, v in ipairs(list) do out[#out + 1] = v end
  for _, v in ipairs({ ... }) do out[#out + 1] = v end
  return out
end

-- Options that would put a secret where every user sees it.
local SECRET_OPTIONS = { ["--token"] = true, ["--access-token"] = true, ["--api-key"] = true, ["--apikey"] = true,
  ["--key"] = true, ["--client-secret"] = true, ["--refresh-token"] = true }

-- Parses argv (see pinanalytics.cli.parse, which documents it): commands
-- is the list of the commands, allowed(cmd) the list of options cmd takes.
function O.parse(argv, commands, allowed_of)
  local function is_command(name)
    for _, c in ipairs(commands) do if c == name then return true end end
    return false
  end
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
            table.concat(commands, ", ")) end
          return { help = topic }
        end
        if not is_command(a) then
          usage(nil, "unknown command '%s' (commands: %s)", a, table.concat(commands, ", "))
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
  for _, o in ipairs(allowed_of(cmd)) do allowed[o] = true end
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

local function check_pin_ids(cmd, ids)
  for _, id in ipairs(ids) do
    if not id:match("^%d+$") or #id > 40 then
      usage(cmd, "'%s' is not a pin id (a pin id is a string of digits)", id)
    end
  end
end

O.PIN_METRICS, O.ACCOUNT_METRICS, O.RANKING_METRICS = PIN_METRICS, ACCOUNT_METRICS, RANKING_METRICS
O.PERIOD_HELP, O.COMMON, O.with = PERIOD_HELP, COMMON, with
O.MAX_ROWS = MAX_ROWS
O.whole, O.period, O.metrics, O.check_pin_ids = whole, period, metrics, check_pin_ids

return O
