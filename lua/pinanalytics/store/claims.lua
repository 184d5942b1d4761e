--- Claims: how the processes that sync many accounts into one store share
-- the work through the store itself, with no coordinator of their own
-- (`pinanalytics sync --all-accounts` on several hosts at once, each from
-- its own cron).
--
--   local c = store:claims{ worker = "web1:4242", round = "2026-03-01", lease = 600 }
--   c:register({ "ann_shop", "bob_studio" })     -- a row per account, once
--   local name, wait = c:claim({ "ann_shop", "bob_studio" })
--   ... sync name, calling c:renew() now and then ...
--   c:done(name)          -- or c:failed(name, message), or c:release(name)
--
-- The table `sync_claims` (schema version 4) has a row per account (its
-- name in the credentials file). An account is claimed for a lease: the
-- worker's name and `lease_until`, milliseconds since the epoch by the
-- database's own clock (so that hosts whose clocks differ agree). A claim
-- takes one account that
--   - was not synced whole in this round (`synced_round`),
--   - is free, or whose lease has run out (its worker died or hangs: its
--     claim passes to whoever asks next),
--   - has not failed since this worker started (a failure at another
--     worker of the same run is not tried again at once; the next run, a
--     later cron job, tries it again),
-- and sets the lease, in one transaction: on PostgreSQL the row is chosen
-- with `SELECT ... FOR UPDATE SKIP LOCKED` (claimers never wait for each
-- other, and never both take a row); on SQLite the transaction holds the
-- database's write lock (BEGIN IMMEDIATE), which serialises the claimers
-- of one host. A worker renews its leases while it syncs (`renew`); `done`
-- records the round, when and by whom, `failed` the failure, each only
-- while the claim is still the worker's.
--
-- A round is what the caller names: the command-line tool's is the UTC day
-- the sync counts from (its "today"), so that an account is synced once a
-- day whichever host gets to it first, and a cron job every hour on every
-- host is harmless. Every method returns `nil, err` (an error of kind
-- "store") when the database fails, and raises on a wrong argument.
local check = require "pinanalytics.check"

local M = {}

--- The lease when none is given, in seconds.
M.LEASE = 600

local fail = check.failer("pinanalytics.store")
local show = check.show

local Claims = {}
Claims.__index = Claims
Claims.__name = "pinanalytics.store.Claims"

-- The database's clock in milliseconds since the epoch, as SQL.
local NOW = {
  postgres = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
  sqlite = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}

local function guard(fn, ...)
  return require("pinanalytics.store").guard(fn, ...)
end

local function check_names(fn, names)
  if type(names) ~= "table" then fail(fn, "names must be an array of account names, got %s", show(names)) end
  for i = 1, #names do
    if type(names[i]) ~= "string" or names[i] == "" then
      fail(fn, "names[%d] must be an account's name (a non-empty string), got %s", i, show(names[i]))
    end
  end
end

local function check_name(fn, name)
  if type(name) ~= "string" or name == "" then
    fail(fn, "name must be an account's name (a non-empty string), got %s", show(name))
  end
end

-- "account IN ('a', 'b')" for the names (never empty: callers check).
function Claims:_in(names)
  local lits = {}
  for i, n in ipairs(names) do lits[i] = self.db:lit(n) end
  return "account IN (" .. table.concat(lits, ", ") .. ")"
end

-- The database's time now, in milliseconds.
function Claims:_now()
  return self.db.num(self.db:rows("SELECT " .. self.now)[1][1])
end

