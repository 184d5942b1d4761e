-- The html report in a real browser: headless Chromium opens an account
-- overview of fixed frames with no network at all (every connection goes to
-- a proxy on 127.0.0.1:9, where nothing listens, and no host name resolves),
-- and what it built from the page is checked: the title, the metrics, the
-- periods, the SVG charts, and that no asset is fetched from anywhere. It
-- also takes a screenshot; `make screenshot` keeps it as docs/report.png,
-- the picture the README shows.
--
-- Skips, saying why, only when Chromium is not installed (`make test`
-- installs Debian's chromium when it can).
local pa = require "pinanalytics"
local X = require "helpers.child"

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function run(cmd)
  local ok, _, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1
  return ok == true and (code == nil or code == 0)
end

local function chromium()
  for _, p in ipairs({ os.getenv("PINANALYTICS_CHROMIUM") or "", "/usr/bin/chromium", "/usr/bin/chromium-browser" }) do
    if p ~= "" and run("test -x " .. sh_quote(p)) then return p end
  end
  return nil
end

-- Two periods of 14 days as frames, the last two days of the current one not
-- READY yet, and five pins for the rankings: the same page on every run.
local function fixed_overview()
  local function period(start, base, slope, rate, not_ready)
    local days = {}
    for i = 0, 13 do
      local imp = base + slope * i + (i % 3) * 140 + (i % 7 == 5 and 600 or 0)
      local save = math.floor(imp * (rate + (i % 4) * 0.004))
      days[#days + 1] = {
        date = pa.dates.add_days(start, i),
        data_status = i >= 14 - not_ready and "PROCESSING" or "READY",
        metrics = { IMPRESSION = imp, SAVE = save, SAVE_RATE = save / imp,
          PIN_CLICK = math.floor(imp * 0.018) + i % 5, OUTBOUND_CLICK = math.floor(imp * 0.007) + i % 3 },
      }
    end
    return pa.frame({ all = { daily_metrics = days } })
  end
  local pins = {}
  for k = 1, 5 do
    local imp = 4000 - k * 520
    pins[tostring(9000000000 + k * 7919)] = { all = { summary_metrics = { IMPRESSION = imp,
      SAVE = math.floor(imp / (8 + k)), PIN_CLICK = math.floor(imp / 40) + k, OUTBOUND_CLICK = math.floor(imp / 90) } } }
  end
  return pa.report.overview(period("2026-10-15", 2100, 45, 0.05, 2), period("2026-10-01", 1900, 20, 0.046, 0),
    { pins = pins })
end

-- The PNG's width and height, from its IHDR chunk.
local function png_size(s)
  if not s or s:sub(1, 8) ~= "\137PNG\r\n\26\n" or s:sub(13, 16) ~= "IHDR" then return nil end
  local function u32(i)
    local a, b, c, d = s:byte(i, i + 3)
    return ((a * 256 + b) * 256 + c) * 256 + d
  end
  return u32(17), u32(21)
end

local WIDTH, HEIGHT = 1000, 1480
local TITLE = "Autumn campaign <draft> & notes"

describe("the html report in headless Chromium", function()
  local browser = chromium()
  if not browser then
    it("skips: Chromium is not installed", function()
      print("skipped: spec/report_browser_spec.lua: chromium is not installed " ..
        "(apt-get install chromium; `make test` installs it when it can)")
      pending("chromium is not installed")
    end)
    return
  end

  local dir, dom, shot, html
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    assert(run("mkdir -m 0700 " .. sh_quote(dir)))
    html = pa.report.render("html", fixed_overview(), { title = TITLE })
    write(dir .. "/report.html", html)
    -- no network: every request goes to a proxy where nothing listens, no
    -- host name resolves; a profile and a HOME of its own, nothing kept
    local flags = table.concat({
      "--headless", "--disable-gpu", "--user-data-dir=" .. sh_quote(dir .. "/profile"),
      "--proxy-server=http://127.0.0.1:9", sh_quote("--host-resolver-rules=MAP * ~NOTFOUND"),
      "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
      "--disable-background-networking", "--disable-component-update", "--disable-default-apps",
      "--disable-breakpad", "--hide-scrollbars", "--force-device-scale-factor=1",
      "--window-size=" .. WIDTH .. "," .. HEIGHT,
    }, " ")
    local id = io.popen("id -u")
    if id and id:read("*l") == "0" then flags = flags .. " --no-sandbox" end -- Chromium refuses root otherwise
    if id then id:close() end
    local env = "HOME=" .. sh_quote(dir) .. " XDG_CONFIG_HOME=" .. sh_quote(dir) .. " XDG_CACHE_HOME=" .. sh_quote(dir)
    local url = sh_quote("file://" .. dir .. "/report.html")
    local cmd = X.plain(env .. " timeout 120 " .. sh_quote(browser) .. " " .. flags)
    assert(run(cmd .. " --dump-dom " .. url .. " >" .. sh_quote(dir .. "/dom.html") .. " 2>" ..
      sh_quote(dir .. "/chromium.log")), "chromium --dump-dom failed: " .. (read(dir .. "/chromium.log") or ""))
    dom = read(dir .. "/dom.html") or ""
    assert(run(cmd .. " --screenshot=" .. sh_quote(dir .. "/report.png") .. " " .. url .. " >>" ..
      sh_quote(dir .. "/chromium.log") .. " 2>&1"), "chromium --screenshot failed: " .. (read(dir .. "/chromium.log") or ""))
    shot = read(dir .. "/report.png")
    local keep = os.getenv("PINANALYTICS_SCREENSHOT")
    if keep and keep ~= "" and shot then write(keep, shot) end
  end)

  teardown(function()
    if dir then run("rm -rf " .. sh_quote(dir)) end
  end)

  -- the text a reader sees: the body without its tags, entities decoded
  local function text_of(s)
    local body = s:match("<body[^>]*>(.*)</body>") or s
    body = body:gsub("<style.-</style>", " "):gsub("<title>.-</title>", " "):gsub("<[^>]+>", " ")
    body = body:gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"'):gsub("&#39;", "'"):gsub("&amp;", "&")
    return (body:gsub("%s+", " "))
  end

  it("builds the page: its title, metrics and periods are there as text", function()
    assert.truthy(dom:find("^%s*<!DOCTYPE html>") or dom:find("^%s*<html"), dom:sub(1, 200))
    assert.truthy(dom:find("<title>Autumn campaign &lt;draft&gt; &amp; notes</title>", 1, true), dom:sub(1, 800))
    local text = text_of(dom)
    assert.truthy(text:find(TITLE, 1, true), text)
    for _, s in ipairs({ "Source Pinterest", "Current period 2026-10-15 .. 2026-10-28 (14 days, 2 not READY)",
      "Previous period 2026-10-01 .. 2026-10-14 (14 days, 0 not READY)", "Both periods are 14 days long.",
      "2 days: Pinterest may still change their numbers", "Impressions", "Saves", "Pin clicks",
      "Outbound clicks", "Save rate", "Top pins", "Post performance", "Most engaging" }) do
      assert.truthy(text:find(s, 1, true), "not in the page's text: " .. s .. "\n" .. text)
    end
    -- the title is text: the browser made no element of it
    assert.is_nil(dom:find("<draft", 1, true))
  end)

  it("holds its charts as inline SVG: a line chart a metric and the top pins' bars", function()
    local lines = select(2, dom:gsub('<svg[^>]*class="chart line"', ""))
    local bars = select(2, dom:gsub('<svg[^>]*class="chart bar"', ""))
    assert.equal(5, lines)
    assert.equal(1, bars)
    assert.truthy(dom:find("<path d=\"M", 1, true))
    assert.truthy(dom:find('<rect class="not%-ready"'))
    -- round ticks on the y-axis; the save rate's axis starts below its lowest day, and says so
    local ticks = {}
    for chart in dom:gmatch('<svg[^>]*class="chart line".-</svg>') do
      local title, labels = chart:match("<title>([^<]*)</title>"), {}
      for l in chart:gmatch('<text class="tick"[^>]*>([^<]*)</text>') do labels[#labels + 1] = l end
      ticks[title] = labels
      assert.equal(title == "Save rate" and 1 or 0, select(2, chart:gsub('<g class="axis%-break">', "")), title)
    end
    assert.same({ "0", "1,000", "2,000", "3,000", "4,000" }, ticks.Impressions)
    assert.same({ "4.5 %", "5 %", "5.5 %", "6 %", "6.5 %" }, ticks["Save rate"])
  end)

  it("loads nothing from anywhere: no http(s) URL for any asset, no script", function()
    for _, page in ipairs({ html, dom }) do
      local lower = page:lower()
      for _, attr in ipairs({ "src", "href", "xlink:href", "srcset", "poster", "data", "action", "background" }) do
        for value in lower:gmatch("[%s\"']" .. attr:gsub("%p", "%%%0") .. "%s*=%s*[\"']?([^\"'%s>]*)") do
          assert.is_nil(value:find("^%s*https?:") or value:find("^%s*//"), attr .. "=" .. value)
        end
      end
      assert.is_nil(lower:find("url%(%s*[\"']?%s*https?:"))
      assert.is_nil(lower:find("url%(%s*[\"']?%s*//"))
      assert.is_nil(lower:find("@import", 1, true))
      assert.is_nil(lower:find("<script", 1, true))
      assert.is_nil(lower:find("<link", 1, true))
      assert.is_nil(lower:find("<iframe", 1, true))
      assert.is_nil(lower:find("<img", 1, true))
    end
    -- the only URLs at all are the SVG namespace's name
    local urls = {}
    for u in dom:gmatch("https?://[^\"'%s<>]+") do urls[u] = true end
    urls["http://www.w3.org/2000/svg"] = nil
    assert.same({}, urls)
  end)

  it("takes a screenshot of the page", function()
    local w, h = png_size(shot)
    assert.equal(WIDTH, w)
    assert.equal(HEIGHT, h)
    assert.is_true(#shot > 20000) -- a page with charts, not a blank one
  end)

  it("keeps the README's screenshot (docs/report.png, made by `make screenshot`)", function()
    local kept = read("docs/report.png")
    local w, h = png_size(kept)
    assert.equal(WIDTH, w)
    assert.equal(HEIGHT, h)
    assert.is_true(#kept < 400 * 1024)
  end)
end)
