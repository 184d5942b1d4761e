--- Pacing and retries: the token buckets and the retry policy.
--
-- Pinterest shares rate-limit quota between operations of the same
-- category (org_analytics, org_read, ...). A client keeps one token bucket
-- per category, so everything it sends in that category is paced together.
--
-- A failed request is retried when it may succeed later: 429, 5xx, a reset
-- or refused connection, a timeout, and Pinterest's transient error bodies
-- ("Sorry! Something went wrong", code 12 or 2787, "Retry after N seconds").
-- The wait honours Retry-After, then X-RateLimit-Reset, then "Retry after N
-- seconds" in the message, else capped exponential backoff with jitter. A
-- wait longer than max_wait ends the work with an error of kind "quota"
-- that says when the limit resets.
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"

local M = {}

--- Seconds before the first retry (before jitter).
M.BACKOFF_BASE = 0.5
--- The longest backoff between two tries, seconds.
M.BACKOFF_CAP = 30
--- A client's `retries` when it gives none.
M.DEFAULT_RETRIES = 5
--- A client's `max_wait` when it gives none, seconds.
M.DEFAULT_MAX_WAIT = 300
--- The longest wait a server can ask for (`pinanalytics.errors.MAX_SERVER_WAIT`).
M.MAX_SERVER_WAIT = errors.MAX_SERVER_WAIT

-- token bucket --------------------------------------------------------------

local Bucket = {}
Bucket.__index = Bucket

--- Token buckets.
-- @section buckets

--- A token bucket: `per_second` tokens a second, at most `burst` saved up.
-- The default burst is a twentieth of a second's worth (at least 1): enough
-- to make up for a loop that wakes a little late, never a clump a server
-- would notice.
-- @number per_second
-- @number[opt] burst
-- @treturn Bucket
function M.bucket(per_second, burst)
  burst = burst or math.max(1, per_second / 20)
  return setmetatable({ rate = per_second, burst = burst, tokens = burst, t = core.now() }, Bucket)
end

local function refill(b, now)
  if now < b.t then now = b.t end -- a caller's older reading of the clock: no time went back
  local tokens = b.tokens + (now - b.t) * b.rate
  b.tokens = tokens > b.burst and b.burst or tokens
  b.t = now
end

--- A token bucket, made by `bucket`.
-- @type Bucket

--- Seconds until a token is available (0 when one is).
-- @number now `pinanalytics.core.now()`
-- @treturn number
function Bucket:delay(now)
  refill(self, now)
  if self.tokens >= 1 then return 0 end
  return (1 - self.tokens) / self.rate
end

--- Takes a token (call it when `delay` is 0).
-- @number now `pinanalytics.core.now()`
function Bucket:take(now)
  refill(self, now)
  self.tokens = self.tokens - 1
end

--- Reserves the next token, in one step: the seconds to wait before using
-- it (0 when one is there now). Every call gets its own token, in the order
-- of the calls, however many wait at once: the caller sleeps that long and
-- sends, without asking again. A reservation not used is lost (the rate is
-- never exceeded, only not reached).
-- @number now `pinanalytics.core.now()`
-- @treturn number seconds
function Bucket:reserve(now)
  refill(self, now)
  local tokens = self.tokens - 1
  self.tokens = tokens
  if tokens >= 0 then return 0 end
  return -tokens / self.rate
end

-- token bucket shared by processes -------------------------------------------

local SharedBucket = {}
SharedBucket.__index = SharedBucket

-- How many times a reservation may find the bucket behind the clock and
-- wait for another process moving it up (1 ms each) before it gives up.
local MAX_TRIES = 2000

--- Token buckets shared by processes.
-- @section shared

