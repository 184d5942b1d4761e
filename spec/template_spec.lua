-- The template language of the reports, and the number, date and sparkline
-- presentation it shares with them.
local template = require "pinanalytics.template"
local format = require "pinanalytics.format"
local core = require "pinanalytics.core"

local function render(src, data, opts) return template.render(src, data, opts) end

local function fails(want, src, data, opts)
  local ok, err = pcall(render, src, data, opts)
  assert.is_false(ok, "expected an error: " .. want)
  assert.equal(want, err)
end

describe("format", function()
  it("groups thousands and fixes decimals, rounding half away from zero", function()
    assert.equal("1,234,567", format.number(1234567))
    assert.equal("999", format.number(999))
    assert.equal("-1,000", format.number(-1000))
    assert.equal("1,234.50", format.number(1234.5, 2))
    assert.equal("2.3", format.number(2.25, 1))
    assert.equal("-3.5", format.number(-3.45, 1))
    assert.equal("0", format.number(-0.4))
    assert.equal("3.14", format.fixed(3.14159))
    assert.equal("1234.6", format.fixed(1234.56, 1))
  end)

  it("shows a rate as a percentage, a relative change with its sign, a rate's change in pp", function()
    assert.equal("5.92 %", format.percent(0.0592))
    assert.equal("5.9 %", format.percent(0.0592, 1))
    assert.equal("100.00 %", format.percent(1))
    assert.equal("+18.4 %", format.change(18.42))
    assert.equal("-15.0 %", format.change(-15))
    assert.equal("0.0 %", format.change(-0.04))
    assert.equal("+1,250.0 %", format.change(1250))
    assert.equal("+0.13 pp", format.pp(0.13))
    assert.equal("-0.05 pp", format.pp(-0.0521))
    assert.equal("0.00 pp", format.pp(0.001))
    assert.equal("+1,200", format.signed(1200))
    assert.equal("-3", format.signed(-3))
    assert.equal("0", format.signed(0))
  end)

  it("formats a value by its kind", function()
    assert.equal("75,000", format.value(75000, "count"))
    assert.equal("12.35", format.value(12.345, "count"))
    assert.equal("5.92 %", format.value(0.0592, "rate"))
    assert.equal("1,234 ms", format.value(1234, "duration"))
  end)

  it("shows a missing value as a dash and writes data numbers plainly", function()
    for _, v in ipairs({ 0 / 0, core.null }) do
      assert.equal("-", format.number(v))
      assert.equal("-", format.percent(v))
      assert.equal("-", format.pp(v))
      assert.equal("", format.plain(v))
    end
    assert.equal("-", format.value(nil, "rate"))
    assert.equal("75000", format.plain(75000))
    assert.equal("75000", format.plain(75000.0))
    assert.equal("0.0592", format.plain(0.0592))
    assert.equal("0.333333333333333", format.plain(1 / 3))
  end)

  it("formats dates", function()
    assert.equal("2026-10-08", format.date("2026-10-08"))
    assert.equal("Thu 08 Oct 2026", format.date("2026-10-08", "%a %d %b %Y"))
    assert.equal("Sunday 1 March 2026", format.date("2026-03-01T10:00:00", "%A %e %B %Y"))
    assert.equal("100%", format.date("2026-03-01", "100%%"))
    assert.has_error(function() format.date("10/08/2026") end)
  end)

  it("pads and cuts by display columns, not bytes", function()
    assert.equal(3, format.width("▁▂x"))
    assert.equal("▁▂  ", format.pad("▁▂", 4))
    assert.equal("  é", format.lpad("é", 3))
    assert.equal("abcd…", format.truncate("abcdefgh", 5))
    assert.equal("abc", format.truncate("abc", 5))
  end)
end)

