--- store:sync(client, opts): brings a store up to date with the API,
-- asking only for what is missing or not final.
--
--   local res, err = store:sync(client, { pins = "all", account = true, days = 90 })
--
-- opts:
--   pins         an array of pin ids, or "all" (every pin of GET /pins,
--                through client:list_pins), or nil for none
--   account      true: the account's own daily figures too (GET
--                /user_account/analytics, every account metric)
--   days         how far back to hold, 1..90 (default 90): the days
--                today-days .. yesterday (UTC, the client's clock). Today is
--                never asked: its figures are partial.
--   chunk        pins per client:pins_analytics call (default 250): what one
--                call fetches is written in one transaction before the next
--                call starts, so an interruption loses at most one chunk's
--                requests and nothing written
--   meta         false: not what the pins are (default true: see below)
--   meta_days    how old what a pin is may get before a sync asks again,
--                1..3650 (default 30)
--   on_start     function(total, res): once the pins that need a request
--                are known, before the first of those requests (total
--                counts them, as on_progress's does; 0 when none needs
--                one). Not called when the sync has no pins, nor when it
--                stopped before (GET /user_account or the pin list failed).
--                An error it raises stops the sync as on_progress's does.
--   on_progress  function(done, total, res): after each chunk is written
--                (done and total count the pins that needed a request; res
--                is the result so far). An error it raises stops the sync and
--                propagates; everything written before stays.
--
-- Which days are asked for, per pin (and for the account):
--   - a day held with a final status (READY, or a BEFORE_* status) is never
--     asked again;
--   - a day held as PROCESSING, ESTIMATE or UNKNOWN is asked again at every
--     sync while the API still serves it (90 days back), until it is final;
--   - a day not held, in the window of `days`, is asked for.
-- The days needed make runs of consecutive days; each run is one date
-- range. Pins needing the same range are asked together through the bulk
-- engine (client:pins_analytics: GET /pins/analytics, 100 pins a request,
-- paced and retried by the client), so a sync after a gap of N days asks
-- for N days plus the tail that was not final, in as few requests as the
-- API allows.
--
-- What the pins are (title, the start of the description, board, link,
-- picture: pinanalytics.pinmeta) is fetched after their figures, for the
-- pins whose metadata the store lacks, could not fetch last time (but a
-- pin not found: asked again after meta_days), or holds from more than
-- meta_days ago: from the items of GET /pins with pins =
-- "all" (no request more), else GET /pins/{pin_id} a pin (paced by the
-- client), and the board names once (GET /boards). A pin that cannot be
-- fetched keeps what the store held of it, or has its reason stored
-- ("not found (HTTP 404)"), which the reports show; it is not a sync error.
-- A sync stopped early (a quota) fetches none.
--
-- Every metric of the pin_days (or account_days) table is asked for, with
-- no split and app_types ALL. Rows are upserted: a day already held is
-- updated, never duplicated, and a final day is never replaced by a
-- pending one.
--
-- Returns res (always) and err (when the sync stopped before its end):
--   res.account         { id, username } of the account (GET /user_account)
--   res.requests        HTTP requests the client sent during the sync
--   res.pins            pins considered; res.pins_fetched: those that needed
--                       a request
--   res.days_written    day rows inserted or updated (pins and account)
--   res.days_not_ready  of them, those still pending (asked again next time)
--   res.missing         by pin id (and "account"): the days the sync planned
--                       but could no longer ask for, as sorted "YYYY-MM-DD"
--                       dates. The API serves the last 90 days counted from
--                       the moment each request goes out; when midnight UTC
--                       passes during a sync (or the clock jumps), each
--                       request is clamped to what is served then, and the
--                       days that fell out are named here (empty when none).
--                       A request refused (HTTP 400) because midnight passed
--                       while it was on its way is asked once more, clamped.
--   res.meta            pins whose metadata was written (what they are)
--   res.meta_errors     by pin id: why a pin's metadata could not be fetched;
--                       under `boards`: why the board names could not be
--   res.errors          by pin id: that pin's error (it is asked again next
--                       time); and under these names: user_account,
--                       list_pins, account (the account's figures), quota (a
--                       limit stopped the sync), store (the database failed)
-- err is the error that stopped the sync (user_account, list_pins, quota,
-- store); per-pin errors do not stop it. A sync never raises on its own
-- plan: only a bad argument, or an error raised by on_start or on_progress,
-- propagates.
local check = require "pinanalytics.check"
local dates = require "pinanalytics.dates"
local errors = require "pinanalytics.errors"
local runtime = require "pinanalytics.runtime"
local schema = require "pinanalytics.store.schema"
local pinmeta = require "pinanalytics.pinmeta"

