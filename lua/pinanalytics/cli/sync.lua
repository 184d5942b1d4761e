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
local app_credentials = api.app_credentials
local is_uri, shown_target, store_target = store.is_uri, store.shown_target, store.store_target
local open_store = store.open_store

local sync = {}

-- the options it takes
sync.options = { "--store", "--pins", "--all-pins", "--account", "--days", "--base-url", "--token-file", "--retries",
  "--no-progress", "--help", "--account-name", "--all-accounts", "--credentials", "--app-file", "--jobs", "--lease",
  "--ads", "--account-id" }

sync.help = [[
usage: pinanalytics sync --store TARGET [--pins ID,ID | --all-pins] [--account] [OPTIONS]
       pinanalytics sync --all-accounts --store TARGET [--all-pins] [--account] [OPTIONS]

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

Many accounts:
  --all-accounts      every account of the credentials file, side by side, each
                      with its own token, client and pacing; a line an account,
                      then the total; one account's failure stops no other
                      (side by side needs luv, and Lua 5.2+ or LuaJIT; else one
                      after another)
  --jobs N            accounts synced at once by this process (default 64)
  --lease SECONDS     how long an account is claimed (default 600, renewed while
                      it syncs): syncs on several hosts sharing one store share
                      its accounts, each synced once a round (a UTC day); an
                      account whose worker died is taken by another after this

It prints one line: the pins, the requests sent, the days written, those of
them not READY yet (asked for again next time), the errors, and when there
are any the days it could no longer ask for and the warnings. Then, on
standard error, what it did not do, a line each (the first 10 of each kind,
then how many more): the pins that failed, the days it could no longer ask
for (midnight UTC passed during the sync: the API had stopped serving them),
the texts it stored repaired. A progress bar is drawn on standard error when
it is a terminal.

]] .. require("pinanalytics.cli.sync_ads").HELP .. "\n" .. PINTEREST_HELP .. [[

Exit status: 0 everything asked for is in the store (a text stored repaired
is a warning, not a failure); 1 when the sync stopped early (GET
/user_account failed, a rate limit, the database), some pins or the
account's figures failed (the next sync asks for them again), or there are
days it could no longer ask for (they are not in the store): so that cron
notices, its last line says which; 2 a usage error; 130 interrupted (Ctrl-C):
what was written is kept, and the next sync resumes from there. With
--all-accounts: 0 when every account it synced succeeded, 1 otherwise, its
last line naming the accounts that failed.

Example:
  pinanalytics sync --store analytics.db --all-pins --account
  pinanalytics account --last 365 --from-store analytics.db
]]

-- How many pins, days or warnings sync names one by one before "and N more".
local SYNC_LISTED = 10

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

