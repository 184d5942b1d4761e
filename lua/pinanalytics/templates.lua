--- The built-in report templates (pinanalytics.template's language), by
-- report kind and format: M.overview.text, M.pin.html, ... Each is a
-- starting point for one's own: copy it, change it, and pass it as
-- pa.report.render(format, report, { template = source }).
--
-- Kinds: overview (current against previous period, with the rankings),
-- pin (one pin's period: totals, daily range, trend), daily (a frame, day by
-- day), pins (top pins and pin lists), rankings; ads_overview and
-- ads_campaigns (pinanalytics.ads.report). Formats: text, markdown,
-- csv, html (json needs no template).
-- A template's line is as long as the line it writes.
-- luacheck: no max line length
local M = {}

-- text ----------------------------------------------------------------------

local TEXT_HEAD = [[
{{ title }}
{{ title | underline }}
Source: {{ source }}
{% if kind == "overview" %}
Current period:  {{ current | period }}
Previous period: {{ previous | period }}
Current coverage:  {{ current | coverage }}
Previous coverage: {{ previous | coverage }}
{% if periods_differ %}
The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.
{% elif periods_differ == false %}
Both periods are {{ current.days | count("day") }} long.
{% end %}
{% if coverage_differs %}
The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.
{% end %}
{% else %}
Period: {{ current | period }}
Coverage: {{ current | coverage }}
{% end %}
{% if not_ready == null %}
Not READY yet: unknown ({{ source }} does not say)
{% else %}
Not READY yet: {{ not_ready | count(not_ready_what) }}{% if stale %}{% if refreshable %} ({{ refreshable }} of them: Pinterest may still change their numbers){% end %}{% elif not_ready %} (Pinterest may still change their numbers){% end %}
{% end %}
{% if stale %}
Not final: {{ stale | stale }}.
{% end %}
{% if ready_only %}
Totals leave out the days that are not READY.
{% end %}
]]

-- a pin's title in a table cell: its title (or the start of its
-- description), else the note that says why it has none
local TEXT_TITLE = [[{% if p.title %}{{ p.title | truncate(40) }}{% elif p.note %}({{ p.note | truncate(48) }}){% end %}]]
local CELL_TITLE = [[{% if p.title %}{{ p.title | truncate(80) }}{% elif p.note %}({{ p.note }}){% end %}]]

local TEXT_RANKINGS = [[
{% if rankings %}

Post performance
{% if has_meta %}
{% align "lrlllrl" %}
ranking	#	pin	title	board	value	link
-
{% for r in rankings %}
{% for p in r.pins %}
{% if loop.first %}{{ r.title }}{% end %}	{{ p.rank }}	{{ p.id | truncate(40) }}	]] .. TEXT_TITLE .. [[	{{ p.board | default("") | truncate(24) }}	{{ p.value | number }} {{ r.measure }}	{{ p.url | default("") }}
{% else %}
{{ r.title }}		(no pins)
{% end %}
{% end %}
{% end %}
{% else %}
{% align "lrlr" %}
ranking	#	pin	value
-
{% for r in rankings %}
{% for p in r.pins %}
{% if loop.first %}{{ r.title }}{% end %}	{{ p.rank }}	{{ p.id | truncate(40) }}	{{ p.value | number }} {{ r.measure }}
{% else %}
{{ r.title }}		(no pins)
{% end %}
{% end %}
{% end %}
{% end %}
{% for r in rankings %}
{% if r.note %}
{{ r.title }}: {{ r.note }}.
{% end %}
{% end %}
{% end %}
]]

local SPARK_NOTE = "Trend: a character a day, ▁ the lowest and █ the highest of the period; " ..
  "· a day without figures.\n"

--- Account overview: current against previous period, with the rankings.
M.overview = {}
M.overview.text = TEXT_HEAD .. [[

{% align %}
metric	current	previous	change{% if daily %}	trend{% end %}
-
{% for m in metrics %}
{{ m.name | truncate(40) }}	{{ m.current | value(m.kind) }}	{{ m.previous | value(m.kind) }}	{{ m | delta }}{% if daily %}	{{ m.spark }}{% end %}
{% end %}
{% end %}

{% if total_followers %}
Followers: {{ total_followers | number }}
{% end %}
{% if has_rates %}
Rates are shown as percentages, a change in a rate in percentage points (pp).
{% end %}
{% if daily %}
]] .. SPARK_NOTE .. [[
{% end %}
]] .. TEXT_RANKINGS

--- Rankings of pins (post performance) alone.
M.rankings = {}
M.rankings.text = TEXT_HEAD .. TEXT_RANKINGS

--- One pin's period: totals, daily min and max, trend.
M.pin = {}
M.pin.text = TEXT_HEAD .. [[

{% align %}
metric	total	daily min	daily max	trend
-
{% for m in metrics %}
{{ m.name | truncate(40) }}	{{ m.total | value(m.kind) }}	{{ m.min | value(m.kind) }}	{{ m.max | value(m.kind) }}	{{ m.spark }}
{% end %}
{% end %}

{% if not_ready %}
Not READY: {{ not_ready_dates | join(", ") }}
{% end %}
]] .. SPARK_NOTE

