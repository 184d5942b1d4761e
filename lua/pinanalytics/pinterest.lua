--- Pinterest REST API v5 client: organic analytics and the lists that find pins.
--
-- Arguments are checked before anything is sent: a programmer error raises
-- with a message naming the method, the parameter, the value given and what
-- is allowed, e.g.
-- `pinanalytics.pinterest:pin_analytics: metric_types[2] = "IMPRESSIONS" is not allowed (allowed: IMPRESSION, ...)`.
-- Run-time failures return `nil, err` (`pinanalytics.errors`). Ids are
-- strings of digits (18-digit ids do not survive a double). Counts are Lua
-- integers on 5.3+, rates floats; every answer is checked against the
-- endpoint's documented shape while it is decoded (`invalid_response` names
-- a field of the wrong type).
--
-- Pinterest's date rules, checked before sending: `start_date` at most 90
-- days before today (UTC), `end_date` at most 90 days after `start_date`
-- (a request spans at most 91 days, both ends included; split longer ranges
-- with `range:windows(91)`).
-- @usage
-- local pin = require("pinanalytics").pinterest{ token = os.getenv("PINTEREST_ACCESS_TOKEN") }
-- local res, err = pin:pin_analytics("813744226420795884", {
--   start_date = "2026-10-01", end_date = "2026-10-30",
--   metric_types = { "IMPRESSION", "SAVE" } })
--
-- How this file reads: the public names (limits, enums: the endpoint
-- tables' own), then the Client's mechanics (construction, token refresh,
-- pacing, requests, bulk runs), then the endpoint methods, each a line over
-- its table. The endpoints are data in pinterest/organic.lua (paths,
-- parameters, enums, limits), the argument checks in pinterest/validate.lua,
-- the rate-limit categories in pinterest/categories.lua.
local check = require "pinanalytics.check"
local bulk_engine = require "pinanalytics.bulk"
local categories = require "pinanalytics.pinterest.categories"
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"
local http = require "pinanalytics.http"
local organic = require "pinanalytics.pinterest.organic"
local pacing = require "pinanalytics.pacing"
local paginate = require "pinanalytics.paginate"
local runtime = require "pinanalytics.runtime"
local schema = require "pinanalytics.schema"
local validate = require "pinanalytics.pinterest.validate"

local M = {}

--- Where the API is when `base_url` is not given.
M.DEFAULT_BASE_URL = "https://api.pinterest.com/v5"

--- How far back `start_date` may be (days before today, UTC).
M.MAX_LOOKBACK_DAYS = organic.MAX_LOOKBACK_DAYS
--- How many days `end_date` may be after `start_date`.
M.MAX_RANGE_DAYS = organic.MAX_RANGE_DAYS
--- The most days one request may span, both ends included: end_date at most
-- 90 days after start_date is 91 days (split longer ranges with
-- range:windows(M.MAX_WINDOW_DAYS)).
M.MAX_WINDOW_DAYS = organic.MAX_WINDOW_DAYS
--- Pins per GET /pins/analytics request.
M.MULTI_PIN_MAX = organic.MULTI_PIN_MAX
--- Seconds a refusal of the multi-pin endpoint (`GET /pins/analytics`) is
-- remembered by the clients of the same server and credentials (an app given
-- the beta later is asked again after this).
M.MULTI_REFUSAL_TTL = 3600

--- Whether an error is an interrupt: a string whose first line ends with
-- "interrupted!", as the Lua interpreter's Ctrl-C hook raises it (with the
-- position it landed at before it, "file.lua:12: interrupted!"). Raised by
-- an `on_progress` callback, such an error stops the bulk run (what it had
-- in flight is cancelled) and the call raises it; any other error of the
-- callback is collected in `info.progress_errors`.
-- @param e an error value
-- @treturn boolean
function M.is_interrupt(e)
  return errors.is_interrupt(e)
end

--- Metric types of the pin analytics endpoints, the standard list (a request
-- may mix it with `PIN_METRICS_VIDEO`).
M.PIN_METRICS_STANDARD = organic.PIN_METRICS_STANDARD
--- Metric types of the pin analytics endpoints, the video list.
M.PIN_METRICS_VIDEO = organic.PIN_METRICS_VIDEO
--- Metric types of `user_account_analytics` and `top_pins`.
M.ACCOUNT_METRICS = organic.ACCOUNT_METRICS
--- Metric types of `top_video_pins`.
M.TOP_VIDEO_METRICS = organic.TOP_VIDEO_METRICS
--- Values of `app_types`.
M.APP_TYPES = organic.APP_TYPES
--- Values of `split_field` for a pin.
M.PIN_SPLIT_FIELDS = organic.PIN_SPLIT_FIELDS
--- Values of `split_field` for the account.
M.ACCOUNT_SPLIT_FIELDS = organic.ACCOUNT_SPLIT_FIELDS
--- Values of `from_claimed_content`.
M.FROM_CLAIMED_CONTENT = organic.FROM_CLAIMED_CONTENT
--- Values of `pin_format`.
M.PIN_FORMATS = organic.PIN_FORMATS
--- Values of `content_type`.
M.CONTENT_TYPES = organic.CONTENT_TYPES
--- Values of `source`.
M.SOURCES = organic.SOURCES
--- Values of `sort_by` for `top_pins`.
M.TOP_PINS_SORT = organic.TOP_PINS_SORT
--- Values of `sort_by` for `top_video_pins`.
M.TOP_VIDEO_PINS_SORT = organic.TOP_VIDEO_PINS_SORT
--- Values of `pin_filter` (`list_pins`).
M.PIN_FILTERS = organic.PIN_FILTERS
--- Values of `pin_type` (`list_pins`).
M.PIN_TYPES = organic.PIN_TYPES
--- Values of `creative_types` (`list_pins`, `list_board_pins`).
M.CREATIVE_TYPES = organic.CREATIVE_TYPES
--- Values of `privacy` (`list_boards`).
M.BOARD_PRIVACY = organic.BOARD_PRIVACY
--- Every metric type of the pin analytics endpoints (the standard and video lists).
M.PIN_METRICS = organic.PIN_METRICS

local fail, show = validate.fail, validate.show
local ENDPOINTS = organic.endpoints
local CATEGORY_ANALYTICS, CATEGORY_READ = categories.ANALYTICS, categories.READ

-- the client ----------------------------------------------------------------

local Client = {}
Client.__index = Client
Client.__name = "pinanalytics.Pinterest"

local CLIENT_OPTIONS = {
  token = "string", base_url = "string", timeout = "number", connect_timeout = "number",
  max_body = "number", tls_verify = "boolean", ca_file = "string", user_agent = "string",
  clock = "function", client_id = "string", client_secret = "string", refresh_token = "string",
  on_token = "function", rate = "table", concurrency = "number", retries = "number", max_wait = "number",
  on_progress = "function", allow_plain_http = "boolean", account = "string",
  runtime = "string", thread_pool = "string", shared_dict = "string",
}
CLIENT_OPTIONS.hold_signals = "boolean"

--- The rate-limit category `Client:get` paces a GET of this path by (Pinterest's
-- `x-ratelimit-category`): `/ad_accounts...` is "ads_read", ad account
-- analytics "ads_analytics", `/user_account/analytics` and
-- `/pins/.../analytics` "org_analytics", the other account and pin paths "org_read".
-- @string path as given to `Client:get`, e.g. "/ad_accounts/123/analytics"
-- @treturn string the category, e.g. "ads_analytics"
function M.get_category(path)
  return categories.of(path)
end

