--- Accounts' tokens kept for a team in PostgreSQL: the same store as a
-- credentials file (`pinanalytics.credentials`: list, get, put, remove,
-- only_account, usable, refresh), its accounts in the table `credentials` of
-- a pinanalytics store's database (schema version 5, created or migrated on
-- first use as `pinanalytics.store.open` does it). `credentials.open` gives
-- one for a "postgresql://" (or "postgres://") URI.
--
-- Nothing is connected until a method needs the database; a connection
-- that fails is dropped, and the next call connects again (a restarted
-- server is found again).
--
-- Every write is one transaction. A refresh runs in a transaction that holds
-- the account's row (`SELECT ... FOR UPDATE NOWAIT`, asked again through the
-- store's `sleep` while another process holds it, so that a client's
-- runtime goes on meanwhile) across the token request: the new pair is
-- written and committed before it is returned, so before the new access
-- token is used; a process that finds, once it holds the row, an access
-- token other than the one it was refused with, still usable, takes it and
-- asks for nothing. A process that dies meanwhile loses its connection, and
-- with it the lock and what it had not committed.
--
-- The coroutines of one process that share a store take turns on its
-- connection: a transaction is never shared.
--
-- Run-time failures return `nil, err`, `err` a `pinanalytics.errors` Error
-- of kind "credentials" that names the account and the database (the URI
-- without its password), never a token; a wrong argument raises.
-- @usage
-- local credentials = require "pinanalytics.credentials"
-- local store = credentials.open("postgresql://pa@db.internal/analytics")
-- for _, a in ipairs(assert(store:list())) do print(a.account, a.refresh_expires_at) end
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"
local file = require "pinanalytics.credentials"

local M = {}

local function raise(fn, fmt, ...)
  error("pinanalytics.credentials." .. fn .. ": " .. string.format(fmt, ...), 3)
end

-- A credentials error, raised (caught by Store:_run).
local function fail(message, fields, secrets)
  local f = { kind = "credentials", message = message }
  for k, v in pairs(fields or {}) do f[k] = v end
  error(errors.new(f, secrets), 0)
end

local COLUMNS = { "access_token", "access_expires_at", "access_issued_at", "refresh_token",
  "refresh_expires_at", "client_id", "scope", "updated_at" }
local NUMERIC = { access_expires_at = true, access_issued_at = true, refresh_expires_at = true, updated_at = true }
local SELECT = "SELECT account, " .. table.concat(COLUMNS, ", ") .. " FROM credentials"

--- A team's credentials in PostgreSQL, made by `pinanalytics.credentials.open`.
-- @type PgStore
local Store = {}
Store.__index = Store
Store.__name = "pinanalytics.credentials.PgStore"

function Store:__tostring()
  return "pinanalytics.credentials (" .. self.where .. ")"
end

--- Where the accounts are: the URI without its password.
-- @treturn string
function Store:path()
  return self.where
end

--- Closes the store's connection (the next call connects again). Idempotent.
function Store:close()
  if self.store then
    local st = self.store
    self.store = nil
    st:close()
  end
end
Store.__close = Store.close
Store.__gc = function(self) if self.store then pcall(self.store.close, self.store) end end

