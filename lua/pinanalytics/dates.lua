--- UTC calendar dates as "YYYY-MM-DD" strings, and ranges of them.
--
-- Pinterest's analytics dates are UTC calendar days. Internally a date is a
-- day number (days since 1970-01-01, proleptic Gregorian), computed with
-- integer arithmetic only: no `os.time()`, whose result depends on the local
-- time zone, and no `os.date()` except with the "!" (UTC) flag.
--
-- Every dated method of the clients takes `range =` (a range of this module
-- or a preset name, see `resolve`) instead of `start_date`/`end_date`.
-- @usage
-- local dates = require "pinanalytics.dates"   -- also pa.dates
-- local r = dates.last(30)                      -- the 30 days ending yesterday (UTC)
-- print(r, r:length(), r:previous())            -- 2026-10-24..2026-11-22  30  2026-09-24..2026-10-23
-- for week in r:weeks() do print(week) end
local M = {}

local floor = math.floor

-- Day number of a civil date (y, m, d); m in 1..12.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- Civil date (y, m, d) of a day number.
local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local function is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

--- Number of days in a month.
-- @int y the year
-- @int m the month, 1..12
-- @treturn int 28..31
function M.days_in_month(y, m)
  if m == 2 and is_leap(y) then return 29 end
  return MONTH_DAYS[m]
end

--- Is y a leap year (Gregorian)?
-- @function is_leap
-- @int y the year
-- @treturn boolean
M.is_leap = is_leap

--- Parses "YYYY-MM-DD" into a day number (days since 1970-01-01).
-- @string s the date
-- @treturn[1] int the day number
-- @treturn[2] nil when s is not a real calendar date
-- @treturn[2] string why: "not in the form YYYY-MM-DD", "2026-02 has no day 30", ...
function M.parse(s)
  if type(s) ~= "string" then
    return nil, "expected a string YYYY-MM-DD, got " .. type(s)
  end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then
    return nil, "not in the form YYYY-MM-DD"
  end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 then
    return nil, "month " .. m .. " does not exist"
  end
  if d < 1 or d > M.days_in_month(y, m) then
    return nil, string.format("%04d-%02d has no day %d", y, m, d)
  end
  return days_from_civil(y, m, d)
end

