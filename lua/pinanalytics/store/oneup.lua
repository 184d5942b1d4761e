--- OneUp in the store: a snapshot of an account's overview and posts per
-- day it is taken.
--
--   local info, err = store:snapshot_oneup(one, { social_network_id = 123, preset = "last_30_days" })
--   local snap = store:oneup(123)                    -- the latest snapshot
--   local snap = store:oneup(123, { taken = "2026-11-02", period = "last_30_days" })
--   local f = pa.frame(snap.posts)                   -- the posts' stats by day
--   store:oneup_snapshots(123)                       -- what is held
--
-- OneUp answers figures for a period (a preset or start_date..end_date),
-- not day by day, and they change as the posts age: so what is kept is what
-- OneUp answered on the day the snapshot was taken (UTC, by the OneUp
-- client's clock). One snapshot per account, period, time zone and day:
-- taking it again the same day replaces it (in one transaction); another
-- day adds one.
--
-- snapshot_oneup(one, params): params as for one:overview / one:posts
-- (social_network_id; preset, start_date + end_date or range; timezone).
-- Calls both, then writes both; returns { network_id, period, timezone,
-- taken, metrics = n, posts = n } or nil, err (the API's error, or kind
-- "store").
--
-- oneup(network_id [, opts]): opts.taken (a date; default the latest),
-- opts.period (default: the period of the latest snapshot of that day).
-- Returns nil when nothing is held, else { network_id, period, timezone,
-- taken, start_date, end_date, fetched, overview = { metrics = {...},
-- total_followers }, posts = { stats = {...}, posts = {...} } }: overview
-- and posts are shaped as one:overview() and one:posts() return their data
-- (metrics enriched again; each post with id, timestamp, page_id, format,
-- media_type, permalink, media_url, text and stats), so that what reads
-- OneUp's answers reads a snapshot. post_performance is not kept.
local check = require "pinanalytics.check"
local dates = require "pinanalytics.dates"
local oneup = require "pinanalytics.oneup"

local M = {}

local fail = check.failer("pinanalytics.store")
local show = check.show

local function network_of(fn, id)
  if type(id) == "number" and id == math.floor(id) and id > 0 and id < 2 ^ 53 then return string.format("%d", id) end
  if type(id) == "string" and id:match("^%d+$") and #id <= 40 then return id end
  fail(fn, "the OneUp social_network_id must be a positive whole number or a string of digits, got %s", show(id))
end

local function num(v)
  if type(v) == "number" and v == v and v ~= math.huge and v ~= -math.huge then return v end
  return nil
end

-- a text as the API gave it: db:lit writes it exactly, or repaired (noted
-- for the result's warnings) where the database cannot hold it
local function str(v)
  if type(v) == "string" then return v end
  return nil
end

local function insert_metrics(db, key, source, list)
  local values = {}
  local seen = {}
  for i, m in ipairs(list or {}) do
    -- once each key as stored (two keys may be stored alike once repaired)
    if type(m) == "table" and str(m.key) and not seen[db:lit(m.key)] then
      seen[db:lit(m.key)] = true
      values[#values + 1] = "(" .. table.concat({ key, db:lit(source), db:lit(m.key), i, db:lit(str(m.name)),
        db:lit(num(m.value_current_period)), db:lit(num(m.value_last_period)), db:lit(str(m.percentage_change)) },
        ", ") .. ")"
    end
  end
  if #values > 0 then
    db:exec("INSERT INTO oneup_metrics (snapshot_key, source, metric, position, name, value_current, value_last, " ..
      "percentage_change) VALUES " .. table.concat(values, ", "))
  end
  return #values
end

local function insert_posts(db, key, posts)
  local n = 0
  local seen = {}
  for i, p in ipairs(posts or {}) do
    local id = type(p) == "table" and str(p.id)
    if id and not seen[db:lit(id)] then
      seen[db:lit(id)] = true
      n = n + 1
      db:exec("INSERT INTO oneup_posts (snapshot_key, post_id, position, published, page_id, format, media_type, " ..
        "permalink, media_url, text) VALUES (" .. table.concat({ key, db:lit(id), i, db:lit(str(p.timestamp)),
        db:lit(str(p.page_id)), db:lit(str(p.format)), db:lit(str(p.media_type)), db:lit(str(p.permalink)),
        db:lit(str(p.media_url)), db:lit(str(p.text)) }, ", ") .. ")")
      local stats = {}
      if type(p.stats) == "table" then
        local names, stored = {}, {}
        for k, v in pairs(p.stats) do
          if type(k) == "string" and num(v) and not stored[db:lit(k)] then
            stored[db:lit(k)] = true
            names[#names + 1] = k
          end
        end
        table.sort(names)
        for _, k in ipairs(names) do
          stats[#stats + 1] = "(" .. key .. ", " .. db:lit(id) .. ", " .. db:lit(k) .. ", " .. db:lit(p.stats[k]) .. ")"
        end
      end
      if #stats > 0 then
        db:exec("INSERT INTO oneup_post_stats (snapshot_key, post_id, stat, value) VALUES " .. table.concat(stats, ", "))
      end
    end
  end
  return n
end

local function period_of(client, params)
  if params.preset ~= nil then return params.preset, nil, nil end
  local s, e = params.start_date, params.end_date
  if params.range ~= nil then
    local r = dates.resolve(params.range, { clock = client.clock })
    if r then s, e = r.start_date, r.end_date end
  end
  return tostring(s) .. ".." .. tostring(e), s, e
end

--- Takes the snapshot (see the top of this file).
function M.snapshot(store, client, params)
  local fn = "snapshot_oneup"
  local mt = getmetatable(client)
  if type(client) ~= "table" or type(mt) ~= "table" or mt.__name ~= "pinanalytics.OneUp" then
    fail(fn, "client must be a OneUp client (pa.oneup{...}), got %s", show(client))
  end
  if type(params) ~= "table" then fail(fn, "params must be a table, got %s", show(params)) end
  local network = network_of(fn, params.social_network_id)
  local overview, err = client:overview(params) -- checks the other parameters
  if not overview then return nil, err end
  local posts
  posts, err = client:posts(params)
  if not posts then return nil, err end
  local period, s, e = period_of(client, params)
  local tz = params.timezone or "UTC"
  local taken = dates.today(client.clock)
  local store_mod = require "pinanalytics.store"
  return store_mod.guard(function()
    local db = store.db
    return db:transaction(function()
      local where = " WHERE network_id = " .. db:lit(network) .. " AND period = " .. db:lit(period) ..
        " AND timezone = " .. db:lit(tz) .. " AND taken = " .. db:lit(taken)
      db:exec("INSERT INTO oneup_snapshots (network_id, period, timezone, start_date, end_date, taken, fetched, " ..
        "total_followers) VALUES (" .. table.concat({ db:lit(network), db:lit(period), db:lit(tz), db:lit(s),
        db:lit(e), db:lit(taken), db:lit(store:_now()), db:lit(num(overview.total_followers)) }, ", ") ..
        ") ON CONFLICT (network_id, period, timezone, taken) DO UPDATE SET fetched = excluded.fetched, " ..
        "total_followers = excluded.total_followers")
      local key = db.num(db:rows("SELECT snapshot_key FROM oneup_snapshots" .. where)[1][1])
      for _, t in ipairs({ "oneup_post_stats", "oneup_posts", "oneup_metrics" }) do
        db:exec("DELETE FROM " .. t .. " WHERE snapshot_key = " .. key)
      end
      local nm = insert_metrics(db, key, "overview", overview.metrics)
      insert_metrics(db, key, "posts", posts.stats)
      local np = insert_posts(db, key, posts.posts)
      return { network_id = network, period = period, timezone = tz, taken = taken, metrics = nm, posts = np }
    end)
  end)
end

local function metrics_of(db, key, source)
  local out = {}
  for _, r in ipairs(db:rows("SELECT metric, name, value_current, value_last, percentage_change FROM oneup_metrics " ..
      "WHERE snapshot_key = " .. key .. " AND source = " .. db:lit(source) .. " ORDER BY position")) do
    out[#out + 1] = oneup.enrich_metric({ key = r[1], name = r[2], value_current_period = db.num(r[3]),
      value_last_period = db.num(r[4]), percentage_change = r[5] })
  end
  return out
end

--- A snapshot read back (see the top of this file).
function M.read(store, network_id, opts)
  local fn = "oneup"
  local network = network_of(fn, network_id)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then fail(fn, "opts must be a table, got %s", show(opts)) end
  for k in pairs(opts) do
    if k ~= "taken" and k ~= "period" then fail(fn, "unknown option %s (known: period, taken)", show(k)) end
  end
  if opts.taken ~= nil and not dates.parse(opts.taken) then
    fail(fn, "opts.taken must be a date YYYY-MM-DD, got %s", show(opts.taken))
  end
  if opts.period ~= nil and type(opts.period) ~= "string" then
    fail(fn, "opts.period must be a string (a preset or start..end), got %s", show(opts.period))
  end
  return require("pinanalytics.store").guard(function()
    local db = store.db
    local where = " WHERE network_id = " .. db:lit(network)
    if opts.taken then where = where .. " AND taken = " .. db:lit(opts.taken) end
    if opts.period then where = where .. " AND period = " .. db:lit(opts.period) end
    local rows = db:rows("SELECT snapshot_key, period, timezone, start_date, end_date, taken, fetched, total_followers " ..
      "FROM oneup_snapshots" .. where .. " ORDER BY taken DESC, fetched DESC, snapshot_key DESC")
    local r = rows[1]
    if not r then return nil end
    local key = db.num(r[1])
    local snap = {
      network_id = network, period = r[2], timezone = r[3], start_date = r[4], end_date = r[5], taken = r[6],
      fetched = db.num(r[7]),
      overview = { metrics = metrics_of(db, key, "overview"), total_followers = db.num(r[8]) },
      posts = { stats = metrics_of(db, key, "posts"), posts = {} },
    }
    local by_id = {}
    for _, p in ipairs(db:rows("SELECT post_id, published, page_id, format, media_type, permalink, media_url, text " ..
        "FROM oneup_posts WHERE snapshot_key = " .. key .. " ORDER BY position")) do
      local post = { id = p[1], timestamp = p[2], page_id = p[3], format = p[4], media_type = p[5], permalink = p[6],
        media_url = p[7], text = p[8], stats = {} }
      by_id[p[1]] = post
      snap.posts.posts[#snap.posts.posts + 1] = post
    end
    for _, s in ipairs(db:rows("SELECT post_id, stat, value FROM oneup_post_stats WHERE snapshot_key = " .. key)) do
      local post = by_id[s[1]]
      if post then post.stats[s[2]] = db.num(s[3]) end
    end
    return snap
  end)
end

--- The snapshots held, oldest first.
function M.list(store, network_id)
  local network = network_id ~= nil and network_of("oneup_snapshots", network_id) or nil
  return require("pinanalytics.store").guard(function()
    local db = store.db
    local out = {}
    local where = network and (" WHERE network_id = " .. db:lit(network)) or ""
    for _, r in ipairs(db:rows("SELECT network_id, period, timezone, taken, fetched FROM oneup_snapshots" .. where ..
        " ORDER BY network_id, taken, period, timezone")) do
      out[#out + 1] = { network_id = r[1], period = r[2], timezone = r[3], taken = r[4], fetched = db.num(r[5]) }
    end
    return out
  end)
end

return M
