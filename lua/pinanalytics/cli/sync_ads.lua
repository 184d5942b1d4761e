--- `pinanalytics sync --ads`: ads analytics into a store with async reports
-- (pinanalytics.store.ads): up to 914 days back on the first run, then the
-- days missing or not final; one summary line, then on standard error what
-- it did not do.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local progress_bar = require "pinanalytics.cli.progress"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local safe, emit = output.safe, output.emit

local M = {}

--- The options `sync --ads` takes (the others of sync are refused with it).
M.OPTIONS = { "--ads", "--store", "--account-id", "--days", "--base-url", "--token-file", "--retries",
  "--no-progress", "--help", "--account", "--credentials", "--app-file" }

--- What sync's help says of it.
M.HELP = [[
Ads analytics (sync --ads):
  pinanalytics sync --ads --store TARGET [--account-id ID] [--days N]

  --ads               the ad accounts' daily figures (spend, paid impressions and
                      clicks, conversions, checkout value) by account and campaign,
                      with async reports: the first run holds up to 914 days back,
                      the next ones fetch the days missing and those not final (a day
                      may change for 30 days, as conversions are attributed), at most
                      once a day; ads overview and ads campaigns read them with
                      --from-store TARGET
  --account-id ID     this ad account (default: every one the token's user can act for)
  --days N            with --ads: how far back to hold, 1 to 914 (default 914)
]]

local function plural(n, word)
  return string.format("%d %s%s", n, word, n == 1 and "" or "s")
end

--- Runs `sync --ads`.
-- @tab ctx the tool's context
-- @string cmd "sync"
-- @tab p the parsed arguments
function M.run(ctx, cmd, p)
  local opts = p.opts
  local allowed = {}
  for _, o in ipairs(M.OPTIONS) do allowed[o] = true end
  for o in pairs(opts) do
    if not allowed[o] then usage(cmd, "sync --ads does not take %s (it syncs ads analytics alone)", o) end
  end
  if #p.args > 0 then usage(cmd, "sync takes no argument ('%s')", p.args[1]) end
  local target = store.store_target(cmd, opts, "--store")
  local id = opts["--account-id"]
  if id and (not id:match("^%d+$") or #id > 18) then usage(cmd, "--account-id must be digits (at most 18), got %s", id) end
  local days = options.whole(cmd, opts, "--days", 1, 914, "days") or 914
  if target:match("^%a[%w+.-]*://") and not store.is_uri(target) then
    usage(cmd, "--store %s: a store is a SQLite file path or a postgresql:// URI", target:match("^%a[%w+.-]*://"))
  end
  local client = api.pinterest_client(ctx, cmd, opts)
  local ok, st = pcall(store.open_store, ctx, cmd, target)
  if not ok then
    client:close()
    error(st, 0)
  end
  local so_far
  ctx.kept = function()
    return string.format("the sync stopped; the store keeps the %s it wrote (each report is written whole), and " ..
      "the next sync resumes from there", so_far and plural(so_far.days_written, "day") or "days")
  end
  local res, err = call(cmd, st.sync_ads, st, client, { ad_account_ids = id and { id } or nil, days = days,
    on_report = function(_, r)
      so_far = r
      progress_bar.after_run(ctx) -- a Ctrl-C caught by the client's callback stops the sync here
    end })
  progress_bar.after_run(ctx)
  client:close()
  st:close()
  ctx.kept = nil
  if not res then failure("the ads sync did not start: %s", strip_prefix(line(err))) end
  local levels, asked = {}, 0
  for _, a in ipairs(res.accounts) do
    for lv, x in pairs(a.levels) do levels[lv] = true; asked = asked + x.days_asked end
  end
  local nlevels = 0
  for _ in pairs(levels) do nlevels = nlevels + 1 end
  local entities = 0
  for _, a in ipairs(res.accounts) do entities = entities + a.entities end
  emit(ctx, "the sync's summary", string.format("synced ads into %s: %s, %s, %s, %s asked, %s written " ..
    "(%s), %s\n", store.shown_target(target), plural(#res.accounts, "ad account"), plural(entities, "campaign"),
    plural(res.reports, "report"), plural(asked, "day"), plural(res.days_written, "day"),
    plural(res.rows, "row"), plural(#res.failures, "failure")))
  -- what it did not do, a line each
  for _, f in ipairs(res.failures) do
    ctx.stderr:write(safe(string.format("not synced: ad account %s%s%s: %s\n", f.ad_account_id,
      f.level and (", level " .. f.level) or "",
      f.start_date and (", days " .. f.start_date .. ".." .. f.end_date) or "",
      strip_prefix(line(f.error)))))
  end
  if #res.failures > 0 then
    failure("the ads sync did not fetch everything: %s (the next sync asks for them again)",
      plural(#res.failures, "failure"))
  end
  return nil
end

return M
