-- The ads analytics on the "uv" runtime (libuv through lua-luv, as in
-- Neovim): chunks and windows run on the loop, which goes on meanwhile, and
-- give the rows the blocking client gives.
local H = require "helpers.sim"
local pa = require "pinanalytics"
local ads = require "pinanalytics.simulator.ads_data"
local uv = require "luv"

local ACCT = ads.ACCOUNTS[1]

-- Runs fn inside pa.async on the loop until it ends (at most `limit` s);
-- returns ok, results... as on_done got them.
local function run_async(fn, limit)
  local got
  pa.async(fn, function(...) got = { n = select("#", ...), ... } end)
  local guard = uv.new_timer()
  guard:start((limit or 20) * 1000, 0, function() guard:close(); uv.stop() end)
  while not got and uv.run("once") do end
  if not guard:is_closing() then guard:stop(); guard:close() end
  uv.run("nowait")
  assert(got, "the task did not end within the limit")
  return (table.unpack or unpack)(got, 1, got.n)
end

describe("ads analytics on the uv runtime", function()
  local sim

  setup(function() sim = H.start {} end)
  teardown(function()
    if sim then sim:stop() end
    uv.walk(function(h) if not h:is_closing() then h:close() end end)
    uv.run("nowait")
  end)

  it("600 campaign ids in 3 requests on the loop: the blocking client's rows, the loop never held", function()
    local ids = H.digits(600, "6260000000")
    for i, c in ipairs(ads.campaigns(ACCT)) do ids[i * 100] = c.id end
    local params = { start_date = H.day(-6), end_date = H.day(0), granularity = "DAY",
      columns = { "SPEND_IN_MICRO_DOLLAR", "CTR" } }
    local blocking = H.client(sim)
    local want = assert(blocking:campaign_analytics(ACCT, ids, params))
    blocking:close()
    assert.equal(4 * 7, #want)
    sim:configure { latency_ms = 300 }
    local ticks, last, gap = 0, nil, 0
    local timer = uv.new_timer()
    timer:start(0, 20, function()
      ticks = ticks + 1
      local now = uv.hrtime()
      if last then gap = math.max(gap, now - last) end
      last = now
    end)
    local ok, rows, info = run_async(function()
      local c = H.client(sim, { runtime = "uv", concurrency = 2 })
      local r, err, i = c:campaign_analytics(ACCT, ids, params)
      c:close()
      assert(r, err)
      return r, i
    end)
    timer:stop()
    timer:close()
    sim:configure {}
    assert.is_true(ok, tostring(rows))
    assert.equal(3, info.requests)
    assert.same(want, rows)
    -- two rounds of 300 ms: the 20 ms timer ticked all along
    assert.is_true(ticks >= 15, "ticks " .. ticks)
    assert.is_true(gap / 1e6 < 150, ("largest gap %.0f ms"):format(gap / 1e6))
  end)

  it("the lists page on the loop", function()
    local ok, names = run_async(function()
      local c = H.client(sim, { runtime = "uv" })
      local out = {}
      -- page by page (on Lua 5.1 a generic for cannot be yielded across: no :items() here)
      local pager = c:list_ads(ACCT, { page_size = 5 })
      local items = pager:next_page()
      while items do
        for i = 1, #items do out[#out + 1] = items[i].id end
        items = pager:next_page()
      end
      c:close()
      return out
    end)
    assert.is_true(ok, tostring(names))
    local want = {}
    for _, a in ipairs(ads.ads(ACCT)) do
      if a.status == "ACTIVE" or a.status == "PAUSED" then want[#want + 1] = a.id end
    end
    assert.same(want, names)
  end)
end)
