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

--- A credentials file that is not there (its folder neither): the default of
-- every run, so that the user's own never answers for a spec.
C.NO_CREDENTIALS = "/nonexistent/pinanalytics-spec/credentials.json"

--- The environment of every run: the module paths of this process (whatever
-- the build layout), none of the caller's credentials, base URLs, app or
-- browser, and a credentials file that is not there (a run's env may name one).
C.CLEAN = "env -u PINTEREST_ACCESS_TOKEN -u ONEUP_API_KEY -u PINTEREST_BASE_URL -u ONEUP_BASE_URL " ..
  "-u PINTEREST_CLIENT_ID -u PINTEREST_CLIENT_SECRET -u PINTEREST_OAUTH_URL -u BROWSER " ..
  "PINANALYTICS_CREDENTIALS=" .. C.NO_CREDENTIALS .. " LUA_PATH=" .. q(package.path) .. " LUA_CPATH=" .. q(package.cpath)

--- NAME=value words for env, sorted.
function C.envs(env)
  local out = {}
  for k, v in pairs(env or {}) do out[#out + 1] = k .. "=" .. q(v) end
  table.sort(out)
  return table.concat(out, " ")
end

--- Runs `pinanalytics ARGS` (a shell word list) with env (NAME -> value) and
-- stdin (a file, else /dev/null), stopped after `seconds` (default 120 s;
-- exit 124); returns exit code, stdout, stderr.
function C.run(args, env, stdin, seconds)
  local out, err = C.tmpname(), C.tmpname()
  local cmd = C.CLEAN .. " " .. C.envs(env) .. " " .. X.bounded(seconds or 120, C.LUA) .. " bin/pinanalytics " .. args ..
    " >" .. out .. " 2>" .. err .. (stdin and (" <" .. stdin) or " </dev/null") .. "; echo $?"
  local h = assert(io.popen(cmd))
  local code = tonumber(h:read("*a"):match("(%d+)%s*$"))
  h:close()
  local o, e = C.read(out), C.read(err)
  os.remove(out)
  os.remove(err)
  return code, o, e
end

--- Runs `pinanalytics ARGS` as `run` does, with standard output sent where
-- `redirect` says (shell text: ">/dev/full", ">&-" for closed); returns the
-- exit code and stderr.
function C.run_to(redirect, args, env)
  local err = C.tmpname()
  local h = assert(io.popen(C.CLEAN .. " " .. C.envs(env) .. " " .. X.bounded(120, C.LUA) .. " bin/pinanalytics " ..
    args .. " " .. redirect .. " 2>" .. err .. " </dev/null; echo $?"))
  local code = tonumber(h:read("*a"):match("(%d+)%s*$"))
  h:close()
  local e = C.read(err)
  os.remove(err)
  return code, e
end

local function sleep(s) os.execute("sleep " .. s) end

--- Starts `pinanalytics ARGS` in the background as the direct child of a
-- shell (`sh -c 'echo $$; exec ...'`: its pid is the tool's, for kill), its
-- standard input `stdin` (a file or a FIFO; default /dev/null).
-- Returns an object: pid; signal(name); wait(seconds) -> exit code, stdout,
-- stderr, or nil when it has not ended by then (it is then killed).
function C.spawn(args, env, stdin)
  local t = { out = C.tmpname(), err = C.tmpname(), pidf = C.tmpname(), codef = C.tmpname() }
  os.remove(t.codef)
  local inner = "echo $$ >" .. t.pidf .. "; exec " .. C.CLEAN .. " " .. C.envs(env) .. " " .. C.LUA ..
    " bin/pinanalytics " .. args .. " >" .. t.out .. " 2>" .. t.err .. " <" .. (stdin and q(stdin) or "/dev/null")
  os.execute("(sh -c " .. q(inner) .. "; echo $? >" .. t.codef .. ".part; mv " .. t.codef .. ".part " .. t.codef ..
    ") >/dev/null 2>&1 &")
  for _ = 1, 100 do
    t.pid = (C.read(t.pidf) or ""):match("^(%d+)")
    if t.pid then break end
    sleep(0.05)
  end
  assert(t.pid, "the tool did not start")
  function t.signal(name) os.execute("kill -" .. name .. " " .. t.pid .. " 2>/dev/null") end
  function t.wait(seconds)
    local code
    for _ = 1, math.floor(seconds * 10) do
      code = tonumber((C.read(t.codef) or ""):match("^(%d+)"))
      if code then break end
      sleep(0.1)
    end
    if not code then t.signal("KILL") end
    local o, e = C.read(t.out), C.read(t.err)
    for _, f in ipairs({ t.out, t.err, t.pidf, t.codef }) do os.remove(f) end
    return code, o, e
  end
  return t
end

--- Waits until cond() is true, polling every 0.05 s for at most `seconds`;
-- returns whether it became true.
function C.eventually(seconds, cond)
  for _ = 1, math.floor(seconds * 20) do
    if cond() then return true end
    sleep(0.05)
  end
  return cond() and true or false
end

--- The non-empty lines of s.
function C.lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

return C
