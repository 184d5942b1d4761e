--- The store's connection to its database: SQLite (a file) or PostgreSQL
-- (a "postgresql://" URI), both through LuaSQL (Debian: lua-sql-sqlite3,
-- lua-sql-postgres; LuaRocks: luasql-sqlite3, luasql-postgres).
--
-- SQL is never built from text. LuaSQL 2.6 (Debian 12's) binds no
-- parameters, so every value goes into a statement through db:lit(), which
-- writes only what it can write exactly: finite numbers, booleans, nil
-- (NULL), and strings escaped by the driver for this connection
-- (conn:escape: PQescapeStringConn on PostgreSQL, which follows the
-- connection's standard_conforming_strings and encoding; sqlite3_mprintf's
-- %q on SQLite). Identifiers are the store's own names, never a caller's.
--
-- Text the database cannot hold is repaired, never refused: PostgreSQL
-- takes no NUL byte and only valid UTF-8, so there every NUL and every byte
-- that is not part of a valid UTF-8 sequence becomes U+FFFD, and the repair
-- is noted (db:take_repairs(): the store's sync and snapshot put the notes
-- in their result's warnings). The session speaks UTF-8 (client_encoding)
-- whatever the database's own encoding (server_encoding, read at open):
-- on a UTF8 or SQL_ASCII database that is all; on a database of any other
-- encoding the characters it cannot hold become "?" as well (LATIN1 holds
-- U+0001..U+00FF; for every other encoding only ASCII is known to be
-- held, so every other character becomes "?"), and the note names the
-- encoding. SQLite holds any bytes: a string with a NUL goes in as
-- CAST(X'..' AS TEXT) and reads back exactly.
--
-- Every read returns all its rows or raises: a failed step of a cursor
-- (LuaSQL's fetch returning nil, message: a damaged page) is an error, never
-- the end of the rows.
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

-- Text repair ---------------------------------------------------------------

local byte = string.byte
local REPLACEMENT = "\239\191\189" -- U+FFFD

--- s with every byte that is not part of a well-formed UTF-8 sequence
-- (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF)
-- replaced by U+FFFD, and how many were replaced.
-- @string s
-- @treturn string
-- @treturn int the bytes replaced (0: s itself is returned)
function M.utf8_repair(s)
  if not s:find("[\128-\255]") then return s, 0 end
  local out, start, i, len, bad = {}, 1, 1, #s, 0
  while i <= len do
    local c = byte(s, i)
    local size = c < 0x80 and 1 or (c >= 0xC2 and c <= 0xDF) and 2 or (c >= 0xE0 and c <= 0xEF) and 3
      or (c >= 0xF0 and c <= 0xF4) and 4 or 0
    local ok = size > 0 and i + size - 1 <= len
    if ok and size > 1 then
      local lo, hi = 0x80, 0xBF
      if c == 0xE0 then lo = 0xA0 elseif c == 0xED then hi = 0x9F elseif c == 0xF0 then lo = 0x90
      elseif c == 0xF4 then hi = 0x8F end
      local c2 = byte(s, i + 1)
      if c2 < lo or c2 > hi then ok = false end
      for k = 2, size - 1 do
        local ck = byte(s, i + k)
        if ck < 0x80 or ck > 0xBF then ok = false end
      end
    end
    if ok then
      i = i + size
    else
      out[#out + 1] = s:sub(start, i - 1)
      out[#out + 1] = REPLACEMENT
      bad = bad + 1
      i = i + 1
      start = i
    end
  end
  if bad == 0 then return s, 0 end
  out[#out + 1] = s:sub(start)
  return table.concat(out), bad
end

-- A short, printable form of a text for a warning: at most 40 bytes,
-- bytes outside printable ASCII as \xHH.
local function shown(s)
  local cut = #s > 40
  local t = s:sub(1, 40):gsub("[^\32-\126]", function(x) return fmt("\\x%02X", byte(x)) end):gsub('"', '\\"')
  return '"' .. t .. (cut and fmt('..." (%d bytes)', #s) or '"')
end

-- s with every NUL byte replaced by U+FFFD, and how many (plain finds:
-- Lua 5.1's patterns cannot hold a NUL).
local function replace_nul(s)
  local out, start, n = {}, 1, 0
  while true do
    local i = s:find("\0", start, true)
    if not i then break end
    out[#out + 1] = s:sub(start, i - 1)
    out[#out + 1] = REPLACEMENT
    n = n + 1
    start = i + 1
  end
  out[#out + 1] = s:sub(start)
  return table.concat(out), n
end

local MAX_REPAIR_NOTES = 20

-- The characters a database of encoding `encoding` (server_encoding) is
-- known to hold, for text that is valid UTF-8: nil for all of them (UTF8,
-- SQL_ASCII); else the highest lead byte of a character kept (LATIN1:
-- 0xC3, U+00FF; any other: 0x7F, ASCII only).
local function held_lead(encoding)
  if encoding == nil or encoding == "UTF8" or encoding == "SQL_ASCII" then return nil end
  if encoding == "LATIN1" then return 0xC3 end
  return 0x7F
end

--- s (valid UTF-8) with every character whose lead byte is above `lead`
-- replaced by "?", and how many were replaced.
-- @string s valid UTF-8
-- @int lead the highest lead byte kept (0xC3: U+0000..U+00FF; 0x7F: ASCII)
-- @treturn string
-- @treturn int the characters replaced (0: s itself is returned)
function M.encoding_repair(s, lead)
  if not s:find("[\128-\255]") then return s, 0 end
  local n = 0
  local out = s:gsub("[\192-\255][\128-\191]*", function(ch)
    if byte(ch) <= lead then return ch end
    n = n + 1
    return "?"
  end)
  if n == 0 then return s, 0 end
  return out, n
end

-- A count of things, "1 NUL byte" / "3 NUL bytes".
local function count(n, what)
  return fmt("%d %s%s", n, what, n == 1 and "" or "s")
end

-- Notes that a text was repaired (kept for take_repairs): nul NUL bytes,
-- bad bytes of invalid UTF-8, and (a database that is not UTF-8) unheld
-- characters its encoding cannot hold.
function Db:_note(original, nul, bad, unheld)
  local repairs = self.repairs
  if #repairs >= MAX_REPAIR_NOTES then
    repairs.more = (repairs.more or 0) + 1
    return
  end
  local what = {}
  if nul > 0 then what[#what + 1] = count(nul, "NUL byte") end
  if bad > 0 then what[#what + 1] = count(bad, "byte") .. " of invalid UTF-8" end
  local note
  if self.held_lead then
    if unheld > 0 then what[#what + 1] = count(unheld, "character") .. " its encoding cannot hold" end
    note = fmt('a text from the API was stored repaired, %s replaced by "?" (the database\'s encoding is %s, ' ..
      "which holds %s%s): %s", table.concat(what, " and "), self.encoding,
      self.held_lead == 0xC3 and "only U+0001..U+00FF" or "only ASCII as far as pinanalytics knows",
      (nul > 0 or bad > 0) and ", and PostgreSQL holds no NUL byte nor invalid UTF-8" or "", shown(original))
  else
    note = fmt("a text from the API was stored repaired, %s replaced by U+FFFD (PostgreSQL " ..
      "cannot hold %s): %s", table.concat(what, " and "), nul > 0 and bad > 0 and "them" or (nul > 0 and "a NUL byte"
      or "text that is not UTF-8"), shown(original))
  end
  for _, n in ipairs(repairs) do
    if n == note then return end
  end
  repairs[#repairs + 1] = note
end

--- The notes of the texts repaired since the last call (strings, for a
-- result's warnings), and forgets them.
-- @treturn {string,...}
function Db:take_repairs()
  local repairs = self.repairs or {}
  self.repairs = {}
  if repairs.more then
    repairs[#repairs + 1] = fmt("and %d more texts were stored repaired", repairs.more)
    repairs.more = nil
  end
  return repairs
end

-- LuaSQL 2.6 built for Lua 5.1 (and LuaJIT) escapes a long string in
-- pieces of LUAL_BUFFERSIZE / 2 bytes: a piece may end inside a UTF-8
-- character (PostgreSQL then refuses it: "incomplete multibyte character"),
-- and a piece of quotes only fills its buffer and one byte more. So the
-- text goes to the driver in pieces of at most PG_PIECE bytes, each ending
-- on a character boundary (text is valid UTF-8 here); the escaping of a
-- character does not depend on its neighbours.
local PG_PIECE = 1024

function Db:_pg_escape(text)
  local out, i, len = {}, 1, #text
  while i <= len do
    local j = math.min(i + PG_PIECE - 1, len)
    while j < len and j > i do
      local b = byte(text, j + 1)
      if b < 0x80 or b > 0xBF then break end -- text[j + 1] starts a character
      j = j - 1
    end
    local escaped, err = self.con:escape(text:sub(i, j))
    if not escaped then M.fail("cannot escape a text for " .. self.where .. ": " .. driver_message(err)) end
    out[#out + 1] = escaped
    i = j + 1
  end
  return table.concat(out)
end

--- A SQL literal for v. Numbers: integers as integers (below 2^53 in
-- magnitude when a float), others with 17 significant digits (exact);
-- NaN and infinities are refused. Strings: escaped by the driver for this
-- connection, repaired first where the database cannot hold them (see the
-- top of this file). Booleans: 1 or 0. nil: NULL.
function Db:lit(v)
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
    if self.dialect == "postgres" then
      local nul = 0
      local text = v
      if text:find("\0", 1, true) then text, nul = replace_nul(text) end
      local bad, unheld
      text, bad = M.utf8_repair(text)
      if self.held_lead then
        -- a database that is not UTF-8: what its encoding cannot hold (the
        -- U+FFFD of a repair included) becomes "?"
        text, unheld = M.encoding_repair(text, self.held_lead)
        unheld = unheld - nul - bad
      end
      if nul > 0 or bad > 0 or (unheld or 0) > 0 then self:_note(v, nul, bad, unheld or 0) end
      return "'" .. self:_pg_escape(text) .. "'"
    end
    if v:find("\0", 1, true) then
      -- a C string would end at the NUL: the bytes as a blob, read back as text
      return "CAST(X'" .. v:gsub(".", function(x) return fmt("%02X", byte(x)) end) .. "' AS TEXT)"
    end
    local escaped = self.con:escape(v)
    if not escaped then M.fail("cannot escape a text for " .. self.where .. " (out of memory?)") end
    return "'" .. escaped .. "'"
  end
  if t == "boolean" then return v and "1" or "0" end
  M.fail("cannot store a value of type " .. t)
end

--- Runs a statement that returns no rows; returns the number of rows it
-- changed (0 when the driver does not say). A statement that returns rows
-- has them read to the end (an error in any step raises) and dropped.
function Db:exec(sql)
  local r, err = self.con:execute(sql)
  if r == nil then self:_raise(err, sql) end
  if type(r) ~= "number" then
    -- a statement that returned rows (PRAGMA): read it to its end at once (a
    -- failed step is an error), an open cursor would keep SQLite's read lock
    self:_drain(r, sql)
    return 0
  end
  return floor(r)
end

-- Reads a cursor to its end: its rows, or raises on a failed step.
function Db:_drain(cur, sql, out)
  local row, err = cur:fetch({}, "n")
  while row do
    if out then out[#out + 1] = row end
    row, err = cur:fetch({}, "n")
  end
  errors.pass_interrupt(pcall(cur.close, cur)) -- after the last row LuaSQL has closed it already
  if err ~= nil then self:_raise(err, sql) end
  return out
end

--- Runs a query; returns all its rows as arrays (values as the driver
-- gives them: PostgreSQL gives strings, see num()), or raises: a step that
-- fails (a damaged page) is an error, never the end of the rows.
function Db:rows(sql)
  local cur, err = self.con:execute(sql)
  if cur == nil then self:_raise(err, sql) end
  if type(cur) == "number" then return {} end
  return self:_drain(cur, sql, {})
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
  if self.want_wal and not self.wal_on then
    -- readers never wait for the writer; a commit is one append to the log
    self:exec("PRAGMA journal_mode = WAL")
    self:exec("PRAGMA synchronous = NORMAL")
    self.wal_on = true
  end
  self:exec(self.dialect == "sqlite" and "BEGIN IMMEDIATE" or "BEGIN")
  self.in_tx = true
  local res = pack(pcall(fn, ...))
  self.in_tx = false
  if not res[1] then
    -- rolled back first; Ctrl-C meanwhile is raised in its place
    errors.pass_interrupt(pcall(self.con.execute, self.con, "ROLLBACK"))
    error(res[2], 0)
  end
  local ok, err = pcall(self.exec, self, "COMMIT")
  if not ok then
    -- a COMMIT that failed (or that Ctrl-C stopped) may leave the
    -- transaction open (SQLite): end it
    errors.pass_interrupt(pcall(self.con.execute, self.con, "ROLLBACK"))
    error(err, 0)
  end
  return unpack(res, 2, res.n)
end

--- Closes the connection, then its LuaSQL environment. Idempotent: a second
-- call does nothing. A SQLite store this connection put in WAL mode goes
-- back to a rollback journal when no other connection holds it, so that a
-- reader that may not write the file (nor create its -shm) can read it;
-- when another does, the last of them to close does it.
function Db:close()
  if self.con then
    -- best effort (another connection may hold the store); Ctrl-C
    -- meanwhile is raised once the connection is closed
    local interrupt
    if self.wal_on and not self.in_tx then
      for _, sql in ipairs({ fmt("PRAGMA busy_timeout = %d", math.min(self.busy_timeout, 1000)),
        "PRAGMA journal_mode = DELETE" }) do
        local ok, e = pcall(self.exec, self, sql)
        if not ok and errors.is_interrupt(e) then interrupt = interrupt or e end
      end
    end
    self.con:close()
    self.con = nil
    if self.env then
      self.env:close()
      self.env = nil
    end
    if interrupt then error(interrupt, 0) end
  end
  if self.env then -- a connection that failed to open
    self.env:close()
    self.env = nil
  end
end

local function need(module, what, debian, rock)
  local ok, mod = errors.pass_interrupt(pcall(require, module))
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

local function can_open(path, mode)
  local f = io.open(path, mode)
  if f then f:close() end
  return f ~= nil
end

--- Opens target: a file path (SQLite) or a "postgresql://" / "postgres://"
-- URI. opts: busy_timeout (ms, SQLite: how long a writer waits for
-- another; default 30000), wal (SQLite: write-ahead log while writing,
-- default true), read_only (open without the right to write: SQLite opens
-- the file read-only, PostgreSQL makes the session's transactions read-only).
-- A SQLite file that exists and that this process may not write is opened
-- read-only too (db.read_only is true). Opening writes nothing: WAL mode is
-- set before the first transaction.
function M.open(target, opts)
  opts = opts or {}
  local self = setmetatable({ repairs = {} }, Db)
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
    -- the store's texts are UTF-8 (repaired to it by lit), whatever the
    -- server's default for its clients; the database's own encoding says
    -- what else lit must repair
    self:exec("SET client_encoding = 'UTF8'")
    local enc = self:rows("SHOW server_encoding")[1]
    self.encoding = tostring(enc and enc[1] or "UTF8"):upper()
    self.held_lead = held_lead(self.encoding)
    if opts.read_only then
      self.read_only = true
      self:exec("SET default_transaction_read_only = on")
    end
  else
    self.dialect = "sqlite"
    self.where = target
    self.busy_timeout = opts.busy_timeout or 30000
    self.read_only = opts.read_only == true or (target ~= ":memory:" and can_open(target, "rb")
      and not can_open(target, "r+b"))
    if self.read_only and not can_open(target, "rb") then
      M.fail("cannot open " .. target .. " for reading: no such file, or not readable")
    end
    local luasql = need("luasql.sqlite3", "A SQLite store", "lua-sql-sqlite3", "luasql-sqlite3")
    self.env = luasql.sqlite3()
    local con, err
    if self.read_only then
      con, err = self.env:connect(target, self.busy_timeout, true)
    else
      con, err = self.env:connect(target)
    end
    if not con then
      self.env:close()
      M.fail("cannot open " .. target .. ": " .. driver_message(err))
    end
    self.con = con
    self:exec(fmt("PRAGMA busy_timeout = %d", self.busy_timeout))
    self:exec("PRAGMA foreign_keys = ON")
    self.want_wal = opts.wal ~= false and not self.read_only and target ~= ":memory:"
    if self.read_only then
      -- a store in WAL mode needs its -shm beside it: say so when this
      -- process may neither write the store nor create that file
      local ok, e = errors.pass_interrupt(pcall(self.rows, self, "SELECT COUNT(*) FROM sqlite_master"))
      if not ok then
        local msg = errors.is(e) and e.message or tostring(e)
        self:close()
        if msg:lower():find("readonly", 1, true) then
          M.fail(fmt("cannot read the store %s: it is in WAL mode (a writer has it open, or was stopped " ..
            "before it closed it) and this process may not write it nor create %s-shm beside it: read it " ..
            "as a user who may, or once its writer has closed it", target, target))
        end
        error(e, 0)
      end
    end
  end
  return self
end

return M