-- What a sync's result says went wrong: the pins that failed (sorted), the
-- errors (each counted once), the days it could no longer ask for (by pin,
-- the account's first), and the warnings.
local function digest(res)
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
  return { failed = failed, nerr = nerr, lost = lost, lost_days = lost_days, lost_pins = lost_pins,
    warnings = type(res.warnings) == "table" and res.warnings or {} }
end

-- Says on standard error, a line each (the first SYNC_LISTED of each kind),
-- the pins that failed, the account's figures when they failed, the days no
-- longer served, the warnings; each line after "pinanalytics: " and `who`.
local function details(ctx, who, res, d, err)
  local errs = res.errors
  local function say(...) ctx.stderr:write("pinanalytics: ", safe(who .. table.concat({ ... })), "\n") end
  for i, id in ipairs(d.failed) do
    if i > SYNC_LISTED then
      say(string.format("and %d more pins failed", #d.failed - SYNC_LISTED))
      break
    end
    say("pin ", id, ": ", strip_prefix(line(errs[id])))
  end
  if errs.account and errs.account ~= err then
    say("the account's figures: ", strip_prefix(line(errs.account)))
  end
  local listed = 0
  for _, k in ipairs(d.lost) do
    if k ~= "account" then listed = listed + 1 end
    if listed > SYNC_LISTED then
      say(string.format("and %d more pins with days not fetched", d.lost_pins - SYNC_LISTED))
      break
    end
    local gone = res.missing[k]
    local shown = {}
    for i = 1, math.min(#gone, 5) do shown[i] = tostring(gone[i]) end
    say(k == "account" and "the account's figures" or ("pin " .. k), ": ", plural(#gone, "day"),
      " not fetched, no longer served by the API: ", table.concat(shown, ", "),
      #gone > 5 and string.format(" and %d more", #gone - 5) or "")
  end
  for i, w in ipairs(d.warnings) do
    if i > SYNC_LISTED then
      say(string.format("and %d more warnings", #d.warnings - SYNC_LISTED))
      break
    end
    say("warning: ", strip_prefix(line(w)))
  end
end

-- What a sync that was not stopped did not do, a phrase each (none: all done).
local function undone_of(res, d)
  local undone = {}
  if #d.failed > 0 then
    undone[#undone + 1] = string.format("%d of %s failed; the next sync asks for them again", #d.failed,
      plural(res.pins, "pin"))
  end
  if res.errors.account then
    undone[#undone + 1] = "the account's figures failed; the next sync asks for them again"
  end
  if d.lost_days > 0 then
    local of = {}
    if d.lost_pins > 0 then of[#of + 1] = plural(d.lost_pins, "pin") end
    if res.missing.account and #res.missing.account > 0 then of[#of + 1] = "the account" end
    undone[#undone + 1] = string.format("%s of %s could no longer be asked for and are not in the store " ..
      "(the API serves the last 90 days)", plural(d.lost_days, "day"), table.concat(of, " and "))
  end
  return undone
end

-- sync --all-accounts ---------------------------------------------------------

-- How many accounts one process syncs at once by default (--jobs): each has
-- its own client, so its own pacing; what they share is the store's
-- connection and the loop.
local DEFAULT_JOBS = 64

-- This process's name among the workers: host:pid.
local function worker_name()
  local function first_line(path)
    local f = io.open(path, "rb")
    if not f then return nil end
    local s = f:read("*l")
    f:close()
    return s
  end
  local host = (first_line("/proc/sys/kernel/hostname") or first_line("/etc/hostname") or "localhost")
    :gsub("[^%w_.%-]", "")
  local pid = (first_line("/proc/self/stat") or ""):match("^(%d+)")
  if not pid then pid = string.format("%x", math.floor(require("pinanalytics.core").now() * 1e6) % 0x7fffffff) end
  return (host ~= "" and host or "localhost") .. ":" .. pid
end

-- luv when it loads outside Neovim: the accounts' syncs then run side by
-- side; without it, one after another.
local function luv()
  if type(rawget(_G, "vim")) == "table" then return nil end
  -- Lua 5.1 (not LuaJIT) cannot yield across the pcalls of a store's sync:
  -- there the accounts run one after another
  if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then return nil end
  local ok, lib = pcall(require, "luv")
  if not ok and errors.is_interrupt(lib) then error(lib, 0) end
  return ok and type(lib) == "table" and lib.new_signal and lib or nil
end

-- An account's outcome as its summary line says it, and whether it failed:
-- "synced" (everything asked for is in the store, warnings aside),
-- "failed" (stopped early, pins or figures failed, days missing).
local function account_line(name, o)
  if o.state == "elsewhere" then
    return string.format("account %s: already synced in this round (%s, by %s)", name, o.round, o.by)
  elseif o.state == "failed_elsewhere" then
    return string.format("account %s: failed at %s during this run (tried again by the next run): %s", name, o.by,
      o.error or "")
  elseif o.state == "not_run" then
    return string.format("account %s: not synced: %s", name, o.error)
  end
  local res, d = o.res, o.digest
  if not res or not res.account then return string.format("account %s: failed: %s", name, o.error) end
  local id = res.account and res.account.id and (" (" .. res.account.id .. ")") or ""
  local text = string.format("account %s%s: %s, %s, %d days written, %d days not READY yet, %d days missing, " ..
    "%d pins failed, %s", name, id, plural(res.pins, "pin"), plural(res.requests, "request"), res.days_written,
    res.days_not_ready, d.lost_days, #d.failed, plural(#d.warnings, "warning"))
  if o.error then text = text .. "; failed: " .. o.error end
  return text
end

-- sync --all-accounts: every account of the credentials file, side by side
-- (see the help). Accounts are claimed through the store (store:claims),
-- so that workers on several hosts share them.
local function all_accounts(ctx, cmd, opts, target, ids, days)
  local pa = require "pinanalytics"
  local core = require "pinanalytics.core"
  local runtime = require "pinanalytics.runtime"
  if opts["--token-file"] then
    usage(cmd, "--token-file does not go with --all-accounts: each account's token comes from the credentials file")
  end
  if type(ids) == "table" then
    usage(cmd, "--pins names one account's pins: with --all-accounts give --all-pins and/or --account")
  end
  if opts["--account-name"] then
    usage(cmd, "--account-name picks one account: --all-accounts syncs every account of the credentials file")
  end
  local jobs = whole(cmd, opts, "--jobs", 1, 1024, "accounts at once") or DEFAULT_JOBS
  local lease = whole(cmd, opts, "--lease", 1, 86400, "seconds")
  local path = opts["--credentials"]
  if not path then
    local why
    path, why = pa.credentials.default_path(ctx.getenv)
    if not path then usage(cmd, "%s: give --credentials FILE", why) end
  end
  if path == "" then usage(cmd, "--credentials needs a file's path") end
  -- a file, or a team's postgresql:// URI (its password never shown)
  local cstore = call(cmd, pa.credentials.open, path)
  local list, lerr = cstore:list()
  if cstore.close then cstore:close() end -- a URI's connection: each client opens its own
  if not list then failure("%s", strip_prefix(line(lerr))) end
  if #list == 0 then
    failure("no account in the credentials %s: pinanalytics login adds one",
      (path:match("^postgres") and "" or "file ") .. require("pinanalytics.cli.store").shown_target(path))
  end
  local names = {}
  for i, a in ipairs(list) do names[i] = a.account end
  local client_id, client_secret = app_credentials(ctx, cmd, opts)
  local base_url = opts["--base-url"] or ctx.getenv("PINTEREST_BASE_URL")
  if base_url == "" then base_url = nil end
  local retries = whole(cmd, opts, "--retries", 0, 100)
  local loop = luv()
  local function client_opts(name)
    return { credentials = path, account = name, client_id = client_id, client_secret = client_secret,
      base_url = base_url, retries = retries, clock = ctx.clock, runtime = loop and "uv" or nil,
      hold_signals = true } -- the tool's own process: Ctrl-C waits while a refresh's answer is saved
  end
  -- a wrong option (--base-url) is said once, before anything is done
  call(cmd, pa.pinterest, client_opts(names[1])):close()

  local st = open_store(ctx, cmd, target)
  local round = pa.dates.today(ctx.clock)
  local worker = worker_name()
  local claims, cerr = st:claims { worker = worker, round = round, lease = lease }
  if not claims then failure("%s", strip_prefix(line(cerr))) end
  local ok_reg, rerr = claims:register(names)
  if not ok_reg then failure("%s", strip_prefix(line(rerr))) end

  local outcome = {} -- by name: { state, res, digest, error }
  local bar
  local finished, nfailed = 0, 0
  if not opts["--no-progress"] and ctx.isatty(2) and #names > 1 then
    bar = new_bar(ctx.stderr, core.now, #names, "accounts")
  end
  local function tick(failed)
    finished = finished + 1
    if failed then nfailed = nfailed + 1 end
    if bar then bar:update(finished, #names, nfailed) end
  end
  ctx.kept = function()
    return "the sync stopped; the store keeps what it wrote (each part is written whole), the accounts it held " ..
      "are free for another sync, and the next sync resumes from there"
  end
  local sopts_of = function()
    return { pins = ids, account = opts["--account"] == true, days = days,
      on_progress = function() claims:renew() end }
  end

  -- one account: its own client, its own pacing; a failure of its own is
  -- its outcome, never the others'
  local function sync_one(name)
    local made, client = pcall(pa.pinterest, client_opts(name))
    if not made then
      if errors.is_interrupt(client) then error(client, 0) end
      return { state = "failed", error = strip_prefix(line(client)) }
    end
    local ran, res, err = runtime.pcall(st.sync, st, client, sopts_of())
    client:close()
    if not ran then
      if errors.is_interrupt(res) or ctx.interrupted then error(res, 0) end
      return { state = "failed", error = "internal error: " .. line(res) .. " (a bug in pinanalytics: please " ..
        "report it)" }
    end
    local o = { res = res, digest = digest(res) }
    local why = {}
    if err then
      local msg = strip_prefix(line(err))
      if err.kind == "auth" or err.status == 401 then
        msg = msg .. " (its tokens were refused: pinanalytics login renews the account)"
      end
      why[1] = "the sync stopped early: " .. msg
    end
    for _, u in ipairs(undone_of(res, o.digest)) do why[#why + 1] = u end
    o.state = #why > 0 and "failed" or "synced"
    o.error = #why > 0 and table.concat(why, "; ") or nil
    return o
  end

  -- a worker: claims an account, syncs it, records the outcome; waits for
  -- the leases others hold (an account whose worker died is claimed once
  -- its lease runs out), until nothing is left in the round
  local sleep = loop and require("pinanalytics.runtime.uv").new().sleep or core.sleep
  local store_error
  local function work()
    while not store_error and not ctx.interrupted do
      local name, wait = claims:claim(names)
      if not name then
        if wait and wait.kind then store_error = wait return end
        if wait.leased == 0 then return end
        sleep(math.min(1, (wait.next_in or 1) + 0.05))
      else
        local o = sync_one(name)
        outcome[name] = o
        local recorded, werr
        if o.state == "synced" then
          recorded, werr = claims:done(name)
        else
          recorded, werr = claims:failed(name, o.error)
        end
        if recorded == nil then store_error = werr end
        tick(o.state ~= "synced")
      end
    end
  end

  local interrupted = false
  if loop then
    local left = math.min(jobs, #names)
    local failures = {}
    local sig = loop.new_signal()
    sig:start("sigint", function()
      interrupted = true
      loop.stop()
    end)
    -- the leases are renewed while the syncs wait on the network
    local renew_every = math.max(0.5, (lease or require("pinanalytics.store.claims").LEASE) / 3)
    local timer = loop.new_timer()
    timer:start(math.floor(renew_every * 1000), math.floor(renew_every * 1000), function() claims:renew() end)
    local n = left
    for _ = 1, n do
      pa.async(work, function(ok, e)
        if not ok then
          failures[#failures + 1] = e
          if errors.is_interrupt(e) then interrupted = true end
        end
        left = left - 1
        if left == 0 or interrupted then loop.stop() end
      end)
    end
    if left > 0 and not interrupted then loop.run() end
    timer:stop()
    timer:close()
    sig:stop()
    sig:close()
    loop.run("nowait") -- the handles' close (luv 1.44 crashes at exit on a handle closed after its loop last ran)
    if not interrupted and not ctx.interrupted and left > 0 then
      failures[#failures + 1] = "pinanalytics: the accounts' syncs did not all end"
    end
    if interrupted or ctx.interrupted then
      for held in pairs(claims.held) do claims:release(held) end
      error(setmetatable({}, errors.Interrupt), 0)
    end
    if failures[1] ~= nil then error(failures[1], 0) end
  else
    local ok, e = pcall(work)
    if not ok then
      for held in pairs(claims.held) do claims:release(held) end
      error(e, 0)
    end
  end
  if bar then bar:finish() end

  -- the accounts this worker did not sync: done or failed elsewhere in this run
  local status = claims:status(names) or {}
  for _, name in ipairs(names) do
    if not outcome[name] then
      local row = status[name] or {}
      if row.synced_round == round then
        outcome[name] = { state = "elsewhere", round = round, by = row.synced_by or "?" }
      elseif row.failed_by then
        outcome[name] = { state = "failed_elsewhere", by = row.failed_by, error = row.error }
      else
        outcome[name] = { state = "not_run", error = store_error and ("the store failed: " ..
          strip_prefix(line(store_error))) or "left for the next sync" }
      end
    end
  end
  st:close()

  -- the summary: a line an account, then the total
  local out = {}
  local totals = { requests = 0, days = 0, not_ready = 0, missing = 0, pins_failed = 0, warnings = 0, pins = 0 }
  local mine, failed, elsewhere = 0, {}, 0
  for _, name in ipairs(names) do
    local o = outcome[name]
    out[#out + 1] = account_line(name, o)
    if o.res then
      local r, dg = o.res, o.digest
      totals.requests = totals.requests + r.requests
      totals.days = totals.days + r.days_written
      totals.not_ready = totals.not_ready + r.days_not_ready
      totals.missing = totals.missing + dg.lost_days
      totals.pins_failed = totals.pins_failed + #dg.failed
      totals.warnings = totals.warnings + #dg.warnings
      totals.pins = totals.pins + r.pins
    end
    if o.state == "synced" or o.state == "failed" then mine = mine + 1 end
    if o.state == "failed" or o.state == "not_run" then failed[#failed + 1] = name end
    if o.state == "elsewhere" then elsewhere = elsewhere + 1 end
  end
  ctx.kept = nil
  out[#out + 1] = string.format("synced %s: %s of %d here, %d failed%s; %s, %s, %d days written, " ..
    "%d days not READY yet, %d days missing, %d pins failed, %s\n", shown_target(target), plural(mine, "account"),
    #names, #failed, elsewhere > 0 and string.format(", %d already synced in this round", elsewhere) or "",
    plural(totals.pins, "pin"), plural(totals.requests, "request"), totals.days, totals.not_ready, totals.missing,
    totals.pins_failed, plural(totals.warnings, "warning"))
  emit(ctx, "the sync's summary", table.concat(out, "\n"), string.format(" (the store keeps the %s the sync wrote)",
    plural(totals.days, "day")))
  -- on standard error: what each account did not do
  for _, name in ipairs(names) do
    local o = outcome[name]
    if o.res then details(ctx, "account " .. name .. ": ", o.res, o.digest, nil) end
  end
  -- the accounts whose login runs out soon (a refresh token is good 60
  -- days unless used): said with the command that renews it
  local after = cstore:list() or {}
  local now = os.time()
  for _, a in ipairs(after) do
    local exp = tonumber(a.refresh_expires_at)
    if exp then
      local left = api.days_left(exp, now)
      local renew = api.login_command(opts)
      if exp <= now then
        ctx.stderr:write(output.scrub(string.format("pinanalytics: warning: the refresh token of account %s expired " ..
          "on %s: run `%s` and sign in as %s to renew it", a.account, os.date("!%Y-%m-%d", exp), renew, a.account),
          ctx.secrets), "\n")
      elseif left < api.WARN_DAYS then
        ctx.stderr:write(output.scrub(string.format("pinanalytics: warning: the refresh token of account %s expires " ..
          "in %d day%s (%s UTC) unless it is used: run `%s` and sign in as %s to renew it", a.account, left,
          left == 1 and "" or "s", os.date("!%Y-%m-%d %H:%M", exp), renew, a.account), ctx.secrets), "\n")
      end
    end
  end
  if store_error then
    failure("the store failed: %s; what was written is kept, and the next sync resumes from there",
      strip_prefix(line(store_error)))
  end
  if #failed > 0 then
    failure("%d of %s failed: %s; the next sync tries them again", #failed, plural(#names, "account"),
      table.concat(failed, ", "))
  end
  return nil
end

function sync.run(ctx, cmd, p)
  local opts = p.opts
  if opts["--ads"] then return require("pinanalytics.cli.sync_ads").run(ctx, cmd, p) end
  if opts["--account-id"] then usage(cmd, "--account-id goes with --ads (an ad account to sync)") end
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
  if opts["--all-accounts"] then return all_accounts(ctx, cmd, opts, target, ids, days) end
  for _, name in ipairs({ "--jobs", "--lease" }) do
    if opts[name] then usage(cmd, "%s goes with --all-accounts", name) end
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

  local d = digest(res)
  local who = ""
  if res.account then
    who = ", account " .. safe(res.account.username and (res.account.username .. " (" .. res.account.id .. ")")
      or res.account.id)
  end
  ctx.kept = nil
  emit(ctx, "the sync's summary", string.format("synced %s%s: %s, %s, %d days written, %d days not READY yet, %s%s%s\n",
    shown_target(target), who, plural(res.pins, "pin"), plural(res.requests, "request"), res.days_written,
    res.days_not_ready, plural(d.nerr, "error"),
    d.lost_days > 0 and (", " .. plural(d.lost_days, "day") .. " not fetched (no longer served)") or "",
    #d.warnings > 0 and (", " .. plural(#d.warnings, "warning")) or ""),
    string.format(" (the store keeps the %s the sync wrote)", plural(res.days_written, "day")))
  details(ctx, "", res, d, err)
  if err then
    failure("the sync stopped early: %s; what it wrote is kept, and the next sync resumes from there",
      strip_prefix(line(err)))
  end
  -- what the sync did not do: exit 1, so that cron notices
  local undone = undone_of(res, d)
  if #undone > 0 then failure("%s", table.concat(undone, "; ")) end
  return nil
end

return { sync = sync }
