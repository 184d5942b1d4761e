--- MetricFrame: dates x series of numbers, held and aggregated in C.
--
--   local f = pa.frame(res.all)                  -- one split of an analytics answer
--   local f = pa.frame(res)                      -- the same, when the answer has one split
--   local f = pa.frame(split_res)                -- split_field = "APP_TYPE": a series per split
--                                                --   and metric, "<split>/<METRIC>" ("WEB/SAVE")
--   local f = pa.frame(split_res, { split = "WEB" })  -- one split of it
--   local f = pa.frame(results, { metric = "IMPRESSION" })  -- one metric across pins
--   local f = pa.frame(results)                  -- every metric of every pin: "<pin id>/<METRIC>"
--   local f = pa.frame(oneup_posts_data)         -- OneUp posts: stats summed per day
--
--   f:dates(), f:metrics(), f:get(date, metric), f:column(metric) (pa.null where missing),
--   f:sum/mean/min/max(metric [, { ready_only = true }]), f:slice(range),
--   f:resample("week" | "month"), f:merge(other), f:rows(), f:to_table(),
--   f:status(date), f:not_ready(), #f, tostring(f),
--   f:top(n [, metric [, opts]]), f:to_csv([opts]) (opts.shape = "long": a
--   line per date and series, date,series,metric,value,data_status), f:to_string([opts]),
--   f:labels(), f:partial([date or label]), f:period()
--
-- A missing value is not zero. Rates (*_RATE) and VIDEO_AVG_WATCH_TIME are
-- never summed or averaged plainly: sum, mean and resample recompute them from
-- their parts (SAVE_RATE = SAVE / IMPRESSION, ...), which must be in the frame.
-- A rate whose parts are in the frame can be asked for without being a
-- series of it (f:sum("SAVE_RATE"), f:get(date, "701/SAVE_RATE"), f:top(5,
-- "SAVE_RATE")). Days whose data_status is not READY are flagged
-- (f:not_ready(), and in tostring) and left out of aggregates with
-- { ready_only = true }.
--
-- f:top(n, metric) ranks what a user means by the frame: in a frame of every
-- metric of every pin (or split), the pins by their total of the metric; in a
-- frame of one pin, its dates by their value; f:top(n) ranks the series
-- themselves (one metric across pins: the pins). A frame stays ordered by
-- date: there is no f:sort; f:top(math.huge, metric) is the whole ranking.
--
-- resample gives a frame by week or month: its rows are keyed by their first
-- day in the frame (f:dates()) and labelled "2026-W36" (ISO 8601 weeks) or
-- "2026-09" (f:labels(); get, status and partial take a label too), and a row
-- that holds fewer days than its period is partial (f:partial()).
--
-- What reaches core.frame is checked again there (read raw, once); this
-- layer checks the options and keeps its own order of pins: table.sort is
-- taken when the module loads, so replacing it later changes nothing here.
local core = require "pinanalytics.core"

local M = {}

local sort = table.sort

-- frame:resample(period) is checked here before the C method runs: C's
-- own check says only "bad argument #2 to '?' (invalid option 'day')". The
-- methods are the C metatable's __index table, which its "locked"
-- __metatable hides from getmetatable but not from debug.getmetatable;
-- without the debug library the C check stands alone.
do
  local getmt = type(debug) == "table" and debug.getmetatable
  local mt = getmt and getmt(core.frame({}))
  local methods = type(mt) == "table" and mt.__index
  local c_resample = type(methods) == "table" and methods.resample
  if c_resample then
    methods.resample = function(f, period)
      if period ~= "week" and period ~= "month" then
        error(string.format("pinanalytics.frame: f:resample(period): period = %s is not allowed (allowed: %s%s)",
          type(period) == "string" and string.format("%q", period) or tostring(period) .. " (" .. type(period) .. ")",
          "\"week\", \"month\"", period == "day" and "; the frame is already by day" or ""), 2)
      end
      return c_resample(f, period)
    end
  end
end

local function fail(fmt, ...)
  error("pinanalytics.frame: " .. string.format(fmt, ...), 3)
end

