--- Ads reports: an ads overview (this period against the previous one) and
-- a campaigns ranking, rendered by `pinanalytics.report.render` in every
-- format (text, markdown, csv, json, html with charts).
--
-- Both are made from rows of ads analytics (the sync endpoints' rows with
-- granularity DAY or TOTAL, an async report's rows, or the store's) that
-- hold the additive columns of `PARTS`. Every figure is made from the sums
-- of those parts over the period: a ratio (CTR, CPC, CPM, ROAS) is never
-- summed nor averaged, it is its parts' ratio over the period (a month's CTR
-- is the month's clicks over the month's impressions). Money is summed in
-- whole micro-units and shown in the ad account's currency with its decimals
-- (`pinanalytics.ads.money`: exact, no float rounding on the way). A period's
-- coverage (days with figures of the days asked, the missing ones as ranges)
-- is stated in every format; a figure without the rows to make it is shown
-- as missing ("-", null in json, an empty csv field), never as 0.
--
-- The metrics and their names are the catalogue's (`pinanalytics.ads.columns`:
-- the names Ads Manager shows), money without "(micro-units)".
-- @usage
-- local ar = require "pinanalytics.ads.report"
-- local cols = ar.PARTS
-- local cur = pin:ad_account_analytics(acct, { range = r, granularity = "DAY", columns = cols })
-- local prev = pin:ad_account_analytics(acct, { range = r:previous(), granularity = "DAY", columns = cols })
-- local ov = ar.overview(cur, prev, { currency = "USD", range = r, previous_range = r:previous() })
-- print(pa.report.render("text", ov))
local columns = require "pinanalytics.ads.columns"
local money = require "pinanalytics.ads.money"
local dates = require "pinanalytics.dates"
local format = require "pinanalytics.format"

local NULL = format.null

local M = {}

local SPEND, IMPR, CLICKS = "SPEND_IN_MICRO_DOLLAR", "IMPRESSION_1", "CLICKTHROUGH_1"
local CONV, VALUE = "TOTAL_CONVERSIONS", "TOTAL_CHECKOUT_VALUE_IN_MICRO_DOLLAR"

--- The additive columns the reports are made from (in the synchronous and
-- the asynchronous enums both): spend, paid impressions, paid link clicks,
-- conversions and checkout value.
M.PARTS = { SPEND, IMPR, CLICKS, CONV, VALUE }


local function name_of(column)
  return (columns.label(column):gsub(" %(micro%-units%)$", ""))
end

local function ratio(a, b)
  if type(a) ~= "number" or type(b) ~= "number" or b == 0 then return nil end
  return a / b
end

--- The metrics of the reports, in their order: `{ key, column, name,
-- description, kind, get(sums, currency) }` each. `column` is the API's
-- column it stands for (CTR, CPC_IN_MICRO_DOLLAR, CHECKOUT_ROAS, ...);
-- `kind` "money" (micro-units, shown in the currency), "count", "rate" (a
-- fraction, shown as a percentage) or "ratio" (ROAS: shown with two decimals).
M.METRICS = {
  { key = "spend", column = SPEND, kind = "money", micro = function(s) return s[SPEND] end },
  { key = "impressions", column = IMPR, kind = "count", get = function(s) return s[IMPR] end },
  { key = "clicks", column = CLICKS, kind = "count", get = function(s) return s[CLICKS] end },
  { key = "ctr", column = "CTR", kind = "rate", get = function(s) return ratio(s[CLICKS], s[IMPR]) end },
  { key = "cpc", column = "CPC_IN_MICRO_DOLLAR", kind = "money", per = { SPEND, CLICKS, 1 } },
  { key = "cpm", column = "CPM_IN_MICRO_DOLLAR", kind = "money", per = { SPEND, IMPR, 1000 } },
  { key = "conversions", column = CONV, kind = "count", get = function(s) return s[CONV] end },
  { key = "checkout_value", column = VALUE, kind = "money", micro = function(s) return s[VALUE] end },
  { key = "roas", column = "CHECKOUT_ROAS", kind = "ratio", get = function(s) return ratio(s[VALUE], s[SPEND]) end },
}
local BY_KEY = {}
for _, m in ipairs(M.METRICS) do
  m.name = name_of(m.column)
  m.description = columns.get(m.column).description
  BY_KEY[m.key] = m
  BY_KEY[m.column] = m
