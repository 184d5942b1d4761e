-- MetricFrames that report well: top, to_csv, derived rates, ISO-week and
-- month labels with partial-period flags, and an aligned tostring.
local pa = require "pinanalytics"
local core = require "pinanalytics.core"

local function day(date, metrics, status)
  return { date = date, data_status = status or "READY", metrics = metrics or {} }
end

-- the error message of f(...), which must raise, without where it was raised
local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return (tostring(e):gsub("^[^:\n]+:%d+: ", ""))
end

-- B: one pin, five days from a Sunday (2026-W36) into the next week, the
-- last two not READY, the last without SAVE_RATE
local function frame_b()
  return pa.frame { daily_metrics = {
    day("2026-09-06", { IMPRESSION = 1200, SAVE = 30, SAVE_RATE = 0.025 }),
    day("2026-09-07", { IMPRESSION = 15000, SAVE = 450, SAVE_RATE = 0.03 }),
    day("2026-09-08", { IMPRESSION = 980, SAVE = 0, SAVE_RATE = 0 }),
    day("2026-09-09", { IMPRESSION = 2500, SAVE = 75, SAVE_RATE = 0.03 }, "ESTIMATE"),
    day("2026-09-10", { IMPRESSION = 1000000, SAVE = 12345 }, "PROCESSING"),
  } }
end

-- A: the same days without SAVE_RATE, and PIN_CLICK on some days only
local function frame_a()
  return pa.frame { daily_metrics = {
    day("2026-09-06", { IMPRESSION = 1200, SAVE = 30, PIN_CLICK = 7 }),
    day("2026-09-07", { IMPRESSION = 15000, SAVE = 450, PIN_CLICK = 120 }),
    day("2026-09-08", { IMPRESSION = 980, SAVE = 0, PIN_CLICK = pa.null }),
    day("2026-09-09", { IMPRESSION = 2500, SAVE = 75 }, "ESTIMATE"),
    day("2026-09-10", { IMPRESSION = 1000000, SAVE = 12345, PIN_CLICK = 5 }, "PROCESSING"),
  } }
end

-- results by pin: totals IMPRESSION 70: 150, 701: 150, 702: 150, 703: 400,
-- 704: none (a key with no number); SAVE 70: 6, 701: 6, 702: 9, 703: 4, 704: 2
local function pins()
  local function answer(i1, s1, i2, s2)
    return { all = { daily_metrics = { day("2026-09-07", { IMPRESSION = i1, SAVE = s1 }),
      day("2026-09-08", { IMPRESSION = i2, SAVE = s2 }) } } }
  end
  return {
    ["701"] = answer(100, 5, 50, 1),
    ["702"] = answer(100, 4, 50, 5),
    ["703"] = answer(300, 4, 100, 0),
    ["704"] = answer(pa.null, 1, pa.null, 1),
    ["70"] = answer(75, 3, 75, 3),
  }
end

local function lines_of(text)
  local out = {}
  for line in text:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

