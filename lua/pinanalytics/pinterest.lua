--- Pinterest REST API v5 client: organic analytics.
--
--   local pin = require("pinanalytics").pinterest{ token = "..." }
--   local res, err = pin:pin_analytics("813744226420795884", {
--     start_date = "2026-10-01", end_date = "2026-10-30",
--     metric_types = { "IMPRESSION", "SAVE" } })
--
-- Arguments are checked before anything is sent: a programmer error raises
-- with a message naming the method, the parameter, the value given and what
-- is allowed. Run-time failures return nil, err (pinanalytics.errors).
local core = require "pinanalytics.core"
local dates = require "pinanalytics.dates"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local schema = require "pinanalytics.schema"

local M = {}

M.DEFAULT_BASE_URL = "https://api.pinterest.com/v5"

--- How far back start_date may be, and how long a range may be (days).
M.MAX_LOOKBACK_DAYS = 90
M.MAX_RANGE_DAYS = 90

--- Metric types of GET /pins/{pin_id}/analytics: the standard list and the
-- video list of the API's description (a request may mix them).
M.PIN_METRICS_STANDARD = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS",
  "TOTAL_REACTIONS", "USER_FOLLOW", "PROFILE_VISIT",
}
M.PIN_METRICS_VIDEO = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "VIDEO_MRC_VIEW",
  "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW", "VIDEO_V50_WATCH_TIME", "VIDEO_START",
  "VIDEO_AVG_WATCH_TIME", "TOTAL_COMMENTS", "TOTAL_REACTIONS",
}
M.APP_TYPES = { "ALL", "MOBILE", "TABLET", "WEB" }
M.PIN_SPLIT_FIELDS = { "NO_SPLIT", "APP_TYPE" }

-- ordered union of the two metric lists
local PIN_METRICS = {}
do
  local seen = {}
  for _, list in ipairs({ M.PIN_METRICS_STANDARD, M.PIN_METRICS_VIDEO }) do
    for _, m in ipairs(list) do
      if not seen[m] then seen[m] = true; PIN_METRICS[#PIN_METRICS + 1] = m end
    end
  end
end
M.PIN_METRICS = PIN_METRICS

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

---------------------------------------------------------------- argument checks

local function fail(fn, fmt, ...)
  error("pinanalytics.pinterest:" .. fn .. ": " .. string.format(fmt, ...), 0)
end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v) .. " (" .. type(v) .. ")"
end