end
BY_KEY.PAID_IMPRESSION = BY_KEY.impressions
BY_KEY.SPEND_IN_DOLLAR = BY_KEY.spend

local function fail(fn, fmt, ...)
  error("pinanalytics.ads.report." .. fn .. ": " .. string.format(fmt, ...), 0)
end

-- a report's list: a JSON array even when empty
local function list(t) return require("pinanalytics.report").list(t) end

local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return type(v)
end

-- a metric's figure over sums: the number (money: units of the currency,
-- rounded to its decimals), the exact micro-units (money), the text
local function figure(m, s, currency)
  if m.micro then
    local v = m.micro(s)
    if v == nil then return nil end
    return money.number(v, currency), v, money.text(v, currency)
  elseif m.per then
    local a, b = s[m.per[1]], s[m.per[2]]
    if a == nil or b == nil then return nil end
    local units = money.per(a, b, currency, m.per[3])
    if units == nil then return nil end
    return tonumber(units), nil, money.per(a, b, currency, m.per[3], { grouped = true }) .. " " .. currency
  end
  local v = m.get(s)
  if v == nil then return nil end
  if m.kind == "rate" then return v, nil, format.percent(v) end
  if m.kind == "ratio" then return v, nil, format.fixed(v, 2) end
  return v, nil, format.number(v)
end

