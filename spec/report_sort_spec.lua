-- A pins report is sorted by what it says, or refuses; a rank is a rank or
-- it is not printed; a rate's total is never "-" when the answer gives it.
local cjson = require "cjson"
local pa = require "pinanalytics"
local format = require "pinanalytics.format"

-- A top_pins answer with SAVE and IMPRESSION, no SAVE_RATE, in the API's
-- order (by impressions): the save rates rank them otherwise.
local ANSWER = { sort_by = "IMPRESSION", pins = {
  { pin_id = "10", metrics = { IMPRESSION = 1000, SAVE = 10 }, data_status = { IMPRESSION = "READY" } },
  { pin_id = "20", metrics = { IMPRESSION = 500, SAVE = 50 }, data_status = { IMPRESSION = "READY" } },
  { pin_id = "30", metrics = { IMPRESSION = 200, SAVE = 4 }, data_status = { IMPRESSION = "READY" } },
  { pin_id = "40", metrics = { IMPRESSION = 0, SAVE = 0 }, data_status = { IMPRESSION = "READY" } },
} }

local function ids(r)
  local out = {}
  for i, p in ipairs(r.pins) do out[i] = p.id end
  return out
end

local function day(date, m) return { date = date, data_status = "READY", metrics = m } end

describe("pa.report.top_pins sort_by", function()
  it("sorts by a rate recomputed from its parts, and shows it", function()
    local r = pa.report.top_pins(ANSWER, { sort_by = "SAVE_RATE" })
    assert.same({ "20", "30", "10", "40" }, ids(r))
    assert.same({ 1, 2, 3, 4 }, { r.pins[1].rank, r.pins[2].rank, r.pins[3].rank, r.pins[4].rank })
    assert.equal(0.1, r.pins[1].values.SAVE_RATE)
    assert.equal(0.02, r.pins[2].values.SAVE_RATE)
    assert.equal(0, r.pins[4].values.SAVE_RATE) -- no impressions: a rate of 0, as the frame says
    local shown = {}
    for _, m in ipairs(r.metrics) do shown[#shown + 1] = m.metric end
    assert.same({ "IMPRESSION", "SAVE", "SAVE_RATE" }, shown)
    local text = pa.report.render("text", r)
    assert.truthy(text:find("Sorted by: Save rate (from saves and impressions)", 1, true), text)
    assert.truthy(text:find("\n1  20           500     50    10.00 %\n", 1, true), text)
    -- the same from results by pin id, through the frame's own derivation
    local results = {
      ["10"] = { all = { daily_metrics = { day("2026-10-01", { IMPRESSION = 1000, SAVE = 10 }) } } },
      ["20"] = { all = { daily_metrics = { day("2026-10-01", { IMPRESSION = 500, SAVE = 50 }) } } },
      ["30"] = { all = { daily_metrics = { day("2026-10-01", { IMPRESSION = 200, SAVE = 4 }) } } },
    }
    r = pa.report.top_pins(results, { sort_by = "SAVE_RATE" })
    assert.same({ "20", "30", "10" }, ids(r))
    assert.equal(0.1, r.pins[1].values.SAVE_RATE)
  end)

  it("refuses a rate whose parts are not there, and a key it does not know, naming the allowed ones", function()
    local no_parts = { pins = { { pin_id = "1", metrics = { IMPRESSION = 5 } } } }
    local ok, err = pcall(pa.report.top_pins, no_parts, { sort_by = "SAVE_RATE" })
    assert.is_false(ok)
    assert.truthy(err:find("sort_by = \"SAVE_RATE\"", 1, true), err)
    assert.truthy(err:find("SAVE", 1, true), err)
    ok, err = pcall(pa.report.top_pins, ANSWER, { sort_by = "BOGUS" })
    assert.is_false(ok)
    assert.truthy(err:find("^pinanalytics%.report%.top_pins: opts%.sort_by = \"BOGUS\""), err)
    assert.truthy(err:find("allowed: IMPRESSION, SAVE, ", 1, true), err)
    assert.truthy(err:find("SAVE_RATE", 1, true), err)
    -- a metric no pin has is refused too
    ok, err = pcall(pa.report.pins, ANSWER, { sort_by = "OUTBOUND_CLICK" })
    assert.is_false(ok)
    assert.truthy(err:find("OUTBOUND_CLICK", 1, true), err)
  end)

  it("prints a rank only when the rows are ranked", function()
    local results = {
      ["30"] = { all = { daily_metrics = { day("2026-10-01", { IMPRESSION = 1, SAVE = 1 }) } } },
      ["10"] = { all = { daily_metrics = { day("2026-10-01", { IMPRESSION = 9, SAVE = 0 }) } } },
    }
    local r = pa.report.pins(results)
    assert.same({ "10", "30" }, ids(r))
    assert.equal(format.null, r.pins[1].rank)
    assert.is_false(r.ranked)
    local text = pa.report.render("text", r)
    assert.truthy(text:find("\npin  Impressions  Saves\n", 1, true), text)
    local md = pa.report.render("markdown", r)
    assert.truthy(md:find("\n| Pin | Impressions | Saves |\n", 1, true), md)
    assert.is_nil(md:find("| # |", 1, true))
    local html = pa.report.render("html", r)
    assert.is_nil(html:find('<th class="num">#</th>', 1, true))
    assert.truthy(pa.report.render("csv", r):find("^pin_id,"))
    assert.is_nil(cjson.decode(pa.report.render("json", r)).pins[1].rank) -- no rank: left out
    -- ranked: by a sort, or in the API's own order of its sort_by
    r = pa.report.pins(results, { sort_by = "IMPRESSION" })
    assert.is_true(r.ranked)
    assert.truthy(pa.report.render("text", r):find("\n#  pin  Impressions  Saves\n", 1, true))
    r = pa.report.pins(ANSWER)
    assert.is_true(r.ranked)
    assert.same({ "10", "20", "30", "40" }, ids(r))
    assert.equal(2, r.pins[2].rank)
  end)

  it("takes a rate's total from the answer's summary_metrics when its parts are not there", function()
    local res = { all = {
      summary_metrics = { SAVE_RATE = 0.0421, IMPRESSION = 3000 },
      daily_metrics = { day("2026-10-01", { SAVE_RATE = 0.05, IMPRESSION = 1000 }),
        day("2026-10-02", { SAVE_RATE = 0.04, IMPRESSION = 2000 }) },
    } }
    local r = pa.report.pin(res, { pin_id = "1" })
    local by = {}
    for _, m in ipairs(r.metrics) do by[m.metric] = m end
    assert.equal(0.0421, by.SAVE_RATE.total)
    assert.equal(3000, by.IMPRESSION.total)
    assert.truthy(pa.report.render("text", r):find("Save rate    4.21 %", 1, true))
    -- pins from results by pin id too
    local p = pa.report.pins({ ["1"] = res })
    assert.equal(0.0421, p.pins[1].values.SAVE_RATE)
    -- not with ready_only when a day is not READY: the answer's summary holds every day
    res.all.daily_metrics[2].data_status = "PROCESSING"
    r = pa.report.pin(res, { pin_id = "1", ready_only = true })
    for _, m in ipairs(r.metrics) do by[m.metric] = m end
    assert.equal(format.null, by.SAVE_RATE.total)
  end)
end)