--- A client (also `pinanalytics.pinterest(opts)`). An unknown option or a
-- value of the wrong type raises. The client keeps one connection alive
-- across calls; `Client:close` releases it (on Lua 5.4 a client can be a
-- `<close>` variable).
-- @tab opts
-- @string opts.token OAuth access token, sent as `Authorization: Bearer`; never shown in errors or
-- `tostring`. Required unless the three refresh options are given
-- @string[opt="https://api.pinterest.com/v5"] opts.base_url where the API is (the simulator's
-- `sim.pinterest_url` in tests): `https://`, or plain `http://` to a loopback host (127.0.0.0/8,
-- `[::1]`, `localhost`); no credentials, query or fragment in it
-- @bool[opt=false] opts.allow_plain_http allow plain `http://` to any host: the token and the client
-- secret then cross the network readable
-- @number[opt=30] opts.timeout seconds for a whole request
-- @number[opt=10] opts.connect_timeout seconds to establish a connection
-- @number[opt=64 MiB] opts.max_body larger responses are abandoned with kind `too_large`
-- @bool[opt=true] opts.tls_verify certificate and host verification; only turned off by naming it
-- @string[opt] opts.ca_file a PEM bundle to verify against (default: the system's store)
-- @string[opt] opts.user_agent prefixed to `pinanalytics/VERSION (Lua x.y)`; no control characters
-- @func[opt=os.time] opts.clock returns seconds since the epoch; decides "today" (UTC)
-- @tab[opt] opts.rate pacing: `{ per_second = N }` or `{ per_minute = N }`, optional `burst` (how many
-- may go back to back; default a twentieth of a second's worth, at least 1) and
-- `categories = { org_read = {...} }` to give a rate-limit category its own rate (the same keys);
-- one token bucket per category, shared by everything the client sends. An unknown key, a category
-- that is not one of `pinanalytics.pacing.CATEGORIES` or a rate that paces nothing raises
-- @int[opt=8] opts.concurrency requests in flight at once in bulk work (`pins_analytics`), 1..1024
-- @int[opt=5] opts.retries further tries of a request that failed in a way that may pass (429, 5xx,
-- a reset or refused connection, a timeout, Pinterest's transient error bodies)
-- @number[opt=300] opts.max_wait seconds: a rate limit that resets later than this ends the work with
-- kind `quota` instead of waiting
-- @func[opt] opts.on_progress `function(done, total, failed)`, called as pins finish in bulk work; an
-- error it raises is reported (`info.progress_errors`) and does not stop the work, but an interrupt
-- (Ctrl-C's "interrupted!", `is_interrupt`) stops it: what is in flight is cancelled, the call raises it
-- @string[opt] opts.client_id the app's id, for token refresh (with `client_secret`, `refresh_token`)
-- @string[opt] opts.client_secret the app's secret, sent as HTTP Basic to `POST /oauth/token`
-- @string[opt] opts.refresh_token the refresh token: the client obtains an access token before the first
-- request, again before `expires_in` runs out, and once more when a request is answered 401
-- @func[opt] opts.on_token `function(tokens)` called with `{ access_token, refresh_token, expires_in,
-- token_type, scope, ... }` after each refresh, so that a long-running script can store them
-- @tparam[opt] string|pinanalytics.credentials.Store opts.credentials the accounts' tokens
-- (`pinanalytics.credentials`: a store, its file's path, or a team's postgresql:// URI): the client
-- takes the account's access token from it, and refreshes through it (one process at a time; the new
-- tokens are saved before they are used, and a token another process saved meanwhile is used instead). Not with `token` or
-- `refresh_token`; `client_secret` is needed to refresh, `client_id` defaults to the one saved
-- @string[opt] opts.account with `credentials`: the account (its username); may be left out when the file
-- has only one
-- @bool[opt] opts.hold_signals with `credentials` given as a path: hold Ctrl-C and SIGTERM while a
-- refresh's new tokens are not yet saved (`pinanalytics.credentials.open`); default true in the
-- "blocking" runtime (a script is a process of its own), false elsewhere (the host owns its signals)
-- @string[opt] opts.runtime how a call waits: "blocking" (plain Lua, Neovim), "ngx" (OpenResty; the
-- default inside it) or "uv" (libuv through luv; calls run inside `pinanalytics.async`).
-- See `pinanalytics.runtime`
-- @string[opt="default"] opts.thread_pool "ngx": the nginx thread pool the requests run on
-- @string[opt] opts.shared_dict "ngx": a `lua_shared_dict` holding the pacing buckets, so that every
-- worker of the nginx shares one budget
-- @treturn Client
-- @usage
-- local pin = pa.pinterest{ token = os.getenv("PINTEREST_ACCESS_TOKEN"), rate = { per_second = 5 } }
-- local refreshing = pa.pinterest{
--   client_id = os.getenv("PINTEREST_APP_ID"), client_secret = os.getenv("PINTEREST_APP_SECRET"),
--   refresh_token = os.getenv("PINTEREST_REFRESH_TOKEN"),
--   on_token = function(t) save(t.access_token, t.refresh_token, t.expires_in) end,
-- }
function M.new(opts)
  local fn = "new"
  local store, store_path
  if type(opts) == "table" and opts.credentials ~= nil then
    -- a store or a path: not one of the plain types check.options knows
    local c = opts.credentials
    local credentials = require "pinanalytics.credentials"
    if type(c) == "string" then
      local ok, made = errors.pass_interrupt(pcall(credentials.open, c))
      if not ok then fail(fn, "option credentials: %s", made) end
      store = made
      store_path = c -- opened again below, waiting for its locks through the client's runtime
    elseif credentials.is_store(c) then
      store = c
    else
      fail(fn, "option credentials must be a path or a pinanalytics.credentials store, got a %s", type(c))
    end
    for _, k in ipairs({ "token", "refresh_token" }) do
      if opts[k] ~= nil then
        fail(fn, "option %s cannot be given with credentials (the tokens come from the credentials file)", k)
      end
    end
    local copy = {}
    for k, v in pairs(opts) do if k ~= "credentials" then copy[k] = v end end
    opts = copy
  elseif type(opts) == "table" and opts.account ~= nil then
    fail(fn, "option account needs credentials (a pinanalytics.credentials store or its path)")
  end
  check.options(fail, fn, opts, CLIENT_OPTIONS)
  if store and opts.account == "" then fail(fn, "option account must not be empty") end
  local refresh = opts.refresh_token ~= nil or opts.client_id ~= nil or opts.client_secret ~= nil
  if store then
    refresh = false -- the store refreshes
  elseif refresh then
    for _, k in ipairs({ "client_id", "client_secret", "refresh_token" }) do
      if opts[k] == nil or opts[k] == "" then
        fail(fn, "option %s is required to refresh tokens (give client_id, client_secret and refresh_token)", k)
      end
    end
  elseif opts.token == nil or opts.token == "" then
    fail(fn, "option token is required (an access token, for example os.getenv(\"PINTEREST_ACCESS_TOKEN\"); " ..
      "or client_id, client_secret and refresh_token to obtain one)")
  end
  for _, k in ipairs({ "token", "client_id", "client_secret", "refresh_token" }) do
    if opts[k] and opts[k]:find("[%c ]") then
      fail(fn, "option %s contains spaces or control characters", k)
    end
  end
  local base = check.base_url(fail, fn, opts.base_url or M.DEFAULT_BASE_URL, opts.allow_plain_http)
  -- every path of the API is under /v5: without it, every request is a 404
  local has_v5 = ((base:match("^https?://[^/]*(/.*)$") or "") .. "/"):find("/v5/", 1, true) ~= nil
  for _, k in ipairs({ "timeout", "connect_timeout", "max_body" }) do
    if opts[k] ~= nil and (opts[k] ~= opts[k] or opts[k] <= 0) then
      fail(fn, "option %s must be > 0, got %s", k, tostring(opts[k]))
    end
  end
  if opts.concurrency ~= nil and (opts.concurrency ~= math.floor(opts.concurrency) or opts.concurrency < 1
      or opts.concurrency > 1024) then
    fail(fn, "option concurrency must be a whole number 1..1024, got %s", tostring(opts.concurrency))
  end
  if opts.retries ~= nil and (opts.retries ~= math.floor(opts.retries) or opts.retries < 0) then
    fail(fn, "option retries must be a whole number >= 0, got %s", tostring(opts.retries))
  end
  if opts.max_wait ~= nil and (opts.max_wait ~= opts.max_wait or opts.max_wait < 0) then
    fail(fn, "option max_wait must be a number of seconds >= 0, got %s", tostring(opts.max_wait))
  end
  local buckets
  if opts.rate then
    local ok, made = errors.pass_interrupt(pcall(pacing.buckets, opts.rate))
    if not ok then fail(fn, "option %s", made) end
    buckets = made
  end
  local ua = check.user_agent(fail, fn, core.version, opts.user_agent)
  local rok, rt = errors.pass_interrupt(pcall(runtime.new, opts))
  if not rok then fail(fn, "%s", rt) end
  if store_path then
    local hold = opts.hold_signals
    if hold == nil then hold = rt.name == "blocking" end
    store = require("pinanalytics.credentials").open { path = store_path, sleep = rt.sleep, hold_signals = hold }
  end
  if buckets and rt.buckets then
    -- the clients of one worker (or, with shared_dict, of every worker) that
    -- use the same server, credentials and rate share one budget
    buckets = rt.buckets(buckets, table.concat({ base, opts.client_id or opts.token or "",
      pacing.rate_key(opts.rate) }, "\0"))
  end
  local self = setmetatable({
    rt = rt,
    buckets = buckets,
    concurrency = opts.concurrency or 8,
    on_progress = opts.on_progress,
    policy = { retries = opts.retries or pacing.DEFAULT_RETRIES, max_wait = opts.max_wait or pacing.DEFAULT_MAX_WAIT },
    base_url = base,
    has_v5 = has_v5,
    clock = opts.clock,
    secrets = {},
    multi_refused = nil, -- unknown until GET /pins/analytics answers
    -- who shares what GET /pins/analytics refused: the same server and credentials
    refusal_key = table.concat({ base, opts.client_id or opts.token or "" }, "\0"),
    sent = 0, -- HTTP requests sent (client:request_count())
    session_opts = {
      base_url = base, user_agent = ua, timeout = opts.timeout, connect_timeout = opts.connect_timeout,
      max_body = opts.max_body, tls_verify = opts.tls_verify, ca_file = opts.ca_file,
      allow_plain_http = opts.allow_plain_http,
    },
  }, Client)
  for _, k in ipairs({ "token", "client_secret", "refresh_token" }) do
    http.add_secret(self.secrets, opts[k])
  end
  if refresh then
    -- the client credentials travel as HTTP Basic: base64 of id:secret
    self.secrets[#self.secrets + 1] = http.base64(opts.client_id .. ":" .. opts.client_secret)
  end
  if store and opts.client_id and opts.client_secret then
    self.secrets[#self.secrets + 1] = http.base64(opts.client_id .. ":" .. opts.client_secret)
  end
  self.policy.secrets = self.secrets
  self.access_token = opts.token
  if refresh then
    self.oauth = {
      client_id = opts.client_id, client_secret = opts.client_secret, refresh_token = opts.refresh_token,
      on_token = opts.on_token, expires_at = nil,
    }
  elseif store then
    self.oauth = {
      store = store, own_store = store_path ~= nil, account = opts.account, client_id = opts.client_id,
      client_secret = opts.client_secret,
      on_token = opts.on_token, expires_at = nil,
    }
  end
  local so = {}
  for k, v in pairs(self.session_opts) do so[k] = v end
  so.token = opts.token
  self.session = rt.session(so)
  self.has_token = opts.token ~= nil and opts.token ~= ""
  return self
end

--- A Pinterest client, made by `new`. Every method checks that it was called
-- with a colon on an open client: `pin.pin_analytics(...)` raises
-- "call it with a colon: client:pin_analytics(...)", any call after
-- `close` "the client is closed".
-- @type Client

function Client:__tostring()
  return "pinanalytics.pinterest (" .. self.base_url .. ")"
end

--- Releases the connections. Idempotent; any other method called afterwards,
-- or a pager made before, raises.
function Client:close()
  self.closed = true
  self.session:close()
  if self.oauth_session then self.oauth_session:close() end
  if self.batch then self.batch:close() end
  for b in pairs(self.run_batches or {}) do b:close() end
  -- a store the client opened from a URI holds a connection
  local o = self.oauth
  if o and o.own_store and o.store.close then o.store:close() end
end
Client.__close = Client.close

--- The number of HTTP requests this client has sent since it was made:
-- every try (retries included), token refreshes, pages of lists, and the
-- requests of bulk runs (pinanalytics.store reports a sync's requests with it).
function Client:request_count()
  return self.sent
end

function Client:_now()
  return self.clock and self.clock() or os.time()
end

--- Obtains a new access token with the refresh token now (`POST /oauth/token`,
-- HTTP Basic client credentials); the client does so by itself when it is due.
-- With `credentials`, through the store: under the account's lock, a token
-- another process saved meanwhile is taken instead, and new tokens are saved
-- before they are used.
-- Raises when the client has no `client_id`, `client_secret` and `refresh_token`, nor `credentials`.
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "auth", its message starting "token refresh failed:"; or
-- kind "credentials" (the file cannot be read or written, or has no such account)
function Client:refresh()
  local o = self.oauth
  if not o then
    fail("refresh", "this client has no client_id, client_secret and refresh_token to refresh with")
  end
  if o.store then return self:_store_refresh(self.access_token) end
  local tokens, err = self:_token_request(o.refresh_token, o.client_id)
  if not tokens then return nil, err end
  if tokens.refresh_token ~= o.refresh_token then
    http.add_secret(self.secrets, tokens.refresh_token)
    o.refresh_token = tokens.refresh_token
  end
  self:_use_token(tokens.access_token, tokens.expires_in)
  if o.on_token then o.on_token(tokens) end
  return true
end

-- The account of a client made with credentials: the one named, else the
-- only one in the file. name | nil, err
function Client:_account()
  local o = self.oauth
  if o.account then return o.account end
  local name, err = o.store:only_account()
  if not name then return nil, err end
  o.account = name
  return name
end

-- The stored entry's tokens become the client's: secrets first.
function Client:_take_entry(entry)
  local o = self.oauth
  http.add_secret(self.secrets, entry.access_token)
  http.add_secret(self.secrets, entry.refresh_token)
  o.entry_client_id = entry.client_id
  local left = entry.access_expires_at and (entry.access_expires_at - o.store.clock()) or nil
  self:_use_token(entry.access_token, left, entry.access_expires_at and entry.access_issued_at and
    (entry.access_expires_at - entry.access_issued_at) or nil)
end

-- With credentials: the stored token when it is usable, else a refresh
-- through the store. true | nil, err
function Client:_store_load()
  local o = self.oauth
  local account, aerr = self:_account()
  if not account then return nil, aerr end
  local entry, err = o.store:get(account)
  if not entry then return nil, err end
  http.add_secret(self.secrets, entry.access_token)
  http.add_secret(self.secrets, entry.refresh_token)
  if o.store:usable(entry) then
    self:_take_entry(entry)
    return true
  end
  return self:_store_refresh(entry.access_token)
end

-- With credentials: a refresh under the account's lock (Store:refresh), the
-- new tokens saved before they are used. used: the access token refused or due.
function Client:_store_refresh(used)
  local o = self.oauth
  local account, aerr = self:_account()
  if not account then return nil, aerr end
  local answer
  local entry, err = o.store:refresh(account, used, function(stored)
    http.add_secret(self.secrets, stored.refresh_token)
    local tokens, terr = self:_token_request(stored.refresh_token, o.client_id or stored.client_id)
    if not tokens then return nil, terr end
    tokens.client_id = o.client_id or stored.client_id
    answer = tokens
    return tokens
  end)
  if not entry then return nil, err end
  self:_take_entry(entry)
  if answer and o.on_token then o.on_token(answer) end
  return true
end

-- Sets the client's access token; expires_in: seconds it has left, life:
-- its whole lifetime when known (else expires_in): it is refreshed a minute
-- early, or at a tenth of a short life.
function Client:_use_token(access_token, expires_in, life)
  local o = self.oauth
  life = life or expires_in
  o.expires_at = expires_in and (self:_now() + expires_in - math.min(60, life / 10)) or nil
  self.session:set_token(access_token)
  if self.batch then self.batch:set_token(access_token) end
  self.access_token = access_token
  self.has_token = true
end

-- POST /oauth/token with a refresh token: the checked answer as `tokens`
-- (refresh_token: the new one, else the one sent) | nil, err (kind "auth").
function Client:_token_request(refresh_token, client_id)
  local o = self.oauth
  if not (client_id and o.client_secret) then
    return nil, errors.new({ kind = "auth", endpoint = "POST /oauth/token",
      message = "token refresh failed: it needs the app's client_id and client_secret (options client_id and " ..
        "client_secret" .. (o.store and "; client_id may come from the credentials file)" or ")") }, self.secrets)
  end
  if not self.oauth_session or self.oauth_session_id ~= client_id then
    if self.oauth_session then self.oauth_session:close() end
    local so = {}
    for k, v in pairs(self.session_opts) do so[k] = v end
    so.username, so.password = client_id, o.client_secret
    self.oauth_session = self.rt.session(so)
    self.oauth_session_id = client_id
    http.add_secret(self.secrets, http.base64(client_id .. ":" .. o.client_secret))
  end
  -- continuous_refresh=true: the official description of POST /oauth/token
  -- (openapi 5.23.0, operation oauth/token) says that an app created before
  -- September 25, 2025 must set it to get the continuous refresh token
  -- (60 days, refreshable indefinitely: each refresh answers a new refresh
  -- token), the legacy one being no longer supported; later apps get it
  -- anyway. The new refresh token is in the answer, and kept.
  local body = "grant_type=refresh_token&refresh_token=" .. http.escape(refresh_token) .. "&continuous_refresh=true"
  self.sent = self.sent + 1
  local ok, res, meta = http.perform(self.oauth_session, "/oauth/token", {
    method = "POST", body = body, secrets = self.secrets, endpoint = "POST /oauth/token",
    headers = { "Content-Type: application/x-www-form-urlencoded" }, shape = "oauth_token",
  })
  if not ok then
    local e = res
    return nil, errors.new({
      kind = "auth", status = e.status, code = e.code, request_id = e.request_id, endpoint = e.endpoint,
      message = "token refresh failed: " .. tostring(e.message) .. " (" .. e.kind .. ")", cause = e,
    }, self.secrets)
  end
  if type(res) ~= "table" or type(res.access_token) ~= "string" or res.access_token == "" then
    return nil, errors.new({ kind = "auth", status = meta.status, request_id = meta.request_id,
      endpoint = "POST /oauth/token", -- not the body: it may hold a new refresh token
      message = "token refresh failed: the answer has no access_token" }, self.secrets)
  end
  if not meta.shape_ok then
    -- not the body: it holds the new tokens
    local good, where, why = schema.oauth_token(res)
    if not good then
      return nil, errors.new({ kind = "auth", status = meta.status, request_id = meta.request_id,
        endpoint = "POST /oauth/token", path = where,
        message = "token refresh failed: the answer does not have the documented shape: " .. where .. " " .. why },
        self.secrets)
    end
  end
  -- a token from the server is checked like one given at construction: it
  -- becomes a header line
  for _, k in ipairs({ "access_token", "refresh_token" }) do
    if type(res[k]) == "string" and res[k]:find("[%c ]") then
      return nil, errors.new({ kind = "auth", status = meta.status, request_id = meta.request_id,
        endpoint = "POST /oauth/token",
        message = "token refresh failed: the " .. k .. " in the answer contains spaces or control characters" },
        self.secrets)
    end
  end
  local tokens = {
    access_token = res.access_token, token_type = res.token_type, scope = res.scope,
    expires_in = type(res.expires_in) == "number" and res.expires_in or nil,
    refresh_token = type(res.refresh_token) == "string" and res.refresh_token or refresh_token,
    refresh_token_expires_in = res.refresh_token_expires_in,
    refresh_token_expires_at = res.refresh_token_expires_at,
  }
  http.add_secret(self.secrets, tokens.access_token)
  http.add_secret(self.secrets, tokens.refresh_token)
  return tokens
end

-- A 404 when base_url has no /v5 (https://api.pinterest.com, sim.url): every
-- path is then wrong, not the object; the error says so. Returns err.
function Client:_hint(err)
  if type(err) == "table" and err.status == 404 and not self.has_v5 and err.hint == nil then
    err.hint = string.format("base_url %q has no /v5: the API's paths are under /v5 (%s; the simulator's is " ..
      "sim.pinterest_url)", self.base_url, M.DEFAULT_BASE_URL)
    err.message = tostring(err.message) .. "; " .. err.hint
  end
  return err
end

-- Waits for the category's bucket (when the client is paced): the token is
-- reserved in one step (no yield between looking and taking), then waited
-- for, so that handlers waiting at once each get their own. A host's sleep
-- may end early (nginx times a sleep from the time it last looked at the
-- clock): the clock says when the token is due.
function Client:_pace(category)
  local bucket = self.buckets and self.buckets(category)
  if not bucket then return end
  local now = self.rt.now()
  local due = now + bucket:reserve(now)
  while now < due do
    self.rt.sleep(math.max(due - now, 0.001))
    now = self.rt.now()
  end
end

-- Refreshes the token first when it is due; true | false, err.
function Client:_token_due()
  local o = self.oauth
  if o and o.store and not self.has_token then
    local ok, err = self:_store_load()
    if not ok then return false, err end
    return true, false
  end
  if o and (not self.has_token or (o.expires_at and self:_now() >= o.expires_at)) then
    local ok, err = self:refresh()
    if not ok then return false, err end
    return true, true
  end
  return true, false
end

-- GET base_url .. path with the query pairs: paced by the category's
-- bucket, retried by the client's policy, refreshing the token when it is
-- due or refused once. Returns true, body, meta | false, err.
function Client:_get(path, query, endpoint, category, shape)
  local ok, refreshed = self:_token_due()
  if not ok then return false, refreshed end
  local target = path .. http.query(query or {})
  local opts = { secrets = self.secrets, endpoint = "GET " .. (endpoint or path), shape = shape }
  local attempt, first_try = 0, nil
  while true do
    self:_pace(category or CATEGORY_ANALYTICS)
    first_try = first_try or core.now()
    local body, meta
    self.sent = self.sent + 1
    ok, body, meta = http.perform(self.session, target, opts)
    if ok then return true, body, meta end
    if body.kind == "auth" and self.oauth and not refreshed then
      refreshed = true
      local rok, rerr = self:refresh()
      if not rok then return false, rerr end
    else
      attempt = attempt + 1
      local what, x = pacing.after_failure(body, attempt, self.policy)
      if what == "retry" then
        self.rt.sleep(x)
      elseif what == "quota" then
        return false, x
      else
        return false, self:_hint(pacing.tried(body, attempt, core.now() - first_try))
      end
    end
  end
end

-- Runs GET jobs on the client's Batch (pacing, retries, token refresh), and
-- reports progress. Returns the run and the errors raised by on_progress.
-- fn: the public method, for the error that refuses a second run from inside
-- one (a call from on_progress or on_token): the Batch belongs to the run
-- until it returns. A run started by another coroutine (a task, a light
-- thread) while one is in progress runs on a Batch of its own, closed when it
-- returns; a run whose coroutine is gone (pinanalytics.bulk.holder: dead,
-- or a light thread nginx killed or ended) is cancelled and its Batch
-- taken. An error escaping the run (on_token raising, say) propagates after
-- the run has cancelled what it had in flight.
function Client:_run(fn, jobs, total)
  if self.batch and bulk_engine.holder(self.batch) == "this" then
    fail(fn, "a bulk run is already in progress on this client (a call from its on_progress or on_token hook?); " ..
      "call %s again after that run returns (pin_analytics may be called from on_progress)", fn)
  end
  local ok, err = self:_token_due()
  if not ok then
    for _, job in ipairs(jobs) do job.done(false, err) end
    return { stopped = nil }, {}
  end
  local function new_batch()
    local so = {}
    for k, v in pairs(self.session_opts) do so[k] = v end
    so.token = self.access_token
    so.concurrency = self.concurrency
    return self.rt.batch(so)
  end
  if not self.batch then self.batch = new_batch() end
  local batch, own = self.batch, nil
  local held = bulk_engine.take(batch, self.rt.sleep)
  if held and held ~= "gone" then
    own = new_batch()
    batch = own
    self.run_batches = self.run_batches or setmetatable({}, { __mode = "k" })
    self.run_batches[own] = true
  end
  local token_used = self.access_token
  local function refresh()
    -- a Batch of the run's own: the token another run obtained meanwhile, or a new one
    if own and token_used ~= self.access_token then
      token_used = self.access_token
      own:set_token(token_used)
      return true
    end
    local rok, rerr = self:refresh()
    if rok and own then
      token_used = self.access_token
      own:set_token(token_used)
    end
    return rok, rerr
  end
  local progress_errors = {}
  local done, failed = 0, 0
  local on_progress = self.on_progress
  local ctx = {
    batch = batch, buckets = self.buckets, policy = self.policy, secrets = self.secrets,
    refresh = self.oauth and refresh or nil,
    sleep = self.rt.sleep, lost_after = self.rt.lost_after,
  }
  if on_progress then
    ctx.on_job_done = function(job, job_ok)
      local n = job.pins or 1
      if n == 0 then return end -- its pins are counted when their own requests finish
      done = done + n
      if not job_ok then failed = failed + n end
      local pok, perr = pcall(on_progress, done, total, failed)
      if not pok then
        -- Ctrl-C (the interpreter's "interrupted!") stops the run: it
        -- cancels what it has in flight, and the call raises it
        if M.is_interrupt(perr) then error(perr, 0) end
        progress_errors[#progress_errors + 1] = tostring(perr)
      end
    end
  end
  local rok, run = runtime.pcall(bulk_engine.run, ctx, jobs)
  if own then
    self.run_batches[own] = nil
    own:close()
  end
  if not rok then error(run, 0) end
  self.sent = self.sent + run.sent
  return run, progress_errors
end

local function shape_error(self, meta, path, where, why, body)
  if where == "$" and body == nil then why = "expected a JSON body, got an empty body" end
  return errors.new({
    kind = "invalid_response", status = meta.status, request_id = meta.request_id,
    endpoint = "GET " .. path, path = where, body = body,
    message = "the answer does not have the documented shape: " .. where .. " " .. why,
  }, self.secrets)
end

-- GET + shape check: body, info | nil, err. shape: the shape the C core
-- checks and types while decoding ("analytics", "top_pins"); when the answer
-- does not have it, shape_ok (pinanalytics.schema) names the bad field.
-- category: the rate-limit category (org_analytics when nil).
function Client:_fetch(path, q, shape_ok, info, shape, category)
  local ok, body, meta = self:_get(path, q, nil, category, shape)
  if not ok then return nil, body end
  if meta.shape_ok then return body, nil, info end
  local good, where, why = shape_ok(body)
  if not good then return nil, shape_error(self, meta, path, where, why, body) end
  return body, nil, info
end

-- An endpoint's path with its ids in place of the {names}.
local function path_of(ep, ids)
  return (ep.path:gsub("{([%w_]+)}", ids))
end

-- Calls an endpoint of a table (pinterest/organic.lua): checks the ids (the
-- arguments after params, in the order of ep.ids) and the params, builds the
-- query and sends it as ep.answer says: one answer (body, nil, info), one
-- object (body) or a pager. Programmer errors raise naming ep.name.
function Client:_call(ep, params, ...)
  local fn, ids = ep.name, {}
  for i, name in ipairs(ep.ids or {}) do
    ids[name] = validate.digits(fn, name, (select(i, ...)))
  end
  if params == nil and ep.params_required then fail(fn, "params is required (a table)") end
  local q, info = validate.query(fn, ep, params, self.clock)
  local path = path_of(ep, ids)
  if ep.answer == "pages" then
    return self:_pager(path, q, ep.shape, schema[ep.schema], ep.category)
  elseif ep.answer == "object" then
    return self:_read(path, q, schema[ep.schema], ep.category)
  end
  return self:_fetch(path, q, schema[ep.schema], info, ep.shape, ep.category)
end

--- One pin's analytics, day by day and summed: `GET /pins/{pin_id}/analytics`.
-- @string pin_id a string of digits
-- @tab params
-- @tparam {string,...}|string params.metric_types required: a non-empty array (or one
-- comma-separated string) of `PIN_METRICS_STANDARD` and `PIN_METRICS_VIDEO`; duplicates are dropped
-- @tparam[opt] string params.start_date the first day, "YYYY-MM-DD" (UTC), at most 90 days before today
-- @tparam[opt] string params.end_date the last day, not before `start_date`, at most 90 days after it
-- @tparam[opt] pinanalytics.dates.Range|string params.range instead of `start_date` and `end_date`:
-- a range of `pinanalytics.dates` or a preset name ("last_30_days", ...)
-- @bool[opt=false] params.clamp move a start earlier than 90 days ago up to the earliest allowed
-- day instead of raising; the third result then says what was dropped
-- @string[opt="ALL"] params.app_types "ALL", "MOBILE", "TABLET" or "WEB"
-- @string[opt="NO_SPLIT"] params.split_field "NO_SPLIT" or "APP_TYPE"
-- @tparam[opt] string|int params.ad_account_id act as the owner of that ad account (Business Access;
-- `ad_accounts` lists them): a string of at most 18 digits or a whole number
-- @treturn[1] table the answer keyed by split: `all` without a split; with `split_field` one key a
-- split value ("MOBILE", "WEB", ...). Each holds `daily_metrics` (an array of
-- `{ date, data_status, metrics = { IMPRESSION = 240, ... } }`; only "READY" days are final),
-- `summary_metrics`, and for a pin `lifetime_metrics`; `warnings` names what could not be placed
-- @treturn[1] nil
-- @treturn[1] table with `clamp = true` when the start was cut: `{ clamped = true, dropped = <Range>,
-- range = <Range fetched> }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
-- @usage
-- local res, err = pin:pin_analytics("813744226420795884", {
--   range = pa.dates.last(30), metric_types = { "IMPRESSION", "SAVE" } })
-- for _, day in ipairs(res.all.daily_metrics) do print(day.date, day.data_status, day.metrics.SAVE) end
function Client:pin_analytics(pin_id, params)
  return self:_call(ENDPOINTS.pin_analytics, params, pin_id)
end

-- Refusals of GET /pins/analytics, shared where a runtime shares the pacing
-- budget (rt.buckets: the "ngx" runtime, where a client is often made per
-- request) by the clients of one server and credentials: refusal_key ->
-- core.now() until which it holds, per worker; with the runtime's shared
-- memory (shared_dict), in every worker.
local refusals, n_refusals = {}, 0
local MAX_REFUSALS = 1000
local REFUSAL_NAME = "multi_refused\0"

-- Is GET /pins/analytics known to be refused to this client's app?
function Client:_multi_refused()
  if self.multi_refused then return true end
  local key = self.refusal_key
  local now = core.now()
  local until_t = refusals[key]
  if until_t and now >= until_t then
    refusals[key], until_t = nil, nil
    n_refusals = n_refusals - 1
  end
  local known = until_t ~= nil
  if not known and self.rt.buckets and self.rt.shared_get then
    -- a failure to read the shared memory is not a refusal: ask the endpoint
    local ok, v = errors.pass_interrupt(pcall(self.rt.shared_get, REFUSAL_NAME .. key))
    known = ok and v == true
  end
  if known then self.multi_refused = true end
  return known
end

-- Remembers that GET /pins/analytics is refused to this client's app: for
-- the client's life, and for MULTI_REFUSAL_TTL seconds for every client of
-- the same server and credentials.
function Client:_remember_multi_refused()
  self.multi_refused = true
  if not self.rt.buckets then return end -- this runtime shares no budget: the client alone knows
  local key = self.refusal_key
  if refusals[key] == nil then
    if n_refusals >= MAX_REFUSALS then refusals, n_refusals = {}, 0 end
    n_refusals = n_refusals + 1
  end
  refusals[key] = core.now() + M.MULTI_REFUSAL_TTL
  if self.rt.shared_set then
    errors.pass_interrupt(pcall(self.rt.shared_set, REFUSAL_NAME .. key, true, M.MULTI_REFUSAL_TTL))
  end
end

-- Does this failure of GET /pins/analytics refuse the endpoint itself (to
-- be remembered) rather than a pin of the batch? A 404
-- other than code 50 ("Pin not found.": the path is unknown), or a 403 whose
-- message says the endpoint is not available (the beta endpoint is not open
-- to every app); a 403 "Not authorized to access board or Pin." is a pin's.
local function endpoint_refused(err)
  if err.status == 404 then return err.code ~= 50 end
  if err.status ~= 403 then return false end
  local msg = type(err.body) == "table" and err.body.message or err.message
  msg = type(msg) == "string" and msg:lower() or ""
  return (msg:find("not available", 1, true) or msg:find("endpoint", 1, true)) ~= nil
end

-- The pin ids of a bulk method, each checked (a string of digits) and
-- asked once, in the order given; raises naming the method and the index.
local function pin_id_list(fn, pin_ids)
  if type(pin_ids) ~= "table" then fail(fn, "pin_ids must be an array of pin ids, got %s", show(pin_ids)) end
  local ids, seen = {}, {}
  for i = 1, #pin_ids do
    local id = pin_ids[i]
    if not validate.is_digits(id) then fail(fn, "pin_ids[%d] must be a string of digits, got %s", i, show(id)) end
    if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  return ids
end

--- Analytics of any number of pins.
-- Duplicates are removed; the ids go to `GET /pins/analytics` in requests
-- of at most 100, or to `GET /pins/{id}/analytics` per pin where the
-- multi-pin endpoint (beta, not open to every app) is refused. A batch
-- answered 404, 403 or 401 code 7 ("Not authorized to access board or Pin.":
-- a pin is not the caller's, the token is fine) is asked again pin by pin, so
-- that only the pins concerned get an error; such a batch does not refresh
-- the token. The endpoint counts as refused when its answer says so (a 404
-- other than "Pin not found.", a 403 "not available to your app") or when
-- every pin of a batch answered 403 (`{"code":29,"message":"You are not
-- permitted to access that resource."}`, say) then passes alone, no pin of
-- the call being refused alone. A refusal is remembered for the client's
-- life and, where clients share a pacing budget (the "ngx" runtime: the
-- clients of a worker; with `shared_dict`, of every worker), for
-- `MULTI_REFUSAL_TTL` seconds by every client of the same `base_url` and
-- credentials: they go pin by pin at once. Requests run concurrently on the
-- client's Batch, paced and retried (the options `rate`, `concurrency`,
-- `retries`, `max_wait`, `on_progress`).
--
-- One bulk run at a time on a client: called again from `on_progress` or
-- `on_token` while a run is in progress, it raises (from `on_progress`, that
-- error lands in `info.progress_errors`); `pin_analytics`, which does not use
-- the Batch, may be called from `on_progress`. An error that escapes the run
-- (`on_token` raising, or `on_progress` raising an interrupt: Ctrl-C's
-- "interrupted!") propagates once what was in flight is cancelled; the
-- client is usable afterwards.
-- @tparam {string,...} pin_ids pin ids, strings of digits
-- @tab params as for `pin_analytics`, without `split_field`
-- @treturn table results by pin id, each shaped as `pin_analytics` returns it
-- @treturn table errors by pin id (`pinanalytics.errors.Error`); every id is in exactly one of the two
-- @treturn table info: `quota` (the error that stopped the run, if one did), `progress_errors`
-- (what `on_progress` raised, an interrupt aside), and with `clamp` `clamped`, `dropped`, `range`
function Client:pins_analytics(pin_ids, params)
  local fn = "pins_analytics"
  local ids = pin_id_list(fn, pin_ids)
  if params == nil then fail(fn, "params is required (a table)") end
  local multi, single = ENDPOINTS.pins_analytics, ENDPOINTS.pin_analytics
  local q, info = validate.query(fn, multi, params, self.clock)
  info = info or {}
  local results, errs = {}, {}
  local single_query = http.query(q) -- the per-pin endpoint takes the same query

  -- what the pins of batches answered 403 then got alone: when every pin
  -- of such a batch passes alone, and no pin of the call is refused alone,
  -- the 403 was the endpoint's (learn: { left = pins not answered, ok })
  local learning, refused_alone = {}, false

  local function per_pin(id, learn)
    local path = path_of(single, { pin_id = id })
    return {
      target = path .. single_query, category = single.category, endpoint = "GET " .. path, pins = 1,
      shape = single.shape,
      done = function(ok, body, meta)
        if learn then learn.left = learn.left - 1 end
        if not ok then
          errs[id] = self:_hint(body)
          if learn then learn.ok = false end
          if body.status == 403 or (body.status == 401 and body.code == 7) then refused_alone = true end
          return
        end
        if meta.shape_ok then
          results[id] = body
          return
        end
        local good, where, why = schema[single.schema](body)
        if good then results[id] = body else errs[id] = shape_error(self, meta, path, where, why, body) end
        if learn and not good then learn.ok = false end
      end,
    }
  end

  local bulk
  local refreshed_token -- the token a 401 of a chunk made done() obtain
  -- what comes after the first bulk request when the endpoint's support is
  -- not known yet: the other chunks, in bulk or per pin
  local rest = {}
  local function release_rest(run, refused)
    local chunks = rest
    rest = {}
    for _, chunk in ipairs(chunks) do
      if refused then
        for _, id in ipairs(chunk) do run.add(per_pin(id)) end
      else
        run.add(bulk(chunk))
      end
    end
  end

  function bulk(chunk)
    local mq = {}
    for _, id in ipairs(chunk) do mq[#mq + 1] = { "pin_ids", id } end
    for _, p in ipairs(q) do mq[#mq + 1] = p end
    -- refreshed = true: the run does not refresh the token on a 401 of this
    -- endpoint, as its 401 code 7 means a pin is not the caller's (done()
    -- refreshes for any other 401)
    local job = { target = multi.path .. http.query(mq), category = multi.category,
      endpoint = "GET " .. multi.path, pins = #chunk, shape = multi.shape, refreshed = true }
    job.done = function(ok, body, meta, run)
      local fallback, learn = {}, nil
      local refused = not ok and endpoint_refused(body)
      if not refused then
        if self.multi_refused == nil then self.multi_refused = false end
        release_rest(run, false)
      end
      if ok then
        local t = schema.json_type(body)
        if t ~= "object" and t ~= "empty" then
          local err = shape_error(self, meta, multi.path, "$", "expected an object keyed by pin id, got " .. t, body)
          for _, id in ipairs(chunk) do errs[id] = err end
          return
        end
        for _, id in ipairs(chunk) do
          local entry = body[id]
          if entry == nil then
            fallback[#fallback + 1] = id -- absent from the bulk answer: ask for it alone
          elseif meta.shape_ok then
            results[id] = entry
          else
            local good, where, why = schema[multi.entry_schema](entry, "$[\"" .. id .. "\"]")
            if good then
              results[id] = entry
            else
              errs[id] = shape_error(self, meta, multi.path, where, why, entry)
            end
          end
        end
      elseif refused then
        self:_remember_multi_refused() -- the endpoint itself is refused to this app
        fallback = chunk
        release_rest(run, true)
      elseif body.status == 404 or body.status == 403 or (body.status == 401 and body.code == 7) then
        fallback = chunk -- a pin of this chunk does not exist or is not the caller's: find out which
        if body.status == 403 then
          -- or the endpoint is refused: the pins' own answers tell
          learn = { left = #chunk, ok = true }
          learning[#learning + 1] = learn
        end
      elseif body.status == 401 and self.oauth and not job.token_refreshed then
        -- the token itself was refused: refresh it (once per run for all
        -- the chunks refused with the same token) and ask again
        local tok = self.access_token
        if refreshed_token ~= tok then
          local rok, rerr = self:refresh()
          if not rok then
            for _, id in ipairs(chunk) do errs[id] = rerr end
            return
          end
          refreshed_token = self.access_token
        end
        local again = bulk(chunk)
        again.token_refreshed = true
        job.pins = 0 -- counted when the new request finishes
        run.add(again)
        return
      else
        for _, id in ipairs(chunk) do errs[id] = body end
        return
      end
      job.pins = #chunk - #fallback -- the others are counted when their own requests finish
      for _, id in ipairs(fallback) do run.add(per_pin(id, learn)) end
    end
    return job
  end

  local jobs = {}
  if self:_multi_refused() then
    for _, id in ipairs(ids) do jobs[#jobs + 1] = per_pin(id) end
  else
    for first = 1, #ids, M.MULTI_PIN_MAX do
      local chunk = {}
      for i = first, math.min(first + M.MULTI_PIN_MAX - 1, #ids) do chunk[#chunk + 1] = ids[i] end
      if self.multi_refused == nil and #jobs == 1 then
        rest[#rest + 1] = chunk -- sent once the first answer tells whether the endpoint is open
      else
        jobs[#jobs + 1] = bulk(chunk)
      end
    end
  end
  local run, progress_errors = self:_run(fn, jobs, #ids)
  if not refused_alone and not self.multi_refused then
    for _, l in ipairs(learning) do
      if l.left == 0 and l.ok then
        self:_remember_multi_refused()
        break
      end
    end
  end
  info.quota = run.stopped
  info.progress_errors = progress_errors
  return results, errs, info
end

--- The whole account's analytics: `GET /user_account/analytics`.
-- @tab params
-- @tparam[opt] string params.start_date the first day, "YYYY-MM-DD" (UTC), at most 90 days before today
-- @tparam[opt] string params.end_date the last day, not before `start_date`, at most 90 days after it
-- @tparam[opt] pinanalytics.dates.Range|string params.range instead of `start_date` and `end_date`:
-- a range of `pinanalytics.dates` or a preset name ("last_30_days", ...)
-- @bool[opt=false] params.clamp move a start earlier than 90 days ago up to the earliest allowed
-- day instead of raising; the third result then says what was dropped
-- @tparam[opt] {string,...}|string params.metric_types of `ACCOUNT_METRICS`
-- @string[opt="NO_SPLIT"] params.split_field "NO_SPLIT", "APP_TYPE", "OWNED_CONTENT", "SOURCE" or
-- "PIN_FORMAT"
-- @string[opt] params.from_claimed_content "OTHER", "CLAIMED" or "BOTH"
-- @string[opt] params.pin_format "ALL", "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO",
-- "ADS_STANDARD", "ADS_PRODUCT", "ADS_VIDEO" or "ADS_IDEA"
-- @string[opt] params.app_types "ALL" (the API's default), "MOBILE", "TABLET" or "WEB"
-- @string[opt] params.content_type "ALL", "PAID" or "ORGANIC"
-- @string[opt] params.source "ALL", "YOUR_PINS" or "OTHER_PINS"
-- @tparam[opt] string|int params.ad_account_id act as the owner of that ad account (Business Access)
-- @return the answer keyed by split, as `pin_analytics` returns it (without `lifetime_metrics`);
-- or nil, err; and with `clamp`, what was dropped
function Client:user_account_analytics(params)
  return self:_call(ENDPOINTS.user_account_analytics, params)
end

--- The account's best pins over the dates: `GET /user_account/analytics/top_pins`.
-- @tab params
-- @string params.sort_by required: "ENGAGEMENT", "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK" or "SAVE"
-- @tparam[opt] string params.start_date the first day, "YYYY-MM-DD" (UTC), at most 90 days before today
-- @tparam[opt] string params.end_date the last day, not before `start_date`, at most 90 days after it
-- @tparam[opt] pinanalytics.dates.Range|string params.range instead of `start_date` and `end_date`:
-- a range of `pinanalytics.dates` or a preset name ("last_30_days", ...)
-- @bool[opt=false] params.clamp move a start earlier than 90 days ago up to the earliest allowed
-- day instead of raising; the third result then says what was dropped
-- @tparam[opt] {string,...}|string params.metric_types of `ACCOUNT_METRICS`
-- @int[opt=10] params.num_of_pins 1..50
-- @int[opt] params.created_in_last_n_days only 30: pins created in the last 30 days
-- @string[opt] params.from_claimed_content "OTHER", "CLAIMED" or "BOTH"
-- @string[opt] params.pin_format "ALL", "ORGANIC_IMAGE", "ORGANIC_PRODUCT", "ORGANIC_VIDEO",
-- "ADS_STANDARD", "ADS_PRODUCT", "ADS_VIDEO" or "ADS_IDEA"
-- @string[opt] params.app_types "ALL" (the API's default), "MOBILE", "TABLET" or "WEB"
-- @string[opt] params.content_type "ALL", "PAID" or "ORGANIC"
-- @string[opt] params.source "ALL", "YOUR_PINS" or "OTHER_PINS"
-- @tparam[opt] string|int params.ad_account_id act as the owner of that ad account (Business Access)
-- @treturn[1] table `{ date_availability = { is_realtime, latest_available_timestamp },
-- pins = { { pin_id, metrics, data_status = { METRIC = "READY", ... } }, ... }, sort_by }`: here
-- `data_status` is a map metric -> status. Every field is optional in the official schema: a pin
-- without `metrics` is kept as it came, a pin without `pin_id` is kept and named in `warnings`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:top_pins(params)
  return self:_call(ENDPOINTS.top_pins, params)
end

--- The account's best video pins: `GET /user_account/analytics/top_video_pins`.
-- @tab params as for `top_pins`, with `sort_by` one of `TOP_VIDEO_PINS_SORT` and
-- `metric_types` of `TOP_VIDEO_METRICS`
-- @return as `top_pins`
function Client:top_video_pins(params)
  return self:_call(ENDPOINTS.top_video_pins, params)
end

-- A pager over a list endpoint; shape: "pins_list" or "boards_list", and
-- shape_ok the schema function that names a bad item when the C walk says no
-- (the pager itself checks items and bookmark); category: the rate-limit
-- category (org_read when nil).
function Client:_pager(path, q, shape, shape_ok, category)
  return paginate.new(function(bookmark)
    local pq = q
    if bookmark then
      pq = {}
      for i, p in ipairs(q) do pq[i] = p end
      pq[#pq + 1] = { "bookmark", bookmark }
    end
    local ok, body, meta = self:_get(path, pq, nil, category or CATEGORY_READ, shape)
    if ok and not meta.shape_ok then
      local good, where, why = shape_ok(body)
      if not good then return false, shape_error(self, meta, path, where, why, body) end
    end
    return ok, body, meta
  end, { endpoint = "GET " .. path, secrets = self.secrets })
end

--- The token user's pins: `GET /pins`, page by page. Nothing is fetched
-- until the pager is iterated; it follows `bookmark` until it is null or absent.
-- @tab[opt] params
-- @int[opt] params.page_size 1..250 (Pinterest's default 25)
-- @string[opt] params.pin_filter "exclude_native", "exclude_repins" or "has_been_promoted"
-- @bool[opt] params.pin_metrics add each pin's `pin_metrics`
-- @bool[opt] params.include_protected_pins
-- @string[opt] params.pin_type "PRIVATE"
-- @tparam[opt] {string,...} params.creative_types of `CREATIVE_TYPES` (sent as repeated keys)
-- @tparam[opt] string|int params.ad_account_id
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
-- @usage for p in pin:list_pins{ page_size = 100 }:items() do print(p.id, p.title) end
function Client:list_pins(params)
  return self:_call(ENDPOINTS.list_pins, params)
end

--- The token user's boards: `GET /boards`, page by page.
-- @tab[opt] params
-- @int[opt] params.page_size 1..250
-- @string[opt] params.privacy "ALL", "PUBLIC", "PROTECTED", "SECRET" or "PUBLIC_AND_SECRET"
-- @tparam[opt] string|int params.ad_account_id
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
function Client:list_boards(params)
  return self:_call(ENDPOINTS.list_boards, params)
end

--- A board's pins: `GET /boards/{board_id}/pins`, page by page.
-- @string board_id a string of digits
-- @tab[opt] params
-- @int[opt] params.page_size 1..250
-- @tparam[opt] {string,...} params.creative_types of `CREATIVE_TYPES`
-- @bool[opt] params.pin_metrics
-- @tparam[opt] string|int params.ad_account_id
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
function Client:list_board_pins(board_id, params)
  return self:_call(ENDPOINTS.list_board_pins, params, board_id)
end

-- GET of one object in the category (org_read when nil), checked by
-- shape_ok (no shape for the C walk: typed by the general rule): body | nil, err.
function Client:_read(path, q, shape_ok, category)
  local ok, body, meta = self:_get(path, q, nil, category or CATEGORY_READ)
  if not ok then return nil, body end
  local good, where, why = shape_ok(body)
  if not good then return nil, shape_error(self, meta, path, where, why, body) end
  return body
end

--- One pin: `GET /pins/{pin_id}` (`id`, `title`, `board_id`, `board_section_id`,
-- `created_at`, ...).
-- @string pin_id a string of digits
-- @tab[opt] params
-- @bool[opt] params.pin_metrics add `pin.pin_metrics`, the pin's metrics by interval: `["90d"]` and
-- `lifetime_metrics` (`impression`, `pin_click`, `clickthrough`, and for lifetime `reaction`, `comment`)
-- @tparam[opt] string|int params.ad_account_id
-- @treturn[1] table the pin
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:pin(pin_id, params)
  return self:_call(ENDPOINTS.pin, params, pin_id)
end

--- Many pins at once: `GET /pins/{pin_id}` for each, sent together through
-- the bulk engine (the client's `concurrency`, each request paced in the
-- `org_read` category and retried by the client's policy), as
-- `pins_analytics` sends its requests. `on_progress` is called as pins are
-- answered.
-- @tparam {string,...} pin_ids pin ids (strings of digits); duplicates are asked once
-- @tab[opt] params as `pin` takes them (`pin_metrics`, `ad_account_id`), for every pin
-- @treturn table the pins by pin id (as `pin` returns each)
-- @treturn table errors by pin id (`pinanalytics.errors.Error`); every id is in exactly one of the two
-- @treturn table info: `quota` (the error that stopped the run, if one did), `progress_errors`
-- (what `on_progress` raised, an interrupt aside)
-- @usage
-- local pins, errs = client:pins({ "813744226420795884", "813744226420795885" })
-- for id, p in pairs(pins) do print(id, p.title) end
function Client:pins(pin_ids, params)
  local fn = "pins"
  local ids = pin_id_list(fn, pin_ids)
  local ep = ENDPOINTS.pins
  local q = validate.query(fn, ep, params, self.clock)
  local query = http.query(q)
  local results, errs, jobs = {}, {}, {}
  for _, id in ipairs(ids) do
    local path = path_of(ep, { pin_id = id })
    jobs[#jobs + 1] = {
      target = path .. query, category = ep.category, endpoint = "GET " .. path, pins = 1,
      done = function(ok, body, meta)
        if not ok then
          errs[id] = self:_hint(body)
          return
        end
        local good, where, why = schema[ep.schema](body)
        if good then results[id] = body else errs[id] = shape_error(self, meta, path, where, why, body) end
      end,
    }
  end
  local run, progress_errors = self:_run(fn, jobs, #ids)
  return results, errs, { quota = run.stopped, progress_errors = progress_errors }
end

--- The token user's account: `GET /user_account` (`id`, `username`, `account_type`,
-- `business_name`, `board_count`, `pin_count`, `follower_count`, `following_count`,
-- `monthly_views`, ...).
-- @tab[opt] params
-- @tparam[opt] string|int params.ad_account_id
-- @treturn[1] table the account
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Client:user_account(params)
  return self:_call(ENDPOINTS.user_account, params)
end

--- The ad accounts the token user can act for: `GET /ad_accounts`, page by page
-- (`id`, `name`, `owner = { id, username }`, `country`, `currency`, `permissions`,
-- `created_time`, `updated_time`). Their ids are what `ad_account_id` takes.
-- @tab[opt] params
-- @int[opt] params.page_size 1..250
-- @bool[opt] params.include_shared_accounts
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
function Client:ad_accounts(params)
  return self:_call(ENDPOINTS.ad_accounts, params)
end

--- A board's sections (`id`, `name`): `GET /boards/{board_id}/sections`, page by page.
-- @string board_id a string of digits
-- @tab[opt] params
-- @int[opt] params.page_size 1..250
-- @tparam[opt] string|int params.ad_account_id
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
function Client:board_sections(board_id, params)
  return self:_call(ENDPOINTS.board_sections, params, board_id)
end

--- A board section's pins, as `list_pins` gives them:
-- `GET /boards/{board_id}/sections/{section_id}/pins`, page by page.
-- @string board_id a string of digits
-- @string section_id a string of digits
-- @tab[opt] params
-- @int[opt] params.page_size 1..250
-- @tparam[opt] string|int params.ad_account_id
-- @treturn pinanalytics.paginate.Pager pages of items (`pager:items()`, `pager:all()`, ...)
function Client:board_section_pins(board_id, section_id, params)
  return self:_call(ENDPOINTS.board_section_pins, params, board_id, section_id)
end

--- Any other GET endpoint, with the same session, token refresh, errors and
-- decoding (without a shape: numbers typed by the general rule). Paced by
-- the rate-limit category `get_category` gives the path.
-- @string path after `base_url`, starting with "/": "/user_account", "/pins/123"
-- @tab[opt] query values: strings, numbers, booleans, or arrays (the key repeats)
-- @return[1] the decoded body (`pinanalytics.null` for an empty one)
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
-- @usage local acct = pin:get("/user_account", { ad_account_id = "1" })
function Client:get(path, query)
  local fn = "get"
  if type(path) ~= "string" or not path:match("^/[%w%-%._~/{}:@!$&'()*+,;=%%]*$") then
    fail(fn, "path must be a string starting with \"/\" without a query string, got %s", show(path))
  end
  if query ~= nil and type(query) ~= "table" then fail(fn, "query must be a table, got %s", show(query)) end
  local q = {}
  for _, k in ipairs(schema.sorted_keys(query or {})) do
    local v = query[k]
    if type(k) ~= "string" then fail(fn, "query keys must be strings, got %s", show(k)) end
    local vals = type(v) == "table" and v or { v }
    for i = 1, #vals do
      local x = vals[i]
      local t = type(x)
      if t ~= "string" and t ~= "number" and t ~= "boolean" then
        fail(fn, "query.%s must be a string, number, boolean or an array of them, got %s", k, show(x))
      end
      q[#q + 1] = { k, t == "number" and math.floor(x) == x and string.format("%d", x) or tostring(x) }
    end
  end
  local ok, body = self:_get(path, q, nil, M.get_category(path))
  if not ok then return nil, body end
  if body == nil then return core.null end -- an empty body
  return body
end

-- the ads analytics methods (pinanalytics.ads): campaign_analytics, list_campaigns, ...
require("pinanalytics.ads").install(Client)
-- async ads reports (create, wait, download): pinanalytics.ads.async
require("pinanalytics.ads.async").install(Client, M)

-- method guard --------------------------------------------------------------

-- Every public method checks, before anything else, that it was called with
-- a colon on a client (pin.pin_analytics(...) would take the pin id for the
-- client) and that the client is open; a pager checks the latter before each
-- page. Both are programmer errors: they raise naming the method.
local PAGER_MT = getmetatable(paginate.new(function() end))

local function guarded(name, method)
  local function returned(self, first, ...)
    if getmetatable(first) == PAGER_MT then
      local fetch = first.fetch
      first.fetch = function(bookmark)
        if self.closed then fail(name, "the client is closed") end
        return fetch(bookmark)
      end
    end
    return first, ...
  end
  return function(self, ...)
    if getmetatable(self) ~= Client then fail(name, "call it with a colon: client:%s(...)", name) end
    if self.closed and name ~= "close" then fail(name, "the client is closed") end
    return returned(self, method(self, ...))
  end
end

do
  local names = {}
  for name, f in pairs(Client) do
    if type(name) == "string" and type(f) == "function" and not name:match("^_") then names[#names + 1] = name end
  end
  for _, name in ipairs(names) do Client[name] = guarded(name, Client[name]) end
  Client.__close = Client.close
end

return M
