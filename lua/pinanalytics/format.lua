--- Number, date and text presentation for reports, in one place so that a
-- rate reads the same everywhere.
--
-- Rounding is half away from zero (2.25 -> 2.3), as people count. A missing
-- value (nil, NaN, JSON null) is shown as "-" by every number formatter.
-- Widths are display columns of UTF-8 text. Pure Lua (5.1 to 5.4, LuaJIT):
-- no C module is needed.
-- @usage
-- local format = require "pinanalytics.format"
-- format.number(1234567)          --> "1,234,567"
-- format.number(1234.5, 2)        --> "1,234.50"
-- format.percent(0.0592)          --> "5.92 %"      a rate (a fraction) as a percentage
-- format.change(18.42)            --> "+18.4 %"     a relative change, given in percent
-- format.pp(0.13)                 --> "+0.13 pp"    a change in a rate, in percentage points
-- format.signed(-1200)            --> "-1,200"
-- format.date("2026-10-08", "%a %d %b %Y")  --> "Thu 08 Oct 2026"
-- format.sparkline({ 1, 5, nil, 8 }, { n = 4 })  --> "▁▅·█"
-- format.width("▁▂x"), format.pad(s, n), format.lpad(s, n)   -- display columns (UTF-8)
local M = {}

local floor, abs, max = math.floor, math.abs, math.max
local concat = table.concat

local NULL
do -- JSON null as the C core or lua-cjson give it (the same light userdata)
  local pass_interrupt = require("pinanalytics.errors").pass_interrupt
  local ok, core = pass_interrupt(pcall(require, "pinanalytics.core"))
  if ok and type(core) == "table" then NULL = core.null end
  if NULL == nil then
    local ok2, cjson = pass_interrupt(pcall(require, "cjson"))
    if ok2 and type(cjson) == "table" then NULL = cjson.null end
  end
end
--- JSON null (pinanalytics.null, cjson.null), or nil where neither module loads.
M.null = NULL

--- What every number formatter shows for a missing value.
M.MISSING = "-"

--- True for a value that stands for "no number": nil, NaN or JSON null.
function M.is_missing(v)
  return v == nil or (NULL ~= nil and v == NULL) or v ~= v
end

local function num(v, fn)
  if type(v) == "number" then return v end
  if type(v) == "string" then
    local n = tonumber(v)
    if n then return n end
  end
  error(string.format("pinanalytics.format.%s: expected a number, got %s%s", fn, type(v),
    type(v) == "string" and string.format(" %q", v) or ""), 0)
end

--- Rounds half away from zero to `decimals` places: 2.25 -> 2.3, -3.45 -> -3.5.
function M.round(v, decimals)
  local f = 10 ^ (decimals or 0)
  local x = abs(v) * f
  -- a decimal that binary cannot hold exactly (2.675) is nudged to its intent;
  -- the nudge stays far below 0.5, so that 1e9 stays 1,000,000,000
  x = floor(x + 0.5 + math.min(1e-9 * max(1, x), 1e-6))
  x = x / f
  return v < 0 and -x or x
end

-- "1234567.89" -> "1,234,567.89" (digits only; the sign is added by callers)
local function group(digits)
  local int, frac = digits:match("^(%d+)(.*)$")
  if not int then return digits end
  local out = int:reverse():gsub("(%d%d%d)", "%1,"):reverse()
  if out:sub(1, 1) == "," then out = out:sub(2) end
  return out .. frac
end

-- |v| rounded to d places, grouped or not, and whether it rounded to zero
local function magnitude(v, d, grouped)
  local r = M.round(abs(v), d)
  local s
  if r >= 1e21 or r ~= r or r == math.huge then
    s = tostring(r)
  else
    s = string.format("%." .. d .. "f", r)
  end
  if grouped then s = group(s) end
  return s, r == 0
end

local function decimals_of(d, fn)
  if d == nil then return nil end
  d = tonumber(d)
  if not d or d < 0 or d > 10 or d ~= floor(d) then
    error("pinanalytics.format." .. fn .. ": decimals must be a whole number 0..10", 0)
  end
  return d
