--- The `sync` command: brings a local store up to date from the API (the
-- days it does not hold yet, those not READY), with a progress bar, then
-- prints its summary and says on standard error what it did not do.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local progress_bar = require "pinanalytics.cli.progress"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local whole, check_pin_ids = options.whole, options.check_pin_ids
local safe, emit = output.safe, output.emit
local new_bar, progress, after_run = progress_bar.new_bar, progress_bar.progress, progress_bar.after_run
local PINTEREST_HELP, pinterest_client = api.PINTEREST_HELP, api.pinterest_client
local is_uri, shown_target, store_target = store.is_uri, store.shown_target, store.store_target
local open_store = store.open_store

local sync = {}

-- the options it takes
sync.options = { "--store", "--pins", "--all-pins", "--account", "--days", "--base-url", "--token-file", "--retries",
  "--no-progress", "--help", "--account-name", "--credentials", "--app-file" }

sync.help = [[
usage: pinanalytics sync --store TARGET [--pins ID,ID | --all-pins] [--account] [OPTIONS]

Brings a local store of Pinterest's figures up to date: each pin's and the
account's daily figures, asking only for the days the store does not hold
yet and for those that were not READY. The store keeps them beyond the 90
days Pinterest serves; pin, account, top and overview read them with
--from-store TARGET. Run daily (from cron), it asks for about a day a pin.
An interrupted sync loses nothing it wrote, and the next one resumes there.

  --store TARGET      the store: a SQLite file (created when missing), or a
                      postgresql://user@host/db URI (libpq's; a password in it is
                      never printed); one store can hold several accounts
  --pins ID,ID        these pins, comma-separated
  --all-pins          every pin of the account (GET /pins)
  --account           the account's own daily figures too
  --days N            how far back to hold, 1 to 90 (default 90), ending yesterday
  --no-progress       no progress bar, even on a terminal

It prints one line: the pins, the requests sent, the days written, those of
them not READY yet (asked for again next time), the errors, and when there
are any the days it could no longer ask for and the warnings. Then, on
standard error, what it did not do, a line each (the first 10 of each kind,
then how many more): the pins that failed, the days it could no longer ask
for (midnight UTC passed during the sync: the API had stopped serving them),
the texts it stored repaired. A progress bar is drawn on standard error when
it is a terminal.

]] .. PINTEREST_HELP .. [[

Exit status: 0 everything asked for is in the store (a text stored repaired
is a warning, not a failure); 1 when the sync stopped early (GET
/user_account failed, a rate limit, the database), some pins or the
account's figures failed (the next sync asks for them again), or there are
days it could no longer ask for (they are not in the store): so that cron
notices, its last line says which; 2 a usage error; 130 interrupted (Ctrl-C):
what was written is kept, and the next sync resumes from there.

Example:
  pinanalytics sync --store analytics.db --all-pins --account
  pinanalytics account --last 365 --from-store analytics.db
]]

-- How many pins, days or warnings sync names one by one before "and N more".
local SYNC_LISTED = 10

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

