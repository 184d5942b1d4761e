--- Deterministic data for the simulator: what it answers, computed.
--
-- Pure functions of (id, date, app type): the same numbers every time, in
-- Lua 5.1/LuaJIT (where numbers are doubles) and in 5.3+ (integers), so that
-- a test can compute what the simulator must have answered. Every
-- intermediate stays below 2^52; no bit operations, no integer overflow.
-- @usage
-- local data = require "pinanalytics.simulator.data"
-- local want = data.pin_analytics("813744226420795884",
--   { start_date = "2026-10-01", end_date = "2026-10-30", metric_types = { "IMPRESSION" } }, sim_today)
local M = {}

local floor = math.floor

-- dates ---------------------------------------------------------------------

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

--- Day number -> "YYYY-MM-DD".
function M.format_date(n)
  local y, m, d = civil_from_days(n)
  return string.format("%04d-%02d-%02d", y, m, d)
end

--- The date k days after s ("YYYY-MM-DD").
function M.add_days(s, k)
  return M.format_date(M.parse_date(s) + k)
end

-- hashing -------------------------------------------------------------------

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

-- pin metrics ---------------------------------------------------------------

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

--- A pin's lifetime metrics: `{ TOTAL_COMMENTS, TOTAL_REACTIONS }`.
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

-- the account ---------------------------------------------------------------

-- The account behind GET /v5/user_account and the list endpoints: pins_count
-- pins (default 60) on boards_count boards (default 3), pin i on board
-- (i - 1) % boards_count + 1.
M.PINS_COUNT = 60
M.BOARDS_COUNT = 3

--- The id of the account's pin number i.
function M.pin_id_of(i) return "9000" .. string.format("%014d", i * 7919) end

--- The id of the account's board number i.
function M.board_id_of(i) return "5000" .. string.format("%014d", i * 104729) end

M.SECTIONS = 2 -- sections per board

--- The id of section k of board number `board`.
function M.section_id_of(board, k) return "5100" .. string.format("%014d", board * 1000 + k) end

--- The id of ad account number i.
function M.ad_account_id_of(i) return "5490" .. string.format("%014d", i * 31337) end

