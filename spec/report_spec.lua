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
    assert.truthy(text:find("Saves%s+450%s+380%s+%+18%.4 %%"), text)
    assert.truthy(text:find("Source: OneUp\n", 1, true), text)
    local md = pa.report.render("markdown", ov)
    assert.truthy(md:find("| Clicks | 320 | 260 | +23.1 % |", 1, true), md)
    local csv = pa.report.render("csv", ov)
    assert.truthy(csv:find("impressions,Impressions,count,75000,60000,25,,,,,,,,,,,\n", 1, true), csv)
    -- OneUp gives totals only: the coverage is not known, and the report says so
    assert.truthy(text:find("\nCurrent coverage:  unknown (totals only)\n", 1, true), text)
    assert.has_error(function() pa.report.render("pdf", ov) end)
  end)

  it("ranks OneUp's posts by the figure each ranking names, from their stats", function()
    local function post(id, st) return { id = id, text = "post " .. id, stats = st } end
    local a = post("a", { impressions = 900, saves = 40, repins = 7, clicks = 30, comments = 2 })
    local b = post("b", { impressions = 300, saves = 12, repins = 3, clicks = 9, comments = 1, engagement = 25 })
    local r = pa.report.rankings({ most_views = { a, b }, most_repinned = { a, b }, most_clicked = { a, b },
      most_engaging = { b, a } })
    local by = {}
    for _, g in ipairs(r.rankings) do by[g.key] = g end
    assert.equal(900, by.most_views.pins[1].value)
    assert.equal(300, by.most_views.pins[2].value)
    assert.equal(7, by.most_repinned.pins[1].value)   -- OneUp's repins, which its "repinned" ranks by
    assert.equal(30, by.most_clicked.pins[1].value)
    assert.equal(25, by.most_engaging.pins[1].value)  -- as sent
    assert.equal(pa.null, by.most_engaging.pins[2].value) -- not sent: not made up
    local text = pa.report.render("text", r)
    assert.truthy(text:find("Most viewed%s+1%s+a%s+900 impressions"), text)
  end)

  it("takes OneUp's overview with its period as the second argument, as the README shows", function()
    local body = assert(core.decode(H.read_file("spec/fixtures/oneup_overview.json")))
    local r = pa.dates.range("2026-10-01", "2026-10-30")
    local ov = pa.report.overview(body.data, { range = r })
    assert.equal("OneUp", ov.source)
    assert.equal(6, #ov.metrics)
    assert.equal("2026-10-01", ov.current.start_date)
    assert.equal(30, ov.current.days)
    assert.equal("2026-09-01", ov.previous.start_date)
    assert.equal("2026-09-30", ov.previous.end_date)
    -- the same with the period as the third argument
    assert.equal("2026-10-01", pa.report.overview(body.data, nil, { range = r }).current.start_date)
  end)
end)

-- One fixed input for the exact output of every format.
local CURRENT = { all = { daily_metrics = {
  day("2026-10-08", { IMPRESSION = 1000, SAVE = 60, SAVE_RATE = 0.06 }),
  day("2026-10-09", { IMPRESSION = 1500, SAVE = 90, SAVE_RATE = 0.06 }),
  day("2026-10-10", { IMPRESSION = 2000, SAVE = 150, SAVE_RATE = 0.075 }, "PROCESSING"),
} } }
local PREVIOUS = { all = { daily_metrics = {
  day("2026-10-06", { IMPRESSION = 1800, SAVE = 100, SAVE_RATE = 100 / 1800 }),
  day("2026-10-07", { IMPRESSION = 2200, SAVE = 130, SAVE_RATE = 130 / 2200 }),
} } }
local PINS = {
  ["111"] = { all = { summary_metrics = { IMPRESSION = 900, SAVE = 40, PIN_CLICK = 10, OUTBOUND_CLICK = 5 },
    daily_metrics = { day("2026-10-08", { IMPRESSION = 900, SAVE = 40, PIN_CLICK = 10, OUTBOUND_CLICK = 5 }) } } },
  ["222"] = { all = { summary_metrics = { IMPRESSION = 300, SAVE = 12, PIN_CLICK = 3, OUTBOUND_CLICK = 1 },
    daily_metrics = { day("2026-10-08", { IMPRESSION = 300, SAVE = 12, PIN_CLICK = 3, OUTBOUND_CLICK = 1 },
      "ESTIMATE") } } },
}
-- OneUp posts whose titles hold a comma, quotes, a line break, a '|' and a <script>
local POSTS = {
  { id = "p1", text = 'Cake, "best" ever\nreally', timestamp = "2026-10-08 09:00:00",
    stats = { impressions = 1200, saves = 30 } },
  { id = "p2", text = "a|b <script>alert(1)</script>", timestamp = "2026-10-09 10:00:00",
    stats = { impressions = 800, saves = 50 } },
}
local function overview() return pa.report.overview(CURRENT, PREVIOUS, { pins = PINS, top = 1 }) end

