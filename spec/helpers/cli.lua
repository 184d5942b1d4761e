--- Runs bin/pinanalytics as a user runs it, for the command-line specs: a
-- subprocess of the Lua running the spec (each runtime tests its own), with
-- this process's module paths and none of the caller's credentials.
local X = require "helpers.child"

local C = {}

--- The interpreter running this spec.
C.LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

--- A shell word.
function C.q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local q = C.q

--- The contents of a file, or nil.
function C.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

--- A new temporary file's name.
function C.tmpname()
  local h = assert(io.popen("mktemp"))
  local p = h:read("*l")
  h:close()
  return p
end

--- Whether a shell command succeeds (os.execute answers differently in 5.1).
function C.succeeds(cmd)
  local ok, how, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end
  return ok == true and how == "exit" and code == 0
end

--- The environment of every run: the module paths of this process (whatever
-- the build layout), none of the caller's credentials or base URLs.
C.CLEAN = "env -u PINTEREST_ACCESS_TOKEN -u ONEUP_API_KEY -u PINTEREST_BASE_URL -u ONEUP_BASE_URL " ..
  "LUA_PATH=" .. q(package.path) .. " LUA_CPATH=" .. q(package.cpath)

--- NAME=value words for env, sorted.
function C.envs(env)
  local out = {}
  for k, v in pairs(env or {}) do out[#out + 1] = k .. "=" .. q(v) end
  table.sort(out)
  return table.concat(out, " ")
end

--- Runs `pinanalytics ARGS` (a shell word list) with env (NAME -> value) and
-- stdin (a file, else /dev/null), stopped after 120 s (exit 124); returns
-- exit code, stdout, stderr.
function C.run(args, env, stdin)
  local out, err = C.tmpname(), C.tmpname()
  local cmd = C.CLEAN .. " " .. C.envs(env) .. " " .. X.bounded(120, C.LUA) .. " bin/pinanalytics " .. args ..
    " >" .. out .. " 2>" .. err .. (stdin and (" <" .. stdin) or " </dev/null") .. "; echo $?"
  local h = assert(io.popen(cmd))
  local code = tonumber(h:read("*a"):match("(%d+)%s*$"))
  h:close()
  local o, e = C.read(out), C.read(err)
  os.remove(out)
  os.remove(err)
  return code, o, e
end

--- The non-empty lines of s.
function C.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

return C