--- A frame day by day, with totals.
M.daily = {}
M.daily.text = TEXT_HEAD .. [[

{% align "ll" %}
date	status{% for m in metrics %}	{{ m.name | truncate(40) }}{% end %}
-
{% for d in days %}
{{ d.date }}	{% if d.held %}{{ d.status | truncate(24) }}{% else %}no figures{% end %}{% for m in metrics %}	{{ d.values[m.metric] | value(m.kind) }}{% end %}
{% end %}
-
total	{% for m in metrics %}	{{ m.total | value(m.kind) }}{% end %}
{% end %}

{% align %}
{% for m in metrics %}
{{ m.name | truncate(40) }}	{{ m.spark }}
{% end %}
{% end %}
]] .. SPARK_NOTE

--- Top pins and pin lists.
M.pins = {}
-- the table of pins in text: with its rank column or without
local function pins_text(ranked)
  return (ranked and '{% align "rl" %}\n#\t' or '{% align "l" %}\n') ..
    [[pin{% if has_titles %}	title{% end %}{% if has_meta %}	board{% end %}{% if has_dates %}	date{% end %}{% for m in metrics %}	{{ m.name | truncate(40) }}{% end %}{% if partial_pins %}	days{% end %}{% if has_meta %}	link{% end %}
-
{% for p in pins %}
]] .. (ranked and "{{ p.rank }}\t" or "") ..
    [[{{ p.id | truncate(40) }}{% if has_titles %}	]] .. TEXT_TITLE .. [[{% end %}{% if has_meta %}	{{ p.board | default("") | truncate(24) }}{% end %}{% if has_dates %}	{{ p.date | default("") }}{% end %}{% for m in metrics %}	{{ p.values[m.metric] | value(m.kind) }}{% end %}{% if partial_pins %}	{{ p.days_with_figures }}{% end %}{% if has_meta %}	{{ p.url | default("") }}{% end %}
{% else %}
]] .. (ranked and "\t" or "") .. [[(no pins)
{% end %}
{% end %}
]]
end

local PINS_NOTES = [[
{% if sort_by %}
Sorted by: {{ sort_name }}{% if sort_from %} (from {{ sort_from }}){% end %}
{% end %}
{% if partial_pins %}
{{ partial_pins }} of {{ pins | len }} pins {% if partial_pins == 1 %}holds{% else %}hold{% end %} figures for fewer days of the period (days: the days with figures).
{% end %}
]]

--- Top pins and pin lists.
M.pins = {}
M.pins.text = TEXT_HEAD .. PINS_NOTES .. "\n{% if ranked %}\n" .. pins_text(true) .. "{% else %}\n" .. pins_text(false) ..
  "{% end %}\n"

-- markdown ------------------------------------------------------------------

local MD_HEAD = [[
# {{ title }}

- Source: {{ source }}
{% if kind == "overview" %}
- Current period: {{ current | period }}
- Previous period: {{ previous | period }}
- Current coverage: {{ current | coverage }}
- Previous coverage: {{ previous | coverage }}
{% if periods_differ %}
- The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.
{% elif periods_differ == false %}
- Both periods are {{ current.days | count("day") }} long.
{% end %}
{% if coverage_differs %}
- The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.
{% end %}
{% else %}
- Period: {{ current | period }}
- Coverage: {{ current | coverage }}
{% end %}
{% if not_ready == null %}
- Not READY yet: unknown ({{ source }} does not say)
{% else %}
- Not READY yet: {{ not_ready | count(not_ready_what) }}{% if stale %}{% if refreshable %} ({{ refreshable }} of them: Pinterest may still change their numbers){% end %}{% elif not_ready %} (Pinterest may still change their numbers){% end %}
{% end %}
{% if stale %}
- Not final: {{ stale | stale }}.
{% end %}
{% if ready_only %}
- Totals leave out the days that are not READY.
{% end %}
]]

-- a pin's id in markdown: a link to the pin when it has one (built from its id)
local MD_PIN = [[{% if p.url %}[{{ p.id }}]({{ p.url | raw }}){% else %}{{ p.id | truncate(40) }}{% end %}]]

local MD_RANKINGS = [[
{% if rankings %}

## Post performance

| Ranking | # | Pin |{% if has_meta %} Title | Board |{% end %} Value |
|---|---:|---|{% if has_meta %}---|---|{% end %}---:|
{% for r in rankings %}
{% for p in r.pins %}
| {{ r.title }} | {{ p.rank }} | ]] .. MD_PIN .. [[ |{% if has_meta %} ]] .. CELL_TITLE .. [[ | {{ p.board | default("") | truncate(40) }} |{% end %} {{ p.value | number }} {{ r.measure }} |
{% else %}
| {{ r.title }} | | (no pins) |{% if has_meta %} | |{% end %} |
{% end %}
{% end %}
{% for r in rankings %}
{% if r.note %}

- {{ r.title }}: {{ r.note }}.
{% end %}
{% end %}
{% end %}
]]