-- Rows -> { sums, held (date set), any (part set) }: the parts summed, a
-- part a row leaves out counting 0 in it (Pinterest's own CSV zero-fills),
-- a part no row has missing.
local function summed(fn, rows, what)
  if rows == nil then rows = {} end
  if type(rows) ~= "table" then fail(fn, "%s must be a list of rows (ads analytics rows), got %s", what, show(rows)) end
  local sums, any, held = {}, {}, {}
  for _, p in ipairs(M.PARTS) do sums[p] = 0 end
  for i, row in ipairs(rows) do
    if type(row) ~= "table" then fail(fn, "%s[%d] must be a row (a table), got %s", what, i, show(row)) end
    for _, p in ipairs(M.PARTS) do
      local v = row[p]
      if v ~= nil then
        if type(v) ~= "number" or v ~= v then
          fail(fn, "%s[%d].%s must be a number, got %s", what, i, p, show(v))
        end
        sums[p] = sums[p] + v
        any[p] = true
      end
    end
    if type(row.DATE) == "string" then held[row.DATE:sub(1, 10)] = true end
  end
  for _, p in ipairs(M.PARTS) do if not any[p] then sums[p] = nil end end
  return sums, held, #rows
end

-- The period: { start_date, end_date, days, days_with_figures,
-- missing_days, missing_ranges } (coverage null without a range or days).
local function period_of(range, held, nrows, what)
  local p = { start_date = NULL, end_date = NULL, days = NULL, days_with_figures = NULL, missing_days = NULL,
    missing_ranges = NULL }
  if range == nil then return p end
  if type(range) ~= "table" or type(range.start_date) ~= "string" or type(range.end_date) ~= "string" then
    fail("overview", "%s must be a range (pa.dates.range(...) or { start_date, end_date }), got %s", what, show(range))
  end
  p.start_date, p.end_date = range.start_date, range.end_date
  local a, b = dates.parse(p.start_date), dates.parse(p.end_date)
  p.days = b - a + 1
  if next(held) == nil and nrows > 0 then return p end -- TOTAL rows: coverage unknown
  p.days_with_figures, p.missing_days, p.missing_ranges = 0, 0, list()
  local gap
  for n = a, b do
    local d = dates.format(n)
    if held[d] then
      p.days_with_figures = p.days_with_figures + 1
      gap = nil
    else
      p.missing_days = p.missing_days + 1
      if gap then gap.end_date, gap.days = d, gap.days + 1
      else
        gap = { start_date = d, end_date = d, days = 1 }
        p.missing_ranges[#p.missing_ranges + 1] = gap
      end
    end
  end
  return p
end

-- the dates held, with the days a store fetched without any row (no activity: figures of 0)
local function held_with(held, more)
  if type(more) ~= "table" then return held end
  for _, d in ipairs(more) do if type(d) == "string" then held[d] = true end end
  return held
end

local function check_currency(fn, opts)
  local c = opts.currency
  if type(c) ~= "string" or not c:match("^%u%u%u$") then
    fail(fn, "opts.currency must be the ad account's currency, an ISO 4217 code (\"USD\"; client:ad_account(id)" ..
      ".currency), got %s", show(c))
  end
  return c
end

local function check_opts(fn, opts)
  if type(opts) ~= "table" then fail(fn, "opts must be a table with at least currency, got %s", show(opts)) end
  for _, k in ipairs({ "title", "source", "ad_account_id", "account_name" }) do
    if opts[k] ~= nil and type(opts[k]) ~= "string" then fail(fn, "opts.%s must be a string, got %s", k, show(opts[k])) end
  end
  return opts
end

-- The days not final of a list (dates), sorted, as { date, fetched } rows.
local function not_final_of(fn, x)
  local out = list()
  if x == nil then return out end
  if type(x) ~= "table" then fail(fn, "opts.not_final must be a list of dates, got %s", show(x)) end
  for i, d in ipairs(x) do
    if type(d) == "string" then out[i] = { date = d, fetched = NULL }
    elseif type(d) == "table" and type(d.date) == "string" then
      out[i] = { date = d.date, fetched = d.fetched == nil and NULL or d.fetched }
    else fail(fn, "opts.not_final[%d] must be a date or { date, fetched }, got %s", i, show(d)) end
  end
  table.sort(out, function(p, q) return p.date < q.date end)
  return out
end

-- The days of a sorted list of { date } as ranges: "2026-11-08..2026-12-06, 2026-12-09"
local function ranges_text(days)
  local out, first, last = {}, nil, nil
  local function close()
    if first then out[#out + 1] = first == last and first or (first .. ".." .. last) end
  end
  for _, d in ipairs(days) do
    if last and dates.parse(d.date) == dates.parse(last) + 1 then last = d.date
    else close(); first, last = d.date, d.date end
  end
  close()
  return table.concat(out, ", ")
end

-- daily values of each metric over a period's days: { dates, values = { key = list } }
local function daily_of(rows, p, currency)
  if p.start_date == NULL then return nil end
  local by = {}
  for _, row in ipairs(rows or {}) do
    if type(row.DATE) == "string" then
      local d = row.DATE:sub(1, 10)
      local s = by[d]
      if not s then s = {}; by[d] = s end
      for _, part in ipairs(M.PARTS) do
        if type(row[part]) == "number" then s[part] = (s[part] or 0) + row[part] end
      end
    end
  end
  if next(by) == nil then return nil end
  local out = { dates = list(), values = {} }
  for _, m in ipairs(M.METRICS) do out.values[m.key] = list() end
  for n = dates.parse(p.start_date), dates.parse(p.end_date) do
    local d = dates.format(n)
    out.dates[#out.dates + 1] = d
    local s = by[d]
    for _, m in ipairs(M.METRICS) do
      local v = NULL
      if s then
        local fs = {}
        for _, part in ipairs(M.PARTS) do fs[part] = s[part] or 0 end
        local x = figure(m, fs, currency)
        if x ~= nil then v = x end
      end
      out.values[m.key][#out.values[m.key] + 1] = v
    end
  end
  return out
end

local function change_text(row)
  if row.kind == "rate" then return format.pp(row.change_pp) end
  return format.change(row.change)
end

--- The ads overview: each metric (`METRICS`) in the period and in the
-- previous one, its change (relative; a rate's in percentage points) and
-- the period's daily trend, the coverage of both periods.
-- @tparam {table,...} current rows of the period (DAY rows, with DATE, give the coverage and the charts;
-- TOTAL rows the figures alone), of any level (the account's, or its campaigns' added up)
-- @tparam ?{table,...} previous rows of the previous period (nil: none fetched, its figures missing)
-- @tab opts
-- @string opts.currency the ad account's currency ("USD": `client:ad_account(id).currency`)
-- @tparam[opt] pinanalytics.dates.Range opts.range the period asked for (its coverage is stated)
-- @tparam[opt] pinanalytics.dates.Range opts.previous_range the previous period (default `range:previous()`)
-- @string[opt] opts.ad_account_id
-- @string[opt] opts.account_name
-- @string[opt="Ads overview"] opts.title
-- @string[opt="Pinterest Ads"] opts.source
-- @tparam[opt] {string,...} opts.not_final days whose figures may still change (a store's: fetched before
-- the attribution window closed), stated in the report
-- @treturn table the report (`kind = "ads_overview"`), for `pinanalytics.report.render`
function M.overview(current, previous, opts)
  opts = check_opts("overview", opts)
  local currency = check_currency("overview", opts)
  local cs, ch, cn = summed("overview", current, "current")
  local ps, ph, pn = summed("overview", previous, "previous")
  local range = opts.range
  local prange = opts.previous_range
  if prange == nil and range ~= nil and dates.is_range(range) then prange = range:previous() end
  local r = {
    kind = "ads_overview", title = opts.title or "Ads overview", source = opts.source or "Pinterest Ads",
    ad_account_id = opts.ad_account_id or NULL, account_name = opts.account_name or NULL,
    currency = currency, decimals = money.decimals(currency),
    current = period_of(range, ch, cn, "opts.range"), previous = period_of(prange, ph, pn, "opts.previous_range"),
    metrics = list(), not_final = not_final_of("overview", opts.not_final),
  }
  r.not_final_text = ranges_text(r.not_final)
  local cur, prev = r.current, r.previous
  if type(cur.days) == "number" and type(prev.days) == "number" then
    r.periods_differ = cur.days ~= prev.days
  else
    r.periods_differ = NULL
  end
  r.coverage_differs = r.periods_differ == false and type(cur.days_with_figures) == "number" and
    type(prev.days_with_figures) == "number" and cur.days_with_figures ~= prev.days_with_figures
  -- a period without any row has no figures at all (not zeros)
  local cur_sums = cn > 0 and cs or {}
  local prev_sums = (previous ~= nil and pn > 0) and ps or {}
  for i, m in ipairs(M.METRICS) do
    local c, cmicro, ctext = figure(m, cur_sums, currency)
    local p, pmicro, ptext = figure(m, prev_sums, currency)
    local row = {
      key = m.key, metric = m.column, name = m.name, description = m.description, kind = m.kind,
      current = c == nil and NULL or c, previous = p == nil and NULL or p,
      current_text = ctext or format.MISSING, previous_text = ptext or format.MISSING,
      change = NULL, change_pp = NULL,
    }
    if m.micro then
      row.current_micro = cmicro == nil and NULL or cmicro
      row.previous_micro = pmicro == nil and NULL or pmicro
    end
    if c ~= nil and p ~= nil then
      if m.kind == "rate" then
        row.change_pp = (c - p) * 100
      end
      -- money compared on its exact micro-units
      local a, b = cmicro or c, pmicro or p
      if b ~= 0 then row.change = (a - b) / math.abs(b) * 100 end
    end
    row.change_text = change_text(row)
    r.metrics[i] = row
  end
  r.daily = NULL
  local dc = daily_of(current, cur, currency)
  if dc then
    r.daily = { current = dc, previous = daily_of(previous, prev, currency) or NULL }
    for _, row in ipairs(r.metrics) do
      row.spark = format.sparkline(dc.values[row.key], { n = #dc.dates })
    end
  end
  r.has_rates = true
  return r
end

--- A metric's key by its key or the API's column name ("spend",
-- "SPEND_IN_MICRO_DOLLAR", "ctr", "CTR", "roas", "CHECKOUT_ROAS", ...), or
-- nil for another name.
-- @string name
-- @treturn ?string
function M.metric_key(name)
  if type(name) ~= "string" then return nil end
  local m = BY_KEY[name] or BY_KEY[name:lower()] or BY_KEY[name:upper()]
  return m and m.key or nil
end

local function sort_names()
  local out = {}
  for _, m in ipairs(M.METRICS) do out[#out + 1] = m.key end
  return table.concat(out, ", ")
end

--- The campaigns ranking: each campaign's figures over the period (every
-- metric of `METRICS`, ratios from the campaign's own parts), ranked by one
-- of them, highest first (ties keep the order the campaigns were given in;
-- a campaign without figures last), and the total of all campaigns (its
-- ratios from the summed parts, never an average of the campaigns').
-- @tparam {table,...} rows CAMPAIGN rows (with CAMPAIGN_ID; DAY rows give each campaign's days)
-- @tab opts
-- @string opts.currency the ad account's currency
-- @tparam[opt] {table,...} opts.campaigns the campaigns (`list_campaigns`' items: id, name, status), in the
-- order ties keep; every one is ranked, one without rows with its figures missing (default: the ids of
-- the rows, in the order met)
-- @string[opt="spend"] opts.sort_by a metric's key or column ("spend", "ctr", "CPC_IN_MICRO_DOLLAR", ...)
-- @int[opt] opts.limit at most this many campaigns shown (the total is of them all)
-- @tparam[opt] pinanalytics.dates.Range opts.range the period (its coverage is stated)
-- @string[opt] opts.ad_account_id
-- @string[opt="Campaigns"] opts.title
-- @string[opt="Pinterest Ads"] opts.source
-- @tparam[opt] {string,...} opts.not_final as for `overview`
-- @tparam[opt] {string,...} opts.held the days fetched (a store's): a day without any campaign's row
-- among them had no activity, and counts as covered
-- @treturn table the report (`kind = "ads_campaigns"`)
function M.campaigns(rows, opts)
  opts = check_opts("campaigns", opts)
  local currency = check_currency("campaigns", opts)
  if type(rows) ~= "table" then fail("campaigns", "rows must be a list of CAMPAIGN rows, got %s", show(rows)) end
  local sort_by = opts.sort_by or "spend"
  local key = M.metric_key(sort_by)
  if not key then
    local near = columns.suggest(tostring(sort_by))
    fail("campaigns", "opts.sort_by %s is not a metric of the ranking (%s%s)", show(sort_by), sort_names(),
      near and M.metric_key(near) and ("; did you mean " .. M.metric_key(near) .. "?") or "")
  end
  local limit = opts.limit
  if limit ~= nil and (type(limit) ~= "number" or limit < 1 or limit ~= math.floor(limit)) then
    fail("campaigns", "opts.limit must be a whole number of at least 1, got %s", tostring(limit))
  end
  local order, info, by = {}, {}, {}
  if opts.campaigns ~= nil then
    if type(opts.campaigns) ~= "table" then fail("campaigns", "opts.campaigns must be a list, got %s", show(opts.campaigns)) end
    for i, c in ipairs(opts.campaigns) do
      if type(c) ~= "table" or c.id == nil then fail("campaigns", "opts.campaigns[%d] must be { id, name, status }", i) end
      local id = tostring(c.id)
      if not info[id] then order[#order + 1] = id; info[id] = c end
    end
  end
  for i, row in ipairs(rows) do
    if type(row) ~= "table" then fail("campaigns", "rows[%d] must be a row (a table), got %s", i, show(row)) end
    local id = row.CAMPAIGN_ID
    if id == nil then fail("campaigns", "rows[%d] has no CAMPAIGN_ID (rows of level CAMPAIGN)", i) end
    id = tostring(id)
    if not info[id] then order[#order + 1] = id; info[id] = { id = id, name = row.CAMPAIGN_NAME } end
    local l = by[id]
    if not l then l = {}; by[id] = l end
    l[#l + 1] = row
  end
  local all_held, total_rows = {}, 0
  local list_rows = {}
  local sort_metric = BY_KEY[key]
  local entries = {}
  for pos, id in ipairs(order) do
    local s, held, n = summed("campaigns", by[id] or {}, "rows")
    for d in pairs(held) do all_held[d] = true end
    total_rows = total_rows + n
    local e = { id = id, name = info[id].name or NULL, status = info[id].status or NULL, values = {}, texts = {},
      micro = {}, has_figures = n > 0, pos = pos }
    local days = 0
    for _ in pairs(held) do days = days + 1 end
    e.days_with_figures = n > 0 and next(held) ~= nil and days or NULL
    for _, m in ipairs(M.METRICS) do
      local v, micro, text
      if n > 0 then v, micro, text = figure(m, s, currency) end
      e.values[m.key] = v == nil and NULL or v
      e.texts[m.key] = text or format.MISSING
      if m.micro then e.micro[m.key] = micro == nil and NULL or micro end
    end
    -- the sort key: exact for money (micro-units; a price from its parts)
    local sv = e.values[key]
    if sort_metric.micro then sv = e.micro[key] end
    if sort_metric.per and n > 0 then
      -- a price by its exact parts, not its rounded text (0.414 and 0.412 both show 0.41)
      local a, b = s[sort_metric.per[1]], s[sort_metric.per[2]]
      sv = ratio(a and a * sort_metric.per[3], b)
    end
    e.sort_value = type(sv) == "number" and sv or nil
    entries[#entries + 1] = e
    list_rows[#list_rows + 1] = by[id]
  end
  table.sort(entries, function(a, b)
    local x, y = a.sort_value, b.sort_value
    if x ~= nil and y ~= nil and x ~= y then return x > y end
    if (x == nil) ~= (y == nil) then return x ~= nil end
    return a.pos < b.pos
  end)
  local r = {
    kind = "ads_campaigns", title = opts.title or "Campaigns", source = opts.source or "Pinterest Ads",
    ad_account_id = opts.ad_account_id or NULL, currency = currency, decimals = money.decimals(currency),
    sort_by = key, sort_name = sort_metric.name, sort_column = sort_metric.column,
    current = period_of(opts.range, held_with(all_held, opts.held), total_rows, "opts.range"),
    metrics = list(), campaigns = list(), not_final = not_final_of("campaigns", opts.not_final),
    count = #entries, without_figures = 0,
  }
  r.not_final_text = ranges_text(r.not_final)
  for _, m in ipairs(M.METRICS) do
    r.metrics[#r.metrics + 1] = { key = m.key, metric = m.column, name = m.name, kind = m.kind,
      description = m.description }
  end
  for i, e in ipairs(entries) do
    if not e.has_figures then r.without_figures = r.without_figures + 1 end
    if limit == nil or i <= limit then
      r.campaigns[#r.campaigns + 1] = { rank = i, id = e.id, name = e.name, status = e.status, values = e.values,
        texts = e.texts, micro = e.micro, days_with_figures = e.days_with_figures,
        note = e.has_figures and NULL or "no figures in the period" }
    end
  end
  r.shown = #r.campaigns
  -- the total of every campaign: parts summed, ratios from them
  local all = {}
  for _, l in ipairs(list_rows) do for _, row in ipairs(l) do all[#all + 1] = row end end
  local s, _, n = summed("campaigns", all, "rows")
  r.total = { values = {}, texts = {}, micro = {} }
  for _, m in ipairs(M.METRICS) do
    local v, micro, text
    if n > 0 then v, micro, text = figure(m, s, currency) end
    r.total.values[m.key] = v == nil and NULL or v
    r.total.texts[m.key] = text or format.MISSING
    if m.micro then r.total.micro[m.key] = micro == nil and NULL or micro end
  end
  return r
end

-- charts (html) -------------------------------------------------------------------

--- The report with its charts, for html (`pinanalytics.report.render` calls
-- it): an overview has a line chart a metric (the previous period dashed,
-- days without figures grey), a ranking a bar chart of its sort metric.
-- @tab r an `overview` or `campaigns` report
-- @tab[opt] opts render's opts (`charts = false`: none)
-- @treturn table a copy of r with `charts` and `bars`
function M.with_charts(r, opts)
  local svg = require "pinanalytics.svg"
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  out.charts, out.bars, out.bars_title = list(), NULL, NULL
  if opts and opts.charts == false then return out end
  local function fmt_of(m)
    return function(v)
      if m.kind == "money" then return format.number(v, r.decimals) .. " " .. r.currency end
      if m.kind == "ratio" then return format.fixed(v, 2) end
      return format.value(v, m.kind == "rate" and "rate" or "count")
    end
  end
  if r.kind == "ads_overview" and type(r.daily) == "table" then
    local cur, prev = r.daily.current, r.daily.previous
    local missing = {}
    for i = 1, #cur.dates do
      if cur.values.spend[i] == NULL then missing[i] = true end
    end
    for _, m in ipairs(r.metrics) do
      local series = { { name = "current period", values = cur.values[m.key], n = #cur.dates } }
      if type(prev) == "table" then
        series[2] = { name = "previous period", values = prev.values[m.key], n = #prev.dates, dashed = true }
      end
      out.charts[#out.charts + 1] = { metric = m.metric, svg = svg.line_chart { title = m.name .. (m.kind == "money"
        and (" (" .. r.currency .. ")") or ""), dates = cur.dates, series = series, missing = missing,
        format = fmt_of(m), kind = m.kind == "rate" and "rate" or "count" } }
    end
  elseif r.kind == "ads_campaigns" and #r.campaigns > 0 then
    local m = BY_KEY[r.sort_by]
    local bars = {}
    for i, c in ipairs(r.campaigns) do
      if i > 20 then break end
      local v = c.values[m.key]
      bars[i] = { label = type(c.name) == "string" and c.name or c.id, value = v, text = c.texts[m.key] }
    end
    out.bars_title = "Campaigns by " .. m.name:lower()
    out.bars = svg.bar_chart { title = out.bars_title, bars = bars, heading = false }
  end
  return out
end

--- The report kinds this module makes.
M.KINDS = { ads_overview = true, ads_campaigns = true }

return M
