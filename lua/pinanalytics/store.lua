--- pinanalytics.store: a local history of Pinterest (and OneUp) analytics,
-- kept beyond the API's 90 days and synced incrementally.
--
--   local store = pa.store.open("analytics.db")           -- SQLite (a file)
--   local store = pa.store.open("postgresql://user@host/db") -- PostgreSQL, shared
--   local res, err = store:sync(client, { pins = "all", account = true, days = 90 })
--   local f = store:frame("813744226420795884", pa.dates.range("2025-01-01", "2025-12-31"))
--   local f = store:frame("account", nil, { "IMPRESSION", "SAVE" })  -- everything held
--
-- pa.store.open(target [, opts]) -> store | nil, err
--   target: a file path (SQLite; created when missing; ":memory:" for a
--   private in-memory store), or "postgresql://..." / "postgres://..." (a
--   libpq URI: user, password, host, port, database, ?options). The schema
--   is created, or migrated forward, on open (docs/store.md, "Schema";
--   lua/pinanalytics/store/schema.lua).
--   opts: busy_timeout (ms a SQLite writer waits for another, default
--   30000), wal (SQLite write-ahead log while writing, default true), clock
--   (a function returning seconds since the epoch, like os.time: the
--   store's time for the "fetched" and "synced" stamps and for range
--   presets), read_only (true: never write; a SQLite file this process may
--   not write is opened so anyway), check (true: SQLite's PRAGMA
--   quick_check on open, a damaged file is an error: for a report).
--   Opening a store whose schema is current writes nothing; one that needs
--   migrating and may not be written is an error that says so (err.schema_version,
--   err.needs_version), and one with no schema at all (an empty file, a
--   database without the store's tables) opened so is an error too
--   (err.not_a_store: "an empty file" or "no pinanalytics tables in it"):
--   read_only never creates a store.
--
-- store:sync(client, opts) -> result [, err]      (see pinanalytics.store.sync)
-- store:frame(what, range [, metrics] [, opts]) -> MetricFrame | nil, err
--   what: a pin id, "account", or an array of pin ids (series named
--   "<pin id>/<METRIC>", as pa.frame(results) names them); range: a
--   pa.dates range, a preset name ("last_30_days", ...) or nil for every day
--   held; metrics: an array of metric names (default: every metric of the
--   table). The frame has the days held in the range (a day never synced is
--   absent, not zero), each with its data_status (f:not_ready()).
-- store:analytics(what, range [, metrics] [, opts]) -> the days held shaped
--   as the API's answers ({ all = { daily_metrics, summary_metrics } }, or
--   results by pin id for an array): code written for client answers (pa.report,
--   a --from-store option) reads the store unchanged; each `all` also
--   holds `stale`, the days of the range as in store:coverage's stale
-- store:pins([opts]) -> array of pin ids held (sorted)
-- store:pin_meta([ids] [, opts]) -> what the pins are, by pin id (title,
--   description's start, board, link, picture: pinanalytics.pinmeta), as
--   a sync fetched it; a pin never fetched is absent
-- store:coverage(pin_id | "account" [, opts]) -> { days, first, last, ready,
--   not_ready = {dates}, pending = {dates}, stale = {days}, missing = {dates} }
--   days: days held; ready: how many are READY; not_ready: the dates held
--   whose status is not READY; pending: those of them a sync asks for again
--   (PROCESSING, ESTIMATE, UNKNOWN, and still served by the API: at most 90
--   days before today, the store's clock); stale: those held with such a
--   status that the API no longer serves, so that no sync can make them
--   final, each { date, data_status, fetched } (fetched: when the figures
--   held were fetched, "YYYY-MM-DDTHH:MM:SSZ"), by date; missing: the
--   dates between first and last that are not held.
-- store:accounts() -> array of { account_id, username, account_type,
--   business_name, first_synced, last_synced, pins }
-- store:claims{ worker, round [, lease] } -> claims | nil, err: how several
--   processes share the syncing of many accounts (pinanalytics.store.claims)
-- store:snapshot_oneup(oneup_client, params) -> info | nil, err
-- store:oneup(network_id [, opts]) -> snapshot | nil
-- store:oneup_snapshots([network_id]) -> array of { network_id, period, timezone, taken, fetched }
-- store:close()
--
-- Reading methods take opts.account (the account's id or username) and
-- need it when the store holds more than one account: they raise otherwise,
-- naming the accounts held. Programmer errors (bad arguments) raise; a
-- failing database returns nil, err with err.kind == "store".
local check = require "pinanalytics.check"
local dates = require "pinanalytics.dates"
local db_mod = require "pinanalytics.store.db"
local errors = require "pinanalytics.errors"
local schema = require "pinanalytics.store.schema"

local M = {}

M.SCHEMA_VERSION = schema.LATEST
M.PIN_METRICS = schema.PIN_METRICS
M.ACCOUNT_METRICS = schema.ACCOUNT_METRICS
--- Statuses whose figures may still change: a sync asks for these days
-- again. Every other status is final: READY, and the BEFORE_* statuses
-- (the pin or the account did not exist yet, the data is past retention),
-- which describe a past that does not change.
M.PENDING_STATUSES = { "PROCESSING", "ESTIMATE", "UNKNOWN" }

local fail = check.failer("pinanalytics.store")
local show = check.show

local Store = {}
Store.__index = Store
Store.__name = "pinanalytics.Store"
M.Store = Store

local PENDING = {}
for _, s in ipairs(M.PENDING_STATUSES) do PENDING[s] = true end

--- Whether a day held with this `data_status` is still pending: one of
-- `PENDING_STATUSES`, which a sync asks for again.
-- @tparam string|nil status a day's `data_status` ("READY", "PROCESSING", ...)
-- @treturn boolean true for "PROCESSING", "ESTIMATE" and "UNKNOWN"; false
-- for anything else (a final status, nil, a value that is not a string)
M.is_pending = function(status) return status ~= nil and PENDING[status] == true end

--- How many days back the API serves figures (Pinterest's limit on
-- `start_date`): a pending day older than that can no longer be refreshed.
M.SERVED_DAYS = 90

-- The first day the API serves now (the store's clock), as a day number.
local function earliest_served(self)
  return dates.today_number(self.clock) - M.SERVED_DAYS
end

-- A stale day as read methods give it, or nil when the day is not stale:
-- pending, and before `earliest` (a day number).
local function stale_day(date, status, fetched, earliest)
  if not M.is_pending(status) then return nil end
  local n = dates.parse(date)
  if not n or n >= earliest then return nil end
  fetched = tonumber(fetched)
  return { date = date, data_status = status,
    fetched = fetched and os.date("!%Y-%m-%dT%H:%M:%SZ", fetched) or nil }
end

function Store:__tostring()
  return "pinanalytics.store (" .. self.db.dialect .. ": " .. self.db.where .. ")"
end

local unpack = table.unpack or unpack -- luacheck: ignore (Lua 5.1)
local function pack(...) return { n = select("#", ...), ... } end

--- Runs fn(...) and turns a store error into `nil, err`; anything else (a
-- programmer error, a bug) propagates. The store's methods run their
-- database work through it: a failing database returns, a bad argument
-- raises.
-- @func fn the work
-- @param ... its arguments
-- @return[1] every value fn returns (nil included), when it returns
-- @treturn[2] nil when fn raised an error of kind "store"
-- @treturn[2] pinanalytics.errors.Error that error
-- @raise any other error fn raises, as it is (a string gets no position added)
function M.guard(fn, ...)
  local res = pack(pcall(fn, ...))
  if res[1] then return unpack(res, 2, res.n) end
  local err = res[2]
  if errors.is(err) and err.kind == "store" then return nil, err end
  error(err, 0)
end

function Store:_now()
  return self.clock and self.clock() or os.time()
end

--- An ISO 8601 UTC timestamp of the store's clock.
function Store:_stamp()
  return os.date("!%Y-%m-%dT%H:%M:%SZ", self:_now())
end

-- The size of a file in bytes, or nil when it cannot be opened.
local function file_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local size = f:seek("end")
  f:close()
  return size
end

local OPEN_OPTIONS = { busy_timeout = "number", wal = "boolean", clock = "function", schema_version = "number",
  read_only = "boolean", check = "boolean" }

--- Opens a store (see the top of this file). opts.schema_version migrates
-- only up to that version (for tests of the migration).
function M.open(target, opts)
  local fn = "open"
  if type(target) ~= "string" or target == "" then
    fail(fn, "target must be a file path or a postgresql:// URI, got %s", show(target))
  end
  if target:find("\0", 1, true) then fail(fn, "target must not contain a NUL byte") end
  if opts == nil then opts = {} end
  check.options(fail, fn, opts, OPEN_OPTIONS)
  if opts.busy_timeout and (opts.busy_timeout ~= math.floor(opts.busy_timeout) or opts.busy_timeout < 0) then
    fail(fn, "option busy_timeout must be a whole number of milliseconds >= 0, got %s", show(opts.busy_timeout))
  end
  local sv = opts.schema_version
  if sv ~= nil and (sv ~= math.floor(sv) or sv < 1 or sv > schema.LATEST) then
    fail(fn, "option schema_version must be a whole number 1..%d, got %s", schema.LATEST, show(sv))
  end
  if target:match("^%a[%w+.-]*://") and not target:match("^postgres") then
    fail(fn, "target %s: only postgresql:// (or postgres://) URIs are known; a SQLite store is a file path",
      show(target:match("^%a[%w+.-]*://")))
  end
  return M.guard(function()
    local db = db_mod.open(target, opts)
    local self = setmetatable({ db = db, clock = opts.clock }, Store)
    local ok, err = pcall(function()
      -- a store at the version wanted is read as it is: nothing written, no
      -- lock taken (a reader that may not write it reads it)
      local at, want = schema.peek(db), sv or schema.LATEST
      if at > schema.LATEST then schema.refuse_newer(db, at) end
      if at < want then
        local why = opts.read_only and "opened read_only" or "the file is not writable"
        if db.read_only and at == 0 then
          -- nothing to read, and opening must not create it
          local what = db.dialect == "sqlite" and file_size(target) == 0 and "an empty file"
            or "no pinanalytics tables in it"
          db_mod.fail(string.format("%s is not a pinanalytics store (%s), and this process may not create one " ..
            "in it (%s): open it once without read_only (pinanalytics sync does)", db.where, what, why),
            { not_a_store = what }, db.secrets)
        end
        if db.read_only then
          db_mod.fail(string.format("the store %s is at schema version %d and needs migrating to version %d, " ..
            "which writes it, and this process may not write it (%s): have its owner open it once with this " ..
            "pinanalytics (pinanalytics sync does)", db.where, at, want, why),
            { schema_version = at, needs_version = want }, db.secrets)
        end
        at, want = schema.migrate(db, sv, self:_stamp())
      end
      self.migrated_from, self.schema_version = at, math.max(at, want)
      if opts.check and db.dialect == "sqlite" then
        local ok_check, rows = errors.pass_interrupt(pcall(db.rows, db, "PRAGMA quick_check"))
        if not ok_check then
          -- too damaged to be checked
          rows = { { errors.is(rows) and rows.message:gsub("^.-: ", "") or tostring(rows) } }
        end
        if not (#rows == 1 and rows[1][1] == "ok") then
          local lines = {}
          for i = 1, math.min(#rows, 3) do lines[i] = tostring(rows[i][1]) end
          db_mod.fail(string.format("the store %s is damaged (PRAGMA quick_check: %s%s)", db.where,
            table.concat(lines, "; "), #rows > 3 and string.format("; and %d more", #rows - 3) or ""))
        end
      end
    end)
    if not ok then
      db:close()
      error(err, 0) -- an interrupt too, as it is
    end
    self.dialect = db.dialect
    self.target = db.where
    return self
  end)
end

--- Closes the connection. Idempotent.
function Store:close()
  if self.db then self.db:close() end
  self.closed = true
end
Store.__close = Store.close
Store.__gc = function(self) if not self.closed and self.db then pcall(self.db.close, self.db) end end

-- accounts ------------------------------------------------------------------

-- The accounts held: array of rows {key, id, username}.
function Store:_accounts()
  local out = {}
  for _, r in ipairs(self.db:rows("SELECT account_key, account_id, username FROM accounts ORDER BY account_id")) do
    out[#out + 1] = { key = self.db.num(r[1]), id = r[2], username = r[3] }
  end
  return out
end

--- The account a reading method works on: opts.account (id or username),
-- or the only one held. Returns it, or nil when the store holds none.
function Store:_account(fn, account)
  local all = self:_accounts()
  local names = {}
  for i, a in ipairs(all) do names[i] = (a.username or "?") .. " (" .. a.id .. ")" end
  if account ~= nil then
    if type(account) ~= "string" or account == "" then
      fail(fn, "opts.account must be an account's id or username (a string), got %s", show(account))
    end
    for _, a in ipairs(all) do
      if a.id == account then return a end
    end
    for _, a in ipairs(all) do
      if a.username == account then return a end
    end
    fail(fn, "the store holds no account %s (held: %s)", show(account),
      #names > 0 and table.concat(names, ", ") or "none")
  end
  if #all > 1 then
    fail(fn, "the store holds %d accounts (%s): pass opts.account = the id or username of one", #all,
      table.concat(names, ", "))
  end
  return all[1]
end

--- Every Pinterest account held, with its number of pins.
function Store:accounts()
  return M.guard(function()
    local out = {}
    local rows = self.db:rows("SELECT a.account_id, a.username, a.account_type, a.business_name, a.first_synced, " ..
      "a.last_synced, (SELECT COUNT(*) FROM pins p WHERE p.account_key = a.account_key) " ..
      "FROM accounts a ORDER BY a.account_id")
    for i, r in ipairs(rows) do
      out[i] = { account_id = r[1], username = r[2], account_type = r[3], business_name = r[4],
        first_synced = r[5], last_synced = r[6], pins = self.db.num(r[7]) }
    end
    return out
  end)
end

-- reading -------------------------------------------------------------------

local function opts_of(fn, opts, known)
  if opts == nil then return {} end
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  for k in pairs(opts) do
    if not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown option %s (known: %s)", show(k), table.concat(names, ", "))
    end
  end
  return opts
end

local function is_pin_id(v)
  return type(v) == "string" and v:match("^%d+$") ~= nil and #v <= 40
end

--- Whether v is a pin id as the store takes one: a string of 1 to 40
-- decimal digits. A number is not one (pin ids are strings, as the API
-- gives them).
-- @param v any value
-- @treturn boolean
-- @function is_pin_id
M.is_pin_id = is_pin_id

--- The pin ids held for the account, sorted.
function Store:pins(opts)
  local fn = "pins"
  opts = opts_of(fn, opts, { account = true })
  return M.guard(function()
    local acc = self:_account(fn, opts.account)
    if not acc then return {} end
    local out = {}
    for i, r in ipairs(self.db:rows("SELECT pin_id FROM pins WHERE account_key = " .. acc.key ..
        " ORDER BY pin_id")) do
      out[i] = r[1]
    end
    return out
  end)
end

-- the schema version that holds what the pins are
local META_VERSION = 3
-- its columns, in the order pin_meta reads them
local META_COLUMNS = { "title", "description", "board_id", "board_name", "link", "image_url", "meta_error",
  "meta_fetched" }

--- What the pins held are, by pin id, as a sync fetched it (`GET /pins/{pin_id}`, or the
-- items of `GET /pins`, and the board names of `GET /boards`): each `{ title, description,
-- board_id, board_name, link, image_url, fetched }` (what `pinanalytics.pinmeta.from_pin`
-- gives, and when: "YYYY-MM-DDTHH:MM:SSZ"), or `{ error, fetched }` when it could not be
-- fetched ("not found (HTTP 404)"). A pin held whose metadata was never fetched (a store
-- synced before version 3, or with `meta = false`) is not in the answer; `opts.meta` of
-- `pinanalytics.report` takes the answer as it is.
-- @tparam[opt] {string,...} ids the pins (default: every pin held)
-- @tab[opt] opts
-- @string[opt] opts.account the account's id or username (when the store holds several)
-- @treturn[1] table by pin id
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error a store error
function Store:pin_meta(ids, opts)
  local fn = "pin_meta"
  if ids ~= nil then
    if type(ids) ~= "table" then fail(fn, "ids must be an array of pin ids, got %s", show(ids)) end
    for i = 1, #ids do
      if not is_pin_id(ids[i]) then fail(fn, "ids[%d] must be a pin id (a string of digits), got %s", i, show(ids[i])) end
    end
  end
  opts = opts_of(fn, opts, { account = true })
  return M.guard(function()
    local out = {}
    if (self.schema_version or 0) < META_VERSION then return out end
    local acc = self:_account(fn, opts.account)
    if not acc then return out end
    local sql = "SELECT pin_id, " .. table.concat(META_COLUMNS, ", ") .. " FROM pins WHERE account_key = " ..
      acc.key .. " AND meta_fetched IS NOT NULL"
    local function read(rows)
      for _, r in ipairs(rows) do
        local m = { fetched = r[9] }
        if r[8] ~= nil then
          m.error = r[8]
        else
          for i = 1, 6 do m[META_COLUMNS[i]] = r[i + 1] end
        end
        out[r[1]] = m
      end
    end
    if ids == nil then
      read(self.db:rows(sql))
    else
      for first = 1, #ids, 500 do
        local lits = {}
        for i = first, math.min(first + 499, #ids) do lits[#lits + 1] = self.db:lit(ids[i]) end
        if #lits > 0 then read(self.db:rows(sql .. " AND pin_id IN (" .. table.concat(lits, ", ") .. ")")) end
      end
    end
    return out
  end)
end

-- Writes what pins are (pinanalytics.pinmeta entries by pin id) at stamp,
-- for the pins of keys (by pin id); returns how many were written
-- (those fetched). The sync's.
function Store:_write_meta(keys, metas, stamp)
  local db = self.db
  local function lit(v) return db:lit(type(v) == "string" and v or nil) end
  local ids = {}
  for id in pairs(metas) do if keys[id] then ids[#ids + 1] = id end end
  table.sort(ids, function(a, b) return keys[a] < keys[b] end) -- rows locked in one order
  return db:transaction(function()
    local n = 0
    for _, id in ipairs(ids) do
      local m = metas[id]
      if not m.error then n = n + 1 end
      db:exec("UPDATE pins SET title = " .. lit(m.title) .. ", description = " .. lit(m.description) ..
        ", board_id = " .. lit(m.board_id) .. ", board_name = " .. lit(m.board_name) .. ", link = " ..
        lit(m.link) .. ", image_url = " .. lit(m.image_url) .. ", meta_error = " .. lit(m.error) ..
        ", meta_fetched = " .. db:lit(stamp) .. " WHERE pin_key = " .. keys[id] ..
        -- a pin that could not be fetched keeps what was held of it
        (m.error and " AND (meta_fetched IS NULL OR meta_error IS NOT NULL)" or ""))
    end
    return n
  end)
end

-- The pin keys of ids (those held), by id.
function Store:_pin_keys(account_key, ids)
  local keys = {}
  for first = 1, #ids, 500 do
    local lits = {}
    for i = first, math.min(first + 499, #ids) do lits[#lits + 1] = self.db:lit(ids[i]) end
    for _, r in ipairs(self.db:rows("SELECT pin_id, pin_key FROM pins WHERE account_key = " .. account_key ..
        " AND pin_id IN (" .. table.concat(lits, ", ") .. ")")) do
      keys[r[1]] = self.db.num(r[2])
    end
  end
  return keys
end

-- what -> "account" or an array of pin ids (checked)
local function targets(fn, what)
  if what == "account" then return "account" end
  if is_pin_id(what) then return { what } end
  if type(what) == "table" and #what > 0 then
    local seen, out = {}, {}
    for i = 1, #what do
      if not is_pin_id(what[i]) then fail(fn, "pin ids[%d] must be a string of digits, got %s", i, show(what[i])) end
      if not seen[what[i]] then seen[what[i]] = true; out[#out + 1] = what[i] end
    end
    return out
  end
  fail(fn, "what must be a pin id (a string of digits), \"account\" or an array of pin ids, got %s", show(what))
end

local function check_range(self, fn, range)
  if range == nil then return nil end
  local r, why = dates.resolve(range, { clock = self.clock })
  if not r then fail(fn, "%s (or nil for every day held)", why) end
  return r
end

local function check_metrics(fn, metrics, allowed, what)
  if metrics == nil then return allowed end
  if type(metrics) ~= "table" or #metrics == 0 then
    fail(fn, "metrics must be a non-empty array of metric names, got %s", show(metrics))
  end
  local ok = {}
  for _, m in ipairs(allowed) do ok[m] = true end
  for i = 1, #metrics do
    if not ok[metrics[i]] then
      fail(fn, "metrics[%d] = %s is not a metric the store keeps for %s (allowed: %s)", i, show(metrics[i]), what,
        table.concat(allowed, ", "))
    end
  end
  return metrics
end

-- SELECT of the day rows of one table: daily_metrics entries by key.
local function day_rows(self, tbl, keycol, keys, metrics, range)
  local cols = {}
  for i, m in ipairs(metrics) do cols[i] = m:lower() end
  local where = keycol .. " IN (" .. table.concat(keys, ", ") .. ")"
  if range then
    where = where .. " AND day >= " .. self.db:lit(range.start_date) .. " AND day <= " .. self.db:lit(range.end_date)
  end
  local rows = self.db:rows("SELECT " .. keycol .. ", day, status, fetched, " .. table.concat(cols, ", ") ..
    " FROM " .. tbl .. " WHERE " .. where .. " ORDER BY " .. keycol .. ", day")
  local by, stale = {}, {}
  local num = self.db.num
  local earliest = earliest_served(self)
  for _, r in ipairs(rows) do
    local k = num(r[1])
    local list = by[k]
    if not list then list = {}; by[k] = list; stale[k] = {} end
    local m = {}
    for i, name in ipairs(metrics) do
      local v = num(r[4 + i])
      if v ~= nil then m[name] = v end
    end
    list[#list + 1] = { date = r[2], data_status = r[3], metrics = m }
    local st = stale_day(r[2], r[3], r[4], earliest)
    if st then stale[k][#stale[k] + 1] = st end
  end
  return by, stale
end

-- The days held for what (frame and analytics share it): returns
-- "account", daily | "pins", {id -> daily}, single (what was one pin id).
local function read_days(self, fn, what, range, metrics, opts)
  if opts == nil and type(metrics) == "table" and metrics[1] == nil then
    metrics, opts = nil, metrics -- (what, range, opts)
  end
  opts = opts_of(fn, opts, { account = true })
  local t = targets(fn, what)
  range = check_range(self, fn, range)
  if t == "account" then
    metrics = check_metrics(fn, metrics, schema.ACCOUNT_METRICS, "the account")
  else
    metrics = check_metrics(fn, metrics, schema.PIN_METRICS, "pins")
  end
  return M.guard(function()
    local acc = self:_account(fn, opts.account)
    if t == "account" then
      local daily, stale = {}, {}
      if acc then
        local by, st = day_rows(self, "account_days", "account_key", { acc.key }, metrics, range)
        daily, stale = by[acc.key] or {}, st[acc.key] or {}
      end
      return "account", daily, true, metrics, stale
    end
    local keys = acc and self:_pin_keys(acc.key, t) or {}
    local list = {}
    for _, id in ipairs(t) do
      if keys[id] then list[#list + 1] = keys[id] end
    end
    local by, st = {}, {}
    if #list > 0 then by, st = day_rows(self, "pin_days", "pin_key", list, metrics, range) end
    local out, stale = {}, {}
    for _, id in ipairs(t) do
      out[id] = keys[id] and by[keys[id]] or {}
      stale[id] = keys[id] and st[keys[id]] or {}
    end
    return "pins", out, type(what) == "string", metrics, stale
  end)
end

--- A MetricFrame over the days held (see the top of this file).
function Store:frame(what, range, metrics, opts)
  local kind, days, single = read_days(self, "frame", what, range, metrics, opts)
  if kind == nil then return nil, days end
  local frame = require "pinanalytics.frame"
  if kind == "account" then return frame.frame({ daily_metrics = days }) end
  if single then return frame.frame({ daily_metrics = days[what] }) end
  local results = {}
  for id, daily in pairs(days) do results[id] = { daily_metrics = daily } end
  return frame.frame(results)
end

-- An answer's {daily_metrics, summary_metrics}: the summary as the API
-- gives it for the range, counts summed and rates recomputed from their
-- parts (by the MetricFrame); a metric whose parts are not all there is
-- left out of the summary.
local function answer_of(daily, metrics, stale)
  local f = require("pinanalytics.frame").frame({ daily_metrics = daily })
  local summary = {}
  if #daily > 0 then
    for _, m in ipairs(metrics) do
      local ok, v = errors.pass_interrupt(pcall(f.sum, f, m))
      if ok and type(v) == "number" then summary[m] = v end
    end
  end
  return { daily_metrics = daily, summary_metrics = summary, stale = stale or {} }
end

--- The days held as the API's answers, so that code written for the API
-- reads the store unchanged (pa.report, pa.frame, a command-line tool's
-- --from-store): same arguments as store:frame. Returns, for "account",
-- { all = { daily_metrics, summary_metrics } } as client:user_account_analytics
-- does; for a pin id, the same as client:pin_analytics does; for an array
-- of pin ids, results keyed by pin id as client:pins_analytics does (every
-- pin asked for, with no days when none are held). summary_metrics covers
-- the days held in the range.
--
-- Each `all` also holds `stale`: the days of the range held with a status
-- that is not final (PROCESSING, ESTIMATE, UNKNOWN) which the API no longer
-- serves (more than `SERVED_DAYS` days before today, the store's clock), so
-- that no sync can make them final. Each is
-- `{ date = "YYYY-MM-DD", data_status = "ESTIMATE", fetched = "YYYY-MM-DDTHH:MM:SSZ" }`
-- (fetched: when the figures held were fetched), by date; a report says of
-- them when they were fetched and that they can no longer be refreshed,
-- where a pending day would say that Pinterest may still change them.
function Store:analytics(what, range, metrics, opts)
  local kind, days, single, names, stale = read_days(self, "analytics", what, range, metrics, opts)
  if kind == nil then return nil, days end
  if kind == "account" then return { all = answer_of(days, names, stale) } end
  if single then return { all = answer_of(days[what], names, stale[what]) } end
  local results = {}
  for id, daily in pairs(days) do results[id] = { all = answer_of(daily, names, stale[id]) } end
  return results
end

--- Which days are held for a pin or the account (see the top of this file):
-- `{ days, first, last, ready, not_ready, pending, stale, missing }`.
-- `pending` are the days not final that a sync asks for again; `stale`
-- those not final that the API no longer serves (more than `SERVED_DAYS`
-- days back), each `{ date, data_status, fetched }`: their figures are the
-- last ones fetched, at `fetched`, and can no longer be refreshed.
function Store:coverage(what, opts)
  local fn = "coverage"
  opts = opts_of(fn, opts, { account = true })
  if what ~= "account" and not is_pin_id(what) then
    fail(fn, "what must be a pin id (a string of digits) or \"account\", got %s", show(what))
  end
  return M.guard(function()
    local acc = self:_account(fn, opts.account)
    local rows = {}
    if acc and what == "account" then
      rows = self.db:rows("SELECT day, status, fetched FROM account_days WHERE account_key = " .. acc.key ..
        " ORDER BY day")
    elseif acc then
      local key = self:_pin_keys(acc.key, { what })[what]
      if key then
        rows = self.db:rows("SELECT day, status, fetched FROM pin_days WHERE pin_key = " .. key .. " ORDER BY day")
      end
    end
    local cov = { days = #rows, ready = 0, not_ready = {}, pending = {}, stale = {}, missing = {} }
    local prev
    local earliest = earliest_served(self)
    for _, r in ipairs(rows) do
      local n = dates.parse(r[1])
      if r[2] == "READY" then cov.ready = cov.ready + 1 else cov.not_ready[#cov.not_ready + 1] = r[1] end
      local stale = stale_day(r[1], r[2], r[3], earliest)
      if stale then
        cov.stale[#cov.stale + 1] = stale
      elseif M.is_pending(r[2]) then
        cov.pending[#cov.pending + 1] = r[1]
      end
      if n and prev then
        for d = prev + 1, n - 1 do cov.missing[#cov.missing + 1] = dates.format(d) end
      end
      prev = n or prev
    end
    if #rows > 0 then cov.first, cov.last = rows[1][1], rows[#rows][1] end
    return cov
  end)
end

-- sync and OneUp ------------------------------------------------------------

-- What a write returned, with the notes of the texts it stored repaired
-- (see pinanalytics.store.db) added to res.warnings.
local function with_repairs(db, res, ...)
  local notes = db.take_repairs and db:take_repairs() or {}
  if type(res) == "table" and #notes > 0 then
    res.warnings = res.warnings or {}
    for _, w in ipairs(notes) do res.warnings[#res.warnings + 1] = w end
  end
  return res, ...
end

--- Syncs a Pinterest client's analytics into the store (pinanalytics.store.sync).
-- A text from the API that the database cannot hold is stored repaired and
-- said in res.warnings (an array of strings, absent when there is none).
function Store:sync(client, opts)
  self.db:take_repairs()
  return with_repairs(self.db, require("pinanalytics.store.sync").sync(self, client, opts))
end

--- Syncs ads analytics into the store with async reports: up to 914 days
-- back on the first run, then the days missing or not final
-- (pinanalytics.store.ads).
-- @tparam pinanalytics.pinterest.Client client
-- @tab[opt] opts `ad_account_ids`, `days`, `levels`, `on_report`
-- @treturn[1] table what it did and did not do (`failures`)
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function Store:sync_ads(client, opts)
  self.db:take_repairs()
  return with_repairs(self.db, M.guard(require("pinanalytics.store.ads").sync, self, client, opts))
end

--- The ads rows held of an ad account's level over a range, shaped as the
-- API's DAY rows, and what is known of them (pinanalytics.store.ads).
-- @string ad_account_id
-- @string level ADVERTISER, CAMPAIGN, AD_GROUP or PIN_PROMOTION
-- @tparam pinanalytics.dates.Range range
-- @treturn[1] table rows
-- @treturn[1] table `{ held, not_final, missing, currency, name, entities }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Store:ads_rows(ad_account_id, level, range)
  return M.guard(require("pinanalytics.store.ads").rows, self, ad_account_id, level, range)
end

--- The ad accounts held (pinanalytics.store.ads).
-- @treturn table `{ ad_account_id, name, currency, first_synced, last_synced }` each
function Store:ad_accounts()
  return M.guard(require("pinanalytics.store.ads").accounts, self)
end

--- The claims by which several processes share the syncing of many
-- accounts through this store (pinanalytics.store.claims).
-- @tab opts `{ worker = "host:pid", round = "YYYY-MM-DD" [, lease = seconds] }`
-- @treturn[1] pinanalytics.store.Claims
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "store"
function Store:claims(opts)
  return require("pinanalytics.store.claims").new(self, opts)
end

--- Takes today's snapshot of a OneUp account (pinanalytics.store.oneup).
-- A text the database cannot hold is stored repaired and said in
-- info.warnings, as for sync.
function Store:snapshot_oneup(client, params)
  self.db:take_repairs()
  return with_repairs(self.db, require("pinanalytics.store.oneup").snapshot(self, client, params))
end

--- A OneUp snapshot read back (pinanalytics.store.oneup).
function Store:oneup(network_id, opts)
  return require("pinanalytics.store.oneup").read(self, network_id, opts)
end

--- The OneUp snapshots held (pinanalytics.store.oneup).
function Store:oneup_snapshots(network_id)
  return require("pinanalytics.store.oneup").list(self, network_id)
end

-- Every public method checks that it was called with a colon on an open store.
do
  local names = {}
  for name, f in pairs(Store) do
    if type(name) == "string" and type(f) == "function" and not name:match("^_") then names[#names + 1] = name end
  end
  for _, name in ipairs(names) do
    local method = Store[name]
    Store[name] = function(self, ...)
      if getmetatable(self) ~= Store then fail(name, "call it with a colon: store:%s(...)", name) end
      if self.closed and name ~= "close" then fail(name, "the store is closed") end
      return method(self, ...)
    end
  end
  Store.__close = Store.close
end

return M
