--- The command-line tool's output: the report formats (--format, or the
-- --output file's name), the report written to standard output or to the
-- --output file with every write checked (a report that could not be
-- written is a failure, and an incomplete file is removed), and the text of
-- the API and of messages made safe for a terminal (no control sequence, no
-- secret).
local errors = require "pinanalytics.cli.errors"

local usage, failure = errors.usage, errors.failure

local O = {}

--- The report formats (those of pinanalytics.report.render): what the
-- option --format takes.
O.FORMATS = { "text", "markdown", "csv", "json", "html" }

-- the format an --output file's name suggests
local BY_EXTENSION = { txt = "text", md = "markdown", markdown = "markdown", csv = "csv", json = "json",
  html = "html", htm = "html" }

-- the output's options, as each command's help lists them
local OUTPUT_HELP = [[
Output:
  --format FORMAT     text (default), markdown, csv, json or html
  --output FILE       write the report to FILE instead of standard output; without
                      --format, the format is the name's: .txt .md .csv .json .html
]]

-- The format: --format, else the --output file's extension, else text.
local function format_of(cmd, opts)
  local f = opts["--format"]
  if f == nil and opts["--output"] then
    f = BY_EXTENSION[(opts["--output"]:match("%.(%w+)$") or ""):lower()]
  end
  f = f or "text"
  for _, known in ipairs(O.FORMATS) do if f == known then return f end end
  local near = require("pinanalytics.cli.options").suggest(f, O.FORMATS)
  usage(cmd, "--format %s: not a format%s (formats: %s)", f, near and ("; did you mean --format " .. near .. "?") or "",
    table.concat(O.FORMATS, ", "))
end

-- Text of the API's made safe for a terminal: no control character, no
-- bidirectional control (pinanalytics.format.clean).
local function safe(s)
  return require("pinanalytics.format").clean(s)
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

-- Is stream the process's standard output, closed (`>&-`)?
local function stdout_closed(stream)
  if stream ~= io.stdout then return false end
  local pos, _, code = stream:seek("cur")
  return pos == nil and code == 9 -- EBADF; a pipe or a terminal is ESPIPE
end

-- Is fd a terminal? (`test -t FD`, run by the shell)
local function default_isatty(fd)
  local ok, how, code = os.execute("test -t " .. math.floor(fd))
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1
  return ok == true and (how == nil or how == "exit") and (code == nil or code == 0)
end

-- A message as it may be shown: each secret read replaced by "[REDACTED]",
-- no control sequence.
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

-- Writes the report to --output, or to standard output without it.
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

O.OUTPUT_HELP = OUTPUT_HELP
O.format_of, O.safe, O.reason, O.emit = format_of, safe, reason, emit
O.stdout_closed, O.default_isatty, O.scrub = stdout_closed, default_isatty, scrub
O.remove_partial, O.write_output = remove_partial, write_output

return O
