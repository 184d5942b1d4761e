-- Runs examples/openresty/nginx.conf against the built-in simulator: starts
-- the simulator (answering after 1 s, like a slow server), starts nginx with
-- the example's configuration, asks for two pins at once and for /health
-- meanwhile, prints what came back and how long each took, and stops both.
--
--   make build build-luajit && lua5.4 examples/openresty/try.lua
--
-- It finds the clone's modules from its own path (no LUA_PATH needed). The
-- configuration runs as it is, but for three lines: it listens on a free
-- port instead of 8089, and its pid file and error log go to a folder of
-- their own, so that it runs beside anything else (another nginx on 8089,
-- the example started by hand).
local function sh(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function capture(cmd)
  local h = assert(io.popen(cmd))
  local out = h:read("*a")
  h:close()
  return out
end
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = capture("cd " .. sh(here .. "/../..") .. " && pwd"):gsub("%s+$", "")
local tag = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/" .. tag .. "/?.so;" .. package.cpath

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local prefix = root .. "/examples/openresty/"
local conf = assert(read(prefix .. "nginx.conf"))
local own = capture("mktemp -d /tmp/pa-try-XXXXXX"):gsub("%s+$", "")
local function replace(text, line, by)
  local i, j = text:find(line, 1, true)
  assert(i, "examples/openresty/nginx.conf has no line '" .. line .. "'")
  return text:sub(1, i - 1) .. by .. text:sub(j + 1)
end
conf = replace(conf, "pid logs/nginx.pid;", "pid " .. own .. "/nginx.pid;")
conf = replace(conf, "error_log logs/error.log warn;", "error_log " .. own .. "/error.log warn;")

local sim = require("pinanalytics.simulator").start { latency_ms = 1000 }
local env = "env -u LUA_PATH -u LUA_CPATH PINTEREST_ACCESS_TOKEN=" .. sh(sim.token) .. " PINTEREST_BASE_URL=" ..
  sh(sim.pinterest_url) .. " "
math.randomseed(os.time())
local port
for _ = 1, 20 do
  local try = math.random(20000, 59999)
  local f = assert(io.open(own .. "/nginx.conf", "wb"))
  f:write((replace(conf, "listen 127.0.0.1:8089;", "listen 127.0.0.1:" .. try .. ";")))
  f:close()
  local started = os.execute(env .. "nginx -p " .. sh(prefix) .. " -c " .. sh(own .. "/nginx.conf") .. " 2>" ..
    sh(own .. "/start.err"))
  if started == true or started == 0 then port = try break end
  if not (read(own .. "/start.err") or ""):find("Address already in use", 1, true) then break end
end
if not port then
  sim:stop()
  io.stderr:write("nginx did not start (make build-luajit done?):\n", read(own .. "/start.err") or "",
    read(own .. "/error.log") or "")
  os.execute("rm -rf " .. sh(own))
  os.exit(1)
end

-- each answer printed in one write, so that answers arriving together do not
-- interleave
local function curl(path, delay)
  return "(" .. (delay and ("sleep " .. delay .. "; ") or "") .. "r=$(curl -s -w ' [%{http_code} in %{time_total} s]' " ..
    sh("http://127.0.0.1:" .. port .. path) .. "); printf '%s\\n' \"$r\")"
end
io.write(capture("{ " .. curl("/pins/813744226420795884") .. " & " .. curl("/pins/813744226420795885") ..
  " & " .. curl("/health", 0.2) .. " & wait; } 2>&1"))

os.execute("nginx -p " .. sh(prefix) .. " -c " .. sh(own .. "/nginx.conf") .. " -s stop 2>/dev/null")
for _ = 1, 50 do -- the master removes its pid file when it has stopped
  if not read(own .. "/nginx.pid") then break end
  os.execute("sleep 0.1")
end
sim:stop()
os.execute("rm -rf " .. sh(own))