local OV_TEXT = [[
Account overview
================
Source: Pinterest
Current period:  2026-10-08 .. 2026-10-10 (3 days, 1 not READY)
Previous period: 2026-10-06 .. 2026-10-07 (2 days, 0 not READY)
Current coverage:  3 of 3 days
Previous coverage: 2 of 2 days
The periods differ in length (3 and 2 days): compare totals with care.
Not READY yet: 1 day (Pinterest may still change their numbers)

metric       current  previous    change  trend
-----------  -------  --------  --------  -----
Impressions    4,500     4,000   +12.5 %  ▁▅█
Saves            300       230   +30.4 %  ▁▃█
Save rate     6.67 %    5.75 %  +0.92 pp  ▁▁█

Rates are shown as percentages, a change in a rate in percentage points (pp).
Trend: a character a day, ▁ the lowest and █ the highest of the period; · a day without figures.

Post performance
ranking         #  pin                       value
--------------  -  ---  --------------------------
Most engaging   1  111              55 engagements
Least engaging  1  222              16 engagements
Most viewed     1  111             900 impressions
Least viewed    1  222             300 impressions
Most saved      1  111                    40 saves
Least saved     1  222                    12 saves
Most clicked    1  111  15 pin and outbound clicks
Least clicked   1  222   4 pin and outbound clicks
]]

local OV_MD = [[
# Account overview

- Source: Pinterest
- Current period: 2026-10-08 .. 2026-10-10 (3 days, 1 not READY)
- Previous period: 2026-10-06 .. 2026-10-07 (2 days, 0 not READY)
- Current coverage: 3 of 3 days
- Previous coverage: 2 of 2 days
- The periods differ in length (3 and 2 days): compare totals with care.
- Not READY yet: 1 day (Pinterest may still change their numbers)

| Metric | Current | Previous | Change | Trend |
|---|---:|---:|---:|---|
| Impressions | 4,500 | 4,000 | +12.5 % | ▁▅█ |
| Saves | 300 | 230 | +30.4 % | ▁▃█ |
| Save rate | 6.67 % | 5.75 % | +0.92 pp | ▁▁█ |

Rates are shown as percentages, a change in a rate in percentage points (pp).

Trend: a character a day, ▁ the lowest and █ the highest of the period; · a day without figures.

## Post performance

| Ranking | # | Pin | Value |
|---|---:|---|---:|
| Most engaging | 1 | 111 | 55 engagements |
| Least engaging | 1 | 222 | 16 engagements |
| Most viewed | 1 | 111 | 900 impressions |
| Least viewed | 1 | 222 | 300 impressions |
| Most saved | 1 | 111 | 40 saves |
| Least saved | 1 | 222 | 12 saves |
| Most clicked | 1 | 111 | 15 pin and outbound clicks |
| Least clicked | 1 | 222 | 4 pin and outbound clicks |
]]

