--- Inline SVG charts for the HTML reports: a line chart of daily values and
-- a bar chart. The SVG is meant to sit inside an HTML page (no XML
-- namespace declaration, which HTML does not need): it refers to nothing
-- outside itself, so the page reads the same offline and on paper.
--
--   svg.line_chart{ title = "Impressions", dates = { "2026-10-01", ... },
--                   series = { { name = "2026-10-01 .. 2026-10-30", values = { 120, 98, ... } },
--                              { name = "previous period", values = { ... }, dashed = true } },
--                   not_ready = { [29] = "PROCESSING", [30] = "PROCESSING" },   -- by day index
--                   stale = { [3] = "not final when fetched ...; can no longer be refreshed" },
--                                          -- of the days not READY, those no sync can refresh
--                   missing = { [12] = true },                                  -- days without figures
--                   kind = "count",              -- or "rate", "duration": the y-axis' labels
--                   format = function(v) return string end,                     -- tooltips
--                   axis = function(v, step) return string end }   -- y-axis labels (default: tick_label)
--   svg.bar_chart{ title = "Top pins by impressions", heading = false (title for screen readers only),
--                  bars = { { label = "813744226420795884", value = 1234, text = "1,234" }, ... } }
--
-- A missing value (nil, NaN, JSON null, an infinity, a number beyond
-- +-1e300) breaks the line rather than dropping it to zero, and is no bar
-- ("-"); a day in `missing` (no figures held) is drawn as a grey band titled
-- "no figures". A day that is not READY is shaded, and its point is drawn
-- hollow with its status in the tooltip ("may still change",
-- or its `stale` note when no sync can refresh it).
--
-- The y-axis has 3 to 6 round ticks (a step of 1, 2, 2.5 or 5 times a power
-- of ten, whole for whole counts: `scale`), labelled as the report writes
-- numbers (`tick_label`: 10,000; 0.5 %). It starts at 0 unless the data's
-- range is less than a third of their largest value (26,044 .. 26,563
-- impressions a day): then it starts at the round number below the lowest
-- day, so that the day-to-day movement shows, and a break mark on the axis
-- says that it does not start at 0. A chart without a single figure has only
-- its 0 tick and a "no figures" note.
local format = require "pinanalytics.format"

local M = {}

local concat = table.concat

local ENT = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }
local function esc(s) return (format.clean(s):gsub("[&<>\"']", ENT)) end
--- Text for SVG inside HTML: & < > " ' as entities, control characters as
-- spaces, ill-formed UTF-8 repaired (`pinanalytics.format.clean`).
M.escape = esc

local function n(x) return string.format("%.1f", x) end

--- The series' colours, in order.
M.COLORS = { "#1f5fa8", "#8a8f98", "#c2571a", "#2e7d4f", "#7b3fa0" }
local NOT_READY_FILL = "#f3d9a4"
local MISSING_FILL = "#e6e6e6"

local function plain(v) return format.value(v) end

-- The axis starts at 0 unless the data's range is less than this share of
-- their largest magnitude.
local ZOOM = 1 / 3
-- A step is one of these times a power of ten.
local MANTISSAS = { 1, 2, 2.5, 5 }
local MAX_INTERVALS = 5
local floor, ceil, abs = math.floor, math.ceil, math.abs

local function finite(v)
  return type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge
end

-- a value a chart draws: a finite number below 1e300 (beyond it no figure is
-- meant, and its percent or its distance to another would overflow)
local function drawable(v)
  return finite(v) and v < 1e300 and v > -1e300
end

-- i * m * 10^k, exact where the decimal is (0.3, not 0.30000000000000004)
local function multiple(i, m, k)
  if k < 0 then return i * m / 10 ^ -k end
  return i * m * 10 ^ k
end

-- The finest round step that covers [a, b] (a < b) in at most MAX_INTERVALS
-- intervals: its mantissa and exponent and the first and last multiples.
local function round_step(a, b, integer)
  -- b / 2 - a / 2: the half span, which does not overflow
  local k = floor((math.log(b / 2 - a / 2) + math.log(2 / MAX_INTERVALS)) / math.log(10)) - 1
  if k ~= k or k < -300 then return nil end -- a span below what a decimal step can mark
  if integer and k < 0 then k = 0 end
  while k <= 308 do
    for _, m in ipairs(MANTISSAS) do
      if not (integer and m == 2.5 and k < 1) then
        local step = multiple(1, m, k)
        -- a bound within a hair of a multiple is that multiple (floating point)
        local i0 = floor(a / step + 1e-9)
        local i1 = ceil(b / step - 1e-9)
        if i1 - i0 <= MAX_INTERVALS then return m, k, i0, i1 end
      end
    end
    k = k + 1
  end
  return nil
end

