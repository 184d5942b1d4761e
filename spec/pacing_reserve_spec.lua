-- Taking a token is one step: many callers waiting at once each get their
-- own, in a bucket of one process and in one shared by processes.
local pacing = require "pinanalytics.pacing"
local core = require "pinanalytics.core"

-- A dictionary with ngx.shared.DICT's get/set/add/delete/incr (no expiry:
-- the spec's time does not pass for it).
local function fake_dict()
  local d = { data = {} }
  function d:get(k) return self.data[k] end
  function d:set(k, v) self.data[k] = v; return true end
  function d:delete(k) self.data[k] = nil end
  function d:add(k, v)
    if self.data[k] ~= nil then return false, "exists" end
    self.data[k] = v
    return true
  end
  function d:incr(k, n, init)
    local v = self.data[k]
    if v == nil then
      if init == nil then return nil, "not found" end
      v = init
    end
    self.data[k] = v + n
    return v + n
  end
  return d
end

-- The most of `times` that fall in any window [t, t + span).
local function most_in(times, span)
  table.sort(times)
  local most, j = 0, 1
  for i = 1, #times do
    while times[i] - times[j] >= span - 1e-9 do j = j + 1 end
    if i - j + 1 > most then most = i - j + 1 end
  end
  return most
end

describe("pacing: a token is reserved in one step", function()
  it("50 callers at once at 5/s each get their own token, 0.2 s apart", function()
    local b = pacing.bucket(5)
    local t0 = core.now() -- a bucket starts full at the time it is made
    local waits = {}
    for i = 1, 50 do waits[i] = b:reserve(t0) end
    for i = 1, 50 do
      assert.is_true(math.abs(waits[i] - (i - 1) * 0.2) < 1e-9, ("%d: %.6f"):format(i, waits[i]))
    end
    -- the next one, 9.8 s later, waits its turn behind them
    assert.is_true(math.abs(b:reserve(t0 + 9.8) - 0.2) < 1e-9)
  end)

  it("coroutines that sleep on their reservation never exceed rate + burst in any second", function()
    -- a tiny scheduler on a fake clock: each handler reserves, sleeps, sends
    local b = pacing.bucket(5, 2)
    local now, sent, sleeping = core.now(), {}, {}
    for i = 1, 50 do
      local co = coroutine.create(function()
        local w = b:reserve(now)
        coroutine.yield(now + w)
        sent[#sent + 1] = now
      end)
      local _, wake = coroutine.resume(co)
      sleeping[#sleeping + 1] = { co = co, at = wake, n = i }
    end
    table.sort(sleeping, function(x, y) return x.at < y.at or (x.at == y.at and x.n < y.n) end)
    for _, s in ipairs(sleeping) do
      now = s.at
      coroutine.resume(s.co)
    end
    assert.equal(50, #sent)
    assert.is_true(most_in(sent, 1) <= 5 + 2, "most in a second: " .. most_in(sent, 1))
    assert.is_true(sent[50] - sent[1] >= 48 / 5 - 1e-9) -- 50 tokens: 2 saved, 48 made at 5/s
  end)

  it("two processes sharing a dictionary never get the same token", function()
    local dict = fake_dict()
    local a = pacing.shared_bucket(dict, "k", 5, nil, { sleep = function() error("no wait expected") end })
    local b = pacing.shared_bucket(dict, "k", 5, nil, { sleep = function() error("no wait expected") end })
    local at = {}
    for i = 1, 50 do
      local bucket = (i % 2 == 0) and a or b
      at[i] = 100 + bucket:reserve(100)
    end
    table.sort(at)
    for i = 1, 50 do
      assert.is_true(math.abs(at[i] - (100 + (i - 1) * 0.2)) < 1e-6, ("%d: %.6f"):format(i, at[i]))
    end
    assert.equal(5, most_in(at, 1)) -- 5 a second, no more
  end)

  it("a shared bucket left idle is full again: burst at once, then the rate", function()
    local dict = fake_dict()
    local b = pacing.shared_bucket(dict, "k", 10, 3)
    assert.equal(0, b:reserve(50))
    -- an hour later the kept time is far behind: it is moved up, not counted from
    local waits = {}
    for i = 1, 5 do waits[i] = b:reserve(3650) end
    assert.same({ 0, 0, 0 }, { waits[1], waits[2], waits[3] })
    assert.is_true(math.abs(waits[4] - 0.1) < 1e-6, tostring(waits[4]))
    assert.is_true(math.abs(waits[5] - 0.2) < 1e-6, tostring(waits[5]))
  end)

  it("waits for another process moving the time up, and says when the dictionary fails", function()
    local dict = fake_dict()
    local slept = 0
    local t = 200
    local b = pacing.shared_bucket(dict, "k", 10, 1, {
      sleep = function(s)
        slept = slept + 1
        t = t + s
        if slept == 3 then dict:delete("k:lock") end -- the other process is done
      end,
      clock = function() return t end })
    dict:set("k:next", 10) -- far behind the clock
    dict:set("k:lock", true) -- another process holds the lock
    assert.equal(0, b:reserve(t))
    assert.equal(3, slept)
    local full = fake_dict()
    function full.incr() return nil, "no memory" end
    local f = pacing.shared_bucket(full, "k", 10, 1, { name = "lua_shared_dict pa_rate" })
    local ok, err = pcall(f.reserve, f, 1)
    assert.is_false(ok)
    assert.equal("pinanalytics.pacing: lua_shared_dict pa_rate cannot keep the pacing time: no memory", err)
  end)
end)