-- What the pins are about: pin i is about SUBJECTS[(i - 1) % #SUBJECTS + 1].
local SUBJECTS = { "Lemon tart", "Linen napkins", "Balcony garden", "Autumn wreath", "Cold brew coffee",
  "Reading nook", "Sourdough starter" }

--- What pin number i is, as GET /v5/pins/{id} tells it: `{ title,
-- description, link, image_url }`. Every fifth pin has no title (an empty
-- one, as Pinterest sends it) but a description; the others have both.
function M.pin_info(i)
  local subject = SUBJECTS[(i - 1) % #SUBJECTS + 1]
  local id = M.pin_id_of(i)
  return {
    title = i % 5 == 0 and "" or (subject .. " #" .. i),
    description = subject .. ", idea number " .. i .. ": what we made, what it took, and what we would do " ..
      "differently next time.",
    link = "https://example.com/ideas/" .. i,
    image_url = "https://i.pinimg.com/150x150/" .. id:sub(-2) .. "/" .. id .. ".jpg",
  }
end

--- The name of the account's board number b.
function M.board_name_of(b)
  return "Simulated board " .. b
end

--- The ids of the account's pins, in the order /v5/pins lists them.
function M.account_pins(pins_count)
  local out = {}
  for i = 1, pins_count or M.PINS_COUNT do out[i] = M.pin_id_of(i) end
  return out
end

-- What the account's figures are made of, like a real account's: its own
-- pins (every pin /v5/pins lists, their own figures summed) and other
-- people's pins of its content, one pseudo pin per organic format. Each part
-- has its value for the three split dimensions, so that a filter or a split
-- takes whole parts and the splits of a total add up to it.
local PARTS = {
  { key = "pins", source = "YOUR_PINS", owned = "CLAIMED", format = "ORGANIC_IMAGE" },
  { key = "account|other|ORGANIC_IMAGE", source = "OTHER_PINS", owned = "OTHER", format = "ORGANIC_IMAGE" },
  { key = "account|other|ORGANIC_PRODUCT", source = "OTHER_PINS", owned = "OTHER", format = "ORGANIC_PRODUCT" },
  { key = "account|other|ORGANIC_VIDEO", source = "OTHER_PINS", owned = "OTHER", format = "ORGANIC_VIDEO" },
}
M.ACCOUNT_SPLITS = {
  APP_TYPE = { "MOBILE", "TABLET", "WEB" },
  OWNED_CONTENT = { "OTHER", "CLAIMED" },
  SOURCE = { "YOUR_PINS", "OTHER_PINS" },
  PIN_FORMAT = { "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO" },
}
-- the pin counts an account metric is made of (ENGAGEMENT is their sum but IMPRESSION)
local PARTS_COUNTS = { "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "TOTAL_COMMENTS", "TOTAL_REACTIONS" }
M.ACCOUNT_COUNTS = { "ENGAGEMENT", "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE" }
M.ACCOUNT_METRICS = {
  "ENGAGEMENT", "ENGAGEMENT_RATE", "IMPRESSION", "OUTBOUND_CLICK", "OUTBOUND_CLICK_RATE", "PIN_CLICK",
  "PIN_CLICK_RATE", "SAVE", "SAVE_RATE",
}

-- The own pins' sum for one day is the costly part (pins_count pins, three
-- apps each): kept, a bounded number of days (the server asks for the same
-- days again and again).
local pins_cache, pins_cached = {}, 0

local function pins_daily(date, app, today, n)
  local future = today and M.parse_date(date) > M.parse_date(today)
  local key = n .. "|" .. date .. "|" .. app
  local hit = not future and pins_cache[key]
  if hit then return hit end
  local m = {}
  for _, k in ipairs(PARTS_COUNTS) do m[k] = 0 end
  if not future then
    for i = 1, n do
      local d = M.daily(M.pin_id_of(i), date, app)
      for _, k in ipairs(PARTS_COUNTS) do m[k] = m[k] + d[k] end
    end
    if pins_cached >= 5000 then pins_cache, pins_cached = {}, 0 end
    pins_cache[key], pins_cached = m, pins_cached + 1
  end
  return m
end

local function rates(m)
  local imp = m.IMPRESSION
  m.ENGAGEMENT_RATE = imp > 0 and m.ENGAGEMENT / imp or 0
  m.OUTBOUND_CLICK_RATE = imp > 0 and m.OUTBOUND_CLICK / imp or 0
  m.PIN_CLICK_RATE = imp > 0 and m.PIN_CLICK / imp or 0
  m.SAVE_RATE = imp > 0 and m.SAVE / imp or 0
  return m
end

local function wanted(part, o)
  if o.content_type == "PAID" then return false end -- the account runs no ads
  return (o.source == nil or o.source == "ALL" or o.source == part.source)
    and (o.from_claimed_content == nil or o.from_claimed_content == "BOTH" or o.from_claimed_content == part.owned)
    and (o.pin_format == nil or o.pin_format == "ALL" or o.pin_format == part.format)
end

--- The account's metrics for one day (GET /v5/user_account/analytics):
-- counts (ENGAGEMENT = saves + pin clicks + outbound clicks + reactions +
-- comments) and the rates computed from them. o (all optional):
-- app_types ("ALL"), today (days after it are zeros), pins_count, and the
-- filters source, from_claimed_content, pin_format, content_type.
function M.account_daily(date, o)
  o = o or {}
  local app = o.app_types or "ALL"
  local m = {}
  for _, k in ipairs(PARTS_COUNTS) do m[k] = 0 end
  for _, part in ipairs(PARTS) do
    if wanted(part, o) then
      local d
      if part.key == "pins" then
        d = pins_daily(date, app, o.today, o.pins_count or M.PINS_COUNT)
      else
        d = M.daily(part.key, date, app, o.today)
      end
      for _, k in ipairs(PARTS_COUNTS) do m[k] = m[k] + d[k] end
    end
  end
  m.ENGAGEMENT = m.SAVE + m.PIN_CLICK + m.OUTBOUND_CLICK + m.TOTAL_REACTIONS + m.TOTAL_COMMENTS
  m.TOTAL_COMMENTS, m.TOTAL_REACTIONS = nil, nil
  return rates(m)
end

local function account_group(q, o, today)
  local daily, sum = {}, {}
  for _, k in ipairs(M.ACCOUNT_COUNTS) do sum[k] = 0 end
  o.today = today
  for n = M.parse_date(q.start_date), M.parse_date(q.end_date) do
    local date = M.format_date(n)
    local m = M.account_daily(date, o)
    daily[#daily + 1] = { date = date, data_status = M.status(date, today), metrics = pick(m, q.metric_types) }
    for _, k in ipairs(M.ACCOUNT_COUNTS) do sum[k] = sum[k] + m[k] end
  end
  return { daily_metrics = daily, summary_metrics = pick(rates(sum), q.metric_types) }
end

--- The username of the account (the one behind the simulator's own tokens).
M.ACCOUNT_USERNAME = "simulated_account"

--- The id of an account of the simulator by its username: `ACCOUNT_ID` for
-- "simulated_account" (or nil), else digits from the name.
function M.account_id_of(username)
  if username == nil or username == M.ACCOUNT_USERNAME then return M.ACCOUNT_ID end
  return "7100" .. string.format("%014d", M.hash("account|id|" .. username) % 100000000)
end

--- The 200 answer of GET /v5/user_account/analytics for a validated query
-- q = {start_date, end_date, metric_types (default: all), app_types,
-- split_field, source, from_claimed_content, pin_format, content_type,
-- pins_count}.
function M.user_account_analytics(q, today)
  q = {
    start_date = q.start_date, end_date = q.end_date, metric_types = q.metric_types or M.ACCOUNT_METRICS,
    app_types = q.app_types or "ALL", split_field = q.split_field or "NO_SPLIT", source = q.source,
    from_claimed_content = q.from_claimed_content, pin_format = q.pin_format, content_type = q.content_type,
    pins_count = q.pins_count,
  }
  local function opts(extra)
    local o = { app_types = q.app_types, pins_count = q.pins_count, source = q.source,
      from_claimed_content = q.from_claimed_content, pin_format = q.pin_format, content_type = q.content_type }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end
  if q.split_field == "NO_SPLIT" then return { all = account_group(q, opts(), today) } end
  local dim = ({ SOURCE = "source", OWNED_CONTENT = "from_claimed_content", PIN_FORMAT = "pin_format" })[q.split_field]
  local out = {}
  for _, v in ipairs(M.ACCOUNT_SPLITS[q.split_field]) do
    if q.split_field == "APP_TYPE" then
      if q.app_types == "ALL" or q.app_types == v then out[v] = account_group(q, opts { app_types = v }, today) end
    elseif q[dim] == nil or q[dim] == "ALL" or q[dim] == "BOTH" or q[dim] == v then
      out[v] = account_group(q, opts { [dim] = v }, today)
    end
  end
  return out
end

--- The id of the account.
M.ACCOUNT_ID = "7000" .. string.format("%014d", M.hash("account|id") % 100000000)

--- The username of the account (the one behind the simulator's own tokens).
M.ACCOUNT_USERNAME = "simulated_account"

--- The id of an account of the simulator by its username: `ACCOUNT_ID` for
-- "simulated_account" (or nil), else digits from the name.
function M.account_id_of(username)
  if username == nil or username == M.ACCOUNT_USERNAME then return M.ACCOUNT_ID end
  return "7100" .. string.format("%014d", M.hash("account|id|" .. username) % 100000000)
end

--- The 200 answer of GET /v5/user_account (the official schema's Account).
-- monthly_views: the account's impressions over the 30 days before today.
-- o: pins_count, boards_count, username (another account of the simulator:
-- its own id, `account_id_of(username)`; default "simulated_account").
function M.user_account(today, o)
  o = o or {}
  local n = o.pins_count or M.PINS_COUNT
  local views = 0
  for k = 1, 30 do
    views = views + M.account_daily(M.add_days(today, -k), { pins_count = n, today = today }).IMPRESSION
  end
  return {
    id = M.account_id_of(o.username),
    username = o.username or M.ACCOUNT_USERNAME, account_type = "BUSINESS", business_name = "Simulated Business",
    about = "A simulated Pinterest business account.", website_url = "https://example.com",
    profile_image = "https://i.pinimg.com/600x600_R/sim/account.jpg",
    board_count = o.boards_count or M.BOARDS_COUNT, pin_count = n,
    follower_count = 1000 + M.hash("account|followers") % 9000,
    following_count = 10 + M.hash("account|following") % 400,
    monthly_views = views,
  }
end

-- OneUp ---------------------------------------------------------------------

-- A OneUp account (social_network_id) publishes one or two posts a day.
-- A post's figures in a period count from the day it was published; the
-- account's figures are its posts' plus those of everything it published
-- before (the pseudo post "oneup|<id>"), so its posts never add up to more.
M.ONEUP_STATS = { "impressions", "saves", "comments", "repins", "clicks" }

-- One post's figures over s..e (five hashes a day: OneUp's figures are
-- asked for 90 days of posts at a time).
local function oneup_stats(key, s, e)
  local t = { impressions = 0, saves = 0, comments = 0, repins = 0, clicks = 0 }
  for n = M.parse_date(s), M.parse_date(e) do
    local k = key .. "|" .. n .. "|"
    local imp = rnd(k .. "imp", 20, 600)
    t.impressions = t.impressions + imp
    t.saves = t.saves + rnd(k .. "save", 0, floor(imp / 8))
    t.comments = t.comments + rnd(k .. "comments", 0, 2)
    t.repins = t.repins + rnd(k .. "repins", 0, 3)
    t.clicks = t.clicks + rnd(k .. "clicks", 0, floor(imp / 5))
  end
  return t
end

--- The posts published from s to e (dates), with their figures up to e, in
-- order of publication.
function M.oneup_posts(id, s, e)
  id = tostring(id)
  local posts = {}
  for n = M.parse_date(s), M.parse_date(e) do
    local date = M.format_date(n)
    for k = 1, 1 + M.hash("oneup|" .. id .. "|" .. date .. "|posts") % 2 do
      local pid = id .. date:gsub("%-", "") .. k
      local i = #posts + 1
      posts[i] = {
        id = "pin_" .. pid, page_id = "pinterest_account_" .. id, format = "image", text = "Simulated pin " .. pid,
        permalink = "https://pinterest.com/pin/" .. pid, media_type = "IMAGE",
        media_url = "https://example.com/pin" .. pid .. ".jpg",
        stats = oneup_stats("oneup-post|" .. pid, date, e),
        timestamp = date .. string.format(" %02d:00:00", 6 + 5 * k),
      }
    end
  end
  return posts
end

--- The account's figures for s..e: posts published and the metrics.
function M.oneup_totals(id, s, e)
  id = tostring(id)
  local t = oneup_stats("oneup|" .. id, s, e)
  local posts = M.oneup_posts(id, s, e)
  for _, p in ipairs(posts) do
    for _, k in ipairs(M.ONEUP_STATS) do t[k] = t[k] + p.stats[k] end
  end
  t.posts = #posts
  return t
end

--- A OneUp account's followers.
function M.oneup_followers(id)
  return 1000 + M.hash(tostring(id)) % 9000
end

return M