--- A token bucket kept in a dictionary that processes share (an nginx
-- `lua_shared_dict`): every worker of an nginx, each with its handlers
-- waiting at once, shares one budget. One number is kept: the time of the
-- next free token on the monotonic clock (which every process of the machine
-- shares). A reservation advances it by 1/per_second with one atomic
-- `dict:incr` and owns the time it advanced from, so that no two callers
-- ever get the same token, without a lock; it waits until that time. When
-- the time it got is older than the bucket allows (the bucket was idle: full),
-- the number is moved up to now less `burst - 1` tokens, once, under a short
-- lock (`dict:add` of a key that expires on its own should a worker die
-- holding it), and the reservation is made again. In any span of t seconds
-- at most `per_second * t + burst` reservations fall, as for `bucket`.
-- @tparam table dict `get`, `add(key, value, exptime)`, `delete` and `incr(key, n, init)` as
-- ngx.shared.DICT (numbers are doubles)
-- @string key a key prefix for this bucket's entries (no credential in it)
-- @number per_second
-- @number[opt] burst as for `bucket`
-- @tab[opt] opts `name` (the dictionary's, for errors), `sleep` (seconds; the runtime's, so
-- that a wait for the lock yields) and `clock` (default `pinanalytics.core.now`)
-- @treturn SharedBucket
function M.shared_bucket(dict, key, per_second, burst, opts)
  opts = opts or {}
  burst = burst or math.max(1, per_second / 20)
  return setmetatable({ dict = dict, key = key, rate = per_second, burst = burst, step = 1 / per_second,
    tolerance = (math.max(1, math.floor(burst)) - 1) / per_second, name = opts.name or "the shared dictionary",
    sleep = opts.sleep or core.sleep, clock = opts.clock or core.now }, SharedBucket)
end

--- A token bucket in a shared dictionary, made by `shared_bucket`.
-- @type SharedBucket

local function dict_error(self, what, err)
  error(string.format("pinanalytics.pacing: %s %s: %s", self.name, what, tostring(err)), 0)
end

--- Reserves the next token, atomically across processes: the seconds to
-- wait before using it (0 when it is there now). As `Bucket:reserve`.
-- Raises when the dictionary cannot keep the number (full, say).
-- @number now `pinanalytics.core.now()`
-- @treturn number seconds
function SharedBucket:reserve(now)
  local dict, step = self.dict, self.step
  local tkey, lkey = self.key .. ":next", self.key .. ":lock"
  for _ = 1, MAX_TRIES do
    local earliest = now - self.tolerance
    local v, err = dict:incr(tkey, step, earliest)
    if not v then dict_error(self, "cannot keep the pacing time", err) end
    local at = v - step
    if at >= earliest then
      return at > now and at - now or 0
    end
    -- behind the clock: move it up (what others reserved meanwhile moves with it)
    local ok, lerr = dict:add(lkey, true, 0.1)
    if ok then
      local cur = dict:get(tkey)
      if type(cur) == "number" and cur < earliest then
        local _, ierr = dict:incr(tkey, earliest - cur)
        if ierr then
          dict:delete(lkey)
          dict_error(self, "cannot keep the pacing time", ierr)
        end
      end
      dict:delete(lkey)
    elseif lerr ~= "exists" then
      dict_error(self, "cannot take the pacing lock", lerr)
    else
      self.sleep(0.001) -- another process is moving it
      now = self.clock()
    end
  end
  error(string.format("pinanalytics.pacing: the pacing lock in %s stayed taken for over 2 s", self.name), 0)
end

--- Rate options.
-- @section rates

--- Pinterest's rate-limit categories (x-ratelimit-category in the API's
-- description, 5.23.0): the names rate.categories may give.
M.CATEGORIES = {
  "ads_analytics", "ads_conversions", "ads_read", "ads_write", "advanced_auction_read", "advanced_auction_write",
  "catalogs_read", "catalogs_write", "msot_write", "org_analytics", "org_read", "org_write", "trends_read",
}
local KNOWN_CATEGORY = {}
for _, c in ipairs(M.CATEGORIES) do KNOWN_CATEGORY[c] = true end

local RATE_KEYS = { "burst", "categories", "per_minute", "per_second" }
local CATEGORY_RATE_KEYS = { "burst", "per_minute", "per_second" }

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v) .. " (" .. type(v) .. ")"
end

-- Raises naming the first key of r that is not in `known` (a sorted list):
-- a misspelt key would otherwise leave the client unpaced without a word.
local function known_keys(r, known, what)
  for k in pairs(r) do
    local ok = false
    for _, name in ipairs(known) do if k == name then ok = true end end
    if not ok then
      error(string.format("%s has an unknown key %s (known: %s)", what, show(k), table.concat(known, ", ")), 0)
    end
  end
