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
--                   format = function(v) return string end,                     -- tooltips
--                   axis = function(v) return string end }                      -- axis (default: format)
--   svg.bar_chart{ title = "Top pins by impressions", heading = false (title for screen readers only),
--                  bars = { { label = "813744226420795884", value = 1234, text = "1,234" }, ... } }
--
-- A missing value (nil, NaN, JSON null) breaks the line rather than
-- dropping it to zero; a day in `missing` (no figures held) is drawn as a
-- grey band titled "no figures". A day that is not READY is shaded, and its
-- point is drawn hollow with its status in the tooltip ("may still change",
-- or its `stale` note when no sync can refresh it).
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

--- A line chart (see the top of this file); returns the <svg> element.
function M.line_chart(o)
  local dates = o.dates or {}
  local count = #dates
  for _, s in ipairs(o.series or {}) do count = math.max(count, s.n or #s.values) end
  local W, H = o.width or 520, o.height or 210
  local left, right, top, bottom = 64, 12, 28, 40
  local pw, ph = W - left - right, H - top - bottom
  local fmt = o.format or plain
  local axis = o.axis or fmt
  local hi = 0
  for _, s in ipairs(o.series or {}) do
    for i = 1, s.n or #s.values do
      local v = s.values[i]
      if not format.is_missing(v) and v > hi then hi = v end
    end
  end
  if hi <= 0 then hi = 1 end
  local function x(i)
    if count <= 1 then return left + pw / 2 end
    return left + (i - 1) * pw / (count - 1)
  end
  local function y(v) return top + ph - (v / hi) * ph end
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
  -- axis and grid: 0, half, top
  for k = 0, 2 do
    local v = hi * k / 2
    local gy = y(v)
    add(string.format('<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#ddd" stroke-width="1"/>', left, n(gy),
      left + pw, n(gy)))
    add(string.format('<text x="%d" y="%s" font-size="11" text-anchor="end" fill="#555">%s</text>', left - 6,
      n(gy + 4), esc(axis(v))))
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
      if format.is_missing(v) then
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
        if not format.is_missing(v) then
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
    if not format.is_missing(b.value) and b.value > hi then hi = b.value end
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
    local v = format.is_missing(b.value) and 0 or b.value
    local bw = math.max(v / hi * room, v > 0 and 1 or 0)
    add(string.format('<text x="%d" y="%s" font-size="12" text-anchor="end" fill="#333">%s</text>', label_w - 8,
      n(by + bar_h - 5), esc(format.truncate(b.label or "", 28))))
    add(string.format('<rect x="%d" y="%d" width="%s" height="%d" fill="%s"><title>%s: %s</title></rect>', label_w, by,
      n(bw), bar_h, b.color or M.COLORS[1], esc(b.label or ""), esc(b.text or format.value(b.value))))
    add(string.format('<text x="%s" y="%s" font-size="12" fill="#333">%s</text>', n(label_w + bw + 6),
      n(by + bar_h - 5), esc(b.text or format.value(b.value))))
  end
  add("</svg>")
  return concat(out, "\n")
end

return M
