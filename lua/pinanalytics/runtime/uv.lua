--- The "uv" runtime: libuv programs through luv (Neovim's vim.loop, or
-- Debian's lua-luv in plain Lua).
--
-- Client calls run inside `pinanalytics.async(fn [, on_done])`, a coroutine
-- that yields to the loop whenever the client waits; a call made outside a
-- task cannot yield, and blocks (on libcurl's own wait), as in plain Lua.
-- Tasks may share a client: their requests run side by side (up to 8 at once
-- per client, more wait their turn), and a bulk run started while another
-- task's run holds the client's Batch runs on a Batch of its own. libcurl is driven by
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
local runtime = require "pinanalytics.runtime"

local M = {}

-- requests one client may have in flight at once outside bulk runs
local SESSION_SLOTS = 8

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
    if not ok and require("pinanalytics.errors").is_interrupt(lib) then error(lib, 0) end
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
local close_deferred -- below

local function in_callback(fn, ...)
  depth = depth + 1
  close_deferred()
  local ok, err = pcall(fn, ...)
  depth = depth - 1
  if not ok then error(err, 0) end
end

-- Handles. luv keeps every handle until it is closed (a handle that is only
-- stopped is never collected), and luv 1.44 (Debian 12) crashes the process
-- at exit when a handle was closed and its loop did not run afterwards (a
-- script that closes its client after uv.run() returned, then ends). So a
-- handle is closed where the loop runs on (in Neovim; while the loop runs:
-- from a callback); outside the loop, a timer is stopped and kept for the
-- next one this module needs (so their number is bounded by the most in use
-- at once), and another handle is stopped and closed from the next callback.
local idle_timers, idle_count = {}, 0
local to_close = {}

local function loop_runs()
  if depth > 0 or type(rawget(_G, "vim")) == "table" then return true end
  local mode = uv().loop_mode
  return mode ~= nil and mode() ~= nil
end

function close_deferred()
  if #to_close == 0 or not loop_runs() then return end
  local list = to_close
  to_close = {}
  for _, h in ipairs(list) do
    if not h:is_closing() then h:close() end
  end
end

local function new_timer()
  close_deferred()
  if idle_count > 0 then
    local t = idle_timers[idle_count]
    idle_timers[idle_count] = nil
    idle_count = idle_count - 1
    return t
  end
  return uv().new_timer()
end

local function release(handle, is_timer)
  handle:stop()
  if loop_runs() then
    close_deferred()
    handle:close()
  elseif is_timer then
    idle_count = idle_count + 1
    idle_timers[idle_count] = handle
  else
    to_close[#to_close + 1] = handle
  end
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

-- The task the running code may yield for: the task being resumed, when
-- the code runs in its coroutine (not in a coroutine of its own inside the
-- task); nil elsewhere, where a wait blocks.
local function in_task()
  if not current or current.dead then return nil end
  if runtime.yields_to(coroutine.running()) ~= current.co then return nil end
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
  local task = in_task()
  if s <= 0 then s = 0 end
  if not task then return core.sleep(s) end
  local timer = new_timer()
  timer:start(math.ceil(s * 1000), 0, function()
    in_callback(function()
      M.stats.wakeups = M.stats.wakeups + 1
      release(timer, true)
      resume(task)
    end)
  end)
  suspend()
end

-- a Batch on the loop -------------------------------------------------------

--- The "uv" runtime's transport for many requests in flight (`rt.batch(opts)`):
-- drives an event-driven `pinanalytics.core.Batch` from luv, a poll handle
-- per socket and one timer for libcurl's timeout (made when first needed).
-- Finished requests collect until a task's `step` takes them. Used outside a
-- task, it works on a blocking `pinanalytics.core.Batch` of its own.
-- @type Driver
local Driver = {}
Driver.__index = Driver

local function new_driver(so)
  local o = {}
  for k, v in pairs(so) do o[k] = v end
  local plain = {}
  for k, v in pairs(o) do plain[k] = v end
  o.events = true
  -- waiting: request id -> the task of a Session waiting for it; queue: the
  -- tasks of a Session waiting for a free slot
  return setmetatable({ b = core.batch(o), polls = {}, done = {}, waiting = {}, nwaiting = 0, queue = {},
    waiter = nil, plain = plain, token = so.token }, Driver)
end

function Driver:_wake_waiter(...)
  local w = self.waiter
  if w then
    self.waiter = nil
    if self.step_timer then self.step_timer:stop() end
    resume(w, ...)
  end
end

-- Every task waiting on it (step, a Session's requests and queue) gets the error.
function Driver:_fail_all(err)
  local tasks = {}
  for id, task in pairs(self.waiting) do
    tasks[#tasks + 1] = task
    self.waiting[id] = nil
  end
  self.nwaiting = 0
  for _, task in ipairs(self.queue) do tasks[#tasks + 1] = task end
  self.queue = {}
  for _, task in ipairs(tasks) do resume(task, "pinanalytics.error", err) end
  self:_wake_waiter("pinanalytics.error", err)
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
    if self.timer then self.timer:stop() end
  else
    self.timer = self.timer or new_timer()
    self.timer:start(timeout_ms, 0, function() in_callback(self._action, self, nil, nil) end)
  end
end

-- A callback from the loop: hand the event to libcurl, keep what finished.
function Driver:_action(fd, ev)
  M.stats.wakeups = M.stats.wakeups + 1
  if self.closed then return end
  local answered = {}
  local ok, err = pcall(function()
    for _, r in ipairs(self.b:action(fd, ev)) do
      local task = self.waiting[r.id]
      if task then
        self.waiting[r.id] = nil
        self.nwaiting = self.nwaiting - 1
        answered[#answered + 1] = { task, r }
      else
        self.done[#self.done + 1] = r
      end
    end
    self:_sync()
  end)
  -- tasks are resumed once libcurl's state is applied; one that raises (a
  -- task without on_done) does not keep the others from their answers
  local raised
  for _, a in ipairs(answered) do
    local rok, rerr = pcall(resume, a[1], a[2])
    if not rok and raised == nil then raised = rerr end
  end
  if raised ~= nil then
    if not self.closed then self:_action_rest(ok, err) end
    error(raised, 0)
  end
  if self.closed then return end
  return self:_action_rest(ok, err)
end

function Driver:_action_rest(ok, err)
  if not ok then
    -- raised in the tasks that wait, or in the next one to step
    if self.waiter or self.nwaiting > 0 or #self.queue > 0 then self:_fail_all(err) else self.failure = err end
    return
  end
  if #self.done > 0 then self:_wake_waiter() end
  -- free slots go to the tasks waiting for one, in turn
  if self.closed then return end
  local free = self.b:capacity() - self.b:inflight()
  while free > 0 and #self.queue > 0 and not self.closed do
    resume(table.remove(self.queue, 1))
    free = free - 1
  end
end

-- The blocking Batch used outside a task.
function Driver:_blocking()
  if not self.blocking then
    local o = {}
    for k, v in pairs(self.plain) do o[k] = v end
    o.token = self.token
    self.blocking = core.batch(o)
  end
  return self.blocking
end

--- As `pinanalytics.core.Batch:add`.
-- @treturn true
function Driver:add(id, method, target, body, headers, shape)
  if self.closed then error("pinanalytics: attempt to use a closed batch", 0) end
  if not in_task() then return self:_blocking():add(id, method, target, body, headers, shape) end
  if self.blocking and self.blocking:inflight() > 0 then
    error("pinanalytics: batch is full (its requests made outside a task are in flight)", 0)
  end
  self.b:add(id, method, target, body, headers, shape)
  self:_sync()
  return true
end

--- Waits at most ms milliseconds (nil: until something finishes) for
-- finished requests, the task yielding to the loop meanwhile (outside a
-- task, blocking).
-- @int[opt] ms
-- @treturn {table,...} the finished requests (possibly none), as `pinanalytics.core.Batch:step`
function Driver:step(ms)
  if self.closed then error("pinanalytics: attempt to use a closed batch", 0) end
  if ms ~= nil and (type(ms) ~= "number" or ms ~= ms) then
    error("batch:step: argument 'timeout_ms' must be a number of milliseconds, got " .. tostring(ms), 0)
  end
  if self.blocking and self.blocking:inflight() > 0 then return self.blocking:step(ms) end
  if self.failure then
    local err = self.failure
    self.failure = nil
    error(err, 0)
  end
  if #self.done == 0 and self.b:inflight() > self.nwaiting and (ms == nil or ms > 0) then
    local task = in_task()
    if not task then
      error("pinanalytics (runtime uv): requests added inside a task are waited for inside one " ..
        "(pinanalytics.async)", 0)
    end
    if self.waiter then error("pinanalytics (runtime uv): two tasks wait on one batch", 0) end
    self.waiter = task
    if ms then
      self.step_timer = self.step_timer or new_timer()
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
function Driver:inflight()
  return self.b:inflight() - self.nwaiting + (self.blocking and self.blocking:inflight() or 0)
end

--- How many may be in flight at once.
-- @treturn int
function Driver:capacity() return self.b:capacity() end

--- Replaces the bearer token of the requests added from now on.
-- @string[opt] token
function Driver:set_token(token)
  self.b:set_token(token)
  self.token = token
  if self.blocking then self.blocking:set_token(token) end
end

--- Is it closed?
-- @treturn boolean
function Driver:is_closed() return self.closed == true end

--- Forgets every request in flight, as `pinanalytics.core.Batch:cancel`.
-- @treturn int how many there were
function Driver:cancel()
  local n = self.b:cancel()
  self.done = {}
  if self.nwaiting > 0 or #self.queue > 0 then
    -- a Session's requests were among them: their tasks get an error
    local err = "pinanalytics: the requests were cancelled while a task waited on them"
    n = n - self.nwaiting
    self:_fail_all(err)
  end
  if self.blocking then n = n + self.blocking:cancel() end
  if not self.closed then self:_sync() end
  return n
end

--- Closes it and its handles; a task waiting on it gets an error. Idempotent.
function Driver:close()
  if self.closed then return end
  self.closed = true
  -- a task waiting on it would never be resumed: it gets an error instead
  self:_fail_all("pinanalytics: the client was closed while a request waited on it")
  self.b:close()
  if self.blocking then self.blocking:close() end
  for fd, p in pairs(self.polls) do
    release(p)
    self.polls[fd] = nil
  end
  if self.timer then release(self.timer, true) end
  if self.step_timer then release(self.step_timer, true) end
  self.timer, self.step_timer = nil, nil
  self.done = {}
end

Driver.__tostring = function(self)
  if self.closed then return "pinanalytics.Batch (uv, closed)" end
  return string.format("pinanalytics.Batch (uv, %d of %d in flight)", self:inflight(), self.b:capacity())
end

-- one at a time -------------------------------------------------------------

--- The "uv" runtime's transport for single requests (`rt.session(opts)`):
-- the requests of the tasks that share it run side by side on a `Driver` of
-- its own (up to 8 at once; more wait their turn). Outside a task, a request
-- blocks, on a `pinanalytics.core.Session` of its own.
-- @type Session
local Session = {}
Session.__index = Session

--- As `pinanalytics.core.Session:request`; the task yields to the loop while it waits
-- (outside a task, the call blocks).
-- @return what `pinanalytics.core.Session:request` returns
function Session:request(method, target, body, headers, shape)
  if self.closed then error("pinanalytics: attempt to use a closed session", 0) end
  local task = in_task()
  if not task then
    if not self.blocking then
      local o = {}
      for k, v in pairs(self.d.plain) do if k ~= "concurrency" then o[k] = v end end
      o.token = self.d.token
      self.blocking = core.session(o)
    end
    return self.blocking:request(method, target, body, headers, shape)
  end
  local d = self.d
  while d.b:inflight() >= d.b:capacity() do
    d.queue[#d.queue + 1] = task
    suspend()
    if self.closed then error("pinanalytics: the client was closed while a request waited on it", 0) end
  end
  self.seq = self.seq + 1
  local id = self.seq
  d.b:add(id, method, target, body, headers, shape)
  d.waiting[id] = task
  d.nwaiting = d.nwaiting + 1
  local ok, err = pcall(d._sync, d)
  if not ok then
    d.waiting[id] = nil
    d.nwaiting = d.nwaiting - 1
    error(err, 0)
  end
  local r = suspend()
  if r.status then return r.status, r.headers, r.body, r.decode_error, r.raw, r.shape_ok end
  return nil, r.kind, r.message, r.curl_code
end

--- Replaces the bearer token of the requests that follow.
-- @string[opt] token
function Session:set_token(token)
  self.d:set_token(token)
  if self.blocking then self.blocking:set_token(token) end
end

--- Closes it.
function Session:close()
  self.closed = true
  self.d:close()
  if self.blocking then self.blocking:close() end
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
      o.concurrency = SESSION_SLOTS
      return setmetatable({ d = new_driver(o), seq = 0 }, Session)
    end,
    batch = new_driver,
  }
end

return M
