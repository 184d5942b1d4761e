-- pinanalytics --from-store covers exactly the periods asked: days the store
-- does not hold are stated as missing in the report ("0 of 90 days" where
-- it holds none), never a shortened period, never an error; a change
-- against a period without figures is absent ("-", null), not 0 % nor
-- +100 %.
local cjson = require "cjson"
local H = require "helpers.sim"
local C = require "helpers.cli"
local cli = require "pinanalytics.cli"
local dates = require "pinanalytics.dates"

local q = C.q

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

describe("pinanalytics --from-store over periods the store holds none or part of", function()
  local sim, D, dir, db, gapdb
  local pins = H.ids(2, 7960000)
  table.sort(pins)

  -- cli.main on day `day` (a day number), the simulator's today the same
  local function main(args, day)
    day = day or D
    sim:configure { today = dates.format(day) }
    local out, err = sink(), sink()
    local env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
    local code = cli.main(args, { getenv = function(k) return env[k] end, stdout = out, stderr = err,
      isatty = function() return false end, clock = function() return day * 86400 + 43200 end })
    return code, out:text(), err:text()
  end

  local function with(base, ...)
    local out = {}
    for _, a in ipairs(base) do out[#out + 1] = a end
    for _, a in ipairs({ ... }) do out[#out + 1] = a end
    return out
  end

  setup(function()
    sim = H.start {}
    D = dates.parse(H.TODAY)
    local h = assert(io.popen("mktemp -d /tmp/pa-from-store-coverage.XXXXXX"))
    dir = h:read("*l")
    h:close()
    -- the last 90 days of the account and two pins
    db = dir .. "/store.db"
    local code, _, err = main({ "sync", "--store", db, "--pins", table.concat(pins, ","), "--account" })
    assert.equal(0, code, err)
    -- D-25..D-21, synced then, and D-10..D-1: a gap of D-20..D-11
    gapdb = dir .. "/gap.db"
    code, _, err = main({ "sync", "--store", gapdb, "--pins", table.concat(pins, ","), "--account", "--days", "5" },
      D - 20)
    assert.equal(0, code, err)
    code, _, err = main({ "sync", "--store", gapdb, "--pins", table.concat(pins, ","), "--account", "--days", "10" })
    assert.equal(0, code, err)
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf " .. q(dir))
  end)

  it("overview: no day of the previous period held: 0 of 90 days, every change absent", function()
    local prev_first, prev_last = dates.format(D - 180), dates.format(D - 91)
    local code, out, err = main({ "overview", "--last", "90", "--pins", "0", "--format", "json", "--from-store", db })
    assert.equal(0, code, err)
    assert.equal("", err)
    local r = cjson.decode(out)
    assert.same({ prev_first, prev_last, 90, 0, 90 }, { r.previous.start_date, r.previous.end_date, r.previous.days,
      r.previous.days_with_figures, r.previous.missing_days })
    assert.same({ { start_date = prev_first, end_date = prev_last, days = 90 } }, r.previous.missing_ranges)
    assert.same({ 90, 90 }, { r.current.days, r.current.days_with_figures })
    assert.is_false(r.periods_differ)
    assert.truthy(#r.metrics >= 5, out)
    for _, m in ipairs(r.metrics) do
      assert.equal("number", type(m.current), m.key)
      assert.equal(cjson.null, m.previous, m.key)
      assert.equal(cjson.null, m.change, m.key)
      -- a rate's change in pp is a figure (null: missing); a count has none (left out)
      if m.kind == "rate" then assert.equal(cjson.null, m.change_pp, m.key) else assert.is_nil(m.change_pp, m.key) end
    end
    -- the text says so, each change shown as absent
    code, out, err = main({ "overview", "--last", "90", "--pins", "0", "--from-store", db })
    assert.equal(0, code, err)
    assert.truthy(out:find("\nPrevious coverage: 0 of 90 days; missing " .. prev_first .. ".." .. prev_last ..
      " (90 days)\n", 1, true), out)
    -- each metric's row: its current figure, then "-" for the previous one and the change (not 0 %)
    local table_ = out:match("\nmetric[^\n]*\n%-[^\n]*\n(.-)\n\n")
    local rows = 0
    for row in table_:gmatch("[^\n]+") do
      local fields = {}
      for f in (row .. "  "):gmatch("(.-)  +") do fields[#fields + 1] = f end
      rows = rows + 1
      assert.truthy(fields[2]:find("^[%d,.]+ ?%%?$"), row)
      assert.same({ "-", "-" }, { fields[3], fields[4] }, row)
    end
    assert.equal(#r.metrics, rows, out)
    -- csv: the coverage columns, the changes empty
    code, out, err = main({ "overview", "--last", "90", "--pins", "0", "--format", "csv", "--from-store", db })
    assert.equal(0, code, err)
    local line = out:match("\n(impressions,[^\n]*)")
    assert.truthy(line:find("^impressions,Impressions,count,%d+,,,,"), line)
    local tail = ",90,0," .. prev_first .. ".." .. prev_last
    assert.equal(tail, line:sub(-#tail), line)
  end)

  it("overview: part of the previous period held: the period asked, its coverage, and a note", function()
    -- current D-60..D-1; previous D-120..D-61, of which D-90..D-61 held
    local code, out, err = main({ "overview", "--last", "60", "--pins", "0", "--format", "json", "--from-store", db })
    assert.equal(0, code, err)
    assert.equal("", err)
    local r = cjson.decode(out)
    assert.same({ dates.format(D - 120), dates.format(D - 61), 60, 30 }, { r.previous.start_date,
      r.previous.end_date, r.previous.days, r.previous.days_with_figures })
    assert.same({ { start_date = dates.format(D - 120), end_date = dates.format(D - 91), days = 30 } },
      r.previous.missing_ranges)
    assert.is_false(r.periods_differ)
    assert.is_true(r.coverage_differs)
    for _, m in ipairs(r.metrics) do
      assert.equal("number", type(m.previous), m.key)
      assert.equal("number", type(m.kind == "rate" and m.change_pp or m.change), m.key)
    end
    for _, fmt in ipairs({ "text", "markdown", "html" }) do
      code, out, err = main({ "overview", "--last", "60", "--pins", "0", "--format", fmt, "--from-store", db })
      assert.equal(0, code, err)
      assert.truthy(out:find("30 of 60 days; missing " .. dates.format(D - 120) .. ".." .. dates.format(D - 91) ..
        " (30 days)", 1, true), fmt .. ": " .. out)
      assert.truthy(out:find("figures for different numbers of days (60 and 30)", 1, true), fmt .. ": " .. out)
    end
  end)

  it("account, pin, top and overview over a period with a gap inside it", function()
    -- D-25..D-1 asked; D-20..D-11 not held
    local line = "15 of 25 days; missing " .. dates.format(D - 20) .. ".." .. dates.format(D - 11) .. " (10 days)"
    for _, cmd in ipairs({ { "account" }, { "pin", pins[1] }, { "pin", pins[1], pins[2] }, { "top" },
        { "overview", "--pins", "0" } }) do
      local code, out, err = main(with(cmd, "--last", "25", "--from-store", gapdb))
      assert.equal(0, code, table.concat(cmd, " ") .. ": " .. err)
      assert.truthy(out:find(line, 1, true), table.concat(cmd, " ") .. ": " .. out)
      code, out, err = main(with(cmd, "--last", "25", "--format", "json", "--from-store", gapdb))
      assert.equal(0, code, err)
      local r = cjson.decode(out)
      assert.same({ 25, 15, 10 }, { r.current.days, r.current.days_with_figures, r.current.missing_days })
    end
    -- the daily rows: a row a day asked, the gap without figures
    local code, out, err = main({ "account", "--last", "25", "--format", "json", "--from-store", gapdb })
    assert.equal(0, code, err)
    local r = cjson.decode(out)
    assert.equal(25, #r.days)
    assert.same({ dates.format(D - 20), false }, { r.days[6].date, r.days[6].held })
    assert.same({ dates.format(D - 21), true }, { r.days[5].date, r.days[5].held })
  end)

  it("account, pin and top over a period with no day held: 0 of N days, the figures absent, exit 0", function()
    local first, last = dates.format(D - 200), dates.format(D - 181)
    local line = "0 of 20 days; missing " .. first .. ".." .. last .. " (20 days)"
    for _, cmd in ipairs({ { "account" }, { "pin", pins[1] }, { "pin", pins[1], pins[2] }, { "top" },
        { "overview", "--pins", "0" } }) do
      local code, out, err = main(with(cmd, "--start", first, "--end", last, "--from-store", db))
      assert.equal(0, code, table.concat(cmd, " ") .. ": " .. err)
      assert.equal("", err)
      assert.truthy(out:find(line, 1, true), table.concat(cmd, " ") .. ": " .. out)
    end
    local code, out, err = main({ "account", "--start", first, "--end", last, "--format", "json", "--from-store", db })
    assert.equal(0, code, err)
    local r = cjson.decode(out)
    assert.equal(20, #r.days)
    assert.truthy(#r.metrics >= 5)
    for _, m in ipairs(r.metrics) do assert.equal(cjson.null, m.total, m.metric) end
    code, out, err = main({ "pin", pins[1], "--start", first, "--end", last, "--format", "json", "--from-store", db })
    assert.equal(0, code, err)
    r = cjson.decode(out)
    assert.truthy(#r.metrics >= 4)
    for _, m in ipairs(r.metrics) do assert.equal(cjson.null, m.total, m.metric) end
    -- a pin the store does not hold at all is still an error that says which sync fetches it
    code, out, err = main({ "pin", "999", "--start", first, "--end", last, "--from-store", db })
    assert.equal(1, code)
    assert.equal("", out)
    assert.truthy(err:find("pinanalytics sync", 1, true), err)
  end)
end)
