--- Hosts for the runtime specs: an nginx with its Lua module running the
-- project's LuaJIT build, and headless Neovim. Both load the module from
-- this checkout: lua/ and build/luajit/ (make build-luajit; `make test`
-- builds it).
local X = require "helpers.child"

local H = {}

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.sh_quote = sh_quote

local function capture(cmd)
  local h = assert(io.popen(cmd))
  local out = h:read("*a")
  h:close()
  return out
end
H.capture = capture

H.ROOT = capture("pwd"):gsub("%s+$", "")
H.LUA_PATH = H.ROOT .. "/lua/?.lua;" .. H.ROOT .. "/lua/?/init.lua"
H.LUAJIT_CPATH = H.ROOT .. "/build/luajit/?.so"

--- Is the LuaJIT build there? (raises with the command that makes it)
function H.need_luajit_build()
  local f = io.open(H.ROOT .. "/build/luajit/pinanalytics/core.so", "rb")
  if not f then error("build/luajit/pinanalytics/core.so is missing: run make build-luajit (make test does)", 0) end
  f:close()
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end
H.write_file = write_file

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end
H.read_file = read_file

local function user_directive()
  local out = capture("id -u; id -un; id -gn")
  local uid, user, group = out:match("^(%d+)\n([^\n]+)\n([^\n]+)")
  if uid ~= "0" then return "" end
  return "user " .. user .. " " .. group .. ";"
end

local Nginx = {}
Nginx.__index = Nginx

--- Starts nginx (one worker, 127.0.0.1, a free port) with `http` (text put
-- inside http { }), `server` (text put inside server { }) and `main` (text
-- at the top level; default: a thread pool "default" of 8 threads);
-- `workers`: how many worker processes (default 1; more listen with
-- reuseport, so that connections are spread over them). Returns the object:
-- url, prefix, stop(), error_log().
function H.nginx(http, server, main, workers)
  workers = workers or 1
  H.need_luajit_build()
  local prefix = capture("mktemp -d /tmp/pa-ngx-XXXXXX"):gsub("%s+$", "")
  os.execute("mkdir -p " .. sh_quote(prefix .. "/logs") .. " " .. sh_quote(prefix .. "/tmp"))
  for _ = 1, 20 do
    local port = math.random(20000, 59999)
    write_file(prefix .. "/nginx.conf", table.concat({
      "load_module /usr/lib/nginx/modules/ndk_http_module.so;",
      "load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;",
      user_directive(),
      "worker_processes " .. workers .. "; daemon on; master_process on;",
      main or "thread_pool default threads=8;",
      "pid " .. prefix .. "/nginx.pid;",
      "error_log " .. prefix .. "/logs/error.log info;",
      "events { worker_connections 256; }",
      "http {",
      "  access_log off;",
      "  client_body_temp_path " .. prefix .. "/tmp/body;",
      "  proxy_temp_path " .. prefix .. "/tmp/proxy;",
      "  fastcgi_temp_path " .. prefix .. "/tmp/fastcgi;",
      "  uwsgi_temp_path " .. prefix .. "/tmp/uwsgi;",
      "  scgi_temp_path " .. prefix .. "/tmp/scgi;",
      "  lua_package_path '" .. H.LUA_PATH .. ";;';",
      "  lua_package_cpath '" .. H.LUAJIT_CPATH .. ";;';",
      http or "",
      "  server {",
      "    listen 127.0.0.1:" .. port .. (workers > 1 and " reuseport" or "") .. ";",
      server or "",
      "  }",
      "}", "" }, "\n"))
    local ok = os.execute(X.plain("env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 /usr/sbin/nginx -p " ..
      sh_quote(prefix .. "/") .. " -c " .. sh_quote(prefix .. "/nginx.conf") .. " 2>" ..
      sh_quote(prefix .. "/start.err")))
    if ok == true or ok == 0 then
      return setmetatable({ prefix = prefix, port = port, url = "http://127.0.0.1:" .. port }, Nginx)
    end
    local err = read_file(prefix .. "/start.err") or ""
    if not err:find("Address already in use", 1, true) then
      error("nginx did not start: " .. err .. (read_file(prefix .. "/logs/error.log") or ""), 0)
    end
  end
  error("nginx did not start: no free port", 0)
end

function Nginx:error_log()
  return read_file(self.prefix .. "/logs/error.log") or ""
end

function Nginx:stop()
  if self.stopped then return end
  self.stopped = true
  local pid = (read_file(self.prefix .. "/nginx.pid") or ""):match("%d+")
  if pid then
    os.execute("kill -QUIT " .. pid .. " 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 " .. pid ..
      " 2>/dev/null || break; sleep 0.1; done; kill -9 " .. pid .. " 2>/dev/null")
  end
  os.execute("rm -rf " .. sh_quote(self.prefix))
end

--- Runs several curl requests at once (each { path, name }) with an
-- optional delay before each and an optional max_time (seconds; 30 when
-- absent); returns name -> { status, time, body } (status 0: curl gave up).
function H.curl_many(base, reqs)
  local dir = capture("mktemp -d /tmp/pa-curl-XXXXXX"):gsub("%s+$", "")
  local parts = {}
  for i, r in ipairs(reqs) do
    parts[#parts + 1] = "(" .. (r.delay and ("sleep " .. r.delay .. "; ") or "") ..
      "curl -s -o " .. sh_quote(dir .. "/" .. i .. ".body") .. " -w '%{http_code} %{time_total}' --max-time " ..
      tostring(r.max_time or 30) .. " " ..
      sh_quote(base .. r.path) .. " > " .. sh_quote(dir .. "/" .. i .. ".meta") .. ") &"
  end
  local t0 = capture("date +%s.%N")
  os.execute(X.plain("{ " .. table.concat(parts, " ") .. " wait; }"))
  local t1 = capture("date +%s.%N")
  local out = { elapsed = tonumber(t1) - tonumber(t0) }
  for i, r in ipairs(reqs) do
    local meta = read_file(dir .. "/" .. i .. ".meta") or ""
    local code, t = meta:match("^(%d+) ([%d.]+)")
    out[r.name or i] = { status = tonumber(code), time = tonumber(t), body = read_file(dir .. "/" .. i .. ".body") }
  end
  os.execute("rm -rf " .. sh_quote(dir))
  return out
end

return H
