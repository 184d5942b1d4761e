--- The command-line tool's local store: the store sync writes (--store) and
-- the store the reports read instead of the API (--from-store): the target
-- checked and shown without its password, the store opened (read-only for a
-- report, which never writes it) and its account chosen (--account-name),
-- and the figures it holds for pins and for the account.
local errors = require "pinanalytics.cli.errors"

local usage, failure, call = errors.usage, errors.failure, errors.call
local line, strip_prefix = errors.line, errors.strip_prefix

-- the store's options, as each command's help lists them
local STORE_HELP = [[
Local store (pinanalytics sync fills it):
  --from-store TARGET read the figures from the store TARGET (a SQLite file, or a
                      postgresql:// URI) instead of the API: no token, and any
                      period the store holds, beyond Pinterest's 90 days
  --account-name NAME the account to read, by username or id, when the store holds
                      several
]]

-- Is the target a PostgreSQL URI (else a SQLite file)?
local function is_uri(target)
  return target:match("^postgres") ~= nil
end

-- The passwords a postgresql:// URI carries (in its user info, or as
-- ?password=), as written and percent-decoded: what no message may show.
local function uri_passwords(target)
  if not is_uri(target) then return {} end
  return require("pinanalytics.store.db").uri_passwords(target)
end

-- The target as a message shows it: a URI without its password.
local function shown_target(target)
  if not is_uri(target) then return target end
  local s = target:gsub("^(%a[%w+.-]*://)([^@/?]*)@", function(scheme, userinfo)
    return scheme .. userinfo:gsub(":.*$", "") .. "@"
  end)
  s = s:gsub("([?&]password=)[^&]*", "%1[REDACTED]")
  return s
end

-- The value of --store or --from-store, checked.
local function store_target(cmd, opts, name)
  local target = opts[name]
  if target == nil then
    usage(cmd, "%s needs %s TARGET: a SQLite file (analytics.db) or a postgresql:// URI", cmd, name)
  end
  if target == "" then usage(cmd, "%s needs a file path or a postgresql:// URI", name) end
  return target
end

