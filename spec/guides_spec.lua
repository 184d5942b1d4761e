-- The guides: README.md, the tour a newcomer reads in ten minutes, and
-- docs/*.md, the rest. The README stays short; every guide is a topic of the
-- API reference (config.ld) and has its page there, listed in the sidebar;
-- every relative link of a guide goes to a file that exists, and a link to a
-- heading to a heading that exists, by GitHub's anchors (and, in the
-- reference, to the page and id that stand for them). LDoc reads the guides
-- line by line: no code span crosses a line break and no fence is indented,
-- or its page would show them broken.
local X = require "helpers.child"

local README_MAX_LINES = 420

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb") -- a directory opens too, on Linux
  if f then f:close() end
  return f ~= nil
end

local function run(cmd)
  local h = assert(io.popen(X.plain(cmd) .. " 2>&1"))
  local out = h:read("*a")
  local ok, _, code = h:close()
  if type(ok) == "number" then code = ok; ok = code == 0 end -- Lua 5.1
  return out, ok == true or code == 0
end

local GUIDES = { "README.md" }
for f in run("ls docs/*.md"):gmatch("[^\n]+") do GUIDES[#GUIDES + 1] = f end

-- config.ld is Lua: its topics
local function config()
  local env = {}
  local chunk
  if setfenv then
    chunk = assert(loadstring(read("config.ld"), "config.ld"))
    setfenv(chunk, env)
  else
    chunk = assert(load(read("config.ld"), "config.ld", "t", env))
  end
  chunk()
  return env
end

-- A guide's lines, each with what it is: "fence", "code" (in a fence or an
-- indented block), "heading" or "text".
local function lines_of(path)
  local lines, kinds = {}, {}
  local fence = false
  for l in (read(path) .. "\n"):gmatch("([^\n]*)\n") do
    local i = #lines + 1
    lines[i] = l
    local prev = kinds[i - 1]
    if l:match("^%s*```") then
      kinds[i] = "fence"
      fence = not fence
    elseif fence then
      kinds[i] = "code"
    elseif l:match("^    ") and (lines[i - 1] == "" or prev == "code" or prev == nil) and not l:match("^%s*[-*] ") then
      kinds[i] = "code"
    elseif l:match("^#+ ") then
      kinds[i] = "heading"
    else
      kinds[i] = "text"
    end
  end
  return lines, kinds
end

-- GitHub's anchor of a heading: lower case, without what is neither a
-- letter, a digit, a space, "-" nor "_" (punctuation, backticks, arrows),
-- spaces as "-"; a heading met again gets "-1", "-2" ...
local function anchors(path)
  local lines, kinds = lines_of(path)
  local set, seen = {}, {}
  for i, l in ipairs(lines) do
    if kinds[i] == "heading" then
      local a = l:match("^#+%s+(.-)%s*$"):lower():gsub("[^%w _-]", ""):gsub(" ", "-")
      if seen[a] then
        seen[a] = seen[a] + 1
        a = a .. "-" .. seen[a]
      else
        seen[a] = 0
      end
      set[a] = true
    end
  end
  return set
end

local function dir_of(path) return path:match("^(.*/)") or "" end

local function normalize(path)
  repeat
    local n
    path, n = path:gsub("[^/.][^/]*/%.%./", "", 1)
  until n == 0
  return (path:gsub("^%./", ""):gsub("/%./", "/"))
end

