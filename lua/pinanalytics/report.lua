--- Reports: period over period, rankings, pin reports, top pins, and their
-- rendering as text, markdown, csv, json or html.
--
-- `overview` compares two periods in OneUp's overview shape (`Overview`),
-- from Pinterest data or OneUp's own, so both sources go through one report.
-- The builders `pin`, `daily`, `pins`, `top_pins`, `rankings` and `model`
-- make a report: a plain table, the data of its template. `render` turns a
-- report (or an overview) into text, markdown, csv, json or html with a
-- built-in template (`template` gives its source) or one's own
-- (`pinanalytics.template`).
--
-- Every report begins with its title, its source (Pinterest or OneUp), its
-- period or periods, whether the two periods differ in length, and how many
-- days (for a `top_pins` answer: pins) are not READY yet, or that the source
-- does not say. Numbers read one way in every format but csv and json: a
-- count with thousands separators (75,000), a rate as a percentage
-- (5.92 %), a change in a count relative (+12.5 %), a change in a rate in
-- percentage points (+0.92 pp), a missing value "-".
-- @usage
-- local ov = pa.report.overview(current, previous, { pins = results })
-- print(pa.report.render("text", ov))                  -- an account overview
-- print(pa.report.render("html", pa.report.pin(res, { pin_id = id })))
-- print(pa.report.render("csv", pa.report.top_pins(top_pins_answer)))
-- print(pa.report.render("markdown", ov, { template = my_template }))
local frame = require "pinanalytics.frame"
local oneup = require "pinanalytics.oneup"
local dates = require "pinanalytics.dates"
local errors = require "pinanalytics.errors"
local format = require "pinanalytics.format"
local template = require "pinanalytics.template"
local templates = require "pinanalytics.templates"
local svg = require "pinanalytics.svg"
local pinmeta = require "pinanalytics.pinmeta"

local NULL = format.null

local M = {}

--- Pinterest metrics as the report names them: `{ METRIC, key, name, description }`
-- each, in the order reports show them.
M.METRICS = {
  { "IMPRESSION", "impressions", "Impressions", "Total number of times your pins were shown" },
  { "SAVE", "saves", "Saves", "The number of times your pins were saved" },
  { "PIN_CLICK", "pin_clicks", "Pin clicks", "Clicks on your pins that open them" },
  { "OUTBOUND_CLICK", "outbound_clicks", "Outbound clicks", "Clicks from your pins to their destination" },
  { "ENGAGEMENT", "engagements", "Engagements", "Saves, clicks, comments and reactions together" },
  { "TOTAL_COMMENTS", "comments", "Comments", "The number of comments on your pins" },
  { "TOTAL_REACTIONS", "reactions", "Reactions", "The number of reactions to your pins" },
  { "USER_FOLLOW", "follows", "Follows", "Follows gained from your pins" },
  { "PROFILE_VISIT", "profile_visits", "Profile visits", "Visits to your profile from your pins" },
  { "SAVE_RATE", "save_rate", "Save rate", "Saves per impression" },
  { "ENGAGEMENT_RATE", "engagement_rate", "Engagement rate", "Engagements per impression" },
  { "PIN_CLICK_RATE", "pin_click_rate", "Pin click rate", "Pin clicks per impression" },
  { "OUTBOUND_CLICK_RATE", "outbound_click_rate", "Outbound click rate", "Outbound clicks per impression" },
  { "VIDEO_START", "video_starts", "Video starts", "Times your videos started playing" },
  { "VIDEO_AVG_WATCH_TIME", "video_avg_watch_time", "Average watch time", "Average watch time per video start (ms)" },
}

--- Rounds half away from zero to `decimals` places, as people (and PHP's
-- round) do: 2.25 -> 2.3, -3.45 -> -3.5 (`pinanalytics.format.round`).
-- @function round
-- @number v
-- @int[opt=0] decimals
-- @treturn number
M.round = format.round

--- A change as OneUp writes it ("+25.0%"), rounded half away from zero.
-- @number v percent
-- @int[opt=1] decimals
-- @treturn string
function M.format_change(v, decimals)
  decimals = decimals or 1
  return oneup.format_percentage(M.round(v, decimals), decimals)
end

local function fail(fn, fmt, ...)
  error("pinanalytics.report." .. fn .. ": " .. string.format(fmt, ...), 0)
end

