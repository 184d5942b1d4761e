--- The "ngx" runtime: OpenResty (nginx with its Lua module).
--
-- A request handler's call yields its light thread while it waits, so the
-- worker goes on serving other requests:
--
--   * a request goes over nginx's own non-blocking sockets (the "cosocket"
--     transport, the default: pinanalytics.runtime.ngx_cosocket): the C
--     core's H1 codec writes it and reads the answer, decoded, checked and
--     typed in the worker; connections are kept in nginx's pool (one per
--     host, port, TLS and server name); TLS is verified against the bundle
--     nginx.conf names (lua_ssl_trusted_certificate). No thread_pool needed;
--   * with `transport = "threads"` (or a `thread_pool` named), a request runs
--     on nginx's thread pool instead (ngx.run_worker_thread): libcurl performs
--     it and the answer is decoded there, off the event loop;
--   * many requests (the bulk engine) are many light threads, one request
--     each, paced by the client's budget; step() waits on a semaphore they post to;
--   * a light thread waiting on a Batch (step, sleep) is seen there
--     (Batch:waiting): nginx takes a light thread it kills, or whose request
--     ends, off the semaphore's queue, so the bulk engine knows a run whose
--     light thread is gone from one that waits (pinanalytics.bulk.holder);
--   * sleeps (pacing, Retry-After, backoff) are ngx.sleep;
--   * the clients of one worker that use the same token, server and rate
--     share one pacing budget, and with shared_dict = "name" (a
--     lua_shared_dict) the workers of one nginx share it too.
--
-- The thread pool, for the "threads" transport, is nginx's "default" pool
-- unless `thread_pool` names another (nginx.conf: `thread_pool NAME threads=N;`).
--
-- Where nginx does not let Lua yield (init_by_lua*, init_worker_by_lua*,
-- set_by_lua*, header and body filters, log_by_lua*), the transports fall
-- back to blocking, as in plain Lua.
local core = require "pinanalytics.core"
local pacing = require "pinanalytics.pacing"
local cosocket = require "pinanalytics.runtime.ngx_cosocket"

local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore 143

-- phases in which ngx.run_worker_thread, ngx.sleep and semaphores may yield
local YIELDABLE = { rewrite = true, access = true, content = true, timer = true }

local THREAD_MODULE = "pinanalytics.runtime.ngx_thread"

local function ngx_api()
  return rawget(_G, "ngx")
end

local function can_yield()
  local ngx = ngx_api()
  return YIELDABLE[ngx.get_phase()] == true
end

local function pack(...)
  return { n = select("#", ...), ... }
end

-- Runs one request on the pool; the returns of core Session:request.
local function on_pool(pool, opts, token, method, target, body, headers, shape)
  local r = pack(ngx_api().run_worker_thread(pool, THREAD_MODULE, "request", opts, token, method, target, body,
    headers, shape))
  if not r[1] then
    error(string.format("pinanalytics (runtime ngx): the request could not run on nginx's thread pool %q: %s " ..
      "(does nginx.conf have \"thread_pool %s threads=N;\", and lua_package_path/lua_package_cpath reaching " ..
      "pinanalytics?)", pool, tostring(r[2]), pool), 0)
  end
  return unpack(r, 2, r.n)
end

local function without_token(opts)
  local o = {}
  for k, v in pairs(opts) do
    if k ~= "token" and k ~= "concurrency" and k ~= "events" then o[k] = v end
  end
  return o
end

-- one at a time -------------------------------------------------------------

--- The "ngx" runtime's transport for one request at a time (`rt.session(opts)`).
-- @type Session
local Session = {}
Session.__index = Session

-- Puts conn back among the session's free codecs (a few are kept) and
-- returns the rest.
local function give_back(self, conn, ...)
  if not self.closed and #self.conns < 4 then self.conns[#self.conns + 1] = conn else conn:close() end
  return ...
end