local OV_CSV = table.concat({
  "key,name,kind,current,previous,change_percent,change_pp,current_start,current_end,previous_start,previous_end,",
  "current_days,current_days_with_figures,current_missing,previous_days,previous_days_with_figures,previous_missing\n",
  "impressions,Impressions,count,4500,4000,12.5,,2026-10-08,2026-10-10,2026-10-06,2026-10-07,3,3,,2,2,\n",
  "saves,Saves,count,300,230,30.4347826086957,,2026-10-08,2026-10-10,2026-10-06,2026-10-07,3,3,,2,2,\n",
  "save_rate,Save rate,rate,0.0666666666666667,0.0575,15.9420289855072,0.916666666666666,",
  "2026-10-08,2026-10-10,2026-10-06,2026-10-07,3,3,,2,2,\n",
})

local POSTS_TEXT = [[
Top pins
========
Source: OneUp
Period: not given
Coverage: unknown (totals only)
Not READY yet: unknown (OneUp does not say)
Sorted by: Impressions

#  pin  title                                date  Impressions  Saves
-  ---  -----------------------------  ----------  -----------  -----
1  p1   Cake, "best" ever really       2026-10-08        1,200     30
2  p2   a|b <script>alert(1)</script>  2026-10-09          800     50
]]

local POSTS_MD = [[
# Top pins

- Source: OneUp
- Period: not given
- Coverage: unknown (totals only)
- Not READY yet: unknown (OneUp does not say)
- Sorted by: Impressions

| # | Pin | Title | Date | Impressions | Saves |
|---:|---|---|---|---:|---:|
| 1 | p1 | Cake, "best" ever really | 2026-10-08 | 1,200 | 30 |
| 2 | p2 | a\|b \<script\>alert(1)\</script\> | 2026-10-09 | 800 | 50 |
]]

local POSTS_CSV = [[
rank,pin_id,title,date,status,impressions,saves,days,days_with_figures
1,p1,"Cake, ""best"" ever
really",2026-10-08,,1200,30,,
2,p2,a|b <script>alert(1)</script>,2026-10-09,,800,50,,
]]

local POSTS_JSON = table.concat({
  -- (a field without a value is left out: OneUp's posts say neither the
  -- period nor the days they cover, nor a status; figures stay, null when missing)
  [[{"current":{"not_ready_dates":[]},]],
  [["has_dates":true,"has_titles":true,"kind":"pins","metrics":[{"kind":"count","metric":"impressions",]],
  [["name":"Impressions"},{"kind":"count","metric":"saves","name":"Saves"}],]],
  [["not_ready_what":"pin","partial_pins":0,"pins":[{"date":"2026-10-08","id":"p1",]],
  [["rank":1,"ready":true,]],
  [["title":"Cake, \"best\" ever\nreally","values":{"impressions":1200,"saves":30}},]],
  [[{"date":"2026-10-09","id":"p2","rank":2,"ready":true,]],
  [["title":"a|b <script>alert(1)</script>","values":{"impressions":800,"saves":50}}],"ranked":true,]],
  [["sort_by":"impressions","sort_name":"Impressions","source":"OneUp","title":"Top pins"}]],
}) .. "\n"

local PIN_TEXT = [[
Pin 111
=======
Source: Pinterest
Period: 2026-10-08 .. 2026-10-10 (3 days, 1 not READY)
Coverage: 3 of 3 days
Not READY yet: 1 day (Pinterest may still change their numbers)

metric        total  daily min  daily max  trend
-----------  ------  ---------  ---------  -----
Impressions   4,500      1,000      2,000  ▁▅█
Saves           300         60        150  ▁▃█
Save rate    6.67 %     6.00 %     7.50 %  ▁▁█

Not READY: 2026-10-10
Trend: a character a day, ▁ the lowest and █ the highest of the period; · a day without figures.
]]

local DAILY_CSV = [[
date,status,IMPRESSION,SAVE,SAVE_RATE
2026-10-08,READY,1000,60,0.06
2026-10-09,READY,1500,90,0.06
2026-10-10,PROCESSING,2000,150,0.075
]]