local function check_digits(fn, name, v, maxlen)
  if type(v) ~= "string" or not v:match("^%d+$") or (maxlen and #v > maxlen) then
    fail(fn, "%s must be a string of digits%s, got %s", name,
      maxlen and (" (at most " .. maxlen .. ")") or "", show(v))
  end
  return v
end

local function check_enum(fn, name, v, allowed)
  if v == nil then return nil end
  if type(v) ~= "string" or not set_of(allowed)[v] then
    fail(fn, "%s = %s is not allowed (allowed: %s)", name, show(v), table.concat(allowed, ", "))
  end
  return v
end

--- metric_types: a non-empty array of names (or one comma-separated string),
-- duplicates dropped, returned as the comma-separated wire value.
local function check_metrics(fn, v, allowed, required)
  if v == nil then
    if required then
      fail(fn, "metric_types is required (a non-empty array; allowed: %s)", table.concat(allowed, ", "))
    end
    return nil
  end
  local list = v
  if type(v) == "string" then
    list = {}
    for m in v:gmatch("[^,]+") do list[#list + 1] = m end
  elseif type(v) ~= "table" then
    fail(fn, "metric_types must be an array of metric names, got %s", show(v))
  end
  if #list == 0 then
    fail(fn, "metric_types must not be empty (allowed: %s)", table.concat(allowed, ", "))
  end
  local ok, seen, out = set_of(allowed), {}, {}
  for i = 1, #list do
    local m = list[i]
    if not ok[m] then
      fail(fn, "metric_types[%d] = %s is not allowed (allowed: %s)", i, show(m), table.concat(allowed, ", "))
    end
    if not seen[m] then seen[m] = true; out[#out + 1] = m end
  end
  return table.concat(out, ",")
end

--- start_date/end_date against Pinterest's rules; returns both strings.
local function check_dates(self, fn, p)
  local s, e = p.start_date, p.end_date
  if s == nil then fail(fn, "start_date is required (a UTC date YYYY-MM-DD)") end
  if e == nil then fail(fn, "end_date is required (a UTC date YYYY-MM-DD)") end
  local sn, why = dates.parse(s)
  if not sn then fail(fn, "start_date = %s is not a valid date: %s (expected a real calendar date YYYY-MM-DD)", show(s), why) end
  local en
  en, why = dates.parse(e)
  if not en then fail(fn, "end_date = %s is not a valid date: %s (expected a real calendar date YYYY-MM-DD)", show(e), why) end
  if sn > en then
    fail(fn, "start_date %s is after end_date %s (allowed: start_date <= end_date)", s, e)
  end
  if en - sn > M.MAX_RANGE_DAYS then
    fail(fn, "end_date %s is %d days after start_date %s (allowed: at most %d; split longer ranges)",
      e, en - sn, s, M.MAX_RANGE_DAYS)
  end
  local today = dates.parse(dates.today(self.clock))
  if today - sn > M.MAX_LOOKBACK_DAYS then
    fail(fn, "start_date %s is %d days before today (%s UTC) (allowed: at most %d; earliest allowed date: %s)",
      s, today - sn, dates.format(today), M.MAX_LOOKBACK_DAYS, dates.format(today - M.MAX_LOOKBACK_DAYS))
  end
  return s, e
end

local function check_params(fn, p, known)
  if p == nil then fail(fn, "params is required (a table)") end
  if type(p) ~= "table" then fail(fn, "params must be a table, got %s", show(p)) end
  for k in pairs(p) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown parameter %s (known: %s)", show(k), table.concat(names, ", "))
    end
  end
end

---------------------------------------------------------------- the client

local Client = {}
Client.__index = Client
Client.__name = "pinanalytics.Pinterest"

local CLIENT_OPTIONS = {
  token = "string", base_url = "string", timeout = "number", connect_timeout = "number",
  max_body = "number", tls_verify = "boolean", ca_file = "string", user_agent = "string",
  clock = "function",
}

--- pinanalytics.pinterest{ token = ..., base_url = ..., timeout = 30,
--   connect_timeout = 10, max_body = 64 MiB, tls_verify = true, ca_file = nil,
--   user_agent = nil, clock = os.time }
function M.new(opts)
  local fn = "new"
  if type(opts) ~= "table" then fail(fn, "options must be a table, got %s", show(opts)) end
  for k, v in pairs(opts) do
    local want = CLIENT_OPTIONS[k]
    if not want then
      local names = {}
      for n in pairs(CLIENT_OPTIONS) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown option %s (known: %s)", show(k), table.concat(names, ", "))
    end
    if type(v) ~= want then
      -- never echo a token value
      fail(fn, "option %s must be a %s, got a %s", k, want, type(v))
    end
  end
  if opts.token == nil or opts.token == "" then
    fail(fn, "option token is required (an access token; for example os.getenv(\"PINTEREST_ACCESS_TOKEN\"))")
  end
  if opts.token:find("[%c ]") then
    fail(fn, "option token contains spaces or control characters")
  end
  local base = opts.base_url or M.DEFAULT_BASE_URL
  if not base:match("^https?://[^/]+") then
    fail(fn, "option base_url = %s must start with http:// or https://", show(base))
  end
  base = base:gsub("/+$", "")
  for _, k in ipairs({ "timeout", "connect_timeout", "max_body" }) do
    if opts[k] ~= nil and (opts[k] ~= opts[k] or opts[k] <= 0) then
      fail(fn, "option %s must be > 0, got %s", k, tostring(opts[k]))
    end
  end
  local ua = "pinanalytics/" .. core.version .. " (" .. _VERSION .. ")"
  if opts.user_agent then ua = opts.user_agent .. " " .. ua end
  local self = setmetatable({
    base_url = base,
    clock = opts.clock,
    secrets = { opts.token },
  }, Client)
  self.session = core.session {
    base_url = base, token = opts.token, user_agent = ua, timeout = opts.timeout,
    connect_timeout = opts.connect_timeout, max_body = opts.max_body,
    tls_verify = opts.tls_verify, ca_file = opts.ca_file,
  }
  return self
end

function Client:__tostring()
  return "pinanalytics.pinterest (" .. self.base_url .. ")"
end

--- Releases the connection. Idempotent; the client is unusable afterwards.
function Client:close()
  self.session:close()
end
Client.__close = Client.close

--- GET base_url .. path with the query pairs; true, body, meta | false, err.
function Client:_get(path, query, endpoint)
  return http.perform(self.session, path .. http.query(query or {}), {
    secrets = self.secrets, endpoint = "GET " .. (endpoint or path),
  })
end

local PIN_ANALYTICS_PARAMS = set_of({
  "start_date", "end_date", "metric_types", "app_types", "split_field", "ad_account_id",
})

--- GET /pins/{pin_id}/analytics.
-- params: start_date, end_date (UTC YYYY-MM-DD, at most 90 days apart,
-- start_date at most 90 days back), metric_types (required), app_types,
-- split_field, ad_account_id.
-- Returns the answer as a table keyed by split ("all" without a split), each
-- {daily_metrics = {...}, summary_metrics = {...}, lifetime_metrics = {...}},
-- or nil, err.
function Client:pin_analytics(pin_id, params)
  local fn = "pin_analytics"
  check_digits(fn, "pin_id", pin_id)
  check_params(fn, params, PIN_ANALYTICS_PARAMS)
  local s, e = check_dates(self, fn, params)
  local metrics = check_metrics(fn, params.metric_types, PIN_METRICS, true)
  local q = { { "start_date", s }, { "end_date", e }, { "metric_types", metrics } }
  local app = check_enum(fn, "app_types", params.app_types, M.APP_TYPES)
  if app then q[#q + 1] = { "app_types", app } end
  local split = check_enum(fn, "split_field", params.split_field, M.PIN_SPLIT_FIELDS)
  if split then q[#q + 1] = { "split_field", split } end
  if params.ad_account_id ~= nil then
    q[#q + 1] = { "ad_account_id", check_digits(fn, "ad_account_id", params.ad_account_id, 18) }
  end
  local path = "/pins/" .. pin_id .. "/analytics"
  local ok, body, meta = self:_get(path, q)
  if not ok then return nil, body end
  local where, why
  ok, where, why = schema.pin_analytics(body)
  if not ok then
    return nil, errors.new({
      kind = "invalid_response", status = meta.status, request_id = meta.request_id,
      endpoint = "GET " .. path, path = where, body = body,
      message = "the answer does not have the documented shape: " .. where .. " " .. why,
    }, self.secrets)
  end
  return body
end

return M
