--- The store's connection to its database: SQLite (a file) or PostgreSQL
-- (a "postgresql://" URI), both through LuaSQL (Debian: lua-sql-sqlite3,
-- lua-sql-postgres; LuaRocks: luasql-sqlite3, luasql-postgres).
--
-- LuaSQL sends SQL text and has no parameter binding, so every value goes
-- into a statement through db:lit(), which accepts only what it can write
-- exactly: finite numbers, strings without NUL bytes (quotes doubled), booleans
-- and nil (NULL). Identifiers are the store's own names, never a caller's.
--
-- Failures raise an error value of kind "store" (pinanalytics.errors); the
-- store's public methods catch it and return nil, err. A URI's password
-- never appears in an error or a tostring.
local errors = require "pinanalytics.errors"

local M = {}

local Db = {}
Db.__index = Db

local fmt = string.format
local unpack = table.unpack or unpack -- luacheck: ignore (Lua 5.1)
local function pack(...) return { n = select("#", ...), ... } end
local floor = math.floor
local mtype = math.type

--- Raises a "store" error; secrets (a password) are removed from its strings.
function M.fail(message, fields, secrets)
  local f = { kind = "store", message = message }
  for k, v in pairs(fields or {}) do f[k] = v end
  error(errors.new(f, secrets), 0)
end

-- One line of a driver's message: "LuaSQL: error executing statement.
-- PostgreSQL: ERROR: ..." -> the part that says what happened.
local function driver_message(msg)
  msg = tostring(msg or "unknown error")
  msg = msg:gsub("^LuaSQL: ", ""):gsub("^error executing statement%. ", ""):gsub("[\r\n]+%s*", " ")
  return (msg:gsub("%s+$", ""))
end

local function busy(msg)
  msg = msg:lower()
  return msg:find("database is locked", 1, true) ~= nil or msg:find("database is busy", 1, true) ~= nil
    or msg:find("database table is locked", 1, true) ~= nil
end

--- A SQL literal for v. Numbers: integers as integers (below 2^53 in
-- magnitude when a float), others with 17 significant digits (exact);
-- NaN and infinities are refused. Strings: quoted, quotes doubled, no NUL.
function Db:lit(v) -- luacheck: ignore self
  local t = type(v)
  if v == nil then return "NULL" end
  if t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      M.fail("cannot store a number that is not finite (" .. tostring(v) .. ")")
    end
    if (mtype and mtype(v) == "integer") or (v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53) then
      return fmt("%d", v)
    end
    return fmt("%.17g", v)
  end
  if t == "string" then
    if v:find("\0", 1, true) then M.fail("cannot store a string with a NUL byte") end
    return "'" .. v:gsub("'", "''") .. "'"
  end
  if t == "boolean" then return v and "1" or "0" end
  M.fail("cannot store a value of type " .. t)
end

--- Runs a statement that returns no rows; returns the number of rows it
-- changed (0 when the driver does not say).
function Db:exec(sql)
  local r, err = self.con:execute(sql)
  if r == nil then self:_raise(err, sql) end
  if type(r) ~= "number" then
    -- a statement that returned rows (PRAGMA): release it at once, an open
    -- cursor would keep SQLite's read lock
    r:close()
    return 0
  end
  return floor(r)
end

