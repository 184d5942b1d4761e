--- The `overview` command: the account over the period against the period
-- just before it, and the rankings of its pins (fetched concurrently with a
-- progress bar), from the API or from a store (--from-store).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local progress_bar = require "pinanalytics.cli.progress"
local api = require "pinanalytics.cli.api"
local store = require "pinanalytics.cli.store"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix, is_interrupt, Interrupt = errors.strip_prefix, errors.is_interrupt, errors.Interrupt
local PERIOD_HELP, COMMON, with, whole = options.PERIOD_HELP, options.COMMON, options.with, options.whole
local period, metrics, MAX_ROWS = options.period, options.metrics, options.MAX_ROWS
local ACCOUNT_METRICS, RANKING_METRICS = options.ACCOUNT_METRICS, options.RANKING_METRICS
local OUTPUT_HELP = output.OUTPUT_HELP
local new_bar, progress, after_run = progress_bar.new_bar, progress_bar.progress, progress_bar.after_run
local progress_wanted = progress_bar.progress_wanted
local PINTEREST_HELP, pinterest_client = api.PINTEREST_HELP, api.pinterest_client
local report_failures = api.report_failures
local STORE_HELP, stored, store_for_reading = store.STORE_HELP, store.stored, store.store_for_reading
local days_of, stored_pins = store.days_of, store.stored_pins

local overview = {}

-- the options it takes
overview.options = with(COMMON, "--retries", "--pins", "--no-progress", "--from-store", "--account-name", "--images",
  "--account", "--credentials", "--app-file")

overview.help = [[
usage: pinanalytics overview [OPTIONS]

The account over the period against the period of the same length just
before it: each metric in both periods, its change (a rate's in percentage
points) and its trend; then the rankings of the account's pins (the first
--pins of GET /pins), fetched concurrently with a progress bar on standard
error when it is a terminal. A previous period reaching past Pinterest's 90
days is cut short, and the report says the periods differ in length.
With --from-store, the figures come from the store: the rankings take the
pins it holds, and a previous period reaching past what it holds is cut
short the same way.

]] .. PERIOD_HELP .. [[

  --metrics LIST      the metrics to compare (default: every metric of the account)
  --pins N            rank the account's first N pins, 0 to 100000 (default 100; 0: no
                      rankings; from a store: every pin held, or the first N by id)
  --no-progress       no progress bar, even on a terminal
]] .. api.IMAGES_HELP .. [[

]] .. OUTPUT_HELP .. "\n" .. STORE_HELP .. "\n" .. PINTEREST_HELP .. [[

Example:
  pinanalytics overview --last 7
  pinanalytics overview --preset last_30_days --format html --output overview.html
  pinanalytics overview --last 90 --from-store analytics.db
]]

-- overview --from-store
local function overview_from_store(ctx, cmd, p, range, wanted)
  local pa = require "pinanalytics"
  local opts = p.opts
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins")
  local st, ro, source = store_for_reading(ctx, cmd, opts)
  -- both periods as asked: the days the store does not hold are the
  -- reports' missing days (a period without any: its figures and the
  -- changes absent)
  local cur = stored(cmd, st.analytics, st, "account", range, wanted, ro)
  local prev_range = range:previous()
  local prev = stored(cmd, st.analytics, st, "account", prev_range, wanted, ro)
  if not wanted and #days_of(cur) == 0 and #days_of(prev) == 0 then wanted = ACCOUNT_METRICS end
  local results, meta
  if npins ~= 0 then
    local got, _, n = stored_pins(cmd, st, ro, range, RANKING_METRICS, npins)
    if n > 0 then
      results = got
      local ids = {}
      for id in pairs(got) do ids[#ids + 1] = id end
      meta = store.stored_meta(cmd, st, ro, ids)
    end
  end
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted, meta = meta })
  ov.source = source
  return ov
end

-- Runs the functions of `tasks` side by side when `loop` (luv) is given:
-- each in a task of pinanalytics.async, where the calls of a client made
-- with runtime = "uv" wait together (paced by the client's buckets, as
-- every call is), until all have ended; else one after another. Returns
-- each one's result, in order; the first error raised, in the order of
-- `tasks`, is raised once all have ended, told apart as errors.call tells
-- them (a task calls the client itself: Lua 5.1's pcall cannot be yielded
-- across). Ctrl-C while they run (SIGINT,
-- which the loop takes while it runs) stops the loop and is raised.
local function together(ctx, cmd, loop, tasks)
  local out, errs, n = {}, {}, #tasks
  if not loop then
    for i, f in ipairs(tasks) do out[i] = call(cmd, f) end
    return out
  end
  local pa = require "pinanalytics"
  local left, interrupted = n, false
  local sig = loop.new_signal()
  sig:start("sigint", function()
    interrupted = true
    loop.stop()
  end)
  for i, f in ipairs(tasks) do
    pa.async(f, function(ok, r)
      if ok then out[i] = r else errs[i] = r end
      if not ok and is_interrupt(r) then interrupted = true end
      left = left - 1
      if left == 0 or interrupted then loop.stop() end
    end)
  end
  if left > 0 and not interrupted then loop.run() end
  sig:stop()
  sig:close()
  -- the loop runs once more, for the handle's close (luv 1.44 crashes at exit
  -- on a handle closed after its loop last ran)
  loop.run("nowait")
  if interrupted or ctx.interrupted then error(setmetatable({}, Interrupt), 0) end
  if left > 0 then error("pinanalytics: the overview's requests did not all end", 0) end
  for i = 1, n do
    if errs[i] ~= nil then call(cmd, error, errs[i], 0) end
  end
  return out
