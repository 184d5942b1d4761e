--- The command-line tool's errors and how they are told apart: a usage
-- error (exit status 2), a run-time failure (1), an interrupt (Ctrl-C, 130),
-- and anything else, a bug (main reports it as an internal error); with the
-- helpers that make an error value one line of a message.
local E = {}

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

-- A value as a shell word: as it is when it needs no quoting, else in
-- single quotes.
local function word(v)
  if v:match("^[%w_%-%./:@+,=]+$") then return v end
  return "'" .. v:gsub("'", "'\\''") .. "'"
end

-- The library's parameters as the tool's options name them: in a message
-- the name alone (start_date), or with a value (sort_by = "SAVES"), or an
-- element (metric_types[2] = "X"). Names that are also plain words (range,
-- limit, preset) are taken only with a value.
local OPTION_OF = {
  metric_types = "--metrics", metrics = "--metrics", start_date = "--start", end_date = "--end",
  sort_by = "--sort-by", num_of_pins = "--limit", limit = "--limit", social_network_id = "--social-network-id",
  timezone = "--timezone", preset = "--preset", range = "--last", base_url = "--base-url", retries = "--retries",
  pin_id = "the pin id", page_size = "--pins",
}
-- the names taken alone too (no word of a sentence is one of them)
local ALONE = { "metric_types", "start_date", "end_date", "sort_by", "num_of_pins", "social_network_id", "base_url",
  "pin_id", "page_size" }
-- the library's advice for Lua callers, and the tool's for what it advises
local ADVICE = {
  { "; or pass clamp = true", "; or --from-store STORE for older days" },
  { "; clamp = true cannot help: the whole range is earlier", "; or --from-store STORE for older days" },
  { "; split longer ranges with range:windows%(%d+%)", "; or --from-store STORE for longer periods" },
  { ", or set allow_plain_http = true if you mean it", "" },
}

-- A library's check of an argument ("pinanalytics.pinterest:pin_analytics:
-- metric_types[1] = \"IMPRESSIONS\" is not allowed (...)") in the words of
-- the tool ("--metrics IMPRESSIONS is not allowed (...)"): without the
-- module and the function, its parameters named as the options that give
-- them, values as they are typed, and no advice that only a Lua caller can
-- follow.
local function in_options(e)
  local s = tostring(e):gsub("^[^\n:]+:%d+: ", "", 1)
  s = s:gsub("^pinanalytics[%w_.]*:[%w_]+: ", "", 1)
  for _, a in ipairs(ADVICE) do s = s:gsub(a[1], a[2]) end
  s = s:gsub("opts%.([%a_]+)", "%1"):gsub("option base_url", "base_url")
  for name, opt in pairs(OPTION_OF) do
    local function valued(v)
      local str = v:match('^"([^"\\]*)"$')
      if str then return opt .. " " .. word(str) end
      return opt .. " " .. v
    end
    s = s:gsub("%f[%w_]" .. name .. "%[%d+%] = (\"[^\"]*\")", valued)
    s = s:gsub("%f[%w_]" .. name .. " = (\"[^\"]*\")", valued)
    s = s:gsub("%f[%w_]" .. name .. "%[%d+%] = ([^%s]+) %(%a+%)", valued)
    s = s:gsub("%f[%w_]" .. name .. " = ([^%s]+) %(%a+%)", valued)
  end
  for _, name in ipairs(ALONE) do s = s:gsub("%f[%w_]" .. name .. "%f[^%w_]", OPTION_OF[name]) end
  -- the values still quoted as Lua shows them ("got \"foo\""): as typed
  s = s:gsub('"([^"\\]*)"', word)
  return s
end

-- Calls a library function. An error it raises is: the library's own check
-- of an argument (a value the user gave: a metric, a date too far back) a
-- usage error, said in the tool's words (in_options); Ctrl-C an interrupt;
-- anything else a bug, which `main` reports as an internal error.
local function call(cmd, f, ...)
  local r = { pcall(f, ...) }
  if not r[1] then
    local e = r[2]
    local mt = getmetatable(e)
    if mt == Usage or mt == Failure or mt == Interrupt then error(e, 0) end
    if is_interrupt(e) then error(setmetatable({}, Interrupt), 0) end
    if is_argument_check(e) then usage(cmd, "%s", in_options(e)) end
    error(e, 0)
  end
  return r[2], r[3], r[4]
end

-- One line: an error value's tostring without line breaks.
local function line(x)
  return (tostring(x):gsub("[\r\n]+", " "))
end

-- A message without the "pinanalytics: " in front.
local function strip_prefix(s)
  return (s:gsub("^pinanalytics: ", ""))
end

E.Usage, E.Failure, E.Interrupt = Usage, Failure, Interrupt
E.usage, E.failure = usage, failure
E.is_interrupt, E.call, E.in_options, E.word = is_interrupt, call, in_options, word
E.line, E.strip_prefix = line, strip_prefix

return E