--- As `pinanalytics.core.Session:request`: the light thread yields while the
-- request goes over a cosocket (or runs on the thread pool); where Lua may
-- not yield, it blocks.
-- @return what `pinanalytics.core.Session:request` returns
function Session:request(method, target, body, headers, shape)
  if self.closed then error("pinanalytics: attempt to use a closed session", 0) end
  if not can_yield() then
    if not self.blocking then
      local o = without_token(self.opts)
      o.token = self.token
      self.blocking = core.session(o)
    end
    return self.blocking:request(method, target, body, headers, shape)
  end
  if self.transport == "threads" then
    return on_pool(self.pool, self.opts, self.token, method, target, body, headers, shape)
  end
  -- a codec of the session's free ones: light threads of several requests
  -- may use one client (a module-level one) at once, a codec each
  local conn = table.remove(self.conns)
  if not conn then
    local o = without_token(self.opts)
    o.token = self.token
    conn = cosocket.conn(o)
    conn.token = self.token
  elseif conn.token ~= self.token then
    conn:set_token(self.token)
    conn.token = self.token
  end
  return give_back(self, conn, conn:request(method, target, body, headers, shape))
end

--- Replaces the bearer token of the requests that follow.
-- @string[opt] token
function Session:set_token(token)
  if self.closed then error("pinanalytics: attempt to use a closed session", 0) end
  -- checked as the C core checks it, at once rather than on the pool
  core.session({ base_url = "http://127.0.0.1", token = token }):close()
  self.token = token
  if self.blocking then self.blocking:set_token(token) end
end

--- Closes it. Idempotent.
function Session:close()
  self.closed = true
  if self.blocking then self.blocking:close() end
  for _, conn in ipairs(self.conns) do conn:close() end
  self.conns = {}
end

-- many in flight ------------------------------------------------------------

--- The "ngx" runtime's transport for many requests in flight (`rt.batch(opts)`):
-- a light thread a request, each sending it over a cosocket of its own (or
-- running it on the thread pool).
-- @type Batch
local Batch = {}
Batch.__index = Batch

local function check_open(self)
  if self.closed then error("pinanalytics: attempt to use a closed batch", 0) end
end

--- As `pinanalytics.core.Batch:add`.
-- @treturn true
function Batch:add(id, method, target, body, headers, shape)
  check_open(self)
  if not can_yield() then
    if not self.blocking then
      local o = without_token(self.opts)
      o.token = self.token
      o.concurrency = self.cap
      self.blocking = core.batch(o)
    end
    return self.blocking:add(id, method, target, body, headers, shape)
  end
  if self:inflight() >= self.cap then
    error(string.format("pinanalytics: batch is full (%d requests in flight)", self:inflight()), 0)
  end
  if self.ids[id] then error(string.format("batch:add: id %s is already in flight", tostring(id)), 0) end
  local gen, pool, opts, token = self.gen, self.pool, self.opts, self.token
  self.ids[id] = true
  self.n = self.n + 1
  local me = self
  local perform
  if self.transport == "threads" then
    perform = function() return on_pool(pool, opts, token, method, target, body, headers, shape) end
  else
    perform = function()
      -- a codec of the Batch's free ones (one request at a time each)
      local conn = table.remove(me.conns)
      if not conn then
        local o = without_token(opts)
        o.token = token
        conn = cosocket.conn(o)
      else
        conn:set_token(token)
      end
      local r = { conn:request(method, target, body, headers, shape) }
      if not me.closed and #me.conns < me.cap then me.conns[#me.conns + 1] = conn else conn:close() end
      return unpack(r, 1, 6)
    end
  end
  local function task()
    local ok, r = pcall(function()
      local status, a, b, c, d, e = perform()
      if status then
        return { id = id, status = status, headers = a, body = b, decode_error = c, raw = d, shape_ok = e }
      end
      return { id = id, kind = a, message = b, curl_code = c }
    end)
    if me.gen ~= gen then return end -- cancelled or closed meanwhile: dropped
    if not ok then r = { id = id, error = r } end
    me.done[#me.done + 1] = r
    me.posted = me.posted + 1
    me.sema:post(1)
  end
  -- The request's light thread is spawned by one that ends at once and that
  -- this thread reaps: it has no parent left, so it never lingers as an
  -- unwaited child. nginx never ends a request once a light thread with
  -- such children was killed (lua-nginx-module 0.10.23): a run killed in
  -- its wait would hang its request for good.
  local thread = ngx_api().thread
  local launcher = thread.spawn(function() thread.spawn(task) end)
  local ok, err = thread.wait(launcher)
  if not ok then
    self.ids[id] = nil
    self.n = self.n - 1
    error(string.format("pinanalytics (runtime ngx): the request's light thread could not start: %s", tostring(err)), 0)
  end
  return true
end

-- Waits at most s seconds on the Batch's semaphore (less when an answer
-- comes). nginx times a wait from the clock it last read, which a long
-- handler leaves behind: read it now, or the wait ends early.
local function wait_on(self, s)
  ngx_api().update_time()
  if self.sema:wait(s) then self.taken = self.taken + 1 end