local M = {}

--- The API's limit: how far back a start_date may be.
M.MAX_DAYS = 90
M.DEFAULT_CHUNK = 250
local ROWS_A_STATEMENT = 100

local fail = check.failer("pinanalytics.store")
local show = check.show

local function is_pin_id(v)
  return type(v) == "string" and v:match("^%d+$") ~= nil and #v <= 40
end

-- the statuses a sync asks for again (pinanalytics.store.PENDING_STATUSES)
local pending = require("pinanalytics.store").is_pending

local SYNC_OPTIONS = { pins = true, account = true, days = true, chunk = true, on_start = true, on_progress = true,
  meta = true, meta_days = true }
--- How many days what a pin is stays fresh by default (opts.meta_days).
M.META_DAYS = 30

local function check_opts(client, opts)
  local fn = "sync"
  local mt = getmetatable(client)
  if type(client) ~= "table" or type(mt) ~= "table" or mt.__name ~= "pinanalytics.Pinterest" then
    fail(fn, "client must be a Pinterest client (pa.pinterest{...}), got %s", show(client))
  end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  for k in pairs(opts) do
    if not SYNC_OPTIONS[k] then
      fail(fn, "unknown option %s (known: account, chunk, days, meta, meta_days, on_progress, on_start, pins)",
        show(k))
    end
  end
  local pins = opts.pins
  local ids
  if pins == "all" then
    ids = "all"
  elseif pins ~= nil then
    if type(pins) ~= "table" then fail(fn, "opts.pins must be an array of pin ids or \"all\", got %s", show(pins)) end
    ids = {}
    local seen = {}
    for i = 1, #pins do
      if not is_pin_id(pins[i]) then fail(fn, "opts.pins[%d] must be a string of digits, got %s", i, show(pins[i])) end
      if not seen[pins[i]] then seen[pins[i]] = true; ids[#ids + 1] = pins[i] end
    end
  end
  if opts.account ~= nil and type(opts.account) ~= "boolean" then
    fail(fn, "opts.account must be true or false, got %s", show(opts.account))
  end
  local days = opts.days or M.MAX_DAYS
  if type(days) ~= "number" or days ~= math.floor(days) or days < 1 or days > M.MAX_DAYS then
    fail(fn, "opts.days must be a whole number 1..%d (the API serves the last %d days), got %s", M.MAX_DAYS,
      M.MAX_DAYS, show(opts.days))
  end
  local chunk = opts.chunk or M.DEFAULT_CHUNK
  if type(chunk) ~= "number" or chunk ~= math.floor(chunk) or chunk < 1 then
    fail(fn, "opts.chunk must be a whole number of pins >= 1, got %s", show(opts.chunk))
  end
  for _, hook in ipairs({ "on_start", "on_progress" }) do
    if opts[hook] ~= nil and type(opts[hook]) ~= "function" then
      fail(fn, "opts.%s must be a function, got %s", hook, show(opts[hook]))
    end
  end
  if opts.meta ~= nil and type(opts.meta) ~= "boolean" then
    fail(fn, "opts.meta must be true or false, got %s", show(opts.meta))
  end
  local md = opts.meta_days or M.META_DAYS
  if type(md) ~= "number" or md ~= math.floor(md) or md < 1 or md > 3650 then
    fail(fn, "opts.meta_days must be a whole number of days 1..3650, got %s", show(opts.meta_days))
  end
  if ids == nil and not opts.account then
    fail(fn, "nothing to sync: give opts.pins (an array of pin ids or \"all\") and/or opts.account = true")
  end
  return ids, days, chunk, opts.account == true, { start = opts.on_start, progress = opts.on_progress,
    meta = opts.meta ~= false and md or nil }
end

-- planning ------------------------------------------------------------------

--- The runs of consecutive needed days of one entity, as {first, last} day
-- numbers. final: day number -> true for the days held final; pending_old:
-- pending days held before `from` (still served by the API).
function M.runs(from, to, final, pending_old)
  local runs = {}
  local cur
  local function need(d)
    if cur and cur[2] == d - 1 then cur[2] = d else
      cur = { d, d }
      runs[#runs + 1] = cur
    end
  end
  table.sort(pending_old)
  for _, d in ipairs(pending_old) do
    if d < from then need(d) end
  end
  for d = from, to do
    if not final[d] then need(d) end
  end
  return runs
end

-- For each key of `keys` (pin keys, or the account key): its runs.
-- tbl/keycol: pin_days/pin_key or account_days/account_key.
local function plan(db, tbl, keycol, keys, from, to, earliest)
  local final, old = {}, {}
  for _, k in ipairs(keys) do final[k], old[k] = {}, {} end
  for first = 1, #keys, 500 do
    local list = {}
    for i = first, math.min(first + 499, #keys) do list[#list + 1] = keys[i] end
    local rows = db:rows("SELECT " .. keycol .. ", day, status FROM " .. tbl .. " WHERE " .. keycol .. " IN (" ..
      table.concat(list, ", ") .. ") AND day >= " .. db:lit(dates.format(earliest)) .. " AND day <= " ..
      db:lit(dates.format(to)))
    for _, r in ipairs(rows) do
      local k, n = db.num(r[1]), dates.parse(r[2])
      if n then
        if not pending(r[3]) then
          final[k][n] = true
        elseif n < from then
          old[k][#old[k] + 1] = n
        end
      end
    end
  end
  local out = {}
  for _, k in ipairs(keys) do out[k] = M.runs(from, to, final[k], old[k]) end
  return out
end

-- writing -------------------------------------------------------------------

local fmt, floor, concat = string.format, math.floor, table.concat
local EMPTY = {}

-- A metric as a SQL literal: a finite number exactly (whole numbers below
-- 2^53 as integers, others with 17 significant digits), else NULL (absent,
-- JSON null, anything else: missing, not zero).
local function num_lit(v)
  if type(v) ~= "number" or v - v ~= 0 then return "NULL" end -- v - v is NaN for NaN and the infinities
  if v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return fmt("%d", v) end
  return fmt("%.17g", v)
end

-- A status as stored: the API's word when it is one (capitals, digits, _),
-- else UNKNOWN; nil when the day has none.
local function status_of(v)
  if v == nil then return nil end
  if type(v) == "string" and #v <= 64 and v:match("^[A-Z][A-Z0-9_]*$") then return v end
  return "UNKNOWN"
end

-- The dates first..last (day numbers) as a set of "YYYY-MM-DD" strings:
-- a day of an answer is taken only when it is one of them (so each date
-- written is one the sync asked for, in its canonical form).
local function date_set(first, last)
  local set = {}
  for n = first, last do set[dates.format(n)] = true end
  return set
end

-- Appends to `out` the SQL tuples "(key, 'day', 'STATUS', fetched, v1, ...)"
-- of one answer ({all = {daily_metrics}} or {daily_metrics}) for the days
-- of `wanted`; returns how many of them are pending. Each date once, in
-- order.
local function day_tuples(out, key, answer, wanted, metrics, fetched)
  local group = type(answer) == "table" and (answer.all or answer) or nil
  local daily = type(group) == "table" and group.daily_metrics
  if type(daily) ~= "table" then return 0 end
  local npending, seen, first, sorted, prev = 0, {}, #out + 1, true, nil
  local head = fmt("(%d, '", key)
  local nm = #metrics
  for i = 1, #daily do
    local d = daily[i]
    local date = type(d) == "table" and d.date
    if date and wanted[date] and not seen[date] then
      seen[date] = true
      if prev and date < prev then sorted = false end
      prev = date
      local m = d.metrics
      if type(m) ~= "table" then m = EMPTY end
      local status = status_of(d.data_status)
      if pending(status) then npending = npending + 1 end
      local parts = { head .. date .. "'", status and ("'" .. status .. "'") or "NULL", fetched }
      for j = 1, nm do parts[3 + j] = num_lit(m[metrics[j]]) end
      out[#out + 1] = concat(parts, ", ") .. ")"
    end
  end
  if not sorted then
    local part = {}
    for i = first, #out do part[#part + 1] = out[i] end
    table.sort(part)
    for i = 1, #part do out[first + i - 1] = part[i] end
  end
  return npending
end

-- Upserts the day tuples into tbl; returns the rows changed. A final row
-- is never replaced by a pending one.
local function upsert_days(db, tbl, keycol, metrics, tuples)
  if #tuples == 0 then return 0 end
  local cols, sets = {}, {}
  for i, m in ipairs(metrics) do
    cols[i] = m:lower()
    sets[i] = cols[i] .. " = excluded." .. cols[i]
  end
  local head = "INSERT INTO " .. tbl .. " (" .. keycol .. ", day, status, fetched, " .. concat(cols, ", ") ..
    ") VALUES "
  local tail = " ON CONFLICT (" .. keycol .. ", day) DO UPDATE SET status = excluded.status, fetched = " ..
    "excluded.fetched, " .. concat(sets, ", ") .. " WHERE " .. tbl .. ".status IS NULL OR " .. tbl ..
    ".status <> 'READY' OR excluded.status = 'READY'"
  local changed = 0
  for first = 1, #tuples, ROWS_A_STATEMENT do
    local last = math.min(first + ROWS_A_STATEMENT - 1, #tuples)
    changed = changed + db:exec(head .. concat(tuples, ", ", first, last) .. tail)
  end
  return changed
end

-- the sync ------------------------------------------------------------------

-- Names the days first..last of `what` (a pin id or "account") as missing.
local function name_missing(res, what, first, last)
  if last < first then return end
  local list = res.missing[what]
  if not list then list = {}; res.missing[what] = list end
  for n = first, last do list[#list + 1] = dates.format(n) end
  table.sort(list)
end

-- The part of the planned run first..last that the API serves now (the
-- client's clock, at the moment of the request): the first day served, or
-- nil when none is. Planned days that are no longer served are named.
local function served_from(client, res, whats, first, last)
  local earliest = dates.today_number(client.clock) - M.MAX_DAYS
  if first >= earliest then return first end
  for _, what in ipairs(whats) do name_missing(res, what, first, math.min(last, earliest - 1)) end
  if last < earliest then return nil end
  return earliest
end

-- What the client itself cut (clamp = true: midnight passed between
-- served_from and its own check) is named as missing too; returns the first
-- day asked for.
local function clamped_by_client(res, whats, first, info)
  local dropped = type(info) == "table" and info.clamped and info.dropped
  if not dropped then return first end
  local a, b = dates.parse(dropped.start_date), dates.parse(dropped.end_date)
  for _, what in ipairs(whats) do name_missing(res, what, a, b) end
  return b + 1
end

-- After a bulk call during which midnight UTC passed (the client's clock
-- now says another day than `day`): the pins refused with a 400 (their
-- first day no longer served when their request went out) are asked once
-- more, clamped, and their answers and errors replace the first ones.
-- Returns the quota that stopped the second call, if one did.
local function ask_again(client, res, part, first, last, day, results, errs)
  if dates.today_number(client.clock) == day then return nil end
  local again = {}
  for _, id in ipairs(part) do
    local e = errs[id]
    if type(e) == "table" and e.status == 400 then again[#again + 1] = id end
  end
  if #again == 0 then return nil end
  local afirst = served_from(client, res, again, first, last)
  if not afirst then
    for _, id in ipairs(again) do errs[id] = nil end -- every day of theirs is named missing
    return nil
  end
  local r2, e2, info2 = client:pins_analytics(again, { start_date = dates.format(afirst),
    end_date = dates.format(last), metric_types = schema.PIN_METRICS, clamp = true })
  clamped_by_client(res, again, afirst, info2)
  for _, id in ipairs(again) do
    errs[id], results[id] = e2[id], r2[id]
  end
  return info2 and info2.quota
end

-- Asks for the account's days of one run and writes them; returns an error
-- that stops the sync (a quota), else nil, and false when the account's
-- figures failed (the other runs are not asked).
local function account_run(store, client, account_key, run, res, again)
  local db = store.db
  local first = served_from(client, res, { "account" }, run[1], run[2])
  if not first then return nil, true end
  local day = dates.today_number(client.clock)
  local answer, aerr, ainfo = client:user_account_analytics { start_date = dates.format(first),
    end_date = dates.format(run[2]), metric_types = schema.ACCOUNT_METRICS, clamp = true }
  if not answer and aerr.status == 400 and not again and dates.today_number(client.clock) ~= day then
    -- refused for its dates as midnight passed on the way: once more, clamped
    return account_run(store, client, account_key, run, res, true)
  end
  if not answer then
    res.errors.account = aerr
    if aerr.kind == "quota" then
      res.errors.quota = aerr
      return aerr
    end
    return nil, false
  end
  first = clamped_by_client(res, { "account" }, first, ainfo)
  local tuples = {}
  local npending = day_tuples(tuples, account_key, answer, date_set(first, run[2]), schema.ACCOUNT_METRICS,
    fmt("%d", store:_now()))
  res.days_written = res.days_written + db:transaction(upsert_days, db, "account_days", "account_key",
    schema.ACCOUNT_METRICS, tuples)
  res.days_not_ready = res.days_not_ready + npending
  return nil, true
end

local function upsert_account(store, me)
  local db = store.db
  local stamp = store:_stamp()
  -- a text as the API gave it (db:lit writes it exactly, or repaired with a note)
  local function str(v) return type(v) == "string" and v or nil end
  return db:transaction(function()
    db:exec("INSERT INTO accounts (account_id, username, account_type, business_name, first_synced, last_synced) " ..
      "VALUES (" .. db:lit(me.id) .. ", " .. db:lit(str(me.username)) .. ", " .. db:lit(str(me.account_type)) .. ", " ..
      db:lit(str(me.business_name)) .. ", " .. db:lit(stamp) .. ", " .. db:lit(stamp) .. ") " ..
      "ON CONFLICT (account_id) DO UPDATE SET username = excluded.username, account_type = excluded.account_type, " ..
      "business_name = excluded.business_name, last_synced = excluded.last_synced")
    local rows = db:rows("SELECT account_key FROM accounts WHERE account_id = " .. db:lit(me.id))
    return db.num(rows[1][1])
  end)
end

-- Registers the pins under the account; returns their keys by id.
local function register_pins(store, account_key, ids)
  local db = store.db
  local stamp = db:lit(store:_stamp())
  db:transaction(function()
    for first = 1, #ids, 500 do
      local values = {}
      for i = first, math.min(first + 499, #ids) do
        values[#values + 1] = "(" .. account_key .. ", " .. db:lit(ids[i]) .. ", " .. stamp .. ", " .. stamp .. ")"
      end
      db:exec("INSERT INTO pins (account_key, pin_id, first_synced, last_synced) VALUES " ..
        table.concat(values, ", ") .. " ON CONFLICT (account_key, pin_id) DO NOTHING")
    end
  end)
  return store:_pin_keys(account_key, ids)
end

-- A pin that GET /pins/{pin_id} does not find: asked again after meta_days,
-- as a pin fetched; any other error is asked again at the next sync.
local NOT_FOUND = "not found (HTTP 404)"

-- The pins of ids whose metadata a sync fetches: none held, an error held
-- (but not found), or fetched more than meta_days ago (by the store's clock).
local function meta_needed(store, ids, keys, meta_days)
  if (store.schema_version or 0) < 3 then return {} end
  local db = store.db
  local cutoff = db:lit(os.date("!%Y-%m-%dT%H:%M:%SZ", store:_now() - meta_days * 86400))
  local fresh = {}
  for first = 1, #ids, 500 do
    local list = {}
    for i = first, math.min(first + 499, #ids) do list[#list + 1] = keys[ids[i]] end
    for _, r in ipairs(db:rows("SELECT pin_key FROM pins WHERE pin_key IN (" .. table.concat(list, ", ") ..
        ") AND meta_fetched IS NOT NULL AND (meta_error IS NULL OR meta_error = " .. db:lit(NOT_FOUND) ..
        ") AND meta_fetched >= " .. cutoff)) do
      fresh[db.num(r[1])] = true
    end
  end
  local out = {}
  for _, id in ipairs(ids) do
    if not fresh[keys[id]] then out[#out + 1] = id end
  end
  return out
end

-- Fetches what the pins of `need` are (from the items of GET /pins when
-- listed, else GET /pins/{pin_id}) and writes it.
local function sync_meta(store, client, keys, need, listed, res)
  if #need == 0 then return end
  local metas, errs = pinmeta.fetch(client, need, { items = listed })
  for id, e in pairs(errs) do res.meta_errors[id] = e end
  res.meta = store:_write_meta(keys, metas, store:_stamp())
end

local function the_sync(store, client, ids, days, chunk, with_account, hooks, res)
  local on_progress = hooks.progress
  local db = store.db
  local today = dates.today_number(client.clock)
  local to, from, earliest = today - 1, today - days, today - M.MAX_DAYS

  local me, err = client:user_account()
  if not me then
    res.errors.user_account = err
    return err
  end
  if type(me.id) ~= "string" or not me.id:match("^[%w_%-]+$") then
    err = errors.new({ kind = "invalid_response", endpoint = "GET /user_account",
      message = "GET /user_account answered no account id: the store cannot tell whose figures these are" })
    res.errors.user_account = err
    return err
  end
  res.account = { id = me.id, username = type(me.username) == "string" and me.username or nil }
  local account_key = upsert_account(store, me)

  if with_account then
    local runs = plan(db, "account_days", "account_key", { account_key }, from, to, earliest)[account_key]
    for _, run in ipairs(runs) do
      local stop, go_on = account_run(store, client, account_key, run, res)
      if stop then return stop end
      if not go_on then break end
    end
  end

  if ids == nil then return nil end
  local listed
  if ids == "all" then
    local items, lerr = client:list_pins({ page_size = 250 }):all()
    if not items then
      res.errors.list_pins = lerr
      return lerr
    end
    ids = {}
    local seen = {}
    listed = {}
    for _, item in ipairs(items) do
      local id = type(item) == "table" and item.id
      if is_pin_id(id) and not seen[id] then seen[id] = true; ids[#ids + 1] = id; listed[id] = item end
    end
  end
  res.pins = #ids
  if #ids == 0 then
    if hooks.start then hooks.start(0, res) end
    return nil
  end
  local keys = register_pins(store, account_key, ids)
  local key_list = {}
  for _, id in ipairs(ids) do key_list[#key_list + 1] = keys[id] end
  local runs = plan(db, "pin_days", "pin_key", key_list, from, to, earliest)
  local meta_need = hooks.meta and meta_needed(store, ids, keys, hooks.meta) or {}

  -- pins grouped by the range they need: one group, one bulk call per chunk
  local groups, order = {}, {}
  for _, id in ipairs(ids) do
    for _, run in ipairs(runs[keys[id]]) do
      local gk = run[1] .. ":" .. run[2]
      local g = groups[gk]
      if not g then
        g = { first = run[1], last = run[2], ids = {} }
        groups[gk] = g
        order[#order + 1] = g
      end
      g.ids[#g.ids + 1] = id
    end
  end
  table.sort(order, function(a, b) return a.first < b.first or (a.first == b.first and a.last < b.last) end)
  local total, fetched_pins = 0, {}
  for _, g in ipairs(order) do
    for _, id in ipairs(g.ids) do
      if not fetched_pins[id] then fetched_pins[id] = true; total = total + 1 end
    end
  end
  res.pins_fetched = total
  if hooks.start then
    res.requests = client:request_count() - res.requests_at_start
    hooks.start(total, res)
  end

  local done_pins, done = {}, 0
  for _, g in ipairs(order) do
    for first = 1, #g.ids, chunk do
      local part = {}
      for i = first, math.min(first + chunk - 1, #g.ids) do part[#part + 1] = g.ids[i] end
      local gfirst = served_from(client, res, part, g.first, g.last)
      local results, errs, info = {}, {}, nil
      if gfirst then
        local day = dates.today_number(client.clock)
        results, errs, info = client:pins_analytics(part, { start_date = dates.format(gfirst),
          end_date = dates.format(g.last), metric_types = schema.PIN_METRICS, clamp = true })
        gfirst = clamped_by_client(res, part, gfirst, info)
        local quota = not (info and info.quota) and ask_again(client, res, part, gfirst, g.last, day, results, errs)
        if quota then info.quota = quota end
      end
      -- rows in the order of their keys, then days: concurrent writers to
      -- PostgreSQL take their row locks in one order (no deadlock)
      local got = {}
      for _, id in ipairs(part) do
        if results[id] ~= nil then got[#got + 1] = id end
      end
      table.sort(got, function(a, b) return keys[a] < keys[b] end)
      local tuples, npending, fetched = {}, 0, fmt("%d", store:_now())
      local wanted = gfirst and date_set(gfirst, g.last) or {}
      for _, id in ipairs(got) do
        npending = npending + day_tuples(tuples, keys[id], results[id], wanted, schema.PIN_METRICS, fetched)
      end
      results = nil -- luacheck: ignore (the answers can go while the rows are written)
      for id, e in pairs(errs) do res.errors[id] = e end
      local stamp = store:_stamp()
      local changed = db:transaction(function()
        local n = upsert_days(db, "pin_days", "pin_key", schema.PIN_METRICS, tuples)
        local written = {}
        for _, id in ipairs(got) do written[#written + 1] = keys[id] end
        if #written > 0 then
          db:exec("UPDATE pins SET last_synced = " .. db:lit(stamp) .. " WHERE pin_key IN (" ..
            table.concat(written, ", ") .. ")")
        end
        return n
      end)
      res.days_written = res.days_written + changed
      res.days_not_ready = res.days_not_ready + npending
      for _, id in ipairs(part) do
        if not done_pins[id] then done_pins[id] = true; done = done + 1 end
      end
      if info and info.quota then
        res.errors.quota = info.quota
        return info.quota
      end
      if on_progress then
        res.requests = client:request_count() - res.requests_at_start
        on_progress(done, total, res)
      end
    end
  end
  sync_meta(store, client, keys, meta_need, listed, res)
  return nil
end

--- The sync (see the top of this file).
function M.sync(store, client, opts)
  local ids, days, chunk, with_account, hooks = check_opts(client, opts)
  local res = {
    requests = 0, pins = 0, pins_fetched = 0, days_written = 0, days_not_ready = 0, errors = {}, missing = {},
    meta = 0, meta_errors = {},
    requests_at_start = client:request_count(),
  }
  local ok, err = runtime.pcall(the_sync, store, client, ids, days, chunk, with_account, hooks, res)
  res.requests = client:request_count() - res.requests_at_start
  res.requests_at_start = nil
  if ok then return res, err end
  if errors.is(err) and err.kind == "store" then
    res.errors.store = err
    return res, err
  end
  error(err, 0)
end

return M
