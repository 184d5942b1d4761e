-- Reports name pins as people know them: each pin's title (or the start of
-- its description when it has none), its board and a link to it, in every
-- report that lists pins (top pins, pins side by side, rankings, overview)
-- and every format; a pin whose metadata is not known is shown by id with a
-- note; html shows pictures only when asked. And the rankings say which
-- clicks they count, name their figures one way, and leave out what has no
-- value.
local cjson = require "cjson"
local pa = require "pinanalytics"
local pinmeta = require "pinanalytics.pinmeta"

local A, B, C, D = "813744226420795884", "729090764583391194", "100000000000000001", "100000000000000002"

-- The API's pins (GET /pins/{pin_id}): A with a title, B with a description
-- only, C with neither; D could not be fetched (404).
local PINS = {
  [A] = { id = A, title = "Lemon tart, the easy way", description = "A tart", board_id = "5001",
    link = "javascript:alert(1)",
    media = { media_type = "image", images = {
      ["150x150"] = { width = 150, height = 150, url = "https://i.pinimg.com/150x150/aa/lemon.jpg" } } } },
  [B] = { id = B, title = "", description = "Twelve ways to fold a napkin so that your guests remember the " ..
    "dinner for years to come, with pictures of each fold", board_id = "5002",
    media = { media_type = "image", images = { ["150x150"] = { url = "http://i.pinimg.com/150x150/bb/napkin.jpg" } } } },
  [C] = { id = C, board_id = "5009" },
}
local BOARDS = { ["5001"] = "Desserts", ["5002"] = "Table & <Home>" }

local function meta_of()
  local meta = {}
  for id, p in pairs(PINS) do meta[id] = pinmeta.from_pin(p, BOARDS) end
  meta[D] = { error = "not found (HTTP 404)" }
  return meta
end

local function day(date, m) return { date = date, data_status = "READY", metrics = m } end

-- results by pin id, one day each: A has the most impressions
local function results()
  local out = {}
  for i, id in ipairs({ A, B, C, D }) do
    local m = { IMPRESSION = 1000 - i * 100, SAVE = 10 * i, PIN_CLICK = i, OUTBOUND_CLICK = 2 * i,
      TOTAL_COMMENTS = 0, TOTAL_REACTIONS = 0 }
    out[id] = { all = { daily_metrics = { day("2026-10-01", m) }, summary_metrics = m } }
  end
  return out
end

local TOP = { sort_by = "IMPRESSION", pins = {
  { pin_id = A, metrics = { IMPRESSION = 900 }, data_status = { IMPRESSION = "READY" } },
  { pin_id = B, metrics = { IMPRESSION = 800 }, data_status = { IMPRESSION = "READY" } },
  { pin_id = D, metrics = { IMPRESSION = 700 }, data_status = { IMPRESSION = "READY" } },
} }

local FORMATS = { "text", "markdown", "csv", "json", "html" }

-- The reports that list pins, each made with the metadata.
local function reports()
  local meta = meta_of()
  local res = results()
  local cur = res[A]
  local ov = pa.report.overview(cur, cur, { pins = res, meta = meta, top = 4 })
  return {
    top = pa.report.top_pins(TOP, { meta = meta }),
    pins = pa.report.pins(res, { meta = meta }),
    rankings = pa.report.rankings(pa.report.post_performance(res, 4), { meta = meta }),
    overview = pa.report.model(ov),
  }
end

describe("pinanalytics.pinmeta", function()
  it("takes a pin's title, the start of its description, its board and an https picture", function()
    local m = pinmeta.from_pin(PINS[A], BOARDS)
    assert.same({ title = "Lemon tart, the easy way", description = "A tart", board_id = "5001",
      board_name = "Desserts", image_url = "https://i.pinimg.com/150x150/aa/lemon.jpg" }, m)
    local b = pinmeta.from_pin(PINS[B], BOARDS)
    assert.is_nil(b.title)
    assert.equal(pinmeta.DESCRIPTION_CHARS, require("pinanalytics.format").width(b.description))
    assert.equal("Twelve ways to fold a napkin", b.description:sub(1, 28))
    assert.equal("…", b.description:sub(-3))
    assert.is_nil(b.image_url) -- http: refused
    assert.equal("https://www.pinterest.com/pin/" .. A .. "/", pinmeta.url(A))
    assert.is_nil(pinmeta.url("12ab"))
    for _, bad in ipairs({ "javascript:alert(1)", "http://x.y/a.jpg", "https://x.y/a b.jpg", 'https://x.y/"><b>',
      "data:image/png;base64,AAAA", "//x.y/a.jpg", "https:/x.y", 42 }) do
      assert.is_nil(pinmeta.https(bad), tostring(bad))
    end
    assert.equal("https://i.pinimg.com/1.jpg?x=1&y=2", pinmeta.https("https://i.pinimg.com/1.jpg?x=1&y=2"))
    -- hostile text: cleaned (no control character, no bidirectional control)
    local h = pinmeta.from_pin({ title = "\27[2Jowned\r\226\128\174gpj.exe", board_id = "1" })
    assert.equal(" [2Jowned gpj.exe", " " .. h.title)
  end)
end)

