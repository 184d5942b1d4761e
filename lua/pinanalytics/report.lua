--- Reports: period over period, rankings, and rendering.
--
--   local ov = pa.report.overview(current, previous, { pins = results })
--   print(pa.report.render("markdown", ov))
--
-- overview() gives OneUp's overview shape from Pinterest data, so both
-- sources go through one report:
--   { metrics = { { key, name, description, value_current_period, value_last_period,
--                   percentage_change (a number), percentage_change_formatted ("+25.0%") }, ... },
--     post_performance = { most_engaging = {...3}, least_engaging, most_views, least_views,
--                          most_repinned, least_repinned, most_clicked, least_clicked },
--     total_followers }
-- current and previous: MetricFrames, analytics answers (user_account_analytics,
-- pin_analytics) or frames' sources; or, alone, OneUp's own overview data.
-- An answer split by split_field (MOBILE, TABLET, WEB ...) is reported one
-- split at a time: opts.split names which; without it such an answer raises.
-- An overview with no metric at all raises too, naming what it was given.
local frame = require "pinanalytics.frame"
local oneup = require "pinanalytics.oneup"

local M = {}

--- Pinterest metrics as the report names them.
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
-- round) do: 2.25 -> 2.3, -3.45 -> -3.5.
function M.round(v, decimals)
  local f = 10 ^ (decimals or 0)
  local x = math.abs(v) * f
  -- a decimal that binary cannot hold exactly (2.675) is nudged to its intent
  x = math.floor(x + 0.5 + 1e-9 * math.max(1, x))
  x = x / f
  return v < 0 and -x or x
end

--- "+25.0%" from a percentage, rounded half away from zero.
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

local function entry(key, name, description, cur, last, text)
  local change = oneup.percentage_change(cur or 0, last or 0)
  return {
    key = key, name = name, description = description,
    value_current_period = cur, value_last_period = last,
    percentage_change = change,
    percentage_change_formatted = text or M.format_change(change),
  }
end

-- OneUp's overview data, normalised: the change as a number and as sent
local function from_oneup(data)
  local out = { metrics = {}, post_performance = data.post_performance, total_followers = data.total_followers }
  for i, m in ipairs(data.metrics or {}) do
    local e = entry(m.key, m.name, m.description, m.value_current_period, m.value_last_period,
      m.percentage_change)
    local sent = oneup.parse_percentage(m.percentage_change)
    if sent ~= nil then e.percentage_change = sent end
    out.metrics[i] = e
  end
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