end

--- A number with thousands separators: 1234567 -> "1,234,567".
-- @number v
-- @int[opt=0] decimals fixed decimals
-- @treturn string
function M.number(v, decimals)
  if M.is_missing(v) then return M.MISSING end
  v = num(v, "number")
  local s, zero = magnitude(v, decimals_of(decimals, "number") or 0, true)
  return (v < 0 and not zero) and "-" .. s or s
end

--- Fixed decimals (default 2), no thousands separator: 3.14159 -> "3.14".
function M.fixed(v, decimals)
  if M.is_missing(v) then return M.MISSING end
  v = num(v, "fixed")
  local s, zero = magnitude(v, decimals_of(decimals, "fixed") or 2, false)
  return (v < 0 and not zero) and "-" .. s or s
end

local function signed(v, d, unit, fn)
  if M.is_missing(v) then return M.MISSING end
  v = num(v, fn)
  local s, zero = magnitude(v, d, true)
  if zero then return s .. unit end
  return (v < 0 and "-" or "+") .. s .. unit
end

--- A rate (0.0592, a fraction) as "5.92 %" (decimals default 2).
function M.percent(v, decimals)
  if M.is_missing(v) then return M.MISSING end
  v = num(v, "percent")
  local s, zero = magnitude(v * 100, decimals_of(decimals, "percent") or 2, true)
  return ((v < 0 and not zero) and "-" .. s or s) .. " %"
end

--- A relative change given in percent (18.42) as "+18.4 %" (decimals
-- default 1); a change that rounds to zero has no sign: "0.0 %".
function M.change(v, decimals)
  return signed(v, decimals_of(decimals, "change") or 1, " %", "change")
end

--- A change of a rate in percentage points (0.13) as "+0.13 pp" (decimals default 2).
function M.pp(v, decimals)
  return signed(v, decimals_of(decimals, "pp") or 2, " pp", "pp")
end

--- A signed count: 1200 -> "+1,200", -3 -> "-3", 0 -> "0" (decimals default 0).
function M.signed(v, decimals)
  return signed(v, decimals_of(decimals, "signed") or 0, "", "signed")
end

--- A metric's value as its kind reads: "count" -> "1,234" (two decimals when
-- it is not whole), "rate" -> "5.92 %", "duration" (milliseconds) -> "1,234 ms".
function M.value(v, kind)
  if M.is_missing(v) then return M.MISSING end
  v = num(v, "value")
  if kind == "rate" then return M.percent(v) end
  if kind == "duration" then return M.number(v) .. " ms" end
  if v ~= floor(v) then return M.number(v, 2) end
  return M.number(v)
end

--- A number as data (CSV, plain output): whole numbers without a decimal
-- point, others with 15 significant digits; "" when missing.
function M.plain(v)
  if M.is_missing(v) then return "" end
  if v == floor(v) and abs(v) < 2 ^ 53 then return string.format("%d", v) end
  if v == math.huge then return "inf" elseif v == -math.huge then return "-inf" end
  return (string.format("%.15g", v))
end

-- dates ---------------------------------------------------------------------

local MONTHS = { "January", "February", "March", "April", "May", "June", "July", "August", "September",
  "October", "November", "December" }
local DAYS = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" }

