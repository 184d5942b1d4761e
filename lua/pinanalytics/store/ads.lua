--- Ads analytics in the store: the days of each ad account's entities, by
-- level, synced with async reports.
--
--   local res = store:sync_ads(client, { ad_account_ids = { "549..." } })
--   local rows, info = store:ads_rows("549...", "CAMPAIGN", pa.dates.last(30))
--
-- What is kept (schema version 6): `ad_accounts` (id, name, currency),
-- `ads_entities` (campaigns: name, status), `ads_days` (a row per ad
-- account, level, entity and day: the report parts of
-- `pinanalytics.ads.report.PARTS`, micro-units as exact integers) and
-- `ads_fetched` (a row per ad account, level and day fetched, with when:
-- a day fetched is held for every entity of the level, an entity without a
-- row that day had no figures, which is 0, not a gap).
--
-- sync_ads(client, opts): for each ad account (opts.ad_account_ids, else
-- every one the token's user can act for: GET /ad_accounts), and each level
-- (opts.levels, default ADVERTISER and CAMPAIGN), the days of the last
-- opts.days (default and most 914, as async reports reach; ending
-- yesterday, UTC, by the store's clock) that are missing, or not final and
-- last fetched before today: conversions are attributed for up to
-- `FINAL_DAYS` days after a day, so a day fetched earlier than that after it
-- may still change. The days asked for are grouped in runs, each asked as
-- async reports (`client:ads_report`: 186 days a report), and each report
-- written in one transaction as it arrives (an interrupted sync keeps what
-- it wrote). The first run backfills the 914 days; the next ones fetch what
-- is missing or not final. Returns `{ accounts = { { ad_account_id,
-- currency, name, entities, levels = { LEVEL = { days_asked, days_written,
-- rows, reports, runs } } } }, reports, days_written, rows, failures = { {
-- ad_account_id, level, error } } }`, or nil, err when it could not start
-- (listing the ad accounts failed, the database failed).
--
-- ads_rows(ad_account_id, level, range): the rows held, shaped as the API's
-- DAY rows (DATE, the level's id column, the parts), and `{ held = {dates
-- fetched}, not_final = {{ date, fetched }}, missing = {dates}, currency,
-- name }`; for the ADVERTISER level a day fetched without a row is a row of
-- zeros (the account had no activity).
local check = require "pinanalytics.check"
local dates = require "pinanalytics.dates"

local M = {}

local fail = check.failer("pinanalytics.store")
local show = check.show
local fmt, concat = string.format, table.concat

--- Days after a day during which its figures may still change (the
-- longest default attribution window, click and engagement: 30 days).
M.FINAL_DAYS = 30
--- The most days back a sync holds: what async reports reach.
M.MAX_DAYS = 914
-- days a report spans at most (pinanalytics.ads.async.LIMITS)
local WINDOW = 186
--- The levels a sync keeps by default.
M.LEVELS = { "ADVERTISER", "CAMPAIGN" }
--- The levels a sync may keep, and the column holding their entity's id.
M.ENTITY_COLUMN = { ADVERTISER = "ADVERTISER_ID", CAMPAIGN = "CAMPAIGN_ID", AD_GROUP = "AD_GROUP_ID",
  PIN_PROMOTION = "PIN_PROMOTION_ID" }

local function parts() return require("pinanalytics.ads.report").PARTS end

local function account_id_of(fn, v)
  if type(v) ~= "string" or not v:match("^%d+$") or #v > 18 then
    fail(fn, "an ad account id must be a string of digits (at most 18), got %s", show(v))
  end
  return v
end

local function level_of(fn, v)
  if type(v) ~= "string" or not M.ENTITY_COLUMN[v] then
    fail(fn, "level must be one of ADVERTISER, CAMPAIGN, AD_GROUP, PIN_PROMOTION, got %s", show(v))
  end
  return v
end

-- a number as SQL: whole numbers as digits, else 17 significant digits; NULL otherwise
local function num_lit(v)
  if type(v) ~= "number" or v - v ~= 0 then return "NULL" end
  if math.type and math.type(v) == "integer" then return fmt("%d", v) end
  if v == math.floor(v) and v > -2 ^ 53 and v < 2 ^ 53 then return fmt("%.0f", v) end
  return fmt("%.17g", v)
end

-- the day of a stamp in seconds
local function day_of_stamp(s) return math.floor(s / 86400) end

-- The days of from..to (day numbers) a level needs: not fetched, or not
-- final (fetched fewer than FINAL_DAYS days after the day) and last fetched
-- before today; as runs { first, last } of day numbers.
local function plan(db, acct, level, from, to, today)
  local held = {}
  local rows = db:rows(fmt("SELECT day, fetched FROM ads_fetched WHERE ad_account_id = %s AND level = %s AND " ..
    "day >= %s AND day <= %s", db:lit(acct), db:lit(level), db:lit(dates.format(from)), db:lit(dates.format(to))))
  for _, r in ipairs(rows) do held[r[1]] = db.num(r[2]) end
  local runs, run = {}, nil
  local asked = 0
  for n = from, to do
    local f = held[dates.format(n)]
    local need = f == nil or (day_of_stamp(f) < n + M.FINAL_DAYS and day_of_stamp(f) < today)
    if need then
      asked = asked + 1
      if run and run[2] == n - 1 then run[2] = n else run = { n, n }; runs[#runs + 1] = run end
    end
  end
  return runs, asked
end

-- Writes a report's rows and its days as fetched, in one transaction.
local function write_report(db, acct, level, rows, first, last, stamp)
  local col = M.ENTITY_COLUMN[level]
  local ps = parts()
  local cols = {}
  for i, p in ipairs(ps) do cols[i] = p:lower() end
  local sets = {}
  for i, c in ipairs(cols) do sets[i] = c .. " = excluded." .. c end
  return db:transaction(function()
    local fs, ls = dates.format(first), dates.format(last)
    -- the figures of these days are replaced whole: an entity without a row now has none
    db:exec(fmt("DELETE FROM ads_days WHERE ad_account_id = %s AND level = %s AND day >= %s AND day <= %s",
      db:lit(acct), db:lit(level), db:lit(fs), db:lit(ls)))
    local tuples, written = {}, 0
    local function flush()
      if #tuples == 0 then return end
      written = written + db:exec("INSERT INTO ads_days (ad_account_id, level, entity_id, day, fetched, " ..
        concat(cols, ", ") .. ") VALUES " .. concat(tuples, ", ") ..
        " ON CONFLICT (ad_account_id, level, entity_id, day) DO UPDATE SET fetched = excluded.fetched, " ..
        concat(sets, ", "))
      tuples = {}
    end
    for _, r in ipairs(rows) do
      local d = type(r.DATE) == "string" and r.DATE:sub(1, 10) or nil
      local id = r[col]
      if d and d >= fs and d <= ls and id ~= nil then
        local vals = {}
        for i, p in ipairs(ps) do vals[i] = num_lit(r[p]) end
        tuples[#tuples + 1] = "(" .. db:lit(acct) .. ", " .. db:lit(level) .. ", " .. db:lit(tostring(id)) .. ", " ..
          db:lit(d) .. ", " .. num_lit(stamp) .. ", " .. concat(vals, ", ") .. ")"
        if #tuples >= 200 then flush() end
      end
    end
    flush()
    local days = {}
    for n = first, last do
      days[#days + 1] = "(" .. db:lit(acct) .. ", " .. db:lit(level) .. ", " .. db:lit(dates.format(n)) .. ", " ..
        num_lit(stamp) .. ")"
    end
    for i = 1, #days, 200 do
      db:exec("INSERT INTO ads_fetched (ad_account_id, level, day, fetched) VALUES " ..
        concat(days, ", ", i, math.min(i + 199, #days)) ..
        " ON CONFLICT (ad_account_id, level, day) DO UPDATE SET fetched = excluded.fetched")
    end
    return written
  end)
end

local function upsert_account(db, a, stamp)
  db:exec(fmt("INSERT INTO ad_accounts (ad_account_id, name, currency, first_synced, last_synced) VALUES " ..
    "(%s, %s, %s, %s, %s) ON CONFLICT (ad_account_id) DO UPDATE SET name = excluded.name, currency = " ..
    "excluded.currency, last_synced = excluded.last_synced", db:lit(a.id), db:lit(a.name), db:lit(a.currency),
    db:lit(stamp), db:lit(stamp)))
end

local function upsert_entities(db, acct, level, list)
  if #list == 0 then return end
  db:transaction(function()
    for i = 1, #list, 200 do
      local t = {}
      for j = i, math.min(i + 199, #list) do
        local e = list[j]
        t[#t + 1] = "(" .. db:lit(acct) .. ", " .. db:lit(level) .. ", " .. db:lit(tostring(e.id)) .. ", " ..
          db:lit(type(e.name) == "string" and e.name or nil) .. ", " ..
          db:lit(type(e.status) == "string" and e.status or nil) .. ")"
      end
      db:exec("INSERT INTO ads_entities (ad_account_id, level, entity_id, name, status) VALUES " .. concat(t, ", ") ..
        " ON CONFLICT (ad_account_id, level, entity_id) DO UPDATE SET name = excluded.name, status = excluded.status")
    end
  end)
end

local function check_opts(client, opts)
  if type(client) ~= "table" or type(client.ads_report) ~= "function" then
    fail("sync_ads", "client must be a Pinterest client (pa.pinterest{...}), got %s", show(client))
  end
  opts = opts or {}
  if type(opts) ~= "table" then fail("sync_ads", "opts must be a table, got %s", show(opts)) end
  local ids
  if opts.ad_account_ids ~= nil then
    if type(opts.ad_account_ids) ~= "table" then
      fail("sync_ads", "opts.ad_account_ids must be a list of ad account ids, got %s", show(opts.ad_account_ids))
    end
    ids = {}
    for i, v in ipairs(opts.ad_account_ids) do ids[i] = account_id_of("sync_ads", v) end
  end
  local days = opts.days or M.MAX_DAYS
  if type(days) ~= "number" or days ~= math.floor(days) or days < 1 or days > M.MAX_DAYS then
    fail("sync_ads", "opts.days must be a whole number from 1 to %d, got %s", M.MAX_DAYS, show(opts.days))
  end
  local levels = opts.levels or M.LEVELS
  if type(levels) ~= "table" or #levels == 0 then
    fail("sync_ads", "opts.levels must be a list of levels, got %s", show(opts.levels))
  end
  for _, l in ipairs(levels) do level_of("sync_ads", l) end
  if opts.on_report ~= nil and type(opts.on_report) ~= "function" then
    fail("sync_ads", "opts.on_report must be a function, got %s", show(opts.on_report))
  end
  return ids, days, levels, opts.on_report
end

--- Syncs ads analytics into the store (see the top of this module).
-- @tparam pinanalytics.Store store
-- @tparam pinanalytics.pinterest.Client client
-- @tab[opt] opts `ad_account_ids`, `days` (1..914), `levels`, `on_report(done, res)` (after each report written)
-- @treturn[1] table the result
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error
function M.sync(store, client, opts)
  local ids, days, levels, on_report = check_opts(client, opts)
  local db = store.db
  local res = { accounts = {}, reports = 0, days_written = 0, rows = 0, failures = {} }
  local accounts = {}
  if ids then
    for _, id in ipairs(ids) do accounts[#accounts + 1] = { id = id } end
  else
    local list, err = client:ad_accounts():all()
    if not list then return nil, err end
    for _, a in ipairs(list) do accounts[#accounts + 1] = { id = tostring(a.id), name = a.name, currency = a.currency } end
  end
  local today = dates.today_number(store.clock)
  local to = today - 1
  local from = today - days
  for _, a in ipairs(accounts) do
    local info, aerr = client:ad_account(a.id)
    local entry = { ad_account_id = a.id, levels = {}, entities = 0 }
    res.accounts[#res.accounts + 1] = entry
    if not info then
      res.failures[#res.failures + 1] = { ad_account_id = a.id, error = aerr }
    else
      a.name, a.currency = info.name, info.currency
      entry.name, entry.currency = a.name, a.currency
      upsert_account(db, a, store:_stamp())
      for _, level in ipairs(levels) do
        local lv = { days_asked = 0, days_written = 0, rows = 0, reports = 0, runs = 0 }
        entry.levels[level] = lv
        local failed = false
        if level == "CAMPAIGN" then
          local camps, cerr = client:list_campaigns(a.id, { entity_statuses = { "ACTIVE", "PAUSED", "ARCHIVED" } }):all()
          if not camps then
            res.failures[#res.failures + 1] = { ad_account_id = a.id, level = level, error = cerr }
            failed = true
          else
            upsert_entities(db, a.id, level, camps)
            entry.entities = entry.entities + #camps
          end
        end
        if not failed then
          local runs, asked = plan(db, a.id, level, from, to, today)
          lv.days_asked, lv.runs = asked, #runs
          for _, run in ipairs(runs) do
            -- a report a window (186 days): each written as it arrives
            local stop = false
            local s = run[1]
            while s <= run[2] and not stop do
              local e = math.min(run[2], s + WINDOW - 1)
              local got, err = client:ads_report(a.id, { level = level, granularity = "DAY", columns = parts(),
                start_date = dates.format(s), end_date = dates.format(e) })
              if got then
                local n = write_report(db, a.id, level, got.rows, s, e, store:_now())
                lv.rows, res.rows = lv.rows + n, res.rows + n
                lv.days_written = lv.days_written + (e - s + 1)
                res.days_written = res.days_written + (e - s + 1)
                lv.reports, res.reports = lv.reports + 1, res.reports + 1
                if on_report then on_report(res.reports, res) end
              else
                res.failures[#res.failures + 1] = { ad_account_id = a.id, level = level, error = err,
                  start_date = dates.format(s), end_date = dates.format(run[2]) }
                stop = true
              end
              s = e + 1
            end
            if stop then break end
          end
        end
      end
    end
  end
  return res
end

--- The rows held of an ad account's level over a range, shaped as the API's
-- DAY rows, and what the store knows of them (see the top of this module).
-- @tparam pinanalytics.Store store
-- @string ad_account_id
-- @string level
-- @tparam pinanalytics.dates.Range range
-- @treturn table rows
-- @treturn table `{ held, not_final, missing, currency, name, entities }`
function M.rows(store, ad_account_id, level, range)
  account_id_of("ads_rows", ad_account_id)
  level_of("ads_rows", level)
  if type(range) ~= "table" or type(range.start_date) ~= "string" or type(range.end_date) ~= "string" then
    fail("ads_rows", "range must be a range (pa.dates.range(...) or { start_date, end_date }), got %s", show(range))
  end
  local db = store.db
  local col = M.ENTITY_COLUMN[level]
  local ps = parts()
  local cols = {}
  for i, p in ipairs(ps) do cols[i] = p:lower() end
  local where = fmt("ad_account_id = %s AND level = %s AND day >= %s AND day <= %s", db:lit(ad_account_id),
    db:lit(level), db:lit(range.start_date), db:lit(range.end_date))
  local acct = db:rows(fmt("SELECT name, currency FROM ad_accounts WHERE ad_account_id = %s", db:lit(ad_account_id)))
  local info = { held = {}, not_final = {}, missing = {}, entities = {},
    name = acct[1] and acct[1][1] or nil, currency = acct[1] and acct[1][2] or nil }
  local fetched = {}
  for _, r in ipairs(db:rows("SELECT day, fetched FROM ads_fetched WHERE " .. where .. " ORDER BY day")) do
    local d, f = r[1], db.num(r[2])
    fetched[d] = true
    info.held[#info.held + 1] = d
    if day_of_stamp(f) < dates.parse(d) + M.FINAL_DAYS then
      info.not_final[#info.not_final + 1] = { date = d, fetched = os.date("!%Y-%m-%dT%H:%M:%SZ", f) }
    end
  end
  for n = dates.parse(range.start_date), dates.parse(range.end_date) do
    local d = dates.format(n)
    if not fetched[d] then info.missing[#info.missing + 1] = d end
  end
  local rows, with_row = {}, {}
  for _, r in ipairs(db:rows("SELECT entity_id, day, " .. concat(cols, ", ") .. " FROM ads_days WHERE " .. where ..
      " ORDER BY entity_id, day")) do
    local row = { DATE = r[2], [col] = r[1] }
    for i, p in ipairs(ps) do row[p] = db.num(r[i + 2]) end
    rows[#rows + 1] = row
    with_row[r[2]] = true
  end
  if level == "ADVERTISER" then
    for _, d in ipairs(info.held) do
      if not with_row[d] then
        local row = { DATE = d, [col] = ad_account_id }
        for _, p in ipairs(ps) do row[p] = 0 end
        rows[#rows + 1] = row
      end
    end
  end
  for _, r in ipairs(db:rows(fmt("SELECT entity_id, name, status FROM ads_entities WHERE ad_account_id = %s AND " ..
      "level = %s ORDER BY entity_id", db:lit(ad_account_id), db:lit(level)))) do
    info.entities[#info.entities + 1] = { id = r[1], name = r[2], status = r[3] }
  end
  return rows, info
end

--- The ad accounts held: `{ ad_account_id, name, currency, first_synced, last_synced }` each, by id.
-- @tparam pinanalytics.Store store
-- @treturn table
function M.accounts(store)
  local out = {}
  for _, r in ipairs(store.db:rows("SELECT ad_account_id, name, currency, first_synced, last_synced FROM ad_accounts " ..
      "ORDER BY ad_account_id")) do
    out[#out + 1] = { ad_account_id = r[1], name = r[2], currency = r[3], first_synced = r[4], last_synced = r[5] }
  end
  return out
end

return M
