--- The command-line tool's connection to the APIs: the token or key (from
-- --token-file or the environment, never an argument; else an account of the
-- credentials file, refreshed through it with the app's id and secret from
-- the environment or --app-file), the Pinterest and OneUp clients made from
-- the options (--base-url, --retries), and many pins fetched at once with a
-- progress bar, their failures named on standard error.
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
Connection (the token: PINTEREST_ACCESS_TOKEN, else --token-file, else an account
that `pinanalytics login` saved in the credentials file):
  --token-file FILE   read the access token from FILE (- for standard input) instead of
                      PINTEREST_ACCESS_TOKEN; never give a token as an argument
  --account NAME      the credentials file's account (needed when it has several; sync
                      takes --account-name NAME, its --account being the account's figures)
  --credentials FILE  the credentials file (default PINANALYTICS_CREDENTIALS, else
                      $XDG_CONFIG_HOME/pinanalytics/credentials.json, else
                      ~/.config/pinanalytics/credentials.json); a team's: a
                      postgresql:// URI (its table in that database)
  --app-file FILE     the app's PINTEREST_CLIENT_ID=... and PINTEREST_CLIENT_SECRET=...
                      lines, to refresh the account's token (default: those variables)
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

-- Whether the environment or --token-file gives a token.
local function token_given(ctx, opts)
  local v = ctx.getenv("PINTEREST_ACCESS_TOKEN")
  return opts["--token-file"] ~= nil or (v ~= nil and trim(v) ~= "")
end

-- The option that names an account of the credentials file for cmd, and
-- the name given: sync's --account is a flag (the account's own figures), so
-- there --account-name names it.
local function account_option(cmd, opts)
  if cmd == "sync" then return "--account-name", opts["--account-name"] end
  return "--account", type(opts["--account"]) == "string" and opts["--account"] or nil
end

-- A failure of the credentials store: its message alone (it names the
-- file, and says how to fix what it can).
local function credentials_failure(err)
  if type(err) == "table" and err.kind == "credentials" and type(err.message) == "string" then
    failure("%s", err.message)
  end
  failure("%s", strip_prefix(line(err)))
end

