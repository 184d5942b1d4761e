--- The store's schema, version by version, and its forward migration.
--
-- Each version is a list of statements that takes a store from the version
-- before it to this one; schema_version holds one row per version applied.
-- open() applies what is missing, in one transaction (PostgreSQL: under an
-- advisory lock, so that two processes opening a new store at once do not
-- both create it), and refuses a store whose version is newer than this
-- code knows. A version, once released, never changes: a new column or
-- table is a new version.
--
-- The same statements serve SQLite and PostgreSQL, with these words
-- replaced: {key} (the table's own key: INTEGER PRIMARY KEY in SQLite,
-- BIGSERIAL PRIMARY KEY in PostgreSQL), {ref} (a column holding such a key),
-- {num} (a metric: NUMERIC in SQLite, which keeps whole numbers as integers
-- and the others as doubles; DOUBLE PRECISION in PostgreSQL) and {norowid}
-- (SQLite's WITHOUT ROWID: a table stored in its primary key's order, with
-- no second copy of the key).
local M = {}

--- Pin metrics, one column each in pin_days (lower case): the standard and
-- video lists of GET /pins/{id}/analytics. Frozen with version 1.
M.PIN_METRICS = {
  "IMPRESSION", "OUTBOUND_CLICK", "PIN_CLICK", "SAVE", "SAVE_RATE", "TOTAL_COMMENTS", "TOTAL_REACTIONS",
  "USER_FOLLOW", "PROFILE_VISIT", "VIDEO_MRC_VIEW", "VIDEO_10S_VIEW", "QUARTILE_95_PERCENT_VIEW",
  "VIDEO_V50_WATCH_TIME", "VIDEO_START", "VIDEO_AVG_WATCH_TIME",
}
--- Account metrics, one column each in account_days: GET /user_account/analytics.
M.ACCOUNT_METRICS = {
  "ENGAGEMENT", "ENGAGEMENT_RATE", "IMPRESSION", "OUTBOUND_CLICK", "OUTBOUND_CLICK_RATE", "PIN_CLICK",
  "PIN_CLICK_RATE", "SAVE", "SAVE_RATE",
}

local function columns(metrics)
  local out = {}
  for i, m in ipairs(metrics) do out[i] = "  " .. m:lower() .. " {num}" end
  return table.concat(out, ",\n")
end