-- Opens the store; a store error is a failure, said by explain(err) when
-- it says something (a line), else as the error says it.
local function open_store(ctx, cmd, target, sopts, explain)
  local pa = require "pinanalytics"
  -- the store's time is the tool's: its "fetched" stamps, and which days
  -- the API still serves (a day not final beyond them can no longer be refreshed)
  sopts = sopts or {}
  if ctx.clock then sopts.clock = ctx.clock end
  local st, err = call(cmd, pa.store.open, target, sopts)
  if not st then failure("%s", explain and explain(err) or strip_prefix(line(err))) end
  ctx.stores[#ctx.stores + 1] = st
  return st
end

-- the store's answer, or a failure (a store error: the database failed)
local function stored(cmd, f, ...)
  local res, err = call(cmd, f, ...)
  if res == nil then failure("%s", strip_prefix(line(err))) end
  return res
end

-- The store a report reads (--from-store): the store, the read options
-- that name its account, and the report's source.
local function store_for_reading(ctx, cmd, opts)
  local target = store_target(cmd, opts, "--from-store")
  for _, o in ipairs({ "--token-file", "--base-url", "--retries", "--credentials", "--app-file" }) do
    if opts[o] then usage(cmd, "%s has no use with --from-store: the report reads the store, not the API", o) end
  end
  if opts["--account"] then
    usage(cmd, "--account %s picks an account of the credentials file, for the API; with --from-store, " ..
      "--account-name %s names the store's account", opts["--account"], opts["--account"])
  end
  local shown = shown_target(target)
  local function not_a_store(why)
    return string.format("%s is not a pinanalytics store (%s): `pinanalytics sync --store %s --all-pins --account` " ..
      "fills it", shown, why, shown)
  end
  if not is_uri(target) then
    local f = io.open(target, "rb")
    if not f then failure("%s", not_a_store("no such file")) end
    f:close()
  end
  -- a report never writes the store: read-only (nothing created, nothing
  -- migrated), and a damaged file is refused, not half read
  local st = open_store(ctx, cmd, target, { check = true, read_only = true }, function(err)
    if err.not_a_store then return not_a_store(err.not_a_store) end
    if err.needs_version then
      return string.format("the store %s is at schema version %s and needs migrating to version %s, which a " ..
        "report does not do: run a sync on it first (`pinanalytics sync --store %s --account`, as a user who may " ..
        "write it)", shown, tostring(err.schema_version), tostring(err.needs_version), shown)
    end
  end)
  local accounts = stored(cmd, st.accounts, st)
  if #accounts == 0 then
    failure("the store %s holds no account yet (`pinanalytics sync --store %s --all-pins --account` fills it)", shown,
      shown)
  end
  local names = {}
  for i, a in ipairs(accounts) do names[i] = tostring(a.username or "?") .. " (" .. a.account_id .. ")" end
  local want, account = opts["--account-name"], nil
  if want then
    for _, a in ipairs(accounts) do
      if a.account_id == want then account = a end
    end
    for _, a in ipairs(accounts) do
      if not account and a.username == want then account = a end
    end
    if not account then
      usage(cmd, "--account-name %s: the store %s holds no such account (it holds %s)", want, shown,
        table.concat(names, ", "))
    end
  elseif #accounts > 1 then
    usage(cmd, "the store %s holds %d accounts (%s): give --account-name with the username or id of one", shown,
      #accounts, table.concat(names, ", "))
  else
    account = accounts[1]
  end
  return st, { account = account.account_id }, "Pinterest (local store " .. shown .. ")", shown
end

-- The days of an answer of the store (none: an empty list).
local function days_of(answer)
  local group = type(answer) == "table" and answer.all
  return type(group) == "table" and group.daily_metrics or {}
end

-- A report from the store covers the period asked: the days the store does
-- not hold are stated in the report (its coverage), never cut off, never an
-- error; only a pin the store does not hold at all is one.
local function no_day(what, range, hint)
  failure("the store holds no day of %s in %s (%s)", what, tostring(range), hint)
end

-- The pins of ids the store holds (a set).
local function held_pins(cmd, st, ro, ids)
  local set, wanted = {}, {}
  for _, id in ipairs(ids) do wanted[id] = true end
  for _, id in ipairs(stored(cmd, st.pins, st, ro)) do
    if wanted[id] then set[id] = true end
  end
  return set
end

-- metrics the store keeps for pins: a usage error for any other
local function store_pin_metric(cmd, name, what)
  for _, m in ipairs(require("pinanalytics.store").PIN_METRICS) do
    if m == name then return name end
  end
  require("pinanalytics.cli.options").check_names(cmd, what, name, require("pinanalytics.store").PIN_METRICS,
    "a pin metric the store keeps", "pin metrics the store keeps")
end

-- The stored pins with at least one day in range: results by pin id, and
-- how many pins the store holds.
local function stored_pins(cmd, st, ro, range, wanted, limit)
  local ids = stored(cmd, st.pins, st, ro)
  local held = #ids
  if limit and #ids > limit then
    local first = {}
    for i = 1, limit do first[i] = ids[i] end
    ids = first
  end
  if #ids == 0 then return {}, held, 0 end
  local results = stored(cmd, st.analytics, st, ids, range, wanted, ro)
  local kept, n = {}, 0
  for _, id in ipairs(ids) do
    if #days_of(results[id]) > 0 then kept[id] = results[id]; n = n + 1 end
  end
  return kept, held, n
end

-- What the pins of ids are, as the store holds it (pinanalytics.store's
-- pin_meta): a pin never fetched is absent, and the report says so.
local function stored_meta(cmd, st, ro, ids)
  return stored(cmd, st.pin_meta, st, ids, ro)
end

return {
  STORE_HELP = STORE_HELP, stored_meta = stored_meta,
  is_uri = is_uri, uri_passwords = uri_passwords, shown_target = shown_target, store_target = store_target,
  open_store = open_store, stored = stored, store_for_reading = store_for_reading, days_of = days_of,
  no_day = no_day, held_pins = held_pins, store_pin_metric = store_pin_metric, stored_pins = stored_pins,
}