M.overview.markdown = MD_HEAD .. [[

| Metric | Current | Previous | Change |{% if daily %} Trend |{% end %}
|---|---:|---:|---:|{% if daily %}---|{% end %}
{% for m in metrics %}
| {{ m.name | truncate(40) }} | {{ m.current | value(m.kind) }} | {{ m.previous | value(m.kind) }} | {{ m | delta }} |{% if daily %} {{ m.spark }} |{% end %}
{% end %}
{% if total_followers %}

Followers: {{ total_followers | number }}
{% end %}
{% if has_rates %}

Rates are shown as percentages, a change in a rate in percentage points (pp).
{% end %}
{% if daily %}

]] .. SPARK_NOTE .. [[
{% end %}
]] .. MD_RANKINGS

M.rankings.markdown = MD_HEAD .. MD_RANKINGS

M.pin.markdown = MD_HEAD .. [[

| Metric | Total | Daily min | Daily max | Trend |
|---|---:|---:|---:|---|
{% for m in metrics %}
| {{ m.name | truncate(40) }} | {{ m.total | value(m.kind) }} | {{ m.min | value(m.kind) }} | {{ m.max | value(m.kind) }} | {{ m.spark }} |
{% end %}
{% if not_ready %}

Not READY: {{ not_ready_dates | join(", ") }}
{% end %}

]] .. SPARK_NOTE

M.daily.markdown = MD_HEAD .. [[

| Date | Status |{% for m in metrics %} {{ m.name | truncate(40) }} |{% end %}
|---|---|{% for m in metrics %}---:|{% end %}
{% for d in days %}
| {{ d.date }} | {% if d.held %}{{ d.status | truncate(24) }}{% else %}no figures{% end %} |{% for m in metrics %} {{ d.values[m.metric] | value(m.kind) }} |{% end %}
{% end %}
| Total | |{% for m in metrics %} {{ m.total | value(m.kind) }} |{% end %}
]]

M.pins.markdown = MD_HEAD .. [[
{% if sort_by %}
- Sorted by: {{ sort_name }}{% if sort_from %} (from {{ sort_from }}){% end %}
{% end %}
{% if partial_pins %}
- {{ partial_pins }} of {{ pins | len }} pins {% if partial_pins == 1 %}holds{% else %}hold{% end %} figures for fewer days of the period (days: the days with figures).
{% end %}

|{% if ranked %} # |{% end %} Pin |{% if has_titles %} Title |{% end %}{% if has_meta %} Board |{% end %}{% if has_dates %} Date |{% end %}{% for m in metrics %} {{ m.name | truncate(40) }} |{% end %}{% if partial_pins %} Days |{% end %}
|{% if ranked %}---:|{% end %}---|{% if has_titles %}---|{% end %}{% if has_meta %}---|{% end %}{% if has_dates %}---|{% end %}{% for m in metrics %}---:|{% end %}{% if partial_pins %}---:|{% end %}
{% for p in pins %}
|{% if ranked %} {{ p.rank }} |{% end %} ]] .. MD_PIN .. [[ |{% if has_titles %} ]] .. CELL_TITLE .. [[ |{% end %}{% if has_meta %} {{ p.board | default("") | truncate(40) }} |{% end %}{% if has_dates %} {{ p.date | default("") }} |{% end %}{% for m in metrics %} {{ p.values[m.metric] | value(m.kind) }} |{% end %}{% if partial_pins %} {{ p.days_with_figures }} |{% end %}
{% end %}
]]

-- csv -----------------------------------------------------------------------
-- Numbers as numbers (rates as fractions, changes in percent and in
-- percentage points), a missing value as an empty field.

-- a ranked pin's columns in csv, when the report knows what the pins are
local CSV_META = [[{% if has_meta %},{{ p.title }},{{ p.title_from | default("title") }},{{ p.board | default("") }},{{ p.board_id | default("") }},{{ p.url | default("") }},{{ p.image | default("") }},{{ p.note | default("") }}{% end %}]]

M.overview.csv = [[
key,name,kind,current,previous,change_percent,change_pp,current_start,current_end,previous_start,previous_end,current_days,current_days_with_figures,current_missing,previous_days,previous_days_with_figures,previous_missing{% if stale %},not_final{% end %}
{% for m in metrics %}
{{ m.key }},{{ m.name }},{{ m.kind }},{{ m.current }},{{ m.previous }},{{ m.change }},{{ m.change_pp }},{{ current.start_date }},{{ current.end_date }},{{ previous.start_date }},{{ previous.end_date }},{{ current.days }},{{ current.days_with_figures }},{{ current | gaps }},{{ previous.days }},{{ previous.days_with_figures }},{{ previous | gaps }}{% if stale %},{{ stale | stale }}{% end %}
{% end %}
]]

M.rankings.csv = [[
ranking,measure,rank,pin_id,value{% if has_meta %},title,title_from,board,board_id,url,image_url,note{% end %}
{% for r in rankings %}
{% for p in r.pins %}
{{ r.key }},{{ r.measure }},{{ p.rank }},{{ p.id }},{{ p.value }}]] .. CSV_META .. [[

{% end %}
{% end %}
]]

