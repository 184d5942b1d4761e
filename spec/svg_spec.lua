-- The y-axis of the html report's line charts: round ticks (0, 10,000,
-- 20,000; 0 %, 0.5 %, 1 %), 3 to 6 of them, no label twice, a domain made
-- round around the data, and a scale on which the day-to-day movement shows
-- (an axis that does not start at 0 says so). Missing days stay gaps; no
-- NaN or infinity reaches the SVG.
local svg = require "pinanalytics.svg"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"

local function count(s, pat) return select(2, s:gsub(pat, "")) end

local function days(n)
  local out, first = {}, dates.parse("2026-10-01")
  for i = 1, n do out[i] = dates.format(first + i - 1) end
  return out
end

-- the y-axis labels of a chart, top to bottom as drawn, with their y
local function ticks_of(chart)
  local labels, ys = {}, {}
  for y, label in chart:gmatch('<text class="tick"[^>]* y="([%d.]+)"[^>]*>([^<]*)</text>') do
    labels[#labels + 1] = label
    ys[#ys + 1] = tonumber(y)
  end
  return labels, ys
end

-- the plot area: the gridlines' extent (left, right, top, bottom)
local function plot_of(chart)
  local x1, x2, top, bottom = math.huge, -math.huge, math.huge, -math.huge
  for a, y, b in chart:gmatch('<line class="grid" x1="([%d.]+)" y1="([%d.]+)" x2="([%d.]+)"') do
    x1, x2 = math.min(x1, tonumber(a)), math.max(x2, tonumber(b))
    top, bottom = math.min(top, tonumber(y)), math.max(bottom, tonumber(y))
  end
  return x1, x2, top, bottom
end

-- every point of every line of a chart
local function points_of(chart)
  local pts = {}
  for d in chart:gmatch('<path d="([^"]*)" fill="none"') do
    for x, y in d:gmatch("[ML]([%d.%-]+) ([%d.%-]+)") do pts[#pts + 1] = { tonumber(x), tonumber(y) } end
  end
  return pts
end

local function chart(values, kind, extra)
  local o = { title = "Impressions", dates = days(#values), kind = kind,
    series = { { name = "current period", values = values, n = #values } } }
  for k, v in pairs(extra or {}) do o[k] = v end
  return svg.line_chart(o)
end

-- labels, and the lines within the plot area, the ticks evenly spaced and in order
local function check(c)
  local labels, ys = ticks_of(c)
  local seen = {}
  for _, l in ipairs(labels) do
    assert.is_nil(seen[l], "a label twice: " .. l)
    seen[l] = true
  end
  local x1, x2, top, bottom = plot_of(c)
  for _, p in ipairs(points_of(c)) do
    assert.is_true(p[1] >= x1 - 0.05 and p[1] <= x2 + 0.05, "x outside the plot: " .. p[1])
    assert.is_true(p[2] >= top - 0.05 and p[2] <= bottom + 0.05, "y outside the plot: " .. p[2])
  end
  for i = 2, #ys do
    assert.is_true(ys[i] < ys[i - 1], "ticks in order, lowest first")
    if i > 2 then assert.is_true(math.abs((ys[i - 1] - ys[i]) - (ys[i - 2] - ys[i - 1])) < 0.11) end
  end
  assert.is_nil(c:lower():find("nan", 1, true))
  assert.is_nil(c:lower():find("inf", 1, true))
  return labels, ys, { x1, x2, top, bottom }
end

describe("svg.scale: round ticks around the data", function()
  it("counts from 0 up to 26,563: 0, 10,000, 20,000, 30,000 (never 26,563 / 13,282 / 0)", function()
    local s = svg.scale(0, 26563, { integer = true })
    assert.same({ 0, 10000, 20000, 30000 }, s.ticks)
    assert.same({ 0, 30000, 10000 }, { s.min, s.max, s.step })
    assert.is_true(s.zero)
  end)

  it("a series between 26,044 and 26,563 is not a flat line: the axis starts below its lowest day", function()
    local s = svg.scale(26044, 26563, { integer = true })
    assert.same({ 26000, 26200, 26400, 26600 }, s.ticks)
    assert.is_false(s.zero)
  end)

  it("counts that range from (near) 0 keep 0", function()
    assert.same({ 0, 50, 100, 150, 200 }, svg.scale(3, 180, { integer = true }).ticks)
    assert.same({ 0, 1000, 2000, 3000, 4000 }, svg.scale(1900, 3240, { integer = true }).ticks)
  end)

  it("rates: 0 %, 2 %, .. 10 %; and a narrow band of rates on its own scale", function()
    assert.same({ 0, 0.02, 0.04, 0.06, 0.08, 0.1 }, svg.scale(0, 0.092).ticks)
    local s = svg.scale(0.021, 0.029)
    assert.is_false(s.zero)
    assert.equal(6, #s.ticks)
    for i, v in ipairs({ 0.020, 0.022, 0.024, 0.026, 0.028, 0.030 }) do assert.near(v, s.ticks[i], 1e-15) end
  end)

  it("all values equal: from 0 to the value; all zero: 0 and a unit above it", function()
    assert.same({ 0, 100, 200, 300, 400, 500 }, svg.scale(500, 500, { integer = true }).ticks)
    assert.same({ 0, 1, 2 }, svg.scale(0, 0, { integer = true }).ticks)
    assert.same({ 0, 0.5, 1, 1.5, 2, 2.5 }, svg.scale(0, 2.3, { integer = false }).ticks)
  end)

  it("counts never get a tick between two whole numbers", function()
    assert.same({ 0, 1, 2, 3 }, svg.scale(0, 3, { integer = true }).ticks)
    assert.same({ 5, 6, 7 }, svg.scale(5, 6, { integer = true }).ticks)
  end)

  it("huge numbers and negative changes", function()
    assert.same({ 0, 1e12, 2e12, 3e12 }, svg.scale(2.2e11, 2.6e12, { integer = true }).ticks)
    assert.same({ -300, -200, -100, 0, 100, 200 }, svg.scale(-260, 130, { integer = true }).ticks)
    local s = svg.scale(-5200, -5010, { integer = true })
    assert.same({ -5200, -5150, -5100, -5050, -5000 }, s.ticks)
    assert.is_false(s.zero)
  end)

  it("no figures at all: only 0", function()
    local s = svg.scale(nil, nil)
    assert.same({ 0 }, s.ticks)
    assert.same({ 0, 1 }, { s.min, s.max })
  end)

  it("holds for many data sets: 3 to 6 round ticks that cover the data and leave its movement visible", function()
    local seed = 12345
    local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648 return seed / 2147483648 end
    for _ = 1, 3000 do
      local level = 10 ^ (rnd() * 14 - 4)
      local a, b = level * rnd(), level * rnd()
      if rnd() < 0.3 then a = level * (1 - rnd() * 0.05) end
      if rnd() < 0.1 then a = -a end
      local integer = rnd() < 0.5
      if integer then a, b = math.floor(a + 0.5), math.floor(b + 0.5) end
      local lo, hi = math.min(a, b), math.max(a, b)
      local s = svg.scale(lo, hi, { integer = integer })
      local where = string.format("%.17g .. %.17g", lo, hi)
      assert.is_true(#s.ticks >= 3 and #s.ticks <= 6, where)
      assert.is_true(s.min <= lo and s.max >= hi, where)
      assert.equal(s.min, s.ticks[1], where)
      assert.equal(s.max, s.ticks[#s.ticks], where)
      -- the step is 1, 2, 2.5 or 5 times a power of ten; whole for counts
      local m = s.step / 10 ^ math.floor(math.log(s.step) / math.log(10) + 1e-9)
      local round = false
      for _, ok in ipairs({ 1, 2, 2.5, 5, 10 }) do if math.abs(m - ok) < 1e-9 then round = true end end
      assert.is_true(round, where .. " step " .. s.step)
      if integer then assert.equal(math.floor(s.step), s.step, where) end
      local labels = {}
      for _, t in ipairs(s.ticks) do
        local l = svg.tick_label(t, s.step, integer and "count" or "rate")
        assert.is_nil(labels[l], where .. ": " .. l .. " twice")
        labels[l] = true
      end
      -- zero stays on the axis unless the data fill less than a third of it
      if s.zero then
        assert.is_true(s.min <= 0 and s.max >= 0, where)
      else
        assert.is_true(s.min > 0 or s.max < 0, where)
        assert.is_true((hi - lo) < math.max(math.abs(lo), math.abs(hi)) / 3, where)
      end
      if hi > lo then assert.is_true((hi - lo) / (s.max - s.min) >= 0.15, where) end
    end
  end)
end)

describe("svg.tick_label: the report's number formats, with the decimals the step needs", function()
  it("counts with thousands separators", function()
    assert.equal("20,000", svg.tick_label(20000, 10000, "count"))
    assert.equal("1,000,000,000,000", svg.tick_label(1e12, 1e12, "count"))
    assert.equal("-5,050", svg.tick_label(-5050, 50, "count"))
    assert.equal("2.5", svg.tick_label(2.5, 0.5, "count"))
    assert.equal("0.25", svg.tick_label(0.25, 0.25, "count"))
    assert.equal("1", svg.tick_label(1, 0.25, "count"))
  end)

  it("rates as percent: 0 %, 0.5 %, 1 %", function()
    assert.equal("0 %", svg.tick_label(0, 0.005, "rate"))
    assert.equal("0.5 %", svg.tick_label(0.005, 0.005, "rate"))
    assert.equal("1 %", svg.tick_label(0.01, 0.005, "rate"))
    assert.equal("2.2 %", svg.tick_label(0.022, 0.002, "rate"))
    assert.equal("0.25 %", svg.tick_label(0.0025, 0.0025, "rate"))
    assert.equal("10 %", svg.tick_label(0.1, 0.05, "rate"))
  end)
end)

describe("format.number of large counts (labels of a large axis)", function()
  local format = require "pinanalytics.format"
  it("rounds halves up without moving whole numbers: 1e9 is 1,000,000,000", function()
    assert.equal("1,000,000,000", format.number(1e9))
    assert.equal("999,999,999", format.number(999999999))
    assert.equal("123,456,789", format.number(123456789.4))
    assert.equal("123,456,790", format.number(123456789.5))
    assert.equal("1,000,000,000,000", format.number(1e12))
    assert.equal("9,007,199,254,740,992", format.number(2 ^ 53))
    assert.equal("2.68", format.number(2.675, 2))
    assert.equal("1.01", format.number(1.005, 2))
  end)
end)

describe("svg.line_chart's y-axis", function()
  it("draws round ticks for the issue's series (0 .. 26,563)", function()
    local c = chart({ 26563, 13282, 0, 8000, 21000 }, "count")
    local labels = check(c)
    assert.same({ "0", "10,000", "20,000", "30,000" }, labels)
    assert.is_nil(c:find(">26,563</text>", 1, true))
    assert.is_nil(c:find(">13,282</text>", 1, true))
    assert.equal(0, count(c, 'class="axis%-break"'))
  end)

  it("shows the movement of a series between 26,000 and 27,000, and says the axis does not start at 0", function()
    local c = chart({ 26120, 26563, 26301, 26044, 26410 }, "count")
    local labels, ys, plot = check(c)
    assert.same({ "26,000", "26,200", "26,400", "26,600" }, labels)
    assert.equal(1, count(c, '<g class="axis%-break">'))
    assert.truthy(c:find("<title>the axis starts at 26,000, not at 0</title>", 1, true), c)
    -- the highest and lowest day are far apart on the page (more than half the plot)
    local lo, hi = math.huge, -math.huge
    for _, p in ipairs(points_of(c)) do lo, hi = math.min(lo, p[2]), math.max(hi, p[2]) end
    assert.is_true(hi - lo > (plot[4] - plot[3]) / 2, hi - lo)
    -- the lowest tick is at the bottom of the plot
    assert.near(plot[4], ys[1] - 4, 0.11)
  end)

  it("labels rates as percent with the decimals they need", function()
    local labels = check(chart({ 0.0021, 0.0093, 0.0049, 0.0077 }, "rate"))
    assert.same({ "0 %", "0.2 %", "0.4 %", "0.6 %", "0.8 %", "1 %" }, labels)
    labels = check(chart({ 0.012, 0.004, 0.0 }, "rate"))
    assert.same({ "0 %", "0.25 %", "0.5 %", "0.75 %", "1 %", "1.25 %" }, labels)
  end)

  it("all equal, all zero, a single day", function()
    local c = chart({ 500, 500, 500 }, "count")
    assert.same({ "0", "100", "200", "300", "400", "500" }, (check(c)))
    c = chart({ 0, 0, 0, 0 }, "count")
    local labels, _, plot = check(c)
    assert.same({ "0", "1", "2" }, labels)
    for _, p in ipairs(points_of(c)) do assert.near(plot[4], p[2], 0.051) end
    c = chart({ 0, 0 }, "rate")
    assert.same({ "0 %", "0.2 %", "0.4 %", "0.6 %", "0.8 %", "1 %" }, (check(c)))
    c = chart({ 42 }, "count")
    assert.same({ "0", "10", "20", "30", "40", "50" }, (check(c)))
    assert.equal(1, count(c, "<circle"))
  end)

  it("all days missing: no tick but 0, a 'no figures' note and grey bands, no line", function()
    local c = svg.line_chart { title = "Saves", dates = days(3), kind = "count", missing = { true, true, true },
      series = { { name = "current period", values = {}, n = 3 } } }
    local labels = check(c)
    assert.same({ "0" }, labels)
    assert.truthy(c:find('<text class="no%-figures"[^>]*>no figures</text>'), c)
    assert.equal(3, count(c, '<rect class="missing"'))
    assert.equal(0, count(c, '<path d="'))
  end)

  it("keeps missing days as gaps, and no NaN or infinity reaches the SVG", function()
    local c = chart({ 120, 0 / 0, 140, math.huge, 150, -math.huge, 160 }, "count", { missing = { [2] = true } })
    local labels = check(c)
    assert.same({ "120", "130", "140", "150", "160" }, labels)
    local d = c:match('<path d="([^"]*)" fill="none"')
    assert.equal(4, count(d, "M"), d)
    assert.equal(0, count(d, "L"), d)
    assert.equal(1, count(c, '<rect class="missing"'))
    assert.equal(4, count(c, "<circle"))
  end)

  it("widens its margin for huge numbers, so that no label is cut", function()
    local c = chart({ 2.2e11, 2.6e12, 1.5e12 }, "count")
    local labels = check(c)
    assert.same({ "0", "1,000,000,000,000", "2,000,000,000,000", "3,000,000,000,000" }, labels)
    local x1 = plot_of(c)
    -- 17 characters at 11 px: more than 6 px each
    assert.is_true(x1 >= 6 + 17 * 6, x1)
  end)

  it("holds at the limits of a double: no NaN, no infinity, no label twice, no endless search", function()
    for _, vals in ipairs({ { 1.7e308, 1e308 }, { 1e-300, 2e-300 }, { -1.7e308, 1.7e308 }, { 5e-324, 0 },
      { 5e-324, 5e-324 }, { 1e20, 1e20 + 1e5 }, { -9e299, 9e299 }, { 9e299, 1 }, { 2 ^ 53, 2 ^ 53 + 2 } }) do
      for _, kind in ipairs({ "count", "rate" }) do
        local c = chart(vals, kind)
        local labels = check(c)
        assert.is_true(#labels >= 1 and #labels <= 6, kind .. " " .. #labels)
      end
    end
    -- beyond 1e300 no figure is meant: drawn as no figures
    local c = chart({ 1.7e308, 1e308 }, "count")
    assert.same({ "0" }, (check(c)))
    assert.truthy(c:find(">no figures</text>", 1, true))
  end)

  it("draws negative changes around 0", function()
    local labels = check(chart({ -260, 130, 0, -40 }, "count"))
    assert.same({ "-300", "-200", "-100", "0", "100", "200" }, labels)
  end)

  it("takes the previous period into the scale too", function()
    local c = svg.line_chart { dates = days(3), kind = "count", series = {
      { name = "current", values = { 26100, 26200, 26300 } },
      { name = "previous", values = { 12000, 14000, 16000 }, dashed = true } } }
    assert.same({ "0", "10,000", "20,000", "30,000" }, (check(c)))
  end)
end)

describe("svg.bar_chart", function()
  it("draws no NaN or infinity: such a bar is no bar, its figure '-', and the others keep their scale", function()
    local c = svg.bar_chart { title = "Top pins", bars = {
      { label = "a", value = 400, text = "400" }, { label = "b", value = math.huge, text = "inf" },
      { label = "c", value = 0 / 0 }, { label = "d", value = 200 }, { label = "e", value = -math.huge } } }
    assert.is_nil(c:lower():find("nan", 1, true))
    assert.is_nil(c:lower():find("inf", 1, true))
    local widths = {}
    for w in c:gmatch('<rect x="%d+" y="%d+" width="([^"]+)"') do widths[#widths + 1] = tonumber(w) end
    assert.equal(5, #widths)
    assert.equal(370, widths[1])
    assert.same({ 0, 0, 185, 0 }, { widths[2], widths[3], widths[4], widths[5] })
    assert.equal(3, count(c, '>%-</text>'))
  end)
end)

describe("the html report's charts", function()
  local function answer(imps)
    local daily, first = {}, dates.parse("2026-10-01")
    for i, v in ipairs(imps) do
      daily[i] = { date = dates.format(first + i - 1), data_status = "READY",
        metrics = { IMPRESSION = v, SAVE = 40 + i % 3, SAVE_RATE = (40 + i % 3) / v } }
    end
    return { all = { daily_metrics = daily } }
  end

  it("has round ticks for counts and rates, and an axis that shows the day-to-day movement", function()
    local html = pa.report.render("html", pa.report.daily(answer({ 26120, 26563, 26301, 26044, 26410 })))
    local charts = {}
    for c in html:gmatch('<svg class="chart line".-</svg>') do charts[#charts + 1] = c end
    assert.equal(3, #charts)
    local want = {
      Impressions = { "26,000", "26,200", "26,400", "26,600" },
      Saves = { "40", "41", "42" },
      ["Save rate"] = { "0.152 %", "0.154 %", "0.156 %", "0.158 %", "0.16 %" },
    }
    for _, c in ipairs(charts) do
      local title = c:match("<title>([^<]*)</title>")
      assert.same(want[title], (check(c)), title)
    end
  end)
end)
