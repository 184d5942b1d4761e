-- Period over period: Pinterest data in OneUp's overview shape, and OneUp's own.
local pa = require "pinanalytics"
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local H = require "helpers.sim"

local function day(date, m, status)
  return { date = date, data_status = status or "READY", metrics = m }
end

describe("report.overview", function()
  local current = { all = { daily_metrics = {
    day("2026-10-08", { IMPRESSION = 100, SAVE = 10, PIN_CLICK = 5 }),
    day("2026-10-09", { IMPRESSION = 150, SAVE = 20, PIN_CLICK = 7 }),
  } } }
  local previous = { all = { daily_metrics = {
    day("2026-10-06", { IMPRESSION = 200, SAVE = 0, PIN_CLICK = 6 }),
    day("2026-10-07", { IMPRESSION = 50, SAVE = 0, PIN_CLICK = 6 }),
  } } }

  it("computes each metric's two periods and its change", function()
    local ov = pa.report.overview(current, previous)
    local by = {}
    for _, m in ipairs(ov.metrics) do by[m.key] = m end
    assert.same({ "impressions", "saves", "pin_clicks" }, { ov.metrics[1].key, ov.metrics[2].key, ov.metrics[3].key })
    assert.equal(250, by.impressions.value_current_period)
    assert.equal(250, by.impressions.value_last_period)
    assert.equal(0, by.impressions.percentage_change)
    assert.equal("+0.0%", by.impressions.percentage_change_formatted)
    assert.equal("Impressions", by.impressions.name)
    assert.is_string(by.impressions.description)
  end)

  it("gives 100% when the previous period is zero", function()
    local ov = pa.report.overview(current, previous)
    local saves = ov.metrics[2]
    assert.equal(30, saves.value_current_period)
    assert.equal(0, saves.value_last_period)
    assert.equal(100, saves.percentage_change)
    assert.equal("+100.0%", saves.percentage_change_formatted)
    local zero = pa.report.overview(previous, previous, { metrics = { "SAVE" } })
    assert.equal(0, zero.metrics[1].percentage_change)
    assert.equal("+0.0%", zero.metrics[1].percentage_change_formatted)
  end)

  it("gives a negative change with its sign", function()
    local ov = pa.report.overview(current, previous)
    local clicks = ov.metrics[3]
    assert.equal(12, clicks.value_current_period)
    assert.equal(12, clicks.value_last_period)
    local down = pa.report.overview(previous, current, { metrics = { "PIN_CLICK", "IMPRESSION" } })
    assert.equal(0, down.metrics[2].percentage_change)
    local fewer = pa.report.overview(
      { all = { daily_metrics = { day("2026-10-09", { SAVE = 17 }) } } },
      { all = { daily_metrics = { day("2026-10-08", { SAVE = 20 }) } } })
    assert.equal(-15, fewer.metrics[1].percentage_change)
    assert.equal("-15.0%", fewer.metrics[1].percentage_change_formatted)
  end)

  it("rounds the formatted string half away from zero", function()
    assert.equal("+18.4%", pa.report.format_change(18.421052631579))
    assert.equal("+23.1%", pa.report.format_change(23.076923076923))
    assert.equal("+2.3%", pa.report.format_change(2.25))
    assert.equal("-3.5%", pa.report.format_change(-3.45))
    assert.equal("+0.1%", pa.report.format_change(0.05))
    assert.equal("+0.0%", pa.report.format_change(-0.04))
    assert.equal("-3.40%", pa.report.format_change(-3.4, 2))
    assert.equal(2.68, pa.report.round(2.675, 2))
  end)

  it("recomputes rates from their parts over each period", function()
    local cur = { all = { daily_metrics = {
      day("2026-10-08", { IMPRESSION = 100, SAVE = 10, SAVE_RATE = 0.1 }),
      day("2026-10-09", { IMPRESSION = 300, SAVE = 10, SAVE_RATE = 1 / 30 }),
    } } }
    local ov = pa.report.overview(cur, cur, { metrics = { "SAVE_RATE" } })
    assert.near(20 / 400, ov.metrics[1].value_current_period, 1e-12)
  end)

  it("leaves days that are not READY out when asked", function()
    local cur = { all = { daily_metrics = {
      day("2026-10-08", { SAVE = 10 }), day("2026-10-09", { SAVE = 99 }, "PROCESSING") } } }
    assert.equal(109, pa.report.overview(cur, cur).metrics[1].value_current_period)
    assert.equal(10, pa.report.overview(cur, cur, { ready_only = true }).metrics[1].value_current_period)
  end)

  it("ranks pins by engagement, views, saves and clicks", function()
    local q = { start_date = "2026-10-01", end_date = "2026-10-14", metric_types = {
      "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" } }
    local results = {}
    for i = 1, 8 do results[tostring(500 + i)] = data.pin_analytics(tostring(500 + i), q, "2026-10-20") end
    local ov = pa.report.overview(results["501"], results["502"], { pins = results })
    local pp = ov.post_performance
    for _, k in ipairs { "most_engaging", "least_engaging", "most_views", "least_views", "most_repinned",
      "least_repinned", "most_clicked", "least_clicked" } do
      assert.equal(3, #pp[k], k)
    end
    local best, worst = -1, math.huge
    for _, r in pairs(results) do
      best = math.max(best, r.all.summary_metrics.IMPRESSION)
      worst = math.min(worst, r.all.summary_metrics.IMPRESSION)
    end
    assert.equal(best, pp.most_views[1].value)
    assert.equal(worst, pp.least_views[1].value)
    assert.is_true(pp.most_views[1].value >= pp.most_views[2].value)
    local s = results[pp.most_engaging[1].id].all.summary_metrics
    assert.equal(s.SAVE + s.PIN_CLICK + s.OUTBOUND_CLICK, pp.most_engaging[1].value)
  end)

  it("accepts OneUp's own overview, so both sources go through one report", function()
    local body = assert(core.decode(H.read_file("spec/fixtures/oneup_overview.json")))
    local ov = pa.report.overview(body.data)
    assert.equal(6, #ov.metrics)
    assert.equal("saves", ov.metrics[3].key)
    assert.equal(18.4, ov.metrics[3].percentage_change)
    assert.equal("+18.4%", ov.metrics[3].percentage_change_formatted)
    assert.equal(3200, ov.total_followers)
    local text = pa.report.render("text", ov)
    assert.truthy(text:find("Saves%s+450%s+380%s+%+18%.4%%"), text)
    local md = pa.report.render("markdown", ov)
    assert.truthy(md:find("| Clicks | 320 | 260 | +23.1% |", 1, true), md)
    local csv = pa.report.render("csv", ov)
    assert.truthy(csv:find("Impressions,75000,60000,+25.0%", 1, true), csv)
    assert.has_error(function() pa.report.render("pdf", ov) end)
  end)
end)