--- Adds a row for each account that has none (rows are never removed: an
-- account gone from the credentials file is simply not asked for).
-- @tparam {string,...} names
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:register(names)
  check_names("Claims:register", names)
  return guard(function()
    local db = self.db
    db:transaction(function()
      for first = 1, #names, 200 do
        local values = {}
        for i = first, math.min(first + 199, #names) do values[#values + 1] = "(" .. db:lit(names[i]) .. ")" end
        db:exec("INSERT INTO sync_claims (account) VALUES " .. table.concat(values, ", ") ..
          " ON CONFLICT (account) DO NOTHING")
      end
    end)
    return true
  end)
end

--- Claims one of the accounts for the lease (see the top of this file).
-- @tparam {string,...} names the accounts this worker may sync
-- @treturn[1] string the account claimed
-- @treturn[2] nil when none can be claimed now
-- @treturn[2] table `{ leased = n, next_in = seconds }`: of the accounts not yet synced in the round
-- (nor failed since this worker started), how many others hold, and in how many seconds the first
-- of their leases runs out (nil when none): 0 leased means nothing is left to do
-- @treturn[3] nil
-- @treturn[3] pinanalytics.errors.Error kind "store"
function Claims:claim(names)
  check_names("Claims:claim", names)
  if #names == 0 then return nil, { leased = 0 } end
  return guard(function()
    local db = self.db
    local open = self:_in(names) .. " AND (synced_round IS NULL OR synced_round <> " .. db:lit(self.round) ..
      ") AND (failed_at IS NULL OR failed_at < " .. string.format("%d", self.started) .. ")"
    local got = db:transaction(function()
      local rows = db:rows("SELECT account FROM sync_claims WHERE " .. open ..
        " AND (lease_until IS NULL OR lease_until < " .. self.now .. ") ORDER BY account LIMIT 1" ..
        (db.dialect == "postgres" and " FOR UPDATE SKIP LOCKED" or ""))
      if #rows == 0 then return nil end
      local name = rows[1][1]
      db:exec("UPDATE sync_claims SET worker = " .. db:lit(self.worker) .. ", lease_until = " .. self.now ..
        " + " .. self.lease_ms .. ", claimed_at = " .. self.now .. " WHERE account = " .. db:lit(name))
      return name
    end)
    if got then
      self.held[got] = true
      return got
    end
    -- a lease that ran out since the SELECT above counts too (next_in 0):
    -- the caller asks again at once, and takes it
    local r = db:rows("SELECT COUNT(*), MIN(lease_until) - " .. self.now .. " FROM sync_claims WHERE " .. open ..
      " AND lease_until IS NOT NULL")[1]
    local leased, next_ms = db.num(r[1]) or 0, db.num(r[2])
    return nil, { leased = leased, next_in = next_ms and math.max(0, next_ms) / 1000 or nil }
  end)
end

--- Extends the leases this worker holds by the lease from now.
-- @treturn[1] int how many it holds
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:renew()
  return guard(function()
    local names = {}
    for n in pairs(self.held) do names[#names + 1] = n end
    if #names == 0 then return 0 end
    table.sort(names)
    self.db:exec("UPDATE sync_claims SET lease_until = " .. self.now .. " + " .. self.lease_ms ..
      " WHERE " .. self:_in(names) .. " AND worker = " .. self.db:lit(self.worker) .. " AND lease_until IS NOT NULL")
    return #names
  end)
end

-- Ends this worker's claim of name with the columns of sets (SQL); true
-- when the claim was still the worker's, false when another had taken it
-- (the lease ran out meanwhile).
function Claims:_end(name, sets)
  self.held[name] = nil
  local n = self.db:exec("UPDATE sync_claims SET worker = NULL, lease_until = NULL" .. sets .. " WHERE account = " ..
    self.db:lit(name) .. " AND worker = " .. self.db:lit(self.worker))
  return (tonumber(n) or 0) > 0
end

--- Records that the account was synced whole in this round, and frees it.
-- @string name
-- @treturn[1] boolean true; false when the claim was no longer this worker's (its lease ran out and
-- another worker took it: nothing is recorded)
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:done(name)
  check_name("Claims:done", name)
  return guard(function()
    return self:_end(name, ", synced_round = " .. self.db:lit(self.round) .. ", synced_at = " .. self.now ..
      ", synced_by = " .. self.db:lit(self.worker) .. ", error = NULL")
  end)
end

--- Records that the account's sync failed (the next run tries it again), and frees it.
-- @string name
-- @string message why, one line (no secret: the tool's own message)
-- @treturn[1] boolean as `done`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:failed(name, message)
  check_name("Claims:failed", name)
  if type(message) ~= "string" then fail("Claims:failed", "message must be a string, got %s", show(message)) end
  return guard(function()
    return self:_end(name, ", failed_at = " .. self.now .. ", failed_by = " .. self.db:lit(self.worker) ..
      ", error = " .. self.db:lit(message:sub(1, 500)))
  end)
end

--- Frees the account without recording anything (an interrupted sync):
-- another worker may take it at once.
-- @string name
-- @treturn[1] boolean as `done`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:release(name)
  check_name("Claims:release", name)
  return guard(function() return self:_end(name, "") end)
end

--- The rows of the accounts, by name.
-- @tparam {string,...} names
-- @treturn[1] table by name: `{ worker, lease_until, synced_round, synced_at, synced_by, failed_at,
-- failed_by, error }` (times in milliseconds since the epoch); an account without a row is absent
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Claims:status(names)
  check_names("Claims:status", names)
  if #names == 0 then return {} end
  return guard(function()
    local out = {}
    local num = self.db.num
    for _, r in ipairs(self.db:rows("SELECT account, worker, lease_until, synced_round, synced_at, synced_by, " ..
        "failed_at, failed_by, error FROM sync_claims WHERE " .. self:_in(names))) do
      out[r[1]] = { worker = r[2], lease_until = num(r[3]), synced_round = r[4], synced_at = num(r[5]),
        synced_by = r[6], failed_at = num(r[7]), failed_by = r[8], error = r[9] }
    end
    return out
  end)
end

--- Functions.
-- @section functions

--- The claims of a store (store:claims calls it).
-- @tparam pinanalytics.Store store an open store at schema version 4 or later
-- @tab opts
-- @string opts.worker this worker's name, unique among those running (the tool's: host:pid)
-- @string opts.round the round (the tool's: the UTC day, "YYYY-MM-DD")
-- @number[opt=600] opts.lease seconds a claim lasts unless renewed (more than 0)
-- @treturn[1] Claims
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store" (a store before version 4 that could not be migrated)
function M.new(store, opts)
  local fn = "claims"
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  check.options(fail, fn, opts, { worker = "string", round = "string", lease = "number" })
  if not opts.worker or opts.worker == "" then fail(fn, "opts.worker must be a non-empty string") end
  if not opts.round or opts.round == "" then fail(fn, "opts.round must be a non-empty string") end
  local lease = opts.lease or M.LEASE
  if lease ~= lease or lease <= 0 or lease > 86400 * 7 then
    fail(fn, "opts.lease must be a number of seconds in (0, 604800], got %s", show(opts.lease))
  end
  if (store.schema_version or 0) < 4 then
    return nil, require("pinanalytics.errors").new({ kind = "store", message = "the store " .. tostring(store.target) ..
      " is at schema version " .. tostring(store.schema_version) .. ", before the claims of version 4: open it " ..
      "once with this pinanalytics" })
  end
  local self = setmetatable({ db = store.db, worker = opts.worker, round = opts.round,
    lease_ms = string.format("%d", math.ceil(lease * 1000)), now = NOW[store.db.dialect], held = {} }, Claims)
  local started, err = guard(Claims._now, self)
  if not started then return nil, err end
  self.started = started
  return self
end

return M