describe("reports with what the pins are", function()
  it("show each pin's title (or its description's start), its board and its link, in every format", function()
    for name, r in pairs(reports()) do
      for _, fmt in ipairs(FORMATS) do
        -- (an overview's csv is its metrics alone: it lists no pins)
        if name == "overview" and fmt == "csv" then break end
        local out = pa.report.render(fmt, r)
        local function has(s) assert.truthy(out:find(s, 1, true), name .. " " .. fmt .. " lacks " .. s .. ":\n" .. out) end
        has("Lemon tart, the easy way")
        has("Twelve ways to fold a napkin")
        has("Desserts")
        if fmt == "html" then has("Table &amp; &lt;Home&gt;")
        elseif fmt == "markdown" then has("Table & \\<Home\\>")
        else has("Table & <Home>") end
        has("https://www.pinterest.com/pin/" .. A .. "/")
        -- the pin that could not be fetched: by id, with a note
        has("not found (HTTP 404)")
        -- never the API's own link in the report
        assert.is_nil(out:find("javascript:", 1, true), name .. " " .. fmt)
        if fmt == "html" then
          has('<a href="https://www.pinterest.com/pin/' .. A .. '/">' .. A .. "</a>")
          -- no picture unless asked: nothing the page would load
          assert.is_nil(out:find("<img", 1, true), name)
          assert.is_nil(out:find("img-src", 1, true), name)
        end
        if fmt == "markdown" then has("[" .. A .. "](https://www.pinterest.com/pin/" .. A .. "/)") end
      end
    end
  end)

  it("json: title, title_from, board, board_id, url and image per pin; a note for the pin not known", function()
    local r = cjson.decode(pa.report.render("json", reports().top))
    local a, b, d = r.pins[1], r.pins[2], r.pins[3]
    assert.same({ A, "Lemon tart, the easy way", "Desserts", "5001", "https://www.pinterest.com/pin/" .. A .. "/",
      "https://i.pinimg.com/150x150/aa/lemon.jpg" }, { a.id, a.title, a.board, a.board_id, a.url, a.image })
    assert.is_nil(a.note)
    assert.is_nil(a.title_from)
    assert.equal("description", b.title_from)
    assert.is_nil(b.image) -- its picture is http
    assert.equal(D, d.id)
    assert.equal("unknown: not found (HTTP 404)", d.note)
    assert.is_nil(d.title) -- no title: left out, the note says why
    -- a pin the metadata does not hold at all: not fetched, said so
    local r2 = pa.report.top_pins(TOP, { meta = { [A] = meta_of()[A] } })
    assert.equal("unknown: not fetched", r2.pins[2].note)
    -- a pin without title nor description: by id, said so
    local p = pa.report.pins(results(), { meta = meta_of() })
    for _, row in ipairs(p.pins) do
      if row.id == C then
        assert.equal("no title nor description", row.note)
        assert.equal("5009", row.board) -- no board name known: its id
      end
    end
  end)

  it("text: the title, board and link columns of a top pins report", function()
    local text = pa.report.render("text", reports().top)
    assert.truthy(text:find("\n#  pin                 title                                     board", 1, true), text)
    assert.truthy(text:find("\n1  " .. A .. "  Lemon tart, the easy way                  Desserts", 1, true), text)
    assert.truthy(text:find("(unknown: not found (HTTP 404))", 1, true), text)
  end)

  it("csv: the pin's board, link, picture and note in columns of their own", function()
    local csv = pa.report.render("csv", reports().top)
    local head = csv:match("^[^\n]*")
    assert.equal("rank,pin_id,title,date,status,IMPRESSION,days,days_with_figures,title_from,board,board_id,url," ..
      "image_url,note", head)
    assert.truthy(csv:find("\n1," .. A .. ",\"Lemon tart, the easy way\",,READY,900,,,title,Desserts,5001," ..
      "https://www.pinterest.com/pin/" .. A .. "/,https://i.pinimg.com/150x150/aa/lemon.jpg,\n", 1, true), csv)
    assert.truthy(csv:find("\n3," .. D .. ",,,READY,700,,,title,,,https://www.pinterest.com/pin/" .. D ..
      "/,,unknown: not found (HTTP 404)\n", 1, true), csv)
  end)

  it("html shows each pin's picture only with images = true, an https <img> a pin, the page allowing only those",
    function()
      for name, r in pairs(reports()) do
        local html = pa.report.render("html", r, { images = true })
        assert.truthy(html:find('<img src="https://i.pinimg.com/150x150/aa/lemon.jpg"', 1, true), name)
        assert.truthy(html:find("img-src https:", 1, true), name)
        local n = 0
        for src in html:gmatch('<img src="([^"]*)"') do
          n = n + 1
          assert.equal("https://i.pinimg.com/150x150/aa/lemon.jpg", src) -- B's picture is http: none for it
        end
        assert.truthy(n >= 1, name)
        assert.is_nil(html:find("napkin.jpg", 1, true), name)
        -- other formats have no pictures, asked or not
        assert.is_nil(pa.report.render("markdown", r, { images = true }):find("<img", 1, true))
      end
    end)

  it("reports without metadata are as before: no title, board or link columns", function()
    local r = pa.report.top_pins(TOP)
    local text = pa.report.render("text", r)
    assert.is_nil(text:find("board", 1, true))
    assert.is_nil(text:find("pinterest.com", 1, true))
    assert.is_nil(pa.report.render("csv", r):find("board", 1, true))
  end)

  it("hostile titles and board names are cleaned and escaped in every format", function()
    local evil = "\27[31m<script>alert(1)</script>\r=cmd|' /C calc'!A0"
    local meta = { [A] = pinmeta.from_pin({ id = A, title = evil, board_id = "1",
      media = { images = { ["150x150"] = { url = "https://x.y/\"onerror=\"alert(1)" } } } }, { ["1"] = evil }) }
    local r = pa.report.top_pins({ sort_by = "IMPRESSION", pins = { TOP.pins[1] } }, { meta = meta })
    for _, fmt in ipairs(FORMATS) do
      local out = pa.report.render(fmt, r, { images = true })
      assert.is_nil(out:find("\27", 1, true), fmt)
      assert.is_nil(out:find("\r", 1, true), fmt)
      if fmt == "html" or fmt == "markdown" then assert.is_nil(out:find("<script>", 1, true), fmt) end
      assert.is_nil(out:find("onerror", 1, true), fmt) -- not an https URL: no picture at all
      if fmt == "csv" then assert.is_nil(out:find(",=cmd", 1, true)) end
    end
  end)
end)

describe("rankings say what they count", function()
  it("the clicks are pin and outbound clicks; the figures are engagements beside impressions", function()
    local r = reports().rankings
    local clicked
    for _, g in ipairs(r.rankings) do if g.key == "most_clicked" then clicked = g end end
    assert.equal("pin and outbound clicks", clicked.measure)
    local text = pa.report.render("text", r)
    assert.truthy(text:find("12 pin and outbound clicks", 1, true), text)
    local j = cjson.decode(pa.report.render("json", r))
    local row = j.rankings[1].pins[1]
    assert.equal(row.saves + row.pin_clicks + row.outbound_clicks, row.engagements)
    assert.is_nil(row.engagement)
    for _, k in ipairs({ "impressions", "saves", "pin_clicks", "outbound_clicks", "engagements" }) do
      assert.equal("number", type(row[k]), k)
    end
    local pp = pa.report.post_performance(results(), 1)
    assert.equal(pp.most_engaging[1].value, pp.most_engaging[1].stats.engagements)
    assert.is_nil(pp.most_engaging[1].stats.engagement)
  end)

  it("OneUp's rankings keep OneUp's clicks; its engagement stat still ranks", function()
    local pp = { most_clicked = { { id = "p1", stats = { clicks = 7, engagement = 9 } } },
      most_engaging = { { id = "p1", stats = { clicks = 7, engagement = 9 } } } }
    local r = pa.report.rankings(pp, { source = "OneUp" })
    assert.equal("clicks", r.rankings[2].measure)
    assert.equal(7, r.rankings[2].pins[1].value)
    assert.equal(9, r.rankings[1].pins[1].engagements)
  end)

  it("OneUp's repinned rankings count its repins and say so; a ranking without figures says why", function()
    local post = function(id, repins, saves) return { id = id, stats = { impressions = 100, saves = saves, repins = repins } } end
    local pp = { most_repinned = { post("p1", 50, 697), post("p2", 44, 12) },
      most_engaging = { post("p1", 50, 697), post("p2", 44, 12) } }
    local r = pa.report.rankings(pp, { source = "OneUp" })
    local by = {}
    for _, g in ipairs(r.rankings) do by[g.key] = g end
    assert.same({ "Most repinned", "repins", 50, 44 }, { by.most_repinned.title, by.most_repinned.measure,
      by.most_repinned.pins[1].value, by.most_repinned.pins[2].value })
    assert.is_nil(by.most_repinned.note)
    assert.equal("OneUp ranks these by engagements without giving the figures", by.most_engaging.note)
    local text = pa.report.render("text", r)
    assert.truthy(text:find("Most repinned%s+1%s+p1%s+50 repins"), text)
    assert.truthy(text:find("Most engaging: OneUp ranks these by engagements without giving the figures.", 1, true), text)
    assert.truthy(pa.report.render("markdown", r):find("- Most engaging: OneUp ranks these by engagements", 1, true))
    assert.truthy(pa.report.render("html", r):find('<p class="note">Most engaging: OneUp ranks these', 1, true))
    local j = cjson.decode(pa.report.render("json", r))
    local eng = j.rankings[1].key == "most_engaging" and j.rankings[1] or j.rankings[2]
    assert.equal(cjson.null, eng.pins[1].value) -- a figure: null, and the note says why
    assert.equal("OneUp ranks these by engagements without giving the figures", eng.note)
    -- Pinterest's rankings by saves keep their name
    local own = pa.report.rankings({ most_repinned = { { id = "9", value = 3, stats = { saves = 3 } } } })
    assert.same({ "Most saved", "saves" }, { own.rankings[1].title, own.rankings[1].measure })
  end)

  it("json leaves out a field without a value, but keeps a missing figure as null", function()
    local res = results()
    local j = cjson.decode(pa.report.render("json", pa.report.overview(res[A], res[B])))
    for _, m in ipairs(j.metrics) do
      local keys = {}
      for k in pairs(m) do keys[k] = true end
      assert.is_true(keys.current and keys.previous and keys.change and true or false, m.metric)
      if m.kind ~= "rate" then assert.is_nil(keys.change_pp, m.metric) end -- a count has no change in pp
    end
    -- a rate keeps its change_pp
    local function answer(imp, saves)
      local m = { IMPRESSION = imp, SAVE = saves, SAVE_RATE = saves / imp }
      return { all = { daily_metrics = { day("2026-10-01", m) }, summary_metrics = m } }
    end
    local rates = cjson.decode(pa.report.render("json", pa.report.overview(answer(1000, 50), answer(1000, 40))))
    local any = false
    for _, m in ipairs(rates.metrics) do
      if m.kind == "rate" then any = true; assert.near(1, m.change_pp, 1e-9, m.metric) end
    end
    assert.is_true(any)
    -- nowhere else a null: a walk of the whole report
    local function walk(v, path, under_values)
      if v == cjson.null then
        local key = path:match("%.([%w_]+)$")
        assert.is_true(under_values or key == "current" or key == "previous" or key == "change" or
          key == "change_pp" or key == "total" or key == "value", path)
      elseif type(v) == "table" then
        for k, x in pairs(v) do walk(x, path .. "." .. tostring(k), under_values or k == "values") end
      end
    end
    walk(j, "$", false)
    walk(cjson.decode(pa.report.render("json", reports().top)), "$", false)
  end)

  it("an overview without followers leaves total_followers out; OneUp's are shown", function()
    local res = results()
    local j = cjson.decode(pa.report.render("json", pa.report.overview(res[A], res[B])))
    assert.is_nil(j.total_followers)
    local seen = false
    for k in pairs(j) do if k == "total_followers" then seen = true end end
    assert.is_false(seen)
    local one = pa.report.overview({ metrics = { { key = "impressions", name = "Impressions", value_current_period = 1,
      value_last_period = 1, percentage_change = "0%" } }, total_followers = 3200 })
    assert.equal(3200, cjson.decode(pa.report.render("json", one)).total_followers)
  end)
end)
