--- The Lua runtime the specs run on, as the Makefile names it (LUA=...),
-- and what belongs to it: its build of the C module, its headers and
-- library (for the small C programs some specs compile), its interpreter.
local R = {}

local jit = rawget(_G, "jit")

--- "lua5.4", "lua5.3", "lua5.1" or "luajit"
R.NAME = jit and "luajit" or "lua" .. _VERSION:match("%d+%.%d+")

--- Where `make build LUA=<NAME>` puts the C module, relative to the checkout:
-- <BUILD>/pinanalytics/core.so (a LUA_CPATH entry is <BUILD>/?.so).
R.BUILD = "build/" .. R.NAME

--- Compiler flags for a program that embeds this runtime.
R.CFLAGS = jit and "-I/usr/include/luajit-2.1" or "-I/usr/include/" .. R.NAME
R.LIBS = jit and "-lluajit-5.1" or "-l" .. R.NAME

--- Does this runtime have integers (math.type)?
R.INTEGERS = math.type ~= nil

--- The path of this interpreter (what a child process should run).
function R.exe()
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("*l"):match("^(%d+)")
  f:close()
  local p = assert(io.popen("readlink /proc/" .. pid .. "/exe"))
  local exe = p:read("*a"):gsub("%s+$", "")
  p:close()
  return exe
end

--- Runs a shell command; returns what it wrote to stdout and its exit
-- status (a number). On Lua 5.1 and LuaJIT the close of an io.popen handle
-- does not tell the status, so the shell prints it after the output.
function R.run(cmd)
  local p = assert(io.popen("{ " .. cmd .. "\n}; printf '\\n~exit %d' $?"))
  local out = p:read("*a")
  p:close()
  local body, code = out:match("^(.*)\n~exit (%d+)$")
  assert(body, "no exit status from: " .. cmd)
  return body, tonumber(code)
end

return R
