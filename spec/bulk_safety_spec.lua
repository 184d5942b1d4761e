-- The bulk engine never mixes data: a run that ends in an error leaves
-- nothing in flight, request ids are never reused on a Batch, an answer a run
-- is not waiting for is never given to a job, and a run cannot start while
-- another one is in progress on the same Batch.
local H = require "helpers.sim"
local ids, count = H.ids, H.count
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local pacing = require "pinanalytics.pacing"
local bulk = require "pinanalytics.bulk"

local METRICS = { "IMPRESSION", "SAVE" }

local function params()
  return { start_date = H.day(-6), end_date = H.day(0), metric_types = METRICS }
end

-- What GET /pins/{id}/analytics must answer for params().
local function expected(id)
  return data.pin_analytics(id, { start_date = H.day(-6), end_date = H.day(0), metric_types = METRICS }, H.TODAY)
end

-- The pin among `candidates` whose data `got` is, or "nobody".
local function whose(got, candidates)
  for _, id in ipairs(candidates) do
    if got ~= nil and pcall(assert.same, expected(id), got) then return id end
  end
  return "nobody"
end

-- Asserts that every pin of `list` has its own data in results and that
-- nothing is in errs; a pin holding another pin's numbers is named.
local function assert_own_data(list, results, errs, others)
  local wrong = {}
  for _, id in ipairs(list) do
    if results[id] ~= nil and not pcall(assert.same, expected(id), results[id]) then
      wrong[#wrong + 1] = id .. " got the numbers of " .. whose(results[id], others or {})
    end
  end
  assert.same({}, wrong)
  assert.is_nil(next(errs))
  assert.equal(#list, count(results))
end

local SIM_OAUTH = { client_id = "sim-client-id", client_secret = "sim-client-secret",
  refresh_token = "sim-refresh-token" }

local function oauth_client(sim, opts)
  local o = {}
  for k, v in pairs(SIM_OAUTH) do o[k] = v end
  for k, v in pairs(opts) do o[k] = v end
  return H.client(sim, o)
end

local function refused(fn)
  return "pinanalytics.pinterest:" .. fn .. ": a bulk run is already in progress on this client (a call from " ..
    "its on_progress or on_token hook?); call " .. fn .. " again after that run returns " ..
    "(pin_analytics may be called from on_progress)"
end

local QUERY = "?start_date=" .. H.day(-6) .. "&end_date=" .. H.day(0) .. "&metric_types=IMPRESSION,SAVE"

-- A bulk.run job for one pin: its done() stores the answer in got[id].
local function job(id, got, extra)
  return {
    target = "/pins/" .. id .. "/analytics" .. QUERY, category = "org_analytics",
    endpoint = "GET /pins/{pin_id}/analytics", shape = "analytics",
    done = function(ok, body, meta, run)
      got[id] = ok and body or { failed = body }
      if extra then extra(ok, body, meta, run) end
    end,
  }
end

local function ctx_for(batch, per_second)
  local bucket = per_second and pacing.bucket(per_second)
  return {
    batch = batch, policy = { retries = 0, max_wait = 300, secrets = {} }, secrets = {},
    buckets = bucket and function() return bucket end or nil,
  }
end

describe("bulk safety", function()
  local sim

  setup(function() sim = H.start { refuse_multi = 403 } end)
  teardown(function() if sim then sim:stop() end end)

  describe("pins_analytics", function()
    it("after an on_token hook raised mid-run, the next call gets every pin's own numbers", function()
      local first, second = ids(8, 7000000), ids(12, 7100000)
      -- the first pin's request is refused (401): the token is refreshed while
      -- the other pins, paced 50 ms apart, are in flight; on_token then raises
      sim:configure { latency_ms = 300, override = {
        ["/v5/pins/" .. first[1] .. "/analytics"] = { status = 401, body = '{"code":2,"message":"Authentication failed."}' },
      } }
      local broken = true
      local c = oauth_client(sim, { token = H.TOKEN, concurrency = 8, rate = { per_second = 20 },
        on_token = function() if broken then error("token store unavailable", 0) end end })
      local ok, err = pcall(c.pins_analytics, c, first, params())
      assert.is_false(ok)
      assert.equal("token store unavailable", err)
      local left = c.batch:inflight()
      broken = false
      sim:configure { latency_ms = 300 }
      local rok, results, errs, info = pcall(c.pins_analytics, c, second, params())
      c:close()
      assert.is_true(rok, tostring(results))
      assert_own_data(second, results, errs, first)
      assert.same({}, info.progress_errors)
      assert.equal(0, left) -- nothing of the first run was left on the client's Batch
    end)

    it("refuses a bulk run started from on_progress, and finishes the first one", function()
      sim:configure { latency_ms = 100 }
      local list = ids(12, 7200000)
      local c
      c = H.client(sim, { concurrency = 4, on_progress = function(done)
        if done == 1 then c:pins_analytics(ids(3, 7290000), params()) end
      end })
      local results, errs, info = c:pins_analytics(list, params())
      assert_own_data(list, results, errs)
      assert.same({ refused("pins_analytics") }, info.progress_errors)
      -- the client is fine afterwards
      local again, errs2 = c:pins_analytics(ids(3, 7290000), params())
      c:close()
      assert_own_data(ids(3, 7290000), again, errs2)
    end)

    it("refuses a bulk run started from on_token during a run: the run ends with that error, nothing left", function()
      local first = ids(6, 7300000)
      sim:configure { latency_ms = 200, override = {
        ["/v5/pins/" .. first[1] .. "/analytics"] = { status = 401, body = '{"code":2,"message":"Authentication failed."}' },
      } }
      local c, nested
      c = oauth_client(sim, { token = H.TOKEN, concurrency = 4, rate = { per_second = 20 }, on_token = function()
        if nested then c:pins_analytics(nested, params()) end
      end })
      nested = ids(2, 7390000)
      local ok, err = pcall(c.pins_analytics, c, first, params())
      assert.is_false(ok)
      assert.equal(refused("pins_analytics"), err)
      assert.equal(0, c.batch:inflight())
      nested = nil
      sim:configure { latency_ms = 0 }
      local second = ids(10, 7310000)
      local results, errs = c:pins_analytics(second, params())
      c:close()
      assert_own_data(second, results, errs, first)
    end)

    it("allows pin_analytics (a single request on the Session) from on_progress", function()
      sim:configure { latency_ms = 50 }
      local list = ids(8, 7400000)
      local c, single, single_err
      c = H.client(sim, { concurrency = 4, on_progress = function(done)
        if done == 2 then single, single_err = c:pin_analytics("7499999", params()) end
      end })
      local results, errs, info = c:pins_analytics(list, params())
      c:close()
      assert_own_data(list, results, errs)
      assert.same({}, info.progress_errors)
      assert.is_nil(single_err)
      assert.same(expected("7499999"), single)
    end)
  end)

  describe("bulk.run", function()
    it("cancels what a run had in flight when done() raises; the next run gets only its own answers", function()
      sim:configure { latency_ms = 300 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 16 }
      local first, second = ids(6, 7500000), ids(6, 7510000)
      local got1, got2 = {}, {}
      local jobs = {}
      for i, id in ipairs(first) do
        jobs[i] = job(id, got1, i == 1 and function() error("report writer broke", 0) end or nil)
      end
      -- paced 50 ms apart: the first answer comes while the others are in flight
      local ok, err = pcall(bulk.run, ctx_for(b, 20), jobs)
      assert.is_false(ok)
      assert.equal("report writer broke", err)
      local left = b:inflight()
      jobs = {}
      for i, id in ipairs(second) do jobs[i] = job(id, got2) end
      local rok, run = pcall(bulk.run, ctx_for(b), jobs)
      local wrong = {}
      for _, id in ipairs(second) do
        if got2[id] ~= nil and not pcall(assert.same, expected(id), got2[id]) then
          wrong[#wrong + 1] = id .. " got the numbers of " .. whose(got2[id], first)
        end
      end
      b:close()
      assert.same({}, wrong)
      assert.is_true(rok, tostring(run))
      for _, id in ipairs(second) do assert.same(expected(id), got2[id]) end
      assert.equal(0, run.dropped)
      assert.equal(0, left) -- cancelled when the first run raised
    end)

    it("never gives a job an answer it is not waiting for", function()
      sim:configure { latency_ms = 100 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 2 }
      -- a request the run did not send, under an id a run never uses
      b:add(-1, "GET", "/pins/7609999/analytics" .. QUERY, nil, nil, "analytics")
      local list = ids(3, 7600000)
      local got, jobs = {}, {}
      for i, id in ipairs(list) do jobs[i] = job(id, got) end
      local ok, run = pcall(bulk.run, ctx_for(b), jobs)
      local inflight = b:inflight()
      b:close()
      assert.is_true(ok, tostring(run))
      for _, id in ipairs(list) do assert.same(expected(id), got[id]) end
      assert.equal(1, run.dropped)
      assert.equal(0, inflight)
    end)

    it("refuses a run on a Batch that is in a run already", function()
      sim:configure { latency_ms = 0 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 2 }
      local list = ids(3, 7700000)
      local got, jobs, inner = {}, {}, nil
      for i, id in ipairs(list) do
        jobs[i] = job(id, got, i == 1 and function()
          local ok, err = pcall(bulk.run, ctx_for(b), {})
          inner = ok and "ran" or err
        end or nil)
      end
      local ok, run = pcall(bulk.run, ctx_for(b), jobs)
      b:close()
      assert.is_true(ok, tostring(run))
      assert.equal("pinanalytics.bulk.run: a bulk run is already in progress on this Batch " ..
        "(a run cannot start from a callback of another)", inner)
      for _, id in ipairs(list) do assert.same(expected(id), got[id]) end
    end)

    it("ends with an error, not a hang, when its requests are cancelled under it", function()
      sim:configure { latency_ms = 300 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 4 }
      local got, jobs = {}, {}
      for i, id in ipairs(ids(4, 7800000)) do
        jobs[i] = job(id, got, i == 1 and function() b:cancel() end or nil)
      end
      -- paced 50 ms apart: the other three are in flight when the first answer comes
      local ok, err = pcall(bulk.run, ctx_for(b, 20), jobs)
      b:close()
      assert.is_false(ok)
      assert.equal("pinanalytics.bulk.run: 3 requests of this run are no longer on its Batch " ..
        "(cancelled or closed from a callback?)", err)
    end)
  end)

  describe("bulk.run on a Batch that does not show who waits on it (lost_after)", function()
    -- A host loop in miniature: the Batch's step first gives the loop a turn
    -- (the run's coroutine yields), then waits as core.batch does; sleep is
    -- one turn of the loop.
    local function turn_batch(b)
      local w = {}
      for _, m in ipairs({ "add", "inflight", "capacity", "cancel", "set_token", "close", "is_closed" }) do
        w[m] = function(_, ...) return b[m](b, ...) end
      end
      function w.step(_, ms)
        coroutine.yield("turn")
        return b:step(ms)
      end
      return w
    end
    local function turn_ctx(w)
      local ctx = ctx_for(w)
      ctx.lost_after = 0.05
      ctx.sleep = function() coroutine.yield("turn") end
      return ctx
    end
    -- the owner's wait is due 1 s after it began (nothing else is due): the
    -- host then blocks 1.1 s, past due + lost_after
    local OVERDUE = 1.1

    it("a live run overdue only because the host blocked is not taken: it comes back within the probe", function()
      sim:configure { latency_ms = 100 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 4 }
      local w = turn_batch(b)
      local got = {}
      local a = coroutine.create(function() return bulk.run(turn_ctx(w), { job("7610001", got), job("7610002", got) }) end)
      assert(coroutine.resume(a)) -- its requests are in flight; it waits for the answers
      core.sleep(OVERDUE)
      assert.equal("gone", bulk.holder(w)) -- by the clock alone
      -- a newcomer asks for the Batch; the loop gives every coroutine whose wake is due its turn
      local newcomer = coroutine.create(function() return bulk.take(w, turn_ctx(w).sleep) end)
      local turns, ok, held = 0, nil, nil
      while coroutine.status(newcomer) ~= "dead" do
        ok, held = coroutine.resume(newcomer)
        turns = turns + 1
        if coroutine.status(a) ~= "dead" then assert(coroutine.resume(a)) end
        assert(turns < 50, "the newcomer never ended")
      end
      assert.is_true(ok, tostring(held))
      local ok_a, run_a = true, nil
      while coroutine.status(a) ~= "dead" do ok_a, run_a = coroutine.resume(a) end
      b:close()
      -- "other" while a waited again, nil once it had returned: never "gone"
      assert.is_true(held == nil or held == "other", tostring(held))
      assert.is_true(ok_a, tostring(run_a))
      assert.same(expected("7610001"), got["7610001"])
      assert.same(expected("7610002"), got["7610002"])
    end)

    it("a run that does not come back is taken after the probe; if it ever comes back, it returns its jobs " ..
      "as taken over, without raising", function()
      sim:configure { latency_ms = 100 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 4 }
      local w = turn_batch(b)
      local got_a, got_b, done_a = {}, {}, 0
      local jobs_a = {}
      for i, id in ipairs({ "7620001", "7620002" }) do
        jobs_a[i] = job(id, got_a, function() done_a = done_a + 1 end)
      end
      local a = coroutine.create(function() return bulk.run(turn_ctx(w), jobs_a) end)
      assert(coroutine.resume(a))
      core.sleep(OVERDUE)
      -- the loop never resumes a again (its thread is gone); the newcomer probes, then takes the Batch
      local newcomer = coroutine.create(function() return bulk.run(turn_ctx(w), { job("7620003", got_b) }) end)
      local turns, ok_b, run_b = 0, nil, nil
      while coroutine.status(newcomer) ~= "dead" do
        ok_b, run_b = coroutine.resume(newcomer)
        turns = turns + 1
        assert(turns < 50, "the newcomer never ended")
      end
      assert.is_true(ok_b, tostring(run_b))
      assert.same(expected("7620003"), got_b["7620003"])
      assert.is_true(turns > 5, "the newcomer gave the loop 5 turns before it took the Batch")
      assert.is_nil(bulk.holder(w))
      -- a resumed after all: it finishes each of its jobs with an error and returns
      local ok_a, run_a
      while coroutine.status(a) ~= "dead" do ok_a, run_a = coroutine.resume(a) end
      b:close()
      assert.is_true(ok_a, tostring(run_a))
      assert.equal("taken_over", run_a.taken.kind)
      assert.equal(2, done_a)
      for _, id in ipairs({ "7620001", "7620002" }) do
        local err = got_a[id].failed
        assert.equal("taken_over", err.kind)
        assert.equal("GET /pins/{pin_id}/analytics", err.endpoint)
        assert.matches("taken for gone while it waited", tostring(err), 1, true)
      end
    end)
  end)

  describe("core.batch cancel()", function()
    it("removes every request in flight; their answers never come; the slots are free again", function()
      sim:configure { latency_ms = 400 }
      local b = core.batch { base_url = sim.pinterest_url, token = H.TOKEN, concurrency = 3 }
      assert.equal(0, b:cancel())
      for i = 1, 3 do b:add(i, "GET", "/pins/" .. (7900000 + i) .. "/analytics" .. QUERY) end
      b:set_token(H.TOKEN) -- a header list retired while requests use it is freed by cancel
      assert.equal(3, b:cancel())
      assert.equal(0, b:inflight())
      assert.equal("pinanalytics.Batch (0 of 3 in flight)", tostring(b))
      assert.equal(0, b:cancel())
      for i = 4, 6 do b:add(i, "GET", "/pins/" .. (7900000 + i) .. "/analytics" .. QUERY) end
      local got, n = {}, 0
      while b:inflight() > 0 do
        for _, r in ipairs(b:step(50)) do
          got[r.id] = r
          n = n + 1
        end
      end
      -- the cancelled requests would have answered first: only the new ones do
      assert.equal(3, n)
      for i = 4, 6 do
        assert.equal(200, got[i].status)
        assert.same(expected(tostring(7900000 + i)), got[i].body)
      end
      b:close()
      assert.equal(0, b:cancel()) -- a closed Batch has nothing in flight
    end)
  end)
end)
