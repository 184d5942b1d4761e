-- The C half of MetricFrames is split by concern: csrc/frame.c keeps the
-- userdata (its lifecycle, the helpers every part uses, the method table),
-- and one file each holds the calendar, the construction, the reading, the
-- aggregation, the ranking and the text. The files share through one
-- private header, csrc/frame.h, whose names all start with pa_frame_ and
-- each say what they are; whatever one file alone uses stays static in it.
-- The built module still exports nothing but its luaopen_ function.
-- (What the frames do is the business of frame_spec.lua and its siblings.)

local FILES = {
  "frame.c", "frame_calendar.c", "frame_build.c", "frame_read.c",
  "frame_agg.c", "frame_rank.c", "frame_text.c",
}
local MAX_LINES = 500

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

local function count_lines(s)
  local n = 0
  for _ in s:gmatch("\n") do n = n + 1 end
  return n
end

local function ls(pattern)
  local h = assert(io.popen("ls " .. pattern .. " 2>/dev/null"))
  local t = {}
  for path in h:lines() do t[#t + 1] = path end
  h:close()
  return t
end

-- Comments and string literals blanked (newlines kept), so that a name in
-- a comment or a message is no use and no definition.
local function code_of(src)
  src = src:gsub("/%*.-%*/", function(c) return (c:gsub("[^\n]", " ")) end)
  src = src:gsub("\\[^\n]", "  ")
  src = src:gsub("'[^'\n]'", "' '")
  src = src:gsub('"[^"\n]*"', '""')
  src = src:gsub("//[^\n]*", "")
  return src
end

-- The functions and objects a C file declares or defines at file scope:
-- { name, static, definition, data, line }. A top-level statement starts at
-- column 0 with a letter; it is a function when a "(" comes before its
-- first "{", ";" or "=".
local function top_level(src)
  local code, found = code_of(src), {}
  local pos, line = 1, 1
  while true do
    local s = code:find("\n[%a_]", pos)
    if not s then break end
    local _, nl = code:sub(pos, s):gsub("\n", "")
    line = line + nl
    local body = code:sub(s + 1)
    local stop = body:find("[{;]")
    local head = stop and body:sub(1, stop - 1) or body
    local first = head:match("^(%a+)")
    local eq, paren = head:find("="), head:find("%(")
    local func = paren and (not eq or paren < eq)
    if stop and first ~= "typedef" and (func or (first ~= "enum" and first ~= "struct")) then
      local item = { static = first == "static", line = line }
      if func then
        item.name = head:sub(1, paren - 1):match("([%a_][%w_]*)%s*$")
        item.definition = body:sub(stop, stop) == "{"
      else
        local decl = head:sub(1, (eq or #head + 1) - 1):gsub("%b[]", "")
        item.name = decl:match("([%a_][%w_]*)%s*$")
        item.data = true
        item.definition = eq ~= nil
      end
      if item.name then found[#found + 1] = item end
    end
    pos = s + 1
  end
  return found
end

local function uses(code, name)
  local n = 0
  for _ in code:gmatch("%f[%w_]" .. name:gsub("%p", "%%%0") .. "%f[^%w_]") do n = n + 1 end
  return n
end

describe("csrc/frame*.c", function()
  it("is one file per concern, each at most " .. MAX_LINES .. " lines and each on csrc/frame.h", function()
    assert(exists("csrc/frame.h"), "csrc/frame.h is missing")
    local present = {}
    for _, path in ipairs(ls("csrc/frame*.c")) do present[path:match("[^/]+$")] = true end
    for _, name in ipairs(FILES) do
      assert(present[name], "csrc/" .. name .. " is missing")
      present[name] = nil
      local src = read("csrc/" .. name)
      assert(count_lines(src) <= MAX_LINES, "csrc/" .. name .. " has " .. count_lines(src) .. " lines")
      assert(src:find('#include "frame.h"', 1, true), "csrc/" .. name .. " does not include frame.h")
      assert(src:match("^/%*"), "csrc/" .. name .. " does not start with a comment saying what it holds")
    end
    assert.same({}, present) -- a frame file not listed here
  end)

  it("shares only what csrc/frame.h declares, every name pa_frame_ and with a comment", function()
    local header = read("csrc/frame.h")
    local header_lines = {}
    for l in (header .. "\n"):gmatch("([^\n]*)\n") do header_lines[#header_lines + 1] = l end
    local shared, shared_names = {}, {}
    for _, item in ipairs(top_level(header)) do
      -- a declaration, or a static inline helper defined in the header
      assert(item.name:match("^pa_frame_"), "csrc/frame.h:" .. item.line .. ": " .. item.name ..
        " is not named pa_frame_...")
      local prev = item.line - 1
      while prev > 0 and header_lines[prev]:match("^%s*$") do prev = prev - 1 end
      assert(prev > 0 and header_lines[prev]:match("%*/%s*$"),
        "csrc/frame.h:" .. item.line .. ": " .. item.name .. " has no comment before it")
      if not item.static then
        shared[#shared + 1] = item.name
        shared_names[item.name] = true
      end
    end
    assert(#shared > 0, "csrc/frame.h declares nothing")

    local public = {} -- what pa.h declares for the other files of the core
    for _, item in ipairs(top_level(read("csrc/pa.h"))) do public[item.name] = true end

    local code, defined_in = {}, {}
    for _, path in ipairs(ls("csrc/*.c")) do code[path] = code_of(read(path)) end
    for _, name in ipairs(FILES) do
      local path = "csrc/" .. name
      for _, item in ipairs(top_level(read(path))) do
        if item.definition and not item.static then
          assert(shared_names[item.name] or public[item.name],
            path .. ":" .. item.line .. ": " .. item.name .. " is neither static nor declared in frame.h or pa.h")
          assert(not defined_in[item.name], item.name .. " is defined twice")
          defined_in[item.name] = path
        end
      end
    end
    for _, name in ipairs(shared) do
      local home = defined_in[name]
      assert(home, "csrc/frame.h declares " .. name .. ", which no csrc/frame*.c defines")
      local elsewhere = 0
      for path, c in pairs(code) do
        if path ~= home then elsewhere = elsewhere + uses(c, name) end
      end
      assert(elsewhere > 0, name .. " is used in " .. home .. " alone: it should be static there")
    end
  end)

  it("leaves the built module exporting only luaopen_pinanalytics_core", function()
    local so
    for pattern in package.cpath:gmatch("[^;]+") do
      local path = pattern:gsub("%?", "pinanalytics/core")
      if exists(path) then so = path; break end
    end
    assert(so, "no pinanalytics/core.so on package.cpath: make build")
    local h = assert(io.popen("nm -D --defined-only '" .. so .. "' 2>&1"))
    local out = h:read("*a")
    h:close()
    local exported = {}
    for sym in out:gmatch("%x+ [A-Z] ([%w_]+)") do exported[#exported + 1] = sym end
    assert(#exported > 0, "nm read no symbol from " .. so .. ":\n" .. out)
    assert.same({ "luaopen_pinanalytics_core" }, exported)
  end)
end)
