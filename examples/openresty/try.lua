-- Runs examples/openresty/nginx.conf against the built-in simulator: starts
-- the simulator (answering after 1 s, like a slow server), starts nginx with
-- the example's configuration, asks for two pins at once and for /health
-- meanwhile, prints what came back and how long each took, and stops both.
--
--   make build build-luajit && LUA_PATH="lua/?.lua;lua/?/init.lua;;" \
--     LUA_CPATH="build/lua5.4/?.so;;" lua5.4 examples/openresty/try.lua
local sim = require("pinanalytics.simulator").start { latency_ms = 1000 }

local function sh(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local dir = "examples/openresty/"
os.execute("mkdir -p " .. dir .. "logs")
-- as root, nginx would run its workers as nobody, who cannot read a clone
-- under /root: run them as the user who starts it
local user = io.popen("id -u"):read("*l") == "0" and " -g 'user root root;'" or ""
local env = "env -u LUA_PATH -u LUA_CPATH PINTEREST_ACCESS_TOKEN=" .. sh(sim.token) .. " PINTEREST_BASE_URL=" ..
  sh(sim.pinterest_url) .. " "
local started = os.execute(env .. "nginx -p " .. sh(dir) .. " -c nginx.conf" .. user)
if started ~= true and started ~= 0 then
  sim:stop()
  error("nginx did not start: see " .. dir .. "logs/error.log (is port 8089 free? make build-luajit done?)")
end

-- each answer printed in one write, so that answers arriving together do not
-- interleave
local function curl(path, delay)
  return "(" .. (delay and ("sleep " .. delay .. "; ") or "") .. "r=$(curl -s -w ' [%{http_code} in %{time_total} s]' " ..
    sh("http://127.0.0.1:8089" .. path) .. "); printf '%s\\n' \"$r\")"
end
local h = io.popen("{ " .. curl("/pins/813744226420795884") .. " & " .. curl("/pins/813744226420795885") ..
  " & " .. curl("/health", 0.2) .. " & wait; } 2>&1")
local out = h:read("*a")
h:close()
io.write(out)

os.execute("nginx -p " .. sh(dir) .. " -c nginx.conf -s stop" .. user .. " 2>/dev/null")
sim:stop()