M.VERSIONS = {
  -- 1: Pinterest accounts, their pins, and the daily figures of both
  {
    [[CREATE TABLE accounts (
  account_key {key},
  account_id TEXT NOT NULL UNIQUE,
  username TEXT,
  account_type TEXT,
  business_name TEXT,
  first_synced TEXT NOT NULL,
  last_synced TEXT NOT NULL
)]],
    [[CREATE TABLE pins (
  pin_key {key},
  account_key {ref} NOT NULL REFERENCES accounts (account_key),
  pin_id TEXT NOT NULL,
  first_synced TEXT NOT NULL,
  last_synced TEXT NOT NULL,
  UNIQUE (account_key, pin_id)
)]],
    [[CREATE TABLE pin_days (
  pin_key {ref} NOT NULL REFERENCES pins (pin_key),
  day TEXT NOT NULL,
  status TEXT,
  fetched {ref} NOT NULL,
]] .. columns(M.PIN_METRICS) .. [[,
  PRIMARY KEY (pin_key, day)
){norowid}]],
    [[CREATE TABLE account_days (
  account_key {ref} NOT NULL REFERENCES accounts (account_key),
  day TEXT NOT NULL,
  status TEXT,
  fetched {ref} NOT NULL,
]] .. columns(M.ACCOUNT_METRICS) .. [[,
  PRIMARY KEY (account_key, day)
){norowid}]],
  },
  -- 2: OneUp snapshots (overview and posts, one snapshot a day per period)
  {
    [[CREATE TABLE oneup_snapshots (
  snapshot_key {key},
  network_id TEXT NOT NULL,
  period TEXT NOT NULL,
  timezone TEXT NOT NULL,
  start_date TEXT,
  end_date TEXT,
  taken TEXT NOT NULL,
  fetched {ref} NOT NULL,
  total_followers {num},
  UNIQUE (network_id, period, timezone, taken)
)]],
    [[CREATE TABLE oneup_metrics (
  snapshot_key {ref} NOT NULL REFERENCES oneup_snapshots (snapshot_key),
  source TEXT NOT NULL,
  metric TEXT NOT NULL,
  position {ref} NOT NULL,
  name TEXT,
  value_current {num},
  value_last {num},
  percentage_change TEXT,
  PRIMARY KEY (snapshot_key, source, metric)
)]],
    [[CREATE TABLE oneup_posts (
  snapshot_key {ref} NOT NULL REFERENCES oneup_snapshots (snapshot_key),
  post_id TEXT NOT NULL,
  position {ref} NOT NULL,
  published TEXT,
  page_id TEXT,
  format TEXT,
  media_type TEXT,
  permalink TEXT,
  media_url TEXT,
  text TEXT,
  PRIMARY KEY (snapshot_key, post_id)
)]],
    [[CREATE TABLE oneup_post_stats (
  snapshot_key {ref} NOT NULL REFERENCES oneup_snapshots (snapshot_key),
  post_id TEXT NOT NULL,
  stat TEXT NOT NULL,
  value {num},
  PRIMARY KEY (snapshot_key, post_id, stat)
)]],
  },
  -- 3: what each pin is, for the reports: its title, the start of its
  -- description, its board (id and name), its destination link and its
  -- picture (https URLs only), when they were fetched, and why they could
  -- not be (meta_error: "not found (HTTP 404)", ...)
  {
    "ALTER TABLE pins ADD COLUMN title TEXT",
    "ALTER TABLE pins ADD COLUMN description TEXT",
    "ALTER TABLE pins ADD COLUMN board_id TEXT",
    "ALTER TABLE pins ADD COLUMN board_name TEXT",
    "ALTER TABLE pins ADD COLUMN link TEXT",
    "ALTER TABLE pins ADD COLUMN image_url TEXT",
    "ALTER TABLE pins ADD COLUMN meta_error TEXT",
    "ALTER TABLE pins ADD COLUMN meta_fetched TEXT",
  },
  -- 4: the claims of `sync --all-accounts` (pinanalytics.store.claims):
  -- one row per account of a credentials file (by its name there), who
  -- holds it and until when (lease_until, milliseconds since the epoch by
  -- the database's clock; NULL: free), the last round (a UTC day) in
  -- which it was synced whole, by whom and when, and its last failure
  {
    [[CREATE TABLE sync_claims (
  account TEXT PRIMARY KEY,
  worker TEXT,
  lease_until {ref},
  claimed_at {ref},
  synced_round TEXT,
  synced_at {ref},
  synced_by TEXT,
  failed_at {ref},
  failed_by TEXT,
  error TEXT
)]],
  },
  -- 5: the accounts' tokens of a team's credentials (pinanalytics.credentials
  -- opened on a postgresql:// URI): one row per account (its username), as
  -- a credentials file holds them; times in seconds since the epoch. A
  -- SQLite store has the table too, empty: its credentials are a file.
  {
    [[CREATE TABLE credentials (
  account TEXT PRIMARY KEY,
  access_token TEXT,
  access_expires_at {ref},
  access_issued_at {ref},
  refresh_token TEXT NOT NULL,
  refresh_expires_at {ref},
  client_id TEXT,
  scope TEXT,
  updated_at {ref}
)]],
  },
  -- 6: ads analytics (pinanalytics.store.ads): the ad accounts (their
  -- currency), their campaigns' names and statuses, the days of each
  -- entity by level (the report parts; micro-units as exact integers), and
  -- the days fetched by account and level with when (a day fetched holds
  -- every entity of the level: one without a row had no figures)
  {
    [[CREATE TABLE ad_accounts (
  ad_account_id TEXT PRIMARY KEY,
  name TEXT,
  currency TEXT,
  first_synced TEXT NOT NULL,
  last_synced TEXT NOT NULL
)]],
    [[CREATE TABLE ads_entities (
  ad_account_id TEXT NOT NULL REFERENCES ad_accounts (ad_account_id),
  level TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  name TEXT,
  status TEXT,
  PRIMARY KEY (ad_account_id, level, entity_id)
){norowid}]],
    [[CREATE TABLE ads_days (
  ad_account_id TEXT NOT NULL REFERENCES ad_accounts (ad_account_id),
  level TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  day TEXT NOT NULL,
  fetched {ref} NOT NULL,
  spend_in_micro_dollar {ref},
  impression_1 {ref},
  clickthrough_1 {ref},
  total_conversions {ref},
  total_checkout_value_in_micro_dollar {ref},
  PRIMARY KEY (ad_account_id, level, entity_id, day)
){norowid}]],
    [[CREATE TABLE ads_fetched (
  ad_account_id TEXT NOT NULL REFERENCES ad_accounts (ad_account_id),
  level TEXT NOT NULL,
  day TEXT NOT NULL,
  fetched {ref} NOT NULL,
  PRIMARY KEY (ad_account_id, level, day)
){norowid}]],
  },
}

--- The version this code writes.
M.LATEST = #M.VERSIONS

local WORDS = {
  sqlite = { key = "INTEGER PRIMARY KEY", ref = "INTEGER", num = "NUMERIC", norowid = " WITHOUT ROWID" },
  postgres = { key = "BIGSERIAL PRIMARY KEY", ref = "BIGINT", num = "DOUBLE PRECISION", norowid = "" },
}

--- The statements of version v for a dialect ("sqlite" | "postgres").
function M.statements(v, dialect)
  local words = WORDS[dialect]
  local out = {}
  for i, s in ipairs(M.VERSIONS[v]) do
    out[i] = s:gsub("{(%a+)}", words)
  end
  return out
end

-- any number, so that only this schema's migrations wait for each other
local PG_LOCK = 7370114

--- The version of the store's schema (0 for an empty database), read
-- without writing anything (no table is created, no lock taken).
function M.peek(db)
  local sql = db.dialect == "sqlite"
    and "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    or "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'schema_version' " ..
      "AND table_schema = current_schema()"
  if (db.num(db:rows(sql)[1][1]) or 0) == 0 then return 0 end
  return M.version(db)
end

--- The version of the store's schema (0 for an empty database).
function M.version(db)
  local rows = db:rows("SELECT MAX(version) FROM schema_version")
  return db.num(rows[1] and rows[1][1]) or 0
end

--- Raises the store error of a store at version v, newer than this code.
function M.refuse_newer(db, v)
  require("pinanalytics.store.db").fail(string.format("the store %s has schema version %d, newer than this " ..
    "pinanalytics knows (%d): use a newer pinanalytics with it", db.where, v, M.LATEST), nil, db.secrets)
end

--- Brings the store to version `target` (default M.LATEST); returns the
-- version it was at and the one it is at now. Raises a store error when
-- the store is newer than this code.
function M.migrate(db, target, now)
  target = target or M.LATEST
  return db:transaction(function()
    if db.dialect == "postgres" then db:exec("SELECT pg_advisory_xact_lock(" .. PG_LOCK .. ")") end
    db:exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    local from = M.version(db)
    if from > M.LATEST then M.refuse_newer(db, from) end
    for v = from + 1, target do
      for _, sql in ipairs(M.statements(v, db.dialect)) do db:exec(sql) end
      db:exec(string.format("INSERT INTO schema_version (version, applied_at) VALUES (%d, %s)", v, db:lit(now)))
    end
    return from, math.max(from, target)
  end)
end

return M
