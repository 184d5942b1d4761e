-- The API reference (`make docs`, LDoc, config.ld) covers every public
-- module, function, method, client option and error kind, from the doc
-- comments in the code. A public function without a `---` comment fails here,
-- naming its module and function.
--
-- What is public: every module under lua/pinanalytics/ but those config.ld
-- lists as internal; in each, the functions of the module table (what
-- `require` gives) and the methods of its classes (tables that are their own
-- __index), names without a leading underscore; the C core's functions and
-- the methods of its Session, Batch and MetricFrame (their luaL_Reg tables
-- in csrc/, and what the objects answer to).

local X = require "helpers.child"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function lines_of(path)
  local t = {}
  for line in (read(path) .. "\n"):gmatch("([^\n]*)\n") do t[#t + 1] = line end
  return t
end

local function run(cmd)
  local h = assert(io.popen(X.plain(cmd) .. " 2>&1")) -- ldoc does not load the C module
  local out = h:read("*a")
  local ok, _, code = h:close()
  if type(ok) == "number" then code = ok; ok = code == 0 end -- Lua 5.1
  return out, ok == true or code == 0
end

local function have_ldoc()
  local _, ok = run("command -v ldoc")
  return ok
end

-- config.ld is Lua: its `file` list and the internal modules it excludes
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

local function module_name(path)
  return (path:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/init$", ""):gsub("/", "."))
end

-- public Lua files: everything under lua/pinanalytics/ but config.ld's internal list
local function public_files()
  local internal = {}
  for _, p in ipairs(config().file.exclude or {}) do internal[p] = true end
  local h = assert(io.popen("find lua/pinanalytics -name '*.lua' | sort"))
  local files = {}
  for path in h:lines() do
    if not internal[path] then files[#files + 1] = path end
  end
  h:close()
  return files
end

-- What LDoc made of the comments (spec/helpers/ldoc_model.lua), and every
-- line of its output that is not part of the model: its warnings.
local model_cache
local function model()
  if model_cache then return model_cache end
  local out, ok = run(X.bounded(300, "ldoc") .. " --filter helpers.ldoc_model.print .")
  local m = { modules = {}, items = {}, fields = {}, warnings = {}, ok = ok }
  for line in out:gmatch("[^\n]+") do
    local kind, rest = line:match("^(%a+)\t(.*)$")
    local f = {}
    for x in ((rest or "") .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = x end
    if kind == "module" then
      m.modules[f[1]] = f[2]
      m.items[f[1]] = m.items[f[1]] or {}
    elseif kind == "item" then
      m.items[f[1]] = m.items[f[1]] or {}
      m.items[f[1]][f[3]] = { type = f[2], summary = f[4] }
    elseif kind == "field" then
      local key = f[1] .. "\0" .. f[2]
      m.fields[key] = m.fields[key] or {}
      m.fields[key][f[3]] = f[4] or ""
    elseif not (line:find("^reading configuration from ") or line:find("^found master module")
        or line == "***closing section from master module***") then
      m.warnings[#m.warnings + 1] = line
    end
  end
  model_cache = m
  return m
end

-- "<module>: <what>" lines, sorted, one failure for them all
local function report(problems, title)
  table.sort(problems)
  assert(#problems == 0, title .. " (" .. #problems .. "):\n  " .. table.concat(problems, "\n  "))
end

local function documented(m, mod, name)
  local item = m.items[mod] and m.items[mod][name]
  return item ~= nil and item.summary ~= ""
end

-- The functions a Lua file defines at its top level on its module table or
-- on a class (a table that is its own __index), with the line and whether a
-- `---` comment block stands right above.
local function definitions(path)
  local lines = lines_of(path)
  local text = table.concat(lines, "\n")
  local module_table = text:match("\nreturn%s+([%a_][%w_]*)%s*$") or text:match("\nreturn%s+([%a_][%w_]*)%s*\n")
  local defs = {}
  for i, line in ipairs(lines) do
    local t, sep, name = line:match("^function%s+([%a_][%w_]*)([.:])([%a_][%w_]*)%s*%(")
    if not t then
      t, name = line:match("^([%a_][%w_]*)%.([%a_][%w_]*)%s*=%s*function%s*%(")
      sep = "."
    end
    if t and name:sub(1, 1) ~= "_" then
      local is_class = t ~= module_table and (text:find("\n" .. t .. "%.__index%s*=%s*" .. t .. "%f[^%w_]")
        or text:find("__index%s*=%s*" .. t .. "%f[^%w_]"))
      if t == module_table or is_class then
        -- the comment block above: its first line must start with ---
        local j = i - 1
        while j >= 1 and lines[j]:find("^%-%-") do j = j - 1 end
        local first = lines[j + 1]
        local has_doc = j + 1 < i and first:find("^%-%-%-") ~= nil and not first:find("^%-%-%-%-")
        defs[#defs + 1] = {
          name = t == module_table and name or (t .. sep .. name),
          line = i, has_doc = has_doc,
        }
      end
    end
  end
  return defs, module_table
end

-- luaL_Reg tables of the C core: { module, name } for each function or method
local C_CLASSES = {
  session = { "pinanalytics.core", "Session" },
  batch = { "pinanalytics.core", "Batch" },
  h1 = { "pinanalytics.core", "H1" },
  lock = { "pinanalytics.core", "Lock" },
  frame = { "pinanalytics.frame", "MetricFrame" },
  download = { "pinanalytics.core", "Download" },
  reader = { "pinanalytics.core", "ReportReader" },
}

local function c_functions()
  local found = {}
  local h = assert(io.popen("ls csrc/*.c"))
  for path in h:lines() do
    local src = read(path)
    for array, body in src:gmatch("luaL_Reg%s+([%w_]+)%[%]%s*=%s*(%b{})") do
      local class = array:match("^pa_([%w]+)_methods$")
      for name in body:gmatch('{%s*"([%w_]+)"%s*,') do
        if array == "pa_core_funcs" then
          found[#found + 1] = { mod = "pinanalytics.core", name = name, where = path .. " " .. array }
        elseif class then
          local c = C_CLASSES[class]
          found[#found + 1] = {
            mod = c and c[1] or "?", name = (c and c[2] or class) .. ":" .. name,
            where = path .. " " .. array, unknown = not c,
          }
        end
      end
    end
  end
  h:close()
  return found
end

local where_to_document = {
  ["pinanalytics.core"] = "a /*** ... @function NAME */ comment in its C file",
  ["pinanalytics.frame"] = "a --- comment with @function NAME in docs/frame.luadoc (or its C file)",
}

describe("reference documentation", function()
  if not have_ldoc() then
    it("needs LDoc", function()
      error("ldoc is not installed: `make deps-test` (or apt-get install lua-ldoc lua-markdown) installs it")
    end)
    return
  end

  it("LDoc reads every doc comment without a warning", function()
    local m = model()
    assert(m.ok, "ldoc failed:\n" .. table.concat(m.warnings, "\n"))
    report(m.warnings, "LDoc warnings (a --- comment LDoc cannot place, a tag it does not know)")
  end)

  it("LDoc writes the HTML reference", function()
    local dir = os.tmpname()
    os.remove(dir)
    local out, ok = run(X.bounded(300, "ldoc") .. " -d '" .. dir .. "' .")
    local html = io.open(dir .. "/modules/pinanalytics.pinterest.html", "rb")
    local index = io.open(dir .. "/index.html", "rb")
    local page = html and html:read("*a") or ""
    if html then html:close() end
    if index then index:close() end
    os.execute("rm -rf '" .. dir .. "'")
    assert(ok, out)
    assert(index, "no index.html in " .. dir .. ":\n" .. out)
    assert.truthy(page:find("pin_analytics", 1, true))
  end)

  it("has every public module, with its summary", function()
    local m = model()
    local problems = {}
    for _, path in ipairs(public_files()) do
      local mod = module_name(path)
      local first = lines_of(path)[1] or ""
      if first:find("^#!") then first = lines_of(path)[2] or "" end
      if not first:find("^%-%-%-") or first:find("^%-%-%-%-") then
        problems[#problems + 1] = mod .. ": the module has no doc comment (" .. path .. " must begin with a --- " ..
          "comment saying what the module is; LDoc takes the first --- comment of a file as the module's)"
      elseif not m.modules[mod] or m.modules[mod] == "" then
        problems[#problems + 1] = mod .. ": the module has no doc comment (a --- comment at the top of " ..
          path .. ")" .. (m.modules[mod] and "" or "; LDoc names no module " .. mod)
      end
    end
    report(problems, "modules without a reference page")
  end)

  it("has a --- doc comment for every public Lua function and method", function()
    local m = model()
    local problems = {}
    for _, path in ipairs(public_files()) do
      local mod = module_name(path)
      for _, d in ipairs((definitions(path))) do
        if not d.has_doc then
          problems[#problems + 1] = ("%s: %s has no doc comment (a --- comment right above %s:%d)")
            :format(mod, d.name, path, d.line)
        elseif not documented(m, mod, d.name) then
          problems[#problems + 1] = ("%s: %s (%s:%d) is not in the reference: LDoc did not take its comment " ..
            "(a module without its own --- comment at the top gives LDoc the first function's instead)")
            :format(mod, d.name, path, d.line)
        end
      end
    end
    report(problems, "public functions without a doc comment")
  end)

  it("documents every function the public modules export", function()
    local m = model()
    local problems = {}
    for _, path in ipairs(public_files()) do
      local mod = module_name(path)
      local ok, t = pcall(require, mod)
      if ok and type(t) == "table" then
        for k, v in pairs(t) do
          if type(v) == "function" and type(k) == "string" and k:sub(1, 1) ~= "_" and not documented(m, mod, k) then
            problems[#problems + 1] = ("%s: %s has no doc comment (it is %s.%s; %s)")
              :format(mod, k, mod, k, path)
          end
        end
      end
    end
    report(problems, "exported functions without a doc comment")
  end)

  it("documents every function of the C core and every method of its objects", function()
    local m = model()
    local problems = {}
    local seen = {}
    local function need(mod, name, where)
      if seen[mod .. " " .. name] then return end
      seen[mod .. " " .. name] = true
      if not documented(m, mod, name) then
        problems[#problems + 1] = ("%s: %s has no doc comment (%s; document it with %s)")
          :format(mod, name, where, where_to_document[mod] or "a doc comment")
      end
    end
    for _, c in ipairs(c_functions()) do
      if c.unknown then
        problems[#problems + 1] = c.name .. " (" .. c.where .. "): spec/docs_spec.lua does not know where " ..
          "this class is documented (C_CLASSES)"
      else
        need(c.mod, c.name, c.where)
      end
    end
    -- what the objects answer to, methods added in Lua included
    require "pinanalytics.frame"
    local core = require "pinanalytics.core"
    local objects = {
      { "pinanalytics.core", "Session", core.session({ base_url = "http://127.0.0.1:9" }) },
      { "pinanalytics.core", "Batch", core.batch({ base_url = "http://127.0.0.1:9" }) },
      { "pinanalytics.core", "H1", core.h1({ base_url = "http://127.0.0.1:9" }) },
      { "pinanalytics.frame", "MetricFrame", core.frame({}) },
    }
    for _, o in ipairs(objects) do
      local mt = debug.getmetatable(o[3])
      for k, v in pairs(type(mt.__index) == "table" and mt.__index or {}) do
        if type(v) == "function" and k:sub(1, 1) ~= "_" then
          need(o[1], o[2] .. ":" .. k, "a method of every " .. o[2])
        end
      end
      if o[3].close then o[3]:close() end
    end
    for k, v in pairs(core) do
      if type(v) == "function" then need("pinanalytics.core", k, "core." .. k) end
    end
    report(problems, "C functions and methods without a doc comment")
  end)

  it("documents every option of the clients and of the C core's Session and Batch", function()
    local m = model()
    local problems = {}
    local function need(mod, item, options, where)
      local fields = m.fields[mod .. "\0" .. item] or {}
      for _, o in ipairs(options) do
        if not fields["opts." .. o] or fields["opts." .. o] == "" then
          problems[#problems + 1] = ("%s: %s: option %s is not documented (an @tparam opts.%s line in the " ..
            "comment of %s; %s)"):format(mod, item, o, o, item, where)
        end
      end
    end
    local pa = require "pinanalytics"
    for _, c in ipairs({ { "pinterest", pa.pinterest }, { "oneup", pa.oneup } }) do
      local ok, err = pcall(c[2], { no_such_option_ = true })
      assert.is_false(ok)
      local known = tostring(err):match("%(known: ([^)]*)%)")
      assert(known, "no list of known options in: " .. tostring(err))
      local options = {}
      for o in known:gmatch("[%w_]+") do options[#options + 1] = o end
      assert.is_true(#options > 5)
      need("pinanalytics." .. c[1], "new", options, "the options its constructor knows")
    end
    local names = read("csrc/xfer.c"):match("pa_option_names%[%]%s*=%s*(%b{})")
    assert(names, "csrc/xfer.c: no pa_option_names")
    local session, batch = {}, {}
    for o in names:gmatch('"([%w_]+)"') do
      batch[#batch + 1] = o
      if o ~= "concurrency" and o ~= "events" then session[#session + 1] = o end
    end
    need("pinanalytics.core", "session", session, "csrc/xfer.c pa_option_names")
    need("pinanalytics.core", "batch", batch, "csrc/xfer.c pa_option_names")
    report(problems, "options without documentation")
  end)

  it("documents every error kind of errors.KINDS", function()
    local m = model()
    local fields = m.fields["pinanalytics.errors\0KINDS"] or {}
    local problems = {}
    local kinds = require("pinanalytics.errors").KINDS
    for kind in pairs(kinds) do
      if not fields[kind] or fields[kind] == "" then
        problems[#problems + 1] = "pinanalytics.errors: KINDS: kind " .. kind ..
          " is not documented (an @field " .. kind .. " line in the comment of KINDS)"
      end
    end
    for kind in pairs(fields) do
      if kinds[kind] == nil then
        problems[#problems + 1] = "pinanalytics.errors: KINDS documents " .. kind .. ", which is not a kind"
      end
    end
    report(problems, "error kinds without documentation")
  end)

  it("finds what it checks (the scan reads the code it means to)", function()
    local files = public_files()
    local mods = {}
    for _, p in ipairs(files) do mods[module_name(p)] = true end
    for _, want in ipairs({ "pinanalytics", "pinanalytics.pinterest", "pinanalytics.dates", "pinanalytics.runtime",
      "pinanalytics.runtime.uv", "pinanalytics.simulator" }) do
      assert(mods[want], want .. " is not among the public modules")
    end
    assert.is_nil(mods["pinanalytics.check"])
    local defs = definitions("lua/pinanalytics/dates.lua")
    local names = {}
    for _, d in ipairs(defs) do names[d.name] = d end
    assert.truthy(names.parse)
    assert.truthy(names["Range:length"])
    assert.is_nil(names.__tostring)
    local c = {}
    for _, f in ipairs(c_functions()) do c[f.mod .. " " .. f.name] = true end
    assert.truthy(c["pinanalytics.core session"])
    assert.truthy(c["pinanalytics.core Batch:events"])
    assert.truthy(c["pinanalytics.frame MetricFrame:sum"])
  end)
end)