describe("sparkline", function()
  it("scales a series from its lowest (▁) to its highest (█) value", function()
    assert.equal("▁▂▃▄▅▆▇█", format.sparkline({ 1, 2, 3, 4, 5, 6, 7, 8 }))
    assert.equal("▁█▁█", format.sparkline({ 0, 10, 0, 10 }))
    assert.equal("▁▅█", format.sparkline({ 100, 160, 200 }))
  end)

  it("shows a day without a value as a middle dot (no terminal trims it), or what opts.missing says", function()
    assert.equal("▁·█", format.sparkline({ 1, core.null, 3 }))
    assert.equal("▁ █", format.sparkline({ 1, 0 / 0, 3 }, { missing = " " }))
    assert.equal("▁█··", format.sparkline({ 1, 3 }, { n = 4 }))
    assert.equal("··", format.sparkline({ core.null, core.null }))
    assert.equal("", format.sparkline({}))
  end)

  it("draws a flat series at mid height, all ▁ when it is all zero", function()
    assert.equal("▄▄▄", format.sparkline({ 5, 5, 5 }))
    assert.equal("▁▁", format.sparkline({ 0, 0 }))
  end)

  it("refuses what is not a list of numbers", function()
    assert.has_error(function() format.sparkline("1,2") end)
    assert.has_error(function() format.sparkline({ 1, "x" }) end)
  end)
end)

