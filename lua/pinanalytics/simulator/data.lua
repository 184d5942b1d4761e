--- Deterministic data for the simulator.
--
-- Pure functions of (id, date, app type): the same numbers every time, in
-- Lua 5.1/LuaJIT (where numbers are doubles) and in 5.3+ (integers), so that
-- specs can compute what the simulator must have answered. Every
-- intermediate stays below 2^52; no bit operations, no integer overflow.
local M = {}

local floor = math.floor

---------------------------------------------------------------- dates

local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = floor((153 * mp + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m, d
end

local MDAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

--- "YYYY-MM-DD" -> day number, or nil when it is not a real date.
function M.parse_date(s)
  if type(s) ~= "string" then return nil end
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  if not y then return nil end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if m < 1 or m > 12 or d < 1 then return nil end
  local leap = (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
  local max = (m == 2 and leap) and 29 or MDAYS[m]
  if d > max then return nil end
  return days_from_civil(y, m, d)
end

function M.format_date(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

function M.add_days(s, k)
  return M.format_date(M.parse_date(s) + k)
end

---------------------------------------------------------------- hashing

local P = 2147483647 -- 2^31 - 1

--- A hash of a string in 0 .. 2^31-2, identical on every Lua.
-- Products stay below 2^48 and sums below 2^49, exact in doubles too.
function M.hash(s)
  local h = 5381
  for i = 1, #s do
    h = (h * 31 + s:byte(i)) % P
  end
  -- extra mixing: multiplicative congruential steps, each folding the high
  -- bits back in (a non-linear step, so that keys sharing a prefix do not
  -- give related numbers)
  for _ = 1, 3 do
    h = (h * 48271 + floor(h / 65536) * 16807 + 12345) % P
  end
  return h
end

local function rnd(key, lo, hi)
  return lo + M.hash(key) % (hi - lo + 1)
end

---------------------------------------------------------------- pin metrics

M.APPS = { "MOBILE", "TABLET", "WEB" }
M.PIN_METRICS = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS", "TOTAL_REACTIONS",
  "USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW",
  "VIDEO_V50_WATCH_TIME", "VIDEO_START", "VIDEO_AVG_WATCH_TIME",
}
local COUNTS = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "TOTAL_COMMENTS", "TOTAL_REACTIONS", "USER_FOLLOW",
  "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME",
  "VIDEO_START",
}
M.COUNTS = COUNTS

local APP_SCALE = { MOBILE = 5, TABLET = 1, WEB = 3 }

local function derive(m)
  m.SAVE_RATE = m.IMPRESSION > 0 and m.SAVE / m.IMPRESSION or 0
  m.VIDEO_AVG_WATCH_TIME = m.VIDEO_START > 0 and m.VIDEO_V50_WATCH_TIME / m.VIDEO_START or 0
  return m
end

--- All pin metrics of one app type on one day. Days after `today` (when
-- given) are all zeros: nothing happened yet.
function M.app_daily(pin_id, date, app, today)
  local m = {}
  if today and M.parse_date(date) > M.parse_date(today) then
    for _, k in ipairs(COUNTS) do m[k] = 0 end
    return derive(m)
  end
  local key = pin_id .. "|" .. date .. "|" .. app .. "|"
  local scale = APP_SCALE[app] or 1
  local imp = rnd(key .. "imp", 4 * scale, 80 * scale)
  m.IMPRESSION = imp
  m.SAVE = rnd(key .. "save", 0, floor(imp / 8))
  m.PIN_CLICK = rnd(key .. "click", 0, floor(imp / 5))
  m.OUTBOUND_CLICK = rnd(key .. "out", 0, floor(imp / 10))
  m.USER_FOLLOW = rnd(key .. "follow", 0, 2)
  m.PROFILE_VISIT = rnd(key .. "visit", 0, 4)
  m.TOTAL_COMMENTS = rnd(key .. "comments", 0, 1)
  m.TOTAL_REACTIONS = rnd(key .. "reactions", 0, 3)
  local starts = rnd(key .. "vstart", 0, floor(imp / 3))
  m.VIDEO_START = starts
  m.VIDEO_MRC_VIEW = rnd(key .. "mrc", 0, starts)
  m.VIDEO_10S_VIEW = rnd(key .. "v10", 0, starts)
  m.QUARTILE_95_PERCENT_VIEW = rnd(key .. "q95", 0, starts)
  m.VIDEO_V50_WATCH_TIME = starts * rnd(key .. "wt", 800, 9000)
  return derive(m)
end

--- One day for app_types ("ALL" = the sum over the three apps).
function M.daily(pin_id, date, app_types, today)
  app_types = app_types or "ALL"
  if app_types ~= "ALL" then return M.app_daily(pin_id, date, app_types, today) end
  local m = {}
  for _, k in ipairs(COUNTS) do m[k] = 0 end
  for _, app in ipairs(M.APPS) do
    local a = M.app_daily(pin_id, date, app, today)
    for _, k in ipairs(COUNTS) do m[k] = m[k] + a[k] end
  end
  return derive(m)
end

--- Metrics over start..end: counts summed, rates from the sums.
function M.summary(pin_id, start_date, end_date, app_types, today)
  local m = {}
  for _, k in ipairs(COUNTS) do m[k] = 0 end
  for n = M.parse_date(start_date), M.parse_date(end_date) do
    local d = M.daily(pin_id, M.format_date(n), app_types, today)
    for _, k in ipairs(COUNTS) do m[k] = m[k] + d[k] end
  end
  return derive(m)
end

function M.lifetime(pin_id)
  return {
    TOTAL_COMMENTS = rnd(pin_id .. "|life|comments", 0, 40),
    TOTAL_REACTIONS = rnd(pin_id .. "|life|reactions", 0, 120),
  }
end

--- data_status of a day, seen on `today`.
function M.status(date, today)
  local age = M.parse_date(today) - M.parse_date(date)
  if age <= 1 then return "PROCESSING" end
  if age == 2 then return "ESTIMATE" end
  return "READY"
end

local function pick(all, names)
  local out = {}
  for _, k in ipairs(names) do
    if all[k] ~= nil then out[k] = all[k] end
  end
  return out
end

--- One metrics response {daily_metrics, summary_metrics, lifetime_metrics}.
function M.metrics_response(id, q, today, app)
  local daily = {}
  local s, e = M.parse_date(q.start_date), M.parse_date(q.end_date)
  for n = s, e do
    local date = M.format_date(n)
    daily[#daily + 1] = {
      date = date,
      data_status = M.status(date, today),
      metrics = pick(M.daily(id, date, app, today), q.metric_types),
    }
  end
  return {
    daily_metrics = daily,
    summary_metrics = pick(M.summary(id, q.start_date, q.end_date, app, today), q.metric_types),
    lifetime_metrics = M.lifetime(id),
  }
end

--- The 200 answer of GET /pins/{id}/analytics for a validated query
-- q = {start_date, end_date, metric_types = {...}, app_types, split_field}.
function M.pin_analytics(pin_id, q, today)
  local app = q.app_types or "ALL"
  if q.split_field == "APP_TYPE" then
    local out = {}
    for _, a in ipairs(M.APPS) do
      if app == "ALL" or app == a then out[a] = M.metrics_response(pin_id, q, today, a) end
    end
    return out
  end
  return { all = M.metrics_response(pin_id, q, today, app) }
end

return M