local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = floor(y / 400)
  local yoe = y - era * 400
  local doy = floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Formats "YYYY-MM-DD" (anything after the date, such as a time, is kept
-- out) with %Y %m %d %e (day, no zero) %b %B (month) %a %A (weekday) %%.
-- Default "%Y-%m-%d". Raises on a string that is not such a date.
function M.date(s, fmt)
  if M.is_missing(s) then return M.MISSING end
  if type(s) ~= "string" then error("pinanalytics.format.date: expected a date string, got " .. type(s), 0) end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)")
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if not y or m < 1 or m > 12 or d < 1 or d > 31 then
    error(string.format("pinanalytics.format.date: %q is not a date (YYYY-MM-DD)", s), 0)
  end
  fmt = fmt or "%Y-%m-%d"
  local wd = (days_from_civil(y, m, d) + 3) % 7 + 1 -- 1970-01-01 was a Thursday
  return (fmt:gsub("%%(.)", function(c)
    if c == "Y" then return string.format("%04d", y)
    elseif c == "m" then return string.format("%02d", m)
    elseif c == "d" then return string.format("%02d", d)
    elseif c == "e" then return tostring(d)
    elseif c == "b" then return MONTHS[m]:sub(1, 3)
    elseif c == "B" then return MONTHS[m]
    elseif c == "a" then return DAYS[wd]:sub(1, 3)
    elseif c == "A" then return DAYS[wd]
    elseif c == "%" then return "%"
    end
    error("pinanalytics.format.date: unknown conversion %" .. c .. " (known: %Y %m %d %e %b %B %a %A %%)", 0)
  end))
end

-- text ----------------------------------------------------------------------

--- Display columns of a UTF-8 string (code points; every one counts as one column).
function M.width(s)
  local _, n = tostring(s):gsub("[^\128-\191]", "")
  return n
end

--- s padded with spaces on the right to n columns (left-aligned).
function M.pad(s, n)
  s = tostring(s)
  return s .. string.rep(" ", (tonumber(n) or 0) - M.width(s))
end

--- s padded with spaces on the left to n columns (right-aligned).
function M.lpad(s, n)
  s = tostring(s)
  return string.rep(" ", (tonumber(n) or 0) - M.width(s)) .. s
end

local REPLACEMENT = "\239\191\189" -- U+FFFD
local byte, sub, find = string.byte, string.sub, string.find

