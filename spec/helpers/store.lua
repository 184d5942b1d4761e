--- Shared checks of pinanalytics.store, run against SQLite (store_spec)
-- and PostgreSQL (store_pg_spec): the same schema and API, the same answers.
local H = require "helpers.sim"
local data = require "pinanalytics.simulator.data"
local dates = require "pinanalytics.dates"
local pa = require "pinanalytics"
local assert = require "luassert"

local S = {}

--- The interpreter running the specs, for the processes they start.
S.LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

function S.num(v) return type(v) == "number" and v or tonumber(v) end

function S.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- A client whose "today" moves with day.set(n) (a day number).
function S.moving_client(sim, opts)
  local day = { n = dates.parse(H.TODAY) }
  local o = { clock = function() return day.n * 86400 + 43200 end }
  for k, v in pairs(opts or {}) do o[k] = v end
  local c = H.client(sim, o)
  function day.set(n)
    day.n = n
    sim:configure { today = dates.format(n) }
  end
  return c, day
end

--- The analytics requests the simulator answered with 200 (a refused
-- GET /pins/analytics asks for nothing): {path, pins = {...}, start_date,
-- end_date} each.
function S.analytics_requests(sim)
  local out = {}
  for _, r in ipairs(sim:requests()) do
    if r.path:find("analytics", 1, true) and r.status == 200 then
      local q = { path = r.path, pins = {} }
      for k, v in r.args:gmatch("([^&=]+)=([^&]*)") do
        if k == "pin_ids" then q.pins[#q.pins + 1] = v else q[k] = v end
      end
      local single = r.path:match("^/v5/pins/(%d+)/analytics$")
      if single then q.pins[1] = single end
      out[#out + 1] = q
    end
  end
  return out
end

local function close_enough(want, got)
  if math.floor(want) == want then return want == got end
  return math.abs(want - got) <= 1e-12 * math.max(1, math.abs(want))
end

--- Asserts that frame f holds, for every day of first..last (day
-- numbers), the simulator's figures of pin (or the account when pin is
-- nil) as seen on `seen` (the day the last sync of that day ran: the status).
function S.assert_simulator_data(f, pin, first, last, seen_of)
  local metrics = pin and pa.store.PIN_METRICS or pa.store.ACCOUNT_METRICS
  local held = f:dates()
  assert.equal(last - first + 1, #held)
  for n = first, last do
    local date = dates.format(n)
    assert.equal(date, held[n - first + 1])
    local seen = seen_of(n)
    local seen_date = dates.format(seen)
    local want = pin and data.daily(pin, date, "ALL", seen_date) or data.account_daily(date, { today = seen_date })
    for _, m in ipairs(metrics) do
      local got = f:get(date, m)
      assert(type(got) == "number", date .. " " .. m .. " is missing")
      assert(close_enough(want[m], got), string.format("%s %s %s: want %s, got %s", tostring(pin), date, m,
        tostring(want[m]), tostring(got)))
    end
    assert.equal(data.status(date, seen_date), f:status(date))
  end
end

--- The checks every backend passes. open() gives a fresh, empty store; B
-- holds busted's setup, teardown, before_each and it.
function S.contract(open, B)
  local setup, teardown, before_each, it = B.setup, B.teardown, B.before_each, B.it
  local sim
  setup(function() sim = H.start {} end)
  teardown(function() if sim then sim:stop() end end)
  before_each(function() sim:configure {} end)

  it("asks only for new days and the tail that was not final; holds 100 days that equal the simulator's", function()
    local st = assert(open())
    local c, day = S.moving_client(sim)
    local D = day.n
    local pins = H.ids(3, 7700000)
    table.sort(pins)
    sim:clear_log()
    -- the figures alone (what the pins are: spec/store_meta_spec.lua)
    local res, err = st:sync(c, { pins = pins, account = true, meta = false })
    assert.is_nil(err)
    assert.same({}, res.errors)
    -- user_account, the account's 90 days, the three pins' 90 days in one request
    assert.equal(3, res.requests)
    assert.equal(4 * 90, res.days_written)
    assert.equal(4 * 2, res.days_not_ready) -- yesterday PROCESSING, the day before ESTIMATE
    local seen = S.analytics_requests(sim)
    assert.equal(2, #seen)
    assert.same({ "/v5/user_account/analytics", dates.format(D - 90), dates.format(D - 1) },
      { seen[1].path, seen[1].start_date, seen[1].end_date })
    assert.same({ "/v5/pins/analytics", dates.format(D - 90), dates.format(D - 1) },
      { seen[2].path, seen[2].start_date, seen[2].end_date })
    assert.same(pins, seen[2].pins)

    -- ten days later
    day.set(D + 10)
    sim:clear_log()
    res, err = st:sync(c, { pins = pins, account = true, meta = false })
    assert.is_nil(err)
    assert.same({}, res.errors)
    seen = S.analytics_requests(sim)
    assert.equal(2, #seen)
    for _, q in ipairs(seen) do
      -- the 10 new days and the two days that were not final
      assert.equal(dates.format(D - 2), q.start_date)
      assert.equal(dates.format(D + 9), q.end_date)
    end
    assert.same(pins, seen[2].pins)
    assert.equal(3, res.requests)
    assert.equal(4 * 12, res.days_written)
    assert.equal(4 * 2, res.days_not_ready)

    local all = dates.range(D - 90, D + 9)
    for _, pin in ipairs(pins) do
      local cov = st:coverage(pin)
      assert.equal(100, cov.days)
      assert.equal(dates.format(D - 90), cov.first)
      assert.equal(dates.format(D + 9), cov.last)
      assert.equal(98, cov.ready)
      assert.same({ dates.format(D + 8), dates.format(D + 9) }, cov.not_ready)
      assert.same(cov.not_ready, cov.pending)
      assert.same({}, cov.missing)
      local f = st:frame(pin, all)
      assert.equal(100, #f)
      S.assert_simulator_data(f, pin, D - 90, D + 9, function() return D + 10 end)
    end
    S.assert_simulator_data(st:frame("account", all), nil, D - 90, D + 9, function() return D + 10 end)
    assert.equal(100, st:coverage("account").days)

    -- a third sync the same day: the not-final tail alone
    sim:clear_log()
    res, err = st:sync(c, { pins = pins, account = true })
    assert.is_nil(err)
    seen = S.analytics_requests(sim)
    assert.equal(2, #seen)
    for _, q in ipairs(seen) do
      assert.equal(dates.format(D + 8), q.start_date)
      assert.equal(dates.format(D + 9), q.end_date)
    end
    assert.equal(4 * 2, res.days_written)

    -- two days later the tail is final: nothing of it is asked again
    day.set(D + 12)
    sim:clear_log()
    assert.is_nil(select(2, st:sync(c, { pins = pins })))
    seen = S.analytics_requests(sim)
    assert.equal(1, #seen)
    assert.equal(dates.format(D + 8), seen[1].start_date)
    assert.equal(dates.format(D + 11), seen[1].end_date)
    assert.same({ dates.format(D + 10), dates.format(D + 11) }, st:coverage(pins[1]).not_ready)
    c:close()
    st:close()
  end)

  it("resumes a sync stopped half way: every pin complete, no final day asked or written twice", function()
    local st = assert(open())
    local c, day = S.moving_client(sim)
    local D = day.n
    local pins = H.ids(6, 7710000)
    sim:configure { refuse_multi = 404 } -- one request a pin: each chunk is two requests
    sim:clear_log()
    local chunks = 0
    local ok, why = pcall(st.sync, st, c, { pins = pins, chunk = 2, on_progress = function(done, total)
      chunks = chunks + 1
      assert.equal(6, total)
      assert.equal(2 * chunks, done)
      if chunks == 2 then error("stopped after two chunks") end
    end })
    assert.is_false(ok)
    assert.matches("stopped after two chunks", tostring(why))
    local complete = 0
    for _, pin in ipairs(pins) do
      local cov = st:coverage(pin)
      if cov.days == 90 then complete = complete + 1 else assert.equal(0, cov.days) end
    end
    assert.equal(4, complete)

    local res, err = st:sync(c, { pins = pins, chunk = 2 })
    assert.is_nil(err)
    assert.same({}, res.errors)
    -- each final day of each pin was asked for exactly once over both
    -- syncs; the two days not final, once more by the second
    local asked = {}
    for _, q in ipairs(S.analytics_requests(sim)) do
      assert.equal(1, #q.pins)
      for n = dates.parse(q.start_date), dates.parse(q.end_date) do
        local k = q.pins[1] .. "|" .. n
        asked[k] = (asked[k] or 0) + 1
      end
    end
    for _, pin in ipairs(pins) do
      for n = D - 90, D - 3 do assert.equal(1, asked[pin .. "|" .. n], pin .. " " .. dates.format(n)) end
      local cov = st:coverage(pin)
      assert.equal(90, cov.days)
      assert.same({}, cov.missing)
      S.assert_simulator_data(st:frame(pin), pin, D - 90, D - 1, function() return D end)
    end
    -- the resumed sync: 2 pins x 90 days, 4 pins x the 2-day tail
    assert.equal(2 * 90 + 4 * 2, res.days_written)
    c:close()
    st:close()
  end)

  it("reports a pin's error, keeps the others, and asks for that pin again next time", function()
    local st = assert(open())
    local c, day = S.moving_client(sim)
    local pins = H.ids(3, 7720000)
    sim:configure { refuse_multi = 404, missing_pins = { pins[2] } }
    local res, err = st:sync(c, { pins = pins })
    assert.is_nil(err) -- a pin's error does not stop the sync
    assert.equal("not_found", res.errors[pins[2]].kind)
    assert.equal(90, st:coverage(pins[1]).days)
    assert.equal(0, st:coverage(pins[2]).days)
    sim:configure { refuse_multi = 404 }
    sim:clear_log()
    res, err = st:sync(c, { pins = pins })
    assert.is_nil(err)
    assert.same({}, res.errors)
    assert.equal(90, st:coverage(pins[2]).days)
    local full = 0
    for _, q in ipairs(S.analytics_requests(sim)) do
      if q.pins[1] == pins[2] then
        full = full + 1
        assert.equal(dates.format(day.n - 90), q.start_date)
      end
    end
    assert.equal(1, full)
    c:close()
    st:close()
  end)

  it("stops at a quota with what it wrote kept and says why", function()
    local st = assert(open())
    local c = S.moving_client(sim, { max_wait = 1, retries = 3 })
    sim:configure { quota_reset_in = 3600 }
    local res, err = st:sync(c, { pins = H.ids(2, 7730000), account = true })
    assert.is_table(err)
    assert.equal("quota", err.kind)
    assert.equal(err, res.errors.quota)
    assert.equal(0, res.days_written)
    assert.equal(1, #st:accounts()) -- the account was written before the quota stopped it
    c:close()
    st:close()
  end)

  it("syncs every pin of GET /pins with pins = \"all\"", function()
    local st = assert(open())
    local c = S.moving_client(sim)
    sim:configure { pins_count = 5 }
    local res, err = st:sync(c, { pins = "all", days = 7 })
    assert.is_nil(err)
    assert.equal(5, res.pins)
    local want = data.account_pins(5)
    table.sort(want)
    assert.same(want, st:pins())
    assert.equal(7, st:coverage(want[1]).days)
    assert.equal(5 * 7, res.days_written)
    c:close()
    st:close()
  end)

  it("keeps many accounts apart and needs the account to read when it holds more than one", function()
    local st = assert(open())
    local c, day = S.moving_client(sim)
    local a_pins = H.ids(2, 7740000)
    assert.is_nil(select(2, st:sync(c, { pins = a_pins, days = 5 })))
    assert.equal(5, st:coverage(a_pins[1]).days) -- one account: no need to name it
    -- a second token, a second account (its username has a quote)
    local other = data.user_account(dates.format(day.n))
    other.id, other.username = "7000000000000042", "o'brien"
    sim:configure { override = { ["/v5/user_account"] = { status = 200,
      body = require("pinanalytics.simulator").encode_json(other) } } }
    local b_pins = H.ids(1, 7750000)
    assert.is_nil(select(2, st:sync(c, { pins = b_pins, days = 3, account = true })))
    local accounts = st:accounts()
    assert.equal(2, #accounts)
    assert.same({ "7000000000000042", data.ACCOUNT_ID }, { accounts[1].account_id, accounts[2].account_id })
    assert.same({ "o'brien", "simulated_account" }, { accounts[1].username, accounts[2].username })
    assert.same({ 1, 2 }, { accounts[1].pins, accounts[2].pins })
    local ok, msg = pcall(st.frame, st, a_pins[1])
    assert.is_false(ok)
    assert.matches("holds 2 accounts", msg, 1, true)
    assert.matches("o'brien", msg, 1, true)
    assert.matches("simulated_account", msg, 1, true)
    assert.has_error(function() st:pins() end)
    assert.has_error(function() st:coverage("account") end)
    assert.equal(5, #st:frame(a_pins[1], nil, { account = "simulated_account" }))
    assert.equal(0, #st:frame(a_pins[1], nil, { account = "o'brien" })) -- not that account's pin
    assert.same(b_pins, st:pins { account = "7000000000000042" })
    assert.equal(3, st:coverage("account", { account = "o'brien" }).days)
    assert.equal(0, st:coverage("account", { account = data.ACCOUNT_ID }).days)
    ok, msg = pcall(st.pins, st, { account = "nobody" })
    assert.is_false(ok)
    assert.matches("holds no account \"nobody\"", msg, 1, true)
    c:close()
    st:close()
  end)

  it("reads frames of several pins, a subset of metrics and a range", function()
    local st = assert(open())
    local c, day = S.moving_client(sim)
    local pins = H.ids(2, 7760000)
    table.sort(pins)
    assert.is_nil(select(2, st:sync(c, { pins = pins, days = 10 })))
    local r = dates.range(day.n - 5, day.n - 2)
    local f = st:frame(pins, r, { "IMPRESSION", "SAVE" })
    assert.same({ pins[1] .. "/IMPRESSION", pins[1] .. "/SAVE", pins[2] .. "/IMPRESSION", pins[2] .. "/SAVE" },
      f:metrics())
    assert.equal(4, #f)
    local d = dates.format(day.n - 3)
    assert.equal(data.daily(pins[2], d, "ALL", H.TODAY).SAVE, f:get(d, pins[2] .. "/SAVE"))
    local one = st:frame(pins[1], "last_7_days", { "PIN_CLICK" })
    assert.same({ "PIN_CLICK" }, one:metrics())
    assert.has_error(function() st:frame(pins[1], nil, { "ENGAGEMENT" }) end)
    assert.has_error(function() st:frame("account", nil, { "VIDEO_START" }) end)
    assert.has_error(function() st:frame("12a") end)
    assert.has_error(function() st:frame(pins[1], "last_year") end)
    -- a pin never synced: an empty frame
    assert.equal(0, #st:frame("123"))

    -- the same days as the API's answers: the summary is what the API gives for the range
    local api = assert(c:pin_analytics(pins[1], { start_date = r.start_date, end_date = r.end_date,
      metric_types = pa.store.PIN_METRICS }))
    local held = st:analytics(pins[1], r)
    assert.equal(4, #held.all.daily_metrics)
    for i, day_api in ipairs(api.all.daily_metrics) do
      local h = held.all.daily_metrics[i]
      assert.same({ day_api.date, day_api.data_status }, { h.date, h.data_status })
      for _, m in ipairs(pa.store.PIN_METRICS) do assert(close_enough(day_api.metrics[m], h.metrics[m]), m) end
    end
    for _, m in ipairs(pa.store.PIN_METRICS) do
      assert(close_enough(api.all.summary_metrics[m], held.all.summary_metrics[m]), "summary " .. m)
    end
    local many = st:analytics({ pins[1], pins[2], "123" }, r, { "IMPRESSION", "SAVE", "SAVE_RATE" })
    assert.same({ "123", pins[1], pins[2] }, (function()
      local k = {}
      for id in pairs(many) do k[#k + 1] = id end
      table.sort(k)
      return k
    end)())
    assert.equal(held.all.summary_metrics.SAVE, many[pins[1]].all.summary_metrics.SAVE)
    assert.same({}, many["123"].all.daily_metrics)
    local acc = st:analytics("account", r, { "IMPRESSION" })
    assert.same({}, acc.all.daily_metrics) -- the account's figures were not synced
    c:close()
    st:close()
  end)

  it("stores OneUp's overview and posts as a snapshot per day taken", function()
    local st = assert(open())
    local day = { n = dates.parse(H.TODAY) }
    local one = pa.oneup { api_key = "sim-oneup-key", base_url = sim.url,
      clock = function() return day.n * 86400 + 43200 end }
    local params = { social_network_id = 4242, preset = "last_7_days" }
    local info, err = st:snapshot_oneup(one, params)
    assert.is_nil(err)
    assert.same({ "4242", "last_7_days", "UTC", H.TODAY }, { info.network_id, info.period, info.timezone, info.taken })
    local ov = assert(one:overview(params))
    local posts = assert(one:posts(params))
    local snap = st:oneup(4242)
    assert.equal(H.TODAY, snap.taken)
    assert.equal(ov.total_followers, snap.overview.total_followers)
    assert.equal(#ov.metrics, #snap.overview.metrics)
    for i, m in ipairs(ov.metrics) do
      local s = snap.overview.metrics[i]
      assert.same({ m.key, m.value_current_period, m.value_last_period, m.percentage_change },
        { s.key, s.value_current_period, s.value_last_period, s.percentage_change })
      assert.equal(m.percentage_change_computed, s.percentage_change_computed)
    end
    assert.equal(#posts.posts, #snap.posts.posts)
    assert.equal(#posts.posts, info.posts)
    for i, p in ipairs(posts.posts) do
      local s = snap.posts.posts[i]
      assert.same({ p.id, p.timestamp, p.permalink, p.text }, { s.id, s.timestamp, s.permalink, s.text })
      assert.same(p.stats, s.stats)
    end
    assert.equal(pa.frame(posts):sum("impressions"), pa.frame(snap.posts):sum("impressions"))
    -- again the same day: replaced; the next day: a second snapshot
    assert.is_table((st:snapshot_oneup(one, params)))
    assert.equal(1, #st:oneup_snapshots(4242))
    day.n = day.n + 1
    assert.is_table((st:snapshot_oneup(one, params)))
    local list = st:oneup_snapshots("4242")
    assert.same({ H.TODAY, H.day(1) }, { list[1].taken, list[2].taken })
    assert.equal(H.day(1), st:oneup(4242).taken)
    assert.equal(H.TODAY, st:oneup(4242, { taken = H.TODAY }).taken)
    assert.is_nil(st:oneup(4343))
    one:close()
    st:close()
  end)
end

return S
