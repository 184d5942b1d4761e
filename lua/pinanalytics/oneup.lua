--- OneUp's Pinterest analytics API (analyze.oneupapp.io).
--
-- The API key travels as the `apiKey` query parameter, as OneUp requires; it
-- never appears in an error, a tostring or a report (errors never carry a
-- URL's query, and every string of an error is scrubbed of it).
-- Answers come as `{success, data}`: the data is returned, `success = false` is
-- an error of kind "api" with OneUp's message; a bad key is kind "auth".
-- Each metric keeps `percentage_change` as sent ("+25.0%") and gains
-- `percentage_change_value` (that string as a number, 25.0),
-- `percentage_change_computed` (from the two period values, by OneUp's
-- formula) and `percentage_change_mismatch` (true when the two disagree
-- beyond the rounding of the string).
-- @usage
-- local one = require("pinanalytics").oneup{ api_key = os.getenv("ONEUP_API_KEY") }
-- local ov, err = one:overview{ social_network_id = 123, preset = "last_30_days" }
-- local posts, err2 = one:posts{ social_network_id = 123, start_date = "2026-10-01",
--                                end_date = "2026-10-31", timezone = "Europe/Paris" }
local check = require "pinanalytics.check"
local core = require "pinanalytics.core"
local dates = require "pinanalytics.dates"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local runtime = require "pinanalytics.runtime"
local schema = require "pinanalytics.schema"

local M = {}

--- Where the API is when `base_url` is not given.
M.DEFAULT_BASE_URL = "https://analyze.oneupapp.io"
--- The presets OneUp knows.
M.PRESETS = { "last_7_days", "last_30_days", "last_90_days" }

local fail = check.failer("pinanalytics.oneup")
local show = check.show

-- percentages ---------------------------------------------------------------

--- A change as OneUp writes it, "+25.0%", as a number.
-- @string s
-- @treturn number|nil the number (25.0); nil when s is not such a string
-- @treturn int the digits after the point in s
function M.parse_percentage(s)
  if type(s) ~= "string" then return nil end
  local sign, int, frac = s:match("^%s*([%+%-]?)(%d+)%.?(%d*)%s*%%%s*$")
  if not int then return nil end
  local v = tonumber(int .. (frac ~= "" and ("." .. frac) or ""))
  if sign == "-" then v = -v end
  return v + 0.0, #frac
end

--- A change in percent by OneUp's formula: `(current - last) / last * 100`;
-- 100 when last is 0 and current is not, 0 when both are 0.
-- @number current
-- @number last
-- @treturn number
function M.percentage_change(current, last)
  if last == 0 then
    if current == 0 then return 0.0 end
    return 100.0
  end
  return (current - last) / last * 100
end

--- A change as OneUp writes it: "+25.0%" (never "-0.0%").
-- @number v percent
-- @int[opt=1] decimals digits after the point
-- @treturn string
function M.format_percentage(v, decimals)
  decimals = decimals or 1
  local s = string.format("%." .. decimals .. "f", v)
  if s:match("^%-?0%.?0*$") then s = s:gsub("^%-", "") end -- no "-0.0%"
  if s:sub(1, 1) ~= "-" then s = "+" .. s end
  return s .. "%"
end

--- Adds `percentage_change_value`, `percentage_change_computed` and
-- `percentage_change_mismatch` to one metric object of an answer.
-- @tab m `{ key, value_current_period, value_last_period, percentage_change, ... }`
-- @treturn table m
function M.enrich_metric(m)
  local v, decimals = M.parse_percentage(m.percentage_change)
  m.percentage_change_value = v
  if type(m.value_current_period) == "number" and type(m.value_last_period) == "number" then
    local c = M.percentage_change(m.value_current_period, m.value_last_period)
    m.percentage_change_computed = c
    if v ~= nil then
      -- the string is rounded to `decimals` places
      local tolerance = 0.5 * 10 ^ -(decimals or 0) + 1e-9
      m.percentage_change_mismatch = math.abs(v - c) > tolerance
    end
  end
  return m
end

-- shapes --------------------------------------------------------------------

local function metric_list(list, path)
  local t = schema.json_type(list)
  if t ~= "array" and t ~= "empty" then return false, path, "expected an array of metrics, got " .. t end
  for i = 1, #list do
    local m, p = list[i], path .. "[" .. (i - 1) .. "]"
    local mt = schema.json_type(m)
    if mt ~= "object" then return false, p, "expected a metric object, got " .. mt end
    if type(m.key) ~= "string" then return false, p .. ".key", "expected a string, got " .. schema.json_type(m.key) end
    for _, k in ipairs({ "value_current_period", "value_last_period" }) do
      if type(m[k]) ~= "number" then return false, p .. "." .. k, "expected a number, got " .. schema.json_type(m[k]) end
    end
    if m.percentage_change ~= nil and type(m.percentage_change) ~= "string" then
      return false, p .. ".percentage_change", "expected a string like \"+25.0%\", got " ..
        schema.json_type(m.percentage_change)
    end
  end
  return true
end

local function check_overview(data)
  local t = schema.json_type(data)
  if t ~= "object" then return false, "$.data", "expected an object {metrics, ...}, got " .. t end
  local ok, where, why = metric_list(data.metrics, "$.data.metrics")
  if not ok then return false, where, why end
  if data.total_followers ~= nil and type(data.total_followers) ~= "number" then
    return false, "$.data.total_followers", "expected a number, got " .. schema.json_type(data.total_followers)
  end
  return true
end

local function is_object_or_empty(v)
  local t = schema.json_type(v)
  return t == "object" or t == "empty"
end

local function check_posts(data)
  local t = schema.json_type(data)
  if t ~= "object" then return false, "$.data", "expected an object {stats, posts}, got " .. t end
  if data.stats ~= nil then
    local ok, where, why = metric_list(data.stats, "$.data.stats")
    if not ok then return false, where, why end
  end
  local posts = data.posts
  local pt = schema.json_type(posts)
  if pt ~= "array" and pt ~= "empty" then return false, "$.data.posts", "expected an array of posts, got " .. pt end
  for i = 1, #posts do
    local p, path = posts[i], "$.data.posts[" .. (i - 1) .. "]"
    if not is_object_or_empty(p) then return false, path, "expected a post object" end
    if p.stats ~= nil then
      local ok, where, why = schema.metrics_object(p.stats, path .. ".stats")
      if not ok then return false, where, why end
    end
    if p.timestamp ~= nil and type(p.timestamp) ~= "string" then
      return false, path .. ".timestamp", "expected a string, got " .. schema.json_type(p.timestamp)
    end
  end
  return true
end

--- Checks the `data` of an overview answer against its documented shape.
-- @function check_overview
-- @tab data
-- @treturn boolean
-- @treturn[opt] string the JSON path of the first bad field
-- @treturn[opt] string what is wrong there
M.check_overview = check_overview

--- Checks the `data` of a posts answer against its documented shape.
-- @function check_posts
-- @tab data
-- @treturn boolean
-- @treturn[opt] string the JSON path of the first bad field
-- @treturn[opt] string what is wrong there
M.check_posts = check_posts

-- the client ----------------------------------------------------------------

local Client = {}
Client.__index = Client
Client.__name = "pinanalytics.OneUp"

local OPTIONS = {
  api_key = "string", base_url = "string", timeout = "number", connect_timeout = "number", max_body = "number",
  tls_verify = "boolean", ca_file = "string", user_agent = "string", clock = "function",
  allow_plain_http = "boolean", runtime = "string", transport = "string", thread_pool = "string",
}

--- A client (also `pinanalytics.oneup(opts)`). An unknown option or a value
-- of the wrong type raises.
-- @tab opts
-- @string opts.api_key required: OneUp's API key (e.g. `os.getenv("ONEUP_API_KEY")`)
-- @string[opt="https://analyze.oneupapp.io"] opts.base_url where the API is (the simulator's `sim.url`);
-- a host without a path; `https://`, or plain `http://` to a loopback host
-- @bool[opt=false] opts.allow_plain_http allow plain `http://` to any host (the key crosses the network)
-- @number[opt=30] opts.timeout seconds for a whole request
-- @number[opt=10] opts.connect_timeout seconds to establish a connection
-- @number[opt=64 MiB] opts.max_body larger responses are abandoned with kind `too_large`
-- @bool[opt=true] opts.tls_verify certificate and host verification
-- @string[opt] opts.ca_file a PEM bundle to verify against
-- @string[opt] opts.user_agent prefixed to `pinanalytics/VERSION (Lua x.y)`
-- @func[opt=os.time] opts.clock returns seconds since the epoch; decides "yesterday" (UTC)
-- @string[opt] opts.runtime "blocking", "ngx" or "uv", as for `pinanalytics.pinterest.new`
-- @string[opt] opts.transport "ngx": "cosocket" (the default) or "threads"
-- @string[opt="default"] opts.thread_pool "ngx": the nginx thread pool (transport "threads")
-- @treturn Client
function M.new(opts)
  local fn = "new"
  check.options(fail, fn, opts, OPTIONS)
  if not opts.api_key or opts.api_key == "" then
    fail(fn, "option api_key is required (for example os.getenv(\"ONEUP_API_KEY\"))")
  end
  local base = check.base_url(fail, fn, opts.base_url or M.DEFAULT_BASE_URL, opts.allow_plain_http)
  local ua = check.user_agent(fail, fn, core.version, opts.user_agent)
  local self = setmetatable({ base_url = base, clock = opts.clock, api_key = opts.api_key, secrets = {} },
    Client)
  http.add_secret(self.secrets, opts.api_key)
  local rok, rt = errors.pass_interrupt(pcall(runtime.new, opts))
  if not rok then fail(fn, "%s", rt) end
  self.rt = rt
  self.session = rt.session {
    base_url = base, user_agent = ua, timeout = opts.timeout, connect_timeout = opts.connect_timeout,
    max_body = opts.max_body, tls_verify = opts.tls_verify, ca_file = opts.ca_file,
    allow_plain_http = opts.allow_plain_http,
  }
  return self
end

--- A OneUp client, made by `new`. As with Pinterest's client, a method called
-- with a dot, or after `close`, raises.
-- @type Client

function Client:__tostring()
  return "pinanalytics.oneup (" .. self.base_url .. ")"
end

--- Releases the connection. Idempotent.
function Client:close()
  self.closed = true
  self.session:close()
end
Client.__close = Client.close

local KNOWN = { social_network_id = true, preset = true, start_date = true, end_date = true, range = true,
  timezone = true }

-- Checks params; returns the query pairs (without the key) and the period.
local function build(self, fn, p)
  if type(p) ~= "table" then fail(fn, "params must be a table, got %s", show(p)) end
  for k in pairs(p) do
    if not KNOWN[k] then
      fail(fn, "unknown parameter %s (known: end_date, preset, range, social_network_id, start_date, timezone)", show(k))
    end
  end
  local id = p.social_network_id
  if id == nil then fail(fn, "social_network_id is required") end
  if not ((type(id) == "number" and id == math.floor(id) and id > 0) or (type(id) == "string" and id:match("^%d+$"))) then
    fail(fn, "social_network_id must be a positive whole number or a string of digits, got %s", show(id))
  end
  local q = { { "social_network_id", type(id) == "number" and string.format("%d", id) or id } }
  local given = (p.preset ~= nil and 1 or 0) + ((p.start_date ~= nil or p.end_date ~= nil) and 1 or 0) +
    (p.range ~= nil and 1 or 0)
  if given ~= 1 then
    fail(fn, "give exactly one of preset (%s), start_date + end_date, or range", table.concat(M.PRESETS, ", "))
  end
  local s, e = p.start_date, p.end_date
  if p.preset ~= nil then
    local ok = false
    for _, name in ipairs(M.PRESETS) do if p.preset == name then ok = true end end
    if not ok then fail(fn, "preset = %s is not allowed (allowed: %s)", show(p.preset), table.concat(M.PRESETS, ", ")) end
    q[#q + 1] = { "preset", p.preset }
  else
    if p.range ~= nil then
      local r, why = dates.resolve(p.range, { clock = self.clock })
      if not r then fail(fn, "%s", why) end
      s, e = r.start_date, r.end_date
    end
    if s == nil or e == nil then fail(fn, "start_date and end_date go together (YYYY-MM-DD)") end
    local sn, why = dates.parse(s)
    if not sn then fail(fn, "start_date = %s is not a valid date: %s", show(s), why) end
    local en
    en, why = dates.parse(e)
    if not en then fail(fn, "end_date = %s is not a valid date: %s", show(e), why) end
    if en <= sn then
      fail(fn, "end_date %s must be after start_date %s (OneUp needs a range of at least one day)", e, s)
    end
    local yesterday = dates.today_number(self.clock) - 1
    if en > yesterday then
      fail(fn, "end_date %s is after yesterday (%s UTC) (allowed: up to yesterday)", e, dates.format(yesterday))
    end
    q[#q + 1] = { "start_date", s }
    q[#q + 1] = { "end_date", e }
  end
  if p.timezone ~= nil then
    local tz = p.timezone
    local good = type(tz) == "string" and tz:match("^%a") ~= nil and tz:sub(-1) ~= "/"
    if good then
      for part in (tz .. "/"):gmatch("([^/]*)/") do
        if not part:match("^[%w_+%-]+$") then good = false end
      end
    end
    if not good then
      fail(fn, "timezone = %s is not a time zone name like \"Europe/Paris\" or \"UTC\"", show(p.timezone))
    end
    q[#q + 1] = { "timezone", p.timezone }
  end
  return q
end

-- OneUp's paths start at the host: a 404 when base_url has a path (the
-- Pinterest simulator's sim.pinterest_url, say) is the base_url's fault, not
-- the data's; the error says so. Returns err.
function Client:_hint(err)
  if type(err) == "table" and err.status == 404 and self.base_url:match("^https?://[^/]*/") and err.hint == nil then
    err.hint = string.format("base_url %q has a path: OneUp's paths start at the host (%s; the simulator's is " ..
      "sim.url)", self.base_url, M.DEFAULT_BASE_URL)
    err.message = tostring(err.message) .. "; " .. err.hint
  end
  return err
end

-- shape: what the C core checks and types while decoding ("oneup_overview",
-- "oneup_posts"); when the answer does not have it, shape_ok names the bad field.
function Client:_get(path, q, shape, shape_ok)
  local query = { { "apiKey", self.api_key } }
  for _, p in ipairs(q) do query[#query + 1] = p end
  local endpoint = "GET " .. path -- never the query: it holds the key
  local ok, body, meta = http.perform(self.session, path .. http.query(query),
    { secrets = self.secrets, endpoint = endpoint, shape = shape })
  if not ok then return nil, self:_hint(body) end
  local t = schema.json_type(body)
  if t ~= "object" then
    return nil, errors.new({ kind = "invalid_response", status = meta.status, endpoint = endpoint, path = "$",
      body = body, message = "expected an object {success, data}, got " .. (body == nil and "an empty body" or t) },
      self.secrets)
  end
  if body.success ~= true then
    local msg = type(body.message) == "string" and body.message or type(body.error) == "string" and body.error
      or "the API answered success = false"
    return nil, errors.new({ kind = "api", status = meta.status, endpoint = endpoint, body = body, message = msg },
      self.secrets)
  end
  local good, where, why = true, nil, nil
  if not meta.shape_ok then good, where, why = shape_ok(body.data) end
  if not good then
    return nil, errors.new({ kind = "invalid_response", status = meta.status, endpoint = endpoint, path = where,
      body = body, message = "the answer does not have the documented shape: " .. where .. " " .. why }, self.secrets)
  end
  return body.data
end

--- The account's metrics, this period against the previous one:
-- `GET /api/pinterest/overview`.
-- @tab params
-- @tparam int|string params.social_network_id required: the Pinterest account's id at OneUp
-- @string[opt] params.preset "last_7_days", "last_30_days" or "last_90_days"
-- @string[opt] params.start_date "YYYY-MM-DD", with `end_date`
-- @string[opt] params.end_date after `start_date`, not later than yesterday (UTC)
-- @tparam[opt] pinanalytics.dates.Range|string params.range a range of `pinanalytics.dates` or a preset
-- name, instead of the dates (exactly one of `preset`, the two dates and `range`)
-- @string[opt="UTC"] params.timezone a zone name such as "Europe/Paris": OneUp's days are in that zone
-- (Pinterest's are always UTC: say which you use when you mix the two)
-- @treturn[1] table data: `{ metrics = { {key, name, value_current_period, value_last_period,
-- percentage_change, ...}, ... }, total_followers, post_performance }`, each metric enriched
-- (`enrich_metric`); `pinanalytics.report.overview(data)` reports it
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:overview(params)
  local data, err = self:_get("/api/pinterest/overview", build(self, "overview", params), "oneup_overview",
    check_overview)
  if not data then return nil, err end
  for _, m in ipairs(data.metrics) do M.enrich_metric(m) end
  return data
end

--- The stats of each post: `GET /api/pinterest/posts`.
-- @tab params
-- @tparam int|string params.social_network_id required: the Pinterest account's id at OneUp
-- @string[opt] params.preset "last_7_days", "last_30_days" or "last_90_days"
-- @string[opt] params.start_date "YYYY-MM-DD", with `end_date`
-- @string[opt] params.end_date after `start_date`, not later than yesterday (UTC)
-- @tparam[opt] pinanalytics.dates.Range|string params.range a range of `pinanalytics.dates` or a preset
-- name, instead of the dates (exactly one of `preset`, the two dates and `range`)
-- @string[opt="UTC"] params.timezone a zone name such as "Europe/Paris": OneUp's days are in that zone
-- (Pinterest's are always UTC: say which you use when you mix the two)
-- @treturn[1] table data: `{ stats = { metrics, as `overview` gives them }, posts = { {timestamp,
-- stats = { ... }, ...}, ... } }`; `pinanalytics.frame` and `pinanalytics.report.pins` take it
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:posts(params)
  local data, err = self:_get("/api/pinterest/posts", build(self, "posts", params), "oneup_posts", check_posts)
  if not data then return nil, err end
  for _, m in ipairs(data.stats or {}) do M.enrich_metric(m) end
  return data
end

-- Every public method checks that it was called with a colon on a client
-- and that the client is open (see pinterest.lua): programmer errors, raised.
do
  local names = {}
  for name, f in pairs(Client) do
    if type(name) == "string" and type(f) == "function" and not name:match("^_") then names[#names + 1] = name end
  end
  for _, name in ipairs(names) do
    local method = Client[name]
    Client[name] = function(self, ...)
      if getmetatable(self) ~= Client then fail(name, "call it with a colon: client:%s(...)", name) end
      if self.closed and name ~= "close" then fail(name, "the client is closed") end
      return method(self, ...)
    end
  end
  Client.__close = Client.close
end

return M