local RANK_CSV = [[
ranking,measure,rank,pin_id,value
most_engaging,engagements,1,111,55
least_engaging,engagements,1,222,16
most_views,impressions,1,111,900
least_views,impressions,1,222,300
most_repinned,saves,1,111,40
least_repinned,saves,1,222,12
most_clicked,pin and outbound clicks,1,111,15
least_clicked,pin and outbound clicks,1,222,4
]]

describe("report.render", function()
  it("text: an account overview with its periods, their lengths, not-READY days, trend and rankings", function()
    assert.equal(OV_TEXT, pa.report.render("text", overview()))
  end)

  it("markdown", function()
    assert.equal(OV_MD, pa.report.render("markdown", overview()))
  end)

  it("csv: numbers as numbers, rates as fractions, a rate's change in pp", function()
    assert.equal(OV_CSV, pa.report.render("csv", overview()))
  end)

  it("shows rates one way: 6.67 %, a change of a rate in percentage points, of a count relative", function()
    local text = pa.report.render("text", overview())
    assert.truthy(text:find("Save rate     6.67 %    5.75 %  +0.92 pp", 1, true), text)
    assert.truthy(text:find("Saves            300       230   +30.4 %", 1, true), text)
    local f = pa.frame(CURRENT)
    assert.near(300 / 4500, f:sum("SAVE_RATE"), 1e-12)
  end)

  it("json: the report's data, keys sorted, lists arrays even when empty", function()
    local cjson = require "cjson"
    local text = pa.report.render("json", overview())
    local v = cjson.decode(text)
    assert.equal("overview", v.kind)
    assert.equal(3, #v.metrics)
    assert.equal(0.0575, v.metrics[3].previous)
    assert.equal(true, v.periods_differ)
    assert.truthy(text:find('"not_ready_dates":[]', 1, true), text)
    assert.truthy(text:find('"not_ready_dates":["2026-10-10"]', 1, true), text)
    assert.is_nil(text:find('"spark"', 1, true))
    local empty = pa.report.render("json", pa.report.top_pins({ posts = {} }))
    assert.truthy(empty:find('"pins":[]', 1, true), empty)
    assert.truthy(empty:find('"metrics":[]', 1, true), empty)
    assert.truthy(pa.report.render("json", pa.report.overview(CURRENT, PREVIOUS)):find('"rankings":[]', 1, true))
    assert.equal(POSTS_JSON, pa.report.render("json", pa.report.top_pins(POSTS)))
  end)

  it("escapes a pin's title by format: csv quoting, markdown's '|', aligned text", function()
    local top = pa.report.top_pins(POSTS)
    assert.equal(POSTS_TEXT, pa.report.render("text", top))
    assert.equal(POSTS_MD, pa.report.render("markdown", top))
    assert.equal(POSTS_CSV, pa.report.render("csv", top))
  end)

  it("a pin report, a frame day by day and rankings", function()
    assert.equal(PIN_TEXT, pa.report.render("text", pa.report.pin(CURRENT, { pin_id = "111" })))
    assert.equal(DAILY_CSV, pa.report.render("csv", pa.report.daily(pa.frame(CURRENT))))
    assert.equal(RANK_CSV, pa.report.render("csv", pa.report.rankings(overview().post_performance)))
  end)

  it("top pins of results by pin: sorted, limited, the not-READY days counted", function()
    local r = pa.report.top_pins(PINS, { sort_by = "SAVE", limit = 1 })
    assert.equal(1, #r.pins)
    assert.equal("111", r.pins[1].id)
    assert.equal(1, r.not_ready)
    assert.equal("day", r.not_ready_what)
    local text = pa.report.render("text", pa.report.top_pins(PINS))
    assert.truthy(text:find("1  111          900     40          10                5\n2  222", 1, true), text)
  end)

  describe("html", function()
    local html = pa.report.render("html", overview())
    local top = pa.report.render("html", pa.report.top_pins(POSTS))

    it("is one page that needs nothing from outside: no http(s) URL at all", function()
      for _, page in ipairs({ html, top, pa.report.render("html", pa.report.pin(CURRENT)),
        pa.report.render("html", pa.report.daily(pa.frame(CURRENT))) }) do
        assert.truthy(page:find("^<!DOCTYPE html>\n"))
        assert.is_nil(page:find("http://", 1, true))
        assert.is_nil(page:find("https://", 1, true))
        assert.is_nil(page:find("<script", 1, true))
        assert.is_nil(page:find("<link", 1, true))
        assert.is_nil(page:find("url(", 1, true))
        assert.truthy(page:find("@media print", 1, true))
      end
    end)

    it("holds SVG line charts with the days that are not READY marked, and a bar chart of top pins", function()
      local charts = select(2, html:gsub('<svg class="chart line"', ""))
      assert.equal(3, charts)
      assert.truthy(html:find('<rect class="not%-ready"[^>]*><title>2026%-10%-10: PROCESSING</title>'), html)
      assert.truthy(html:find("2026-10-10: 2,000 (PROCESSING, may still change)", 1, true))
      assert.truthy(html:find('<svg class="chart bar"', 1, true))
      assert.truthy(html:find("<title>111: 55</title>", 1, true))
      assert.truthy(top:find('<svg class="chart bar"', 1, true))
    end)

    it("shows the title, source, periods, their lengths and the not-READY days", function()
      assert.truthy(html:find("<h1>Account overview</h1>", 1, true))
      assert.truthy(html:find("<dt>Source</dt><dd>Pinterest</dd>", 1, true))
      assert.truthy(html:find("<dd>2026-10-08 .. 2026-10-10 (3 days, 1 not READY)</dd>", 1, true))
      assert.truthy(html:find("The periods differ in length (3 and 2 days)", 1, true))
      assert.truthy(html:find("1 day: Pinterest may still change their numbers", 1, true))
      assert.truthy(html:find('<td class="num up">+0.92 pp</td>', 1, true))
      assert.truthy(html:find("Most engaging", 1, true))
    end)

    it("escapes a pin's title", function()
      assert.truthy(top:find("a|b &lt;script&gt;alert(1)&lt;/script&gt;", 1, true), top)
      assert.truthy(top:find("Cake, &quot;best&quot; ever\nreally", 1, true), top)
      assert.is_nil(top:find("<script>", 1, true))
    end)
  end)

  it("takes one's own template, with the report as its data", function()
    local src = "{{ title }}: {% for m in metrics %}{{ m.name }} {{ m | delta }}{% if not loop.last %}; {% end %}{% end %}"
    assert.equal("Weekly: Impressions +12.5 %; Saves +30.4 %; Save rate +0.92 pp",
      pa.report.render("text", overview(), { template = src, title = "Weekly" }))
    assert.equal("Title: a\\|b", pa.report.render("markdown", { kind = "x", title = "a|b" },
      { template = "Title: {{ title }}" }))
    local ok, err = pcall(pa.report.render, "text", overview(), { template = "x\n{{ titel }}",
      template_name = "mine.txt" })
    assert.is_false(ok)
    assert.truthy(err:find("^pinanalytics%.template: mine%.txt:2:4: missing variable 'titel'"), err)
    assert.truthy(pa.report.template("overview", "markdown"):find("| Metric |", 1, true))
  end)

  it("keeps render(format, ov) for an overview made by pa.report.overview", function()
    local ov = pa.report.overview(CURRENT, PREVIOUS)
    assert.equal(pa.report.render("text", pa.report.model(ov)), pa.report.render("text", ov))
    assert.has_error(function() pa.report.render("pdf", ov) end,
      "pinanalytics.report.render: unknown format pdf (allowed: text, markdown, csv, json, html)")
  end)
end)
