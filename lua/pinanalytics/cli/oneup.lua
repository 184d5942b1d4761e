--- The OneUp commands: `oneup-overview` (OneUp's overview of an account,
-- against the previous period) and `oneup-posts` (its posts with their
-- figures), from OneUp's analytics API.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"

local usage, failure, call, line = errors.usage, errors.failure, errors.call, errors.line
local strip_prefix = errors.strip_prefix
local PERIOD_HELP, COMMON, with, whole = options.PERIOD_HELP, options.COMMON, options.with, options.whole
local period, metrics, MAX_ROWS = options.period, options.metrics, options.MAX_ROWS
local OUTPUT_HELP = output.OUTPUT_HELP
local ONEUP_HELP, oneup_client = api.ONEUP_HELP, api.oneup_client

local overview, posts = {}, {}

-- the options they take
overview.options = with(COMMON, "--social-network-id", "--timezone")
posts.options = with(COMMON, "--social-network-id", "--timezone", "--sort-by", "--limit")

overview.help = [[
usage: pinanalytics oneup-overview --social-network-id ID [OPTIONS]

OneUp's overview of a Pinterest account (GET /api/pinterest/overview): each
metric in the period and the one before, its change, and OneUp's rankings of
the posts. The API key comes from ONEUP_API_KEY or --token-file.

]] .. PERIOD_HELP .. [[
  (OneUp's presets are last_7_days, last_30_days and last_90_days; a period
  ends yesterday at the latest)

  --metrics LIST      the metrics to show, by key or name (e.g. impressions,saves)

]] .. OUTPUT_HELP .. "\n" .. ONEUP_HELP .. [[

Example:
  pinanalytics oneup-overview --social-network-id 123 --preset last_7_days
]]

posts.help = [[
usage: pinanalytics oneup-posts --social-network-id ID [OPTIONS]

OneUp's posts of a Pinterest account (GET /api/pinterest/posts), a row a
post with its figures. The API key comes from ONEUP_API_KEY or --token-file.

]] .. PERIOD_HELP .. [[

  --sort-by KEY       sort by that figure, highest first (e.g. impressions)
  --limit N           at most N posts (1 to 100000)
  --metrics LIST      the figures to show (e.g. impressions,saves)

]] .. OUTPUT_HELP .. "\n" .. ONEUP_HELP .. [[

Example:
  pinanalytics oneup-posts --social-network-id 123 --last 30 --sort-by saves --format csv
]]

-- OneUp's period: its preset when one of OneUp's was named, else the range
local function oneup_params(cmd, opts, range, preset)
  local id = opts["--social-network-id"]
  if id == nil then usage(cmd, "%s needs --social-network-id ID (the OneUp account)", cmd) end
  if not id:match("^%d+$") or #id > 20 then
    usage(cmd, "--social-network-id must be the account's number (up to 20 digits), got %s", id)
  end
  local params = { social_network_id = id, timezone = opts["--timezone"] }
  local oneup = require "pinanalytics.oneup"
  local known = false
  for _, name in ipairs(oneup.PRESETS) do if name == preset then known = true end end
  if known then params.preset = preset else params.range = range end
  return params
end

function overview.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range, preset = period(cmd, opts, pa.dates, ctx.clock)
  local params = oneup_params(cmd, opts, range, preset)
  local client = oneup_client(ctx, cmd, opts)
  local data, err = call(cmd, client.overview, client, params)
  client:close()
  if not data then failure("%s", strip_prefix(line(err))) end
  local wanted = metrics(opts, false)
  if wanted then
    local keep = {}
    for _, m in ipairs(wanted) do keep[m:lower()] = true end
    local kept = {}
    for _, m in ipairs(data.metrics) do
      if keep[tostring(m.key):lower()] or keep[tostring(m.name):lower()] then kept[#kept + 1] = m end
    end
    if #kept == 0 then
      local names = {}
      for _, m in ipairs(data.metrics) do names[#names + 1] = tostring(m.key) end
      usage(cmd, "--metrics %s: OneUp sent none of them (it sent %s)", opts["--metrics"], table.concat(names, ", "))
    end
    data.metrics = kept
  end
  return pa.report.overview(data, { range = range })
end

function posts.run(ctx, cmd, p)
  local pa = require "pinanalytics"
  local opts = p.opts
  local range, preset = period(cmd, opts, pa.dates, ctx.clock)
  local params = oneup_params(cmd, opts, range, preset)
  local limit = whole(cmd, opts, "--limit", 1, MAX_ROWS, "posts")
  local client = oneup_client(ctx, cmd, opts)
  local data, err = call(cmd, client.posts, client, params)
  client:close()
  if not data then failure("%s", strip_prefix(line(err))) end
  return call(cmd, pa.report.pins, data, { title = "OneUp posts", range = range, sort_by = opts["--sort-by"],
    limit = limit, metrics = metrics(opts, false) })
end

return { ["oneup-overview"] = overview, ["oneup-posts"] = posts }
