-- store:sync and the clock: a sync that runs across midnight UTC finishes
-- what it planned, clamped to what the API serves when each request goes
-- out, and names the days it could no longer ask for; days not READY are
-- refreshed while the API serves them, and named with the time they were
-- fetched once it no longer does.
local H = require "helpers.sim"
local S = require "helpers.store"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"

local sim
setup(function() sim = H.start {} end)
teardown(function() if sim then sim:stop() end end)
before_each(function() sim:configure {} end)

-- A store whose clock is the client's moving day.
local function open_with(day)
  return assert(pa.store.open(":memory:", { clock = function() return day.n * 86400 + 43200 end }))
end

local function sorted_keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

describe("store:sync across midnight UTC", function()
  it("a day passing between two chunks: no raise, the later chunks clamped, the lost day named", function()
    local c, day = S.moving_client(sim)
    local st = open_with(day)
    local D = day.n
    local pins = H.ids(3, 7900000)
    table.sort(pins)
    sim:configure { refuse_multi = 404 } -- a request a pin, a chunk a pin
    sim:clear_log()
    local chunks = 0
    local ok, res, err = pcall(st.sync, st, c, { pins = pins, chunk = 1, on_progress = function()
      chunks = chunks + 1
      if chunks == 1 then day.set(D + 1) end -- midnight UTC passes after the first chunk
    end })
    assert.is_true(ok, tostring(res))
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.equal(3, chunks)
    -- the first pin got the 90 days planned; the others 89: the first day
    -- became 91 days back, which the API no longer serves
    assert.same({ pins[2], pins[3] }, sorted_keys(res.missing))
    assert.same({ dates.format(D - 90) }, res.missing[pins[2]])
    assert.same({ dates.format(D - 90) }, res.missing[pins[3]])
    local starts = {}
    for _, q in ipairs(S.analytics_requests(sim)) do
      starts[q.pins[1]] = q.start_date
      assert.equal(dates.format(D - 1), q.end_date) -- what was planned, not more
    end
    assert.same({ [pins[1]] = dates.format(D - 90), [pins[2]] = dates.format(D - 89),
      [pins[3]] = dates.format(D - 89) }, starts)
    assert.equal(90 + 89 + 89, res.days_written)
    S.assert_simulator_data(st:frame(pins[1]), pins[1], D - 90, D - 1, function() return D end)
    for i = 2, 3 do
      S.assert_simulator_data(st:frame(pins[i]), pins[i], D - 89, D - 1, function() return D + 1 end)
    end
    c:close()
    st:close()
  end)

  it("a day passing between the plan and the account's request: clamped, the lost day named", function()
    local c, day = S.moving_client(sim)
    local st = open_with(day)
    local D = day.n
    local pins = H.ids(2, 7910000)
    -- midnight passes while GET /user_account is answered: after the
    -- window was planned, before any figures are asked for
    local user_account = c.user_account
    c.user_account = function(self, ...)
      local me, e = user_account(self, ...)
      day.set(D + 1)
      return me, e
    end
    sim:clear_log()
    local ok, res, err = pcall(st.sync, st, c, { pins = pins, account = true })
    assert.is_true(ok, tostring(res))
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.same({ pins[1], pins[2], "account" }, sorted_keys(res.missing))
    for _, k in ipairs({ "account", pins[1], pins[2] }) do
      assert.same({ dates.format(D - 90) }, res.missing[k])
    end
    for _, q in ipairs(S.analytics_requests(sim)) do
      assert.same({ dates.format(D - 89), dates.format(D - 1) }, { q.start_date, q.end_date })
    end
    assert.equal(3 * 89, res.days_written)
    S.assert_simulator_data(st:frame("account"), nil, D - 89, D - 1, function() return D + 1 end)
    S.assert_simulator_data(st:frame(pins[2]), pins[2], D - 89, D - 1, function() return D + 1 end)
    c:close()
    st:close()
  end)

  it("a planned range the API no longer serves at all is not asked for, and named", function()
    local c, day = S.moving_client(sim)
    local st = open_with(day)
    local D = day.n
    local pins = H.ids(2, 7920000)
    table.sort(pins)
    sim:configure { refuse_multi = 404 }
    -- held first: the last 90 days with their two pending days at the end
    assert.is_nil(select(2, st:sync(c, { pins = pins })))
    -- 88 days later: D - 2 and D - 1 are 90 and 89 days back, both served;
    -- the first pin is asked, then the clock jumps two days (a machine that
    -- slept): neither is served any more
    day.set(D + 88)
    sim:clear_log()
    local chunks = 0
    local ok, res, err = pcall(st.sync, st, c, { pins = pins, days = 1, chunk = 1, on_progress = function()
      chunks = chunks + 1
      if chunks == 1 then day.set(D + 90) end
    end })
    assert.is_true(ok, tostring(res))
    assert.is_nil(err)
    assert.same({}, res.errors)
    -- pins[2]'s plan was D-2..D-1 and D+87; at D+90 the first run is 92 and
    -- 91 days back: not asked, both days named
    assert.same({ pins[2] }, sorted_keys(res.missing))
    assert.same({ dates.format(D - 2), dates.format(D - 1) }, res.missing[pins[2]])
    local asked = {}
    for _, q in ipairs(S.analytics_requests(sim)) do
      asked[#asked + 1] = q.pins[1] .. " " .. q.start_date .. ".." .. q.end_date
    end
    table.sort(asked)
    local want = {
      pins[1] .. " " .. dates.format(D + 87) .. ".." .. dates.format(D + 87),
      pins[1] .. " " .. dates.format(D - 2) .. ".." .. dates.format(D - 1),
      pins[2] .. " " .. dates.format(D + 87) .. ".." .. dates.format(D + 87),
    }
    table.sort(want)
    assert.same(want, asked)
    -- what the store says of pins[2]'s two days: fetched at D, never final
    local stale = st:coverage(pins[2]).stale
    assert.same({ dates.format(D - 2), dates.format(D - 1) }, { stale[1].date, stale[2].date })
    c:close()
    st:close()
  end)
end)

describe("store:sync across midnight UTC inside one bulk call", function()
  it("a pin refused as too far back after midnight is asked again, clamped, and its lost day named", function()
    local D = dates.parse(H.TODAY)
    local c
    -- midnight passes once the client has sent its first two requests
    -- (GET /user_account and the refused GET /pins/analytics): the bulk call
    -- was checked at D, its per-pin requests go out at D + 1
    c = H.client(sim, { clock = function()
      return ((c and c:request_count() >= 2) and D + 1 or D) * 86400 + 43200
    end })
    local st = assert(pa.store.open(":memory:"))
    local pins = H.ids(2, 7905000)
    table.sort(pins)
    sim:configure { refuse_multi = 404, override = { ["/v5/pins/" .. pins[2] .. "/analytics"] = { times = 1,
      status = 400, body = '{"code":1,"message":"Invalid parameters: start_date is too far back. ' ..
      'You can only get data from the last 90 days"}' } } }
    sim:clear_log()
    local ok, res, err = pcall(st.sync, st, c, { pins = pins })
    assert.is_true(ok, tostring(res))
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.same({ pins[2] }, sorted_keys(res.missing))
    assert.same({ dates.format(D - 90) }, res.missing[pins[2]])
    local asked = {}
    for _, q in ipairs(S.analytics_requests(sim)) do
      asked[#asked + 1] = q.pins[1] .. " " .. q.start_date .. ".." .. q.end_date
    end
    table.sort(asked)
    assert.same({ pins[1] .. " " .. dates.format(D - 90) .. ".." .. dates.format(D - 1),
      pins[2] .. " " .. dates.format(D - 89) .. ".." .. dates.format(D - 1) }, asked)
    assert.equal(90, st:coverage(pins[1]).days)
    assert.equal(89, st:coverage(pins[2]).days)
    c:close()
    st:close()
  end)
end)

describe("store:sync across midnight UTC during the account's request", function()
  it("refused as too far back after midnight: asked again, clamped, the lost day named", function()
    local D = dates.parse(H.TODAY)
    local c
    -- the second request (the account's figures) is checked at D, answered at D + 1
    c = H.client(sim, { clock = function()
      return ((c and c:request_count() >= 2) and D + 1 or D) * 86400 + 43200
    end })
    local st = assert(pa.store.open(":memory:"))
    sim:configure { override = { ["/v5/user_account/analytics"] = { times = 1, status = 400,
      body = '{"code":1,"message":"Invalid parameters: start_date is too far back"}' } } }
    sim:clear_log()
    local ok, res, err = pcall(st.sync, st, c, { account = true })
    assert.is_true(ok, tostring(res))
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.same({ account = { dates.format(D - 90) } }, res.missing)
    local seen = S.analytics_requests(sim)
    assert.equal(1, #seen) -- the refused one is not counted (status 400)
    assert.same({ dates.format(D - 89), dates.format(D - 1) }, { seen[1].start_date, seen[1].end_date })
    assert.equal(89, st:coverage("account").days)
    c:close()
    st:close()
  end)
end)

describe("store: days not READY", function()
  it("are refreshed by any later sync while the API serves them, however small its window", function()
    local c, day = S.moving_client(sim)
    local st = open_with(day)
    local D = day.n
    local pins = H.ids(2, 7930000)
    table.sort(pins)
    assert.is_nil(select(2, st:sync(c, { pins = pins, account = true })))
    assert.same({ dates.format(D - 2), dates.format(D - 1) }, st:coverage(pins[1]).pending)
    -- 88 days later, a sync of the last 3 days: D - 2 (90 days back) and
    -- D - 1 are asked again, with the 3 days
    day.set(D + 88)
    sim:clear_log()
    local res, err = st:sync(c, { pins = pins, account = true, days = 3 })
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.is_nil(next(res.missing))
    local ranges = {}
    for _, q in ipairs(S.analytics_requests(sim)) do
      ranges[#ranges + 1] = q.path .. " " .. q.start_date .. ".." .. q.end_date
    end
    table.sort(ranges)
    assert.same({
      "/v5/pins/analytics " .. dates.format(D - 2) .. ".." .. dates.format(D - 1),
      "/v5/pins/analytics " .. dates.format(D + 85) .. ".." .. dates.format(D + 87),
      "/v5/user_account/analytics " .. dates.format(D - 2) .. ".." .. dates.format(D - 1),
      "/v5/user_account/analytics " .. dates.format(D + 85) .. ".." .. dates.format(D + 87),
    }, ranges)
    for _, what in ipairs({ pins[1], pins[2], "account" }) do
      local cov = st:coverage(what)
      assert.equal(93, cov.days)
      assert.same({ dates.format(D + 86), dates.format(D + 87) }, cov.pending)
      assert.same({}, cov.stale)
    end
    S.assert_simulator_data(st:frame(pins[1], dates.range(D - 2, D - 1)), pins[1], D - 2, D - 1,
      function() return D + 88 end)
    c:close()
    st:close()
  end)

  it("that the API no longer serves are named as such, with when they were fetched", function()
    local c, day = S.moving_client(sim)
    local st = open_with(day)
    local D = day.n
    local pins = H.ids(1, 7940000)
    local fetched_at = os.date("!%Y-%m-%dT%H:%M:%SZ", D * 86400 + 43200)
    assert.is_nil(select(2, st:sync(c, { pins = pins, account = true })))
    -- 89 days later: D - 2 is 91 days back, no longer served; D - 1 is
    day.set(D + 89)
    sim:clear_log()
    local res, err = st:sync(c, { pins = pins, account = true, days = 1 })
    assert.is_nil(err)
    assert.same({}, res.errors)
    for _, q in ipairs(S.analytics_requests(sim)) do
      assert.is_true(q.start_date >= dates.format(D - 1)) -- D - 2 is not asked
    end
    local stale_d2 = { date = dates.format(D - 2), data_status = "ESTIMATE", fetched = fetched_at }
    for _, what in ipairs({ pins[1], "account" }) do
      local cov = st:coverage(what)
      assert.same({ dates.format(D - 2), dates.format(D + 88) }, cov.not_ready)
      -- D - 1 was refreshed (READY now), D + 88 is pending, D - 2 never will be
      assert.same({ dates.format(D + 88) }, cov.pending)
      assert.same({ stale_d2 }, cov.stale)
    end
    -- the same in what store:analytics returns, for one pin, many, the account
    assert.same({ stale_d2 }, st:analytics(pins[1]).all.stale)
    assert.same({ stale_d2 }, st:analytics({ pins[1] })[pins[1]].all.stale)
    assert.same({ stale_d2 }, st:analytics("account").all.stale)
    -- a range that does not hold it: none
    assert.same({}, st:analytics(pins[1], dates.range(D - 1, D + 88)).all.stale)
    -- the next day, D - 1 is READY and D + 88 still served: nothing new is stale
    day.set(D + 90)
    assert.same({ stale_d2 }, st:coverage(pins[1]).stale)
    c:close()
    st:close()
  end)
end)
