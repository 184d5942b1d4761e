local dates = require "pinanalytics.dates"

describe("dates", function()
  it("parses real calendar dates only", function()
    assert.equal(0, dates.parse("1970-01-01"))
    assert.is_number(dates.parse("2024-02-29"))
    assert.is_nil(dates.parse("2025-02-29"))
    assert.is_nil(dates.parse("1900-02-29"))
    assert.is_number(dates.parse("2000-02-29"))
    assert.is_nil(dates.parse("2026-04-31"))
    assert.is_nil(dates.parse("2026-00-10"))
    assert.is_nil(dates.parse("2026-1-10"))
    assert.is_nil(dates.parse("2026-01-10T00:00"))
    local n, why = dates.parse(20260110)
    assert.is_nil(n)
    assert.truthy(why:find("expected a string"))
  end)

  it("formats and round-trips day numbers", function()
    for _, s in ipairs { "1970-01-01", "2000-02-29", "2024-12-31", "2026-11-23", "1969-12-31" } do
      assert.equal(s, dates.format(dates.parse(s)))
    end
    assert.equal("1969-12-31", dates.format(-1))
  end)

  it("adds days across month, year and leap boundaries", function()
    assert.equal("2024-03-01", dates.add_days("2024-02-28", 2))
    assert.equal("2023-03-01", dates.add_days("2023-02-28", 1))
    assert.equal("2027-01-01", dates.add_days("2026-12-31", 1))
    assert.equal("2026-08-25", dates.add_days("2026-11-23", -90))
    assert.equal(2, dates.diff("2024-02-28", "2024-03-01"))
    assert.equal(366, dates.diff("2024-01-01", "2025-01-01"))
  end)

  it("knows weekdays (ISO: Monday = 1)", function()
    assert.equal(1, dates.weekday("2026-11-23"))
    assert.equal(4, dates.weekday("1970-01-01"))
    assert.equal(7, dates.weekday("2024-12-29"))
  end)

  it("gives today in UTC, with an injectable clock", function()
    assert.equal("2026-11-23", dates.today(function() return 1795392000 + 86399 end))
    assert.equal("2026-11-24", dates.today(function() return 1795392000 + 86400 end))
    assert.equal(os.date("!%Y-%m-%d"), dates.today())
    assert.equal(dates.parse("2026-11-23"), dates.today_number(function() return 1795392000 + 86399 end))
    assert.equal(dates.parse(dates.today()), dates.today_number())
  end)

  it("raises on an invalid date given to arithmetic", function()
    assert.has_error(function() dates.add_days("2026-02-30", 1) end)
  end)
end)