--- The y-axis for data from `lo` to `hi`: 3 to 6 round ticks (a step of 1,
-- 2, 2.5 or 5 times a power of ten) from a round number at or below `lo` to
-- one at or above `hi`. The axis takes in 0 unless the data's range is less
-- than a third of their largest magnitude (26,044 .. 26,563): then it starts
-- at the round number below `lo` (ends above `hi` for negative data), so that
-- the movement shows. Equal values (or a range below a billionth of them, the
-- noise of floating point) get an axis from 0 to them; all zero, from 0 to
-- `opts.unit`. Data that no round step can mark (a span below 1e-300) get
-- the ticks `lo` and `hi`. No data (`lo` nil): only the tick 0, on an axis 0 .. 1.
-- @number[opt] lo the lowest value (finite), nil when there is none
-- @number[opt] hi the highest value (finite)
-- @tparam[opt] table opts `integer` (true: whole steps only, for counts),
-- `unit` (the top of an all-zero axis, default 1)
-- @treturn table `{ min, max, step, ticks = { lowest first }, zero = the axis takes in 0 }`
function M.scale(lo, hi, opts)
  opts = opts or {}
  if not finite(lo) or not finite(hi) then return { min = 0, max = 1, step = 1, ticks = { 0 }, zero = true } end
  if lo > hi then lo, hi = hi, lo end
  local integer = opts.integer and true or false
  local a, b = lo, hi
  if lo == hi then
    if lo > 0 then a = 0 elseif lo < 0 then b = 0 else b = opts.unit or 1 end
  elseif lo > 0 and ((hi - lo) >= hi * ZOOM or (hi - lo) < hi * 1e-9) then a = 0
  elseif hi < 0 and ((hi - lo) >= -lo * ZOOM or (hi - lo) < -lo * 1e-9) then b = 0
  end
  local m, k, i0, i1 = round_step(a, b, integer)
  local ticks = {}
  if m then
    -- at least 3 ticks: a whole step may cover the data in one interval (5 .. 6)
    if i1 - i0 < 2 then
      if i1 <= 0 and i0 < 0 then i0 = i0 - (2 - (i1 - i0)) else i1 = i1 + (2 - (i1 - i0)) end
    end
    for i = i0, i1 do ticks[#ticks + 1] = multiple(i, m, k) end
  end
  local min, max = ticks[1], ticks[#ticks]
  if not (finite(min) and finite(max)) then
    -- beyond what a double holds as round numbers (1e308, 1e-320): the bounds themselves
    return { min = a, max = b, step = b / 2 - a / 2, ticks = { a, b }, zero = a <= 0 and b >= 0 }
  end
  return { min = min, max = max, step = multiple(1, m, k), ticks = ticks, zero = min <= 0 and max >= 0 }
end

-- the decimals that show a multiple of `step` exactly (0.25 -> 2)
local function decimals_for(step)
  step = abs(step)
  for d = 0, 10 do
    local x = step * 10 ^ d
    if abs(x - floor(x + 0.5)) <= 1e-9 * x then return d end
  end
  return nil -- finer than format's 10 decimals
end

-- "1.50" -> "1.5", "2.00" -> "2"
local function trim(s)
  if not s:find(".", 1, true) then return s end
  return (s:gsub("0+$", ""):gsub("%.$", ""))
end

--- A y-axis label as the report writes numbers, with the decimals that a
-- tick `step` apart needs and no trailing zeros: a count (and a duration) with
-- thousands separators ("10,000", "2.5"), a rate (a fraction) as a percentage
-- ("0 %", "0.5 %", "1 %").
-- @number v the tick
-- @number step the distance between ticks
-- @string[opt="count"] kind "count", "rate" or "duration"
-- @treturn string
function M.tick_label(v, step, kind)
  if not finite(v) then return format.MISSING end
  local d = finite(step) and step ~= 0 and decimals_for(kind == "rate" and step * 100 or step)
  if not d then -- no round step (an axis from 0 to 1e-320): six significant digits
    return string.format("%.6g", kind == "rate" and v * 100 or v) .. (kind == "rate" and " %" or "")
  end
  if kind == "rate" then return trim(format.percent(v, d):sub(1, -3)) .. " %" end
  return trim(format.number(v, d))
end

--- A line chart (see the top of this file); returns the <svg> element.
function M.line_chart(o)
  local dates = o.dates or {}
  local count = #dates
  for _, s in ipairs(o.series or {}) do count = math.max(count, s.n or #s.values) end
  local W, H = o.width or 520, o.height or 210
  local fmt = o.format or plain
  -- the y-axis: round ticks around every series' finite values
  local lo, hi, whole = nil, nil, o.kind ~= "rate"
  for _, s in ipairs(o.series or {}) do
    for i = 1, s.n or #s.values do
      local v = s.values[i]
      if drawable(v) then
        if lo == nil or v < lo then lo = v end
        if hi == nil or v > hi then hi = v end
        if v ~= floor(v) then whole = false end
      end
    end
  end
  local sc = M.scale(lo, hi, { integer = whole, unit = o.kind == "rate" and 0.01 or 1 })
  local labels, widest = {}, 0
  for i, t in ipairs(sc.ticks) do
    labels[i] = o.axis and o.axis(t, sc.step) or M.tick_label(t, sc.step, o.kind)
    widest = math.max(widest, format.width(labels[i]))
  end
  -- room for the widest label at 11 px (6.5 px a character), and for a break mark
  local gap = sc.zero and 6 or 10
  local left, right, top, bottom = math.max(64, ceil(widest * 6.5) + 6 + gap), 12, 28, 40
  local pw, ph = W - left - right, H - top - bottom
  local function x(i)
    if count <= 1 then return left + pw / 2 end
    return left + (i - 1) * pw / (count - 1)
  end
  local function y(v) return top + ph - (v - sc.min) / (sc.max - sc.min) * ph end
  local step = count > 1 and pw / (count - 1) or pw

  local out = {}
  local function add(s) out[#out + 1] = s end
  add(string.format('<svg class="chart line" viewBox="0 0 %d %d" width="%d" height="%d" role="img" ' ..
    'preserveAspectRatio="xMidYMid meet">', W, H, W, H))
  add("<title>" .. esc(o.title or "chart") .. "</title>")
  if o.title then
    add(string.format('<text x="%d" y="16" class="chart-title" font-size="13" font-weight="bold" fill="#222">%s</text>',
      left, esc(o.title)))
  end
  -- days that are not READY: shaded bands
  for i = 1, count do
    local st = o.not_ready and o.not_ready[i]
    if st then
      local bx = math.max(left, x(i) - step / 2)
      local bw = math.min(left + pw, x(i) + step / 2) - bx
      add(string.format('<rect class="not-ready" x="%s" y="%d" width="%s" height="%d" fill="%s"><title>%s: %s</title></rect>',
        n(bx), top, n(math.max(bw, 1)), ph, NOT_READY_FILL, esc(dates[i] or ("day " .. i)),
        esc(st .. (o.stale and o.stale[i] and (", " .. o.stale[i]) or ""))))
    end
  end
  -- days without figures: grey bands
  for i = 1, count do
    if o.missing and o.missing[i] then
      local bx = math.max(left, x(i) - step / 2)
      local bw = math.min(left + pw, x(i) + step / 2) - bx
      add(string.format('<rect class="missing" x="%s" y="%d" width="%s" height="%d" fill="%s">' ..
        '<title>%s: no figures</title></rect>', n(bx), top, n(math.max(bw, 1)), ph, MISSING_FILL,
        esc(dates[i] or ("day " .. i))))
    end
  end
  -- y-axis and grid: a line and a label a tick
  for i, t in ipairs(sc.ticks) do
    local gy = y(t)
    add(string.format('<line class="grid" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd" stroke-width="1"/>', left,
      n(gy), left + pw, n(gy)))
    add(string.format('<text class="tick" x="%d" y="%s" font-size="11" text-anchor="end" fill="#555">%s</text>',
      left - gap, n(gy + 4), esc(labels[i])))
  end
  if lo == nil then
    add(string.format('<text class="no-figures" x="%s" y="%s" font-size="12" text-anchor="middle" fill="#555">' ..
      'no figures</text>', n(left + pw / 2), n(top + ph / 2)))
  end
  -- an axis that does not take in 0: a break mark at its end away from 0, under the lines
  if not sc.zero then
    local by = sc.min > 0 and top + ph or top
    local what = sc.min > 0 and ("starts at " .. labels[1]) or ("ends at " .. labels[#labels])
    add(string.format('<g class="axis-break"><title>the axis %s, not at 0</title>' ..
      '<polyline points="%d,%s %d,%s" fill="none" stroke="#555" stroke-width="1"/>' ..
      '<polyline points="%d,%s %d,%s" fill="none" stroke="#555" stroke-width="1"/></g>',
      esc(what), left - 7, n(by + 3), left - 3, n(by - 3), left - 2, n(by + 3), left + 2, n(by - 3)))
  end
  -- date labels: first, middle, last
  local seen = {}
  for _, i in ipairs({ 1, math.floor((count + 1) / 2), count }) do
    if i >= 1 and dates[i] and not seen[i] then
      seen[i] = true
      local anchor = (i == 1 and count > 1) and "start" or (i == count and count > 1) and "end" or "middle"
      add(string.format('<text x="%s" y="%d" font-size="11" text-anchor="%s" fill="#555">%s</text>', n(x(i)),
        top + ph + 16, anchor, esc(dates[i])))
    end
  end
  -- the series: a path broken where a value is missing, points with tooltips
  for k, s in ipairs(o.series or {}) do
    local color = s.color or M.COLORS[(k - 1) % #M.COLORS + 1]
    local d, pen = {}, false
    for i = 1, s.n or #s.values do
      local v = s.values[i]
      if not drawable(v) then
        pen = false
      else
        d[#d + 1] = (pen and "L" or "M") .. n(x(i)) .. " " .. n(y(v))
        pen = true
      end
    end
    if #d > 0 then
      add(string.format('<path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>', concat(d, " "), color,
        s.dashed and ' stroke-dasharray="5 4"' or ""))
    end
    if not s.dashed then
      for i = 1, s.n or #s.values do
        local v = s.values[i]
        if drawable(v) then
          local st = o.not_ready and o.not_ready[i]
          add(string.format('<circle cx="%s" cy="%s" r="%s" fill="%s" stroke="%s" stroke-width="1.5"%s>' ..
            '<title>%s: %s%s</title></circle>', n(x(i)), n(y(v)), st and "3.5" or "2.5", st and "#fff" or color, color,
            st and ' class="not-ready-point"' or "", esc(dates[i] or ("day " .. i)), esc(fmt(v)),
            st and esc(" (" .. st .. ", " .. (o.stale and o.stale[i] or "may still change") .. ")") or ""))
        end
      end
    end
  end
  -- legend
  local lx = left
  local ly = H - 8
  for k, s in ipairs(o.series or {}) do
    local color = s.color or M.COLORS[(k - 1) % #M.COLORS + 1]
    add(string.format('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>', lx, ly - 4, lx + 18,
      ly - 4, color, s.dashed and ' stroke-dasharray="5 4"' or ""))
    add(string.format('<text x="%d" y="%d" font-size="11" fill="#333">%s</text>', lx + 22, ly, esc(s.name or "")))
    lx = lx + 30 + 7 * format.width(s.name or "")
  end
  if o.not_ready and next(o.not_ready) then
    add(string.format('<rect x="%d" y="%d" width="14" height="10" fill="%s"/>', lx, ly - 9, NOT_READY_FILL))
    add(string.format('<text x="%d" y="%d" font-size="11" fill="#333">not READY yet</text>', lx + 18, ly))
  end
  if o.missing and next(o.missing) then
    lx = lx + ((o.not_ready and next(o.not_ready)) and 110 or 0)
    add(string.format('<rect x="%d" y="%d" width="14" height="10" fill="%s"/>', lx, ly - 9, MISSING_FILL))
    add(string.format('<text x="%d" y="%d" font-size="11" fill="#333">no figures</text>', lx + 18, ly))
  end
  add("</svg>")
  return concat(out, "\n")
end

--- A horizontal bar chart (see the top of this file); returns the <svg> element.
function M.bar_chart(o)
  local bars = o.bars or {}
  local W = o.width or 640
  local label_w, bar_h, gap = o.label_width or 180, 18, 6
  local top = (o.title and o.heading ~= false) and 26 or 4
  local H = top + #bars * (bar_h + gap) + 4
  local hi = 0
  for _, b in ipairs(bars) do
    if drawable(b.value) and b.value > hi then hi = b.value end
  end
  if hi <= 0 then hi = 1 end
  local room = W - label_w - 90
  local out = {}
  local function add(s) out[#out + 1] = s end
  add(string.format('<svg class="chart bar" viewBox="0 0 %d %d" width="%d" height="%d" role="img">', W, H, W, H))
  add("<title>" .. esc(o.title or "chart") .. "</title>")
  if o.title and o.heading ~= false then
    add(string.format('<text x="0" y="16" font-size="13" font-weight="bold" fill="#222">%s</text>', esc(o.title)))
  end
  for i, b in ipairs(bars) do
    local by = top + (i - 1) * (bar_h + gap)
    -- NaN and infinities are no figures: no bar, "-"
    local v = drawable(b.value) and b.value or 0
    local text = drawable(b.value) and (b.text or format.value(b.value)) or format.MISSING
    local bw = math.max(v / hi * room, v > 0 and 1 or 0)
    add(string.format('<text x="%d" y="%s" font-size="12" text-anchor="end" fill="#333">%s</text>', label_w - 8,
      n(by + bar_h - 5), esc(format.truncate(b.label or "", 28))))
    add(string.format('<rect x="%d" y="%d" width="%s" height="%d" fill="%s"><title>%s: %s</title></rect>', label_w, by,
      n(bw), bar_h, b.color or M.COLORS[1], esc(b.label or ""), esc(text)))
    add(string.format('<text x="%s" y="%s" font-size="12" fill="#333">%s</text>', n(label_w + bw + 6),
      n(by + bar_h - 5), esc(text)))
  end
  add("</svg>")
  return concat(out, "\n")
end

return M