--- Formats a day number as "YYYY-MM-DD".
-- @int n the day number, as `parse` gives it
-- @treturn string
function M.format(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

-- Day number of a date given as a string or a day number; raises on bad input.
local function daynum(x, what)
  if type(x) == "number" then return x end
  local n, why = M.parse(x)
  if not n then
    error(string.format("pinanalytics.dates: %s %q is not a valid date (%s)", what or "date",
      tostring(x), why), 3)
  end
  return n
end
--- Day number of a date given as a string or a day number; raises on a
-- string that is not a real calendar date, naming `what`.
-- @function daynum
-- @tparam string|int x the date
-- @string[opt="date"] what the name of the value in the error
-- @treturn int
M.daynum = daynum

--- The date k days after s.
-- @tparam string|int s a date
-- @int k days; may be negative
-- @treturn string "YYYY-MM-DD"
function M.add_days(s, k)
  return M.format(daynum(s) + k)
end

--- Days from a to b (b - a): `diff("2024-02-28", "2024-03-01") == 2`.
-- @tparam string|int a a date
-- @tparam string|int b a date
-- @treturn int
function M.diff(a, b)
  return daynum(b) - daynum(a)
end

--- Day of the week, ISO numbering: 1 is Monday, 7 is Sunday.
-- @tparam string|int s a date
-- @treturn int 1..7
function M.weekday(s)
  return (daynum(s) + 3) % 7 + 1
end

--- ISO 8601 week of a date. 2020-12-31 is in 2020-W53, 2021-01-03 too;
-- 2024-12-30 is in 2025-W01.
-- @tparam string|int s a date
-- @treturn int the ISO year (not always the date's year)
-- @treturn int the week, 1..53
function M.iso_week(s)
  local n = daynum(s)
  local thursday = n - ((n + 3) % 7 + 1) + 4
  local y = civil_from_days(thursday)
  return y, floor((thursday - days_from_civil(y, 1, 1)) / 7) + 1
end

--- Today's date in UTC.
-- @tparam[opt=os.time] function clock returns the current time as seconds
-- since the epoch; it lets tests fix "today"
-- @treturn string "YYYY-MM-DD"
function M.today(clock)
  return M.format(M.today_number(clock))
end

--- Today (UTC) as a day number, as `parse` gives it.
-- @tparam[opt=os.time] function clock as for `today`
-- @treturn int
function M.today_number(clock)
  local t = clock and clock() or os.time()
  return floor(t / 86400)
end

-- ranges --------------------------------------------------------------------

local Range = {}
Range.__index = Range
Range.__name = "pinanalytics.Range"

local function make_range(a, b)
  return setmetatable({ start_date = M.format(a), end_date = M.format(b), _a = a, _b = b }, Range)
end

--- A range of UTC dates, both ends included: `range("2026-10-01", "2026-10-31")`.
-- Raises when a date is invalid or start_date is after end_date.
-- @tparam string|int a the first day
-- @tparam string|int b the last day
-- @treturn Range
function M.range(a, b)
  local an, bn = daynum(a, "start_date"), daynum(b, "end_date")
  if an > bn then
    error(string.format("pinanalytics.dates.range: start_date %s is after end_date %s", M.format(an),
      M.format(bn)), 2)
  end
  return make_range(an, bn)
end

--- Is x a range made by `range` (or `last`, `preset`, a method of a range)?
-- @param x any value
-- @treturn boolean
function M.is_range(x)
  return getmetatable(x) == Range
end

--- A range of UTC dates, both ends included, made by `range`, `last` or
-- `preset`. Its fields `start_date` and `end_date` are "YYYY-MM-DD" strings;
-- `tostring(r)` is "start..end"; two ranges are equal (==) when they cover
-- the same days.
-- @type Range

function Range:__tostring()
  return self.start_date .. ".." .. self.end_date
end

function Range.__eq(a, b)
  return a._a == b._a and a._b == b._b
end

--- Number of days, both ends included.
-- @treturn int
function Range:length()
  return self._b - self._a + 1
end

--- Does the range contain the date?
-- @tparam string|int d a date
-- @treturn boolean
function Range:contains(d)
  local n = daynum(d)
  return n >= self._a and n <= self._b
end

--- The days in order, for a generic for.
-- @treturn function an iterator giving "YYYY-MM-DD" strings
-- @usage for date in r:days() do print(date) end
function Range:days()
  local n = self._a - 1
  local last = self._b
  return function()
    n = n + 1
    if n <= last then return M.format(n) end
  end
end

-- Iterator over consecutive sub-ranges; next_end(n) gives the last day of the
-- piece starting at day n (before clipping to the range).
local function pieces(self, next_end)
  local n = self._a
  local last = self._b
  return function()
    if n > last then return nil end
    local e = next_end(n)
    if e > last then e = last end
    local r = make_range(n, e)
    n = e + 1
    return r
  end
end

--- The ISO weeks (Monday to Sunday), the first and last clipped to the range.
-- @treturn function an iterator giving a `Range` a week
-- @usage for week in r:weeks() do print(week, week:length()) end
function Range:weeks()
  return pieces(self, function(n) return n + (7 - ((n + 3) % 7 + 1)) end)
end

--- The calendar months, clipped to the range.
-- @treturn function an iterator giving a `Range` a month
-- @usage for month in r:months() do print(month) end
function Range:months()
  return pieces(self, function(n)
    local y, m = civil_from_days(n)
    return days_from_civil(y, m, M.days_in_month(y, m))
  end)
end

--- Sub-ranges of at most n days, in order, covering the range exactly.
-- 91 is the most one Pinterest request
-- may span (end_date at most 90 days after start_date, both ends included:
-- `pinanalytics.pinterest.MAX_WINDOW_DAYS`).
-- @int n days, at least 1
-- @treturn function an iterator giving a `Range` a window
-- @usage for w in r:windows(91) do fetch(w) end
function Range:windows(n)
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("pinanalytics.dates: windows(n) needs a whole number of days >= 1, got " .. tostring(n), 2)
  end
  return pieces(self, function(a) return a + n - 1 end)
end

--- The range of the same length that ends the day before this one starts.
-- @treturn Range
function Range:previous()
  local len = self:length()
  return make_range(self._a - len, self._a - 1)
end

--- The part of the range on or after `earliest`.
-- @tparam string|int earliest a date
-- @treturn Range|nil what is left; nil when nothing is
-- @treturn Range|nil the part dropped, or nil
function Range:clip_start(earliest)
  local e = daynum(earliest)
  if e <= self._a then return self, nil end
  if e > self._b then return nil, self end
  return make_range(e, self._b), make_range(self._a, e - 1)
end

--- Ranges by length and by name.
-- @section named

--- The n days that end yesterday (UTC).
-- Yesterday, not today: today's UTC day is not over, so its numbers are
-- partial (Pinterest marks it PROCESSING) and OneUp refuses end dates after
-- yesterday.
-- @int n days, at least 1
-- @tab[opt] opts
-- @bool[opt=false] opts.include_today end today instead
-- @tparam[opt=os.time] function opts.clock as for `today`
-- @treturn Range
function M.last(n, opts)
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("pinanalytics.dates.last: n must be a whole number of days >= 1, got " .. tostring(n), 2)
  end
  opts = opts or {}
  local today = daynum(M.today(opts.clock))
  local e = opts.include_today and today or today - 1
  return make_range(e - n + 1, e)
end

--- The preset names `preset` knows, in order: `"last_7_days"`, `"last_30_days"`,
-- `"last_90_days"`, `"this_month"`, `"last_month"`.
M.PRESETS = { "last_7_days", "last_30_days", "last_90_days", "this_month", "last_month" }

--- What a `range =` parameter may be: a range, or a preset name.
-- @tparam Range|string r
-- @tab[opt] opts as for `preset`
-- @treturn[1] Range
-- @treturn[2] nil
-- @treturn[2] string why r is neither
function M.resolve(r, opts)
  if M.is_range(r) then return r end
  if type(r) == "string" then
    local ok, made = pcall(M.preset, r, opts)
    if ok then return made end
    if require("pinanalytics.errors").is_interrupt(made) then error(made, 0) end -- Ctrl-C, as it is
    return nil, string.format("range = %q is not a preset (allowed: %s, or pinanalytics.dates.range(a, b))", r,
      table.concat(M.PRESETS, ", "))
  end
  return nil, "range must be a pinanalytics.dates range or a preset name, got " .. tostring(r) ..
    " (" .. type(r) .. ")"
end

--- A named range. Raises on a name it does not know, listing `PRESETS`.
--
-- - "last_7_days", "last_30_days", "last_90_days": the 7, 30 or 90 days
--   ending yesterday (`last`)
-- - "this_month": the 1st of this month to today (month to date; today partial)
-- - "last_month": the whole previous calendar month
-- @string name
-- @tab[opt] opts
-- @tparam[opt=os.time] function opts.clock as for `today`
-- @treturn Range
function M.preset(name, opts)
  opts = opts or {}
  local days = type(name) == "string" and name:match("^last_(%d+)_days$")
  if days and (days == "7" or days == "30" or days == "90") then
    return M.last(tonumber(days), opts)
  end
  local today = daynum(M.today(opts.clock))
  local y, m = civil_from_days(today)
  if name == "this_month" then
    return make_range(days_from_civil(y, m, 1), today)
  elseif name == "last_month" then
    local first = days_from_civil(y, m, 1)
    local py, pm = civil_from_days(first - 1)
    return make_range(days_from_civil(py, pm, 1), first - 1)
  end
  error(string.format("pinanalytics.dates.preset: unknown preset %s (allowed: %s)",
    type(name) == "string" and string.format("%q", name) or tostring(name), table.concat(M.PRESETS, ", ")), 2)
end

return M
