--- The command-line tool's connection to the APIs: the token or key (from
-- --token-file or the environment, never an argument), the Pinterest and
-- OneUp clients made from the options (--base-url, --retries), and many
-- pins fetched at once with a progress bar, their failures named on
-- standard error.
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local progress_bar = require "pinanalytics.cli.progress"

local usage, failure, call = errors.usage, errors.failure, errors.call
local line, strip_prefix = errors.line, errors.strip_prefix
local whole, safe = options.whole, output.safe
local new_bar, progress, after_run = progress_bar.new_bar, progress_bar.progress, progress_bar.after_run
local progress_wanted = progress_bar.progress_wanted

-- the connection's options, as each command's help lists them
local PINTEREST_HELP = [[
Connection:
  --token-file FILE   read the access token from FILE (- for standard input) instead of
                      PINTEREST_ACCESS_TOKEN; never give a token as an argument
  --base-url URL      the API (default PINTEREST_BASE_URL, else https://api.pinterest.com/v5)
  --retries N         tries again after a failure that may pass (0 to 100, default 5)
]]

local ONEUP_HELP = [[
Connection:
  --social-network-id ID   the OneUp account (required)
  --timezone ZONE     the days' time zone, e.g. Europe/Paris (OneUp's default: UTC)
  --token-file FILE   read the API key from FILE (- for standard input) instead of
                      ONEUP_API_KEY; never give a key as an argument
  --base-url URL      the API (default ONEUP_BASE_URL, else https://analyze.oneupapp.io)
]]

-- s without the white space around it
local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- The token: --token-file, else the environment variable.
local function secret(ctx, cmd, opts, var)
  local file = opts["--token-file"]
  if file then
    local s
    if file == "-" then
      s = ctx.stdin:read("*a")
    else
      local f, why = io.open(file, "rb")
      if not f then
        failure("cannot read the token file %s: %s", file, tostring(why):match(": ([^:]+)$") or tostring(why))
      end
      s = f:read("*a")
      f:close()
    end
    s = trim((s or ""):match("^[^\n]*") or "")
    if s == "" then failure("the token file %s is empty", file == "-" and "(standard input)" or file) end
    return s
  end
  local v = ctx.getenv(var)
  if v == nil or trim(v) == "" then
    usage(cmd, "no token: set %s in the environment, or give --token-file FILE (never the token itself as an " ..
      "argument: other users see arguments in ps)", var)
  end
  return trim(v)
end

-- The Pinterest client of the options (extra: more of its options).
local function pinterest_client(ctx, cmd, opts, extra)
  local pa = require "pinanalytics"
  local token = secret(ctx, cmd, opts, "PINTEREST_ACCESS_TOKEN")
  ctx.secrets[#ctx.secrets + 1] = token
  local o = { token = token, base_url = opts["--base-url"] or ctx.getenv("PINTEREST_BASE_URL"),
    retries = whole(cmd, opts, "--retries", 0, 100), clock = ctx.clock }
  if o.base_url == "" then o.base_url = nil end
  for k, v in pairs(extra or {}) do o[k] = v end
  return call(cmd, pa.pinterest, o)
end

-- The OneUp client of the options.
local function oneup_client(ctx, cmd, opts)
  local pa = require "pinanalytics"
  local key = secret(ctx, cmd, opts, "ONEUP_API_KEY")
  ctx.secrets[#ctx.secrets + 1] = key
  local base = opts["--base-url"] or ctx.getenv("ONEUP_BASE_URL")
  if base == "" then base = nil end
  return call(cmd, pa.oneup, { api_key = key, base_url = base, clock = ctx.clock })
end

-- pins_analytics with a progress bar: results, errors, info
local function fetch_pins(ctx, cmd, opts, ids, params, make_client)
  local seen, unique = {}, {}
  for _, id in ipairs(ids) do
    if not seen[id] then seen[id] = true; unique[#unique + 1] = id end
  end
  local bar
  local wanted = progress_wanted(ctx, opts, #unique)
  local client = make_client(wanted and {
    on_progress = progress(ctx, function(done, total, failed) if bar then bar:update(done, total, failed) end end),
  } or nil)
  if wanted then
    bar = new_bar(ctx.stderr, require("pinanalytics.core").now, #unique)
  end
  local results, errs, info = call(cmd, client.pins_analytics, client, unique, params)
  after_run(ctx)
  if bar then bar:finish() end
  return results, errs, info, unique, client
end

-- What the pins of ids are (pinanalytics.pinmeta), for the reports: a
-- GET /pins/{pin_id} a pin not in items (pins of GET /pins, by id), paced by
-- the client, and the board names once. A pin that cannot be fetched is in
-- the answer with why, which the report shows beside its id.
local function fetch_meta(client, ids, items, boards)
  return (require("pinanalytics.pinmeta").fetch(client, ids, { items = items, boards = boards }))
end

-- "pin 404404: not_found: ..." for each failed pin, in the order asked
local function report_failures(ctx, ids, errs)
  local n = 0
  for _, id in ipairs(ids) do
    if errs[id] then
      n = n + 1
      ctx.stderr:write("pinanalytics: pin ", id, ": ", safe(strip_prefix(line(errs[id]))), "\n")
    end
  end
  return n
end

return {
  PINTEREST_HELP = PINTEREST_HELP, ONEUP_HELP = ONEUP_HELP,
  pinterest_client = pinterest_client, oneup_client = oneup_client,
  fetch_pins = fetch_pins, report_failures = report_failures, fetch_meta = fetch_meta,
  IMAGES_HELP = "  --images            html: each pin's picture, loaded from Pinterest when the page is\n" ..
    "                      opened (without it, the page loads nothing)\n",
}