--- Whether an entry's access token can still be used at `now` (as the file store's `usable`).
-- @tab entry as `get` gives it
-- @int[opt] now seconds since the epoch (default: the store's clock)
-- @treturn boolean
function Store:usable(entry, now)
  return file._Store.usable(self, entry, now)
end

Store._entry = file._Store._entry

function Store:_step(name)
  if self.on_step then self.on_step(name) end
end

-- The store's database (connected, its schema migrated, on first use).
function Store:_db()
  if not self.store then
    local st, err = require("pinanalytics.store").open(self.uri, { clock = self.clock })
    if not st then error(err, 0) end
    self.store = st
  end
  return self.store.db
end

-- A row as an entry (numbers as numbers).
local function entry_of(db, row)
  local e = { account = row[1] }
  for i, k in ipairs(COLUMNS) do
    local v = row[i + 1]
    if NUMERIC[k] then v = db.num(v) end
    e[k] = v
  end
  return e
end

-- Runs fn(db) alone on the connection (the store's other coroutines wait
-- their turn): what fn returns, or nil, err: a credentials error fn raised,
-- or a store error made one (its message after `what`, the connection
-- dropped); secrets: strings no message may show (tokens).
function Store:_run(what, account, secrets, fn)
  local start = core.now()
  local pause = 0.01
  while self.busy do
    if core.now() - start > self.lock_timeout then
      return nil, errors.new({ kind = "credentials", account = account, message = what .. ": the connection to " ..
        self.where .. " has been busy for more than " .. self.lock_timeout .. " s" }, self.secrets)
    end
    self.sleep(pause)
    pause = math.min(pause * 2, 0.1)
  end
  self.busy = true
  local res = { pcall(function() return fn(self:_db()) end) }
  self.busy = false
  errors.pass_interrupt(res[1], res[2])
  if res[1] then return res[2], res[3] end
  local err = res[2]
  if not errors.is(err) then error(err, 0) end
  local all = {}
  for _, s in ipairs(self.secrets) do all[#all + 1] = s end
  for _, s in pairs(secrets or {}) do if type(s) == "string" and s ~= "" then all[#all + 1] = s end end
  if err.kind == "store" then
    self:close() -- a broken connection is not used again
    return nil, errors.new({ kind = "credentials", account = account,
      message = what .. ": " .. tostring(err.message) }, all)
  end
  -- a credentials error of this module: tokens removed all the same
  local f = {}
  for k, v in pairs(err) do f[k] = v end
  return nil, errors.new(f, all)
end

-- The names of the accounts held, sorted.
local function names_of(db)
  local names = {}
  for _, r in ipairs(db:rows("SELECT account FROM credentials")) do names[#names + 1] = r[1] end
  table.sort(names)
  return names
end

-- The error of an account that is not there.
function Store:_missing(db, account)
  local names = names_of(db)
  fail("no account " .. account .. " in " .. self.where .. " (" ..
    (#names > 0 and "it has " .. table.concat(names, ", ") or "it has none: pinanalytics login adds one") ..
    ")", { account = account })
end

local function check_account(fn, account)
  if type(account) ~= "string" or account == "" then
    raise(fn, "account must be a non-empty string, got %s", type(account))
  end
end

--- The accounts held, sorted by name, without their tokens (as the file's `list`).
-- @treturn[1] {table,...} each `{ account, access_expires_at, refresh_expires_at, client_id, scope,
-- updated_at }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:list()
  return self:_run("cannot read the accounts in " .. self.where, nil, nil, function(db)
    local out = {}
    for _, r in ipairs(db:rows(SELECT)) do
      local e = entry_of(db, r)
      e.access_token, e.refresh_token, e.access_issued_at = nil, nil, nil
      out[#out + 1] = e
    end
    table.sort(out, function(a, b) return a.account < b.account end)
    return out
  end)
end

--- One account's entry, tokens included (keep it out of logs).
-- @string account the username
-- @treturn[1] table as the file's `get` gives it
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials" (no such account: its message names the
-- database and the accounts it has)
function Store:get(account)
  check_account("PgStore:get", account)
  return self:_run("cannot read account " .. account, account, nil, function(db)
    local rows = db:rows(SELECT .. " WHERE account = " .. db:lit(account))
    if not rows[1] then self:_missing(db, account) end
    return entry_of(db, rows[1])
  end)
end

--- The only account held (for a program that was given no account name).
-- @treturn[1] string its username
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials": none, or several (named)
function Store:only_account()
  local list, err = self:list()
  if not list then return nil, err end
  if #list == 1 then return list[1].account end
  if #list == 0 then
    return nil, errors.new { kind = "credentials", message = "no account in " .. self.where ..
      ": pinanalytics login adds one" }
  end
  local names = {}
  for i, a in ipairs(list) do names[i] = a.account end
  return nil, errors.new { kind = "credentials", message = "several accounts in " .. self.where .. " (" ..
    table.concat(names, ", ") .. "): name one" }
end

-- The statement that writes entry e of account (a new row or over the old).
local function upsert(db, account, e)
  local cols, vals, sets = { "account" }, { db:lit(account) }, {}
  for _, k in ipairs(COLUMNS) do
    cols[#cols + 1] = k
    vals[#vals + 1] = db:lit(e[k])
    sets[#sets + 1] = k .. " = EXCLUDED." .. k
  end
  return "INSERT INTO credentials (" .. table.concat(cols, ", ") .. ") VALUES (" .. table.concat(vals, ", ") ..
    ") ON CONFLICT (account) DO UPDATE SET " .. table.concat(sets, ", ")
end

--- Saves an account's tokens (after a login), replacing what it had, in one transaction.
-- @string account the username
-- @tab tokens as the file's `put` takes them
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:put(account, tokens)
  check_account("PgStore:put", account)
  if type(tokens) ~= "table" or type(tokens.access_token) ~= "string" or type(tokens.refresh_token) ~= "string" then
    raise("PgStore:put", "tokens must be a table with access_token and refresh_token strings")
  end
  return self:_run("cannot save account " .. account, account,
    { tokens.access_token, tokens.refresh_token }, function(db)
      local e = self:_entry(nil, tokens)
      db:transaction(function() db:exec(upsert(db, account, e)) end)
      return true
    end)
end

--- Forgets an account (a logout).
-- @string account the username
-- @treturn[1] boolean whether it was held
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:remove(account)
  check_account("PgStore:remove", account)
  return self:_run("cannot remove account " .. account, account, nil, function(db)
    local n = db:transaction(function()
      local had = #db:rows("SELECT account FROM credentials WHERE account = " .. db:lit(account) .. " FOR UPDATE")
      db:exec("DELETE FROM credentials WHERE account = " .. db:lit(account))
      return had
    end)
    return n > 0
  end)
end

-- Is this store error PostgreSQL's refusal of a row another transaction holds (NOWAIT)?
local function row_held(err)
  return errors.is(err) and err.kind == "store" and tostring(err.message):find("could not obtain lock", 1, true)
end

--- Refreshes an account's tokens, one process at a time: in a transaction
-- that holds the account's row (see the top of this file). When the row's
-- access token is no longer `used` and is still usable, another process
-- refreshed meanwhile and that entry is the answer; otherwise `request(entry)`
-- obtains new tokens, and they are written and committed before this returns.
-- @string account the username
-- @tparam string|nil used the access token the caller had (refused, or due)
-- @func request `function(entry)` returning a token answer (as `put` takes) or `nil, err`
-- @treturn[1] table the new entry (as `get` gives it)
-- @treturn[1] boolean true when it was refreshed here, false when another process had
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error what `request` returned, or kind "credentials"
function Store:refresh(account, used, request)
  check_account("PgStore:refresh", account)
  if type(request) ~= "function" then raise("PgStore:refresh", "request must be a function") end
  local secrets = { used }
  local start = core.now()
  local pause = 0.01
  while true do
    local received, held = false, false
    local outcome -- { entry, refreshed } | { nil, err }: what the transaction decided
    local run_ok, ok, err = pcall(self._run, self, "cannot refresh account " .. account, account, secrets, function(db)
      local ok_tx, tx_err = pcall(db.transaction, db, function()
        local rows = db:rows(SELECT .. " WHERE account = " .. db:lit(account) .. " FOR UPDATE NOWAIT")
        if not rows[1] then self:_missing(db, account) end
        self:_step("locked")
        local entry = entry_of(db, rows[1])
        secrets[#secrets + 1] = entry.access_token
        secrets[#secrets + 1] = entry.refresh_token
        if entry.access_token ~= used and self:usable(entry) then
          outcome = { entry, false }
          return
        end
        -- Ctrl-C and SIGTERM wait from the request to the commit (hold_signals)
        if self.hold_signals and not held then
          core.fs_hold_signals(true)
          held = true
        end
        local rok, tokens, rerr = errors.pass_interrupt(pcall(request, entry))
        if not rok then error(tokens, 0) end -- rolled back, then raised as it is
        if not tokens then
          outcome = { nil, rerr }
          return
        end
        received = true
        secrets[#secrets + 1] = tokens.access_token
        secrets[#secrets + 1] = tokens.refresh_token
        self:_step("received")
        local new = self:_entry(entry, tokens)
        db:exec(upsert(db, account, new))
        outcome = { new, true }
      end)
      if not ok_tx then
        if row_held(tx_err) then return "held" end
        if received and errors.is(tx_err) and tx_err.kind == "store" then
          tx_err.message = tostring(tx_err.message) .. " (the account's new refresh token is lost with it: if " ..
            "the old one was replaced, pinanalytics login renews the account)"
        end
        error(tx_err, 0)
      end
      return true
    end)
    if held then core.fs_hold_signals(false) end
    if not run_ok then error(ok, 0) end
    if not ok then return nil, err end
    if ok ~= "held" then
      if outcome[1] == nil then return nil, outcome[2] end
      if outcome[2] then self:_step("committed") end
      local e = outcome[1]
      e.account = account
      return e, outcome[2]
    end
    if core.now() - start > self.lock_timeout then
      return nil, errors.new({ kind = "credentials", account = account, message = "cannot refresh account " ..
        account .. ": another process has held it in " .. self.where .. " for more than " .. self.lock_timeout ..
        " s" }, self.secrets)
    end
    self.sleep(pause)
    pause = math.min(pause * 2, 0.1)
  end
end

--- Functions.
-- @section functions

--- Is x a store made by `open`?
-- @param x any value
-- @treturn boolean
function M.is_store(x)
  return getmetatable(x) == Store
end

--- A store over a postgresql:// URI (`pinanalytics.credentials.open` calls it).
-- @tab opts `uri`, and the file store's `sleep`, `lock_timeout`, `clock`, `on_step` (its steps here:
-- "locked", "received", "committed")
-- @treturn PgStore
function M.open(opts)
  local uri = opts.uri
  if type(uri) ~= "string" or not uri:match("^postgres[%w]*://") or uri:find("%z") then
    raise("open", "uri must be a postgresql:// URI")
  end
  local secrets = require("pinanalytics.store.db").uri_passwords(uri)
  return setmetatable({
    uri = uri, secrets = secrets, where = errors.redact(uri, secrets),
    sleep = opts.sleep or core.sleep, clock = opts.clock or os.time,
    lock_timeout = opts.lock_timeout or file.LOCK_TIMEOUT, on_step = opts.on_step, busy = false,
    hold_signals = opts.hold_signals,
  }, Store)
end

return M
