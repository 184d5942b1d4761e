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
  ["--account-name"] = true, ["--days"] = true, ["--shape"] = true, ["--account"] = true, ["--credentials"] = true,
  ["--app-file"] = true, ["--port"] = true, ["--path"] = true, ["--scopes"] = true, ["--timeout"] = true,
  ["--video"] = false, ["--no-progress"] = false, ["--help"] = false, ["--all-pins"] = false,
  ["--images"] = false, ["--no-browser"] = false,
  -- sync --all-accounts
  ["--all-accounts"] = false, ["--jobs"] = true, ["--lease"] = true,
  -- ads
  ["--account-id"] = true, ["--level"] = true, ["--columns"] = true, ["--granularity"] = true,
  ["--sort"] = true, ["--ads"] = false,
}

-- Options whose value-taking differs for a command: sync's --account is a
-- flag (the account's own figures too), where the other commands' names an
-- account of the credentials file.
local FLAG_IN = { sync = { ["--account"] = true } }

-- Whether option name takes a value for cmd (nil: no such option).
local function takes_value(name, cmd)
  if cmd and FLAG_IN[cmd] and FLAG_IN[cmd][name] then return false end
  return OPTIONS[name]
end

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

-- The edit distance of a and b: insertions, deletions, substitutions and
-- swaps of two neighbours (optimal string alignment).
local function distance(a, b)
  local d = {}
  for i = 0, #a do d[i] = { [0] = i } end
  for j = 0, #b do d[0][j] = j end
  for i = 1, #a do
    for j = 1, #b do
      local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:sub(i, i) == b:sub(j - 1, j - 1) and a:sub(i - 1, i - 1) == b:sub(j, j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[#a][#b]
end

-- The name of list that value was most likely meant to be: the same name
-- in another case, else the nearest by edit distance (at most a third of
-- its length, at least 1), the first of the nearest; nil when none is near.
local function suggest(value, list)
  local v = tostring(value):upper()
  if #v > 64 then return nil end -- not a name anyone mistyped
  for _, name in ipairs(list) do
    if name:upper() == v then return name end
  end
  local best, best_d = nil, math.max(1, math.floor(#v / 3)) + 1
  for _, name in ipairs(list) do
    local d = distance(v, name:upper())
    if d < best_d then best, best_d = name, d end
  end
  return best
end

-- Options that would put a secret where every user sees it, and where the
-- secret goes instead.
local TOKEN_ADVICE = "Set PINTEREST_ACCESS_TOKEN (OneUp: ONEUP_API_KEY) in the environment, or give --token-file FILE"
local APP_ADVICE = "Set PINTEREST_CLIENT_SECRET in the environment, or give --app-file FILE (a file of yours " ..
  "holding PINTEREST_CLIENT_ID=... and PINTEREST_CLIENT_SECRET=... lines)"
local SECRET_OPTIONS = { ["--token"] = TOKEN_ADVICE, ["--access-token"] = TOKEN_ADVICE, ["--api-key"] = TOKEN_ADVICE,
  ["--apikey"] = TOKEN_ADVICE, ["--key"] = TOKEN_ADVICE, ["--client-secret"] = APP_ADVICE,
  ["--app-secret"] = APP_ADVICE, ["--secret"] = APP_ADVICE,
  ["--refresh-token"] = "A refresh token lives in the credentials file, which pinanalytics login fills" }

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
          "/proc/PID/cmdline), so a secret there is no longer one; other users would see it. %s", name,
          SECRET_OPTIONS[name])
      end
      if name == "-h" then name = "--help" end
      if name == "-o" then name = "--output" end
      if name == "--version" then return { version = true } end
      if OPTIONS[name] == nil then
        local known = {}
        if cmd then
          known = allowed_of(cmd)
        else
          for o in pairs(OPTIONS) do known[#known + 1] = o end
          table.sort(known)
        end
        local near = suggest(name, known)
        if near then usage(cmd, "unknown option %s; did you mean %s?", name, near) end
        if cmd then usage(cmd, "unknown option %s (%s takes %s)", name, cmd, table.concat(known, ", ")) end
        usage(cmd, "unknown option %s", name)
      end
      if takes_value(name, cmd) then
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
    if not allowed[name] then
      local near = suggest(name, allowed_of(cmd))
      if near then usage(cmd, "unknown option %s for %s; did you mean %s?", name, cmd, near) end
      usage(cmd, "unknown option %s for %s (%s takes %s)", name, cmd, cmd, table.concat(allowed_of(cmd), ", "))
    end
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

-- Checks pin ids: the arguments of pin, or (option given) the list of an
-- option as typed (--pins 1,2).
local function check_pin_ids(cmd, ids, option, typed)
  for _, id in ipairs(ids) do
    if not id:match("^%d+$") or #id > 40 then
      if option then
        usage(cmd, "%s %s: '%s' is not a pin id (pin ids are strings of digits, like 813744226420795884)", option,
          typed, id)
      end
      usage(cmd, "'%s' is not a pin id (%s ID...: pin ids are strings of digits, like 813744226420795884)", id, cmd)
    end
  end
end

-- Checks the names in the value of an option (typed: "save,IMPRESSIONS"),
-- each upper-cased, against list: a usage error for the first that is not
-- in it, naming it as `what` ("a pin metric") and the list as `label`
-- ("pin metrics"), with the option as it was meant when a name is near.
local function check_names(cmd, option, typed, list, what, label, more)
  local set = {}
  for _, m in ipairs(list) do set[m] = true end
  local names = {}
  for m in typed:gmatch("[^,%s]+") do names[#names + 1] = m end
  for i, m in ipairs(names) do
    if not set[m:upper()] then
      local near = suggest(m, list)
      local meant = ""
      if near then
        local fixed = {}
        for k, x in ipairs(names) do fixed[k] = x end
        fixed[i] = near
        meant = string.format("; did you mean %s %s?", option, table.concat(fixed, ","))
      end
      usage(cmd, "%s %s: %s is not %s%s (%s: %s%s)", option, typed, m, what, meant, label, table.concat(list, ", "),
        more or "")
    end
  end
end

-- Before anything is asked of the API or a store, what the tool can check
-- of the options of pin, account, top and overview against what the API
-- serves: the metrics (the library's lists for each command, the store's
-- with --from-store), top's sort key, and a period that the API serves
-- (the last 90 days; for overview, the period before it too); each with
-- advice that can be typed as printed.
local function check_request(cmd, p, pa, clock)
  local opts = p.opts
  if cmd ~= "pin" and cmd ~= "account" and cmd ~= "top" and cmd ~= "overview" then return end
  if cmd == "pin" then check_pin_ids(cmd, p.args) end
  local dates, api, st = pa.dates, require("pinanalytics.pinterest"), require("pinanalytics.store")
  local range, preset = O.period(cmd, opts, dates, clock)
  local from = opts["--from-store"] ~= nil
  local list, what, label
  if cmd == "pin" or (cmd == "top" and from) then
    list, what, label = api.PIN_METRICS, "a pin metric", "pin metrics"
    if from then list, what, label = st.PIN_METRICS, "a pin metric the store keeps", "pin metrics the store keeps" end
  elseif cmd == "top" then
    list, what, label = api.ACCOUNT_METRICS, "a metric of top pins", "metrics of top pins"
    if opts["--video"] then
      list, what, label = api.TOP_VIDEO_METRICS, "a metric of top video pins", "metrics of top video pins"
    end
  else
    list, what, label = api.ACCOUNT_METRICS, "an account metric", "account metrics"
    if from then
      list, what, label = st.ACCOUNT_METRICS, "an account metric the store keeps", "account metrics the store keeps"
    end
  end
  if opts["--metrics"] then check_names(cmd, "--metrics", opts["--metrics"], list, what, label) end
  local sort_by = opts["--sort-by"]
  if cmd == "top" and sort_by then
    if from then
      check_names(cmd, "--sort-by", sort_by, st.PIN_METRICS, "a pin metric the store keeps",
        "pin metrics the store keeps")
    elseif opts["--video"] then
      check_names(cmd, "--sort-by", sort_by, api.TOP_VIDEO_PINS_SORT, "a sort key of top --video",
        "top --video sorts by")
    else
      local video = false
      for _, k in ipairs(api.TOP_VIDEO_PINS_SORT) do if k == sort_by:upper() then video = true end end
      local also = "; with --video by: " .. table.concat(api.TOP_VIDEO_PINS_SORT, ", ")
      local plain = false
      for _, k in ipairs(api.TOP_PINS_SORT) do if k == sort_by:upper() then plain = true end end
      if video and not plain then
        usage(cmd, "--sort-by %s ranks video pins; did you mean --video --sort-by %s? (top sorts by: %s%s)", sort_by,
          sort_by, table.concat(api.TOP_PINS_SORT, ", "), also)
      end
      check_names(cmd, "--sort-by", sort_by, api.TOP_PINS_SORT, "a sort key of top", "top sorts by", also)
    end
  end
  if from then return end

  -- the period against the days the API serves
  local today = dates.parse(dates.today(clock))
  local back, most = api.MAX_LOOKBACK_DAYS, api.MAX_RANGE_DAYS
  local earliest = today - back
  local ov = cmd == "overview"
  -- overview compares the period with the one just before it, which must
  -- end within the days served: it starts a day later, and --last is a day less
  local first, max_last = earliest + (ov and 1 or 0), back - (ov and 1 or 0)
  local sn, en = dates.parse(range.start_date), dates.parse(range.end_date)
  local STORE = "--from-store STORE for older days"
  if sn < first then
    local typed, advice
    if opts["--last"] then
      typed, advice = "--last " .. opts["--last"], "--last " .. max_last
    elseif preset then
      typed, advice = "--preset " .. preset, "--last " .. max_last
    elseif en >= first then
      typed, advice = "--start " .. opts["--start"], "--start " .. dates.format(first)
    else
      typed, advice = "--start " .. opts["--start"] .. " --end " .. opts["--end"], "--last " .. max_last
    end
    if ov then
      if advice:match("^%-%-last") then
        advice = advice .. " or less (up to --last " .. math.floor(back / 2) .. " both periods are whole)"
      end
      usage(cmd, "overview compares the period with the one before it, and the API serves the last %d days (from " ..
        "%s): %s reaches %d days back; use %s, or %s", back, dates.format(earliest), typed, today - (2 * sn - en - 1),
        advice, STORE)
    end
    if opts["--last"] or preset then
      usage(cmd, "%s reaches %d days back; the API serves the last %d: use %s, or %s", typed, today - sn, back,
        advice, STORE)
    end
    if en >= first then
      usage(cmd, "%s is %d days back; the API serves the last %d (from %s): use %s, or %s", typed, today - sn, back,
        dates.format(earliest), advice, STORE)
    end
    usage(cmd, "%s is older than the %d days the API serves (from %s): use %s, or %s", typed, back,
      dates.format(earliest), advice, STORE)
  end
  if en - sn > most then
    usage(cmd, "--start %s --end %s spans %d days; the API serves at most %d at once: use --end %s, or --from-store " ..
      "STORE", range.start_date, range.end_date, en - sn + 1, most + 1, dates.format(sn + most))
  end
end

O.PIN_METRICS, O.ACCOUNT_METRICS, O.RANKING_METRICS = PIN_METRICS, ACCOUNT_METRICS, RANKING_METRICS
O.PERIOD_HELP, O.COMMON, O.with = PERIOD_HELP, COMMON, with
O.MAX_ROWS = MAX_ROWS
O.whole, O.period, O.metrics, O.check_pin_ids = whole, period, metrics, check_pin_ids
O.suggest, O.check_names, O.check_request = suggest, check_names, check_request

return O