--- Rankings over a set of pins (results keyed by pin id, as pins_analytics
-- gives them): the top and bottom `n` (default 3) by engagement, views,
-- saves (repins) and clicks, over each pin's summary_metrics.
function M.post_performance(results, n)
  n = n or 3
  local rows = {}
  for id, res in pairs(results) do
    local split = res.all or select(2, next(res))
    local s = split and split.summary_metrics or {}
    rows[#rows + 1] = {
      id = id,
      stats = { impressions = s.IMPRESSION, saves = s.SAVE, pin_clicks = s.PIN_CLICK,
        outbound_clicks = s.OUTBOUND_CLICK, engagement = score(s, "engaging") },
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

--- The period-over-period overview (see the top of this file).
-- opts: pins (results by pin id for post_performance), ready_only (leave
-- days that are not READY out of the totals), metrics (names to include;
-- default: every known metric present in both periods).
function M.overview(current, previous, opts)
  if previous == nil and type(current) == "table" and type(current.metrics) == "table" then
    return from_oneup(current)
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
  for _, d in ipairs(M.METRICS) do
    local m = d[1]
    if have_c[m] and have_p[m] and (not wanted or wanted[m]) then
      local ok_c, cur = pcall(cf.sum, cf, m, agg)
      local ok_p, last = pcall(pf.sum, pf, m, agg)
      if ok_c and ok_p then
        out.metrics[#out.metrics + 1] = entry(d[2], d[3], d[4], cur, last)
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
  return out
end

---------------------------------------------------------------- rendering

local function fmt_value(v)
  if v == nil then return "-" end
  if math.type and math.type(v) == "integer" then return tostring(v) end
  if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
  return string.format("%.4f", v)
end

local function table_rows(ov)
  local rows = { { "metric", "current", "previous", "change" } }
  for _, m in ipairs(ov.metrics) do
    local sent = type(m.percentage_change) == "string" and m.percentage_change or "" -- OneUp's data as is
    rows[#rows + 1] = { tostring(m.name or m.key), fmt_value(m.value_current_period), fmt_value(m.value_last_period),
      m.percentage_change_formatted or sent }
  end
  return rows
end

-- What a value handed to render is, in words, for its error message.
local function what_is(x)
  local t = type(x)
  if t == "string" then return string.format("the string %q", x) end
  if t == "userdata" and select(2, pcall(function() return x.resample end)) ~= nil then
    return "a MetricFrame (make an overview of two periods first: pa.report.overview(current, previous))"
  end
  if t ~= "table" then return tostring(x) .. " (" .. t .. ")" end
  if x.daily_metrics ~= nil or x.all ~= nil or splits_of(x) then
    return "an analytics answer (make an overview of two periods first: pa.report.overview(current, previous))"
  end
  if type(x.posts) == "table" then return "OneUp's posts data (render takes an overview)" end
  local keys = sorted(x)
  if #keys == 0 then return "an empty table" end
  return "a table with " .. some(keys, 4) .. " and no metrics array"
end

-- Raises unless ov is an overview: { metrics = { {key|name, value_current_period, ...}, ... } }.
local function check_overview(format, ov)
  if type(format) == "table" and type(ov) == "string" then
    fail("render", "the arguments are the wrong way round: render(format, overview), e.g. render(%q, ov)", ov)
  end
  local metrics = type(ov) == "table" and ov.metrics
  if type(metrics) ~= "table" then
    fail("render", "ov must be an overview (from pa.report.overview, or OneUp's overview data), got %s", what_is(ov))
  end
  for i, m in ipairs(metrics) do
    if type(m) ~= "table" or (m.key == nil and m.name == nil) then
      fail("render", "ov.metrics[%d] is not a metric {key, name, value_current_period, ...}, got %s", i, what_is(m))
    end
  end
end

local function csv_cell(s)
  s = tostring(s)
  if s:find('[,"\n]') then return '"' .. s:gsub('"', '""') .. '"' end
  return s
end

--- Renders an overview as "text" (aligned), "markdown" or "csv".
function M.render(format, ov)
  check_overview(format, ov)
  local rows = table_rows(ov)
  if format == "csv" then
    local out = {}
    for i, r in ipairs(rows) do
      local cells = {}
      for j, c in ipairs(r) do cells[j] = csv_cell(c) end
      out[i] = table.concat(cells, ",")
    end
    return table.concat(out, "\n") .. "\n"
  elseif format == "markdown" then
    local out = {}
    for i, r in ipairs(rows) do
      out[#out + 1] = "| " .. table.concat(r, " | ") .. " |"
      if i == 1 then out[#out + 1] = "|---|---:|---:|---:|" end
    end
    return table.concat(out, "\n") .. "\n"
  elseif format == "text" then
    local width = {}
    for _, r in ipairs(rows) do
      for j, c in ipairs(r) do width[j] = math.max(width[j] or 0, #c) end
    end
    local out = {}
    for _, r in ipairs(rows) do
      local cells = {}
      for j, c in ipairs(r) do
        cells[j] = j == 1 and c .. string.rep(" ", width[j] - #c) or string.rep(" ", width[j] - #c) .. c
      end
      out[#out + 1] = table.concat(cells, "  ")
    end
    return table.concat(out, "\n") .. "\n"
  end
  error("pinanalytics.report.render: unknown format " .. tostring(format) .. " (allowed: text, markdown, csv)", 2)
end

return M
