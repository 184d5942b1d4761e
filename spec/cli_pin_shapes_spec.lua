-- `pin A B C` ranks like `top` (--sort-by, --limit) in every format, and its
-- csv has a long (tidy) shape besides the wide one (--shape long|wide;
-- pa.report.render("csv", report, { shape = "long" })): a line per pin, day
-- and metric, every day of the period there, the days without figures said.
local cjson = require "cjson"
local H = require "helpers.sim"
local C = require "helpers.cli"
local pa = require "pinanalytics"

local run = C.run

local function err_of(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return (tostring(e):gsub("^[^:\n]+:%d+: ", ""))
end

local function day(date, metrics, status)
  return { date = date, data_status = status or "READY", metrics = metrics or {} }
end

-- the csv's lines, without the CRLF
local function csv_lines(s)
  local out = {}
  for l in s:gmatch("([^\n]*)\n") do out[#out + 1] = (l:gsub("\r$", "")) end
  return out
end

describe("pa.report.render(\"csv\", report, { shape = \"long\" })", function()
  -- 701 has no figures on 2026-09-02; 2026-09-03 is not READY
  local results = {
    ["701"] = { all = { daily_metrics = {
      day("2026-09-01", { IMPRESSION = 100, SAVE = 4 }),
      day("2026-09-03", { IMPRESSION = 10, SAVE = 1 }, "ESTIMATE"),
    } } },
    ["702"] = { all = { daily_metrics = {
      day("2026-09-01", { IMPRESSION = 7, SAVE = 9 }),
      day("2026-09-02", { IMPRESSION = 8, SAVE = 0 }),
      day("2026-09-03", { IMPRESSION = 9, SAVE = 2 }, "ESTIMATE"),
    } } },
  }
  local range = pa.dates.range("2026-09-01", "2026-09-03")

  it("pins: a line per pin, day and metric in the report's order; a day without figures says so", function()
    local r = pa.report.pins(results, { range = range, sort_by = "SAVE" })
    assert.equal(table.concat({
      "rank,pin_id,date,metric,value,status",
      "1,702,2026-09-01,IMPRESSION,7,READY",
      "1,702,2026-09-01,SAVE,9,READY",
      "1,702,2026-09-02,IMPRESSION,8,READY",
      "1,702,2026-09-02,SAVE,0,READY",
      "1,702,2026-09-03,IMPRESSION,9,ESTIMATE",
      "1,702,2026-09-03,SAVE,2,ESTIMATE",
      "2,701,2026-09-01,IMPRESSION,100,READY",
      "2,701,2026-09-01,SAVE,4,READY",
      "2,701,2026-09-02,IMPRESSION,,no figures",
      "2,701,2026-09-02,SAVE,,no figures",
      "2,701,2026-09-03,IMPRESSION,10,ESTIMATE",
      "2,701,2026-09-03,SAVE,1,ESTIMATE",
    }, "\n") .. "\n", pa.report.render("csv", r, { shape = "long" }))
    -- unranked: no rank column, pins in id order; the wide shape is the csv as it was
    r = pa.report.pins(results, { range = range, metrics = { "SAVE" } })
    assert.equal(table.concat({
      "pin_id,date,metric,value,status",
      "701,2026-09-01,SAVE,4,READY", "701,2026-09-02,SAVE,,no figures", "701,2026-09-03,SAVE,1,ESTIMATE",
      "702,2026-09-01,SAVE,9,READY", "702,2026-09-02,SAVE,0,READY", "702,2026-09-03,SAVE,2,ESTIMATE",
    }, "\n") .. "\n", pa.report.render("csv", r, { shape = "long" }))
    assert.equal(pa.report.render("csv", r), pa.report.render("csv", r, { shape = "wide" }))
  end)

  it("a rate sorted by is recomputed each day from its parts", function()
    local r = pa.report.pins(results, { range = range, sort_by = "SAVE_RATE", limit = 1 })
    local l = csv_lines(pa.report.render("csv", r, { shape = "long" }))
    assert.equal("rank,pin_id,date,metric,value,status", l[1])
    local rate = l[4]:match("^1,702,2026%-09%-01,SAVE_RATE,([%d%.]+),READY$")
    assert(rate, l[4])
    assert.near(9 / 7, tonumber(rate), 1e-12)
    assert.equal("1,702,2026-09-02,SAVE_RATE,0,READY", l[7])
    assert.equal(1 + 3 * 3, #l) -- one pin (--limit 1), 3 days, IMPRESSION SAVE SAVE_RATE
  end)

  it("one pin and a daily report: a line per day and metric", function()
    local r = pa.report.pin(results["701"], { pin_id = "701", range = range, metrics = { "SAVE" } })
    assert.equal("pin_id,date,metric,value,status\n701,2026-09-01,SAVE,4,READY\n701,2026-09-02,SAVE,,no figures\n" ..
      "701,2026-09-03,SAVE,1,ESTIMATE\n", pa.report.render("csv", r, { shape = "long" }))
    r = pa.report.daily(pa.frame(results["702"]), { metrics = { "IMPRESSION" } })
    assert.equal("date,metric,value,status\n2026-09-01,IMPRESSION,7,READY\n2026-09-02,IMPRESSION,8,READY\n" ..
      "2026-09-03,IMPRESSION,9,ESTIMATE\n", pa.report.render("csv", r, { shape = "long" }))
  end)

  it("keeps the csv's guard: text a spreadsheet takes for a formula is text, control characters go", function()
    local odd = { ["9"] = { all = { daily_metrics = { day("2026-09-01", { ["=1+2"] = 3, ["A\27B"] = 1 }) } } } }
    local s = pa.report.render("csv", pa.report.pins(odd, { range = pa.dates.range("2026-09-01", "2026-09-01") }),
      { shape = "long" })
    assert.truthy(s:find("\n9,2026-09-01,'=1+2,3,READY\n", 1, true), s)
    assert.truthy(s:find("\n9,2026-09-01,A B,1,READY\n", 1, true), s)
    assert.falsy(s:find("\27", 1, true))
  end)

  it("refuses a shape it cannot give, naming why", function()
    local r = pa.report.pins(results, { range = range })
    assert.equal('pinanalytics.report.render: opts.shape must be "wide" or "long", got "tall"',
      err_of(pa.report.render, "csv", r, { shape = "tall" }))
    assert.equal('pinanalytics.report.render: opts.shape must be "wide" or "long", got boolean',
      err_of(pa.report.render, "csv", r, { shape = true }))
    assert.equal('pinanalytics.report.render: opts.shape = "long" is a shape of csv, not of json',
      err_of(pa.report.render, "json", r, { shape = "long" }))
    local top = pa.report.top_pins({ sort_by = "SAVE", pins = { { pin_id = "1", metrics = { SAVE = 3 } } } })
    assert.equal('pinanalytics.report.render: opts.shape = "long": pin 1 has no days (a top_pins answer and ' ..
      "OneUp's posts hold totals only; a report of analytics answers by pin id has them)",
      err_of(pa.report.render, "csv", top, { shape = "long" }))
    local ov = pa.report.overview(results["702"], results["701"])
    assert.equal('pinanalytics.report.render: opts.shape = "long": a overview report has one shape (pin, ' ..
      "daily and pins reports have a long one)", err_of(pa.report.render, "csv", ov, { shape = "long" }))
  end)
end)

describe("pinanalytics pin: --sort-by, --limit, --shape", function()
  local sim, env
  local ids = H.ids(4, 7100000)
  setup(function()
    sim = H.start()
    env = { PINTEREST_ACCESS_TOKEN = H.TOKEN, PINTEREST_BASE_URL = sim.pinterest_url }
  end)
  teardown(function() sim:stop() end)

  -- the pins' answers as the library gets them, and their totals
  local function fetched(metrics, last)
    local client = H.client(sim)
    local res, errs = client:pins_analytics(ids, { range = pa.dates.last(last or 7, { clock = H.clock }),
      metric_types = metrics })
    client:close()
    assert.same({}, errs)
    return res
  end
  local function ranked(res, metric)
    local rows = {}
    for _, id in ipairs(ids) do rows[#rows + 1] = { id = id, v = pa.frame(res[id]):sum(metric) } end
    table.sort(rows, function(a, b) if a.v ~= b.v then return a.v > b.v end return a.id < b.id end)
    return rows
  end
  -- where each id first appears in s (nil when it does not)
  local function order_in(s)
    local at = {}
    for _, id in ipairs(ids) do at[#at + 1] = { id = id, pos = s:find(id, 1, true) } end
    local shown = {}
    for _, x in ipairs(at) do if x.pos then shown[#shown + 1] = x end end
    table.sort(shown, function(a, b) return a.pos < b.pos end)
    local out = {}
    for i, x in ipairs(shown) do out[i] = x.id end
    return out
  end

  it("--sort-by SAVE --limit 2: the two best by SAVE, in order, in every format", function()
    local best = ranked(fetched({ "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK", "SAVE_RATE" }), "SAVE")
    assert.is_true(best[1].v > best[3].v) -- the simulator's pins differ
    local want = { best[1].id, best[2].id }
    local args = "pin " .. table.concat(ids, " ") .. " --last 7 --sort-by SAVE --limit 2 --no-progress"
    local code, out, err = run(args .. " --format json", env)
    assert.equal(0, code, err)
    local r = cjson.decode(out)
    assert.equal("SAVE", r.sort_by)
    assert.equal(2, #r.pins)
    for i = 1, 2 do
      assert.equal(want[i], r.pins[i].id)
      assert.equal(i, r.pins[i].rank)
      assert.equal(best[i].v, r.pins[i].values.SAVE)
    end
    for _, fmt in ipairs({ "text", "markdown", "csv", "html" }) do
      code, out, err = run(args .. " --format " .. fmt, env)
      assert.equal(0, code, err)
      assert.same(want, order_in(out), fmt)
    end
    code, out, err = run(args .. " --format csv --shape long", env)
    assert.equal(0, code, err)
    assert.same(want, order_in(out))
  end)

  it("--sort-by SAVE_RATE without it in --metrics: recomputed from saves and impressions, and shown", function()
    local res = fetched({ "IMPRESSION", "SAVE" })
    local code, out, err = run("pin " .. table.concat(ids, " ") ..
      " --last 7 --metrics IMPRESSION,SAVE --sort-by SAVE_RATE --no-progress --format json", env)
    assert.equal(0, code, err)
    local r = cjson.decode(out)
    assert.equal("SAVE_RATE", r.sort_by)
    assert.equal("saves and impressions", r.sort_from)
    local want = {}
    for _, id in ipairs(ids) do
      local f = pa.frame(res[id])
      want[#want + 1] = { id = id, v = f:sum("SAVE") / f:sum("IMPRESSION") }
    end
    table.sort(want, function(a, b) if a.v ~= b.v then return a.v > b.v end return a.id < b.id end)
    assert.equal(#ids, #r.pins)
    for i, w in ipairs(want) do
      assert.equal(w.id, r.pins[i].id)
      assert.near(w.v, r.pins[i].values.SAVE_RATE, 1e-12)
    end
    local names = {}
    for i, m in ipairs(r.metrics) do names[i] = m.metric end
    assert.same({ "IMPRESSION", "SAVE", "SAVE_RATE" }, names)
  end)

  it("--sort-by a metric not in --metrics: fetched, sorted by and shown", function()
    local best = ranked(fetched({ "PIN_CLICK" }), "PIN_CLICK")
    local code, out, err = run("pin " .. table.concat(ids, " ") ..
      " --last 7 --metrics IMPRESSION --sort-by pin_click --limit 1 --no-progress --format csv", env)
    assert.equal(0, code, err)
    local l = csv_lines(out)
    assert.truthy(l[1]:find("^rank,pin_id,.*,IMPRESSION,PIN_CLICK,"), l[1])
    assert.truthy(l[2]:find("^1," .. best[1].id .. ","), l[2])
    assert.equal(2, #l)
  end)

  it("--shape long: every pin x day x metric, the values the API gave", function()
    local metrics = { "IMPRESSION", "SAVE" }
    local res = fetched(metrics, 3)
    local code, out, err = run("pin " .. ids[1] .. " " .. ids[2] ..
      " --last 3 --metrics IMPRESSION,SAVE --shape long --format csv --no-progress", env)
    assert.equal(0, code, err)
    local l = csv_lines(out)
    assert.equal("pin_id,date,metric,value,status", l[1])
    assert.equal(1 + 2 * 3 * 2, #l)
    local seen = {}
    for i = 2, #l do
      local id, date, metric, value, status = l[i]:match("^(%d+),([%d%-]+),(%u+),(%d*),(.+)$")
      assert(id, l[i])
      local v = pa.frame(res[id]):get(date, metric)
      assert.equal(string.format("%d", v), value)
      assert.equal(pa.frame(res[id]):status(date), status)
      seen[id .. date .. metric] = true
    end
    for _, id in ipairs({ ids[1], ids[2] }) do
      for d in pa.dates.last(3, { clock = H.clock }):days() do
        for _, m in ipairs(metrics) do assert.is_true(seen[id .. d .. m], id .. " " .. d .. " " .. m) end
      end
    end
    -- one pin: the same lines, day by day
    code, out, err = run("pin " .. ids[1] .. " --last 3 --metrics IMPRESSION,SAVE --shape long --format csv", env)
    assert.equal(0, code, err)
    assert.equal(1 + 3 * 2, #csv_lines(out))
    assert.equal("pin_id,date,metric,value,status", csv_lines(out)[1])
  end)

  it("refuses what it cannot do before fetching anything, naming the options", function()
    for _, c in ipairs({
      { "--shape long", "--shape long goes with --format csv" },
      { "--shape tall --format csv", "--shape tall: give long or wide" },
      { "--sort-by NOPE", "--sort-by NOPE: not a metric of pins" },
      { "--limit 0", "--limit must be a whole number of pins from 1 to 100000, got 0" },
    }) do
      local code, _, err = run("pin " .. ids[1] .. " " .. ids[2] .. " --last 7 " .. c[1], env)
      assert.equal(2, code, c[1])
      assert.truthy(err:find(c[2], 1, true), err)
    end
  end)
end)
