--- Shape checks for decoded answers.
--
-- An answer whose parts are not of the documented types is never passed on
-- as data: the check names the JSON path of the first bad field (keys are
-- visited in sorted order, so "first" is stable) and what was expected.
-- These are the Lua half of check.c: the C walk checks and types an answer
-- while it is decoded, and when it says no these checks run on the answer
-- (then typed by the general rule) to name the field. They refuse everything
-- the walk refuses and type numbers as it does: a count is a number with
-- |v| < 2^53, an integer on 5.3+ when whole (one with a fraction stays a
-- float); a rate (*_RATE, *_rate, VIDEO_AVG_WATCH_TIME) is a float.
local core = require "pinanalytics.core"
local dates = require "pinanalytics.dates"

local M = {}

local null = core.null

--- The JSON type of a decoded value: "null", "string", "number", "boolean",
-- "array", "object", or "empty" for an empty table (JSON {} and [] decode
-- alike).
local function json_type(v)
  local t = type(v)
  if v == null then return "null" end
  if t ~= "table" then return t end
  if next(v) == nil then return "empty" end
  local n = #v
  if n > 0 then
    local count = 0
    for _ in pairs(v) do count = count + 1 end
    if count == n then return "array" end
  end
  return "object"
end
M.json_type = json_type

local function key_path(path, k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then
    return path .. "." .. k
  end
  return path .. "[" .. string.format("%q", tostring(k)) .. "]"
end
M.key_path = key_path

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end
M.sorted_keys = sorted_keys

-- Fast shape tests: cjson decodes a JSON array to keys 1..n and an object
-- to string keys, so [1] tells them apart (an empty table is either).
local function is_object(v)
  return type(v) == "table" and v ~= null and v[1] == nil
end

local function is_array(v)
  return type(v) == "table" and (v[1] ~= nil or next(v) == nil)
end

local function got(v)
  return "got " .. json_type(v)
end

local FLOAT_METRICS = { VIDEO_AVG_WATCH_TIME = true }

local floor, tointeger = math.floor, math.tointeger
local LIMIT = 2 ^ 53 -- doubles hold every integer below; a count from there on may be rounded

-- name -> true/false, remembered: the same few names come in every answer
local float_cache, n_cached = {}, 0

local function is_float_metric(name)
  local f = float_cache[name]
  if f == nil then
    f = FLOAT_METRICS[name] or (type(name) == "string" and (name:sub(-5) == "_RATE" or name:sub(-5) == "_rate")) or false
    if n_cached > 1000 then float_cache, n_cached = {}, 0 end -- a server inventing names
    float_cache[name] = f
    n_cached = n_cached + 1
  end
  return f
end
M.is_rate = function(name) return type(name) == "string" and name:sub(-5) == "_RATE" end

-- Valid date strings seen so far (answers repeat the same few hundred).
local valid_dates, n_valid = {}, 0

local function valid_date(s)
  if valid_dates[s] then return true end
  if not dates.parse(s) then return false end
  if n_valid > 10000 then valid_dates, n_valid = {}, 0 end
  valid_dates[s] = true
  n_valid = n_valid + 1
  return true
end

--- A count: the value to keep (an integer on 5.3+ when whole), or nil, why.
local function count(x)
  if type(x) ~= "number" then return nil, "expected a number (a count), " .. got(x) end
  if not (x > -LIMIT and x < LIMIT) then
    return nil, "expected a count below 2^53 in magnitude (larger ones cannot be held exactly), got " .. tostring(x)
  end
  if tointeger and x == floor(x) then return tointeger(x) end
  return x
end
M.count = count

--- An object of metric name -> number; rates become floats, counts are
-- checked as counts. The common case (all good) is one pass in any order;
-- only a bad object is walked again in sorted order, to name its first bad
-- field.
local function metrics_object(v, path)
  if not is_object(v) then return false, path, "expected an object of metric -> number, " .. got(v) end
  local bad = false
  for k, x in pairs(v) do
    if type(k) ~= "string" or type(x) ~= "number" then
      bad = true
      break
    end
    if is_float_metric(k) then
      v[k] = x + 0.0
    else
      local c = count(x)
      if c == nil then
        bad = true
        break
      end
      v[k] = c
    end
  end
  if not bad then return true end
  for _, k in ipairs(sorted_keys(v)) do
    local x = v[k]
    if type(k) ~= "string" then return false, key_path(path, k), "expected a metric name" end
    if type(x) ~= "number" then return false, key_path(path, k), "expected a number, " .. got(x) end
    if not is_float_metric(k) then
      local c, why = count(x)
      if c == nil then return false, key_path(path, k), why end
    end
  end
  return true
end
M.metrics_object = metrics_object

--- One entry of daily_metrics: {date, data_status, metrics}, each optional
-- in the official schema (DailyMetrics): a day without a date is kept but
-- cannot be placed, so it is named in warnings (when given); a missing
-- data_status or metrics is fine. A field of the wrong type is refused.
local function daily_entry(v, path, status_map, warnings, full_path)
  if not is_object(v) then return false, path, "expected an object {date, data_status, metrics}, " .. got(v) end
  local p = path .. ".date"
  if v.date == nil then
    if warnings then
      warnings[#warnings + 1] = full_path() .. ": a day without a date (kept in daily_metrics, but it cannot be " ..
        "placed on a date; frames skip it)"
    end
  else
    if type(v.date) ~= "string" then return false, p, "expected a date string YYYY-MM-DD, " .. got(v.date) end
    if not valid_date(v.date) then
      return false, p, "expected a date YYYY-MM-DD, got " .. string.format("%q", v.date)
    end
  end
  p = path .. ".data_status"
  if v.data_status == nil then -- luacheck: ignore 542
    -- optional
  elseif status_map then
    if not is_object(v.data_status) then return false, p, "expected an object of metric -> status, " .. got(v.data_status) end
  elseif type(v.data_status) ~= "string" then
    return false, p, "expected a status string (READY, PROCESSING, ...), " .. got(v.data_status)
  end
  if v.metrics == nil then return true end -- optional
  return metrics_object(v.metrics, path .. ".metrics")
end

--- {daily_metrics = [...], summary_metrics = {...}, lifetime_metrics = {...}}
-- warnings: an array to append what could not be placed to (optional).
local function metrics_response(v, path, warnings)
  if not is_object(v) then
    return false, path, "expected an object {daily_metrics, summary_metrics, lifetime_metrics}, " .. got(v)
  end
  local d = v.daily_metrics
  if d ~= nil then
    local p = path .. ".daily_metrics"
    if not is_array(d) then return false, p, "expected an array of days, " .. got(d) end
    for i = 1, #d do
      local e = d[i]
      -- the path is only built when it is needed
      local ok, where, why = daily_entry(e, "", nil, warnings, function() return p .. "[" .. (i - 1) .. "]" end)
      if not ok then return false, p .. "[" .. (i - 1) .. "]" .. where, why end
    end
  end
  for _, k in ipairs({ "summary_metrics", "lifetime_metrics" }) do
    if v[k] ~= nil then
      local ok, where, why = metrics_object(v[k], path .. "." .. k)
      if not ok then return false, where, why end
    end
  end
  return true
end
M.metrics_response = metrics_response

--- GET /pins/{pin_id}/analytics and GET /user_account/analytics: an object
-- keyed by split ("all" without a split) of metrics responses. What the
-- official schema allows but cannot be placed (a day without a date) is
-- named in a `warnings` array (JSON paths) set on that split's object, e.g.
-- body.all.warnings; path: how the body is named in them ("$" by default).
function M.pin_analytics(body, path)
  -- the walk in C answers for well-formed answers; anything else is walked
  -- here: to name the first bad field, or to accept what the schema allows
  if core.check_analytics(body) then return true end
  path = path or "$"
  if not is_object(body) then
    return false, path, "expected an object keyed by split (\"all\" without a split), " .. got(body)
  end
  local keys = {}
  for k in pairs(body) do keys[#keys + 1] = k end
  if #keys > 1 then table.sort(keys, function(a, b) return tostring(a) < tostring(b) end) end
  local found = {}
  for _, k in ipairs(keys) do
    local warnings = {}
    local ok, where, why = metrics_response(body[k], key_path(path, k), warnings)
    if not ok then return false, where, why end
    if #warnings > 0 then found[#found + 1] = { body[k], warnings } end
  end
  for _, f in ipairs(found) do f[1].warnings = f[2] end -- only once the whole answer is good
  return true
end

--- GET /user_account/analytics/top_pins and /top_video_pins:
-- {date_availability = {is_realtime, latest_available_timestamp},
--  pins = [{pin_id, metrics, data_status = {metric = status}}], sort_by}
-- (every field optional in the official schema); a pin without a pin_id is
-- kept and named in body.warnings.
function M.top_pins(body)
  if not is_object(body) then
    return false, "$", "expected an object {date_availability, pins, sort_by}, " .. got(body)
  end
  local da = body.date_availability
  if da ~= nil then
    if not is_object(da) then return false, "$.date_availability", "expected an object, " .. got(da) end
    if da.is_realtime ~= nil and type(da.is_realtime) ~= "boolean" then
      return false, "$.date_availability.is_realtime", "expected a boolean, " .. got(da.is_realtime)
    end
    local ts = da.latest_available_timestamp
    if ts ~= nil and type(ts) ~= "number" then
      return false, "$.date_availability.latest_available_timestamp", "expected a number, " .. got(ts)
    end
  end
  if body.sort_by ~= nil and type(body.sort_by) ~= "string" then
    return false, "$.sort_by", "expected a string, " .. got(body.sort_by)
  end
  local pins = body.pins
  if pins == nil then return true end
  if not is_array(pins) then return false, "$.pins", "expected an array of pins, " .. got(pins) end
  local warnings = {}
  for i = 1, #pins do
    local p, path = pins[i], "$.pins[" .. (i - 1) .. "]"
    if not is_object(p) then return false, path, "expected an object {pin_id, metrics, data_status}, " .. got(p) end
    -- pin_id and metrics are optional in the official schema
    if p.pin_id ~= nil and type(p.pin_id) ~= "string" then
      return false, path .. ".pin_id", "expected a string, " .. got(p.pin_id)
    end
    if p.pin_id == nil then warnings[#warnings + 1] = path .. ": a pin without a pin_id" end
    if p.metrics ~= nil then
      local ok, where, why = metrics_object(p.metrics, path .. ".metrics")
      if not ok then return false, where, why end
    end
    if p.data_status ~= nil then
      if not is_object(p.data_status) then
        return false, path .. ".data_status", "expected an object of metric -> status, " .. got(p.data_status)
      end
      for _, k in ipairs(sorted_keys(p.data_status)) do
        if type(p.data_status[k]) ~= "string" then
          return false, key_path(path .. ".data_status", k), "expected a status string, " .. got(p.data_status[k])
        end
      end
    end
  end
  if #warnings > 0 then body.warnings = warnings end
  return true
end

--- Optional fields of an object: list of { name, kind [, null = true] },
-- kind "string", "count" or a function(value, path, warnings) -> ok, where,
-- why. Counts are replaced by their typed value; what a field holds that
-- the description allows but cannot be used is named in warnings.
local function check_fields(v, path, list, warnings)
  for _, f in ipairs(list) do
    local name, kind = f[1], f[2]
    local x = v[name]
    if x ~= nil and not (f.null and x == null) then
      local p = path .. "." .. name
      if kind == "string" then
        if type(x) ~= "string" then return false, p, "expected a string, " .. got(x) end
      elseif kind == "count" then
        local c, why = count(x)
        if c == nil then return false, p, why end
        v[name] = c
      else
        local ok, where, why = kind(x, p, warnings)
        if not ok then return false, where, why end
      end
    end
  end
  return true
end

-- Pin.pin_metrics: the description says only "object" (its example:
-- interval ("90d", "lifetime_metrics") -> metric -> number). That part is
-- kept, typed as metrics are (a count beyond 2^53 is refused, as
-- everywhere: it cannot be held exactly); anything else in it (an interval
-- that is not an object, a metric that is not a number) is taken out and
-- named in warnings, with what it was.
local function pin_metrics(v, path, warnings)
  if not is_object(v) then return false, path, "expected an object, " .. got(v) end
  for _, k in ipairs(sorted_keys(v)) do
    local p, m = key_path(path, k), v[k]
    if not is_object(m) then
      v[k] = nil
      warnings[#warnings + 1] = p .. ": expected an object of metric -> number, " .. got(m) ..
        " (left out of pin_metrics)"
    else
      for _, name in ipairs(sorted_keys(m)) do
        local x = m[name]
        if type(x) ~= "number" then
          m[name] = nil
          warnings[#warnings + 1] = key_path(p, name) .. ": expected a number, " .. got(x) ..
            " (left out of pin_metrics)"
        elseif is_float_metric(name) then
          m[name] = x + 0.0
        else
          local c, why = count(x)
          if c == nil then return false, key_path(p, name), why end
          m[name] = c
        end
      end
    end
  end
  return true
end

local PIN_FIELDS = {
  { "id", "string" }, { "board_id", "string" }, { "board_section_id", "string", null = true },
  { "parent_pin_id", "string", null = true }, { "pin_metrics", pin_metrics, null = true },
}
local BOARD_FIELDS = {
  { "id", "string" }, { "pin_count", "count" }, { "follower_count", "count" }, { "collaborator_count", "count" },
}

-- A page of a list endpoint, {items = [...], bookmark}: checks the items.
-- A page without an items array or with a bookmark that is not a string is
-- left to the pager (pinanalytics.paginate), which names it.
local function list_of(fields, what)
  return function(page)
    if not is_object(page) or not is_array(page.items) then return true end
    local items = page.items
    for i = 1, #items do
      local item, path = items[i], "$.items[" .. (i - 1) .. "]"
      if not is_object(item) then return false, path, "expected " .. what .. " object, " .. got(item) end
      local warnings = {}
      local ok, where, why = check_fields(item, path, fields, warnings)
      if not ok then return false, where, why end
      if #warnings > 0 then item.warnings = warnings end
    end
    return true
  end
end

-- Account (v5.23.0): business_name and the counts are nullable
local ACCOUNT_FIELDS = {
  { "id", "string" }, { "username", "string" }, { "account_type", "string" },
  { "business_name", "string", null = true }, { "about", "string" }, { "profile_image", "string" },
  { "website_url", "string" }, { "board_count", "count", null = true }, { "pin_count", "count", null = true },
  { "follower_count", "count", null = true }, { "following_count", "count", null = true },
  { "monthly_views", "count", null = true },
}
local function owner(v, path)
  if not is_object(v) then return false, path, "expected an object {id, username}, " .. got(v) end
  return check_fields(v, path, { { "id", "string" }, { "username", "string" } })
end
local AD_ACCOUNT_FIELDS = {
  { "id", "string" }, { "name", "string" }, { "owner", owner }, { "country", "string" }, { "currency", "string" },
  { "created_time", "count", null = true }, { "updated_time", "count", null = true },
}
local SECTION_FIELDS = { { "id", "string" }, { "name", "string" } }

-- An object of the fields; what cannot be used is named in body.warnings.
local function object_of(fields, what)
  return function(body)
    if not is_object(body) then return false, "$", "expected " .. what .. " object, " .. got(body) end
    local warnings = {}
    local ok, where, why = check_fields(body, "$", fields, warnings)
    if not ok then return false, where, why end
    if #warnings > 0 then body.warnings = warnings end
    return true
  end
end

--- GET /pins/{pin_id}: a Pin; what its `pin_metrics` holds that is not
-- interval -> metric -> number is left out and named in `warnings`.
M.pin = object_of(PIN_FIELDS, "a pin")
--- GET /user_account: an Account.
M.user_account = object_of(ACCOUNT_FIELDS, "an account")
--- GET /ad_accounts: a page of AdAccounts.
M.ad_accounts_list = list_of(AD_ACCOUNT_FIELDS, "an ad account")
--- GET /boards/{board_id}/sections: a page of BoardSections.
M.board_sections_list = list_of(SECTION_FIELDS, "a board section")

--- GET /pins and GET /boards/{board_id}/pins: a page of Pins (an item's
-- `warnings` as for `pin`).
M.pins_list = list_of(PIN_FIELDS, "a pin")
--- GET /boards: a page of Boards.
M.boards_list = list_of(BOARD_FIELDS, "a board")

local TOKEN_FIELDS = {
  { "access_token", "string" }, { "expires_in", "count", null = true }, { "refresh_token", "string", null = true },
  { "refresh_token_expires_at", "count", null = true }, { "refresh_token_expires_in", "count", null = true },
  { "response_type", "string", null = true }, { "scope", "string", null = true },
  { "token_type", "string", null = true },
}

--- POST /oauth/token: {access_token, expires_in, refresh_token, ...}.
function M.oauth_token(body)
  if not is_object(body) then return false, "$", "expected an object {access_token, expires_in, ...}, " .. got(body) end
  return check_fields(body, "$", TOKEN_FIELDS)
end

return M
