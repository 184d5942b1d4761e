-- MetricFrame: built in C, aggregated in C, checked against plain Lua.
local pa = require "pinanalytics"
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local H = require "helpers.sim"

local TODAY = "2026-10-21"
local Q = { start_date = "2026-09-01", end_date = "2026-10-20",
  metric_types = { "IMPRESSION", "SAVE", "SAVE_RATE", "PIN_CLICK", "VIDEO_START", "VIDEO_V50_WATCH_TIME",
    "VIDEO_AVG_WATCH_TIME" } }

local function answer(id) return data.pin_analytics(id, Q, TODAY) end

describe("pa.frame", function()
  local res = answer("813744226420795884")
  local days = res.all.daily_metrics

  it("holds the dates, metrics and values of an answer", function()
    local f = pa.frame(res.all)
    assert.equal(50, #f)
    assert.equal("2026-09-01", f:dates()[1])
    assert.equal("2026-10-20", f:dates()[50])
    assert.same({ "IMPRESSION", "PIN_CLICK", "SAVE", "SAVE_RATE", "VIDEO_AVG_WATCH_TIME", "VIDEO_START",
      "VIDEO_V50_WATCH_TIME" }, f:metrics())
    for i, d in ipairs(days) do
      assert.equal(d.metrics.SAVE, f:get(d.date, "SAVE"))
      assert.equal(d.metrics.IMPRESSION, f:column("IMPRESSION")[i])
    end
    if math.type then
      assert.equal("integer", math.type(f:get("2026-09-03", "SAVE")))
      assert.equal("float", math.type(f:get("2026-09-03", "SAVE_RATE")))
    end
    assert.is_nil(f:get("2026-08-01", "SAVE"))
    assert.has_error(function() f:get("2026-09-03", "SAVES") end, "pinanalytics.frame: no series SAVES in this frame")
    assert.equal(#pa.frame(res):dates(), 50) -- the answer itself, one split
  end)

  it("sums and means like plain Lua; rates from their parts, never summed", function()
    local f = pa.frame(res.all)
    local imp, save, n, lo, hi, v50, starts = 0, 0, 0, math.huge, -math.huge, 0, 0
    for _, d in ipairs(days) do
      imp = imp + d.metrics.IMPRESSION
      save = save + d.metrics.SAVE
      v50, starts = v50 + d.metrics.VIDEO_V50_WATCH_TIME, starts + d.metrics.VIDEO_START
      lo, hi = math.min(lo, d.metrics.SAVE), math.max(hi, d.metrics.SAVE)
      n = n + 1
    end
    assert.equal(imp, f:sum("IMPRESSION"))
    assert.equal(save, f:sum("SAVE"))
    assert.near(save / n, f:mean("SAVE"), 1e-12)
    assert.equal(lo, f:min("SAVE"))
    assert.equal(hi, f:max("SAVE"))
    assert.near(save / imp, f:sum("SAVE_RATE"), 1e-12)
    assert.near(save / imp, f:mean("SAVE_RATE"), 1e-12)
    assert.near(v50 / starts, f:sum("VIDEO_AVG_WATCH_TIME"), 1e-9)
    -- the summary the API gives agrees
    assert.equal(res.all.summary_metrics.IMPRESSION, f:sum("IMPRESSION"))
    assert.near(res.all.summary_metrics.SAVE_RATE, f:sum("SAVE_RATE"), 1e-12)
  end)

  it("recomputes rates after resampling by week and by month", function()
    local f = pa.frame(res.all)
    local w = f:resample("week")
    assert.equal("2026-09-01", w:dates()[1]) -- labelled by the first day it holds
    assert.equal("2026-09-07", w:dates()[2]) -- a Monday
    local save, imp = 0, 0
    for _, d in ipairs(days) do
      if d.date >= "2026-09-07" and d.date <= "2026-09-13" then
        save, imp = save + d.metrics.SAVE, imp + d.metrics.IMPRESSION
      end
    end
    assert.equal(save, w:get("2026-09-07", "SAVE"))
    assert.near(save / imp, w:get("2026-09-07", "SAVE_RATE"), 1e-12)
    local m = f:resample("month")
    assert.same({ "2026-09-01", "2026-10-01" }, m:dates())
    assert.equal(f:slice("2026-09-01", "2026-09-30"):sum("SAVE"), m:get("2026-09-01", "SAVE"))
    assert.near(f:slice(pa.dates.range("2026-10-01", "2026-10-31")):sum("SAVE_RATE"), m:get("2026-10-01", "SAVE_RATE"),
      1e-12)
    assert.equal(f:sum("IMPRESSION"), m:sum("IMPRESSION"))
  end)

  it("refuses to aggregate a rate without its parts", function()
    local only = { daily_metrics = { { date = "2026-10-01", data_status = "READY", metrics = { SAVE_RATE = 0.5 } } } }
    local f = pa.frame(only)
    assert.has_error(function() f:sum("SAVE_RATE") end)
    assert.equal(0.5, f:max("SAVE_RATE"))
    local w = f:resample("week")
    assert.equal(core.null, w:column("SAVE_RATE")[1])
  end)

  it("tells missing from zero", function()
    local f = pa.frame { daily_metrics = {
      { date = "2026-10-01", data_status = "READY", metrics = { SAVE = 0, IMPRESSION = 10 } },
      { date = "2026-10-02", data_status = "READY", metrics = { IMPRESSION = 12 } },
      { date = "2026-10-03", data_status = "READY", metrics = { SAVE = 4, IMPRESSION = pa.null } },
    } }
    assert.equal(0, f:get("2026-10-01", "SAVE"))
    assert.is_nil(f:get("2026-10-02", "SAVE"))
    assert.same({ 0, pa.null, 4 }, f:column("SAVE"))
    assert.equal(4, f:sum("SAVE"))
    assert.equal(2, f:mean("SAVE")) -- over the two days that have it
    assert.equal(22, f:sum("IMPRESSION"))
    local t = f:to_table()
    assert.same({ "2026-10-01", "2026-10-02", "2026-10-03" }, t.dates)
    assert.same({ 10, 12, pa.null }, t.series.IMPRESSION)
  end)

  it("flags days that are not READY and can leave them out", function()
    local f = pa.frame(res.all)
    assert.same({ "2026-10-19", "2026-10-20" }, f:not_ready()) -- ESTIMATE and PROCESSING
    assert.equal("PROCESSING", f:status("2026-10-20"))
    assert.equal("READY", f:status("2026-10-01"))
    local ready = f:slice("2026-09-01", "2026-10-18")
    assert.equal(ready:sum("SAVE"), f:sum("SAVE", { ready_only = true }))
    assert.near(ready:sum("SAVE_RATE"), f:sum("SAVE_RATE", { ready_only = true }), 1e-12)
    local n = 0
    for date, values, status in f:rows() do
      n = n + 1
      assert.equal(f:get(date, "SAVE"), values.SAVE)
      assert.equal(f:status(date), status)
    end
    assert.equal(50, n)
    -- the days that are not READY are marked in a status column, the last
    local text = tostring(f)
    assert.truthy(text:find("\n2026%-10%-20 [^\n]*  PROCESSING\n"))
    assert.truthy(text:find("\n2026%-10%-19 [^\n]*  ESTIMATE\n"))
    assert.truthy(text:find("^date%s+IMPRESSION[^\n]*  status\n"))
  end)

  it("builds from many pins: one metric across pins, or every metric", function()
    local results = {}
    for i = 1, 5 do results[tostring(700 + i)] = answer(tostring(700 + i)) end
    local f = pa.frame(results, { metric = "IMPRESSION" })
    assert.same({ "701", "702", "703", "704", "705" }, f:metrics())
    assert.equal(results["703"].all.summary_metrics.IMPRESSION, f:sum("703"))
    local all = pa.frame(results)
    assert.equal(35, #all:metrics())
    assert.near(results["702"].all.summary_metrics.SAVE_RATE, all:sum("702/SAVE_RATE"), 1e-12)
    assert.same({ "2026-10-19", "2026-10-20" }, all:not_ready())
    -- merge: frames of different pins side by side
    local a = pa.frame({ ["701"] = results["701"] }, { metric = "SAVE" })
    local b = pa.frame({ ["702"] = results["702"] }, { metric = "SAVE" })
    local m = a:merge(b)
    assert.same({ "701", "702" }, m:metrics())
    assert.equal(results["702"].all.summary_metrics.SAVE, m:sum("702"))
  end)

  it("keeps slices and resamples whole after the frame they came from is collected", function()
    local f = pa.frame(res.all)
    local s, w = f:slice("2026-09-07", "2026-09-13"), f:resample("week")
    local save = f:get("2026-09-08", "SAVE")
    f = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.equal(7, #s)
    assert.equal(save, s:get("2026-09-08", "SAVE"))
    assert.same(s:metrics(), w:metrics())
    assert.equal(s:sum("SAVE"), w:get("2026-09-07", "SAVE"))
  end)

  it("builds from OneUp posts, stats summed per day", function()
    local posts = assert(core.decode(H.read_file("spec/fixtures/oneup_posts.json"))).data
    local f = pa.frame(posts)
    assert.same({ "2025-05-01" }, f:dates())
    assert.equal(3000, f:get("2025-05-01", "impressions"))
    local two = pa.frame { { timestamp = "2025-05-01 09:00:00", stats = { saves = 2 } },
      { timestamp = "2025-05-01 18:00:00", stats = { saves = 5 } },
      { timestamp = "2025-05-03 10:00:00", stats = { saves = 1 } } }
    assert.same({ "2025-05-01", "2025-05-03" }, two:dates())
    assert.equal(7, two:get("2025-05-01", "saves"))
  end)

  it("holds 10,000 pins x 90 days x 10 metrics in about 8 bytes a value", function()
    local q = { start_date = "2026-07-23", end_date = "2026-10-20", metric_types = {
      "IMPRESSION", "SAVE", "SAVE_RATE", "PIN_CLICK", "OUTBOUND_CLICK", "USER_FOLLOW", "PROFILE_VISIT",
      "TOTAL_COMMENTS", "TOTAL_REACTIONS", "VIDEO_START" } }
    local template = data.pin_analytics("1", q, TODAY)
    local results = {}
    for i = 1, 10000 do results[tostring(100000 + i)] = template end -- the same answer, 10,000 pins
    local f = pa.frame(results)
    assert.equal(90, #f)
    assert.equal(100000, #f:metrics())
    local bytes, values = core.frame_bytes(f)
    assert.equal(9000000, values)
    assert.is_true(bytes / values < 12, bytes / values .. " bytes per value")
    assert.equal(template.all.summary_metrics.SAVE, f:sum("109999/SAVE"))
  end)
end)
