--- The Lua runtime the specs run on, as the Makefile names it (LUA=...),
-- and what belongs to it: its build of the C module, its headers and
-- library (for the small C programs some specs compile), its interpreter.
local X = require "helpers.child"

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

--- A new object whose finalizer calls fn(): a table with a __gc on Lua
-- 5.2+; on Lua 5.1 and LuaJIT, which run no __gc of a table, a userdata
-- (newproxy). Nothing holds it: it is garbage at once.
local newproxy = rawget(_G, "newproxy")
function R.finalizable(fn)
  if newproxy then
    local u = newproxy(true)
    getmetatable(u).__gc = function() fn() end
    return
  end
  setmetatable({}, { __gc = function() fn() end })
end

--- Runs f with the collector as eager as this runtime lets it be, so that
-- pending finalizers run again and again while the C core allocates: on
-- Lua 5.4 generational, collecting young objects after every 1 % of growth
-- (a major collection only when the heap has grown tenfold; one step at
-- once, so that the debt left by the last full collection does not delay
-- the first minor one); elsewhere incremental with no pause between cycles
-- (each cycle calls the finalizers pending at its end; a step multiplier
-- above the default makes Lua 5.3 run a whole cycle at every step, very
-- slow, and no more finalizers run). Restores the collector and collects
-- fully after; raises what f raised.
function R.with_eager_gc(f)
  local restore
  if _VERSION == "Lua 5.4" then
    collectgarbage()
    collectgarbage("generational", 1, 1000)
    collectgarbage("step", 0)
    restore = function() collectgarbage("incremental") end
  else
    -- the pause applies from the end of a cycle: set it, then collect
    local pause, stepmul = collectgarbage("setpause", 0), collectgarbage("setstepmul", 200)
    collectgarbage()
    restore = function()
      collectgarbage("setpause", pause)
      collectgarbage("setstepmul", stepmul)
    end
  end
  local ok, err = pcall(f)
  restore()
  collectgarbage()
  if not ok then error(err, 0) end
end

--- Runs a shell command, stopped after `seconds` (default 600; then its
-- status is 124); returns what it wrote to stdout and its exit status (a
-- number). On Lua 5.1 and LuaJIT the close of an io.popen handle does not
-- tell the status, so the shell prints it after the output.
function R.run(cmd, seconds)
  local p = assert(io.popen(X.bounded(seconds or 600, "sh -c " .. "'" .. cmd:gsub("'", "'\\''") .. "'") ..
    "; printf '\\n~exit %d' $?"))
  local out = p:read("*a")
  p:close()
  local body, code = out:match("^(.*)\n~exit (%d+)$")
  assert(body, "no exit status from: " .. cmd)
  return body, tonumber(code)
end

return R
