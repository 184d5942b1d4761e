--- A local fake of the Pinterest API v5 and of OneUp's analytics API, for
-- tests, demos and benchmarks. Nothing it does touches the internet.
--
-- It runs nginx with its Lua module (Debian: nginx, libnginx-mod-http-lua;
-- or OpenResty) on a loopback port picked at random in 20000..59999, from a
-- private temporary directory (`sim.prefix`, mode 0700) holding its
-- configuration, logs and control file. Set `PINANALYTICS_NGINX` to the nginx
-- binary to use another one. `start` raises when nginx is missing or does
-- not start; the message says what to install and ends with nginx's own
-- error log.
--
-- Wherever it is started from: nginx runs as the user who starts it (root
-- included), loads the handler from the same files as the caller, and gets
-- none of the caller's `LUA_PATH`/`LUA_CPATH` (another Lua's modules would not
-- load in its LuaJIT). It never outlives the process that started it: a
-- watchdog stops it and removes `sim.prefix` when that process ends, however
-- it ends (`os.exit`, an error, a signal, SIGKILL). When the handler itself
-- fails, the answer is a 500 `{"code":2787}` whose message has the Lua error
-- and the last lines of nginx's error log (`sim.prefix .. "/logs/error.log"`),
-- with credentials removed.
--
-- Every answer is JSON with an `x-pinterest-rid` header. Every /v5/ route
-- wants `Authorization: Bearer <token>` (else 401 `{"code":2,...}`). Routes:
--
-- - `GET /v5/pins/{pin_id}/analytics`: `start_date`, `end_date`, `metric_types`,
--   `app_types`, `split_field`, `ad_account_id`, validated like the real API
--   (400 `{"code":1,"message":"Invalid pins analytics parameters: ..."}`);
--   data from `pinanalytics.simulator.data`, so a test can compute the
--   numbers it must get: `data.pin_analytics(pin_id, query, today)`.
-- - `GET /v5/pins/analytics`, `/v5/user_account/analytics` (and `top_pins`,
--   `top_video_pins`), `/v5/user_account` (the official schema's Account),
--   `/v5/pins`, `/v5/boards`, `/v5/boards/{id}/pins`, `/v5/pins/{id}` (`pin_metrics`:
--   90d and lifetime_metrics), `/v5/ad_accounts`, `/v5/boards/{id}/sections`
--   (`data.SECTIONS` per board, ids `data.section_id_of(board, k)`) and
--   `/v5/boards/{id}/sections/{section_id}/pins` (a board's pins dealt to
--   its sections in turn), `POST /v5/oauth/token` (refresh and authorization code grants),
--   `GET /oauth/authorize` (the consent page, approving at once: see `start`'s options),
--   OneUp's `GET /api/pinterest/overview` and `/api/pinterest/posts` (base_url
--   `sim.url`, no /v5). The data module computes these answers too:
--   `data.user_account_analytics(q, today)`, `data.user_account(today, o)`,
--   `data.oneup_totals(id, s, e)`, `data.oneup_posts(id, s, e)`. The account's
--   figures for a day are its pins' (those `/v5/pins` lists) plus other
--   people's pins of its content; OneUp's totals are its posts' plus older
--   content's.
-- - the ads endpoints (`pinanalytics.simulator.ads`): `GET /v5/ad_accounts/{id}`, its
--   `analytics`, `campaigns/analytics`, `ad_groups/analytics`, `ads/analytics`,
--   `pins/analytics`, `product_groups/analytics`, the four `targeting_analytics`, and the
--   lists `campaigns`, `ad_groups`, `ads` (bookmark pages, status filters); figures that add
--   up, from `pinanalytics.simulator.ads_data` (`ads_data.row(level, id, first, last, columns)`).
-- - anything else: 404 `{"code":404,"message":"Not found: <path>"}`
--
-- `Sim:requests` reads the log the handler writes before each answer leaves
-- (so a client holding its answer can already see it): the request line,
-- the status and whether an Authorization header came, never a header's
-- value, so never a credential (OneUp's apiKey query value is replaced).
-- @usage
-- local sim = require("pinanalytics.simulator").start{ missing_pins = { "404404" } }
-- local pin = require("pinanalytics").pinterest{ token = sim.token, base_url = sim.pinterest_url }
-- -- ... sim:configure{ latency_ms = 200 }, sim:requests() ...
-- sim:stop()
local M = {}

local DEFAULTS = { token = "sim-token", latency_ms = 0 }

-- small helpers -------------------------------------------------------------

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function exec(cmd)
  local ok, how, code = os.execute(cmd)
  if type(ok) == "number" then return ok == 0 end -- Lua 5.1
  return ok == true and how == "exit" and code == 0
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local function sleep(seconds)
  os.execute("sleep " .. seconds)
end

--- A small JSON encoder for the control file (no dependency on cjson).
local function encode(v)
  local t = type(v)
  if t == "nil" then return "null" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
    return string.format("%.17g", v)
  end
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c)
      local map = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
      return map[c] or string.format("\\u%04x", c:byte())
    end) .. '"'
  end
  if t == "table" then
    local n = #v
    local count = 0
    for _ in pairs(v) do count = count + 1 end
    if count > 0 and count == n then
      local out = {}
      for i = 1, n do out[i] = encode(v[i]) end
      return "[" .. table.concat(out, ",") .. "]"
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local out = {}
    for _, k in ipairs(keys) do
      local x = v[k]
      if x == nil then x = v[tonumber(k)] end
      out[#out + 1] = encode(k) .. ":" .. encode(x)
    end
    return "{" .. table.concat(out, ",") .. "}"
  end
  error("pinanalytics.simulator: cannot encode a " .. t .. " in control options")
end
--- Control options as the simulator's JSON (keys sorted); raises on a value
-- JSON cannot hold.
-- @function encode_json
-- @param v a value of the control options
-- @treturn string
M.encode_json = encode

local function find_nginx()
  local env = os.getenv("PINANALYTICS_NGINX")
  if env and env ~= "" then return env end
  for _, p in ipairs({ "/usr/sbin/nginx", "/usr/local/openresty/nginx/sbin/nginx", "/usr/local/sbin/nginx" }) do
    if file_exists(p) then return p end
  end
  local h = io.popen("command -v nginx 2>/dev/null")
  local p = h and h:read("*l")
  if h then h:close() end
  if p and p ~= "" then return p end
  return nil
end

-- The directory that holds pinanalytics/ (this file is pinanalytics/simulator/init.lua).
local function lua_root()
  local src = debug.getinfo(1, "S").source
  local path = src:sub(1, 1) == "@" and src:sub(2) or src
  if path:sub(1, 1) ~= "/" then path = "./" .. path end
  local root = path:match("^(.*)/pinanalytics/simulator/init%.lua$")
  if not root then
    error("pinanalytics.simulator: cannot tell where its Lua files are (loaded from " .. path .. ")")
  end
  if root:sub(1, 1) ~= "/" then
    local h = io.popen("pwd")
    local cwd = h:read("*l")
    h:close()
    root = cwd .. "/" .. root
  end
  -- "/a/./b" -> "/a/b": the paths in nginx's log and in errors stay plain
  local n
  repeat root, n = root:gsub("/%./", "/") until n == 0
  return (root:gsub("/%.$", ""))
end

local MODULES = {
  "/usr/lib/nginx/modules/ndk_http_module.so",
  "/usr/lib/nginx/modules/ngx_http_lua_module.so",
}

-- "user <name> <group>;" when this process runs as root, else "".
--
-- Started by root, nginx runs its workers as another user (nobody,
-- www-data), who cannot read what root keeps private: a clone under /root
-- or under a home directory (both 0700 on Debian 12), this prefix (0700).
-- Every answer was then a 500. So the workers run as the user who started
-- nginx, root included, as they do for every other user (nginx changes user
-- only when started by root). The other way, copying the Lua files into the
-- prefix and opening it to the workers' user, would also have to open the
-- control file (replaced on every configure), the request log, the error
-- log (read for a 500's message) and any static_file to that user, each
-- with a mode kept right whatever the umask, and so to every local user; a
-- failure there shows only as a 500 again. A root worker here listens on
-- 127.0.0.1 only, runs only the handler's routes and touches only its own
-- prefix (and static_file, which the caller named).
local function user_directive()
  local h = io.popen("id -u; id -un; id -gn")
  if not h then return "" end
  local uid, user, group = h:read("*l"), h:read("*l"), h:read("*l")
  h:close()
  if uid ~= "0" or not user or not group then return "" end
  local ok = "^[%w_.][%w_.%-]*$"
  if not user:match(ok) or not group:match(ok) then return "" end
  return "user " .. user .. " " .. group .. ";"
end

local function nginx_conf(prefix, port, root, static_file, user, files_port)
  local loads = {}
  for _, m in ipairs(MODULES) do
    if file_exists(m) then loads[#loads + 1] = "load_module " .. m .. ";" end
  end
  return table.concat({
    table.concat(loads, "\n"),
    user,
    "worker_processes 1;",
    "daemon on;",
    "master_process on;",
    "pid " .. prefix .. "/nginx.pid;",
    "error_log " .. prefix .. "/logs/error.log warn;",
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  client_body_temp_path " .. prefix .. "/tmp/body;",
    "  proxy_temp_path " .. prefix .. "/tmp/proxy;",
    "  fastcgi_temp_path " .. prefix .. "/tmp/fastcgi;",
    "  uwsgi_temp_path " .. prefix .. "/tmp/uwsgi;",
    "  scgi_temp_path " .. prefix .. "/tmp/scgi;",
    "  keepalive_timeout 60s;",
    "  keepalive_requests 100000;",
    -- the ads analytics take 250 ids a request in the query: lines of ~9 KB
    "  large_client_header_buffers 4 32k;",
    -- ";;": the default paths of nginx's own LuaJIT (for cjson), never the
    -- caller's: nginx starts without LUA_PATH/LUA_CPATH (see start_nginx)
    "  lua_package_path '" .. root .. "/?.lua;" .. root .. "/?/init.lua;;';",
    "  lua_shared_dict sim 4m;",
    -- loaded once by the master: a handler that cannot load (a missing or
    -- broken module) stops nginx from starting, with the reason in its log,
    -- instead of failing every answer
    "  init_by_lua_block { require('pinanalytics.simulator.server') }",
    "  server {",
    "    listen 127.0.0.1:" .. port .. ";",
    "    location / { content_by_lua_block { require('pinanalytics.simulator.server').handle() } }",
    static_file and ("    location ~ ^/v5/static/pins/[0-9]+/analytics$ { default_type application/json; " ..
      "alias " .. static_file .. "; }") or "",
    "  }",
    -- the second origin: report files of the async ads reports, as a storage host serves them
    "  server {",
    "    listen 127.0.0.1:" .. files_port .. ";",
    "    location / { content_by_lua_block { require('pinanalytics.simulator.ads_reports').serve_file() } }",
    "  }",
    "}",
    "",
  }, "\n")
end

-- the object ----------------------------------------------------------------

--- A running simulator, made by `start`.
-- @type Sim
-- @field url "http://127.0.0.1:PORT": OneUp's base_url
-- @field pinterest_url `url .. "/v5"`: Pinterest's base_url
-- @field port the port
-- @field files_port the second origin's port: the report files of the async ads reports
-- @field files_url "http://127.0.0.1:FILES_PORT"
-- @field token the access token it accepts
-- @field prefix its private directory (configuration, logs)
local Sim = {}
Sim.__index = Sim

local function write_control(self)
  local tmp = self.prefix .. "/control.json.tmp"
  write_file(tmp, encode(self.control))
  assert(os.rename(tmp, self.prefix .. "/control.json"))
end

local function merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs((select(i, ...))) do out[k] = v end
  end
  return out
end

--- Replaces the control options: the options given to `start` that `opts`
-- does not name keep their start values; fault keys it does not name are off
-- again. Takes effect at the next request (no reload).
-- @tab[opt] opts the control options, as for `start`
-- @return the simulator
function Sim:configure(opts)
  local control = merge(DEFAULTS, self.start_options, opts or {})
  control.expire_tokens_seq = self.expire_seq
  -- each configuration counts override times afresh
  self.configure_seq = (self.configure_seq or 0) + 1
  control.configure_seq = self.configure_seq
  encode(control) -- raises before anything changes when it cannot be encoded
  self.control = control
  self.token = control.token
  write_control(self)
  return self
end

--- Refuses every token issued so far (and the static token) from the next
-- request on; tokens the token endpoint issues afterwards are accepted.
-- The other control options stay as they are.
-- @return the simulator
function Sim:expire_tokens()
  self.expire_seq = (self.expire_seq or 0) + 1
  self.control.expire_tokens_seq = self.expire_seq
  write_control(self)
  return self
end

--- Every request seen since start or the last `clear_log`, in order.
-- @treturn {table,...} each `{ connection, connection_requests, method, uri, path, args, status, auth,
-- account }`; never a credential (`auth`: whether it carried an Authorization header; OneUp's apiKey
-- shows as [REDACTED]; `account`: the username its token is of, nil when it had none the server took)
function Sim:requests()
  local out = {}
  local s = read_file(self.prefix .. "/logs/requests.log") or ""
  for line in s:gmatch("[^\n]+") do
    local conn, creq, method, uri, status, auth, account =
      line:match('^(%d+) (%d+) (%S+) "(.-)" (%d+) ([01]) (%S+)$')
    if conn then
      local path, args = uri:match("^([^?]*)%??(.*)$")
      out[#out + 1] = {
        connection = tonumber(conn), connection_requests = tonumber(creq), method = method,
        uri = uri, path = path, args = args, status = tonumber(status), auth = auth == "1",
        account = account ~= "-" and account:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
          or nil,
      }
    end
  end
  return out
end

--- Forgets the requests seen so far (of both origins).
function Sim:clear_log()
  write_file(self.prefix .. "/logs/requests.log", "")
  write_file(self.prefix .. "/logs/files.log", "")
end

--- Every request the second origin (the report files of the async ads
-- reports, `files_url`) saw since start or the last `clear_log`, in order.
-- @treturn {table,...} each `{ method, uri, path, status, auth }` (`auth`: whether an Authorization
-- header reached it; never its value)
function Sim:file_requests()
  local out = {}
  local s = read_file(self.prefix .. "/logs/files.log") or ""
  for line in s:gmatch("[^\n]+") do
    local method, uri, status, auth = line:match('^(%S+) "(.-)" (%d+) ([01])$')
    if method then
      out[#out + 1] = { method = method, uri = uri, path = uri:match("^[^?]*"), status = tonumber(status),
        auth = auth == "1" }
    end
  end
  return out
end

local function control_session(self)
  if not self.session then
    self.session = require("pinanalytics.core").session { base_url = self.url, timeout = 5 }
  end
  return self.session
end

--- What the server counted.
-- @treturn table `{ requests, inflight, peak_inflight, tokens_issued, rate_limited, continuous_refresh,
-- codes_issued, codes_exchanged }`
function Sim:stats()
  local status, _, body = control_session(self):request("GET", "/_sim/stats")
  assert(status == 200, "pinanalytics.simulator: cannot read its stats")
  return body
end

--- Zeroes the request count and the peak of requests in flight.
-- @treturn table the stats after the reset, as `stats` gives them
function Sim:reset_stats()
  local status, _, body = control_session(self):request("POST", "/_sim/stats", "")
  assert(status == 200, "pinanalytics.simulator: cannot reset its stats")
  return body
end

-- Whether pid is still the watchdog of this prefix (its command line names
-- the prefix): a pid is only signalled while it is known to be ours.
local function is_watchdog(pid, prefix)
  local f = io.open("/proc/" .. pid .. "/cmdline", "rb")
  if not f then return not file_exists("/proc/self/stat") end -- no /proc: trust the pid
  local s = f:read("*a") or ""
  f:close()
  return s:find(prefix, 1, true) ~= nil
end

--- Stops nginx and its watchdog and removes the directory. Idempotent; also
-- when the object is collected, and as a `<close>` variable.
function Sim:stop()
  if self.stopped then return end
  self.stopped = true
  if self.session then self.session:close() end
  if self.watchdog and is_watchdog(self.watchdog, self.prefix) then
    exec("kill -KILL " .. self.watchdog .. " 2>/dev/null")
  end
  local pid = (read_file(self.prefix .. "/nginx.pid") or ""):match("%d+")
  if pid then
    exec("kill -TERM " .. pid .. " 2>/dev/null")
    for _ = 1, 100 do
      if not exec("kill -0 " .. pid .. " 2>/dev/null") then break end
      sleep(0.05)
    end
    exec("kill -KILL " .. pid .. " 2>/dev/null")
  end
  exec("rm -rf " .. sh_quote(self.prefix))
end
Sim.__gc = Sim.stop
Sim.__close = Sim.stop

-- start ---------------------------------------------------------------------

-- Ports come from a generator of this module's own (math.random is left
-- alone: a caller's seeded sequence stays theirs). The seed mixes the clock,
-- the CPU time and the temporary directory's name, so that processes started
-- in the same second do not all try the same ports.
local P = 2147483647
local rng = 0

local function random_port(prefix)
  if rng == 0 then rng = (os.time() + math.floor(os.clock() * 1e6)) % P end
  for i = 1, #prefix do rng = (rng * 31 + prefix:byte(i)) % P end
  rng = (rng * 48271) % P
  if rng == 0 then rng = 1 end
  return 20000 + rng % 40000
end

-- This process's pid and start time (in clock ticks since boot, field 22 of
-- /proc/<pid>/stat, so that a new process given the same pid is not taken
-- for it); without /proc, the pid from the shell and no start time.
local function process_identity()
  local f = io.open("/proc/self/stat", "rb")
  if f then
    local line = f:read("*l") or ""
    f:close()
    local pid, rest = line:match("^(%d+) .*%) (.*)$")
    if pid then
      local fields = {}
      for x in rest:gmatch("%S+") do fields[#fields + 1] = x end
      return pid, fields[20]
    end
  end
  local h = io.popen("echo $PPID") -- the shell's parent: this process
  local pid = h and h:read("*l")
  if h then h:close() end
  return pid and pid:match("^%d+$") and pid
end

-- The watchdog: a shell in its own session (so that a signal to this
-- process's group does not reach it) that ignores the signals which end
-- this process, polls this process five times a second and, once it is
-- gone (or a zombie, or its pid belongs to a newer process), stops nginx
-- and removes the prefix. It ends on its own when nginx is gone;
-- Sim:stop() kills it first. Without it, a script that ends with os.exit(1)
-- (which skips finalizers), a signal or SIGKILL would leave nginx running.
local WATCHDOG = [[
trap '' HUP INT QUIT TERM
alive() {
  if [ -r /proc/$p/stat ]; then
    read -r s < /proc/$p/stat || return 1
    s=${s##*") "}
    set -- $s
    [ "$1" != Z ] && [ "$1" != X ] && { [ -z "$t" ] || [ "${20}" = "$t" ]; }
  elif [ -r /proc/self/stat ]; then
    return 1
  else
    kill -0 $p 2>/dev/null
  fi
}
while alive && kill -0 $n 2>/dev/null; do sleep 0.2; done
alive && exit 0
kill -TERM $n 2>/dev/null
i=0
while kill -0 $n 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
kill -KILL $n 2>/dev/null
rm -rf "$d"
]]

local function start_watchdog(prefix, nginx_pid)
  local pid, start = process_identity()
  if not pid then return nil end
  local script = "p=" .. pid .. " t=" .. (start or "") .. " n=" .. nginx_pid .. " d=" .. sh_quote(prefix) ..
    "\n" .. WATCHDOG
  local h = io.popen("if command -v setsid >/dev/null 2>&1; then s=setsid; else s=nohup; fi; " ..
    "$s sh -c " .. sh_quote(script) .. " </dev/null >/dev/null 2>&1 & echo $!")
  local wpid = h and h:read("*l")
  if h then h:close() end
  return wpid and wpid:match("^%d+$")
end

-- A private directory for nginx's prefix (mktemp -d: created 0700, a name
-- no one else holds), under TMPDIR when its path is plain, else /tmp.
local function private_dir()
  local tmp = os.getenv("TMPDIR")
  if not tmp or not tmp:match("^/[%w/._%-]*$") then tmp = "/tmp" end
  local h = io.popen("mktemp -d " .. sh_quote(tmp:gsub("/+$", "") .. "/pinanalytics-sim.XXXXXX") .. " 2>/dev/null")
  local dir = h and h:read("*l")
  if h then h:close() end
  if not dir or dir == "" then return nil end
  return dir
end

-- The variables through which another Lua's modules would reach nginx's
-- LuaJIT (after `eval "$(luarocks --lua-version=5.4 path)"`, its cjson.so,
-- which LuaJIT cannot load): nginx starts without them.
local LUA_ENV = { "LUA_PATH", "LUA_CPATH", "LUA_INIT" }
for _, v in ipairs({ "5_1", "5_2", "5_3", "5_4", "5_5" }) do
  for _, name in ipairs({ "LUA_PATH_", "LUA_CPATH_", "LUA_INIT_" }) do LUA_ENV[#LUA_ENV + 1] = name .. v end
end

local function start_nginx(nginx, prefix)
  return exec("unset " .. table.concat(LUA_ENV, " ") .. "; exec " .. sh_quote(nginx) .. " -p " ..
    sh_quote(prefix .. "/") .. " -c " .. sh_quote(prefix .. "/nginx.conf") .. " -e " ..
    sh_quote(prefix .. "/logs/error.log") .. " >" .. sh_quote(prefix .. "/logs/start.log") .. " 2>&1")
end

local function stop_on_collect(self)
  -- Lua 5.1 and LuaJIT do not run __gc for tables: tie the object's life to
  -- a userdata whose __gc stops it (5.2+ use Sim.__gc directly).
  local newproxy = rawget(_G, "newproxy")
  if newproxy then
    local proxy = newproxy(true)
    getmetatable(proxy).__gc = function() self:stop() end
    self.gc_proxy = proxy
  end
end

local NEEDS = "it needs nginx with its Lua module (Debian: apt-get install nginx libnginx-mod-http-lua; " ..
  "or OpenResty; PINANALYTICS_NGINX names the binary)"

--- Functions.
-- @section functions

--- Starts a simulator; raises with a clear message when it cannot.
-- @tab[opt] opts the control options (also `Sim:configure`'s)
-- @string[opt="sim-token"] opts.token the access token it accepts
-- @tparam[opt] {string,...} opts.missing_pins pin ids that answer 404
-- @string[opt] opts.today its idea of today (UTC), "YYYY-MM-DD"; default: the real date
-- @int[opt=0] opts.latency_ms delay before every answer
-- @string[opt] opts.static_file also serve this file, as is and straight from nginx (no Lua), at
-- `GET /v5/static/pins/{id}/analytics` (benchmarks use it so that the server is not what they
-- measure; point a client's base_url at `sim.url .. "/v5/static"`); `start` only
-- @bool[opt] opts.echo_auth a 401 message repeats the Authorization header (a bad server)
-- @tab[opt] opts.override `{ [path] = { status = 503, body = "...", headers = {...}, noauth = false } }`:
-- answer exactly that for a path (without query string); or `{ [path] = { raw = "HTTP/1.1 200
-- OK\r\n...", raw_delay_ms = n, hold_ms = n } }`: send exactly these bytes on the connection (raw may
-- be an array of strings sent `raw_delay_ms` apart), keep it open `hold_ms`, then close it: any
-- broken or hostile answer (status 0 in `Sim:requests`). `times = n`: only the first n requests of
-- that path (counted from the configure call that set it) get the override, a fault a retry gets
-- past. `echo = true`: "{authorization}", "{credentials}", "{query}" and "{body}" in its body and
-- header values become the request's Authorization header, the user:password of its HTTP Basic
-- credentials, its query string and its body (in raw bytes all but "{body}")
-- @int[opt] opts.refuse_multi 403 or 404: refuse `GET /v5/pins/analytics` (the beta endpoint)
-- @tparam[opt] {string,...} opts.forbidden_pins pins that are not the token user's: a
-- `GET /v5/pins/analytics` naming one answers 401 `{"code":7,"message":"Not authorized to access
-- board or Pin."}`, `GET /v5/pins/{id}/analytics` 403 with it
-- @int[opt] opts.forbidden_multi_status 403: the multi-pin answer for `forbidden_pins` is a 403
-- @int[opt] opts.forbidden_single_status 404: the single-pin answer for `forbidden_pins` is a 404
-- `{"code":50}`
-- @int[opt=60] opts.pins_count the pins of the account behind the list endpoints, `GET /v5/user_account`
-- and its analytics (whose figures are its pins' summed, plus other people's pins of its content)
-- @int[opt=3] opts.boards_count the account's boards
-- @int[opt=2] opts.ad_accounts_count how many ad accounts `GET /v5/ad_accounts` lists (ids
-- `data.ad_account_id_of(i)`)
-- @int[opt] opts.fail_page page n of a list answers 500
-- @bool[opt] opts.repeat_bookmark from page 2 on, lists give the bookmark of page 1 again
-- @string[opt="sim-client-id"] opts.client_id what `POST /v5/oauth/token` accepts
-- @string[opt="sim-client-secret"] opts.client_secret what `POST /v5/oauth/token` accepts
-- @string[opt="sim-refresh-token"] opts.refresh_token what `POST /v5/oauth/token` accepts
-- @int[opt=2592000] opts.token_ttl `expires_in` of issued tokens, seconds
-- @bool[opt] opts.rotate_refresh the token endpoint issues a new refresh token each time (the old one
-- keeps working)
-- @param[opt] opts.continuous `true`: continuous refresh tokens, as Pinterest's: each refresh answers a
-- new refresh token (`refresh_token_expires_in`, `_at`) and the one used stops working at once;
-- `"on_request"`: only when the body has `continuous_refresh=true` (an app created before 2025-09-25),
-- else the legacy answer without one. `Sim:stats().continuous_refresh` counts the bodies that asked
-- @int[opt] opts.access_ttl access tokens the token endpoint issues expire after that many seconds (then
-- 401 `{"code":2}`, as the real API answers an expired token); also their `expires_in`
-- @int[opt=5184000] opts.refresh_ttl seconds an issued continuous refresh token lives (60 days)
-- @tab[opt] opts.accounts more accounts: `{ [username] = { token = "...", refresh_token = "...",
-- pins_count = n, rate_limit = {...}, quota_reset_in = s } }`, each with its own static tokens; every
-- token issued belongs to one account, and `GET /v5/user_account` names the token's
-- (`data.account_id_of(username)`). Each account has its own rate budget (below); `rate_limit` and
-- `quota_reset_in` there apply to that account alone, in place of the server's. The simulator's own
-- account, "simulated_account", has `token` and `refresh_token`
-- @tparam[opt] {string,...} opts.revoked_accounts usernames whose access was revoked: their tokens (static or
-- issued) get 401, their refresh tokens and codes 400
-- @string[opt] opts.authorize_account the account `GET /oauth/authorize` approves (default
-- "simulated_account"). That route (no /v5, no token) takes `client_id`, `redirect_uri`,
-- `response_type=code`, `scope`, `state` and answers 302 to `redirect_uri?code=...&state=...`; the code
-- is good once, for 10 minutes, at `POST /v5/oauth/token` with `grant_type=authorization_code` and the same
-- `redirect_uri` (HTTP Basic client credentials, like a refresh), which answers a continuous refresh token
-- @bool[opt] opts.authorize_refuse the user refuses: 302 to `redirect_uri?error=access_denied&state=...`
-- @tparam[opt] {string,...} opts.redirect_uris the app's registered redirect URIs: `GET /oauth/authorize`
-- refuses any other (400); default: any http(s) URL
-- @bool[opt] opts.refuse_refresh the token endpoint refuses every refresh token
-- @bool[opt=true] opts.accept_static_token false: `token` is refused (as if expired)
-- @tab[opt] opts.rate_limit `{ per_second = N (or per_minute), burst = N, retry_after = true,
-- headers = true }`: a token bucket per account and category (org_analytics, org_read; every token
-- of an account draws on its one budget, as Pinterest's limits are per user and app): beyond it
-- 429 `{"code":8}` with Retry-After and X-RateLimit-Limit/-Remaining/-Reset (`retry_after = false`
-- leaves Retry-After out, `headers = false` all of them); `Sim:stats` counts them
-- @number[opt] opts.quota_reset_in every analytics request answers 429 code 8, resetting in that many seconds
-- @tab[opt] opts.fail_first `{ count = n, status = 503, body = nil, retry_after = nil }`: the first n
-- requests (since start or `Sim:reset_stats`) fail so
-- @string[opt="sim-oneup-key"] opts.oneup_api_key the apiKey OneUp's routes accept (401 otherwise, 422
-- `{"message"}` for bad parameters)
-- @string[opt] opts.oneup_fail OneUp answers `{"success": false, "message": <this text>}`
-- @int[opt=1] opts.ads_report_polls async ads reports (`POST /v5/ad_accounts/{id}/reports`): how many
-- status polls of a report answer IN_PROGRESS before it is FINISHED (pinanalytics.simulator.ads_reports)
-- @string[opt] opts.ads_report_status "FAILED", "EXPIRED" or "CANCELLED": what the status answers instead
-- @number[opt=300] opts.ads_report_link_ttl seconds a report's link on the second origin (`files_url`) is valid
-- @bool[opt] opts.ads_report_link_expired the links have run out already (the file origin answers 403)
-- @string[opt] opts.ads_report_redirect "https", "http" or "ftp": the file origin first redirects to that scheme
-- @string[opt] opts.ads_report_gzip "encoding" (Content-Encoding: gzip) or "file" (a .gz object)
-- @bool[opt] opts.crash the handler raises a Lua error on every request but the /_sim/ ones (a failure
-- of the simulator itself: a 500, as above)
-- @treturn Sim
function M.start(opts)
  opts = opts or {}
  local nginx = find_nginx()
  if not nginx then
    error("pinanalytics.simulator: nginx not found: " .. NEEDS, 2)
  end
  local start_options = merge(opts)
  local control = merge(DEFAULTS, start_options)
  encode(control) -- raises before anything is created when it cannot be encoded
  local prefix = private_dir()
  if not prefix or not exec("mkdir " .. sh_quote(prefix .. "/logs") .. " " .. sh_quote(prefix .. "/tmp")) then
    error("pinanalytics.simulator: cannot create a temporary directory (mktemp -d under " ..
      (os.getenv("TMPDIR") or "/tmp") .. ")", 2)
  end
  write_file(prefix .. "/logs/requests.log", "")
  write_file(prefix .. "/logs/files.log", "")
  local self = setmetatable({ prefix = prefix, control = control, start_options = start_options, stopped = true }, Sim)
  self.token = control.token
  write_control(self)
  local root = lua_root()
  local user = user_directive()
  local last_err = ""
  for _ = 1, 20 do
    local port = random_port(prefix)
    local files_port = random_port(prefix)
    if files_port == port then files_port = port < 59999 and port + 1 or port - 1 end
    write_file(prefix .. "/files.port", tostring(files_port))
    write_file(prefix .. "/nginx.conf", nginx_conf(prefix, port, root, opts.static_file, user, files_port))
    write_file(prefix .. "/logs/error.log", "")
    if start_nginx(nginx, prefix) then
      local pid
      for _ = 1, 100 do
        pid = (read_file(prefix .. "/nginx.pid") or ""):match("%d+")
        if pid then break end
        sleep(0.02)
      end
      if pid then
        self.port = port
        self.url = "http://127.0.0.1:" .. port
        self.pinterest_url = self.url .. "/v5"
        self.files_port = files_port
        self.files_url = "http://127.0.0.1:" .. files_port
        self.stopped = false
        self.watchdog = start_watchdog(prefix, pid)
        stop_on_collect(self)
        return self
      end
    end
    last_err = (read_file(prefix .. "/logs/start.log") or "") .. (read_file(prefix .. "/logs/error.log") or "")
    if not last_err:find("in use", 1, true) then break end
  end
  exec("rm -rf " .. sh_quote(prefix))
  if last_err == "" then last_err = "(nothing in its error log)" end
  error("pinanalytics.simulator: nginx (" .. nginx .. ") did not start; " .. NEEDS ..
    ". nginx's error log ends with:\n" .. last_err:sub(-800), 2)
end

return M