describe("frame:top", function()
  it("ranks pins by their total of a metric in a frame of every metric of every pin", function()
    local f = pa.frame(pins())
    assert.same({ { key = "703", value = 400 }, { key = "70", value = 150 }, { key = "701", value = 150 },
      { key = "702", value = 150 } }, f:top(10, "IMPRESSION")) -- 704 has no value: not ranked, never zero
    assert.same({ { key = "703", value = 400 }, { key = "70", value = 150 } }, f:top(2, "IMPRESSION"))
    assert.same({ { key = "70", value = 150 }, { key = "701", value = 150 }, { key = "702", value = 150 },
      { key = "703", value = 400 } }, f:top(10, "IMPRESSION", { order = "asc" })) -- ties still by key
    assert.same({ { key = "702", value = 9 }, { key = "70", value = 6 }, { key = "701", value = 6 },
      { key = "703", value = 4 }, { key = "704", value = 2 } }, f:top(5, "SAVE"))
    if math.type then assert.equal("integer", math.type(f:top(1, "IMPRESSION")[1].value)) end
  end)

  it("ranks pins by a rate recomputed from their summed parts, the rate needing no series of its own", function()
    local f = pa.frame(pins())
    local top = f:top(10, "SAVE_RATE")
    assert.same({ "702", "70", "701", "703" }, { top[1].key, top[2].key, top[3].key, top[4].key })
    assert.equal(4, #top) -- 704 has saves but no impressions: no rate
    assert.equal(9 / 150, top[1].value)
    assert.equal(6 / 150, top[2].value)
    assert.equal(6 / 150, top[3].value)
    assert.equal(4 / 400, top[4].value)
    if math.type then assert.equal("float", math.type(top[4].value)) end
    -- the same with the rate in the frame as a series: still from the parts
    local r = pins()
    for _, a in pairs(r) do
      for _, d in ipairs(a.all.daily_metrics) do d.metrics.SAVE_RATE = 0.5 end
    end
    assert.same(top, pa.frame(r):top(10, "SAVE_RATE"))
  end)

  it("ranks the dates of a frame of one pin, ties by the earlier date, missing days left out", function()
    local f = frame_b()
    assert.same({ { key = "2026-09-10", value = 1000000 }, { key = "2026-09-07", value = 15000 },
      { key = "2026-09-09", value = 2500 } }, f:top(3, "IMPRESSION"))
    assert.same({ { key = "2026-09-07", value = 0.03 }, { key = "2026-09-09", value = 0.03 },
      { key = "2026-09-06", value = 0.025 }, { key = "2026-09-08", value = 0 } }, f:top(10, "SAVE_RATE"))
    assert.same({ { key = "2026-09-07", value = 0.03 }, { key = "2026-09-06", value = 0.025 },
      { key = "2026-09-08", value = 0 } }, f:top(10, "SAVE_RATE", { ready_only = true }))
    -- a series of a pin in a frame of many pins is ranked by date too
    assert.same({ { key = "2026-09-07", value = 100 }, { key = "2026-09-08", value = 50 } },
      pa.frame(pins()):top(5, "701/IMPRESSION"))
    -- by = "date" insists on a series of the frame itself
    assert.equal("pinanalytics.frame: no series IMPRESSION in this frame",
      err_of(function() return pa.frame(pins()):top(3, "IMPRESSION", { by = "date" }) end))
    -- weeks are ranked by their labels
    assert.same({ { key = "2026-W37", value = 1018480 }, { key = "2026-W36", value = 1200 } },
      f:resample("week"):top(5, "IMPRESSION"))
  end)

  it("ranks the series themselves without a metric: one metric across pins", function()
    local f = pa.frame(pins(), { metric = "IMPRESSION" })
    assert.same({ "70", "701", "702", "703", "704" }, f:metrics())
    assert.same({ { key = "703", value = 400 }, { key = "70", value = 150 }, { key = "701", value = 150 } }, f:top(3))
    assert.same({ { key = "70", value = 150 } }, f:top(1, nil, { order = "asc" }))
  end)

  it("takes any n up to everything, and refuses an n, metric or option that is not one", function()
    local f = frame_b()
    assert.same({}, f:top(0, "SAVE"))
    assert.equal(5, #f:top(math.huge, "SAVE"))
    assert.equal(5, #f:top(2 ^ 53, "SAVE"))
    assert.equal(5, #f:top(1e308, "SAVE"))
    local msg = "pinanalytics.frame: top: n must be a whole number >= 0, got "
    assert.equal(msg .. "-1", err_of(f.top, f, -1, "SAVE"))
    assert.equal(msg .. "1.5", err_of(f.top, f, 1.5, "SAVE"))
    assert.equal(msg .. "nan", err_of(f.top, f, 0 / 0, "SAVE"))
    assert.equal(msg .. "string", err_of(f.top, f, "3", "SAVE"))
    assert.equal(msg .. "no value", err_of(f.top, f))
    assert.equal("pinanalytics.frame: top: metric must be a string, got number", err_of(f.top, f, 3, 5))
    assert.equal("pinanalytics.frame: top: metric must be a string, got table", err_of(f.top, f, 3, {}))
    assert.equal("pinanalytics.frame: no series NOPE in this frame", err_of(f.top, f, 3, "NOPE"))
    assert.equal("pinanalytics.frame: top: options must be a table, got string", err_of(f.top, f, 3, "SAVE", "desc"))
    assert.equal('pinanalytics.frame: top: opts.order must be "desc" or "asc"',
      err_of(f.top, f, 3, "SAVE", { order = "up" }))
    assert.equal('pinanalytics.frame: top: opts.by must be "date", "key" or "series"',
      err_of(f.top, f, 3, "SAVE", { by = 1 }))
    assert.equal("pinanalytics.frame: top: by = \"series\" ranks the series themselves: give no metric",
      err_of(f.top, f, 3, "SAVE", { by = "series" }))
    assert.equal("pinanalytics.frame: top: no series <key>/SAVE in this frame",
      err_of(f.top, f, 3, "SAVE", { by = "key" }))
    -- a rate in the frame without its parts cannot be ranked by its total
    local only = pa.frame({ ["1"] = { all = { daily_metrics = { day("2026-09-07", { SAVE_RATE = 0.5 }) } } } })
    assert.matches("cannot aggregate 1/SAVE_RATE", err_of(only.top, only, 3, "SAVE_RATE"))
  end)

  it("reads its options raw", function()
    local calls = 0
    local trap = setmetatable({}, { __index = function() calls = calls + 1; return "asc" end })
    local f = frame_b()
    assert.same(f:top(2, "SAVE"), f:top(2, "SAVE", trap))
    assert.equal(0, calls)
  end)
end)

describe("frame:to_csv", function()
  it("writes RFC 4180 CSV: CRLF, numbers as numbers, missing as empty, the status last", function()
    assert.equal("date,IMPRESSION,SAVE,SAVE_RATE,data_status\r\n" ..
      "2026-09-06,1200,30,0.025,READY\r\n" ..
      "2026-09-07,15000,450,0.03,READY\r\n" ..
      "2026-09-08,980,0,0,READY\r\n" ..
      "2026-09-09,2500,75,0.03,ESTIMATE\r\n" ..
      "2026-09-10,1000000,12345,,PROCESSING\r\n", frame_b():to_csv())
    assert.equal("date,IMPRESSION,SAVE,SAVE_RATE\r\n2026-09-06,1200,30,0.025\r\n",
      frame_b():slice("2026-09-06", "2026-09-06"):to_csv { status = false })
    assert.equal("date,data_status\r\n", pa.frame({ daily_metrics = {} }):to_csv())
  end)

  it("writes rates with every digit they need, and big, small and negative numbers as numbers", function()
    local f = core.frame({ { daily = {
      day("2026-09-01", { A_RATE = 12870 / 1018480, N = -42, BIG = 2 ^ 53, HUGE = 1e300, TINY = 5e-324,
        F = 0.1, Z = -0.0 }),
    } } })
    assert.equal("date,A_RATE,BIG,F,HUGE,N,TINY,Z,data_status\r\n" ..
      "2026-09-01,0.012636477888618334,9007199254740992,0.1,1e+300,-42,4.94065645841247e-324,0,READY\r\n",
      f:to_csv())
  end)

  it("quotes series names with commas, quotes and line breaks, and only those", function()
    local f = core.frame({ { daily = { day("2026-09-01", {
      ["a,b"] = 1, ['say "hi"'] = 2, ["two\nlines"] = 3, plain = 4, ["cr\rx"] = 5, ["sp ace"] = 6 }) } } })
    assert.equal('date,"a,b","cr\rx",plain,"say ""hi""",sp ace,"two\nlines",data_status\r\n' ..
      "2026-09-01,1,5,4,2,6,3,READY\r\n", f:to_csv())
  end)

  it("labels weeks and months and says how many days each holds and whether that is all of it", function()
    assert.equal("week,IMPRESSION,SAVE,SAVE_RATE,days,partial,data_status\r\n" ..
      "2026-W36,1200,30,0.025,1,true,READY\r\n" ..
      "2026-W37,1018480,12870,0.012636477888618334,4,true,ESTIMATE\r\n", frame_b():resample("week"):to_csv())
    assert.equal("month,IMPRESSION,SAVE,SAVE_RATE,days,partial,data_status\r\n" ..
      "2026-09,1019680,12900,0.012651027773419112,5,true,ESTIMATE\r\n", frame_b():resample("month"):to_csv())
  end)

  it("refuses options that are not options", function()
    local f = frame_b()
    assert.equal("pinanalytics.frame: to_csv: options must be a table, got string", err_of(f.to_csv, f, "x"))
    assert.equal("pinanalytics.frame: to_csv: opts.status must be a boolean, got string",
      err_of(f.to_csv, f, { status = "no" }))
  end)
end)

describe("derived rates", function()
  it("are recomputed from their parts when the rate is not a series", function()
    local f = frame_a()
    assert.same({ "IMPRESSION", "PIN_CLICK", "SAVE" }, f:metrics())
    assert.equal(12900 / 1019680, f:sum("SAVE_RATE"))
    assert.equal(12900 / 1019680, f:mean("SAVE_RATE"))
    assert.equal(480 / 17180, f:sum("SAVE_RATE", { ready_only = true }))
    -- only days that have both parts count
    assert.equal(132 / 1016200, f:sum("PIN_CLICK_RATE"))
    assert.equal(0.03, f:get("2026-09-07", "SAVE_RATE"))
    assert.is_nil(f:get("2026-09-08", "PIN_CLICK_RATE"))
    assert.same({ 0.025, 0.03, 0, 0.03, 0.012345 }, f:column("SAVE_RATE"))
    assert.same({ 7 / 1200, 120 / 15000, pa.null, pa.null, 5 / 1000000 }, f:column("PIN_CLICK_RATE"))
    assert.equal(0, f:min("SAVE_RATE"))
    assert.equal(0.03, f:max("SAVE_RATE"))
    if math.type then assert.equal("float", math.type(f:min("SAVE_RATE"))) end
    -- and after resampling, from the summed parts
    assert.equal(12870 / 1018480, f:resample("week"):get("2026-W37", "SAVE_RATE"))
  end)

  it("work for the rates of each pin or split, and for the average watch time", function()
    local f = pa.frame(pins())
    assert.equal(9 / 150, f:sum("702/SAVE_RATE"))
    assert.equal(6 / 150, f:sum("701/SAVE_RATE"))
    local v = core.frame({ { prefix = "WEB/", daily = {
      day("2026-09-01", { VIDEO_V50_WATCH_TIME = 300, VIDEO_START = 10 }),
      day("2026-09-02", { VIDEO_V50_WATCH_TIME = 100, VIDEO_START = 30 }) } } })
    assert.equal(10, v:sum("WEB/VIDEO_AVG_WATCH_TIME"))
    assert.equal(30, v:max("WEB/VIDEO_AVG_WATCH_TIME"))
    assert.equal(100 / 30, v:get("2026-09-02", "WEB/VIDEO_AVG_WATCH_TIME"))
  end)

  it("name the parts they lack", function()
    local f = frame_a()
    assert.equal("pinanalytics.frame: no series OUTBOUND_CLICK_RATE in this frame (nor OUTBOUND_CLICK and " ..
      "IMPRESSION to compute it from)", err_of(f.sum, f, "OUTBOUND_CLICK_RATE"))
    assert.equal("pinanalytics.frame: no series 1/SAVE_RATE in this frame (nor 1/SAVE and 1/IMPRESSION to " ..
      "compute it from)", err_of(f.get, f, "2026-09-07", "1/SAVE_RATE"))
    assert.equal("pinanalytics.frame: no series VIDEO_AVG_WATCH_TIME in this frame (nor VIDEO_V50_WATCH_TIME " ..
      "and VIDEO_START to compute it from)", err_of(f.column, f, "VIDEO_AVG_WATCH_TIME"))
    assert.equal("pinanalytics.frame: no series SAVES in this frame", err_of(f.sum, f, "SAVES"))
  end)

  it("divide by zero impressions as a rate of zero, as sums of rates do", function()
    local f = core.frame({ { daily = { day("2026-09-01", { SAVE = 0, IMPRESSION = 0 }) } } })
    assert.equal(0, f:get("2026-09-01", "SAVE_RATE"))
    assert.equal(0, f:sum("SAVE_RATE"))
  end)
end)

describe("frame:resample labels", function()
  -- every day from d0 for n days, SAVE = 1 each
  local function days_from(d0, n, skip)
    local daily = {}
    for i = 0, n - 1 do
      local d = pa.dates.add_days(d0, i)
      if d ~= skip then daily[#daily + 1] = day(d, { SAVE = 1 }) end
    end
    return pa.frame { daily_metrics = daily }
  end

  it("labels ISO weeks by the ISO week-numbering year, right at year boundaries", function()
    local w = days_from("2024-12-28", 10):resample("week") -- Sat 2024-12-28 .. Mon 2025-01-06
    assert.equal("week", w:period())
    assert.same({ "2024-W52", "2025-W01", "2025-W02" }, w:labels())
    assert.same({ "2024-12-28", "2024-12-30", "2025-01-06" }, w:dates()) -- still keyed by the first day held
    assert.same({ "2024-W52", "2025-W02" }, w:partial())
    assert.is_false(w:partial("2025-W01"))
    assert.is_true(w:partial("2024-12-28"))
    assert.equal(7, w:get("2025-W01", "SAVE"))
    assert.equal(7, w:get("2024-12-30", "SAVE"))
    local v = days_from("2020-12-28", 8):resample("week") -- Mon 2020-12-28 .. Mon 2021-01-04
    assert.same({ "2020-W53", "2021-W01" }, v:labels()) -- 2021-01-03 is in 2020-W53
    assert.same({ "2021-W01" }, v:partial())
    assert.equal(7, v:get("2020-W53", "SAVE"))
  end)

  it("agrees with pa.dates.iso_week on every day of thirty years", function()
    local daily = {}
    for i = 0, 30 * 366 do daily[#daily + 1] = day(pa.dates.add_days("1999-12-20", i), { SAVE = 1 }) end
    local w = pa.frame({ daily_metrics = daily }):resample("week")
    local labels, dates = w:labels(), w:dates()
    assert.equal(#dates, #labels)
    for i, d in ipairs(dates) do
      local y, n = pa.dates.iso_week(d)
      assert.equal(string.format("%04d-W%02d", y, n), labels[i])
      if i > 1 and i < #dates then assert.equal(7, w:get(labels[i], "SAVE")) end
    end
  end)

  it("labels months and flags a month the frame does not cover, gaps included", function()
    local m = days_from("2024-02-01", 29):resample("month")
    assert.equal("month", m:period())
    assert.same({ "2024-02" }, m:labels())
    assert.same({}, m:partial())
    assert.equal(29, m:get("2024-02", "SAVE"))
    assert.same({}, days_from("2023-02-01", 28):resample("month"):partial())
    assert.same({ "2023-02" }, days_from("2023-02-01", 28, "2023-02-14"):resample("month"):partial())
    assert.same({ "2023-01", "2023-03" }, days_from("2023-01-02", 60):resample("month"):partial())
  end)

  it("keeps rows, to_table, slice and merge aware of periods", function()
    local w = frame_b():resample("week")
    local seen = {}
    for date, values, status, label, partial in w:rows() do
      seen[#seen + 1] = { date, values.SAVE, status, label, partial }
    end
    assert.same({ { "2026-09-06", 30, "READY", "2026-W36", true }, { "2026-09-07", 12870, "ESTIMATE", "2026-W37", true } },
      seen)
    local t = w:to_table()
    assert.equal("week", t.period)
    assert.same({ "2026-W36", "2026-W37" }, t.labels)
    assert.same({ true, true }, t.partial)
    assert.same({ "2026-09-06", "2026-09-07" }, t.dates)
    local d = frame_b()
    assert.equal("day", d:period())
    assert.same(d:dates(), d:labels())
    assert.same({}, d:partial())
    assert.is_false(d:partial("2026-09-06"))
    for _, _, _, label, partial in d:rows() do assert.is_string(label); assert.is_false(partial) end
    assert.same({ false, false, false, false, false }, d:to_table().partial)
    local s = w:slice("2026-09-07", "2026-09-30")
    assert.same({ "2026-W37" }, s:labels())
    assert.same({ "2026-W37" }, s:partial())
    assert.same({ "2026-W36", "2026-W37" }, w:merge(w):labels())
    assert.equal("pinanalytics.frame: merge: a frame by week and a frame by day cannot be merged (resample both alike)",
      err_of(w.merge, w, d))
    assert.equal("pinanalytics.frame: resample: this frame is already by week (resample the frame by day)",
      err_of(w.resample, w, "month"))
  end)

  it("finds rows by label only where the period has labels, and refuses what is neither", function()
    local w = frame_b():resample("week")
    local m = frame_b():resample("month")
    local d = frame_b()
    assert.equal("ESTIMATE", w:status("2026-W37"))
    assert.equal(12900, m:get("2026-09", "SAVE"))
    assert.is_nil(w:get("2026-W40", "SAVE"))
    assert.is_nil(w:partial("2026-W40"))
    assert.is_nil(w:get("2026-09-08", "SAVE")) -- a day inside a week is not its key
    assert.equal("pinanalytics.frame: get: date \"2026-W37\" is not a date YYYY-MM-DD", err_of(d.get, d, "2026-W37", "SAVE"))
    assert.equal("pinanalytics.frame: get: date \"2025-W53\" is not a date YYYY-MM-DD or a week YYYY-Www",
      err_of(w.get, w, "2025-W53", "SAVE")) -- 2025 has 52 weeks
    assert.equal("2026-W53", pa.frame({ daily_metrics = { day("2026-12-31", { SAVE = 1 }) } }):resample("week")
      :labels()[1]) -- 2026 has 53
    assert.equal("pinanalytics.frame: get: date \"2026-13\" is not a date YYYY-MM-DD or a month YYYY-MM",
      err_of(m.get, m, "2026-13", "SAVE"))
    assert.equal("pinanalytics.frame: partial: date must be a string YYYY-MM-DD, got number", err_of(d.partial, d, 5))
  end)
end)

describe("tostring(frame)", function()
  it("prints an aligned table: thousands separators, rates as percentages, not-READY days marked", function()
    assert.equal(
      "date        IMPRESSION    SAVE  SAVE_RATE  status\n" ..
      "2026-09-06       1,200      30      2.50%\n" ..
      "2026-09-07      15,000     450      3.00%\n" ..
      "2026-09-08         980       0      0.00%\n" ..
      "2026-09-09       2,500      75      3.00%  ESTIMATE\n" ..
      "2026-09-10   1,000,000  12,345          -  PROCESSING\n", tostring(frame_b()))
    -- no status column when every day is READY
    assert.equal(
      "date        IMPRESSION  SAVE  SAVE_RATE\n" ..
      "2026-09-06       1,200    30      2.50%\n", tostring(frame_b():slice("2026-09-06", "2026-09-06")))
  end)

  it("prints weeks and months by label, partial ones marked with the days they hold", function()
    assert.equal(
      "week      IMPRESSION    SAVE  SAVE_RATE  status\n" ..
      "2026-W36       1,200      30      2.50%  partial 1/7 days\n" ..
      "2026-W37   1,018,480  12,870      1.26%  partial 4/7 days, ESTIMATE\n", tostring(frame_b():resample("week")))
    assert.equal(
      "month    IMPRESSION    SAVE  SAVE_RATE  status\n" ..
      "2026-09   1,019,680  12,900      1.27%  partial 5/30 days, ESTIMATE\n", tostring(frame_b():resample("month")))
  end)

  it("prints averages with two decimals, negatives and huge numbers whole, odd names escaped", function()
    local f = core.frame({ { daily = {
      day("2026-09-01", { VIDEO_AVG_WATCH_TIME = 12.3, N = -1234567, ["a\nb"] = 1e20, X_RATE = 12.5 }, "UNKNOWN"),
      day("2026-09-02", { VIDEO_AVG_WATCH_TIME = 1234, N = 0.5, ["a\nb"] = -0.0 }),
    } } })
    local sp = string.rep
    assert.equal(
      "date      " .. "  " .. sp(" ", 9) .. "N" .. "  VIDEO_AVG_WATCH_TIME" .. "     X_RATE" .. "  " .. sp(" ", 22) ..
        "a\\10b" .. "  status\n" ..
      "2026-09-01" .. "  -1,234,567" .. "  " .. sp(" ", 15) .. "12.30" .. "  1,250.00%" ..
        "  100,000,000,000,000,000,000" .. "  UNKNOWN\n" ..
      "2026-09-02" .. "  " .. sp(" ", 6) .. "0.50" .. "  " .. sp(" ", 12) .. "1,234.00" .. "  " .. sp(" ", 8) .. "-" ..
        "  " .. sp(" ", 26) .. "0\n", tostring(f))
  end)

  it("prints the head and tail of a long frame and the first series of a wide one", function()
    local daily = {}
    for i = 1, 100 do daily[i] = day(pa.dates.add_days("2026-01-01", i - 1), { S = i, T = 2 * i, U = 3 * i }) end
    local f = pa.frame { daily_metrics = daily }
    local lines = lines_of(tostring(f))
    assert.equal(62, #lines)
    assert.equal("2026-01-30   30   60   90", lines[31])
    assert.equal("... 40 more rows", lines[32])
    assert.equal("2026-03-12   71  142  213", lines[33])
    assert.equal("2026-04-10  100  200  300", lines[62])
    assert.equal(
      "date          S\n" ..
      "2026-01-01    1\n" ..
      "2026-01-02    2\n" ..
      "... 97 more rows\n" ..
      "2026-04-10  100\n" ..
      "... 2 more series (f:metrics() names them all)\n", f:to_string { max_rows = 3, max_series = 1 })
    assert.equal(#lines, #lines_of(f:to_string { max_rows = 60 }))
    assert.equal(101, #lines_of(f:to_string { max_rows = math.huge }))
    assert.equal("date        S  T  U\n... 100 more rows\n", f:to_string { max_rows = 0 })
    -- thousands of series: bounded
    local m = {}
    for i = 1, 5000 do m["series" .. i] = i end
    local wide = core.frame({ { daily = { day("2026-09-01", m) } } })
    local text = tostring(wide)
    assert.is_true(#text < 1000, #text .. " characters")
    assert.truthy(text:find("... 4988 more series", 1, true))
  end)

  it("refuses options that are not options", function()
    local f = frame_b()
    assert.equal("pinanalytics.frame: to_string: opts.max_rows must be a whole number >= 0, got -1",
      err_of(f.to_string, f, { max_rows = -1 }))
    assert.equal("pinanalytics.frame: to_string: opts.max_series must be a whole number >= 0, got string",
      err_of(f.to_string, f, { max_series = "3" }))
    assert.equal("pinanalytics.frame: to_string: options must be a table, got number", err_of(f.to_string, f, 3))
  end)
end)

describe("the reporting methods against odd input", function()
  it("read every option raw: metamethods on opts are never called", function()
    local calls = 0
    local trap = setmetatable({}, { __index = function() calls = calls + 1; return false end })
    local f = frame_b()
    assert.equal(f:to_csv(), f:to_csv(trap))
    assert.equal(tostring(f), f:to_string(trap))
    assert.same(f:top(3, "SAVE"), f:top(3, "SAVE", trap))
    assert.equal(0, calls)
  end)

  it("keep keys with NUL bytes and line breaks whole, and rank them by bytes", function()
    local f = core.frame({
      { daily = { day("2026-09-01", { SAVE = 2 }) }, prefix = "a\0b/" },
      { daily = { day("2026-09-01", { SAVE = 2 }) }, prefix = "a/" },
      { daily = { day("2026-09-01", { SAVE = 2 }) }, prefix = "a\n/" },
    })
    assert.same({ { key = "a", value = 2 }, { key = "a\0b", value = 2 }, { key = "a\n", value = 2 } }, f:top(5, "SAVE"))
    assert.equal('date,a\0b/SAVE,"a\n/SAVE",a/SAVE,data_status\r\n2026-09-01,2,2,2,READY\r\n', f:to_csv())
  end)

  it("show sums past the largest double as inf, and rank them first", function()
    local f = core.frame({ { daily = { day("2026-09-07", { SAVE = 1e308 }), day("2026-09-08", { SAVE = 1e308 }),
      day("2026-09-14", { SAVE = 5 }) } } }):resample("week")
    assert.equal(math.huge, f:get("2026-W37", "SAVE"))
    assert.same({ { key = "2026-W37", value = math.huge }, { key = "2026-W38", value = 5 } }, f:top(2, "SAVE"))
    assert.equal("week,SAVE,days,partial,data_status\r\n2026-W37,inf,2,true,READY\r\n2026-W38,5,1,true,READY\r\n",
      f:to_csv())
    assert.equal("week      SAVE  status\n2026-W37   inf  partial 2/7 days\n2026-W38     5  partial 1/7 days\n",
      tostring(f))
  end)

  it("refuse to merge frames that key one week by different days", function()
    local a = pa.frame({ daily_metrics = { day("2026-09-07", { SAVE = 1 }), day("2026-09-08", { SAVE = 1 }) } })
    local b = pa.frame({ daily_metrics = { day("2026-09-08", { IMPRESSION = 1 }) } })
    assert.equal("pinanalytics.frame: merge: the frames key the week 2026-W37 by different days (merge the frames " ..
      "by day, then resample)", err_of(function() return a:resample("week"):merge(b:resample("week")) end))
    local m = a:merge(b):resample("week")
    assert.same({ "2026-W37" }, m:labels())
    assert.equal(2, m:get("2026-W37", "SAVE"))
    -- by month: the same week keyed alike merges, a day count kept
    local c = pa.frame({ daily_metrics = { day("2026-09-07", { IMPRESSION = 3 }) } })
    local mm = a:resample("month"):merge(c:resample("month"))
    assert.equal("pinanalytics.frame: merge: a frame by month and a frame by week cannot be merged (resample both " ..
      "alike)", err_of(function() return mm:merge(a:resample("week")) end))
    assert.same({ "2026-09" }, mm:labels())
    assert.equal(3, mm:get("2026-09", "IMPRESSION"))
    assert.equal("month    IMPRESSION  SAVE  status\n2026-09           3     2  partial 2/30 days\n", tostring(mm))
  end)

  it("rank thousands of pins in C with a replaced table.sort never called", function()
    local sort, calls = table.sort, 0
    local sources = {}
    for i = 1, 3000 do
      sources[i] = { daily = { day("2026-09-01", { IMPRESSION = i % 97, SAVE = i % 5 }) }, prefix = tostring(i) .. "/" }
    end
    table.sort = function() calls = calls + 1 end -- luacheck: ignore
    local ok, top = pcall(function() return core.frame(sources):top(4, "IMPRESSION") end)
    table.sort = sort -- luacheck: ignore
    assert(ok, top)
    assert.equal(0, calls)
    -- 96 is i % 97 for i = 96, 193, ...: ties by key in byte order
    assert.same({ { key = "1066", value = 96 }, { key = "1163", value = 96 }, { key = "1260", value = 96 },
      { key = "1357", value = 96 } }, top)
  end)
end)

describe("a closed MetricFrame refuses the reporting methods too", function()
  if _VERSION == "Lua 5.1" then return end

  it("raises for each of them after its __gc", function()
    local revived
    do
      local holder = setmetatable({}, { __gc = function(h) revived = h end })
      holder.f = core.frame({ { daily = { day("2026-10-01", { SAVE = 1, IMPRESSION = 2 }) } } })
    end
    collectgarbage()
    collectgarbage()
    assert.is_not_nil(revived, "the holder's finalizer ran")
    local f = revived.f
    local uses = {
      top = function() return f:top(3, "SAVE") end,
      top_series = function() return f:top(3) end,
      to_csv = function() return f:to_csv() end,
      to_string = function() return f:to_string() end,
      labels = function() return f:labels() end,
      partial = function() return f:partial() end,
      partial_of = function() return f:partial("2026-10-01") end,
      period = function() return f:period() end,
      derived = function() return f:sum("SAVE_RATE") end,
    }
    for name, use in pairs(uses) do
      local ok, err = pcall(use)
      assert.is_false(ok, name)
      assert.truthy(tostring(err):find("pinanalytics.frame: attempt to use a closed frame", 1, true),
        name .. ": " .. tostring(err))
    end
  end)
end)