describe("dates ranges", function()
  local function list(iter)
    local out = {}
    for r in iter do out[#out + 1] = tostring(r) end
    return out
  end
  local fixed = function() return 1795392000 + 3600 end -- 2026-11-23 01:00 UTC

  it("has start_date, end_date, length and days", function()
    local r = dates.range("2024-02-27", "2024-03-02")
    assert.equal("2024-02-27", r.start_date)
    assert.equal("2024-03-02", r.end_date)
    assert.equal(5, r:length())
    local days = {}
    for d in r:days() do days[#days + 1] = d end
    assert.same({ "2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02" }, days)
    assert.equal(1, dates.range("2026-01-01", "2026-01-01"):length())
    assert.has_error(function() dates.range("2026-01-02", "2026-01-01") end)
    assert.has_error(function() dates.range("2026-02-29", "2026-03-01") end)
  end)

  it("splits into ISO weeks, Monday to Sunday, across ISO week 53", function()
    local r = dates.range("2020-12-24", "2021-01-12")
    assert.same({ "2020-12-24..2020-12-27", "2020-12-28..2021-01-03", "2021-01-04..2021-01-10",
      "2021-01-11..2021-01-12" }, list(r:weeks()))
    assert.same({ 2020, 53 }, { dates.iso_week("2020-12-28") })
    assert.same({ 2020, 53 }, { dates.iso_week("2021-01-03") })
    assert.same({ 2021, 1 }, { dates.iso_week("2021-01-04") })
    assert.same({ 2025, 1 }, { dates.iso_week("2024-12-30") })
    assert.same({ 2026, 53 }, { dates.iso_week("2026-12-31") })
  end)

  it("splits into calendar months with month ends and leap days", function()
    local r = dates.range("2024-01-15", "2024-04-30")
    assert.same({ "2024-01-15..2024-01-31", "2024-02-01..2024-02-29", "2024-03-01..2024-03-31",
      "2024-04-01..2024-04-30" }, list(r:months()))
    assert.same({ "2023-02-01..2023-02-28" }, list(dates.range("2023-02-01", "2023-02-28"):months()))
  end)

  it("gives the previous period of a month (equal length, just before)", function()
    local march = dates.range("2026-03-01", "2026-03-31")
    local prev = march:previous()
    assert.equal("2026-01-29", prev.start_date)
    assert.equal("2026-02-28", prev.end_date)
    assert.equal(31, prev:length())
    assert.equal("2026-02-22..2026-02-28", tostring(dates.range("2026-03-01", "2026-03-07"):previous()))
  end)

  it("covers 200 days exactly with windows of at most 90", function()
    local r = dates.range("2026-01-01", "2026-07-19")
    assert.equal(200, r:length())
    local ws = list(r:windows(90))
    assert.same({ "2026-01-01..2026-03-31", "2026-04-01..2026-06-29", "2026-06-30..2026-07-19" }, ws)
    local total, prev_end = 0, nil
    for w in r:windows(90) do
      assert.is_true(w:length() <= 90)
      if prev_end then assert.equal(1, dates.diff(prev_end, w.start_date)) end
      prev_end = w.end_date
      total = total + w:length()
    end
    assert.equal(200, total)
    assert.equal(r.end_date, prev_end)
    assert.has_error(function() r:windows(0) end)
  end)

  it("last(n) ends yesterday (UTC) unless today is asked for", function()
    local r = dates.last(30, { clock = fixed })
    assert.equal("2026-10-24", r.start_date)
    assert.equal("2026-11-22", r.end_date)
    assert.equal(30, r:length())
    assert.equal("2026-11-23", dates.last(7, { clock = fixed, include_today = true }).end_date)
  end)

  it("knows the presets", function()
    assert.equal("2026-11-16..2026-11-22", tostring(dates.preset("last_7_days", { clock = fixed })))
    assert.equal("2026-08-25..2026-11-22", tostring(dates.preset("last_90_days", { clock = fixed })))
    assert.equal("2026-11-01..2026-11-23", tostring(dates.preset("this_month", { clock = fixed })))
    assert.equal("2026-10-01..2026-10-31", tostring(dates.preset("last_month", { clock = fixed })))
    local jan = function() return dates.parse("2027-01-05") * 86400 end
    assert.equal("2026-12-01..2026-12-31", tostring(dates.preset("last_month", { clock = jan })))
    assert.has_error(function() dates.preset("yesterday") end)
  end)

  it("clips a range at an earliest date and says what it dropped", function()
    local r = dates.range("2026-08-20", "2026-09-10")
    local kept, dropped = r:clip_start("2026-08-25")
    assert.equal("2026-08-25..2026-09-10", tostring(kept))
    assert.equal("2026-08-20..2026-08-24", tostring(dropped))
    kept, dropped = r:clip_start("2026-08-01")
    assert.equal(r, kept)
    assert.is_nil(dropped)
  end)
end)

describe("dates.resolve", function()
  it("takes a range or a preset name, and says why not otherwise", function()
    local r = dates.range("2026-01-01", "2026-01-31")
    assert.equal(r, dates.resolve(r))
    local clock = function() return 1795392000 end -- 2026-11-23
    assert.equal("2026-11-16..2026-11-22", tostring(dates.resolve("last_7_days", { clock = clock })))
    local none, why = dates.resolve("last_8_days")
    assert.is_nil(none)
    assert.truthy(why:find('range = "last_8_days" is not a preset (allowed: last_7_days', 1, true), why)
    none, why = dates.resolve(42)
    assert.is_nil(none)
    assert.equal("range must be a pinanalytics.dates range or a preset name, got 42 (number)", why)
  end)
end)
