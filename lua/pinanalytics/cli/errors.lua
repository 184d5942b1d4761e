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
E.is_interrupt, E.call = is_interrupt, call
E.line, E.strip_prefix = line, strip_prefix

return E