-- the keys of t (pin ids or split names: strings or numbers), sorted
local function sorted_keys(t, what)
  local keys = {}
  for k in next, t do
    if type(k) ~= "string" and type(k) ~= "number" then fail("%s has a key of type %s", what, type(k)) end
    keys[#keys + 1] = k
  end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function daily_of(x, split, what)
  if type(x) ~= "table" then fail("%s is not a table", what) end
  if x.daily_metrics then return x.daily_metrics end
  if split then
    if x[split] == nil then fail("%s has no split %q", what, split) end
    return daily_of(x[split], nil, what .. "." .. split)
  end
  if x.all then return x.all.daily_metrics or {} end
  local keys = sorted_keys(x, what)
  if #keys == 1 and type(x[keys[1]]) == "table" and x[keys[1]].daily_metrics then
    return x[keys[1]].daily_metrics
  end
  fail("%s has no daily_metrics (and no single split); pass { split = ... }", what)
end

-- OneUp posts -> daily_metrics with the stats of each day's posts summed
local function posts_daily(posts)
  local by_date, order = {}, {}
  for i, p in ipairs(posts) do
    if type(p) ~= "table" or type(p.timestamp) ~= "string" then fail("posts[%d] has no timestamp", i) end
    local date = p.timestamp:sub(1, 10)
    local day = by_date[date]
    if not day then
      day = { date = date, metrics = {} }
      by_date[date] = day
      order[#order + 1] = date
    end
    if p.stats ~= nil and type(p.stats) ~= "table" then fail("posts[%d].stats is not an object", i) end
    for k, v in next, p.stats or {} do
      if type(v) == "number" then day.metrics[k] = (day.metrics[k] or 0) + v end
    end
  end
  local out = {}
  for i, d in ipairs(order) do out[i] = by_date[d] end
  return out
end

-- The days that can be placed: a day without a date (the official schema
-- allows one) is skipped; the answer already names it in its warnings
-- (pinanalytics.schema). The list is copied only when it has such a day.
local function dated(daily)
  if type(daily) ~= "table" then return daily end
  for i = 1, #daily do
    if type(daily[i]) == "table" and daily[i].date == nil then
      local out = {}
      for j = 1, #daily do
        local d = daily[j]
        if not (type(d) == "table" and d.date == nil) then out[#out + 1] = d end
      end
      return out
    end
  end
  return daily
end

local function is_posts(x)
  return type(x) == "table" and type(x[1]) == "table" and x[1].stats ~= nil
end

--- Builds a frame (see the top of this file). opts: metric (one metric
-- across pins), split (which split of each answer; default "all").
function M.frame(x, opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then fail("opts must be a table, got %s", type(opts)) end
  for _, k in ipairs({ "metric", "split" }) do
    if opts[k] ~= nil and type(opts[k]) ~= "string" then fail("opts.%s must be a string, got %s", k, type(opts[k])) end
  end
  if type(x) ~= "table" then fail("expected an analytics answer, results by pin or OneUp posts, got %s", type(x)) end
  if type(x.posts) == "table" and (is_posts(x.posts) or #x.posts == 0) then
    return core.frame({ { daily = posts_daily(x.posts) } })
  end
  if is_posts(x) then return core.frame({ { daily = posts_daily(x) } }) end
  if x.daily_metrics or x.all or opts.split and x[opts.split] and x[opts.split].daily_metrics then
    return core.frame({ { daily = dated(daily_of(x, opts.split, "the answer")) } })
  end
  -- results keyed by pin id
  local sources = {}
  for _, id in ipairs(sorted_keys(x, "results")) do
    local daily = dated(daily_of(x[id], opts.split, "results[" .. tostring(id) .. "]"))
    if opts.metric then
      sources[#sources + 1] = { daily = daily, metric = opts.metric, name = tostring(id) }
    else
      sources[#sources + 1] = { daily = daily, prefix = tostring(id) .. "/" }
    end
  end
  if #sources == 0 then
    local ok = next(x) == nil
    if not ok then fail("expected an analytics answer, results by pin or OneUp posts") end
  end
  return core.frame(sources)
end

return M