end

--- Parses a client's `rate` option into a function category -> bucket | nil.
-- Raises (a message without the function's name, which the caller adds) on
-- an unknown key at any level, an unknown category, or a rate that paces
-- nothing.
-- @tab rate `{ per_second = N }` or `{ per_minute = N }`, optional `burst = N`, optional
-- `categories = { org_read = { per_second = N }, ... }` overriding it for those categories
-- @treturn function `function(category) -> Bucket | nil`
function M.buckets(rate)
  local made = {}
  local function per_second(r, what, known)
    if type(r) ~= "table" then error(what .. " must be a table {per_second = N} or {per_minute = N}", 0) end
    known_keys(r, known, what)
    if r.per_second ~= nil and r.per_minute ~= nil then
      error(what .. " gives both per_second and per_minute: give one", 0)
    end
    local ps = r.per_second
    if ps == nil and type(r.per_minute) == "number" then ps = r.per_minute / 60 end
    if type(ps) ~= "number" or ps ~= ps or ps <= 0 then
      error(what .. " needs per_second or per_minute, a number > 0", 0)
    end
    if r.burst ~= nil and (type(r.burst) ~= "number" or r.burst ~= r.burst or r.burst < 1) then
      error(what .. ".burst must be a number >= 1", 0)
    end
    return ps, r.burst
  end
  if type(rate) ~= "table" then error("rate must be a table {per_second = N} or {per_minute = N}", 0) end
  known_keys(rate, RATE_KEYS, "rate")
  if rate.categories ~= nil and type(rate.categories) ~= "table" then
    error("rate.categories must be a table { org_read = { per_second = N }, ... }, got " .. show(rate.categories), 0)
  end
  local default_ps, default_burst
  if rate.per_second ~= nil or rate.per_minute ~= nil or rate.burst ~= nil or rate.categories == nil then
    default_ps, default_burst = per_second(rate, "rate", RATE_KEYS)
  end
  local cats = {}
  for name, r in pairs(rate.categories or {}) do
    if not KNOWN_CATEGORY[name] then
      error(string.format("rate.categories has an unknown category %s (known: %s)", show(name),
        table.concat(M.CATEGORIES, ", ")), 0)
    end
    cats[name] = { per_second(r, "rate.categories." .. name, CATEGORY_RATE_KEYS) }
  end
  if not default_ps and next(cats) == nil then
    error("rate paces nothing: give per_second or per_minute, or a category in rate.categories", 0)
  end
  return function(category)
    local b = made[category]
    if b then return b end
    local c = cats[category]
    if c then
      b = M.bucket(c[1], c[2])
    elseif default_ps then
      b = M.bucket(default_ps, default_burst)
    else
      return nil
    end
    made[category] = b
    return b
  end
end

-- retry policy --------------------------------------------------------------

--- The retry policy.
-- @section retries

local TRANSIENT_CODES = { [12] = true, [2787] = true }

--- Seconds the server asked to wait, from the error's headers and message,
-- clamped to 0..MAX_SERVER_WAIT; nil when it did not say (or not as a plain
-- decimal number).
-- @tparam pinanalytics.errors.Error err
-- @number[opt] now_epoch now, seconds since the epoch (for X-RateLimit-Reset)
-- @treturn number|nil
function M.server_wait(err, now_epoch)
  if err.retry_after then return errors.clamp_wait(err.retry_after) end
  local h = err.headers or {}
  local reset = errors.decimal(h["x-ratelimit-reset"])
  if reset then
    -- an epoch time or a number of seconds from now
    if reset > 1e9 then reset = reset - (now_epoch or os.time()) end
    return errors.clamp_wait(reset)
  end
  local n = type(err.message) == "string" and err.message:match("[Rr]etry after (%d+) seconds")
  return n and errors.clamp_wait(tonumber(n)) or nil
end

--- Is this error worth another try (429, 5xx, a reset or refused connection,
-- a timeout, Pinterest's transient error bodies)?
-- @tparam pinanalytics.errors.Error err
-- @treturn boolean
function M.retryable(err)
  local k = err.kind
  if k == "rate_limit" or k == "server" or k == "network" or k == "timeout" then return true end
  if TRANSIENT_CODES[err.code] then return true end
  local msg = type(err.message) == "string" and err.message:lower() or ""
  if msg:find("something went wrong", 1, true) or msg:find("retry after %d+ seconds") then return true end
  return false
end

--- Backoff before try number `attempt` (1 = the first retry): capped
-- exponential with jitter, between half and all of the step.
-- @int attempt
-- @func[opt=math.random] rand
-- @treturn number seconds
function M.backoff(attempt, rand)
  local step = M.BACKOFF_BASE * 2 ^ (attempt - 1)
  if step > M.BACKOFF_CAP then step = M.BACKOFF_CAP end
  return step / 2 + (rand or math.random)() * step / 2
end

--- The error that ends work when a limit resets too late (kind "quota", with
-- `retry_after` and `reset_at`).
-- @tparam pinanalytics.errors.Error cause the 429 that said so
-- @number wait seconds until the reset
-- @number max_wait the client's `max_wait`
-- @tparam[opt] {string,...} secrets
-- @treturn pinanalytics.errors.Error
function M.quota_error(cause, wait, max_wait, secrets)
  wait = errors.clamp_wait(wait)
  local reset_at = os.time() + math.ceil(wait)
  local h = math.floor(wait / 3600)
  local m = math.floor((wait % 3600) / 60)
  local s = math.ceil(wait % 60)
  local span = h > 0 and string.format("%dh %02dm", h, m) or (m > 0 and string.format("%dm %02ds", m, s))
    or string.format("%ds", s)
  return errors.new({
    kind = "quota", status = cause.status, code = cause.code, request_id = cause.request_id,
    endpoint = cause.endpoint, retry_after = math.ceil(wait), reset_at = reset_at, cause = cause,
    message = string.format("the rate limit resets in %s (at %s); stopped instead of waiting longer than " ..
      "max_wait (%s s)", span, os.date("!%Y-%m-%dT%H:%M:%SZ", reset_at), tostring(max_wait)),
  }, secrets)
end

--- Decides what to do after a failure.
-- @tparam pinanalytics.errors.Error err
-- @int attempt the tries so far
-- @tab policy `{ retries, max_wait, secrets }`
-- @treturn string "retry", "give_up" or "quota"
-- @return for "retry" the seconds to wait; for "quota" the error that ends the work
function M.after_failure(err, attempt, policy)
  if not M.retryable(err) or attempt > policy.retries then return "give_up" end
  local wait = M.server_wait(err)
  if wait == nil then wait = M.backoff(attempt) end
  if wait > policy.max_wait then
    return "quota", M.quota_error(err, wait, policy.max_wait, policy.secrets)
  end
  return "retry", wait
end

--- Notes on the error that ended a request how many tries it took and how
-- long they lasted: err.tries, err.elapsed (seconds from the first try to
-- the last answer). After more than one try the message says so too,
-- "... (after 6 tries over 12.3 s)", so that a failure that took retries is
-- not mistaken for a first answer.
-- @tparam pinanalytics.errors.Error err
-- @int tries
-- @number elapsed seconds
-- @treturn pinanalytics.errors.Error err
function M.tried(err, tries, elapsed)
  if type(err) ~= "table" or err.tries ~= nil then return err end
  err.tries = tries
  err.elapsed = elapsed
  if tries > 1 then
    err.message = string.format("%s (after %d tries over %.1f s)", tostring(err.message), tries, elapsed)
  end
  return err
end

--- A text that says what a rate option paces (sorted keys), for runtimes
-- that share buckets between clients with the same rate.
-- @tab rate the client's `rate` option
-- @treturn string
function M.rate_key(rate)
  local function ser(v)
    if type(v) ~= "table" then return tostring(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local out = {}
    for i, k in ipairs(keys) do out[i] = k .. "=" .. ser(v[k]) end
    return "{" .. table.concat(out, ",") .. "}"
  end
  return ser(rate)
end

return M