M.daily.csv = [[
date,status{% for m in metrics %},{{ m.metric }}{% end %}{% if stale %},note{% end %}
{% for d in days %}
{{ d.date }},{% if d.held %}{{ d.status }}{% else %}no figures{% end %}{% for m in metrics %},{{ d.values[m.metric] }}{% end %}{% if stale %},{{ d.note }}{% end %}
{% end %}
]]

M.pin.csv = [[
pin_id,date,status{% for m in metrics %},{{ m.metric }}{% end %}{% if stale %},note{% end %}
{% for d in days %}
{{ pin_id }},{{ d.date }},{% if d.held %}{{ d.status }}{% else %}no figures{% end %}{% for m in metrics %},{{ d.values[m.metric] }}{% end %}{% if stale %},{{ d.note }}{% end %}
{% end %}
]]

M.pins.csv = [[
{% if ranked %}rank,{% end %}pin_id,title,date,status{% for m in metrics %},{{ m.metric }}{% end %},days,days_with_figures{% if stale %},not_final{% end %}{% if has_meta %},title_from,board,board_id,url,image_url,note{% end %}
{% for p in pins %}
{% if ranked %}{{ p.rank }},{% end %}{{ p.id }},{{ p.title }},{{ p.date }},{{ p.status }}{% for m in metrics %},{{ p.values[m.metric] }}{% end %},{{ current.days }},{{ p.days_with_figures }}{% if stale %},{{ p.stale | stale }}{% end %}{% if has_meta %},{{ p.title_from | default("title") }},{{ p.board | default("") }},{{ p.board_id | default("") }},{{ p.url | default("") }},{{ p.image | default("") }},{{ p.note | default("") }}{% end %}
{% end %}
]]

