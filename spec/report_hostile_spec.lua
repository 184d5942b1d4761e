-- Hostile text from the API through every report and every format: markup,
-- control bytes (ESC, CR, C1), invalid UTF-8, 100 KB strings, formulas.
-- A terminal is sent no control sequence, a page no markup, a spreadsheet no
-- formula; json is always valid JSON; a long string is cut in a table cell
-- of text and markdown, kept whole in json and csv.
local cjson = require "cjson"
local pa = require "pinanalytics"
local format = require "pinanalytics.format"
local template = require "pinanalytics.template"

local ESC = "\27[2J\27]0;owned\7\27[31m"
local CR = "safe\rEVIL"
local C1 = "\194\155" .. "31m\194\157"    -- CSI and OSC as UTF-8 C1 controls
local BAD = "caf\233 \255\254 \226\130"   -- Latin-1, stray bytes, a cut sequence
local LONG = string.rep("A", 100000)
local FORMULA = '=HYPERLINK("http://x","y")'
local MARKUP = '<script>alert(1)</script></svg><b>"\' onmouseover="x"'
-- every Unicode bidirectional control: RLO ... PDF reorders what a terminal
-- shows (U+202E, U+202C), the isolates (U+2066..U+2069), the embeddings and
-- the other overrides (U+202A, U+202B, U+202D), the marks (U+200E, U+200F, U+061C)
local BIDI = "\226\128\174evil.exe\226\128\172 \226\129\166x\226\129\169 \226\129\167y\226\129\168 " ..
  "\226\128\142\226\128\143\216\156\226\128\170\226\128\171\226\128\173z"
local ALL = { ESC, CR, C1, BAD, LONG, FORMULA, MARKUP, " \t=1+1", "@SUM(A1)", "+cmd", "-2+3", BIDI }

-- The first bidirectional control in s (its position), or nil.
local function bidi_at(s)
  return s:find("\226\128[\142\143\170-\174]") or s:find("\226\129[\166-\169]") or s:find("\216\156")
end

-- Is s valid UTF-8 (Lua 5.1 has no utf8 library)?
local function valid_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len, min
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
    elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
    elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
    else return false, i end
    if len > 1 then
      local cp = c % (2 ^ (7 - len))
      for k = 1, len - 1 do
        local b = s:byte(i + k)
        if not b or b < 0x80 or b > 0xBF then return false, i end
        cp = cp * 64 + b % 64
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false, i end
    end
    i = i + len
  end
  return true
end

-- The reports, each fed the hostile strings where the API puts text.
local function reports()
  local out = {}
  -- OneUp posts: titles and ids
  local posts = {}
  for i, s in ipairs(ALL) do
    posts[i] = { id = s, text = s, timestamp = "2026-10-0" .. (i % 9 + 1) .. " 10:00:00",
      stats = { impressions = 100 * i, saves = i } }
  end
  out.posts = pa.report.top_pins(posts, { limit = 100 })
  -- a top_pins answer: ids, a metric's name, a status
  local pins = {}
  for i, s in ipairs(ALL) do
    pins[i] = { pin_id = s, metrics = { IMPRESSION = 10 * i, SAVE = i, [s] = i }, data_status = { IMPRESSION = s } }
  end
  out.top = pa.report.top_pins({ sort_by = "IMPRESSION", pins = pins }, { sort_by = "SAVE" })
  -- a daily answer: a status and a metric's name
  local daily = {}
  for i, s in ipairs(ALL) do
    daily[i] = { date = string.format("2026-10-%02d", i), data_status = s, metrics = { IMPRESSION = i, [s] = i } }
  end
  out.daily = pa.report.daily({ all = { daily_metrics = daily } })
  out.pin = pa.report.pin({ all = { daily_metrics = daily } }, { pin_id = MARKUP })
  -- OneUp's overview: names, descriptions, ranked ids
  local metrics, ranked = {}, {}
  for i, s in ipairs(ALL) do
    metrics[i] = { key = s, name = s, description = s, value_current_period = i, value_last_period = 1,
      percentage_change = "+10.0%" }
    ranked[i] = { id = s, stats = { impressions = i, engagement = i } }
  end
  out.overview = pa.report.model({ metrics = metrics, post_performance = { most_engaging = ranked,
    most_views = ranked } })
  out.rankings = pa.report.rankings({ most_engaging = ranked })
  return out
