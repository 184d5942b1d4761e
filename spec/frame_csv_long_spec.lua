-- frame:to_csv{ shape = "long" }: the tidy form, a line per row and series
-- (date, series, metric, value, data_status), that spreadsheets, pandas and
-- R read; its options checked as strictly as the rest of the frame's.
local pa = require "pinanalytics"
local core = require "pinanalytics.core"

local function day(date, metrics, status)
  return { date = date, data_status = status or "READY", metrics = metrics or {} }
end

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return (tostring(e):gsub("^[^:\n]+:%d+: ", ""))
end

-- two pins over three days: 702 has no figures on 2026-09-02, 701 no SAVE
-- on 2026-09-03, which is not READY
local function pins()
  return pa.frame {
    ["701"] = { all = { daily_metrics = {
      day("2026-09-01", { IMPRESSION = 100, SAVE = 4 }),
      day("2026-09-02", { IMPRESSION = 50, SAVE = 1 }),
      day("2026-09-03", { IMPRESSION = 10 }, "ESTIMATE"),
    } } },
    ["702"] = { all = { daily_metrics = {
      day("2026-09-01", { IMPRESSION = 7, SAVE = 0 }),
      day("2026-09-03", { IMPRESSION = 9, SAVE = 2 }, "ESTIMATE"),
    } } },
  }
end

describe("frame:to_csv{ shape = \"long\" }", function()
  it("writes a line per date and series: the pin, the metric, the value, the day's status", function()
    assert.equal("date,series,metric,value,data_status\r\n" ..
      "2026-09-01,701,IMPRESSION,100,READY\r\n" ..
      "2026-09-01,701,SAVE,4,READY\r\n" ..
      "2026-09-01,702,IMPRESSION,7,READY\r\n" ..
      "2026-09-01,702,SAVE,0,READY\r\n" ..
      "2026-09-02,701,IMPRESSION,50,READY\r\n" ..
      "2026-09-02,701,SAVE,1,READY\r\n" ..
      "2026-09-02,702,IMPRESSION,,READY\r\n" ..
      "2026-09-02,702,SAVE,,READY\r\n" ..
      "2026-09-03,701,IMPRESSION,10,ESTIMATE\r\n" ..
      "2026-09-03,701,SAVE,,ESTIMATE\r\n" ..
      "2026-09-03,702,IMPRESSION,9,ESTIMATE\r\n" ..
      "2026-09-03,702,SAVE,2,ESTIMATE\r\n", pins():to_csv { shape = "long" })
  end)

  it("holds every date x series of the wide form, and the same values", function()
    local f = pins()
    local wide, long = f:to_csv(), f:to_csv { shape = "long" }
    local n = 0
    for _ in long:gmatch("\r\n") do n = n + 1 end
    assert.equal(1 + #f:dates() * #f:metrics(), n)
    for date, series, metric, value in long:gmatch("([%d%-]+),(%d+),(%u+),([^,]*),%u+\r\n") do
      local v = f:get(date, series .. "/" .. metric)
      assert.equal(v == nil and "" or string.format("%d", v), value)
    end
    assert.equal(wide, f:to_csv { shape = "wide" })
  end)

  it("a frame of one pin: the series column empty; opts.status = false leaves the status out", function()
    local f = pa.frame { daily_metrics = { day("2026-09-06", { IMPRESSION = 1200, SAVE_RATE = 0.025 }) } }
    assert.equal("date,series,metric,value,data_status\r\n" ..
      "2026-09-06,,IMPRESSION,1200,READY\r\n" ..
      "2026-09-06,,SAVE_RATE,0.025,READY\r\n", f:to_csv { shape = "long" })
    assert.equal("date,series,metric,value\r\n2026-09-06,,IMPRESSION,1200\r\n2026-09-06,,SAVE_RATE,0.025\r\n",
      f:to_csv { shape = "long", status = false })
  end)

  it("a frame of one metric across pins: opts.metric names it, the series column the pin", function()
    local results = {
      ["701"] = { all = { daily_metrics = { day("2026-09-01", { SAVE = 4 }) } } },
      ["702"] = { all = { daily_metrics = { day("2026-09-01", { SAVE = 0 }) } } },
    }
    local f = pa.frame(results, { metric = "SAVE" })
    assert.equal("date,series,metric,value,data_status\r\n2026-09-01,701,SAVE,4,READY\r\n" ..
      "2026-09-01,702,SAVE,0,READY\r\n", f:to_csv { shape = "long", metric = "SAVE" })
  end)

  it("splits a series name at its last /, quoting each part as RFC 4180 says", function()
    local f = core.frame({
      { daily = { day("2026-09-01", { SAVE = 2 }) }, prefix = 'a,"b"/' },
      { daily = { day("2026-09-01", { ["x/y"] = 3 }) }, prefix = "c\n/" },
    })
    assert.equal('date,series,metric,value,data_status\r\n' ..
      '2026-09-01,"a,""b""",SAVE,2,READY\r\n' ..
      '2026-09-01,"c\n/x",y,3,READY\r\n', f:to_csv { shape = "long" })
  end)

  it("labels weeks and months, with the days each holds and whether it is partial", function()
    local f = pins():resample("week")
    assert.equal("week,series,metric,value,days,partial,data_status\r\n" ..
      "2026-W36,701,IMPRESSION,160,3,true,ESTIMATE\r\n" ..
      "2026-W36,701,SAVE,5,3,true,ESTIMATE\r\n" ..
      "2026-W36,702,IMPRESSION,16,3,true,ESTIMATE\r\n" ..
      "2026-W36,702,SAVE,2,3,true,ESTIMATE\r\n", f:to_csv { shape = "long" })
  end)

  it("an empty frame: the header alone", function()
    assert.equal("date,series,metric,value,data_status\r\n", pa.frame({ daily_metrics = {} }):to_csv { shape = "long" })
  end)

  it("refuses a shape or a metric that is not one, naming what is allowed", function()
    local f = pins()
    assert.equal('pinanalytics.frame: to_csv: opts.shape must be "wide" or "long", got "tall"',
      err_of(f.to_csv, f, { shape = "tall" }))
    assert.equal('pinanalytics.frame: to_csv: opts.shape must be "wide" or "long", got number',
      err_of(f.to_csv, f, { shape = 2 }))
    assert.equal("pinanalytics.frame: to_csv: opts.metric must be a string, got boolean",
      err_of(f.to_csv, f, { shape = "long", metric = true }))
    assert.equal('pinanalytics.frame: to_csv: opts.metric goes with shape = "long" (the wide form names each ' ..
      'series in its header)', err_of(f.to_csv, f, { metric = "SAVE" }))
  end)

  it("reads its options raw: metamethods on opts are never called", function()
    local calls = 0
    local trap = setmetatable({ shape = "long" }, { __index = function() calls = calls + 1; return "x" end })
    local f = pins()
    assert.equal(f:to_csv { shape = "long" }, f:to_csv(trap))
    assert.equal(0, calls)
  end)
end)