describe("template", function()
  it("outputs dotted paths, list indexes and computed indexes", function()
    local data = { pin = { title = "Cake", stats = { saves = 3 } }, list = { "a", "b" }, k = "saves", i = 2 }
    assert.equal("Cake 3 b b 3", render("{{ pin.title }} {{ pin.stats.saves }} {{ list.2 }} {{ list[i] }} " ..
      "{{ pin.stats[k] }}", data))
  end)

  it("loops with loop.index, first, last and an else for an empty list", function()
    local src = "{% for x in xs %}{{ loop.index }}:{{ x }}{% if not loop.last %}, {% end %}{% else %}none{% end %}"
    assert.equal("1:a, 2:b, 3:c", render(src, { xs = { "a", "b", "c" } }))
    assert.equal("none", render(src, { xs = {} }))
    assert.equal("none", render(src, { xs = core.null }))
    assert.equal("1.1 1.2 2.1 2.2 ", render(
      "{% for a in xs %}{% for b in xs %}{{ loop.parent.index }}.{{ loop.index }} {% end %}{% end %}",
      { xs = { 1, 2 } }))
  end)

  it("branches with if, elif, else, comparisons and not/and/or", function()
    local src = '{% if n > 10 %}big{% elif n == 0 %}zero{% elif kind == "rate" and not off %}rate{% else %}small{% end %}'
    assert.equal("big", render(src, { n = 11 }))
    assert.equal("zero", render(src, { n = 0 }))
    assert.equal("rate", render(src, { n = 3, kind = "rate" }))
    assert.equal("small", render(src, { n = 3, kind = "rate", off = true }))
    -- what is false: nil, false, null, 0, "" and an empty table
    local t = "{% if x %}T{% else %}F{% end %}"
    for _, v in ipairs({ false, core.null, 0, "", {} }) do assert.equal("F", render(t, { x = v })) end
    assert.equal("F", render(t, {}))
    for _, v in ipairs({ true, 1, "a", { 1 } }) do assert.equal("T", render(t, { x = v })) end
    assert.equal("yes", render("{% if x == null %}yes{% end %}", { x = core.null }))
    assert.equal("yes", render("{% if x == null %}yes{% end %}", {}))
  end)

  it("applies filters left to right, with arguments that may be variables", function()
    local data = { n = 1234567.891, r = 0.05921, c = 18.42, p = 0.131, d = "2026-10-08", w = 6, s = "ab" }
    assert.equal("1,234,568 1,234,567.89 5.92 % 5.9 % +18.4 % +0.13 pp Thu 08 Oct",
      render("{{ n | number }} {{ n | number(2) }} {{ r | percent }} {{ r | percent(1) }} {{ c | change }} " ..
        "{{ p | pp }} {{ d | date('%a %d %b') }}", data))
    assert.equal("[ab    ][    ab][  ab  ][AB]", render("[{{ s | pad(w) }}][{{ s | lpad(w) }}][{{ s | center(w) }}]" ..
      "[{{ s | upper }}]", data))
    assert.equal("-", render("{{ missing | number | default('-') }}", data))
    assert.equal("n/a", render("{{ missing | default('n/a') }}", data))
    assert.equal("3 days, 1 day", render("{{ 3 | count('day') }}, {{ 1 | count('day') }}", data))
    assert.equal("a, b", render("{{ xs | join(', ') }}", { xs = { "a", "b" } }))
    assert.equal("▁█", render("{{ xs | spark }}", { xs = { 1, 2 } }))
  end)

  it("takes a tag alone on its line with its line", function()
    local src = "a\n  {% if x %}\n  b\n  {% end %}\n{# note #}\nc\n"
    assert.equal("a\n  b\nc\n", render(src, { x = true }))
    assert.equal("a\nc\n", render(src, { x = false }))
    assert.equal("x y\n", render("x {% if t %}y{% end %}\n", { t = true }))
  end)

  it("aligns a table: tab-separated cells, rules, left and right columns", function()
    local src = '{% align "lrc" %}\nname\tvalue\tx\n-\n{% for r in rows %}\n{{ r.n }}\t{{ r.v | number }}\t{{ r.x }}\n' ..
      "{% end %}\nfree line\n{% end %}\n"
    local rows = { { n = "Impressions", v = 75000, x = "a" }, { n = "Saves", v = 450, x = "bbb" } }
    assert.equal(table.concat({
      "name          value   x",
      "-----------  ------  ---",
      "Impressions  75,000   a",
      "Saves           450  bbb",
      "free line",
    }, "\n") .. "\n", render(src, { rows = rows }))
  end)

  it("aligns numbers right and text left when no letter says otherwise", function()
    local src = "{% align %}\npin\ttitle\tsaves\trate\n-\n{% for r in rows %}\n" ..
      "{{ r.id }}\t{{ r.t }}\t{{ r.s | number }}\t{{ r.r | percent }}\n{% end %}\n{% end %}\n"
    assert.equal(table.concat({
      "pin  title           saves    rate",
      "---  --------------  -----  ------",
      "p1   Cake            1,200  5.92 %",
      "p22  Lemon tart, ok     30       -",
    }, "\n") .. "\n", render(src, { rows = { { id = "p1", t = "Cake", s = 1200, r = 0.0592 },
      { id = "p22", t = "Lemon tart, ok", s = 30, r = core.null } } }))
  end)

  describe("escapes by format", function()
    local data = { s = 'a<b> & "c" \'d\'', csv = 'x, "y"\nz', md = "a|b\nc", num = 1234.5, t = "tab\there\27[31m" }

    it("html", function()
      assert.equal("a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;", render("{{ s }}", data, { format = "html" }))
      assert.equal("<i>raw</i>", render("{{ h | raw }}", { h = "<i>raw</i>" }, { format = "html" }))
    end)

    it("csv: RFC 4180 quoting of commas, quotes and line breaks; numbers as they are", function()
      assert.equal('"x, ""y""\nz",1234.5,plain,"a,b"', render('{{ csv }},{{ num }},{{ p }},{{ q }}',
        { csv = data.csv, num = 1234.5, p = "plain", q = "a,b" }, { format = "csv" }))
      assert.equal('"""quoted"""', render("{{ x }}", { x = '"quoted"' }, { format = "csv" }))
      assert.equal('" lead"', render("{{ x }}", { x = " lead" }, { format = "csv" }))
      assert.equal("", render("{{ x }}", { x = core.null }, { format = "csv" }))
      -- text that a spreadsheet would run as a formula stays text; numbers stay numbers
      assert.equal([["'=HYPERLINK(""x"")",-3,'-3 tips,'@SUM(A1),"'+1, ok"]], render(
        "{{ a }},{{ n }},{{ b }},{{ c }},{{ d }}", { a = '=HYPERLINK("x")', n = -3, b = "-3 tips", c = "@SUM(A1)",
          d = "+1, ok" }, { format = "csv" }))
    end)

    it("markdown: | escaped, a line break made a space, no link or HTML from a value", function()
      assert.equal("| a\\|b c |", render("| {{ md }} |", data, { format = "markdown" }))
      assert.equal("\\[x\\](javascript:y) \\<b\\> \\*1\\* 1,234.5 +0.13 pp", render(
        "{{ s }} {{ n | number(1) }} {{ p | pp }}", { s = "[x](javascript:y) <b> *1*", n = 1234.5, p = 0.13 },
        { format = "markdown" }))
    end)

    it("text: control characters (tabs, escapes) made spaces", function()
      assert.equal("tab here [31m", render("{{ t }}", data, { format = "text" }))
    end)

    it("json: a value as a JSON value", function()
      assert.equal('{"s":"a\\"b\\n","n":12.5,"b":true,"z":null}', render(
        '{"s":{{ s }},"n":{{ n }},"b":{{ b }},"z":{{ z }}}', { s = 'a"b\n', n = 12.5, b = true, z = core.null },
        { format = "json" }))
    end)
  end)

  it("takes filters of one's own", function()
    local t = template.compile("{{ x | twice }}", { filters = { twice = function(v) return v * 2 end } })
    assert.equal("42", t:render({ x = 21 }))
    assert.is_true(template.is_template(t))
  end)

  describe("errors name the template, line and column", function()
    it("a missing variable, and what its table has", function()
      fails("pinanalytics.template: weekly.md:2:11: missing variable 'pin.titel' (pin has no 'titel' (it has: id, title))",
        "# Report\nTitle: {{ pin.titel }}", { pin = { id = "1", title = "x" } }, { name = "weekly.md" })
      fails("pinanalytics.template: template:1:4: missing variable 'nope' (no 'nope' in the data)", "{{ nope }}", {})
      fails("pinanalytics.template: t:1:13: missing variable 'xs' (no 'xs' in the data)", "{% for x in xs %}{% end %}",
        {}, { name = "t" })
    end)

    it("an unknown filter, listing the filters", function()
      local ok, err = pcall(render, "ok\n  {{ n | numbr }}", { n = 1 }, { name = "r.txt" })
      assert.is_false(ok)
      assert.truthy(err:find("^pinanalytics%.template: r%.txt:2:10: unknown filter 'numbr' %(filters: .*number"), err)
    end)

    it("syntax", function()
      fails("pinanalytics.template: t:1:1: 'if' is never closed with {% end %}", "{% if x %}\nfoo", {}, { name = "t" })
      fails("pinanalytics.template: t:3:4: 'end' with no block open", "a\nb\n{% end %}", {}, { name = "t" })
      fails("pinanalytics.template: t:1:8: expected '}}' or '|', found the end of the template", "ab {{ x", {},
        { name = "t" })
      fails("pinanalytics.template: t:1:4: unknown tag 'endif' (tags: if, elif, else, for, align, end)",
        "{% endif %}", {}, { name = "t" })
      fails("pinanalytics.template: t:1:4: 'elif' outside an if", "{% elif x %}", {}, { name = "t" })
      fails("pinanalytics.template: t:1:1: comment {# is never closed with #}", "{# x", {}, { name = "t" })
      fails("pinanalytics.template: t:1:4: unfinished string", '{{ "abc }}', {}, { name = "t" })
    end)

    it("a failing filter, and output of a table", function()
      fails("pinanalytics.template: t:1:11: filter 'date': \"soon\" is not a date (YYYY-MM-DD)", "{{ when | date }}",
        { when = "soon" }, { name = "t" })
      fails("pinanalytics.template: t:1:4: cannot output pin (a table): loop over it or pick a field", "{{ pin }}",
        { pin = {} }, { name = "t" })
    end)

    it("counts the column in characters", function()
      fails("pinanalytics.template: t:1:8: missing variable 'x' (no 'x' in the data)", "éèà {{ x }}", {},
        { name = "t" })
    end)
  end)

  it("refuses an unknown format", function()
    assert.has_error(function() template.compile("x", { format = "pdf" }) end)
  end)
end)