end

--- Waits at most ms milliseconds (on a semaphore the requests' threads post
-- to) and returns what finished, as `pinanalytics.core.Batch:step`.
-- @int[opt] ms
-- @treturn {table,...}
function Batch:step(ms)
  check_open(self)
  local out = {}
  if self.blocking and self.blocking:inflight() > 0 then
    out = self.blocking:step(ms)
  elseif #self.done == 0 and self.n > 0 and ms and ms > 0 then
    wait_on(self, ms / 1000)
  end
  local done = self.done
  self.done = {}
  for _, r in ipairs(done) do
    self.ids[r.id] = nil
    self.n = self.n - 1
    -- an error on the pool (no such pool, say) is the caller's to see
    if r.error then error(r.error, 0) end
    out[#out + 1] = r
  end
  return out
end

--- Waits seconds as the runtime's sleep does, on the Batch's semaphore, so
-- that the wait is seen by `waiting`; an answer of a request of the Batch
-- ends it early. Where Lua may not yield, it blocks.
-- @number seconds
function Batch:sleep(seconds)
  check_open(self)
  if not can_yield() then return core.sleep(seconds) end
  wait_on(self, seconds)
end

--- How many light threads wait on the Batch now (in `step` or `sleep`).
-- nginx takes a light thread off the wait when it kills it
-- (ngx.thread.kill) or when its request ends (finished, aborted by the
-- client): a wait that began and is not counted here was ended by nginx,
-- and the light thread will never run again.
-- @treturn int
function Batch:waiting()
  -- the semaphore counts its resources less its waiters; the resources are
  -- what was posted less what waits took
  return (self.posted - self.taken) - self.sema:count()
end

--- How many requests are in flight.
-- @treturn int
function Batch:inflight()
  check_open(self)
  return self.n + (self.blocking and self.blocking:inflight() or 0)
end

--- How many may be in flight at once.
-- @treturn int
function Batch:capacity()
  check_open(self)
  return self.cap
end

--- Forgets every request in flight: their answers are never returned.
-- @treturn int how many there were
function Batch:cancel()
  local n = self.n
  self.gen = self.gen + 1
  self.n = 0
  self.ids = {}
  self.done = {}
  if self.blocking then n = n + self.blocking:cancel() end
  return n
end

--- Replaces the bearer token of the requests added from now on.
-- @string[opt] token
function Batch:set_token(token)
  check_open(self)
  core.session({ base_url = "http://127.0.0.1", token = token }):close() -- checked at once
  self.token = token
  if self.blocking then self.blocking:set_token(token) end
end

--- Closes it. Idempotent.
function Batch:close()
  if self.closed then return end
  self:cancel()
  self.closed = true
  if self.blocking then self.blocking:close() end
  for _, conn in ipairs(self.conns) do conn:close() end
  self.conns = {}
end

--- Is it closed?
-- @treturn boolean
function Batch:is_closed()
  return self.closed == true
end

Batch.__tostring = function(self)
  if self.closed then return "pinanalytics.Batch (ngx, closed)" end
  return string.format("pinanalytics.Batch (ngx, %d of %d in flight)", self:inflight(), self.cap)
end

-- per worker: key -> category -> bucket
local MAX_SHARED = 1000
local worker_buckets, nworker = {}, 0

-- the runtime ---------------------------------------------------------------

--- Functions.
-- @section functions

--- A runtime instance (see `pinanalytics.runtime.Runtime`). Raises outside
-- OpenResty, on an unknown transport, a bad thread pool name, or a
-- `shared_dict` nginx.conf does not declare.
-- @tab opts the client's options
-- @string[opt] opts.transport "cosocket" (nginx's sockets; the default) or "threads" (libcurl on
-- nginx's thread pool; the default when `thread_pool` is given)
-- @string[opt="default"] opts.thread_pool "threads": the nginx thread pool the requests run on
-- @string[opt] opts.shared_dict a `lua_shared_dict` holding the pacing buckets (every worker shares them)
-- @treturn table the runtime
function M.new(opts)
  local ngx = ngx_api()
  if type(ngx) ~= "table" or type(ngx.socket) ~= "table" or type(ngx.get_phase) ~= "function" then
    error("option runtime \"ngx\" needs OpenResty (nginx's Lua module 0.10.21 or later, with " ..
      "ngx.run_worker_thread); this host has no ngx", 0)
  end
  local transport = opts.transport or (opts.thread_pool ~= nil and "threads" or "cosocket")
  if transport ~= "cosocket" and transport ~= "threads" then
    error(string.format("option transport must be \"cosocket\" or \"threads\", got %q", tostring(transport)), 0)
  end
  if transport == "cosocket" and opts.thread_pool ~= nil then
    error("option thread_pool applies to transport \"threads\" only (this client's transport is \"cosocket\")", 0)
  end
  if transport == "threads" and type(ngx.run_worker_thread) ~= "function" then
    error("option transport \"threads\" needs nginx's Lua module 0.10.21 or later (ngx.run_worker_thread)", 0)
  end
  if transport == "cosocket" then
    local refused = cosocket.refusal(opts)
    if refused then error(refused, 0) end
  end
  local pool = opts.thread_pool or "default"
  if pool == "" or pool:find("[%c%s;{}]") then
    error(string.format("option thread_pool must be a thread pool name, got %q", pool), 0)
  end
  local dict
  if opts.shared_dict ~= nil then
    dict = ngx.shared[opts.shared_dict]
    if not dict then
      error(string.format("option shared_dict names no lua_shared_dict: %q (nginx.conf: lua_shared_dict %s 1m;)",
        opts.shared_dict, opts.shared_dict), 0)
    end
  end
  local semaphore = require "ngx.semaphore"
  local rt = { name = "ngx", now = core.now }

  function rt.sleep(s)
    if can_yield() then
      -- nginx times a sleep from the clock it last read, which a long
      -- handler leaves behind: read it now, or the sleep ends early
      ngx.update_time()
      ngx.sleep(s)
    else
      core.sleep(s)
    end
  end

  rt.transport = transport

  function rt.session(so)
    return setmetatable({ pool = pool, transport = transport, conns = {}, opts = without_token(so), token = so.token },
      Session)
  end

  function rt.batch(so)
    return setmetatable({
      pool = pool, transport = transport, conns = {}, opts = without_token(so), token = so.token,
      cap = so.concurrency or 8,
      ids = {}, n = 0, done = {}, gen = 0, sema = semaphore.new(0), posted = 0, taken = 0,
    }, Batch)
  end

  -- Facts shared like the buckets (the multi-pin endpoint's refusal): with
  -- shared_dict, every worker sees them, under a hash of the key (the key
  -- holds a credential). Without it, the client keeps them per worker.
  if dict then
    function rt.shared_get(key)
      return (dict:get("pinanalytics:" .. ngx.md5(key)))
    end
    function rt.shared_set(key, value, ttl)
      return dict:set("pinanalytics:" .. ngx.md5(key), value, ttl)
    end
  end

  -- made: category -> bucket (pacing.buckets); key: who shares it.
  function rt.buckets(made, key)
    if dict then
      local hashed = "pinanalytics:" .. ngx.md5(key)
      local cache = {}
      return function(category)
        local b = cache[category or ""]
        if b then return b end
        local proto = made(category)
        if not proto then return nil end
        -- atomic across workers and handlers: pinanalytics.pacing.shared_bucket
        b = pacing.shared_bucket(dict, hashed .. ":" .. (category or ""), proto.rate, proto.burst,
          { name = "lua_shared_dict " .. opts.shared_dict, sleep = rt.sleep })
        cache[category or ""] = b
        return b
      end
    end
    local mine = worker_buckets[key]
    if mine then return mine end
    if nworker >= MAX_SHARED then
      worker_buckets, nworker = {}, 0
    end
    worker_buckets[key] = made
    nworker = nworker + 1
    return made
  end

  return rt
end

return M