-- The long (tidy) csv: a line per (pin,) day and metric, the value in one
-- column (render's opts.shape = "long"); a day without figures has an
-- empty value and the status "no figures".

M.daily.csv_long = [[
date,metric,value,status{% if stale %},note{% end %}
{% for d in days %}
{% for m in metrics %}
{{ d.date }},{{ m.metric }},{{ d.values[m.metric] }},{% if d.held %}{{ d.status }}{% else %}no figures{% end %}{% if stale %},{{ d.note }}{% end %}
{% end %}
{% end %}
]]

M.pin.csv_long = [[
pin_id,date,metric,value,status{% if stale %},note{% end %}
{% for d in days %}
{% for m in metrics %}
{{ pin_id }},{{ d.date }},{{ m.metric }},{{ d.values[m.metric] }},{% if d.held %}{{ d.status }}{% else %}no figures{% end %}{% if stale %},{{ d.note }}{% end %}
{% end %}
{% end %}
]]

M.pins.csv_long = [[
{% if ranked %}rank,{% end %}pin_id,date,metric,value,status{% if stale %},note{% end %}
{% for p in pins %}
{% for d in p.days %}
{% for m in metrics %}
{% if ranked %}{{ p.rank }},{% end %}{{ p.id }},{{ d.date }},{{ m.metric }},{{ d.values[m.metric] }},{% if d.held %}{{ d.status }}{% else %}no figures{% end %}{% if stale %},{{ d.note }}{% end %}
{% end %}
{% end %}
{% end %}
]]

-- html ----------------------------------------------------------------------

local STYLE = [[
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #222; background: #fff; margin: 2rem auto; max-width: 1000px; padding: 0 1.25rem; }
h1 { font-size: 1.7rem; margin: 0 0 .6rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem; margin: 0 0 1rem; }
dl.meta dt { color: #555; }
dl.meta dd { margin: 0; }
.warn { color: #8a4b00; font-weight: 600; }
table { border-collapse: collapse; margin: .4rem 0 1rem; }
th, td { padding: .3rem .75rem; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { font-weight: 600; color: #444; border-bottom: 2px solid #ccc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
tr.not-ready td { background: #fbf1dc; }
tr.missing td { color: #777; background: #f2f2f2; }
.up { color: #1d6b3a; }
.down { color: #a8321d; }
.note { color: #555; font-size: .9em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); gap: .5rem 1.5rem; }
figure { margin: .5rem 0; }
svg.chart { max-width: 100%; height: auto; }
footer { margin-top: 2.5rem; color: #777; font-size: .85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  table, figure, tr { break-inside: avoid; page-break-inside: avoid; }
  .charts { display: block; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
]]

local HTML_OPEN = [[
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'{% if images %}; img-src https:{% end %}">
<title>{{ title }}</title>
<style>
]] .. STYLE .. [[
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<dl class="meta">
<dt>Source</dt><dd>{{ source }}</dd>
{% if kind == "overview" %}
<dt>Current period</dt><dd>{{ current | period }}</dd>
<dt>Previous period</dt><dd>{{ previous | period }}</dd>
<dt>Current coverage</dt><dd{% if current.missing_days %} class="warn"{% end %}>{{ current | coverage }}</dd>
<dt>Previous coverage</dt><dd{% if previous.missing_days %} class="warn"{% end %}>{{ previous | coverage }}</dd>
{% if periods_differ %}
<dt>Period lengths</dt><dd class="warn">The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.</dd>
{% elif periods_differ == false %}
<dt>Period lengths</dt><dd>Both periods are {{ current.days | count("day") }} long.</dd>
{% end %}
{% if coverage_differs %}
<dt>Figures</dt><dd class="warn">The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.</dd>
{% end %}
{% else %}
<dt>Period</dt><dd>{{ current | period }}</dd>
<dt>Coverage</dt><dd{% if current.missing_days %} class="warn"{% end %}>{{ current | coverage }}</dd>
{% end %}
{% if not_ready == null %}
<dt>Not READY yet</dt><dd>unknown ({{ source }} does not say)</dd>
{% elif stale %}
<dt>Not READY yet</dt><dd class="warn">{{ not_ready | count(not_ready_what) }}{% if refreshable %}: {{ refreshable }} of them: Pinterest may still change their numbers{% end %}</dd>
{% elif not_ready %}
<dt>Not READY yet</dt><dd class="warn">{{ not_ready | count(not_ready_what) }}: Pinterest may still change their numbers</dd>
{% else %}
<dt>Not READY yet</dt><dd>{{ not_ready | count(not_ready_what) }}</dd>
{% end %}
{% if stale %}
<dt>Not final</dt><dd class="warn">{{ stale | stale }}.</dd>
{% end %}
{% if ready_only %}
<dt>Totals</dt><dd>without the days that are not READY</dd>
{% end %}
</dl>
</header>
<main>
]]

local HTML_CLOSE = [[
</main>
<footer>Made with pinanalytics. Rates are shown as percentages, a change in a rate in percentage points (pp).</footer>
</body>
</html>
]]

local HTML_CHARTS = [[
{% if charts %}
<section>
<h2>Day by day</h2>
<p class="note">Shaded days are not READY yet: {% if stale %}{% if refreshable %}Pinterest may still change the numbers of those a sync can still refresh; {% end %}those no sync can refresh are named above and in their tooltips{% else %}Pinterest may still change their numbers{% end %}. Grey days have no figures: the line breaks there.</p>
<div class="charts">
{% for c in charts %}
<figure>{{ c.svg | raw }}</figure>
{% end %}
</div>
</section>
{% end %}
]]

local HTML_BARS = [[
{% if bars %}
<section>
<h2>{{ bars_title }}</h2>
<figure>{{ bars | raw }}</figure>
</section>
{% end %}
]]

-- a pin in html: its id, a link to the pin when it has one (built from its
-- id); its title (or the note that says why it has none); its picture, in a
-- column of its own, when the report is rendered with images
local HTML_PIN = [[{% if p.url %}<a href="{{ p.url }}">{{ p.id | truncate(60) }}</a>{% else %}{{ p.id | truncate(60) }}{% end %}]]
local HTML_TITLE = [[{% if p.title %}{{ p.title | truncate(200) }}{% elif p.note %}<span class="note">({{ p.note }})</span>{% end %}]]
local HTML_IMG = [[{% if images %}<td>{% if p.image %}<img src="{{ p.image }}" alt="" width="75" loading="lazy" referrerpolicy="no-referrer">{% end %}</td>{% end %}]]

local HTML_RANKINGS = [[
{% if rankings %}
<section>
<h2>Post performance</h2>
<table>
<thead><tr><th>Ranking</th><th class="num">#</th>{% if images %}<th></th>{% end %}<th>Pin</th>{% if has_meta %}<th>Title</th><th>Board</th>{% end %}<th class="num">Value</th></tr></thead>
<tbody>
{% for r in rankings %}
{% for p in r.pins %}
<tr><td>{% if loop.first %}{{ r.title }}{% end %}</td><td class="num">{{ p.rank }}</td>]] .. HTML_IMG .. [[<td class="id">]] .. HTML_PIN .. [[</td>{% if has_meta %}<td>]] .. HTML_TITLE .. [[</td><td>{{ p.board | default("") | truncate(60) }}</td>{% end %}<td class="num">{{ p.value | number }} {{ r.measure }}</td></tr>
{% else %}
<tr><td>{{ r.title }}</td><td></td>{% if images %}<td></td>{% end %}<td>(no pins)</td>{% if has_meta %}<td></td><td></td>{% end %}<td></td></tr>
{% end %}
{% end %}
</tbody>
</table>
{% for r in rankings %}
{% if r.note %}
<p class="note">{{ r.title }}: {{ r.note }}.</p>
{% end %}
{% end %}
</section>
{% end %}
]]

M.overview.html = HTML_OPEN .. [[
<section>
<h2>Current against previous period</h2>
<table>
<thead><tr><th>Metric</th><th class="num">Current</th><th class="num">Previous</th><th class="num">Change</th></tr></thead>
<tbody>
{% for m in metrics %}
<tr><td title="{{ m.description | default("") | truncate(200) }}">{{ m.name | truncate(60) }}</td><td class="num">{{ m.current | value(m.kind) }}</td><td class="num">{{ m.previous | value(m.kind) }}</td><td class="num {{ m | direction }}">{{ m | delta }}</td></tr>
{% end %}
</tbody>
</table>
{% if total_followers %}
<p>Followers: {{ total_followers | number }}</p>
{% end %}
</section>
]] .. HTML_CHARTS .. HTML_BARS .. HTML_RANKINGS .. HTML_CLOSE

M.rankings.html = HTML_OPEN .. HTML_BARS .. HTML_RANKINGS .. HTML_CLOSE

M.pin.html = HTML_OPEN .. [[
<section>
<h2>Totals</h2>
<table>
<thead><tr><th>Metric</th><th class="num">Total</th><th class="num">Daily min</th><th class="num">Daily max</th></tr></thead>
<tbody>
{% for m in metrics %}
<tr><td>{{ m.name | truncate(60) }}</td><td class="num">{{ m.total | value(m.kind) }}</td><td class="num">{{ m.min | value(m.kind) }}</td><td class="num">{{ m.max | value(m.kind) }}</td></tr>
{% end %}
</tbody>
</table>
{% if not_ready %}
<p class="note">Not READY: {{ not_ready_dates | join(", ") }}</p>
{% end %}
</section>
]] .. HTML_CHARTS .. HTML_CLOSE

M.daily.html = HTML_OPEN .. HTML_CHARTS .. [[
<section>
<h2>Daily values</h2>
<table>
<thead><tr><th>Date</th><th>Status</th>{% for m in metrics %}<th class="num">{{ m.name | truncate(60) }}</th>{% end %}</tr></thead>
<tbody>
{% for d in days %}
<tr{% if not d.held %} class="missing"{% elif not d.ready %} class="not-ready"{% end %}><td>{{ d.date }}</td><td>{% if d.held %}{{ d.status | truncate(60) }}{% else %}no figures{% end %}</td>{% for m in metrics %}<td class="num">{{ d.values[m.metric] | value(m.kind) }}</td>{% end %}</tr>
{% end %}
<tr><th>Total</th><th></th>{% for m in metrics %}<th class="num">{{ m.total | value(m.kind) }}</th>{% end %}</tr>
</tbody>
</table>
</section>
]] .. HTML_CLOSE

M.pins.html = HTML_OPEN .. HTML_BARS .. [[
<section>
<h2>Pins{% if sort_by %}, by {{ sort_name }}{% if sort_from %} (from {{ sort_from }}){% end %}{% end %}</h2>
{% if partial_pins %}
<p class="note warn">{{ partial_pins }} of {{ pins | len }} pins {% if partial_pins == 1 %}holds{% else %}hold{% end %} figures for fewer days of the period (days: the days with figures).</p>
{% end %}
<table>
<thead><tr>{% if ranked %}<th class="num">#</th>{% end %}{% if images %}<th></th>{% end %}<th>Pin</th>{% if has_titles %}<th>Title</th>{% end %}{% if has_meta %}<th>Board</th>{% end %}{% if has_dates %}<th>Date</th>{% end %}{% for m in metrics %}<th class="num">{{ m.name | truncate(60) }}</th>{% end %}{% if partial_pins %}<th class="num">Days</th>{% end %}</tr></thead>
<tbody>
{% for p in pins %}
<tr{% if not p.ready %} class="not-ready"{% end %}>{% if ranked %}<td class="num">{{ p.rank }}</td>{% end %}]] .. HTML_IMG .. [[<td class="id">]] .. HTML_PIN .. [[</td>{% if has_titles %}<td>]] .. HTML_TITLE .. [[</td>{% end %}{% if has_meta %}<td>{{ p.board | default("") | truncate(60) }}</td>{% end %}{% if has_dates %}<td>{{ p.date | default("") }}</td>{% end %}{% for m in metrics %}<td class="num">{{ p.values[m.metric] | value(m.kind) }}</td>{% end %}{% if partial_pins %}<td class="num">{{ p.days_with_figures }}</td>{% end %}</tr>
{% else %}
<tr><td></td><td>(no pins)</td></tr>
{% end %}
</tbody>
</table>
{% if not_ready %}
<p class="note">Shaded rows hold numbers that are not READY yet.</p>
{% end %}
</section>
]] .. HTML_CLOSE

-- ads -----------------------------------------------------------------------
-- The ads overview and the campaigns ranking (pinanalytics.ads.report):
-- money in the ad account's currency with its decimals (the model's texts,
-- made exactly from micro-units), ratios from their parts.

local ADS_TEXT_HEAD = [[
{{ title }}
{{ title | underline }}
Source: {{ source }}{% if ad_account_id %}, ad account {{ ad_account_id }}{% end %}{% if account_name %} ({{ account_name }}){% end %}
Currency: {{ currency }} ({{ decimals }} decimals)
{% if kind == "ads_overview" %}
Current period:  {{ current | period }}
Previous period: {{ previous | period }}
Current coverage:  {{ current | coverage }}
Previous coverage: {{ previous | coverage }}
{% if periods_differ %}
The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.
{% end %}
{% if coverage_differs %}
The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.
{% end %}
{% else %}
Period: {{ current | period }}
Coverage: {{ current | coverage }}
{% end %}
{% if not_final %}
Not final: {{ not_final | len }} days may still change (conversions are attributed for up to 30 days): {{ not_final_text }}
{% end %}
]]

local ADS_NOTE = "Ratios (CTR, CPC, CPM, ROAS) are computed from the period's sums of their parts, never summed or averaged."

M.ads_overview = {}
M.ads_campaigns = {}

M.ads_overview.text = ADS_TEXT_HEAD .. [[

{% align "lrrr" %}
metric	current	previous	change{% if daily %}	trend{% end %}
-
{% for m in metrics %}
{{ m.name | truncate(40) }}	{{ m.current_text }}	{{ m.previous_text }}	{{ m.change_text }}{% if daily %}	{{ m.spark }}{% end %}
{% end %}
{% end %}

]] .. ADS_NOTE .. [[

A change in a rate is in percentage points (pp).
]]

M.ads_campaigns.text = ADS_TEXT_HEAD .. [[
Sorted by: {{ sort_name }}, highest first{% if without_figures %}; {{ without_figures }} of {{ count }} campaigns without figures in the period, last{% end %}
{% if shown < count %}
Shown: {{ shown }} of {{ count }} campaigns (the total is of all of them)
{% end %}

{% align "rll" %}
#	campaign	name	status{% for m in metrics %}	{{ m.name | truncate(24) }}{% end %}
-
{% for c in campaigns %}
{{ c.rank }}	{{ c.id | truncate(24) }}	{{ c.name | default("") | truncate(32) }}	{{ c.status | default("") }}{% for m in metrics %}	{{ c.texts[m.key] }}{% end %}
{% else %}
	(no campaigns)
{% end %}
-
	total		{% for m in metrics %}	{{ total.texts[m.key] }}{% end %}
{% end %}

]] .. ADS_NOTE .. "\n"

local ADS_MD_HEAD = [[
# {{ title }}

- Source: {{ source }}{% if ad_account_id %}, ad account {{ ad_account_id }}{% end %}{% if account_name %} ({{ account_name }}){% end %}
- Currency: {{ currency }} ({{ decimals }} decimals)
{% if kind == "ads_overview" %}
- Current period: {{ current | period }}
- Previous period: {{ previous | period }}
- Current coverage: {{ current | coverage }}
- Previous coverage: {{ previous | coverage }}
{% if periods_differ %}
- The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.
{% end %}
{% if coverage_differs %}
- The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.
{% end %}
{% else %}
- Period: {{ current | period }}
- Coverage: {{ current | coverage }}
{% end %}
{% if not_final %}
- Not final: {{ not_final | len }} days may still change (conversions are attributed for up to 30 days): {{ not_final_text }}
{% end %}
]]

M.ads_overview.markdown = ADS_MD_HEAD .. [[

| Metric | Current | Previous | Change |{% if daily %} Trend |{% end %}
|---|---:|---:|---:|{% if daily %}---|{% end %}
{% for m in metrics %}
| {{ m.name | truncate(40) }} | {{ m.current_text }} | {{ m.previous_text }} | {{ m.change_text }} |{% if daily %} {{ m.spark }} |{% end %}
{% end %}

]] .. ADS_NOTE .. [[ A change in a rate is in percentage points (pp).
]]

M.ads_campaigns.markdown = ADS_MD_HEAD .. [[
- Sorted by: {{ sort_name }}, highest first{% if without_figures %}; {{ without_figures }} of {{ count }} campaigns without figures in the period, last{% end %}
{% if shown < count %}
- Shown: {{ shown }} of {{ count }} campaigns (the total is of all of them)
{% end %}

| # | Campaign | Name | Status |{% for m in metrics %} {{ m.name | truncate(40) }} |{% end %}
|---:|---|---|---|{% for m in metrics %}---:|{% end %}
{% for c in campaigns %}
| {{ c.rank }} | {{ c.id | truncate(40) }} | {{ c.name | default("") | truncate(60) }} | {{ c.status | default("") }} |{% for m in metrics %} {{ c.texts[m.key] }} |{% end %}
{% end %}
| | Total | | |{% for m in metrics %} {{ total.texts[m.key] }} |{% end %}

]] .. ADS_NOTE .. "\n"

-- csv: numbers as numbers (money in units of the currency, rounded to its
-- decimals, and exactly in micro-units beside), a missing figure empty
M.ads_overview.csv = [[
key,name,kind,currency,current,previous,current_micro,previous_micro,change_percent,change_pp,current_start,current_end,previous_start,previous_end,current_days,current_days_with_figures,current_missing,previous_days,previous_days_with_figures,previous_missing,not_final
{% for m in metrics %}
{{ m.key }},{{ m.name }},{{ m.kind }},{{ currency }},{{ m.current }},{{ m.previous }},{{ m.current_micro | default("") }},{{ m.previous_micro | default("") }},{{ m.change }},{{ m.change_pp }},{{ current.start_date }},{{ current.end_date }},{{ previous.start_date }},{{ previous.end_date }},{{ current.days }},{{ current.days_with_figures }},{{ current | gaps }},{{ previous.days }},{{ previous.days_with_figures }},{{ previous | gaps }},{{ not_final_text }}
{% end %}
]]

M.ads_campaigns.csv = [[
rank,campaign_id,name,status,currency{% for m in metrics %},{{ m.key }}{% end %},spend_micro,checkout_value_micro,days,days_with_figures,missing,not_final
{% for c in campaigns %}
{{ c.rank }},{{ c.id }},{{ c.name }},{{ c.status }},{{ currency }}{% for m in metrics %},{{ c.values[m.key] }}{% end %},{{ c.micro.spend }},{{ c.micro.checkout_value }},{{ current.days }},{{ c.days_with_figures }},{{ current | gaps }},{{ not_final_text }}
{% end %}
,total,,,{{ currency }}{% for m in metrics %},{{ total.values[m.key] }}{% end %},{{ total.micro.spend }},{{ total.micro.checkout_value }},{{ current.days }},{{ current.days_with_figures }},{{ current | gaps }},{{ not_final_text }}
]]

local ADS_HTML_OPEN = [[
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{ title }}</title>
<style>
]] .. STYLE .. [[
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
<dl class="meta">
<dt>Source</dt><dd>{{ source }}{% if ad_account_id %}, ad account {{ ad_account_id }}{% end %}{% if account_name %} ({{ account_name }}){% end %}</dd>
<dt>Currency</dt><dd>{{ currency }} ({{ decimals }} decimals)</dd>
{% if kind == "ads_overview" %}
<dt>Current period</dt><dd>{{ current | period }}</dd>
<dt>Previous period</dt><dd>{{ previous | period }}</dd>
<dt>Current coverage</dt><dd{% if current.missing_days %} class="warn"{% end %}>{{ current | coverage }}</dd>
<dt>Previous coverage</dt><dd{% if previous.missing_days %} class="warn"{% end %}>{{ previous | coverage }}</dd>
{% if periods_differ %}
<dt>Period lengths</dt><dd class="warn">The periods differ in length ({{ current.days }} and {{ previous.days }} days): compare totals with care.</dd>
{% end %}
{% if coverage_differs %}
<dt>Figures</dt><dd class="warn">The periods have figures for different numbers of days ({{ current.days_with_figures }} and {{ previous.days_with_figures }}): compare totals with care.</dd>
{% end %}
{% else %}
<dt>Period</dt><dd>{{ current | period }}</dd>
<dt>Coverage</dt><dd{% if current.missing_days %} class="warn"{% end %}>{{ current | coverage }}</dd>
{% end %}
{% if not_final %}
<dt>Not final</dt><dd class="warn">{{ not_final | len }} days may still change (conversions are attributed for up to 30 days): {{ not_final_text }}</dd>
{% end %}
</dl>
</header>
<main>
]]

local ADS_HTML_CLOSE = [[
</main>
<footer>Made with pinanalytics. ]] .. ADS_NOTE .. [[ A change in a rate is in percentage points (pp).</footer>
</body>
</html>
]]

M.ads_overview.html = ADS_HTML_OPEN .. [[
<section>
<h2>Current against previous period</h2>
<table>
<thead><tr><th>Metric</th><th class="num">Current</th><th class="num">Previous</th><th class="num">Change</th></tr></thead>
<tbody>
{% for m in metrics %}
<tr><td title="{{ m.description | default("") | truncate(200) }}">{{ m.name | truncate(60) }}</td><td class="num">{{ m.current_text }}</td><td class="num">{{ m.previous_text }}</td><td class="num {{ m | direction }}">{{ m.change_text }}</td></tr>
{% end %}
</tbody>
</table>
</section>
{% if charts %}
<section>
<h2>Day by day</h2>
<p class="note">Grey days have no figures: the line breaks there. The previous period is dashed.</p>
<div class="charts">
{% for c in charts %}
<figure>{{ c.svg | raw }}</figure>
{% end %}
</div>
</section>
{% end %}
]] .. ADS_HTML_CLOSE

M.ads_campaigns.html = ADS_HTML_OPEN .. [[
{% if bars %}
<section>
<h2>{{ bars_title }}</h2>
<figure>{{ bars | raw }}</figure>
</section>
{% end %}
<section>
<h2>Campaigns, by {{ sort_name }}</h2>
{% if without_figures %}
<p class="note warn">{{ without_figures }} of {{ count }} campaigns without figures in the period, ranked last.</p>
{% end %}
{% if shown < count %}
<p class="note">Shown: {{ shown }} of {{ count }} campaigns (the total is of all of them).</p>
{% end %}
<table>
<thead><tr><th class="num">#</th><th>Campaign</th><th>Name</th><th>Status</th>{% for m in metrics %}<th class="num" title="{{ m.description | truncate(200) }}">{{ m.name | truncate(60) }}</th>{% end %}</tr></thead>
<tbody>
{% for c in campaigns %}
<tr{% if c.note %} class="missing"{% end %}><td class="num">{{ c.rank }}</td><td class="id">{{ c.id | truncate(60) }}</td><td>{{ c.name | default("") | truncate(80) }}</td><td>{{ c.status | default("") }}</td>{% for m in metrics %}<td class="num">{{ c.texts[m.key] }}</td>{% end %}</tr>
{% else %}
<tr><td></td><td>(no campaigns)</td></tr>
{% end %}
<tr><th></th><th>Total</th><th></th><th></th>{% for m in metrics %}<th class="num">{{ total.texts[m.key] }}</th>{% end %}</tr>
</tbody>
</table>
</section>
]] .. ADS_HTML_CLOSE

return M