end

local REPORTS = reports()
local FORMATS = { "text", "markdown", "csv", "json", "html" }

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]*") do t[#t + 1] = l end
  return t
end

describe("hostile text from the API through every report format", function()
  for name, r in pairs(REPORTS) do
    for _, fmt in ipairs(FORMATS) do
      it(name .. " as " .. fmt, function()
        local s = pa.report.render(fmt, r)
        -- no control byte but the line break; no C1 control; valid UTF-8
        local bad = s:find("[%z\1-\9\11-\31\127]")
        assert.is_nil(bad, bad and string.format("%s: byte %d at %d: %q", fmt, s:byte(bad), bad,
          s:sub(math.max(1, bad - 30), bad + 30)))
        assert.is_nil(s:find("\194[\128-\159]"), fmt)
        -- no bidirectional control (json escapes them): a terminal shows the text in its order
        local b = bidi_at(s)
        assert.is_nil(b, b and string.format("%s: a bidirectional control at %d: %q", fmt, b, s:sub(b - 20, b + 20)))
        assert.truthy(valid_utf8(s), fmt)
        assert.is_nil(s:find("EVIL", 1, true) and s:find("\r", 1, true))
        if fmt == "json" then
          local ok, v = pcall(cjson.decode, s)
          assert.truthy(ok, v)
          assert.equal("table", type(v))
        end
        if fmt == "html" then
          assert.is_nil(s:find("<script", 1, true))
          assert.is_nil(s:find("</svg><b>", 1, true))
          assert.is_nil(s:find('" onmouseover=', 1, true))
          assert.is_nil(s:find("<b>", 1, true))
        end
        if fmt == "csv" then
          -- no field a spreadsheet takes for a formula
          assert.is_nil(s:find('[,\n]"?%s*[=+@]'), s:sub(1, 400))
          assert.is_nil(s:find('^"?%s*[=+@]'))
          assert.is_nil(s:find('[,\n]"?%s*%-%d+%+'))
        end
        if fmt == "text" or fmt == "markdown" then
          -- a 100 KB string is cut in a table cell, with an ellipsis
          local longest = 0
          for _, l in ipairs(lines(s)) do longest = math.max(longest, #l) end
          assert.truthy(longest < 4000, fmt .. ": a line of " .. longest .. " bytes")
        end
        if fmt == "markdown" then
          assert.is_nil(s:find("[^\\]<"))  -- "\\<script" shows as text
        end
      end)
    end
  end

  it("keeps a long string whole in json and csv, and cuts it with an ellipsis in text and markdown", function()
    local j = cjson.decode(pa.report.render("json", REPORTS.posts))
    local found
    for _, p in ipairs(j.pins) do if p.title == LONG then found = true end end
    assert.truthy(found)
    assert.truthy(pa.report.render("csv", REPORTS.posts):find(LONG, 1, true))
    assert.truthy(pa.report.render("text", REPORTS.posts):find(string.rep("A", 39) .. "…", 1, true))
    assert.truthy(pa.report.render("markdown", REPORTS.posts):find(string.rep("A", 20) .. "…", 1, true))
  end)

  it("repairs invalid UTF-8 with U+FFFD and keeps the rest of the text", function()
    local j = cjson.decode(pa.report.render("json", REPORTS.posts))
    local titles = {}
    for _, p in ipairs(j.pins) do titles[p.title] = true end
    assert.truthy(titles["caf\239\191\189 \239\191\189\239\191\189 \239\191\189"])
    assert.truthy(pa.report.render("text", REPORTS.posts):find("caf\239\191\189", 1, true))
    -- json escapes control characters: the text comes back whole
    assert.truthy(titles[ESC])
    assert.truthy(titles[CR])
    assert.truthy(titles[C1])
    assert.truthy(titles[BIDI])
  end)

  it("takes out the bidirectional controls where it takes out control bytes, and escapes them in json", function()
    local shown = "evil.exe x y z"
    assert.equal(shown, format.clean(BIDI))
    assert.equal("مرحبا " .. shown, format.clean("مرحبا " .. BIDI, "\n"))
    for _, f in ipairs({ "text", "markdown", "csv", "html" }) do
      assert.equal(shown, template.escaper(f)(BIDI), f)
    end
    -- json keeps the text whole, each control as a \u escape
    local j = template.escaper("json")(BIDI)
    assert.is_nil(bidi_at(j))
    assert.truthy(j:find("\\u202e", 1, true), j)
    assert.truthy(j:find("\\u061c", 1, true), j)
    assert.equal(BIDI, cjson.decode(j))
    local text = pa.report.render("text", REPORTS.posts)
    assert.truthy(text:find("evil.exe x y z", 1, true))
    -- the characters next to them are kept: é, the replacement character, other punctuation of U+20xx
    assert.equal("é\226\128\148\226\128\166\226\129\170", format.clean("é\226\128\148\226\128\166\226\129\170"))
  end)

  it("keeps csv's formula guard, and quotes a line break rather than dropping it", function()
    local csv = pa.report.render("csv", REPORTS.posts)
    assert.truthy(csv:find(",'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",", 1, true) or
      csv:find(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",", 1, true), csv:sub(1, 600))
    assert.truthy(csv:find(",'@SUM(A1),", 1, true))
    assert.truthy(csv:find(",'  =1+1,'  =1+1,", 1, true), csv:sub(1, 600))
    assert.equal("a\nb", select(1, template.escaper("csv")("a\nb")):match('^"(.*)"$'))
    assert.equal("safe EVIL", template.escaper("csv")(CR))
  end)

  it("the escapers of the template language: controls and bad bytes out in every format", function()
    local s = ESC .. CR .. C1 .. BAD
    for _, f in ipairs({ "text", "markdown", "csv", "html" }) do
      local e = template.escaper(f)(s)
      assert.is_nil(e:find("[%z\1-\9\11-\31\127]"), f)
      assert.is_nil(e:find("\194[\128-\159]"), f)
      assert.truthy(valid_utf8(e), f)
    end
    local j = template.escaper("json")(s)
    assert.truthy(valid_utf8(j))
    assert.is_nil(j:find("[%z\1-\31\127]"))
    assert.is_nil(j:find("\194[\128-\159]"))
    assert.equal("caf\239\191\189 \239\191\189\239\191\189 \239\191\189", cjson.decode(j):sub(-17))
  end)

  it("svg: a chart's labels and titles are text, never markup", function()
    local svg = require "pinanalytics.svg"
    local out = svg.bar_chart { title = MARKUP .. ESC, bars = { { label = MARKUP .. BAD, value = 1, text = C1 } } }
    assert.is_nil(out:find("<script", 1, true))
    assert.is_nil(out:find("</svg><", 1, true))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
    assert.truthy(valid_utf8(out))
    out = svg.line_chart { title = MARKUP, dates = { "2026-10-01" }, series = { { name = MARKUP .. BAD, values = { 1 } } },
      not_ready = { ESC } }
    assert.is_nil(out:find("<script", 1, true))
    assert.is_nil(out:find("[%z\1-\9\11-\31\127]"))
    assert.truthy(valid_utf8(out))
  end)

  it("format.clean repairs UTF-8 and takes out control characters, fast on 100 KB", function()
    assert.equal("caf\239\191\189", format.clean("caf\233"))
    assert.equal("a b", format.clean("a\27b"))
    assert.equal("a b", format.clean("a\194\155b"))
    assert.equal("a\nb c", format.clean("a\nb\rc", "\n"))
    assert.equal("\240\159\152\128 é", format.clean("\240\159\152\128 é"))
    assert.equal(string.rep("\239\191\189", 3), format.clean("\237\160\128")) -- a surrogate: not UTF-8
    local big = string.rep("é\27", 50000)
    assert.equal(string.rep("é ", 50000), format.clean(big))
  end)
end)