-- the relative links and pictures of a guide's text: { line, target }
local function links(path)
  local lines, kinds = lines_of(path)
  local found = {}
  for i, l in ipairs(lines) do
    if kinds[i] == "text" or kinds[i] == "heading" then
      local text = l:gsub("`[^`]*`", "")
      for target in text:gmatch("%[[^%]]*%]%(([^)%s]+)%)") do
        if not target:find("^%a[%w+.-]*:") then found[#found + 1] = { line = i, target = target } end
      end
    end
  end
  return found
end

describe("the guides", function()
  it("README.md is a tour: at most " .. README_MAX_LINES .. " lines", function()
    local n = select(2, read("README.md"):gsub("\n", ""))
    assert(n <= README_MAX_LINES, "README.md has " .. n .. " lines: move the details into a guide under docs/")
  end)

  it("the guides are README.md and docs/*.md, each a topic of the reference in config.ld", function()
    assert.is_true(#GUIDES > 5, table.concat(GUIDES, " "))
    local topics = config().topics
    assert.is_table(topics, "config.ld has no topics")
    local listed = {}
    for _, t in ipairs(topics) do
      listed[t] = true
      assert.is_true(exists(t), "config.ld's topic " .. t .. " does not exist")
    end
    local missing = {}
    for _, g in ipairs(GUIDES) do
      if not listed[g] then missing[#missing + 1] = g end
    end
    assert.same({}, missing)
    assert.equal("README.md", topics[1])
  end)

  it("every relative link of a guide goes to a file that exists, and to a heading there that exists", function()
    local bad = {}
    local n = 0
    for _, g in ipairs(GUIDES) do
      for _, link in ipairs(links(g)) do
        n = n + 1
        local file, anchor = link.target:match("^([^#]*)#?(.*)$")
        local to = file == "" and g or normalize(dir_of(g) .. file)
        local where = g .. ":" .. link.line .. ": " .. link.target
        if not exists(to) then
          bad[#bad + 1] = where .. " (no file " .. to .. ")"
        elseif anchor ~= "" then
          if not to:find("%.md$") then
            bad[#bad + 1] = where .. " (an anchor in a file that is not markdown)"
          elseif not anchors(to)[anchor] then
            bad[#bad + 1] = where .. " (no heading of " .. to .. " has the anchor #" .. anchor .. ")"
          end
        end
      end
    end
    assert.same({}, bad)
    assert.is_true(n >= 30, "found only " .. n .. " links: the scan reads the guides it means to")
  end)

  it("the README links to every guide", function()
    local linked = {}
    for _, link in ipairs(links("README.md")) do linked[normalize(link.target:match("^[^#]*"))] = true end
    local missing = {}
    for _, g in ipairs(GUIDES) do
      if g ~= "README.md" and not linked[g] then missing[#missing + 1] = g end
    end
    assert.same({}, missing)
  end)

  it("LDoc can read them: no code span crosses a line break, no fence is indented", function()
    local bad = {}
    for _, g in ipairs(GUIDES) do
      local lines, kinds = lines_of(g)
      for i, l in ipairs(lines) do
        if kinds[i] == "fence" and l:match("^%s+```") then
          bad[#bad + 1] = g .. ":" .. i .. ": an indented fence (LDoc sees no code block): " .. l
        elseif (kinds[i] == "text" or kinds[i] == "heading") and select(2, l:gsub("`", "")) % 2 == 1 then
          bad[#bad + 1] = g .. ":" .. i .. ": a code span crosses the line break: " .. l
        end
      end
    end
    assert.same({}, bad)
  end)
end)

describe("the guides in the reference", function()
  local _, have_ldoc = run("command -v ldoc")
  if not have_ldoc then
    it("needs LDoc", function()
      error("ldoc is not installed: `make deps-test` (or apt-get install lua-ldoc lua-discount) installs it")
    end)
    return
  end

  -- written where `make docs` writes it, two levels down (the guides' pages
  -- link to the repository's files as ../../../<path>)
  local dir
  local pages = {}
  setup(function()
    dir = "build/guides-" .. tostring(os.time()) .. "-" .. math.random(1e6)
    local out, ok = run(X.bounded(300, "ldoc") .. " -d '" .. dir .. "' .")
    assert(ok, out)
    local noise = {}
    for line in out:gmatch("[^\n]+") do
      if not (line:find("^reading configuration from ") or line:find("^found master module")
          or line == "***closing section from master module***" or line:find("^output written to ")) then
        noise[#noise + 1] = line
      end
    end
    assert.same({}, noise)
  end)
  teardown(function()
    if dir then os.execute("rm -rf '" .. dir .. "'") end
  end)

  local function page(path)
    if pages[path] == nil then
      local f = io.open(dir .. "/" .. path, "rb")
      pages[path] = f and f:read("*a") or false
      if f then f:close() end
    end
    return pages[path] or nil
  end

  local function name_of(guide) return guide:match("[^/]+$") end

  it("has a page per guide, and each page lists every guide in the sidebar, in config.ld's order", function()
    local topics = config().topics
    for _, g in ipairs(GUIDES) do
      local html = page("topics/" .. name_of(g) .. ".html")
      assert(html, "no page for " .. g .. " in " .. dir .. "/topics/")
      local list = html:match("<h2>Topics</h2>%s*<ul[^>]*>(.-)</ul>")
      assert(list, g .. ": no Topics in the sidebar")
      local order = {}
      for item in list:gmatch("<li>(.-)</li>") do
        order[#order + 1] = item:match('href="[^"]-([^/"]+)%.html"') or name_of(g)
      end
      local want = {}
      for i, t in ipairs(topics) do want[i] = name_of(t) end
      assert.same(want, order)
    end
    assert.truthy(page("index.html"):find('href="topics/README.md.html"', 1, true))
  end)

  it("uses the project's style sheet", function()
    assert.equal(read("docs/ldoc/ldoc.css"), read(dir .. "/ldoc.css"))
  end)

  it("every link and picture of a guide's page goes to a file that exists, and to an id there", function()
    local bad = {}
    local n = 0
    for _, g in ipairs(GUIDES) do
      local html = page("topics/" .. name_of(g) .. ".html")
      local content = html:match('<div id="content">(.*)$')
      local targets = {}
      for target in content:gmatch('<a href="([^"]*)"') do targets[#targets + 1] = target end
      for target in content:gmatch('<img src="([^"]*)"') do targets[#targets + 1] = target end
      for _, target in ipairs(targets) do
        if not target:find("^%a[%w+.-]*:") then
          n = n + 1
          local file, anchor = target:match("^([^#]*)#?(.*)$")
          local to = file == "" and ("topics/" .. name_of(g) .. ".html") or normalize("topics/" .. file)
          local where = g .. ": " .. target
          if not exists(dir .. "/" .. to) then
            bad[#bad + 1] = where .. " (no " .. to .. " from " .. dir .. "/topics/)"
          elseif anchor ~= "" and to:find("%.html$") then
            local text = page(to) or read(dir .. "/" .. to)
            if not (text:find('id="' .. anchor .. '"', 1, true) or text:find('name="' .. anchor .. '"', 1, true)
                or text:find('name = "' .. anchor .. '"', 1, true)) then
              bad[#bad + 1] = where .. " (no id " .. anchor .. " in " .. to .. ")"
            end
          end
        end
      end
    end
    assert.same({}, bad)
    assert.is_true(n >= 30, "found only " .. n .. " links in the pages")
  end)

  it("shows code as written: no dash, curly quote, ellipsis, italics or superscript made of it", function()
    local bad = {}
    local files = run("cd '" .. dir .. "' && ls index.html topics/*.html modules/*.html")
    for f in files:gmatch("[^\n]+") do
      local html = read(dir .. "/" .. f)
      for code in html:gmatch("<code>(.-)</code>") do
        if code:find("&[nm]dash;") or code:find("&[lr][sd]quo;") or code:find("&hellip;")
            or code:find("<em>", 1, true) or code:find("<sup>", 1, true) then
          bad[#bad + 1] = f .. ": <code>" .. code .. "</code>"
        end
      end
    end
    assert.same({}, bad)
  end)
end)
