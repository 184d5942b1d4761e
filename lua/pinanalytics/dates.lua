--- UTC calendar dates as "YYYY-MM-DD" strings.
--
-- Pinterest's analytics dates are UTC calendar days. Internally a date is a
-- day number (days since 1970-01-01, proleptic Gregorian), computed with
-- integer arithmetic only: no os.time(), whose result depends on the local
-- time zone, and no os.date() except with the "!" (UTC) flag.
local M = {}

local floor = math.floor

--- Day number of a civil date (y, m, d); m in 1..12.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Civil date (y, m, d) of a day number.
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

--- Number of days in month m of year y.
function M.days_in_month(y, m)
  if m == 2 and is_leap(y) then return 29 end
  return MONTH_DAYS[m]
end

M.is_leap = is_leap

--- Parses "YYYY-MM-DD" into a day number.
-- Returns nil and a reason when s is not a real calendar date.
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
function M.format(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

--- Day number of a date given as a string or a day number; raises on bad input.
local function daynum(x, what)
  if type(x) == "number" then return x end
  local n, why = M.parse(x)
  if not n then
    error(string.format("pinanalytics.dates: %s %q is not a valid date (%s)", what or "date",
      tostring(x), why), 3)
  end
  return n
end
M.daynum = daynum

--- The date k days after s (k may be negative).
function M.add_days(s, k)
  return M.format(daynum(s) + k)
end

--- Days from a to b (b - a): diff("2024-02-28", "2024-03-01") == 2.
function M.diff(a, b)
  return daynum(b) - daynum(a)
end

--- Day of the week, ISO numbering: 1 = Monday ... 7 = Sunday.
function M.weekday(s)
  return (daynum(s) + 3) % 7 + 1
end

--- ISO 8601 week of a date: iso_year, week (1..53). 2020-12-31 is in 2020-W53,
-- 2021-01-03 too; 2024-12-30 is in 2025-W01.
function M.iso_week(s)
  local n = daynum(s)
  local thursday = n - ((n + 3) % 7 + 1) + 4
  local y = civil_from_days(thursday)
  return y, floor((thursday - days_from_civil(y, 1, 1)) / 7) + 1
end

--- Today's date in UTC. `clock`, when given, returns the current time as
-- seconds since the epoch (like os.time()); it lets tests fix "today".
function M.today(clock)
  return M.format(M.today_number(clock))
end

--- Today (UTC) as a day number, as parse gives it.
function M.today_number(clock)
  local t = clock and clock() or os.time()
  return floor(t / 86400)
end

---------------------------------------------------------------- ranges

local Range = {}
Range.__index = Range
Range.__name = "pinanalytics.Range"

local function make_range(a, b)
  return setmetatable({ start_date = M.format(a), end_date = M.format(b), _a = a, _b = b }, Range)
end

--- A range of UTC dates, both ends included: range("2026-10-01", "2026-10-31").
-- Raises when a date is invalid or start_date is after end_date.
function M.range(a, b)
  local an, bn = daynum(a, "start_date"), daynum(b, "end_date")
  if an > bn then
    error(string.format("pinanalytics.dates.range: start_date %s is after end_date %s", M.format(an),
      M.format(bn)), 2)
  end
  return make_range(an, bn)
end

--- True when x is a range made by M.range (or one of its methods).
function M.is_range(x)
  return getmetatable(x) == Range
end

function Range:__tostring()
  return self.start_date .. ".." .. self.end_date
end

function Range.__eq(a, b)
  return a._a == b._a and a._b == b._b
end

--- Number of days, both ends included.
function Range:length()
  return self._b - self._a + 1
end

--- Does the range contain the date?
function Range:contains(d)
  local n = daynum(d)
  return n >= self._a and n <= self._b
end

--- for date in r:days() do ... end  (date strings, in order)
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

--- for week in r:weeks() do ... end: ISO weeks, Monday to Sunday, the first
-- and last clipped to the range.
function Range:weeks()
  return pieces(self, function(n) return n + (7 - ((n + 3) % 7 + 1)) end)
end

--- for month in r:months() do ... end: calendar months, clipped to the range.
function Range:months()
  return pieces(self, function(n)
    local y, m = civil_from_days(n)
    return days_from_civil(y, m, M.days_in_month(y, m))
  end)
end

--- for w in r:windows(91) do ... end: sub-ranges of at most n days, in
-- order, covering the range exactly. 91 is the most one Pinterest request
-- may span (end_date at most 90 days after start_date, both ends included:
-- pinanalytics.pinterest.MAX_WINDOW_DAYS).
function Range:windows(n)
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("pinanalytics.dates: windows(n) needs a whole number of days >= 1, got " .. tostring(n), 2)
  end
  return pieces(self, function(a) return a + n - 1 end)
end

--- The range of the same length that ends the day before this one starts.
function Range:previous()
  local len = self:length()
  return make_range(self._a - len, self._a - 1)
end

--- The part of the range on or after `earliest` (a date); nil when nothing
-- is left. Second value: the dropped part as a range, or nil.
function Range:clip_start(earliest)
  local e = daynum(earliest)
  if e <= self._a then return self, nil end
  if e > self._b then return nil, self end
  return make_range(e, self._b), make_range(self._a, e - 1)
end

--- The n days that end yesterday (UTC).
-- Yesterday, not today: today's UTC day is not over, so its numbers are
-- partial (Pinterest marks it PROCESSING) and OneUp refuses end dates after
-- yesterday. Pass { include_today = true } to end today instead.
-- opts.clock: as for M.today.
function M.last(n, opts)
  if type(n) ~= "number" or n < 1 or n ~= floor(n) then
    error("pinanalytics.dates.last: n must be a whole number of days >= 1, got " .. tostring(n), 2)
  end
  opts = opts or {}
  local today = daynum(M.today(opts.clock))
  local e = opts.include_today and today or today - 1
  return make_range(e - n + 1, e)
end

M.PRESETS = { "last_7_days", "last_30_days", "last_90_days", "this_month", "last_month" }

--- What a `range =` parameter may be: a range, or a preset name.
-- Returns the range, or nil and why not.
function M.resolve(r, opts)
  if M.is_range(r) then return r end
  if type(r) == "string" then
    local ok, made = pcall(M.preset, r, opts)
    if ok then return made end
    return nil, string.format("range = %q is not a preset (allowed: %s, or pinanalytics.dates.range(a, b))", r,
      table.concat(M.PRESETS, ", "))
  end
  return nil, "range must be a pinanalytics.dates range or a preset name, got " .. tostring(r) ..
    " (" .. type(r) .. ")"
end

--- A named range:
--   last_7_days, last_30_days, last_90_days  the N days ending yesterday (M.last)
--   this_month   the 1st of this month to today (month to date; today partial)
--   last_month   the whole previous calendar month
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