--- Runs a query; returns its rows as arrays (values as the driver gives
-- them: PostgreSQL gives strings, see num()).
function Db:rows(sql)
  local cur, err = self.con:execute(sql)
  if cur == nil then self:_raise(err, sql) end
  if type(cur) == "number" then return {} end
  local out = {}
  local row = cur:fetch({}, "n")
  while row do
    out[#out + 1] = row
    row = cur:fetch({}, "n")
  end
  cur:close()
  return out
end

--- A value read back as a number (nil stays nil): PostgreSQL's driver
-- gives every value as text ("12", "0.0425"), SQLite's as numbers.
function Db.num(v)
  if v == nil or type(v) == "number" then return v end
  return tonumber(v)
end

function Db:_raise(err, sql)
  local msg = driver_message(err)
  local statement = (sql or ""):match("^%s*(%a+%s*%a*)") or "?"
  if self.dialect == "sqlite" and busy(msg) then
    M.fail(fmt("the database %s is locked by another writer (another sync?) and stayed locked for the " ..
      "busy timeout (%d ms): %s", self.where, self.busy_timeout, msg), { busy = true }, self.secrets)
  end
  M.fail(fmt("%s failed on %s: %s", statement:upper(), self.where, msg), nil, self.secrets)
end

--- Runs fn() in one transaction: all of what it writes is kept, or none.
-- SQLite takes the write lock at the start (BEGIN IMMEDIATE: a second
-- writer waits for the busy timeout, then fails with a clear error).
-- Returns what fn returns; an error rolls back, then propagates.
function Db:transaction(fn, ...)
  if self.in_tx then return fn(...) end
  self:exec(self.dialect == "sqlite" and "BEGIN IMMEDIATE" or "BEGIN")
  self.in_tx = true
  local res = pack(pcall(fn, ...))
  self.in_tx = false
  if not res[1] then
    pcall(self.con.execute, self.con, "ROLLBACK")
    error(res[2], 0)
  end
  local ok, err = pcall(self.exec, self, "COMMIT")
  if not ok then
    -- a COMMIT that failed may leave the transaction open (SQLite): end it
    pcall(self.con.execute, self.con, "ROLLBACK")
    error(err, 0)
  end
  return unpack(res, 2, res.n)
end

--- Closes the connection, then its LuaSQL environment. Idempotent: a second
-- call does nothing.
function Db:close()
  if self.con then
    self.con:close()
    self.con = nil
  end
  if self.env then
    self.env:close()
    self.env = nil
  end
end

local function need(module, what, debian, rock)
  local ok, mod = pcall(require, module)
  if not ok then
    M.fail(fmt("%s needs LuaSQL's driver %s (Debian: apt-get install %s; LuaRocks: luarocks install %s): %s",
      what, module, debian, rock, tostring(mod):match("^[^\n]*")))
  end
  return mod
end

--- The passwords of a URI, for redaction: "postgresql://user:password@host/db"
-- and "...?password=...", each as written and percent-decoded.
-- @string uri
-- @treturn {string,...} the passwords (none: an empty list)
function M.uri_passwords(uri)
  local out = {}
  local function add(pw)
    if pw and pw ~= "" then
      out[#out + 1] = pw
      local plain = pw:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end)
      if plain ~= pw then out[#out + 1] = plain end
    end
  end
  local userinfo = uri:match("^%a[%w+.-]*://([^@/?]*)@")
  add(userinfo and userinfo:match(":(.*)$"))
  for pw in uri:gmatch("[?&]password=([^&]*)") do add(pw) end
  return out
end

--- Opens target: a file path (SQLite) or a "postgresql://" / "postgres://"
-- URI. opts: busy_timeout (ms, SQLite: how long a writer waits for
-- another; default 30000), wal (SQLite: write-ahead log, default true).
function M.open(target, opts)
  opts = opts or {}
  local self = setmetatable({}, Db)
  if target:match("^postgres") then
    self.secrets = M.uri_passwords(target)
    self.dialect = "postgres"
    self.where = errors.redact(target, self.secrets)
    local luasql = need("luasql.postgres", "A PostgreSQL store", "lua-sql-postgres", "luasql-postgres")
    self.env = luasql.postgres()
    local con, err = self.env:connect(target)
    if not con then
      self.env:close()
      M.fail("cannot connect to " .. self.where .. ": " .. driver_message(err), nil, self.secrets)
    end
    self.con = con
    -- warnings (NOTICE: relation already exists) are not the caller's business
    self:exec("SET client_min_messages = WARNING")
  else
    self.dialect = "sqlite"
    self.where = target
    self.busy_timeout = opts.busy_timeout or 30000
    local luasql = need("luasql.sqlite3", "A SQLite store", "lua-sql-sqlite3", "luasql-sqlite3")
    self.env = luasql.sqlite3()
    local con, err = self.env:connect(target)
    if not con then
      self.env:close()
      M.fail("cannot open " .. target .. ": " .. driver_message(err))
    end
    self.con = con
    self:exec(fmt("PRAGMA busy_timeout = %d", self.busy_timeout))
    self:exec("PRAGMA foreign_keys = ON")
    if opts.wal ~= false then
      -- readers never wait for the writer; a commit is one append to the log
      self:exec("PRAGMA journal_mode = WAL")
      self:exec("PRAGMA synchronous = NORMAL")
    end
  end
  return self
end

return M
