--- A throwaway PostgreSQL server for the store's specs: Debian's
-- postgresql binaries, a cluster made by initdb in a private temporary
-- directory, listening on 127.0.0.1 on a free port (and a socket in that
-- directory), trust authentication for its one user, fsync off. As root,
-- the server runs as nobody (PostgreSQL refuses to run as root).
--
--   local pg, why = require("helpers.pg").start()
--   if not pg then print("skipped: " .. why) end
--   pg.uri("dbname")  -> "postgresql://pa@127.0.0.1:<port>/dbname" (created on first use)
--   pg.uri("dbname", { standard_conforming_strings = "off" }) -> the same, the
--                        database created with these settings
--   pg.uri("dbname", nil, "LATIN1") -> the same, the database created with
--                        that encoding (from template0, collation C)
--   pg.restart()      -- restarts it (open connections are cut), same port
--   pg.stop()         -- stops the server and removes the directory
local M = {}

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function capture(cmd)
  local h = io.popen(cmd .. " 2>&1")
  if not h then return "", false end
  local out = h:read("*a")
  local ok = h:close()
  return out, ok == true or ok == 0
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

-- The newest /usr/lib/postgresql/<major>/bin that has initdb.
local function find_bin()
  local out = capture("ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V")
  local best
  for line in out:gmatch("[^\n]+") do
    if exists(line .. "/initdb") and exists(line .. "/pg_ctl") then best = line end
  end
  return best
end

--- Starts a server, or returns nil and why it cannot.
function M.start()
  local bin = find_bin()
  if not bin then
    return nil, "PostgreSQL is not installed (Debian: apt-get install postgresql; `make test` installs it)"
  end
  local ok_driver, why = pcall(require, "luasql.postgres")
  if not ok_driver then
    return nil, "LuaSQL's PostgreSQL driver is not installed (Debian: apt-get install lua-sql-postgres): " ..
      tostring(why):match("^[^\n]*")
  end
  local root = capture("id -u"):match("^%d+") == "0"
  -- from a directory the server's user may enter (a checkout under /root is
  -- not one), without a sanitizer runtime preloaded for the specs (make test-asan)
  local as = "cd /tmp && env -u LD_PRELOAD -u ASAN_OPTIONS -u UBSAN_OPTIONS "
  if root then
    if exists("/usr/sbin/runuser") or exists("/sbin/runuser") then
      as = as .. "runuser -u nobody -- "
    else
      return nil, "running as root without runuser to start PostgreSQL as another user"
    end
  end
  local dir = capture("mktemp -d /tmp/pa-pg.XXXXXX"):match("^[^\n]+")
  if not dir then return nil, "mktemp -d failed" end
  if root then os.execute("chown nobody " .. quote(dir)) end
  local out, ok = capture(as .. "timeout -k 5 120 " .. quote(bin .. "/initdb") .. " -D " .. quote(dir .. "/data") ..
    " -U pa --auth=trust -E UTF8 --no-locale")
  if not ok then
    os.execute("rm -rf " .. quote(dir))
    return nil, "initdb failed: " .. out:sub(-400)
  end
  local port, admin
  local luasql = require "luasql.postgres"
  local env = luasql.postgres()
  -- a seed of this process's own (spec files run side by side: two started in
  -- the same second must not try the same ports), and a port counts as ours
  -- only once a connection to it reaches this server
  local seed = 0
  local rnd = io.open("/dev/urandom", "rb")
  if rnd then
    local b = rnd:read(4) or ""
    rnd:close()
    for k = 1, #b do seed = seed * 256 + b:byte(k) end
  end
  seed = (seed + os.time() + math.floor(os.clock() * 1e6)) % 40000
  for i = 1, 10 do
    local try = 20000 + (seed + i * 7919) % 40000
    out, ok = capture(as .. quote(bin .. "/pg_ctl") .. " -D " .. quote(dir .. "/data") .. " -l " ..
      quote(dir .. "/server.log") .. " -w -t 30 -o " .. quote("-c listen_addresses=127.0.0.1 -p " .. try ..
      " -k " .. dir .. " -c fsync=off -c synchronous_commit=off -c full_page_writes=off") .. " start")
    if ok then
      admin = env:connect("postgresql://pa@127.0.0.1:" .. try .. "/postgres")
      local cur = admin and admin:execute("SHOW data_directory")
      local row = cur and cur:fetch()
      if cur then cur:close() end
      if row == dir .. "/data" then
        port = try
        break
      end
      if admin then admin:close() admin = nil end
      capture(as .. quote(bin .. "/pg_ctl") .. " -D " .. quote(dir .. "/data") .. " -m immediate -w stop")
    end
  end
  if not port then
    env:close()
    local f = io.open(dir .. "/server.log", "rb")
    local log = f and f:read("*a") or ""
    if f then f:close() end
    os.execute("rm -rf " .. quote(dir))
    return nil, "PostgreSQL did not start: " .. (out .. log):sub(-400)
  end
  local pg = { port = port, dir = dir }
  local created = {}
  function pg.uri(db, settings, encoding)
    assert(db:match("^[%w_]+$"))
    if not created[db] then
      if encoding then
        assert(encoding:match("^[%w_]+$"))
        assert(admin:execute("CREATE DATABASE " .. db .. " ENCODING '" .. encoding ..
          "' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"))
      else
        assert(admin:execute("CREATE DATABASE " .. db))
      end
      created[db] = true
      -- settings of the database, e.g. { standard_conforming_strings = "off" }
      for k, v in pairs(settings or {}) do
        assert(k:match("^[%w_]+$") and tostring(v):match("^[%w_]+$"))
        assert(admin:execute("ALTER DATABASE " .. db .. " SET " .. k .. " = " .. v))
      end
    end
    return "postgresql://pa@127.0.0.1:" .. port .. "/" .. db
  end
  --- Restarts the server (fast shutdown: every open connection is cut) on
  -- the same port; returns true, or false and pg_ctl's output.
  function pg.restart()
    local out2, ok2 = capture(as .. quote(bin .. "/pg_ctl") .. " -D " .. quote(dir .. "/data") ..
      " -l " .. quote(dir .. "/server.log") ..
      " -m fast -w -t 30 restart") -- the log: the new server must not hold the pipe capture() reads
    return ok2, out2
  end
  function pg.stop()
    if pg.stopped then return end
    pg.stopped = true
    admin:close()
    env:close()
    capture(as .. quote(bin .. "/pg_ctl") .. " -D " .. quote(dir .. "/data") .. " -m immediate -w stop")
    os.execute("rm -rf " .. quote(dir))
  end
  return pg
end

return M