-- The credentials file of the options (--credentials FILE, else the
-- default; or a postgresql:// URI): the store and its path as messages show
-- it (a URI without its password).
local function credentials_store(ctx, cmd, opts)
  local credentials = require "pinanalytics.credentials"
  local path = opts["--credentials"]
  if path == "" then usage(cmd, "--credentials needs a file name") end
  if not path then
    local why
    path, why = credentials.default_path(ctx.getenv)
    if not path then usage(cmd, "no credentials file: %s; give --credentials FILE", why) end
  end
  -- the tool is a process of its own: Ctrl-C waits while a refresh's answer is saved
  local ok, st = pcall(credentials.open, { path = path, hold_signals = true })
  if not ok then
    if errors.is_interrupt(st) then error(st, 0) end
    usage(cmd, "--credentials %s is not a file's path", path)
  end
  return st, require("pinanalytics.cli.store").shown_target(path)
end

-- "pinanalytics login", with the options that make it save to the same file.
local function login_command(opts)
  local c = "pinanalytics login"
  if opts["--credentials"] then
    c = c .. " --credentials " .. errors.word(require("pinanalytics.cli.store").shown_target(opts["--credentials"]))
  end
  return c
end

-- The app's id and secret (either may be nil): from --app-file FILE (lines
-- PINTEREST_CLIENT_ID=... and PINTEREST_CLIENT_SECRET=..., as a shell's
-- environment file, or client_id = ... and client_secret = ...; a file
-- others can read is refused), else from the environment.
local function app_credentials(ctx, cmd, opts)
  local file = opts["--app-file"]
  if not file then
    local id, app_secret = ctx.getenv("PINTEREST_CLIENT_ID"), ctx.getenv("PINTEREST_CLIENT_SECRET")
    id, app_secret = id and trim(id), app_secret and trim(app_secret)
    if app_secret and app_secret ~= "" then ctx.secrets[#ctx.secrets + 1] = app_secret end
    return id ~= "" and id or nil, app_secret ~= "" and app_secret or nil
  end
  if file == "" then usage(cmd, "--app-file needs a file name") end
  local core = require "pinanalytics.core"
  local st, why = core.fs_stat(file)
  if not st then failure("cannot read the app file %s: %s", file, tostring(why):match(": ([^:]+)$") or tostring(why)) end
  if st.type ~= "file" then failure("the app file %s is not a plain file (a %s)", file, st.type) end
  if st.mode % 64 ~= 0 then
    failure("the app file %s can be read or written by others (mode %04o): refused, as it holds the app's secret; " ..
      "run chmod 600 %s", file, st.mode, errors.word(file))
  end
  local f, oerr = io.open(file, "rb")
  if not f then failure("cannot read the app file %s: %s", file, tostring(oerr):match(": ([^:]+)$") or tostring(oerr)) end
  local text = f:read("*a") or ""
  f:close()
  -- PINTEREST_CLIENT_ID=... (a shell's environment file, `export` or not)
  -- or client_id = ... (or client_id: ...), `#` comments
  local values = {}
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    local k, v = l:match("^%s*export%s+([%w_]+)%s*[=:]%s*(.-)%s*$")
    if not k then k, v = l:match("^%s*([%w_]+)%s*[=:]%s*(.-)%s*$") end
    if k and not l:match("^%s*#") then
      v = v:match("^'(.*)'$") or v:match('^"(.*)"$') or v
      k = k:upper()
      if k == "CLIENT_ID" or k == "CLIENT_SECRET" then k = "PINTEREST_" .. k end
      values[k] = v
    end
  end
  local id, app_secret = values.PINTEREST_CLIENT_ID, values.PINTEREST_CLIENT_SECRET
  if app_secret and app_secret ~= "" then ctx.secrets[#ctx.secrets + 1] = app_secret end
  if not app_secret or app_secret == "" then
    failure("the app file %s has no PINTEREST_CLIENT_SECRET=... (or client_secret = ...) line (it holds the " ..
      "app's id and secret: PINTEREST_CLIENT_ID=... and PINTEREST_CLIENT_SECRET=..., a line each)", file)
  end
  return id ~= "" and id or nil, app_secret
end

-- Writes a warning line on standard error.
local function warn(ctx, fmt, ...)
  ctx.stderr:write("pinanalytics: warning: ", output.scrub(string.format(fmt, ...), ctx.secrets), "\n")
end

-- The days a refresh token has left before it expires at `exp`.
local function days_left(exp, now)
  return math.floor((exp - now) / 86400)
end

-- The account's refresh watched: a refresh token refused (the login is
-- lost) is said at once; a refresh token with fewer than WARN_DAYS days left
-- is said when the command ends (after the refreshes it made). Both name the
-- login command that renews it.
local WARN_DAYS = 14
local function watch(ctx, st, account, opts)
  local renew = login_command(opts)
  local refresh = st.refresh
  local refused = false
  st.refresh = function(self, name, used, request)
    local entry, err = refresh(self, name, used, request)
    if entry then
      ctx.secrets[#ctx.secrets + 1] = entry.access_token
      ctx.secrets[#ctx.secrets + 1] = entry.refresh_token
    elseif type(err) == "table" and err.kind == "auth" and err.status == 400 then
      refused = true
      warn(ctx, "the refresh token of account %s was refused (%s): it can no longer renew the access token; " ..
        "run `%s` and sign in as %s to renew it", name, strip_prefix(line(err)), renew, name)
    elseif type(err) == "table" and err.kind == "auth" and err.status == 401 then
      warn(ctx, "Pinterest refused the app's id and secret while refreshing the token of account %s: check " ..
        "PINTEREST_CLIENT_ID and PINTEREST_CLIENT_SECRET (or --app-file)", name)
    end
    return entry, err
  end
  ctx.after[#ctx.after + 1] = function()
    if refused then return end
    local e = st:get(account)
    local exp = e and tonumber(e.refresh_expires_at)
    if not exp then return end
    local now = os.time()
    local left = days_left(exp, now)
    if exp <= now then
      warn(ctx, "the refresh token of account %s expired on %s: run `%s` and sign in as %s to renew it", account,
        os.date("!%Y-%m-%d", exp), renew, account)
    elseif left < WARN_DAYS then
      warn(ctx, "the refresh token of account %s expires in %d day%s (%s UTC) unless it is used: run `%s` and " ..
        "sign in as %s to renew it", account, left, left == 1 and "" or "s", os.date("!%Y-%m-%d %H:%M", exp), renew,
        account)
    end
  end
end

-- The account of the credentials file a command uses (none given: the only
-- one), its store, and the app's id and secret: the client's options.
local function from_credentials(ctx, cmd, opts)
  local st, path = credentials_store(ctx, cmd, opts)
  local list, err = st:list()
  if not list then credentials_failure(err) end
  local option, want = account_option(cmd, opts)
  local names = {}
  for i, a in ipairs(list) do names[i] = a.account end
  if #names == 0 then
    if want then
      usage(cmd, "%s %s: the credentials file %s has no account (`%s` adds one)", option, want, path,
        login_command(opts))
    end
    usage(cmd, "no token: set PINTEREST_ACCESS_TOKEN in the environment, give --token-file FILE (never the token " ..
      "itself as an argument: other users see arguments in ps), or log in once with `%s`, which saves the " ..
      "account in the credentials file (%s has none)", login_command(opts), path)
  end
  local account = want
  if want then
    local found = false
    for _, n in ipairs(names) do if n == want then found = true end end
    if not found then
      local near = options.suggest(want, names)
      usage(cmd, "%s %s: no such account in the credentials file %s%s (it has %s)", option, want, path,
        near and string.format("; did you mean %s %s?", option, near) or "", table.concat(names, ", "))
    end
  elseif #names > 1 then
    usage(cmd, "the credentials file %s has several accounts (%s): name one with %s NAME", path,
      table.concat(names, ", "), option)
  else
    account = names[1]
  end
  local entry, gerr = st:get(account)
  if not entry then credentials_failure(gerr) end
  ctx.secrets[#ctx.secrets + 1] = entry.access_token
  ctx.secrets[#ctx.secrets + 1] = entry.refresh_token
  local id, app_secret = app_credentials(ctx, cmd, opts)
  if not st:usable(entry) and not app_secret then
    failure("the access token of account %s has expired, and refreshing it needs the app's secret: set " ..
      "PINTEREST_CLIENT_SECRET in the environment, or give --app-file FILE", account)
  end
  if app_secret and (entry.client_id or id) then
    local http = require "pinanalytics.http"
    ctx.secrets[#ctx.secrets + 1] = http.base64((entry.client_id or id) .. ":" .. app_secret)
  end
  watch(ctx, st, account, opts)
  -- the app the account logged in with, whatever the environment says
  return { credentials = st, account = account, client_id = entry.client_id or id, client_secret = app_secret }
end

-- The Pinterest client of the options (extra: more of its options): with
-- the token of the environment or --token-file, else with an account of
-- the credentials file.
local function pinterest_client(ctx, cmd, opts, extra)
  local pa = require "pinanalytics"
  local o = { base_url = opts["--base-url"] or ctx.getenv("PINTEREST_BASE_URL"),
    retries = whole(cmd, opts, "--retries", 0, 100), clock = ctx.clock }
  local option, want = account_option(cmd, opts)
  if token_given(ctx, opts) then
    local by = opts["--token-file"] and "--token-file" or "PINTEREST_ACCESS_TOKEN"
    for _, name in ipairs({ want and option, "--credentials", "--app-file" }) do
      if name and opts[name] then
        usage(cmd, "%s has no use with %s: the access token it gives is used, not the credentials file (%s)", name,
          by, by == "--token-file" and "leave out --token-file" or "unset PINTEREST_ACCESS_TOKEN")
      end
    end
    local token = secret(ctx, cmd, opts, "PINTEREST_ACCESS_TOKEN")
    ctx.secrets[#ctx.secrets + 1] = token
    o.token = token
  else
    for k, v in pairs(from_credentials(ctx, cmd, opts)) do o[k] = v end
  end
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
  -- the options of every command that asks Pinterest (its file adds them)
  PINTEREST_OPTIONS = { "--account", "--credentials", "--app-file" },
  credentials_store = credentials_store, credentials_failure = credentials_failure,
  app_credentials = app_credentials, login_command = login_command,
  days_left = days_left, WARN_DAYS = WARN_DAYS,
  pinterest_client = pinterest_client, oneup_client = oneup_client,
  fetch_pins = fetch_pins, report_failures = report_failures, fetch_meta = fetch_meta,
  IMAGES_HELP = "  --images            html: each pin's picture, loaded from Pinterest when the page is\n" ..
    "                      opened (without it, the page loads nothing)\n",
}
