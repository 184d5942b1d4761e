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

--- Today's date in UTC. `clock`, when given, returns the current time as
-- seconds since the epoch (like os.time()); it lets tests fix "today".
function M.today(clock)
  local t = clock and clock() or os.time()
  return M.format(floor(t / 86400))
end

return M