end

-- luv, when it loads (Debian's lua-luv; Neovim's own loop): the overview's
-- requests then go out together; without it, one after another.
local function luv()
  local vim = rawget(_G, "vim")
  if type(vim) == "table" then return nil end -- the editor's loop is its own: one after another
  local ok, lib = pcall(require, "luv")
  if not ok and is_interrupt(lib) then error(lib, 0) end
  return ok and type(lib) == "table" and lib.new_signal and lib or nil
end

function overview.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range = period(cmd, opts, pa.dates, ctx.clock)
  local wanted = metrics(opts, true)
  if opts["--from-store"] then return overview_from_store(ctx, cmd, p, range, wanted) end
  local npins = whole(cmd, opts, "--pins", 0, MAX_ROWS, "pins") or 100
  local prev_range = range:previous()
  local earliest = pa.dates.add_days(pa.dates.today(ctx.clock), -90)
  if prev_range.end_date < earliest then
    usage(cmd, "the period before %s is %s, and Pinterest serves only the last 90 days (from %s): give a " ..
      "shorter period (up to 45 days, both periods are compared in full; longer, the previous one is cut short)",
      tostring(range), tostring(prev_range), earliest)
  end
  local loop = luv()
  local bar_client
  local wanted_bar = progress_wanted(ctx, opts, npins)
  local extra = {}
  if wanted_bar then
    extra.on_progress = progress(ctx, function(done, total, failed)
      if bar_client then bar_client:update(done, total, failed) end
    end)
  end
  if loop then extra.runtime = "uv" end
  local client = pinterest_client(ctx, cmd, opts, extra)
  -- the two periods and the pins (their list, then their figures) are independent
  local function account(params)
    return function() return { client:user_account_analytics(params) } end
  end
  local function pins()
    if npins == 0 then return {} end
    local ids, held = {}, {}
    local pager = client:list_pins { page_size = math.min(npins, 250) }
    -- page by page (a generic for's iterator cannot yield on Lua 5.1), not a page more than needed
    while #ids < npins do
      local items = pager:next_page()
      if not items then break end
      for _, pin in ipairs(items) do
        if #ids >= npins then break end
        ids[#ids + 1] = pin.id
        held[pin.id] = pin -- what the pin is, for the rankings: no request more
      end
    end
    if pager.err and #ids < npins then return { list_err = pager.err } end
    if #ids == 0 then return {} end
    if wanted_bar and #ids > 1 then
      bar_client = new_bar(ctx.stderr, require("pinanalytics.core").now, #ids)
    end
    local results, errs, pinfo = client:pins_analytics(ids, { range = range, metric_types = RANKING_METRICS })
    if bar_client then bar_client:finish() end
    return { ids = ids, results = results, errs = errs, info = pinfo, held = held }
  end
  -- the board names, for what the ranked pins are (GET /boards), beside the rest
  local function boards()
    if npins == 0 then return {} end
    return { require("pinanalytics.pinmeta").boards(client) }
  end
  local ok, got = pcall(together, ctx, cmd, loop, {
    account({ range = range, metric_types = wanted }),
    account({ range = prev_range, metric_types = wanted, clamp = true }),
    pins,
    boards,
  })
  -- what the ranked pins are: their list's items and the board names, no request more
  local meta
  if ok and got[3].results then
    local ranked = {}
    for _, id in ipairs(got[3].ids) do if got[3].results[id] then ranked[#ranked + 1] = id end end
    if #ranked > 0 then
      ok, meta = pcall(api.fetch_meta, client, ranked, got[3].held, got[4][1])
      if not ok then got = meta end
    end
  end
  client:close()
  if not ok then error(got, 0) end
  after_run(ctx)
  local cur, err = got[1][1], got[1][2]
  if not cur then failure("%s", strip_prefix(line(err))) end
  local prev, perr, info = got[2][1], got[2][2], got[2][3]
  if not prev then failure("%s", strip_prefix(line(perr))) end
  if info and info.range then prev_range = info.range end
  local fetched, results, note = got[3], nil, nil
  if fetched.list_err then failure("%s", strip_prefix(line(fetched.list_err))) end
  if fetched.ids then
    local ids = fetched.ids
    results = fetched.results
    local failed = report_failures(ctx, ids, fetched.errs)
    if failed == #ids then
      failure("the rankings: all %d pins failed%s", #ids,
        fetched.info and fetched.info.quota and (": " .. strip_prefix(line(fetched.info.quota))) or "")
    end
    if failed > 0 then note = string.format("%d of %d pins failed; the rankings leave them out", failed, #ids) end
  end
  local ov = call(cmd, pa.report.overview, cur, prev, { pins = results, range = range, previous_range = prev_range,
    metrics = wanted, meta = meta })
  return ov, note
end

return { overview = overview }
