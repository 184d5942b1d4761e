-- core.batch{events = true}: a Batch driven by an event loop's own events
-- (libcurl's socket interface). Here the loop is luv's: one poll handle per
-- socket that b:events() reports, one timer for its timeout, the changes
-- applied in the order they come; b:action() when a socket is ready or the
-- timer fires.
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local H = require "helpers.sim"
local R = require "helpers.runtime"
local uv = require "luv" -- Debian: lua-luv

local function refuses(f, want)
  local ok, err = pcall(f)
  assert.is_false(ok, "did not raise")
  err = tostring(err)
  assert.truthy(err:find(want, 1, true), "expected '" .. want .. "' in: " .. err)
  return err
end

-- luv's poll events ("r", "w", "rw", "rd"...) or its error as b:action's letters
local function letters(err, ev)
  if err then return "e" end
  local s = ""
  if ev:find("r", 1, true) then s = s .. "r" end
  if ev:find("w", 1, true) then s = s .. "w" end
  return s
end

-- A driver for one batch on luv's default loop. d.finished: the finished
-- requests in order; d.wakeups: luv callbacks run (sockets and timer);
-- d.changes: every change applied, in order; d.polls: fd -> poll handle;
-- d.wants: fd -> what it waits for now; d.timeout: the last timeout read.
-- opts.around(f): runs each b:action call (f) and returns its result.
local function driver(b, opts)
  opts = opts or {}
  local d = { finished = {}, wakeups = 0, changes = {}, polls = {}, wants = {}, timer = uv.new_timer() }
  local around = opts.around or function(f) return f() end
  local apply

  local function act(fd, ev)
    if b:is_closed() then return end -- closed by a finalizer in an earlier action: nothing more to drive
    d.wakeups = d.wakeups + 1
    local ok, err = pcall(function()
      local done = around(function() return b:action(fd, ev) end)
      for _, r in ipairs(done) do d.finished[#d.finished + 1] = r end
      if not b:is_closed() then apply() end
    end)
    if not ok and not d.err then d.err = tostring(err) end
  end

  function apply()
    local changes, timeout = b:events()
    for _, c in ipairs(changes) do
      d.changes[#d.changes + 1] = c
      local fd, p = c.fd, d.polls[c.fd]
      if c.want == "remove" then
        if p then p:close() end
        d.polls[fd], d.wants[fd] = nil, nil
      else
        if not p then
          p = uv.new_socket_poll(fd)
          d.polls[fd] = p
        end
        d.wants[fd] = c.want
        p:start(c.want, function(err, ev) act(fd, letters(err, ev)) end)
      end
    end
    d.timeout = timeout
    d.timer:stop()
    if timeout >= 0 then d.timer:start(timeout, 0, function() act(nil, nil) end) end
  end
  d.apply = apply

  -- runs the loop until cond() (at most limit_ms: a safety net, not a check)
  function d.run_until(cond, limit_ms)
    apply()
    local guard, expired = uv.new_timer(), false
    guard:start(limit_ms or 15000, 0, function() expired = true end)
    while not cond() and not expired and not d.err do uv.run("once") end
    guard:close()
    if d.err then error(d.err, 0) end
    assert(not expired, "the loop did not get there in time")
  end

  function d.run(n, limit_ms)
    d.run_until(function() return #d.finished >= n end, limit_ms)
  end

  -- stops watching (the batch's own sockets are the batch's to close)
  function d.close()
    if d.closed then return end
    d.closed = true
    for fd, p in pairs(d.polls) do
      p:close()
      d.polls[fd] = nil
    end
    d.timer:close()
    uv.run("nowait") -- their close callbacks
  end
  return d
end

local function count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local function analytics(i)
  return "/pins/" .. i .. "/analytics?start_date=" .. H.day(-1) .. "&end_date=" .. H.day(0) ..
    "&metric_types=SAVE,IMPRESSION"
end

local function ebatch(sim, o)
  local opts = { base_url = sim.pinterest_url, token = H.TOKEN, timeout = 10, concurrency = 8, events = true }
  for k, v in pairs(o or {}) do opts[k] = v end
  return core.batch(opts)
end

describe("core.batch{events = true} driven by luv", function()
  local sim
  setup(function() sim = H.start() end)
  teardown(function() if sim then sim:stop() end end)
  before_each(function() sim:configure { latency_ms = 0 } end)

  it("finishes several concurrent requests, each with its own body", function()
    local b = ebatch(sim)
    for i = 1, 6 do b:add(i, "GET", analytics(i), nil, nil, "analytics") end
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run(6)
    assert.equal(6, #d.finished)
    local got = {}
    for _, r in ipairs(d.finished) do
      assert.is_nil(got[r.id])
      got[r.id] = r
    end
    for i = 1, 6 do
      local r = got[i]
      assert.equal(200, r.status)
      assert.is_true(r.shape_ok)
      local want = data.summary(tostring(i), H.day(-1), H.day(0))
      assert.equal(want.SAVE, r.body.all.summary_metrics.SAVE)
      assert.equal(want.IMPRESSION, r.body.all.summary_metrics.IMPRESSION)
      assert.equal("string", type(r.headers["x-pinterest-rid"]))
    end
    assert.equal(0, b:inflight())
    -- every socket libcurl reported was dropped again, and it wants no timer
    assert.equal(0, count(d.polls))
    d.apply()
    assert.equal(0, count(d.polls))
  end)

  it("reports failures like step(): kind, message, curl_code", function()
    -- an answer cut short: the server closes the connection 10 bytes into a body of 100
    sim:configure { override = { ["/v5/cut"] = { raw = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789" } } }
    local b = ebatch(sim)
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    b:add(41, "GET", "/cut")
    d.run(1)
    local r = d.finished[1]
    assert.equal(41, r.id)
    assert.is_nil(r.status)
    assert.equal("network", r.kind)
    assert.equal(18, r.curl_code) -- CURLE_PARTIAL_FILE
    assert.equal("string", type(r.message))
  end)

  it("wakes Lua only on the request's own events while it waits (1 s answer: fewer than 20 callbacks)", function()
    sim:configure { latency_ms = 1000 }
    local b = ebatch(sim)
    b:add(1, "GET", analytics(1), nil, nil, "analytics")
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run(1)
    assert.equal(1, #d.finished)
    assert.equal(200, d.finished[1].status)
    assert.is_true(d.wakeups < 20, d.wakeups .. " callbacks")
  end)

  it("gives the remaining time when the timeout is read twice, never a re-armed full one", function()
    sim:configure { latency_ms = 1000 }
    local b = ebatch(sim, { timeout = 10 })
    b:add(1, "GET", analytics(1))
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    -- until the request is sent and its socket waits for the answer
    d.run_until(function()
      for _, w in pairs(d.wants) do if w == "r" then return true end end
      return false
    end)
    local c1, t1 = b:events()
    local wait = math.floor(t1 / 2)
    uv.sleep(wait)
    local c2, t2 = b:events()
    assert.same({}, c1)
    assert.same({}, c2)
    assert.is_true(t1 >= 20, "t1 = " .. t1)
    assert.is_true(t2 >= 0 and t2 <= t1 - wait, "t1 = " .. t1 .. ", t2 = " .. t2 .. " after " .. wait .. " ms")
    assert.equal(1, b:cancel())
  end)

  it("keeps connections alive: a second round reuses the first round's connections and sockets", function()
    local b = ebatch(sim, { concurrency = 3 })
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    sim:clear_log()
    for i = 1, 3 do b:add(i, "GET", analytics(i)) end
    d.run(3)
    local first = sim:requests()
    local fds1 = {}
    for _, c in ipairs(d.changes) do if c.want ~= "remove" then fds1[c.fd] = true end end
    local n1 = #d.changes
    for i = 4, 6 do b:add(i, "GET", analytics(i)) end
    d.run(6)
    local all = sim:requests()
    assert.equal(3, #first)
    assert.equal(6, #all)
    local conns = {}
    for k = 1, 3 do
      conns[all[k].connection] = true
      assert.equal(1, all[k].connection_requests)
    end
    -- (a request of the second round that ends before another is started
    -- frees its connection for it: a connection may serve two of them)
    for k = 4, 6 do
      assert.is_true(conns[all[k].connection], "request " .. k .. " came on a new connection")
      assert.is_true(all[k].connection_requests >= 2, "request " .. k .. " was its connection's first")
    end
    -- the second round's sockets are the first round's: any change reported
    -- then is on one of them (libcurl may also keep watching an idle
    -- connection, and then has nothing new to report)
    for k = n1 + 1, #d.changes do
      assert.is_true(fds1[d.changes[k].fd], "a new socket in the second round: " .. d.changes[k].fd)
    end
    for _, r in ipairs(d.finished) do assert.equal(200, r.status) end
  end)

  it("reports each change as {fd = integer, want = r | w | rw | remove}", function()
    local b = ebatch(sim)
    b:add(1, "GET", analytics(1))
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run(1)
    assert.is_true(#d.changes >= 2)
    for _, c in ipairs(d.changes) do
      assert.equal("number", type(c.fd))
      assert.equal(c.fd, math.floor(c.fd))
      assert.is_true(c.fd >= 0)
      assert.truthy(({ r = true, w = true, rw = true, remove = true })[c.want], c.want)
      assert.equal(2, count(c))
    end
    assert.equal("remove", d.changes[#d.changes].want)
  end)

  it("folds changes left unread: the list stays bounded and means the same", function()
    local b = ebatch(sim, { concurrency = 1 })
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    b:add(0, "GET", analytics(1))
    d.run(1)
    local fd = d.changes[1].fd
    -- 600 more requests on the same connection, each reporting at least
    -- "r" then "remove" for its socket, without a call of events(): driven
    -- by hand, by trying the socket until the answer is there
    local t0 = core.now()
    for i = 1, 600 do
      b:add(i, "GET", analytics(1))
      local got
      repeat
        got = #b:action(nil) + #b:action(fd, "rw")
        assert(core.now() - t0 < 20, "the requests did not finish")
      until got > 0
    end
    local changes, timeout = b:events()
    assert.is_true(#changes <= 1024, #changes .. " changes")
    assert.equal(-1, timeout)
    -- applied in order, they leave nothing watched
    local watched = {}
    for _, c in ipairs(changes) do
      assert.equal(fd, c.fd)
      watched[c.fd] = c.want ~= "remove" or nil
    end
    assert.same({}, watched)
    assert.same({}, (b:events()))
  end)

  it("cancel(): the next events() removes every socket of the cancelled requests and the timer", function()
    sim:configure { latency_ms = 1000 }
    local b = ebatch(sim, { concurrency = 3 })
    for i = 1, 3 do b:add(i, "GET", analytics(i)) end
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run_until(function()
      local n = 0
      for _, w in pairs(d.wants) do if w == "r" then n = n + 1 end end
      return n == 3
    end)
    assert.equal(3, b:cancel())
    assert.equal(0, b:inflight())
    d.apply()
    assert.equal(0, count(d.polls))
    assert.equal(-1, d.timeout)
    assert.same({}, (b:events()))
    -- the batch goes on working
    sim:configure { latency_ms = 0 }
    b:add(9, "GET", analytics(9))
    d.run(1)
    assert.equal(1, #d.finished)
    assert.equal(9, d.finished[1].id)
    assert.equal(200, d.finished[1].status)
    assert.equal(0, b:cancel())
  end)

  it("close(): frees everything; events() and action() then refuse", function()
    sim:configure { latency_ms = 1000 }
    local b = ebatch(sim, { concurrency = 2 })
    b:add(1, "GET", analytics(1))
    b:add(2, "GET", analytics(2))
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run_until(function() return count(d.polls) == 2 end)
    b:close()
    assert.is_true(b:is_closed())
    refuses(function() b:events() end, "pinanalytics: attempt to use a closed batch")
    refuses(function() b:action(nil) end, "pinanalytics: attempt to use a closed batch")
    refuses(function() b:add(3, "GET", "/x") end, "pinanalytics: attempt to use a closed batch")
    assert.equal(0, b:cancel())
    b:close() -- idempotent
    d.close()
    assert.equal(0, #d.finished)
  end)

  it("an fd libcurl does not know is harmless", function()
    local b = ebatch(sim)
    assert.same({}, b:action(987654, "r"))
    assert.same({}, b:action(0, "rwe"))
    assert.same({}, b:action(2147483647, ""))
    b:add(1, "GET", analytics(1))
    local d = driver(b)
    finally(function() d.close(); b:close() end)
    d.run(1)
    assert.equal(200, d.finished[1].status)
  end)
end)

describe("core.batch{events = true} refuses", function()
  local sim
  setup(function() sim = H.start() end)
  teardown(function() if sim then sim:stop() end end)

  it("a bad 'events' option, and the option on core.session", function()
    refuses(function() core.batch { base_url = sim.url, events = "yes" } end,
      "pinanalytics.core.batch: option 'events' must be a boolean")
    refuses(function() core.session { base_url = sim.url, events = true } end,
      "pinanalytics.core.session: unknown option 'events'")
    local b = core.batch { base_url = sim.url, events = false }
    assert.same({}, b:step(0))
    b:close()
  end)

  it("step() on an events batch, events() and action() on a batch driven by step()", function()
    local e = ebatch(sim)
    local s = core.batch { base_url = sim.url }
    refuses(function() e:step(0) end, "batch:step: this batch is driven by events (core.batch{events = true}): "
      .. "use b:events() and b:action()")
    refuses(function() s:events() end, "batch:events: this batch is driven by step() (made without "
      .. "events = true): use b:step()")
    refuses(function() s:action(nil) end, "batch:action: this batch is driven by step() (made without "
      .. "events = true): use b:step()")
    e:close()
    s:close()
  end)

  it("an fd that is not nil or a whole number in 0..2147483647", function()
    local b = ebatch(sim)
    local prefix = "batch:action: argument 'fd' must be nil (the timeout) or a socket from batch:events() "
      .. "(a whole number in 0..2147483647), got "
    refuses(function() b:action("3", "r") end, prefix .. "string")
    refuses(function() b:action(true, "r") end, prefix .. "boolean")
    refuses(function() b:action({}, "r") end, prefix .. "table")
    refuses(function() b:action(1.5, "r") end, prefix .. "1.5")
    refuses(function() b:action(-1, "r") end, prefix .. "-1")
    refuses(function() b:action(2147483648, "r") end, prefix)
    refuses(function() b:action(-2147483649, "r") end, prefix)
    refuses(function() b:action(2 ^ 63, "r") end, prefix)
    refuses(function() b:action(0 / 0, "r") end, prefix)
    refuses(function() b:action(math.huge, "r") end, prefix)
    assert.same({}, b:action(nil, nil))
    b:close()
  end)

  it("events that are not nil or a string of the letters r, w, e, each at most once", function()
    local b = ebatch(sim)
    local prefix = "batch:action: argument 'events' must be nil or a string of the letters r, w, e "
      .. "(each at most once), got "
    refuses(function() b:action(5, 1) end, prefix .. "number")
    refuses(function() b:action(5, true) end, prefix .. "boolean")
    refuses(function() b:action(5, { "r" }) end, prefix .. "table")
    refuses(function() b:action(5, "x") end, prefix .. "a string with 'x'")
    refuses(function() b:action(5, "R") end, prefix .. "a string with 'R'")
    refuses(function() b:action(5, "r w") end, prefix .. "a string with ' '")
    refuses(function() b:action(5, "r\0") end, prefix .. "a string with byte 0")
    refuses(function() b:action(5, "w\n") end, prefix .. "a string with byte 10")
    refuses(function() b:action(5, "rr") end, prefix .. "'r' twice")
    refuses(function() b:action(5, "wrw") end, prefix .. "'w' twice")
    refuses(function() b:action(5, string.rep("r", 100000)) end, prefix .. "'r' twice")
    for _, ok in ipairs({ "", "r", "w", "e", "rw", "wr", "rwe", "ewr", "we" }) do
      assert.same({}, b:action(5, ok))
    end
    b:close()
  end)
end)

-- A finalizer that runs while the batch builds the results of an action
-- (any allocation can run one) may close the batch, which waits until the
-- action has returned, but may not use it.
describe("core.batch{events = true} busy in action()", function()
  local NHEADERS = 2500
  local function answer(tag)
    local items = {}
    for i = 1, 3000 do items[i] = '{"i":' .. i .. ',"tag":"' .. tag .. '"}' end
    local body = '{"which":"' .. tag .. '","items":[' .. table.concat(items, ",") .. "]}"
    local head = { "HTTP/1.1 200 OK", "Content-Type: application/json", "Content-Length: " .. #body,
      "X-Which: " .. tag }
    for i = 1, NHEADERS do head[#head + 1] = "X-Filler-" .. i .. ": " .. tag end
    return table.concat(head, "\r\n") .. "\r\n\r\n" .. body
  end

  local sim
  setup(function()
    sim = H.start()
    sim:configure { override = { ["/v5/outer"] = { raw = answer("outer") } } }
  end)
  teardown(function() if sim then sim:stop() end end)

  -- a finalizer that re-arms itself until state.stopped; while state.armed,
  -- each run counts and calls state.on_fire(count)
  local function finalizer_loop(state)
    local function fire()
      if state.stopped then return end
      if state.armed then
        state.fired = state.fired + 1
        state.on_fire(state.fired)
      end
      R.finalizable(fire)
    end
    R.finalizable(fire)
  end

  -- the collector as eager as this runtime lets it be (helpers/runtime.lua):
  -- pending finalizers run again and again while the C core allocates (see
  -- session_safety_spec)
  local function with_eager_gc(state, f)
    state.fired, state.armed, state.stopped = 0, false, false
    R.with_eager_gc(function()
      finalizer_loop(state)
      local ok, err = pcall(f)
      state.armed, state.stopped = false, true
      if not ok then error(err, 0) end
    end)
  end

  -- arms the finalizer around each action only: the first run may come
  -- before the batch is busy, so on_fire acts from the second run on
  local function armed(state)
    return function(f)
      state.fired = 0
      state.armed = true
      local ok, r = pcall(f)
      state.armed = false
      if not ok then error(r, 0) end
      return r
    end
  end

  local function check_outer(r)
    assert.equal(7, r.id)
    assert.equal(200, r.status)
    assert.equal("outer", r.headers["x-which"])
    assert.equal("outer", r.body.which)
    assert.equal(3000, #r.body.items)
  end

  local run = it

  run("close() from a finalizer during action waits until action has returned", function()
    local b = core.batch { base_url = sim.url, timeout = 10, concurrency = 2, events = true }
    b:add(7, "GET", "/v5/outer")
    local state, closed_at = {}, nil
    state.on_fire = function(n)
      if n == 2 and not closed_at then
        b:close()
        closed_at = n
      end
    end
    local d = driver(b, { around = armed(state) })
    finally(function() d.close(); b:close() end)
    with_eager_gc(state, function() d.run_until(function() return #d.finished >= 1 or b:is_closed() end) end)
    assert.equal(2, closed_at, "no finalizer ran twice in one action")
    assert.is_true(b:is_closed())
    -- the action the close came in returned whole: when it was the one that
    -- finished the request (usually: it allocates the most), its result is
    -- intact; an earlier one (a slow machine reads more at a time) had
    -- nothing finished to give
    assert.is_true(#d.finished <= 1)
    if #d.finished == 1 then check_outer(d.finished[1]) end
    refuses(function() b:events() end, "pinanalytics: attempt to use a closed batch")
    d.close()
  end)

  run("a nested call from a finalizer during action is refused", function()
    local b = core.batch { base_url = sim.url, timeout = 10, concurrency = 2, events = true }
    b:add(7, "GET", "/v5/outer")
    local state, errs = {}, {}
    local calls = {
      function() return b:events() end,
      function() return b:action(nil) end,
      function() return b:action(3, "r") end,
      function() return b:add(8, "GET", "/v5/outer") end,
      function() return b:cancel() end,
      function() return b:inflight() end,
    }
    state.on_fire = function(n)
      if n < 2 or #errs >= #calls then return end
      local ok, err = pcall(calls[#errs + 1])
      errs[#errs + 1] = ok and "no error" or tostring(err)
    end
    local d = driver(b, { around = armed(state) })
    finally(function() d.close(); b:close() end)
    with_eager_gc(state, function() d.run(1) end)
    assert.equal(#calls, #errs, "too few finalizer runs while action built its results")
    for _, e in ipairs(errs) do
      assert.truthy(e:find("pinanalytics: batch is busy: ", 1, true), e)
    end
    assert.equal(1, #d.finished)
    check_outer(d.finished[1])
    assert.equal(0, b:inflight())
  end)
end)