-- s with each ill-formed UTF-8 sequence (its maximal subpart, as Unicode
-- and the WHATWG decoder count it) replaced by U+FFFD.
local function repair(s)
  local out, start, i, len = {}, 1, 1, #s
  while true do
    i = find(s, "[\128-\255]", i)
    if not i then break end
    local c = byte(s, i)
    local need, lo, hi = 0, 0x80, 0xBF
    if c >= 0xC2 and c <= 0xDF then need = 1
    elseif c >= 0xE0 and c <= 0xEF then
      need = 2
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F end
    elseif c >= 0xF0 and c <= 0xF4 then
      need = 3
      if c == 0xF0 then lo = 0x90 elseif c == 0xF4 then hi = 0x8F end
    end
    local j, ok = i + 1, need > 0
    for k = 1, need do
      local b = j <= len and byte(s, j) or nil
      if not b or b < (k == 1 and lo or 0x80) or b > (k == 1 and hi or 0xBF) then ok = false break end
      j = j + 1
    end
    if not ok then
      out[#out + 1] = sub(s, start, i - 1)
      out[#out + 1] = REPLACEMENT
      start = j
    end
    i = j
  end
  if start == 1 then return s end
  out[#out + 1] = sub(s, start)
  return concat(out)
end

-- The Unicode bidirectional controls in UTF-8: U+061C (ARABIC LETTER MARK),
-- U+200E and U+200F (LRM, RLM), U+202A..U+202E (the embeddings and
-- overrides: LRE, RLE, PDF, LRO, RLO) and U+2066..U+2069 (the isolates).
local BIDI = { "\216\156", "\226\128[\142\143\170-\174]", "\226\129[\166-\169]" }

-- s (valid UTF-8) with each bidirectional control replaced by repl (a
-- string, or a function of the control's bytes).
local function bidi(s, repl)
  if not find(s, "[\216\226]") then return s end
  for _, p in ipairs(BIDI) do s = s:gsub(p, repl) end
  return s
end

-- A bidirectional control as a JSON escape (\u202e).
local function bidi_json(ch)
  local a, b, c = byte(ch, 1, 3)
  if c then return string.format("\\u%04x", (a % 16) * 4096 + (b % 64) * 64 + c % 64) end
  return string.format("\\u%04x", (a % 32) * 64 + b % 64)
end

--- s (valid UTF-8: JSON text) with each Unicode bidirectional control
-- (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069) written as a
-- JSON escape (`\u202e`): the text it stands for is whole, and a terminal
-- showing the JSON is not made to reorder it.
-- @string s
-- @treturn string
function M.json_bidi(s)
  return bidi(s, bidi_json)
end

--- Text made safe to show: ill-formed UTF-8 repaired (each bad sequence
-- becomes U+FFFD), every control character (C0, DEL and the C1 controls
-- U+0080..U+009F, which a terminal may take for ESC) made a space, but those
-- in `keep` (e.g. "\n"), and every Unicode bidirectional control (U+061C,
-- U+200E, U+200F, U+202A..U+202E, U+2066..U+2069, which make a terminal or
-- a page show text in another order than it is: "exe.txt" shown for
-- "txt.exe") taken out. What a report shows of text from an API goes
-- through it, so that no title can send escape codes to a terminal, nor
-- disguise itself.
-- @string s
-- @string[opt] keep control characters to keep as they are
-- @treturn string
function M.clean(s, keep)
  s = tostring(s)
  if not find(s, "[%c\127-\255]") then return s end
  if find(s, "[\128-\255]") then
    s = repair(s)
    s = bidi((s:gsub("\194[\128-\159]", " ")), "")
  end
  if keep then
    return (s:gsub("[%c\127]", function(c) if find(keep, c, 1, true) then return c end return " " end))
  end
  return (s:gsub("[%c\127]", " "))
end

--- s with ill-formed UTF-8 repaired (U+FFFD), nothing else changed.
-- @string s
-- @treturn string
function M.utf8(s)
  s = tostring(s)
  if not find(s, "[\128-\255]") then return s end
  return repair(s)
end

--- s cut to n columns, ending in "…" when cut.
function M.truncate(s, n)
  s = tostring(s)
  n = tonumber(n) or 0
  if M.width(s) <= n then return s end
  local out, k = {}, 0
  for ch in s:gmatch("[^\128-\191][\128-\191]*") do
    if k >= n - 1 then break end
    out[#out + 1] = ch
    k = k + 1
  end
  return concat(out) .. "…"
end

-- sparklines ----------------------------------------------------------------

--- The eight levels of a sparkline, lowest first.
M.BARS = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" }

--- The mark of a day without a value in a sparkline: a middle dot, which
-- no terminal trims (a space at the end of a line may be).
M.GAP = "·"

--- A sparkline of a daily series: one character a day, ▁ for the lowest
-- value of the series and █ for the highest (scaled between them). A missing
-- day (nil, NaN, JSON null) is shown as opts.missing, `GAP` ("·") by default. A
-- flat series is all ▄ (all ▁ when it is all zero). values: an array (a
-- frame's column); opts.n: its length when it may end in nil.
function M.sparkline(values, opts)
  opts = opts or {}
  if type(values) ~= "table" then
    error("pinanalytics.format.sparkline: values must be an array, got " .. type(values), 0)
  end
  local n = opts.n or values.n or #values
  local missing = opts.missing or M.GAP
  local lo, hi
  for i = 1, n do
    local v = values[i]
    if not M.is_missing(v) then
      if type(v) ~= "number" then
        error(string.format("pinanalytics.format.sparkline: values[%d] is %s, not a number", i, type(v)), 0)
      end
      if lo == nil or v < lo then lo = v end
      if hi == nil or v > hi then hi = v end
    end
  end
  local out = {}
  for i = 1, n do
    local v = values[i]
    if M.is_missing(v) then
      out[i] = missing
    elseif hi == lo then
      out[i] = (hi == 0) and M.BARS[1] or M.BARS[4]
    else
      out[i] = M.BARS[floor((v - lo) / (hi - lo) * 7 + 0.5) + 1]
    end
  end
  return concat(out)
end

return M
