--- The "uv" runtime: libuv programs through luv (Neovim's vim.loop, or
-- Debian's lua-luv in plain Lua).
--
-- Client calls run inside `pinanalytics.async(fn [, on_done])`, a coroutine
-- that yields to the loop whenever the client waits. libcurl is driven by
-- the loop's own events: an event-driven core Batch (core.batch{events =
-- true}) reports the sockets it wants watched and the one timeout it wants,
-- the runtime keeps one luv poll handle per socket and one luv timer, and
-- each event is handed back to libcurl (b:action). No Lua runs on a fixed
-- tick: while a request waits for its server, Lua wakes only when a socket
-- or libcurl's own timer has something to say.
--
-- Where a task is resumed. luv calls its callbacks from the loop; in Neovim
-- those run in a "fast event" context where most vim.api functions may not
-- be called. So, in Neovim, the runtime resumes a task through
-- vim.schedule: the code of fn, and on_done, run where the whole API is
-- allowed. (libcurl itself is driven from the fast callbacks.) In plain Lua
-- with lua-luv, tasks are resumed from the callbacks directly; run the loop
-- with require("luv").run().
local core = require "pinanalytics.core"

local M = {}

--- Counters a caller may read: wakeups = callbacks from the loop (socket
-- events, libcurl's timer, sleeps and step timeouts).
M.stats = { wakeups = 0 }

local unpack = table.unpack or unpack -- luacheck: ignore 143

local uv_lib
local function uv()
  if uv_lib then return uv_lib end
  local vim = rawget(_G, "vim")
  if type(vim) == "table" and (vim.uv or vim.loop) then
    uv_lib = vim.uv or vim.loop
  else
    local ok, lib = pcall(require, "luv")
    if not ok then
      error("the \"uv\" runtime needs luv: inside Neovim it is vim.loop; in plain Lua install Debian's lua-luv " ..
        "(apt-get install lua-luv)", 0)
    end
    uv_lib = lib
  end
  return uv_lib
end

local function scheduler()
  local vim = rawget(_G, "vim")
  if type(vim) == "table" and type(vim.schedule) == "function" then return vim.schedule end
  return nil
end

-- How many of this module's loop callbacks are running (0: none, the code
-- runs outside the loop, or in a callback of someone else's).
local depth = 0

local function in_callback(fn, ...)
  depth = depth + 1
  local ok, err = pcall(fn, ...)
  depth = depth - 1
  if not ok then error(err, 0) end
end

-- Ends a handle. luv 1.44 (Debian 12) crashes the process at exit when a
-- handle was closed and its loop did not run afterwards (a script that
-- closes its client after uv.run() returned, then ends). So a handle is
-- closed only where the loop is known to run on: in Neovim, or from one of
-- this module's callbacks; elsewhere it is stopped, and luv closes it when
-- it is collected.
local function release(handle)
  handle:stop()
  local vim = rawget(_G, "vim")
  if depth > 0 or type(vim) == "table" then handle:close() end
end

-- tasks ---------------------------------------------------------------------

local current -- the task being resumed, or nil

local function pack(...)
  return { n = select("#", ...), ... }
end

local resume

local function finish(task, ok, ...)
  task.dead = true
  if task.on_done then
    task.on_done(ok, ...)
  elseif not ok then
    error(..., 0)
  end
end

-- Resumes the task with values (or with an error to raise in it).
local function resume_now(task, ...)
  if task.dead then return end
  local prev = current
  current = task
  local r = pack(coroutine.resume(task.co, ...))
  current = prev
  if coroutine.status(task.co) == "dead" then
    finish(task, unpack(r, 1, r.n))
  elseif not r[1] then
    finish(task, false, r[2])
  end
end

function resume(task, ...)
  local schedule = scheduler()
  if schedule then
    local args = pack(...)
    schedule(function() resume_now(task, unpack(args, 1, args.n)) end)
  else
    resume_now(task, ...)
  end
end

--- Runs fn() in a coroutine in which the calls of clients made with
-- `runtime = "uv"` yield to the loop while they wait (also `pinanalytics.async`).
-- fn starts at once, until its first wait. In Neovim, fn and on_done are
-- resumed through `vim.schedule`, where the whole API may be called.
-- @func fn the task
-- @func[opt] on_done `on_done(ok, result_or_err)`, called when fn ends (ok false: it raised);
-- without it, an error of fn is raised from the loop's callback
-- @treturn table the task (`task.dead` once fn has ended)
function M.async(fn, on_done)
  if type(fn) ~= "function" then
    error("pinanalytics.async: argument 'fn' must be a function, got " .. type(fn), 2)
  end
  if on_done ~= nil and type(on_done) ~= "function" then
    error("pinanalytics.async: argument 'on_done' must be a function or nil, got " .. type(on_done), 2)
  end
  uv()
  local task = { co = coroutine.create(fn), on_done = on_done }
  resume_now(task)
  return task
end

-- The task a wait belongs to; raises outside pinanalytics.async.
local function this_task(what)
  if not current or current.dead then
    error("pinanalytics (runtime uv): " .. what .. " must run inside pinanalytics.async(fn): the client waits by " ..
      "yielding to the loop", 0)
  end
  return current
end

-- Suspends the task until wake(task, ...) is called; returns its values.
local function suspend()
  local r = pack(coroutine.yield())
  if r[1] == "pinanalytics.error" then error(r[2], 0) end
  return unpack(r, 1, r.n)
end

local function sleep(s)
  if type(s) ~= "number" or s ~= s or s > 2147483647 then
    error("pinanalytics (runtime uv): sleep: seconds must be a number in 0..2147483647, got " .. tostring(s), 0)
  end
  local task = this_task("a wait")
  if s <= 0 then s = 0 end
  local timer = uv().new_timer()
  timer:start(math.ceil(s * 1000), 0, function()
    in_callback(function()
      M.stats.wakeups = M.stats.wakeups + 1
      timer:close()
      resume(task)
    end)
  end)
  suspend()
end

-- a Batch on the loop -------------------------------------------------------

--- The "uv" runtime's transport for many requests in flight (`rt.batch(opts)`):
-- drives an event-driven `pinanalytics.core.Batch` from luv, a poll handle
-- per socket and one timer for libcurl's timeout. Finished requests
-- collect until a task's `step` takes them.
-- @type Driver
local Driver = {}
Driver.__index = Driver

local function new_driver(so)
  local o = {}
  for k, v in pairs(so) do o[k] = v end
  o.events = true
  local self = setmetatable({ b = core.batch(o), polls = {}, done = {}, waiter = nil }, Driver)
  self.timer = uv().new_timer()
  return self
end

function Driver:_wake_waiter(...)
  local w = self.waiter
  if w then
    self.waiter = nil
    if self.step_timer then self.step_timer:stop() end
    resume(w, ...)
  end
end

-- Applies what the Batch asked for since the last time.
function Driver:_sync()
  local changes, timeout_ms = self.b:events()
  for _, c in ipairs(changes) do
    local p = self.polls[c.fd]
    if c.want == "remove" then
      if p then
        release(p)
        self.polls[c.fd] = nil
      end
    else
      if not p then
        p = uv().new_poll(c.fd)
        self.polls[c.fd] = p
      end
      local fd = c.fd
      p:start(c.want, function(err, events)
        local ev = err and "e" or (events or ""):gsub("[^rw]", "")
        in_callback(self._action, self, fd, ev)
      end)
    end
  end
  if timeout_ms < 0 then
    self.timer:stop()
  else
    self.timer:start(timeout_ms, 0, function() in_callback(self._action, self, nil, nil) end)
  end
end

-- A callback from the loop: hand the event to libcurl, keep what finished.
function Driver:_action(fd, ev)
  M.stats.wakeups = M.stats.wakeups + 1
  if self.closed then return end
  local ok, err = pcall(function()
    for _, r in ipairs(self.b:action(fd, ev)) do self.done[#self.done + 1] = r end
    self:_sync()
  end)
  if not ok then
    -- raised in the task that waits, or in the next one to step
    if self.waiter then self:_wake_waiter("pinanalytics.error", err) else self.failure = err end
  elseif #self.done > 0 then
    self:_wake_waiter()
  end
end

--- As `pinanalytics.core.Batch:add`.
-- @treturn true
function Driver:add(id, method, target, body, headers, shape)
  self.b:add(id, method, target, body, headers, shape)
  self:_sync()
  return true
end

--- Waits at most ms milliseconds (nil: until something finishes) for
-- finished requests, the task yielding to the loop meanwhile.
-- @int[opt] ms
-- @treturn {table,...} the finished requests (possibly none), as `pinanalytics.core.Batch:step`
function Driver:step(ms)
  if self.closed then error("pinanalytics: attempt to use a closed batch", 0) end
  if ms ~= nil and (type(ms) ~= "number" or ms ~= ms) then
    error("batch:step: argument 'timeout_ms' must be a number of milliseconds, got " .. tostring(ms), 0)
  end
  if self.failure then
    local err = self.failure
    self.failure = nil
    error(err, 0)
  end
  if #self.done == 0 and self.b:inflight() > 0 and (ms == nil or ms > 0) then
    local task = this_task("a request")
    if self.waiter then error("pinanalytics (runtime uv): two tasks wait on one batch", 0) end
    self.waiter = task
    if ms then
      self.step_timer = self.step_timer or uv().new_timer()
      self.step_timer:start(math.ceil(ms), 0, function()
        in_callback(function()
          M.stats.wakeups = M.stats.wakeups + 1
          self:_wake_waiter()
        end)
      end)
    end
    suspend()
  end
  local done = self.done
  self.done = {}
  return done
end

--- How many requests are in flight.
-- @treturn int
function Driver:inflight() return self.b:inflight() end

--- How many may be in flight at once.
-- @treturn int
function Driver:capacity() return self.b:capacity() end

--- Replaces the bearer token of the requests added from now on.
-- @string[opt] token
function Driver:set_token(token) return self.b:set_token(token) end

--- Is it closed?
-- @treturn boolean
function Driver:is_closed() return self.closed == true end

--- Forgets every request in flight, as `pinanalytics.core.Batch:cancel`.
-- @treturn int how many there were
function Driver:cancel()
  local n = self.b:cancel()
  self.done = {}
  if not self.closed then self:_sync() end
  return n
end

--- Closes it and its handles; a task waiting on it gets an error. Idempotent.
function Driver:close()
  if self.closed then return end
  self.closed = true
  -- a task waiting on it would never be resumed: it gets an error instead
  self:_wake_waiter("pinanalytics.error", "pinanalytics: the client was closed while a request waited on it")
  self.b:close()
  for fd, p in pairs(self.polls) do
    release(p)
    self.polls[fd] = nil
  end
  release(self.timer)
  if self.step_timer then release(self.step_timer) end
  self.done = {}
end

Driver.__tostring = function(self)
  if self.closed then return "pinanalytics.Batch (uv, closed)" end
  return string.format("pinanalytics.Batch (uv, %d of %d in flight)", self.b:inflight(), self.b:capacity())
end

-- one at a time -------------------------------------------------------------

--- The "uv" runtime's transport for one request at a time (`rt.session(opts)`),
-- on a `Driver` of its own.
-- @type Session
local Session = {}
Session.__index = Session

--- As `pinanalytics.core.Session:request`; the task yields to the loop while it waits.
-- Raises outside `pinanalytics.async`.
-- @return what `pinanalytics.core.Session:request` returns
function Session:request(method, target, body, headers, shape)
  if self.closed then error("pinanalytics: attempt to use a closed session", 0) end
  this_task("a request")
  self.seq = self.seq + 1
  local id = self.seq
  self.d:add(id, method, target, body, headers, shape)
  while true do
    for _, r in ipairs(self.d:step(nil)) do
      if r.id == id then
        if r.status then return r.status, r.headers, r.body, r.decode_error, r.raw, r.shape_ok end
        return nil, r.kind, r.message, r.curl_code
      end
    end
  end
end

--- Replaces the bearer token of the requests that follow.
-- @string[opt] token
function Session:set_token(token) self.d:set_token(token) end

--- Closes it.
function Session:close()
  self.closed = true
  self.d:close()
end

-- the runtime ---------------------------------------------------------------

--- Functions.
-- @section functions

--- A runtime instance (see `pinanalytics.runtime.Runtime`). Raises when luv
-- cannot be loaded (Neovim's `vim.loop`, or lua-luv).
-- @treturn table the runtime
function M.new()
  uv()
  return {
    name = "uv",
    now = core.now,
    sleep = sleep,
    session = function(so)
      local o = {}
      for k, v in pairs(so) do o[k] = v end
      o.concurrency = 1
      return setmetatable({ d = new_driver(o), seq = 0 }, Session)
    end,
    batch = new_driver,
  }
end

return M