local function sorted(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = tostring(k) end
  table.sort(out)
  return out
end

-- The splits of an answer made with split_field (keys whose values hold
-- daily_metrics, no "all"), or nil for any other value.
local function splits_of(x)
  if type(x) ~= "table" or x.daily_metrics ~= nil or x.all ~= nil or next(x) == nil then return nil end
  for _, v in pairs(x) do
    if type(v) ~= "table" or type(v.daily_metrics) ~= "table" then return nil end
  end
  return sorted(x)
end

local function as_frame(x, split, what)
  if type(x) == "userdata" then return x end
  local splits = splits_of(x)
  if splits and split == nil then
    if #splits == 1 then return frame.frame(x, { split = splits[1] }) end
    fail("overview", "%s is an answer split by split_field (splits: %s): give opts.split = %q (or another " ..
      "of them) for that split's report, or fetch without split_field", what, table.concat(splits, ", "), splits[1])
  end
  if split ~= nil and splits and x[split] == nil then
    fail("overview", "%s has no split %q (splits: %s)", what, split, table.concat(splits, ", "))
  end
  return frame.frame(x, split ~= nil and { split = split } or nil)
end

-- "A, B, C" of at most n names, then how many more
local function some(list, n)
  if #list <= n then return table.concat(list, ", ") end
  local head = {}
  for i = 1, n do head[i] = list[i] end
  return table.concat(head, ", ") .. string.format(" and %d more", #list - n)
end

-- What a metric is: "rate" (a fraction, shown as a percentage, its change in
-- percentage points), "duration" (milliseconds) or "count".
local function kind_of(name)
  name = tostring(name or ""):upper()
  if name:match("_RATE$") then return "rate" end
  if name:match("WATCH_TIME$") then return "duration" end
  return "count"
end
--- What a metric is by its name or key: "rate", "duration" or "count".
-- @function kind_of
-- @string name "SAVE_RATE", "save_rate", "IMPRESSION", ...
-- @treturn string
M.kind_of = kind_of

local function entry(key, name, description, cur, last, text, metric)
  -- a change needs both values: against a period without figures it is
  -- absent, not 0 % nor +100 %
  local both = type(cur) == "number" and type(last) == "number"
  local change = both and oneup.percentage_change(cur, last) or nil
  local kind = kind_of(metric or key)
  local pp
  if kind == "rate" and both then pp = (cur - last) * 100 end
  return {
    key = key, name = name, description = description,
    value_current_period = cur, value_last_period = last,
    percentage_change = change,
    percentage_change_formatted = text or (change and M.format_change(change)) or format.MISSING,
    metric = metric or key, kind = kind, change_pp = pp,
  }
end

-- Lists of a report carry this metatable, so that JSON keeps an empty one an array.
local LIST = { __name = "pinanalytics.report.list" }
local function list(t) return setmetatable(t or {}, LIST) end
--- A list of a report: rendered as a JSON array even when empty.
-- @tab[opt] t the items
-- @treturn table t
M.list = list

-- The days not final that can no longer be refreshed (a store's `stale`,
-- pinanalytics.store): of an answer (its `all`, or the split asked), as a
-- list of { date, data_status, fetched } by date; empty for anything else.
local function stale_of(x, split)
  local out = list()
  if type(x) ~= "table" then return out end
  local a = x.daily_metrics and x or (split and x[split]) or x.all
  local st = type(a) == "table" and a.stale
  if type(st) ~= "table" then return out end
  for _, d in ipairs(st) do
    if type(d) == "table" and type(d.date) == "string" then
      out[#out + 1] = { date = d.date, data_status = d.data_status == nil and NULL or d.data_status,
        fetched = d.fetched == nil and NULL or d.fetched }
    end
  end
  table.sort(out, function(p, q) return p.date < q.date end)
  return out
end

-- Stale days of several lists, one a date (the earliest fetched), by date.
local function merge_stale(lists)
  local by = {}
  for _, l in ipairs(lists) do
    for _, d in ipairs(l) do
      local had = by[d.date]
      if not had or (type(d.fetched) == "string" and (type(had.fetched) ~= "string" or d.fetched < had.fetched)) then
        by[d.date] = d
      end
    end
  end
  local out = list()
  for _, d in pairs(by) do out[#out + 1] = d end
  table.sort(out, function(p, q) return p.date < q.date end)
  return out
end

-- The note of a stale day on its row: "not final when fetched
-- 2026-05-02T06:00:00Z; can no longer be refreshed".
local function stale_note(d)
  return "not final when fetched" .. (type(d.fetched) == "string" and (" " .. d.fetched) or "") ..
    "; can no longer be refreshed"
end

-- The days of a period, start..end (dates), as a list of dates.
local function days_between(first, last)
  local out, a, b = {}, dates.parse(first), dates.parse(last)
  if not a or not b then return out end
  for n = a, b do out[#out + 1] = dates.format(n) end
  return out
end

-- The coverage of period p by the dates held (a set): days_with_figures,
-- missing_days and missing_ranges ({ start_date, end_date, days } each).
local function cover(p, held)
  p.days_with_figures, p.missing_days, p.missing_ranges = 0, 0, list()
  if p.start_date == NULL then
    p.days_with_figures, p.missing_days, p.missing_ranges = NULL, NULL, NULL
    return p
  end
  local gap
  for _, d in ipairs(days_between(p.start_date, p.end_date)) do
    if held[d] then
      p.days_with_figures = p.days_with_figures + 1
      gap = nil
    else
      p.missing_days = p.missing_days + 1
      if gap then
        gap.end_date, gap.days = d, gap.days + 1
      else
        gap = { start_date = d, end_date = d, days = 1 }
        p.missing_ranges[#p.missing_ranges + 1] = gap
      end
    end
  end
  return p
end

-- A period: { start_date, end_date, days, not_ready, not_ready_dates,
-- days_with_figures, missing_days, missing_ranges }, from a range
-- (pa.dates.range or { start_date, end_date }) and/or a frame; what neither
-- tells is JSON null (the coverage of a period without days held: null).
local function period_of(f, range, what)
  local p = { start_date = NULL, end_date = NULL, days = NULL, not_ready = NULL,
    not_ready_dates = setmetatable({}, LIST), days_with_figures = NULL, missing_days = NULL, missing_ranges = NULL }
  if range ~= nil then
    if type(range) ~= "table" or type(range.start_date) ~= "string" or type(range.end_date) ~= "string" then
      fail("report", "%s must be a range (pa.dates.range(...) or { start_date, end_date }), got %s", what, type(range))
    end
    p.start_date, p.end_date = range.start_date, range.end_date
  elseif f and #f > 0 then
    local ds = f:dates()
    p.start_date, p.end_date = ds[1], ds[#ds]
  end
  if p.start_date ~= NULL then p.days = dates.diff(p.start_date, p.end_date) + 1 end
  if f then
    local nr = f:not_ready()
    p.not_ready = #nr
    for i, d in ipairs(nr) do p.not_ready_dates[i] = d end
    local held = {}
    for _, d in ipairs(f:dates()) do held[d] = true end
    cover(p, held)
  end
  return p
end

-- Every day of period p and every day of frame f (outside p too: its
-- figures are in the totals), in order.
local function all_days(f, p)
  local ds = f:dates()
  if p.start_date == NULL then return ds end
  local seen, out = {}, {}
  for _, d in ipairs(days_between(p.start_date, p.end_date)) do seen[d] = true; out[#out + 1] = d end
  local extra = false
  for _, d in ipairs(ds) do
    if not seen[d] then seen[d] = true; out[#out + 1] = d; extra = true end
  end
  if extra then table.sort(out) end
  return out
end

-- The daily values of a frame over period p, a day the frame does not hold
-- without figures: { dates, status, held, values = { METRIC = column } }
local function daily_of(f, metrics, p)
  local out = { dates = list(all_days(f, p)), status = list(), held = list(), values = {} }
  local held, row = {}, {}
  for i, d in ipairs(f:dates()) do held[d] = true; row[d] = i end
  for i, d in ipairs(out.dates) do
    out.held[i] = held[d] == true
    out.status[i] = held[d] and f:status(d) or NULL
  end
  for _, m in ipairs(metrics) do
    local ok, col = errors.pass_interrupt(pcall(f.column, f, m))
    if not ok then col = {} end -- a frame without days has no series: no figures
    local vals = {}
    for i, d in ipairs(out.dates) do
      local v = row[d] and col[row[d]]
      if v == nil then v = NULL end
      vals[i] = v
    end
    out.values[m] = vals
  end
  return out
end

-- OneUp's overview data, normalised: the change as a number and as sent
local function from_oneup(data, opts)
  local out = { metrics = {}, post_performance = data.post_performance, total_followers = data.total_followers,
    source = "OneUp" }
  for i, m in ipairs(data.metrics or {}) do
    local e = entry(m.key, m.name, m.description, m.value_current_period, m.value_last_period,
      m.percentage_change)
    local sent = oneup.parse_percentage(m.percentage_change)
    if sent ~= nil then e.percentage_change = sent end
    out.metrics[i] = e
  end
  local range = opts and opts.range
  local prev = opts and opts.previous_range
  if prev == nil and range ~= nil and dates.is_range(range) then prev = range:previous() end
  out.current = period_of(nil, range, "opts.range")
  out.previous = period_of(nil, prev, "opts.previous_range")
  return out
end

local function score(summary, which)
  local function g(k) return summary[k] or 0 end
  if which == "engaging" then
    return g("SAVE") + g("PIN_CLICK") + g("OUTBOUND_CLICK") + g("TOTAL_COMMENTS") + g("TOTAL_REACTIONS")
  elseif which == "views" then
    return g("IMPRESSION")
  elseif which == "repinned" then
    return g("SAVE")
  else
    return g("PIN_CLICK") + g("OUTBOUND_CLICK")
  end
end

--- Rankings over a set of pins: the top and bottom n by engagement, views,
-- saves (repins) and clicks, over each pin's `summary_metrics`.
-- @tab results results by pin id, as `pinanalytics.pinterest.Client:pins_analytics` gives them
-- @int[opt=3] n pins per ranking
-- @treturn table `{ most_engaging = { {id, stats, value}, ... }, least_engaging, most_views,
-- least_views, most_repinned, least_repinned, most_clicked, least_clicked }`; `stats` is
-- `{ impressions, saves, pin_clicks, outbound_clicks, engagements }`, and a pin's clicks
-- (`most_clicked`) are its pin clicks and outbound clicks together
function M.post_performance(results, n)
  n = n or 3
  local rows = {}
  for id, res in pairs(results) do
    local split = res.all or select(2, next(res))
    local s = split and split.summary_metrics or {}
    rows[#rows + 1] = {
      id = id,
      stats = { impressions = s.IMPRESSION, saves = s.SAVE, pin_clicks = s.PIN_CLICK,
        outbound_clicks = s.OUTBOUND_CLICK, engagements = score(s, "engaging") },
      summary = s,
    }
  end
  local out = {}
  for _, which in ipairs({ "engaging", "views", "repinned", "clicked" }) do
    local key = which == "views" and "views" or which
    table.sort(rows, function(a, b)
      local x, y = score(a.summary, which), score(b.summary, which)
      if x ~= y then return x > y end
      return a.id < b.id
    end)
    local most, least = {}, {}
    for i = 1, math.min(n, #rows) do
      most[i] = { id = rows[i].id, stats = rows[i].stats, value = score(rows[i].summary, which) }
      local r = rows[#rows - i + 1]
      least[i] = { id = r.id, stats = r.stats, value = score(r.summary, which) }
    end
    out["most_" .. key] = most
    out["least_" .. key] = least
  end
  return out
end

--- What `overview` gives: OneUp's overview shape, the numbers as numbers.
-- A period is `{ start_date, end_date, days, not_ready }` (JSON null where unknown).
-- @table Overview
-- @field metrics `{ { key = "impressions", name = "Impressions", description, value_current_period = 75000,
-- value_last_period = 60000, percentage_change = 25.0, percentage_change_formatted = "+25.0%",
-- metric = "IMPRESSION", kind = "count" | "rate" | "duration", change_pp = <a rate's change in
-- percentage points> }, ... }`
-- @field post_performance the rankings (`post_performance`), with `opts.pins`
-- @field meta what the pins are (`pinanalytics.pinmeta`), with `opts.meta`
-- @field total_followers OneUp's followers, when the data has them (absent otherwise)
-- @field source "Pinterest" or "OneUp"
-- @field current the current period
-- @field previous the previous period
-- @field daily `{ current = { dates, status, values = { METRIC = column } }, previous = ... }`: the days,
-- for the charts and trends

--- Two periods compared, in OneUp's overview shape. Changes use OneUp's
-- formula; `percentage_change_formatted` is rounded half away from zero to
-- one decimal (2.25 gives "+2.3%"). Rates are recomputed from their parts
-- over each period. An overview never comes out empty: when no metric of the
-- report is in both periods (a frame of several pins, say) it raises,
-- naming the series it was given.
--
-- `overview(data [, opts])` with OneUp's own overview data (`pinanalytics.oneup.Client:overview`)
-- gives the same shape.
-- @tparam table|pinanalytics.frame.MetricFrame current the current period: an analytics answer
-- (`user_account_analytics`, `pin_analytics`), one split of it, or a frame
-- @tparam[opt] table|pinanalytics.frame.MetricFrame previous the previous period, alike
-- @tab[opt] opts
-- @tab[opt] opts.pins results by pin id (`pins_analytics`), for the rankings (`post_performance`)
-- @tab[opt] opts.meta what the pins are, by pin id (`pinanalytics.pinmeta`): the rankings show each
-- pin's title (or the start of its description), board and link, and a note for a pin without
-- them
-- @int[opt=3] opts.top pins per ranking
-- @bool[opt=false] opts.ready_only leave the days that are not READY out of the totals
-- @tparam[opt] {string,...} opts.metrics the metrics to include (default: every known metric in both periods)
-- @string[opt] opts.split which split of answers fetched with `split_field` ("WEB", ...)
-- @tparam[opt] pinanalytics.dates.Range opts.range the current period asked for, when longer than the
-- days the answer holds
-- @tparam[opt] pinanalytics.dates.Range opts.previous_range the previous period asked for, alike
-- @treturn Overview
-- @usage
-- local cur = pin:user_account_analytics{ range = pa.dates.last(30) }
-- local prev = pin:user_account_analytics{ range = pa.dates.last(30):previous() }
-- local ov = pa.report.overview(cur, prev, { pins = results_by_pin })
function M.overview(current, previous, opts)
  if type(current) == "table" and type(current.metrics) == "table" then
    -- OneUp's own overview: overview(data [, opts]) or overview(data, nil, opts)
    if previous ~= nil and opts == nil and type(previous) == "table" and previous.daily_metrics == nil and
      previous.all == nil and previous.metrics == nil and not splits_of(previous) then
      previous, opts = nil, previous
    end
    if previous ~= nil then
      fail("overview", "OneUp's overview data holds both periods already: give overview(data [, opts]), " ..
        "not a previous period")
    end
    if opts ~= nil and type(opts) ~= "table" then fail("overview", "opts must be a table, got %s", type(opts)) end
    return from_oneup(current, opts)
  end
  opts = opts or {}
  if type(opts) ~= "table" then fail("overview", "opts must be a table, got %s", type(opts)) end
  if opts.split ~= nil and type(opts.split) ~= "string" then
    fail("overview", "opts.split must be a split's name (\"MOBILE\", ...), got %s", type(opts.split))
  end
  local cf, pf = as_frame(current, opts.split, "current"), as_frame(previous, opts.split, "previous")
  local have_c, have_p = {}, {}
  for _, m in ipairs(cf:metrics()) do have_c[m] = true end
  for _, m in ipairs(pf:metrics()) do have_p[m] = true end
  local wanted
  if opts.metrics then
    wanted = {}
    for _, m in ipairs(opts.metrics) do wanted[m] = true end
  end
  local agg = { ready_only = opts.ready_only }
  local out = { metrics = {} }
  -- a period without a day held has every metric, without figures (its
  -- values and the changes absent); a metric is in the report when both
  -- periods have it and one of them has figures of it (or opts.metrics
  -- names it)
  local empty_c, empty_p = #cf == 0, #pf == 0
  -- neither period holds a day: the usual counts, each without figures (a
  -- report that says so, never an error)
  if empty_c and empty_p and not wanted then
    wanted = { IMPRESSION = true, SAVE = true, PIN_CLICK = true, OUTBOUND_CLICK = true }
  end
  for _, d in ipairs(M.METRICS) do
    local m = d[1]
    if (have_c[m] or empty_c) and (have_p[m] or empty_p) and (have_c[m] or have_p[m] or (wanted and wanted[m])) and
      (not wanted or wanted[m]) then
      local ok_c, cur = true, nil
      local ok_p, last = true, nil
      if not empty_c then ok_c, cur = errors.pass_interrupt(pcall(cf.sum, cf, m, agg)) end
      if not empty_p then ok_p, last = errors.pass_interrupt(pcall(pf.sum, pf, m, agg)) end
      if ok_c and ok_p then
        out.metrics[#out.metrics + 1] = entry(d[2], d[3], d[4], cur, last, nil, m)
      end
    end
  end
  if #out.metrics == 0 then
    local names = {}
    for _, d in ipairs(M.METRICS) do names[#names + 1] = d[1] end
    fail("overview", "no metric of the report is in both periods (current has %s; previous has %s; the report " ..
      "knows %s%s): a frame of several pins or splits needs one of them (opts.split, or one pin's answer)",
      #cf:metrics() > 0 and some(cf:metrics(), 4) or "none", #pf:metrics() > 0 and some(pf:metrics(), 4) or "none",
      some(names, 4), opts.metrics and ("; asked for " .. table.concat(opts.metrics, ", ")) or "")
  end
  if opts.pins then out.post_performance = M.post_performance(opts.pins, opts.top) end
  if opts.meta ~= nil then
    if type(opts.meta) ~= "table" then fail("overview", "opts.meta must be a table by pin id, got %s", type(opts.meta)) end
    out.meta = opts.meta
  end
  out.source = "Pinterest"
  out.current = period_of(cf, opts.range, "opts.range")
  out.previous = period_of(pf, opts.previous_range, "opts.previous_range")
  local names = {}
  for i, e in ipairs(out.metrics) do names[i] = e.metric end
  out.daily = { current = daily_of(cf, names, out.current), previous = daily_of(pf, names, out.previous) }
  out.ready_only = opts.ready_only and true or nil
  out.stale = merge_stale({ stale_of(current, opts.split), stale_of(previous, opts.split) })
  return out
end

-- reports (the data of a template) ------------------------------------------

local function opt(v) if v == nil then return NULL end return v end

-- Pinterest's name of a metric -> { name, key, label, description }
local INFO = {}
for _, d in ipairs(M.METRICS) do INFO[d[1]] = { key = d[2], label = d[3], description = d[4] } end

-- "VIDEO_10S_VIEW" -> "Video 10s view"; "813.../SAVE" -> "813.../Saves"
local function label_of(name)
  local head, tail = tostring(name):match("^(.*/)([^/]+)$")
  if tail then return head .. label_of(tail) end
  if INFO[name] then return INFO[name].label end
  local s = tostring(name):lower():gsub("_", " ")
  return (s:gsub("^%l", string.upper))
end

-- { key, title, measure (its stat), what the measure is called: Pinterest's,
-- OneUp's, and OneUp's title when it differs }. OneUp ranks its
-- post_performance "repinned" by its repins, a metric apart from its saves.
local CLICKS = { "pin and outbound clicks", "clicks" }
local RANKINGS = {
  { "most_engaging", "Most engaging", "engagements" }, { "least_engaging", "Least engaging", "engagements" },
  { "most_views", "Most viewed", "impressions" }, { "least_views", "Least viewed", "impressions" },
  { "most_repinned", "Most saved", "saves", { "saves", "repins" }, "Most repinned" },
  { "least_repinned", "Least saved", "saves", { "saves", "repins" }, "Least repinned" },
  { "most_clicked", "Most clicked", "clicks", CLICKS }, { "least_clicked", "Least clicked", "clicks", CLICKS },
}

-- A ranked post's figure when it came without one (OneUp's posts carry
-- their stats only): the stat the ranking's measure names, when sent.
local FROM_STATS = {
  engagements = { "engagement", "engagements" }, impressions = { "impressions" },
  saves = { "repins", "saves" }, clicks = { "clicks" },
}
local function value_of(p, st, measure)
  if p.value ~= nil then return p.value end
  for _, k in ipairs(FROM_STATS[measure] or {}) do
    if type(st[k]) == "number" then return st[k] end
  end
  return nil
end

-- A row of pin id with what the pin is (meta: pinanalytics.pinmeta's
-- entries by pin id): title (else the start of its description, title_from
-- "description"), board (its name, else its id), board_id, url (built from
-- the id), image (an https URL) and, when its metadata is not known, a
-- note saying why. Fields without a value are left out.
local function with_meta(row, meta)
  if type(meta) ~= "table" then return row end
  if row.title == nil then row.title = NULL end
  row.url = pinmeta.url(row.id)
  local m = meta[row.id]
  if type(m) ~= "table" then
    row.note = "unknown: not fetched"
    return row
  end
  if type(m.error) == "string" then
    row.note = "unknown: " .. m.error
    return row
  end
  local title = type(m.title) == "string" and m.title ~= "" and m.title or nil
  if not title and type(m.description) == "string" and m.description ~= "" then
    title, row.title_from = m.description, "description"
  end
  row.title = title or NULL
  if not title then row.note = "no title nor description" end
  row.board_id = type(m.board_id) == "string" and m.board_id or nil
  row.board = type(m.board_name) == "string" and m.board_name ~= "" and m.board_name or row.board_id
  row.image = pinmeta.https(m.image_url)
  return row
end

local function rankings_of(pp, meta, source)
  local out = list()
  if type(pp) ~= "table" then return out end
  for _, r in ipairs(RANKINGS) do
    local pins = pp[r[1]]
    if type(pins) == "table" then
      local rows = list()
      for i, p in ipairs(pins) do
        if type(p) == "table" then
          local st = type(p.stats) == "table" and p.stats or {}
          local eng = st.engagements
          if eng == nil then eng = st.engagement end
          rows[#rows + 1] = with_meta({ rank = i, id = tostring(p.id or p.pin_id or "?"),
            value = opt(value_of(p, st, r[3])), impressions = opt(st.impressions), saves = opt(st.saves),
            pin_clicks = opt(st.pin_clicks), outbound_clicks = opt(st.outbound_clicks), engagements = opt(eng) }, meta)
        end
      end
      local oneup_named = source == "OneUp"
      local measure = r[4] and (oneup_named and r[4][2] or r[4][1]) or r[3]
      local title = oneup_named and r[5] or r[2]
      if #rows > 0 then
        local g = { key = r[1], title = title, measure = measure, pins = rows }
        local any = false
        for _, row in ipairs(rows) do if type(row.value) == "number" then any = true end end
        -- the order without the figures (OneUp's engagement): said, not shown as 0
        if not any then g.note = string.format("%s ranks these by %s without giving the figures", source, measure) end
        out[#out + 1] = g
      end
    end
  end
  return out
end

local function header(kind, x, opts, title)
  return {
    kind = kind, title = opts.title or x.title or title, source = opts.source or x.source or "Pinterest",
    not_ready = NULL, not_ready_what = "day",
  }
end

-- With days no sync can refresh (a store's stale days): r.stale, sorted,
-- and r.refreshable, the days not READY that a sync can still refresh
-- (those not READY, less the stale ones). Neither is set without any.
local function with_stale(r, stale)
  if not stale or #stale == 0 then return r end
  r.stale = stale
  r.refreshable = type(r.not_ready) == "number" and math.max(0, r.not_ready - #stale) or NULL
  return r
end

-- A rate's total as the answer gives it in summary_metrics, where it does
-- (the days of the answer are the days of the report).
local function summary_of(x, split)
  if type(x) ~= "table" then return nil end
  local a = x.daily_metrics and x or (split and x[split]) or x.all
  if a == nil then
    local only = splits_of(x)
    if only and #only == 1 then a = x[only[1]] end
  end
  local sm = type(a) == "table" and a.summary_metrics
  return type(sm) == "table" and sm or nil
end

-- a list's rows, with the day's values (every day of period p, those the
-- frame does not hold without figures); the metrics' totals, range and
-- sparkline. summary: the answer's summary_metrics, for a total the frame
-- cannot compute.
local function frame_parts(f, names, ready_only, p, summary)
  local metrics = list()
  local d = daily_of(f, names, p)
  local days = list()
  for i, date in ipairs(d.dates) do
    days[i] = { date = date, status = d.status[i], held = d.held[i], ready = d.status[i] == "READY", values = {} }
  end
  local unready = ready_only and #f:not_ready() > 0
  for _, m in ipairs(names) do
    local col = d.values[m]
    local function agg(fn, o)
      local ok, v = errors.pass_interrupt(pcall(fn, f, m, o))
      if ok and type(v) == "number" and v == v then return v end
      return NULL
    end
    local info = INFO[m] or {}
    local total = agg(f.sum, ready_only and { ready_only = true } or nil)
    if total == NULL and summary and not unready and type(summary[m]) == "number" and summary[m] == summary[m] then
      total = summary[m]
    end
    metrics[#metrics + 1] = {
      metric = m, name = label_of(m), description = opt(info.description), kind = kind_of(m),
      total = total, min = agg(f.min), max = agg(f.max),
      spark = format.sparkline(col, { n = #d.dates }),
    }
    for i = 1, #d.dates do days[i].values[m] = col[i] end
  end
  return metrics, days
end

-- the frame's metrics, known ones in the report's order first, opts.metrics alone if given
local function names_of(f, wanted)
  local have, out = {}, {}
  for _, m in ipairs(f:metrics()) do have[m] = true end
  if wanted then
    for _, m in ipairs(wanted) do
      -- (a frame without days has no series: the metrics asked for are shown without figures)
      if not have[m] and #f > 0 then fail("report", "opts.metrics: no series %s in the data (it has %s)", tostring(m),
        some(f:metrics(), 6)) end
      out[#out + 1] = m
    end
    return out
  end
  local seen = {}
  for _, d in ipairs(M.METRICS) do
    if have[d[1]] then out[#out + 1] = d[1]; seen[d[1]] = true end
  end
  for _, m in ipairs(f:metrics()) do
    if not seen[m] then out[#out + 1] = m end
  end
  return out
end

local function check_opts(fn, opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", type(opts)) end
  for _, k in ipairs({ "title", "source", "pin_id", "sort_by", "split" }) do
    if opts[k] ~= nil and type(opts[k]) ~= "string" and not (k == "pin_id" and type(opts[k]) == "number") then
      fail(fn, "opts.%s must be a string, got %s", k, type(opts[k]))
    end
  end
  if opts.metrics ~= nil and type(opts.metrics) ~= "table" then
    fail(fn, "opts.metrics must be a list of metric names, got %s", type(opts.metrics))
  end
  if opts.meta ~= nil and type(opts.meta) ~= "table" then
    fail(fn, "opts.meta must be what the pins are, by pin id (pinanalytics.pinmeta.fetch), got %s", type(opts.meta))
  end
  return opts
end

local function is_frame(x)
  return type(x) == "userdata" and select(2, errors.pass_interrupt(pcall(function() return x.resample end))) ~= nil
end

local function daily_report(kind, x, opts, title)
  local f
  if is_frame(x) then f = x else f = as_frame(x, opts.split, "the answer") end
  local names = names_of(f, opts.metrics)
  local r = header(kind, {}, opts, title)
  r.current = period_of(f, opts.range, "opts.range")
  r.not_ready = r.current.not_ready
  r.not_ready_dates = list(r.current.not_ready_dates)
  r.metrics, r.days = frame_parts(f, names, opts.ready_only, r.current,
    not is_frame(x) and summary_of(x, opts.split) or nil)
  r.has_rates = false
  for _, m in ipairs(r.metrics) do if m.kind == "rate" then r.has_rates = true end end
  r.ready_only = opts.ready_only and true or nil
  with_stale(r, not is_frame(x) and stale_of(x, opts.split) or nil)
  if r.stale then
    -- each day's row says whether a sync can no longer refresh it
    local notes = {}
    for _, d in ipairs(r.stale) do notes[d.date] = stale_note(d) end
    for _, d in ipairs(r.days) do d.note = notes[d.date] or NULL end
  end
  return r
end

--- A pin's report: its period, each metric's total, daily min and max and
-- trend (a sparkline), and the days not READY.
-- @tparam table|pinanalytics.frame.MetricFrame x a `pin_analytics` answer, one split of it, or a frame
-- @tab[opt] opts
-- @tparam[opt] string|int opts.pin_id the pin, for the title
-- @string[opt] opts.title the report's title (each report has its own default)
-- @string[opt] opts.source "Pinterest" or "OneUp" (default: what the data says)
-- @tparam[opt] {string,...} opts.metrics the metrics to show, in order (default: every known metric present)
-- @tparam[opt] pinanalytics.dates.Range opts.range the period asked for, when longer than the days the data holds
-- @string[opt] opts.split which split of an answer fetched with `split_field` ("WEB", ...); an answer
-- with several splits and no `split` raises, naming them
-- @bool[opt=false] opts.ready_only leave the days that are not READY out of the totals
-- @treturn table the report
function M.pin(x, opts)
  opts = check_opts("pin", opts)
  local r = daily_report("pin", x, opts, opts.pin_id and ("Pin " .. tostring(opts.pin_id)) or "Pin report")
  r.pin_id = opts.pin_id and tostring(opts.pin_id) or NULL
  return r
end

--- A report day by day: a row a day with its status, then the totals.
-- @tparam table|pinanalytics.frame.MetricFrame x a frame or an analytics answer
-- @tab[opt] opts as for `pin`
-- @treturn table the report
function M.daily(x, opts)
  opts = check_opts("daily", opts)
  return daily_report("daily", x, opts, "Daily analytics")
end

--- The report of an overview: each metric in both periods with its change
-- and the current period's trend, followers, the rankings, the periods and
-- their lengths (`render` makes it from an overview by itself).
-- @tparam Overview ov `overview`'s result, or OneUp's overview data
-- @tab[opt] opts
-- @string[opt] opts.title
-- @string[opt] opts.source
-- @tab[opt] opts.meta what the pins are, by pin id, as for `pins` (default: the overview's `meta`)
-- @treturn table the report
function M.model(ov, opts)
  opts = check_opts("model", opts)
  if type(ov) == "table" and ov.kind ~= nil then return ov end
  if type(ov) == "table" and type(ov.metrics) == "table" and type(ov.metrics[1]) == "table" and
    type(ov.metrics[1].percentage_change) == "string" then
    ov = from_oneup(ov, opts)
  end
  local r = header("overview", ov, opts, "Account overview")
  local cur = type(ov.current) == "table" and ov.current or period_of(nil, nil)
  local prev = type(ov.previous) == "table" and ov.previous or period_of(nil, nil)
  r.current, r.previous = cur, prev
  if type(cur.days) == "number" and type(prev.days) == "number" then
    r.periods_differ = cur.days ~= prev.days
  else
    r.periods_differ = NULL
  end
  -- periods of the same length whose figures cover different numbers of days
  r.coverage_differs = r.periods_differ == false and type(cur.days_with_figures) == "number" and
    type(prev.days_with_figures) == "number" and cur.days_with_figures ~= prev.days_with_figures
  if type(cur.not_ready) == "number" then
    r.not_ready = cur.not_ready + (type(prev.not_ready) == "number" and prev.not_ready or 0)
  end
  local stale = list()
  for i, d in ipairs(type(ov.stale) == "table" and ov.stale or {}) do stale[i] = d end
  with_stale(r, stale)
  r.ready_only = ov.ready_only
  -- followers: OneUp's count; Pinterest's analytics have none, and the
  -- report leaves the field out rather than show it empty
  if type(ov.total_followers) == "number" then r.total_followers = ov.total_followers end
  local daily = type(ov.daily) == "table" and ov.daily or nil
  r.daily = daily or NULL
  r.metrics = list()
  for i, m in ipairs(ov.metrics) do
    local change = m.percentage_change
    if type(change) ~= "number" then change = oneup.parse_percentage(change) end
    local kind = m.kind or kind_of(m.metric or m.key)
    local row = {
      key = tostring(m.key or m.name), metric = tostring(m.metric or m.key or m.name),
      name = tostring(m.name or m.key), description = opt(m.description), kind = kind,
      current = opt(m.value_current_period), previous = opt(m.value_last_period),
      change = opt(change), change_pp = opt(m.change_pp),
    }
    if kind == "rate" and row.change_pp == NULL and type(row.current) == "number" and type(row.previous) == "number" then
      row.change_pp = (row.current - row.previous) * 100
    end
    local col = daily and daily.current and daily.current.values and daily.current.values[row.metric]
    row.spark = col and format.sparkline(col, { n = #(daily.current.dates or col) }) or ""
    r.metrics[i] = row
  end
  local meta = opts.meta or ov.meta
  r.rankings = rankings_of(ov.post_performance, meta, r.source)
  r.has_meta = type(meta) == "table" or nil
  r.has_rates = false
  for _, m in ipairs(r.metrics) do if m.kind == "rate" then r.has_rates = true end end
  return r
end

--- Rankings as a report: most and least engaging, viewed, saved, clicked.
-- @tab pp `post_performance`'s result (or an overview's `post_performance`)
-- @tab[opt] opts
-- @string[opt] opts.title
-- @string[opt] opts.source
-- @tparam[opt] pinanalytics.dates.Range opts.range the period
-- @tab[opt] opts.meta what the pins are, by pin id, as for `pins`
-- @treturn table the report
function M.rankings(pp, opts)
  opts = check_opts("rankings", opts)
  if type(pp) ~= "table" then fail("rankings", "expected rankings (pa.report.post_performance), got %s", type(pp)) end
  local r = header("rankings", {}, opts, "Post performance")
  r.current = period_of(nil, opts.range, "opts.range")
  r.rankings = rankings_of(pp.post_performance or pp, opts.meta, r.source)
  r.has_meta = type(opts.meta) == "table" or nil
  return r
end

-- The answer each row of a pins report was made from, and its split (the
-- rows of analytics answers by pin id only): what the long csv reads each
-- pin's days from, without holding them in the report (its json is as it was).
local ROW_SOURCE = setmetatable({}, { __mode = "k" })

local function pin_row(id, values, extra)
  local row = { id = tostring(id), values = values, title = NULL, date = NULL, status = NULL, ready = true,
    days_with_figures = NULL }
  for k, v in pairs(extra or {}) do row[k] = v end
  return row
end

-- the rows and metrics of what pins() is given, and the report's source
local function pin_rows(x, opts)
  local rows, names, source, not_ready, what, span, held = {}, {}, "Pinterest", NULL, "pin", nil, nil
  local stale_lists
  local posts = type(x) == "table" and (type(x.posts) == "table" and x.posts or
    (type(x[1]) == "table" and x[1].stats ~= nil and x))
  if posts then -- OneUp posts
    source = "OneUp"
    local seen = {}
    for _, p in ipairs(posts) do
      local vals = {}
      for k, v in pairs(type(p.stats) == "table" and p.stats or {}) do
        if type(v) == "number" then
          vals[k] = v
          if not seen[k] then seen[k] = true; names[#names + 1] = k end
        end
      end
      rows[#rows + 1] = pin_row(p.id, vals, { title = opt(p.text), date = opt(type(p.timestamp) == "string" and
        p.timestamp:sub(1, 10) or nil) })
    end
    table.sort(names)
  elseif type(x) == "table" and type(x.pins) == "table" then -- top_pins answer
    local seen = {}
    not_ready = 0
    for _, p in ipairs(x.pins) do
      local vals, ready = {}, true
      for k, v in pairs(type(p.metrics) == "table" and p.metrics or {}) do
        vals[k] = v
        if not seen[k] then seen[k] = true; names[#names + 1] = k end
      end
      local status = "READY"
      for _, st in pairs(type(p.data_status) == "table" and p.data_status or {}) do
        if st ~= "READY" then ready = false; status = st end
      end
      if not ready then not_ready = not_ready + 1 end
      rows[#rows + 1] = pin_row(p.pin_id or "?", vals, { status = status, ready = ready })
    end
  elseif type(x) == "table" then -- results by pin id
    local ids = {}
    for id, res in pairs(x) do
      if type(res) ~= "table" then fail("pins", "results[%s] is not an analytics answer", tostring(id)) end
      ids[#ids + 1] = id
    end
    table.sort(ids, function(a, b) return tostring(a) < tostring(b) end)
    local seen, nr_days = {}, {}
    held = {}
    stale_lists = {}
    local r = opts.range
    for _, id in ipairs(ids) do
      local pf = as_frame(x[id], opts.split, "results[" .. tostring(id) .. "]")
      local vals = {}
      local nr = pf:not_ready()
      local summary = (not opts.ready_only or #nr == 0) and summary_of(x[id], opts.split) or nil
      for _, m in ipairs(names_of(pf)) do
        local ok, v = errors.pass_interrupt(pcall(pf.sum, pf, m, opts.ready_only and { ready_only = true } or nil))
        if ok and v == v then
          vals[m] = v
        elseif summary and type(summary[m]) == "number" and summary[m] == summary[m] then
          vals[m] = summary[m]
        end
        if not seen[m] then seen[m] = true; names[#names + 1] = m end
      end
      for _, d in ipairs(nr) do nr_days[d] = true end
      local n = 0
      for _, d in ipairs(pf:dates()) do
        if r == nil or (d >= r.start_date and d <= r.end_date) then n = n + 1 end
        held[d] = true
      end
      local st = stale_of(x[id], opts.split)
      stale_lists[#stale_lists + 1] = st
      rows[#rows + 1] = pin_row(id, vals, { ready = #nr == 0, status = #nr == 0 and "READY" or "NOT READY",
        days_with_figures = n, stale = #st > 0 and st or nil })
      ROW_SOURCE[rows[#rows]] = { x[id], opts.split }
      local ds = pf:dates()
      if #ds > 0 then
        span = span or { start_date = ds[1], end_date = ds[#ds] }
        if ds[1] < span.start_date then span.start_date = ds[1] end
        if ds[#ds] > span.end_date then span.end_date = ds[#ds] end
      end
    end
    not_ready, what = 0, "day"
    for _ in pairs(nr_days) do not_ready = not_ready + 1 end
  else
    fail("pins", "expected a top_pins answer, results by pin id or OneUp posts, got %s", type(x))
  end
  -- known metrics in the report's order
  local order = {}
  for i, d in ipairs(M.METRICS) do order[d[1]] = i; order[d[2]] = i end
  table.sort(names, function(a, b)
    local x1, y1 = order[a] or 1000, order[b] or 1000
    if x1 ~= y1 then return x1 < y1 end
    return a < b
  end)
  return rows, names, source, not_ready, what, span, held, stale_lists and merge_stale(stale_lists) or nil
end

-- The parts of a rate or an average, as the frame derives them
-- (csrc/frame_read.c): SAVE_RATE = SAVE / IMPRESSION, "701/SAVE_RATE" =
-- "701/SAVE" / "701/IMPRESSION", VIDEO_AVG_WATCH_TIME = VIDEO_V50_WATCH_TIME
-- / VIDEO_START; a report's key ("save_rate") by the keys of its parts
-- ("saves", "impressions"). nil for any other name.
local METRIC_OF_KEY = {}
for _, d in ipairs(M.METRICS) do METRIC_OF_KEY[d[2]] = d[1] end
local function parts_of(name)
  name = tostring(name)
  local key = METRIC_OF_KEY[name]
  if key and key ~= name then
    local a, b = parts_of(key)
    if a and INFO[a] and INFO[b] then return INFO[a].key, INFO[b].key end
    return nil
  end
  local head, base = name:match("^(.*/)([^/]+)$")
  head, base = head or "", base or name
  if base == "VIDEO_AVG_WATCH_TIME" then return head .. "VIDEO_V50_WATCH_TIME", head .. "VIDEO_START" end
  local num = base:match("^(.+)_RATE$")
  if num then return head .. num, head .. "IMPRESSION" end
  return nil
end

-- The rates a row's metrics let one derive, in the report's order.
local function derivable(names)
  local have, out = {}, {}
  for _, m in ipairs(names) do have[m] = true end
  for _, d in ipairs(M.METRICS) do
    for _, m in ipairs({ d[1], d[2] }) do
      if not have[m] then
        local a, b = parts_of(m)
        if a and have[a] and have[b] then have[m] = true; out[#out + 1] = m end
      end
    end
  end
  return out
end

-- A ratio from its parts: missing when either is, 0 over 0 (as the frame has it).
local function ratio(a, b)
  if type(a) ~= "number" or type(b) ~= "number" or a ~= a or b ~= b then return nil end
  if b == 0 then return 0 end
  return a / b
end

-- default_sort: top_pins' own choice of a sort (IMPRESSION), taken only
-- when the pins have it (else their first metric).
local function pins_report(fn, x, opts, default_sort)
  local rows, names, source, not_ready, what, span, held, stale = pin_rows(x, opts)
  local sort_by, sort_from, ranked = opts.sort_by, NULL, false
  if sort_by == nil and default_sort then
    sort_by = names[1]
    for _, m in ipairs(names) do if m == default_sort then sort_by = m end end
  end
  local answer_sort = type(x) == "table" and type(x.pins) == "table" and type(x.sort_by) == "string" and x.sort_by
  if sort_by then
    local have = {}
    for _, m in ipairs(names) do have[m] = true end
    if not have[sort_by] then
      local a, b = parts_of(sort_by)
      local allowed = {}
      for _, m in ipairs(names) do allowed[#allowed + 1] = m end
      for _, m in ipairs(derivable(names)) do allowed[#allowed + 1] = m end
      local list_ = #allowed > 0 and table.concat(allowed, ", ") or "none: the report has no metric"
      if a and have[a] and have[b] then
        -- the rate, recomputed from its parts for each pin, shown as a column
        for _, row in ipairs(rows) do row.values[sort_by] = ratio(row.values[a], row.values[b]) end
        names[#names + 1] = sort_by
        sort_from = label_of(a):lower() .. " and " .. label_of(b):lower()
      elseif #rows > 0 or not (INFO[sort_by] or METRIC_OF_KEY[sort_by]) then
        if a then
          fail(fn, "opts.sort_by = %q: the pins have no %s, nor both of its parts %s and %s to compute it from " ..
            "(allowed: %s)", sort_by, sort_by, a, b, list_)
        end
        fail(fn, "opts.sort_by = %q: %s (allowed: %s)", sort_by, (INFO[sort_by] or METRIC_OF_KEY[sort_by]) and
          "no pin has this metric" or "not a metric of the report", list_)
      end
    end
    table.sort(rows, function(p, q)
      local va, vb = p.values[sort_by], q.values[sort_by]
      va, vb = type(va) == "number" and va == va and va or -math.huge, type(vb) == "number" and vb == vb and vb or -math.huge
      if va ~= vb then return va > vb end
      return p.id < q.id
    end)
    ranked = true
  elseif answer_sort then
    sort_by, ranked = answer_sort, true -- the answer's own order
  end
  if opts.metrics then
    local shown = {}
    for i, m in ipairs(opts.metrics) do shown[i] = m end
    if sort_from ~= NULL then
      local has = false
      for _, m in ipairs(shown) do if m == sort_by then has = true end end
      if not has then shown[#shown + 1] = sort_by end
    end
    names = shown
  end
  local limit = tonumber(opts.limit)
  local r = header("pins", {}, opts, "Pins")
  r.source = opts.source or source
  r.current = period_of(nil, opts.range or span, "opts.range")
  if what == "day" then
    r.current.not_ready = not_ready
    if held then cover(r.current, held) end
  end
  r.not_ready, r.not_ready_what = not_ready, what
  with_stale(r, stale)
  r.sort_by = opt(sort_by)
  r.sort_name = sort_by and label_of(sort_by) or NULL
  r.sort_from = sort_from
  r.ranked = ranked
  r.metrics = list()
  for i, m in ipairs(names) do
    r.metrics[i] = { metric = m, name = label_of(m), kind = kind_of(m) }
  end
  r.pins = list()
  r.has_titles, r.has_dates = false, false
  r.has_meta = type(opts.meta) == "table" or nil
  r.partial_pins = 0
  for i, row in ipairs(rows) do
    if limit and i > limit then break end
    if r.has_meta then with_meta(row, opts.meta); r.has_titles = true end
    row.rank = ranked and i or NULL
    for _, m in ipairs(names) do if row.values[m] == nil then row.values[m] = NULL end end
    if row.title ~= NULL then r.has_titles = true end
    if row.date ~= NULL then r.has_dates = true end
    if type(row.days_with_figures) == "number" and type(r.current.days) == "number" and
      row.days_with_figures < r.current.days then
      r.partial_pins = r.partial_pins + 1
    end
    r.pins[i] = row
  end
  return r
end

--- Pins as a table, a row a pin, ranked.
-- @tab x a `top_pins` answer (in its order, its `sort_by` named), results by pin id
-- (`pins_analytics`: each pin's totals) or OneUp's posts
-- @tab[opt] opts
-- @string[opt] opts.sort_by a metric of the pins, or a rate whose parts they have (SAVE_RATE from SAVE and
-- IMPRESSION, recomputed for each pin and shown as a column): sort by it, highest first, a pin without it
-- last; anything else raises, naming the metrics allowed. Without it, the rows of a `top_pins` answer keep
-- its order (ranked by its `sort_by`), and other rows are in id order, without a rank
-- @int[opt] opts.limit at most this many rows
-- @string[opt] opts.title the report's title (each report has its own default)
-- @string[opt] opts.source "Pinterest" or "OneUp" (default: what the data says)
-- @tparam[opt] {string,...} opts.metrics the metrics to show, in order (default: every known metric present)
-- @tparam[opt] pinanalytics.dates.Range opts.range the period asked for, when longer than the days the data holds
-- @string[opt] opts.split which split of an answer fetched with `split_field` ("WEB", ...); an answer
-- with several splits and no `split` raises, naming them
-- @bool[opt=false] opts.ready_only leave the days that are not READY out of the totals
-- @tab[opt] opts.meta what the pins are, by pin id (`pinanalytics.pinmeta`): each row shows the pin's
-- title (or the start of its description: `title_from = "description"`), board, link (`url`, built
-- from its id) and picture (`image`, an https URL, shown by html only when rendered with `images`);
-- a pin without an entry, or whose entry has an `error`, is shown by id with a `note` saying so
-- @treturn table the report
function M.pins(x, opts)
  return pins_report("pins", x, check_opts("pins", opts))
end

--- Top pins: `pins` titled "Top pins", sorted by `opts.sort_by` (default the
-- answer's `sort_by`, else IMPRESSION when the pins have it, else their first
-- metric) and limited to `opts.limit` (default 10).
-- @tab x as for `pins`
-- @tab[opt] opts as for `pins`
-- @treturn table the report
function M.top_pins(x, opts)
  opts = check_opts("top_pins", opts)
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  o.title = o.title or "Top pins"
  o.limit = o.limit or 10
  local default
  if o.sort_by == nil and not (type(x) == "table" and type(x.pins) == "table" and type(x.sort_by) == "string") then
    default = "IMPRESSION"
    if type(x) == "table" and (type(x.posts) == "table" or (type(x[1]) == "table" and x[1].stats)) then
      default = "impressions"
    end
  end
  return pins_report("top_pins", x, o, default)
end

-- rendering -----------------------------------------------------------------

local FORMATS = { "text", "markdown", "csv", "json", "html" }

-- What a value handed to render is, in words, for its error message.
local function what_is(x)
  local t = type(x)
  if t == "string" then return string.format("the string %q", x) end
  if is_frame(x) then
    return "a MetricFrame (make an overview of two periods first: pa.report.overview(current, previous); " ..
      "or a report of it: pa.report.daily(frame))"
  end
  if t ~= "table" then return tostring(x) .. " (" .. t .. ")" end
  if x.daily_metrics ~= nil or x.all ~= nil or splits_of(x) then
    return "an analytics answer (make an overview of two periods first: pa.report.overview(current, previous); " ..
      "or a pin's report: pa.report.pin(answer))"
  end
  if type(x.posts) == "table" then return "OneUp's posts data (render takes an overview or pa.report.pins(posts))" end
  if type(x.pins) == "table" then return "a list of pins (make a report of it: pa.report.top_pins(answer))" end
  local keys = sorted(x)
  if #keys == 0 then return "an empty table" end
  return "a table with " .. some(keys, 4) .. " and no metrics array"
end

-- The report to render: a report as is, an overview made into one; raises otherwise.
local function report_of(fmt, x, opts)
  if type(fmt) == "table" and type(x) == "string" then
    fail("render", "the arguments are the wrong way round: render(format, overview), e.g. render(%q, ov)", x)
  end
  if type(x) == "table" and type(x.kind) == "string" then return x end
  local metrics = type(x) == "table" and x.metrics
  if type(metrics) ~= "table" then
    fail("render", "ov must be an overview (from pa.report.overview, or OneUp's overview data), got %s", what_is(x))
  end
  for i, m in ipairs(metrics) do
    if type(m) ~= "table" or (m.key == nil and m.name == nil) then
      fail("render", "ov.metrics[%d] is not a metric {key, name, value_current_period, ...}, got %s", i, what_is(m))
    end
  end
  return M.model(x, opts)
end

-- filters that know reports
local FILTERS = {
  period = function(p)
    if type(p) ~= "table" or format.is_missing(p.start_date) then return "not given" end
    local s = p.start_date .. " .. " .. p.end_date
    local days = type(p.days) == "number" and (p.days == 1 and "1 day" or format.number(p.days) .. " days") or nil
    local nr = type(p.not_ready) == "number" and (format.number(p.not_ready) .. " not READY") or nil
    if days and nr then return s .. " (" .. days .. ", " .. nr .. ")" end
    if days or nr then return s .. " (" .. (days or nr) .. ")" end
    return s
  end,
  coverage = function(p)
    if type(p) ~= "table" or type(p.days_with_figures) ~= "number" or type(p.days) ~= "number" then
      return "unknown (totals only)"
    end
    local s = format.number(p.days_with_figures) .. " of " .. (p.days == 1 and "1 day" or format.number(p.days) .. " days")
    local gaps = type(p.missing_ranges) == "table" and p.missing_ranges or {}
    if #gaps > 0 then
      local shown = {}
      for i, g in ipairs(gaps) do
        if i > 10 then
          shown[#shown + 1] = string.format("and %d more gaps", #gaps - 10)
          break
        end
        shown[#shown + 1] = g.days == 1 and g.start_date or (g.start_date .. ".." .. g.end_date)
      end
      s = s .. "; missing " .. table.concat(shown, ", ") .. " (" ..
        (p.missing_days == 1 and "1 day" or format.number(p.missing_days) .. " days") .. ")"
    end
    return s
  end,
  stale = function(days)
    if type(days) ~= "table" or #days == 0 then return "" end
    local shown = {}
    for i, d in ipairs(days) do
      if i > 10 then
        shown[#shown + 1] = string.format("and %d more", #days - 10)
        break
      end
      shown[#shown + 1] = tostring(d.date) .. (type(d.data_status) == "string" and (" " .. d.data_status) or "") ..
        (type(d.fetched) == "string" and (", fetched " .. d.fetched) or "")
    end
    return (#days == 1 and "1 day" or format.number(#days) .. " days") .. " not final when fetched (" ..
      table.concat(shown, "; ") .. ") and can no longer be refreshed"
  end,
  gaps = function(p, sep)
    local out = {}
    for i, g in ipairs(type(p) == "table" and type(p.missing_ranges) == "table" and p.missing_ranges or {}) do
      out[i] = g.days == 1 and g.start_date or (g.start_date .. ".." .. g.end_date)
    end
    return table.concat(out, sep or " ")
  end,
  direction = function(row)
    local v = type(row) == "table" and (row.kind == "rate" and row.change_pp or row.change)
    if type(v) ~= "number" then return "flat" end
    if format.round(v, row.kind == "rate" and 2 or 1) > 0 then return "up" end
    if format.round(v, row.kind == "rate" and 2 or 1) < 0 then return "down" end
    return "flat"
  end,
}
--- The filters reports add to the template language: `period` (a period as
-- "2026-10-01 .. 2026-10-30 (30 days)"), `coverage` (its days with figures:
-- "90 of 150 days; missing 2026-05-01..2026-06-29 (60 days)", "unknown (totals
-- only)" where the data has no days), `gaps` (the missing days as ranges,
-- "2026-05-01..2026-06-29 2026-07-04", for csv), `stale` (a report's days
-- not final that can no longer be refreshed, `stale`: "2 days not final when
-- fetched (2026-05-01 PROCESSING, fetched 2026-05-02T06:00:00Z; ...) and can
-- no longer be refreshed", "" for none) and `direction` ("up", "down" or
-- "flat").
M.FILTERS = FILTERS

local compiled = {}

local function builtin(kind, fmt, shape)
  local key = kind .. "." .. fmt .. (shape == "long" and "_long" or "")
  if not compiled[key] then
    local src = templates[kind] and templates[kind][fmt .. (shape == "long" and "_long" or "")]
    if not src then fail("render", "no built-in %s template for a %s report", fmt, tostring(kind)) end
    compiled[key] = template.compile(src, { name = "pinanalytics.templates." .. key, format = fmt, filters = FILTERS })
  end
  return compiled[key]
end

-- The charts of a report, for html: { { metric, svg } }, and a bar chart of top pins.
local function with_charts(r, opts)
  -- the ads reports' charts are theirs (pinanalytics.ads.report)
  if r.kind == "ads_overview" or r.kind == "ads_campaigns" then
    return require("pinanalytics.ads.report").with_charts(r, opts)
  end
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  local charts = list()
  if opts.charts ~= false then
    if r.kind == "overview" and type(r.daily) == "table" and type(r.daily.current) == "table" then
      local cur, prev = r.daily.current, r.daily.previous
      local nr, missing, stale = {}, {}, {}
      local notes = {}
      for _, d in ipairs(type(r.stale) == "table" and r.stale or {}) do notes[d.date] = stale_note(d) end
      for i, st in ipairs(cur.status or {}) do
        if type(cur.held) == "table" and cur.held[i] == false then missing[i] = true
        elseif st ~= "READY" then
          nr[i] = st == NULL and "no status" or st
          stale[i] = notes[cur.dates and cur.dates[i]]
        end
      end
      for _, m in ipairs(r.metrics) do
        local vals = cur.values and cur.values[m.metric]
        if vals then
          local series = { { name = "current period", values = vals, n = #cur.dates } }
          local pv = prev and prev.values and prev.values[m.metric]
          if pv then series[2] = { name = "previous period", values = pv, n = #prev.dates, dashed = true } end
          charts[#charts + 1] = { metric = m.metric, svg = svg.line_chart { title = m.name, dates = cur.dates,
            series = series, not_ready = nr, stale = stale, missing = missing,
            format = function(v) return format.value(v, m.kind) end, kind = m.kind } }
        end
      end
    elseif (r.kind == "pin" or r.kind == "daily") and type(r.days) == "table" then
      local ds, nr, missing, stale = {}, {}, {}, {}
      for i, d in ipairs(r.days) do
        ds[i] = d.date
        if d.held == false then missing[i] = true
        elseif not d.ready then
          nr[i] = d.status == NULL and "no status" or d.status
          if d.note ~= nil and d.note ~= NULL then stale[i] = d.note end
        end
      end
      for _, m in ipairs(r.metrics) do
        local vals = {}
        for i, d in ipairs(r.days) do vals[i] = d.values[m.metric] end
        charts[#charts + 1] = { metric = m.metric, svg = svg.line_chart { title = m.name, dates = ds,
          series = { { name = m.name, values = vals, n = #ds } }, not_ready = nr, stale = stale, missing = missing,
          format = function(v) return format.value(v, m.kind) end, kind = m.kind } }
      end
    end
  end
  out.charts = charts
  out.bars, out.bars_title = NULL, NULL
  if opts.charts ~= false then
    if r.kind == "pins" and #r.pins > 0 and #r.metrics > 0 then
      local by = r.sort_by ~= NULL and r.sort_by or r.metrics[1].metric
      local kind = kind_of(by)
      local bars = {}
      for i, p in ipairs(r.pins) do
        if i > 20 then break end
        local v = p.values[by]
        bars[i] = { label = p.title ~= NULL and (p.id .. " " .. p.title) or p.id, value = v,
          text = format.value(v, kind) }
      end
      out.bars_title = "Top pins by " .. label_of(by):lower()
      out.bars = svg.bar_chart { title = out.bars_title, bars = bars, heading = false }
    elseif type(r.rankings) == "table" then
      for _, g in ipairs(r.rankings) do
        if (g.key == "most_engaging" or g.key == "most_views") and #g.pins > 0 then
          local bars = {}
          for i, p in ipairs(g.pins) do
            bars[i] = { label = type(p.title) == "string" and (p.id .. " " .. p.title) or p.id, value = p.value,
              text = format.number(p.value) }
          end
          out.bars_title = "Top pins: " .. g.title:lower() .. " (" .. g.measure .. ")"
          out.bars = svg.bar_chart { title = out.bars_title, bars = bars, heading = false }
          break
        end
      end
    end
  end
  return out
end

-- JSON: lua-cjson for strings, numbers as format.plain writes them, keys
-- sorted (the same report gives the same text), a report's lists arrays
-- even when empty, presentation (sparklines) left out.
local json_string
do
  local ok, cjson = errors.pass_interrupt(pcall(require, "cjson"))
  if ok and type(cjson) == "table" and cjson.encode then
    -- UTF-8 repaired first (JSON is UTF-8), C1 and bidirectional controls escaped after
    json_string = function(s)
      return format.json_bidi((cjson.encode(format.utf8(s)):gsub("\\/", "/"):gsub("\194([\128-\159])", function(b)
        return string.format("\\u%04x", b:byte())
      end)))
    end
  else
    json_string = template.json_string
  end
end

-- the reports with a long csv: a line per (pin,) day and metric
local LONG = { pin = true, daily = true, pins = true }

-- opts.shape of render, checked: "wide" or "long" (a shape of csv), or nil.
local function long_shape(fmt, r, shape)
  if shape == nil or shape == "wide" then return shape end
  if shape ~= "long" then
    fail("render", "opts.shape must be \"wide\" or \"long\", got %s",
      type(shape) == "string" and string.format("%q", shape) or type(shape))
  end
  if fmt ~= "csv" then fail("render", "opts.shape = \"long\" is a shape of csv, not of %s", tostring(fmt)) end
  if not LONG[r.kind] then
    fail("render", "opts.shape = \"long\": a %s report has one shape (pin, daily and pins reports have a long one)",
      tostring(r.kind))
  end
  return shape
end

-- A pins report whose rows hold their days (every day of the period, as
-- a pin's report has them: date, held, status, values, note), for the long
-- csv; raises for a row made from totals alone.
local function with_pin_days(r)
  local names = {}
  for i, m in ipairs(r.metrics) do names[i] = m.metric end
  local copy = {}
  for k, v in pairs(r) do copy[k] = v end
  copy.pins = list()
  for i, row in ipairs(r.pins) do
    local src = ROW_SOURCE[row]
    if not src then
      fail("render", "opts.shape = \"long\": pin %s has no days (a top_pins answer and OneUp's posts hold totals " ..
        "only; a report of analytics answers by pin id has them)", tostring(row.id))
    end
    local f = as_frame(src[1], src[2], "results[" .. tostring(row.id) .. "]")
    local d = daily_of(f, {}, r.current)
    local notes = {}
    for _, st in ipairs(type(row.stale) == "table" and row.stale or {}) do notes[st.date] = stale_note(st) end
    local days = list()
    for j, date in ipairs(d.dates) do
      local values = {}
      for _, m in ipairs(names) do
        -- a rate sorted by and not fetched is derived from its parts, as the row's total is
        local ok, v = errors.pass_interrupt(pcall(f.get, f, date, m))
        values[m] = ok and type(v) == "number" and v or NULL
      end
      days[j] = { date = date, held = d.held[j], status = d.status[j], values = values, note = notes[date] or NULL }
    end
    local p = {}
    for k, v in pairs(row) do p[k] = v end
    p.days = days
    copy.pins[i] = p
  end
  return copy
end

local SKIP = { spark = true }

-- In json a field without a value is left out, but for the figures: a
-- metric's current, previous, change and change_pp (a rate's), a total, a
-- ranked pin's value, and the figures of a day or pin by metric (values),
-- which are null when missing (the coverage says which days), so that a
-- missing number is seen as missing.
local FIGURES = { current = true, previous = true, change = true, change_pp = true, total = true, value = true }

local function to_json(v, depth, out, figures)
  if depth > 40 then fail("render", "the report is nested too deep for JSON") end
  local t = type(v)
  if t == "string" then out[#out + 1] = json_string(v)
  elseif t == "number" then
    out[#out + 1] = (v ~= v or v == math.huge or v == -math.huge) and "null" or format.plain(v)
  elseif t == "boolean" then out[#out + 1] = tostring(v)
  elseif t == "table" then
    local n = #v
    if getmetatable(v) == LIST or n > 0 then
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        to_json(v[i], depth + 1, out, figures)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k, x in pairs(v) do
        -- (change_pp is a rate's figure: a count has none)
        if not SKIP[k] and (x ~= NULL or figures or (FIGURES[k] and (k ~= "change_pp" or v.kind == "rate"))) then
          keys[#keys + 1] = tostring(k)
        end
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = json_string(k) .. ":"
        local x = v[k]
        if x == nil then x = v[tonumber(k)] end
        to_json(x, depth + 1, out, k == "values")
      end
      out[#out + 1] = "}"
    end
  else
    out[#out + 1] = "null" -- JSON null, and what JSON cannot hold
  end
end

--- Renders a report. Raises, naming what it got, when x is anything but a
-- report or an overview (an analytics answer, a frame, the arguments the
-- wrong way round), and names the builder to use.
--
-- Every format states the report's coverage (days with figures of days asked,
-- the missing ones as ranges), and the days not final that no sync can
-- refresh (a store's `stale` days: `stale` and `refreshable` in the report)
-- with when they were fetched; "Pinterest may still change their numbers"
-- is said only of the others. Text from the API is made safe for where it
-- goes: control characters never reach text, markdown, csv or html (json
-- escapes them), ill-formed UTF-8 is repaired (U+FFFD), markup is escaped,
-- and a long string is cut in a table cell of text, markdown and html.
--
-- - "text": for a terminal: aligned columns, numbers to the right, sparklines;
--   control characters in a value become spaces
-- - "markdown": headings, lists and tables; markup in a value is escaped
-- - "csv": one table, RFC 4180 quoting; numbers as numbers (counts whole,
--   rates as fractions, changes in percent, a rate's change in percentage
--   points), a missing value an empty field; text a spreadsheet would take
--   for a formula gets a leading '
-- - "json": the report's data (what a template gets), keys sorted, lists
--   arrays even when empty; a missing figure (a metric's current, previous,
--   change, a total, a ranked pin's value, a day's or pin's value of a
--   metric) null, any other field without a value left out
-- - "html": one self-contained page: inline CSS and SVG, no script, no URL
--   to fetch (a Content-Security-Policy forbids any; with `opts.images`, the
--   pins' pictures from their https URLs alone); a line chart a metric
--   (the previous period dashed, the days not READY shaded), a bar chart of
--   the top pins, print styles for paper
-- @string fmt "text", "markdown", "csv", "json" or "html"
-- @tab x a report (`pin`, `daily`, `pins`, `top_pins`, `rankings`, `model`; the ads overview and
-- campaigns ranking of `pinanalytics.ads.report`) or an overview (`overview`'s result, or OneUp's
-- overview data)
-- @tab[opt] opts
-- @tparam[opt] string|pinanalytics.template.Template opts.template one's own template: its source, or
-- `pinanalytics.template.compile`'s result; it gets the report as its data
-- @string[opt="template"] opts.template_name the template's name in error messages
-- @string[opt] opts.title replaces the report's title
-- @string[opt] opts.source replaces the report's source
-- @bool[opt=true] opts.charts false: html without charts
-- @string[opt="wide"] opts.shape csv only: "wide", a column a metric; or "long" (tidy, as spreadsheets,
-- pandas and R read it), for `pin`, `daily` and `pins` reports: a line a (pin,) day and metric,
-- `[rank,]pin_id,date,metric,value,status[,note]` (`daily`: no pin_id), every day of the period,
-- a day without figures with an empty value and the status "no figures"; a `pins` report reads
-- each pin's days from the analytics answers it was made from (a `top_pins` answer or OneUp's
-- posts hold totals only: refused)
-- @bool[opt=false] opts.images html: each pin's picture (`image` of a report made with `opts.meta`),
-- an `<img>` that loads it from its https URL; the page then loads those pictures (its
-- Content-Security-Policy allows https images), so it is off by default
-- @treturn string
-- @usage print(pa.report.render("text", ov))
-- @usage io.open("report.html", "w"):write(pa.report.render("html", ov))
function M.render(fmt, x, opts)
  local r = report_of(fmt, x, opts)
  opts = check_opts("render", opts)
  local known = false
  for _, f in ipairs(FORMATS) do if f == fmt then known = true end end
  if not known then
    error("pinanalytics.report.render: unknown format " .. tostring(fmt) .. " (allowed: " ..
      table.concat(FORMATS, ", ") .. ")", 2)
  end
  if opts.title or opts.source or opts.images then
    local copy = {}
    for k, v in pairs(r) do copy[k] = v end
    copy.title, copy.source = opts.title or r.title, opts.source or r.source
    -- pictures: html only, and only when asked (the page then loads them)
    if opts.images and fmt == "html" then copy.images = true end
    r = copy
  end
  if fmt == "html" then r = with_charts(r, opts) end
  local shape = long_shape(fmt, r, opts.shape)
  if shape == "long" and r.kind == "pins" then r = with_pin_days(r) end
  local tpl = opts.template
  if tpl ~= nil then
    if type(tpl) == "string" then
      tpl = template.compile(tpl, { name = opts.template_name or "template", format = fmt == "json" and "json" or fmt,
        filters = FILTERS })
    elseif not template.is_template(tpl) then
      fail("render", "opts.template must be a template's source or pinanalytics.template.compile's result, got %s",
        type(tpl))
    end
    return tpl:render(r)
  end
  if fmt == "json" then
    local out = {}
    to_json(r, 0, out)
    return table.concat(out) .. "\n"
  end
  return builtin(r.kind, fmt, shape):render(r)
end

--- The source of a built-in template: a start for one's own.
-- @string kind "overview", "pin", "daily", "pins" or "rankings"
-- @string fmt "text", "markdown", "csv" or "html"
-- @treturn string
function M.template(kind, fmt)
  local src = templates[kind] and templates[kind][fmt]
  if not src then fail("template", "no built-in template %s.%s", tostring(kind), tostring(fmt)) end
  return src
end

--- A sparkline of a daily series (`pinanalytics.format.sparkline`).
-- @function sparkline
-- @tparam table values numbers; nil or null where a day has none
-- @tab[opt] opts `missing`: the mark of a day without a value (default "·"); `n`: the length of
-- values when it may end in nil
-- @treturn string
M.sparkline = format.sparkline

return M
