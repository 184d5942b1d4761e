-- A report states its coverage (days with figures of days asked, and which
-- are missing) in every format, and its charts show the missing days as
-- gaps; a sort it cannot compute is refused, a rank is a rank.
local cjson = require "cjson"
local pa = require "pinanalytics"
local dates = require "pinanalytics.dates"
local format = require "pinanalytics.format"

-- A day number's answer day: figures that differ from day to day.
local function day(n, status)
  local imp = 1000 + (n % 17) * 10
  return { date = dates.format(n), data_status = status or "READY",
    metrics = { IMPRESSION = imp, SAVE = 10 + n % 7, SAVE_RATE = (10 + n % 7) / imp } }
end

-- An answer holding the days first..last (day numbers) but those in skip.
local function answer(first, last, skip)
  local daily = {}
  for n = first, last do
    if not (skip and skip[n]) then daily[#daily + 1] = day(n) end
  end
  return { all = { daily_metrics = daily } }
end

local START = dates.parse("2026-03-01")
local RANGE = dates.range(dates.format(START), dates.format(START + 149)) -- 150 days
-- the store holds the last 90 of them
local HELD = answer(START + 60, START + 149)
local MISSING = { start_date = "2026-03-01", end_date = dates.format(START + 59), days = 60 }

local function count(s, pat)
  return select(2, s:gsub(pat, ""))
end

describe("a report over a period the data holds only part of (90 of 150 days)", function()
  it("knows the period asked, the days with figures and the missing days as ranges", function()
    local r = pa.report.pin(HELD, { pin_id = "111", range = RANGE })
    assert.equal("2026-03-01", r.current.start_date)
    assert.equal(dates.format(START + 149), r.current.end_date)
    assert.equal(150, r.current.days)
    assert.equal(90, r.current.days_with_figures)
    assert.equal(60, r.current.missing_days)
    assert.same({ MISSING }, r.current.missing_ranges)
    -- a row a day asked for: the missing ones without figures
    assert.equal(150, #r.days)
    assert.same({ "2026-03-01", false }, { r.days[1].date, r.days[1].held })
    assert.equal(format.null, r.days[1].values.IMPRESSION)
    assert.same({ dates.format(START + 60), true }, { r.days[61].date, r.days[61].held })
    -- a sparkline character a day asked, the missing days a distinct mark
    for _, m in ipairs(r.metrics) do
      assert.equal(150, format.width(m.spark))
      assert.equal(string.rep("·", 60), m.spark:sub(1, 60 * #"·"))
      assert.is_nil(m.spark:sub(60 * #"·" + 1):find("·", 1, true))
    end
  end)

  it("says so in every format", function()
    local r = pa.report.pin(HELD, { pin_id = "111", range = RANGE })
    local line = "90 of 150 days; missing 2026-03-01..2026-04-29 (60 days)"
    local text = pa.report.render("text", r)
    assert.truthy(text:find("\nCoverage: " .. line .. "\n", 1, true), text)
    assert.truthy(text:find("· a day without figures", 1, true), text)
    local md = pa.report.render("markdown", r)
    assert.truthy(md:find("\n- Coverage: " .. line .. "\n", 1, true), md)
    local html = pa.report.render("html", r)
    assert.truthy(html:find("<dt>Coverage</dt><dd class=\"warn\">" .. line .. "</dd>", 1, true), html)
    local csv = pa.report.render("csv", r)
    local rows = {}
    for l in csv:gmatch("[^\n]+") do rows[#rows + 1] = l end
    assert.equal(151, #rows, csv)
    assert.equal("111,2026-03-01,no figures,,,", rows[2])
    assert.equal("111," .. dates.format(START + 60) .. ",READY,", rows[62]:sub(1, 21))
    assert.truthy(rows[62]:find("^%d", 22), rows[62])
    local j = cjson.decode(pa.report.render("json", r))
    assert.same({ 150, 90, 60 }, { j.current.days, j.current.days_with_figures, j.current.missing_days })
    assert.same({ MISSING }, j.current.missing_ranges)
    assert.equal(false, j.days[1].held)
  end)

  it("states a full coverage too, and names each gap of a period with holes", function()
    local full = pa.report.daily(answer(START, START + 9), { range = dates.range(dates.format(START),
      dates.format(START + 9)) })
    assert.same({ 10, 10, 0 }, { full.current.days, full.current.days_with_figures, full.current.missing_days })
    assert.truthy(pa.report.render("text", full):find("\nCoverage: 10 of 10 days\n", 1, true))
    -- holes: day 3, days 6..8; no range given: the period is the data's span
    local holes = pa.report.daily(answer(START, START + 9, { [START + 2] = true, [START + 5] = true,
      [START + 6] = true, [START + 7] = true }))
    assert.same({ 10, 6, 4 }, { holes.current.days, holes.current.days_with_figures, holes.current.missing_days })
    assert.same({ { start_date = "2026-03-03", end_date = "2026-03-03", days = 1 },
      { start_date = "2026-03-06", end_date = "2026-03-08", days = 3 } }, holes.current.missing_ranges)
    local text = pa.report.render("text", holes)
    assert.truthy(text:find("\nCoverage: 6 of 10 days; missing 2026-03-03, 2026-03-06..2026-03-08 (4 days)\n", 1,
      true), text)
    assert.truthy(holes.metrics[1].spark:find("^..?.?.?.?.?·"), holes.metrics[1].spark)
    assert.equal(10, format.width(holes.metrics[1].spark))
    -- the line charts: broken at each gap, the missing days marked
    local html = pa.report.render("html", holes)
    local chart = html:match('<svg class="chart line".-</svg>')
    local path = chart:match('<path d="([^"]*)"')
    assert.equal(3, count(path, "M"), path)
    assert.equal(4, count(chart, '<rect class="missing"'), chart)
    assert.truthy(chart:find("<title>2026%-03%-03: no figures</title>"), chart)
  end)

  it("an overview of two periods without a day held is a report of no figures, never an error", function()
    local prev_range = RANGE:previous()
    local none = { all = { daily_metrics = {} } }
    local ov = pa.report.overview(none, none, { range = RANGE, previous_range = prev_range })
    local r = pa.report.model(ov)
    assert.same({ 150, 0 }, { r.current.days, r.current.days_with_figures })
    assert.same({ 150, 0 }, { r.previous.days, r.previous.days_with_figures })
    local names = {}
    for i, m in ipairs(r.metrics) do
      names[i] = m.metric
      assert.is_true(m.current == nil or m.current == cjson.null, m.metric)
      assert.is_true(m.previous == nil or m.previous == cjson.null, m.metric)
    end
    assert.same({ "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" }, names)
    for _, f in ipairs({ "text", "markdown", "csv", "json", "html" }) do
      local out = pa.report.render(f, ov)
      assert.truthy(out:find("0", 1, true) and out:find("150", 1, true), f .. ": " .. out)
    end
    local text = pa.report.render("text", ov)
    assert.truthy(text:find("\nCurrent coverage:  0 of 150 days; missing 2026-03-01..2026-07-28 (150 days)\n", 1,
      true), text)
  end)

  it("an overview states the coverage of both periods, and its charts and trends show the gaps", function()
    local prev_range = RANGE:previous()
    local prev = answer(dates.parse(prev_range.start_date), dates.parse(prev_range.end_date))
    local ov = pa.report.overview(HELD, prev, { range = RANGE, previous_range = prev_range })
    local r = pa.report.model(ov)
    assert.same({ 150, 90 }, { r.current.days, r.current.days_with_figures })
    assert.same({ 150, 150 }, { r.previous.days, r.previous.days_with_figures })
    assert.equal(150, #r.daily.current.dates)
    for _, m in ipairs(r.metrics) do assert.equal(150, format.width(m.spark)) end
    local text = pa.report.render("text", ov)
    assert.truthy(text:find("\nCurrent coverage:  90 of 150 days; missing 2026-03-01..2026-04-29 (60 days)\n", 1,
      true), text)
    assert.truthy(text:find("\nPrevious coverage: 150 of 150 days\n", 1, true), text)
    local csv = pa.report.render("csv", ov)
    assert.truthy(csv:find("^[^\n]*,current_days,current_days_with_figures,current_missing,previous_days," ..
      "previous_days_with_figures,previous_missing\n"), csv)
    assert.truthy(csv:find(",150,90,2026%-03%-01%.%.2026%-04%-29,150,150,\n"), csv)
    local html = pa.report.render("html", ov)
    local path = html:match('<svg class="chart line".-<path d="([^"]*)"')
    -- the current period's line starts at day 61, not squeezed to the left
    local x = tonumber(path:match("^M([%d.]+)"))
    assert.truthy(x > 64 + 0.39 * 444, path)
  end)

  it("a pins report states the days each pin holds and what the pins together cover", function()
    local results = { ["111"] = HELD, ["222"] = answer(START, START + 149) }
    local r = pa.report.pins(results, { range = RANGE })
    assert.same({ 150, 150 }, { r.current.days, r.current.days_with_figures })
    local by = {}
    for _, p in ipairs(r.pins) do by[p.id] = p end
    assert.same({ 90, 150 }, { by["111"].days_with_figures, by["222"].days_with_figures })
    local text = pa.report.render("text", r)
    assert.truthy(text:find("1 of 2 pins holds figures for fewer days", 1, true), text)
    local csv = pa.report.render("csv", r)
    assert.truthy(csv:find("^[^\n]*,days,days_with_figures"), csv)
  end)

  it("says when it cannot know: a top pins answer gives totals only", function()
    local r = pa.report.top_pins({ pins = { { pin_id = "1", metrics = { IMPRESSION = 5 } } } }, { range = RANGE })
    assert.equal(format.null, r.current.days_with_figures)
    assert.truthy(pa.report.render("text", r):find("\nCoverage: unknown (totals only)\n", 1, true))
  end)
end)

describe("pinanalytics --from-store over a period the store holds only part of", function()
  local H = require "helpers.sim"
  local cli = require "pinanalytics.cli"
  local sim, D, dir
  setup(function()
    sim = H.start {}
    D = dates.parse(H.TODAY)
    local h = assert(io.popen("mktemp -d /tmp/pa-coverage-spec.XXXXXX"))
    dir = h:read("*l")
    h:close()
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function sink()
    local t = { parts = {} }
    function t.write(self, ...)
      for _, x in ipairs({ ... }) do self.parts[#self.parts + 1] = tostring(x) end
      return self
    end
    function t.flush() return true end
    function t.close() return true end
    function t.text(self) return table.concat(self.parts) end
    return t
  end

  local function main(args)
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function() return false end, clock = function() return D * 86400 + 43200 end })
    return code, out:text(), err:text()
  end

  it("states 90 of 150 days in the report and in its --output file, in every format", function()
    local db = dir .. "/store.db"
    local pins = H.ids(1, 7700000)
    local code, _, err = main({ "sync", "--store", db, "--pins", pins[1], "--account" })
    assert.equal(0, code, err)
    local gap = dates.format(D - 150) .. ".." .. dates.format(D - 91)
    local line = "90 of 150 days; missing " .. gap .. " (60 days)"
    for _, cmd in ipairs({ { "pin", pins[1] }, { "account" }, { "top" } }) do
      local args = {}
      for _, a in ipairs(cmd) do args[#args + 1] = a end
      for _, a in ipairs({ "--last", "150", "--from-store", db }) do args[#args + 1] = a end
      local out
      code, out, err = main(args)
      assert.equal(0, code, err)
      assert.truthy(out:find(line, 1, true), cmd[1] .. ": " .. out)
      assert.is_nil(out:find("(150 days, 0 not READY)\nNot", 1, true))
      -- the --output file says the same
      local file = dir .. "/" .. cmd[1] .. ".md"
      args[#args + 1] = "--output"
      args[#args + 1] = file
      code, _, err = main(args)
      assert.equal(0, code, err)
      local f = assert(io.open(file, "rb"))
      local md = f:read("*a")
      f:close()
      assert.truthy(md:find(line, 1, true), md)
      -- json: the fields
      args[#args - 1], args[#args] = "--format", "json"
      code, out, err = main(args)
      assert.equal(0, code, err)
      local j = cjson.decode(out)
      assert.same({ 150, 90, 60 }, { j.current.days, j.current.days_with_figures, j.current.missing_days })
      assert.same({ { start_date = dates.format(D - 150), end_date = dates.format(D - 91), days = 60 } },
        j.current.missing_ranges)
    end
  end)
end)