function sync.run(ctx, cmd, p)
  local opts = p.opts
  if #p.args > 0 then usage(cmd, "sync takes no argument ('%s'): give pins as --pins ID,ID", p.args[1]) end
  local target = store_target(cmd, opts, "--store")
  local ids
  if opts["--pins"] then
    if opts["--all-pins"] then usage(cmd, "--pins and --all-pins do not go together: give one") end
    ids = {}
    local seen = {}
    for id in opts["--pins"]:gmatch("[^,%s]+") do
      if not seen[id] then seen[id] = true; ids[#ids + 1] = id end
    end
    if #ids == 0 then usage(cmd, "--pins '%s': give pin ids separated by commas", opts["--pins"]) end
    check_pin_ids(cmd, ids, "--pins", opts["--pins"])
  elseif opts["--all-pins"] then
    ids = "all"
  end
  if ids == nil and not opts["--account"] then
    usage(cmd, "nothing to sync: give --pins ID,ID or --all-pins, and/or --account")
  end
  local days = whole(cmd, opts, "--days", 1, 90, "days") or 90
  if target:match("^%a[%w+.-]*://") and not is_uri(target) then
    usage(cmd, "--store %s: a store is a SQLite file path or a postgresql:// URI",
      target:match("^%a[%w+.-]*://"))
  end

  -- the bar: pins done in the chunks written (from the store), and in the
  -- request under way (from the client)
  local bar, base, failed_base, total = nil, 0, 0, 0
  local wanted_bar = not opts["--no-progress"] and ctx.isatty(2)
  local client = pinterest_client(ctx, cmd, opts, wanted_bar and {
    on_progress = progress(ctx, function(done, _, failed)
      if bar then bar:update(math.min(base + done, total), total, failed_base + failed) end
    end),
  } or nil)
  local ok, st = pcall(open_store, ctx, cmd, target)
  if not ok then
    client:close()
    error(st, 0)
  end
  local function pin_errors(r)
    local n = 0
    for k in pairs(r.errors) do
      if type(k) == "string" and k:match("^%d+$") then n = n + 1 end
    end
    return n
  end
  local sopts = { pins = ids, account = opts["--account"] == true, days = days }
  -- what the sync has written so far (from its hooks), for an interrupt's message
  local so_far
  ctx.kept = function()
    return string.format("the sync stopped; the store keeps %s it wrote (each part is written whole), and the " ..
      "next sync resumes from there", so_far and ("the " .. plural(so_far.days_written, "day")) or "what")
  end
  sopts.on_start = function(n, r)
    so_far = r
    after_run(ctx)
    total = n
    if wanted_bar and n > 1 then bar = new_bar(ctx.stderr, require("pinanalytics.core").now, n) end
  end
  sopts.on_progress = function(done, n, r)
    so_far = r
    after_run(ctx) -- a Ctrl-C the client's progress callback caught stops the sync here
    if not wanted_bar then return end
    base, total, failed_base = done, n, pin_errors(r)
    if bar then bar:update(done, n, failed_base) end
  end
  local res, err = call(cmd, st.sync, st, client, sopts)
  after_run(ctx)
  if bar then bar:finish() end
  client:close()
  st:close()

  -- the summary: what was done, then what was not, each list bounded
  local errs = res.errors
  local failed, counted = {}, {}
  for k, e in pairs(errs) do
    if type(k) == "string" and k:match("^%d+$") then failed[#failed + 1] = k end
    counted[e] = true
  end
  local nerr = 0
  for _ in pairs(counted) do nerr = nerr + 1 end
  table.sort(failed)
  -- the days planned that the API no longer served when asked (midnight UTC
  -- passed during the sync): the account's first, then by pin id
  local lost, lost_days, lost_pins = {}, 0, 0
  for k, list in pairs(res.missing or {}) do
    if type(list) == "table" and #list > 0 then
      lost[#lost + 1] = k
      lost_days = lost_days + #list
      if k ~= "account" then lost_pins = lost_pins + 1 end
    end
  end
  table.sort(lost, function(a, b)
    if a == "account" or b == "account" then return a == "account" and b ~= "account" end
    return a < b
  end)
  local warnings = type(res.warnings) == "table" and res.warnings or {}
  local who = ""
  if res.account then
    who = ", account " .. safe(res.account.username and (res.account.username .. " (" .. res.account.id .. ")")
      or res.account.id)
  end
  ctx.kept = nil
  emit(ctx, "the sync's summary", string.format("synced %s%s: %s, %s, %d days written, %d days not READY yet, %s%s%s\n",
    shown_target(target), who, plural(res.pins, "pin"), plural(res.requests, "request"), res.days_written,
    res.days_not_ready, plural(nerr, "error"),
    lost_days > 0 and (", " .. plural(lost_days, "day") .. " not fetched (no longer served)") or "",
    #warnings > 0 and (", " .. plural(#warnings, "warning")) or ""),
    string.format(" (the store keeps the %s the sync wrote)", plural(res.days_written, "day")))
  local function say(...) ctx.stderr:write("pinanalytics: ", safe(table.concat({ ... })), "\n") end
  for i, id in ipairs(failed) do
    if i > SYNC_LISTED then
      say(string.format("and %d more pins failed", #failed - SYNC_LISTED))
      break
    end
    say("pin ", id, ": ", strip_prefix(line(errs[id])))
  end
  if errs.account and errs.account ~= err then
    say("the account's figures: ", strip_prefix(line(errs.account)))
  end
  local listed = 0
  for _, k in ipairs(lost) do
    if k ~= "account" then listed = listed + 1 end
    if listed > SYNC_LISTED then
      say(string.format("and %d more pins with days not fetched", lost_pins - SYNC_LISTED))
      break
    end
    local gone = res.missing[k]
    local shown = {}
    for i = 1, math.min(#gone, 5) do shown[i] = tostring(gone[i]) end
    say(k == "account" and "the account's figures" or ("pin " .. k), ": ", plural(#gone, "day"),
      " not fetched, no longer served by the API: ", table.concat(shown, ", "),
      #gone > 5 and string.format(" and %d more", #gone - 5) or "")
  end
  for i, w in ipairs(warnings) do
    if i > SYNC_LISTED then
      say(string.format("and %d more warnings", #warnings - SYNC_LISTED))
      break
    end
    say("warning: ", strip_prefix(line(w)))
  end
  if err then
    failure("the sync stopped early: %s; what it wrote is kept, and the next sync resumes from there",
      strip_prefix(line(err)))
  end
  -- what the sync did not do: exit 1, so that cron notices
  local undone = {}
  if #failed > 0 then
    undone[#undone + 1] = string.format("%d of %s failed; the next sync asks for them again", #failed,
      plural(res.pins, "pin"))
  end
  if errs.account then
    undone[#undone + 1] = "the account's figures failed; the next sync asks for them again"
  end
  if lost_days > 0 then
    local of = {}
    if lost_pins > 0 then of[#of + 1] = plural(lost_pins, "pin") end
    if res.missing.account and #res.missing.account > 0 then of[#of + 1] = "the account" end
    undone[#undone + 1] = string.format("%s of %s could no longer be asked for and are not in the store " ..
      "(the API serves the last 90 days)", plural(lost_days, "day"), table.concat(of, " and "))
  end
  if #undone > 0 then failure("%s", table.concat(undone, "; ")) end
  return nil
end

return { sync = sync }
