--- The `login`, `accounts` and `logout` commands. login obtains an
-- account's tokens once, in a browser: the OAuth 2.0 authorization code flow
-- of a command-line tool, as Pinterest's api-quickstart does it (a listener
-- on a loopback redirect URI, a random `state` checked, the code exchanged at
-- POST /oauth/token with the app's id and secret as HTTP Basic), then saves
-- them in the credentials file under the account's username
-- (GET /user_account). accounts lists the file's accounts with their tokens'
-- expiry, never a token; logout forgets one.
--
-- The app's secret comes from PINTEREST_CLIENT_SECRET or --app-file, never
-- an argument; the listener answers on 127.0.0.1 only (LuaSocket).
local errors = require "pinanalytics.cli.errors"
local options = require "pinanalytics.cli.options"
local output = require "pinanalytics.cli.output"
local api = require "pinanalytics.cli.api"

local usage, failure, call, line, strip_prefix = errors.usage, errors.failure, errors.call, errors.line,
  errors.strip_prefix
local word, whole, suggest = errors.word, options.whole, options.suggest
local emit, safe = output.emit, output.safe

--- The scopes a login asks for unless --scopes says otherwise: what the
-- organic analytics need.
local DEFAULT_SCOPES = "user_accounts:read,pins:read,boards:read"
-- the scopes of the official description (pinterest_oauth2)
local SCOPES = { "ads:read", "ads:write", "billing:read", "billing:write", "biz_access:read", "biz_access:write",
  "boards:read", "boards:read_secret", "boards:write", "boards:write_secret", "catalogs:read", "catalogs:write",
  "msot:write", "pins:read", "pins:read_secret", "pins:write", "pins:write_secret", "user_accounts:read",
  "user_accounts:write" }
local DEFAULT_PORT, DEFAULT_PATH, DEFAULT_TIMEOUT = 8085, "/", 300
local DEFAULT_OAUTH_URL = "https://www.pinterest.com/oauth/"
local DEFAULT_API = "https://api.pinterest.com/v5"

local CREDENTIALS_HELP = [[
  --credentials FILE  the credentials file (default PINANALYTICS_CREDENTIALS, else
                      $XDG_CONFIG_HOME/pinanalytics/credentials.json, else
                      ~/.config/pinanalytics/credentials.json); a team's: a
                      postgresql:// URI (its table in that database)
]]

-- helpers --------------------------------------------------------------------

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- "%XX" decoding of a query value ("+" is a space there).
local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- The name=value pairs of a query string, decoded (the first of a name).
local function query_of(q)
  local out = {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k = unescape(k)
    if out[k] == nil then out[k] = unescape(v) end
  end
  return out
end

-- A random hex string of n bytes from /dev/urandom.
local function random_hex(n)
  local f = io.open("/dev/urandom", "rb")
  local bytes = f and f:read(n)
  if f then f:close() end
  if not bytes or #bytes ~= n then failure("cannot read /dev/urandom for the login's state") end
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- A time in seconds since the epoch, as "2026-05-01 13:45 UTC".
local function utc(t)
  return os.date("!%Y-%m-%d %H:%M UTC", math.floor(t))
end

-- The store of the options, its accounts read (a file others can read is a
-- failure that names the chmod).
local function opened(ctx, cmd, opts)
  local st, path = api.credentials_store(ctx, cmd, opts)
  local list, err = st:list()
  if not list then api.credentials_failure(err) end
  return st, path, list
end

-- The page the browser shows once it has been sent back.
local function page(title, text)
  local body = "<!doctype html><meta charset=\"utf-8\"><title>pinanalytics</title><h1>" .. title .. "</h1><p>" ..
    text .. "</p>\n"
  return body
end

-- login ------------------------------------------------------------------

local login = {}

login.options = { "--port", "--path", "--scopes", "--no-browser", "--timeout", "--app-file", "--credentials",
  "--base-url", "--help" }

login.help = [[
usage: pinanalytics login [OPTIONS]

Signs in to Pinterest once, in a browser, and saves the account's access and
refresh tokens in the credentials file (0600, in a 0700 folder); from then on
every command uses them when PINTEREST_ACCESS_TOKEN is not set, and refreshes
them through the file (refresh tokens are renewed at each refresh: a command
run at least every 60 days keeps the account for good). Run it again for
another account, or when a command says that an account's login must be
renewed.

It listens on http://127.0.0.1:PORT/PATH (the redirect URI, which the app
must have registered in its settings on developers.pinterest.com), prints
the address to open, and opens it with $BROWSER, else xdg-open, when there is
one. Once the account allows the app, Pinterest sends the browser back to the
listener with a code, which is exchanged for the tokens.

The app: PINTEREST_CLIENT_ID and PINTEREST_CLIENT_SECRET in the environment,
or --app-file FILE; never the secret as an argument.

  --port N            the redirect URI's port (1 to 65535, default 8085)
  --path PATH         the redirect URI's path (default /)
  --scopes LIST       what the app may do, comma-separated (default
                      user_accounts:read,pins:read,boards:read; add ads:read for ads)
  --no-browser        on a machine without a browser (a server): print the address to
                      open on another machine, then read the address the browser was
                      sent back to (pasted, from its address bar) on standard input
  --timeout SECONDS   how long to wait for the browser (1 to 86400, default 300)
  --app-file FILE     a file of yours (chmod 600) holding the lines
                      PINTEREST_CLIENT_ID=... and PINTEREST_CLIENT_SECRET=...
]] .. CREDENTIALS_HELP .. [[
  --base-url URL      the API (default PINTEREST_BASE_URL, else https://api.pinterest.com/v5);
                      the sign-in page is PINTEREST_OAUTH_URL, else
                      https://www.pinterest.com/oauth/

It prints the account it logged in. Exit status: 0 logged in and saved; 1 the
login failed (refused in the browser, a state that is not this login's, the
port taken, no answer in time, the code refused): nothing was saved; 2 a usage
error.

Example:
  export PINTEREST_CLIENT_ID=1234567 PINTEREST_CLIENT_SECRET=...   # the app's
  pinanalytics login
  pinanalytics account --last 7
]]

-- The redirect URI of the options, and its path.
local function redirect_of(cmd, opts)
  local port = whole(cmd, opts, "--port", 1, 65535) or DEFAULT_PORT
  local path = opts["--path"] or DEFAULT_PATH
  if path:sub(1, 1) ~= "/" or path:find("[%c%s?#%%]") then
    usage(cmd, "--path %s: a path starts with / and has no space, ?, # or %%, like /callback", path)
  end
  return "http://127.0.0.1:" .. port .. path, port, path
end

-- The scopes of the options, checked against the official list.
local function scopes_of(cmd, opts)
  local typed = opts["--scopes"] or DEFAULT_SCOPES
  local list = {}
  for s in typed:gmatch("[^,%s]+") do list[#list + 1] = s end
  if #list == 0 then usage(cmd, "--scopes needs at least one scope (default %s)", DEFAULT_SCOPES) end
  for i, s in ipairs(list) do
    local known = false
    for _, k in ipairs(SCOPES) do if k == s then known = true end end
    if not known then
      local near = suggest(s, SCOPES)
      local meant = ""
      if near then
        local fixed = {}
        for k, x in ipairs(list) do fixed[k] = x end
        fixed[i] = near
        meant = "; did you mean --scopes " .. table.concat(fixed, ",") .. "?"
      end
      usage(cmd, "--scopes %s: %s is not a scope%s (scopes: %s)", typed, s, meant, table.concat(SCOPES, ", "))
    end
  end
  return table.concat(list, ",")
end

-- The sign-in page's address: PINTEREST_OAUTH_URL, else Pinterest's.
local function oauth_url(ctx, cmd)
  local base = ctx.getenv("PINTEREST_OAUTH_URL")
  if base == nil or trim(base) == "" then return DEFAULT_OAUTH_URL end
  base = trim(base)
  local scheme, host = base:match("^(https?)://%[?([^/:%]]+)")
  if not scheme or base:find("[%c%s#]") then
    usage(cmd, "PINTEREST_OAUTH_URL must be an http:// or https:// address, got %s", base)
  end
  if scheme == "http" and not require("pinanalytics.check").is_loopback(host:lower()) then
    usage(cmd, "PINTEREST_OAUTH_URL is plain http:// to a host that is not this machine: use https://")
  end
  return base
end

-- The API's address: --base-url, PINTEREST_BASE_URL, else Pinterest's.
local function api_url(ctx, cmd, opts)
  local base = opts["--base-url"] or ctx.getenv("PINTEREST_BASE_URL")
  if base == nil or base == "" then base = DEFAULT_API end
  local check = require "pinanalytics.check"
  return check.base_url(function(_, fmt, ...) usage(cmd, "--base-url: " .. fmt, ...) end, "login", base)
end

-- Opens url in a browser: $BROWSER, else xdg-open when there is one; says
-- which, or that there is none (never a failure).
local function open_browser(ctx, url)
  local browser = ctx.getenv("BROWSER")
  local quoted = "'" .. url:gsub("'", "'\\''") .. "'"
  if browser and trim(browser) ~= "" then
    os.execute(browser .. " " .. quoted .. " >/dev/null 2>&1 </dev/null &")
    return "opened with $BROWSER"
  end
  local found = os.execute("command -v xdg-open >/dev/null 2>&1")
  if found == true or found == 0 then
    os.execute("xdg-open " .. quoted .. " >/dev/null 2>&1 </dev/null &")
    return "opened with xdg-open"
  end
  return nil
end

-- Listens on 127.0.0.1:port; the socket, or a failure that says how to
-- choose another port.
local function listen(port, path)
  local ok, socket = pcall(require, "socket")
  if not ok then
    if errors.is_interrupt(socket) then error(socket, 0) end
    failure("login needs LuaSocket for its listener, which does not load here (Debian: apt-get install " ..
      "lua-socket; LuaRocks: luarocks install luasocket); or use --no-browser, which needs none")
  end
  local server, why = socket.bind("127.0.0.1", port)
  if not server then
    if tostring(why):find("in use", 1, true) then
      failure("the port %d of 127.0.0.1 is taken (another program listens there): choose another with --port N " ..
        "(the app must have http://127.0.0.1:N%s registered as a redirect URI)", port, path)
    end
    if tostring(why):find("permission", 1, true) then
      failure("cannot listen on the port %d of 127.0.0.1 (%s): ports below 1024 need root; choose another with " ..
        "--port N", port, tostring(why))
    end
    failure("cannot listen on 127.0.0.1:%d: %s; choose another port with --port N", port, tostring(why))
  end
  return server, socket
end

-- Sends an HTTP answer on a connection and closes it.
local function answer(conn, status, body)
  local reason = ({ [200] = "OK", [400] = "Bad Request", [404] = "Not Found" })[status] or "OK"
  conn:send("HTTP/1.1 " .. status .. " " .. reason .. "\r\nContent-Type: text/html; charset=utf-8\r\n" ..
    "Content-Length: " .. #body .. "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" .. body)
  conn:close()
end

-- Waits for the browser's request to the redirect path; its query's values.
-- Requests to other paths (a favicon) are answered 404 and waited past.
local function wait_redirect(server, socket, path, seconds)
  local deadline = socket.gettime() + seconds
  while true do
    local left = deadline - socket.gettime()
    if left <= 0 then return nil end
    -- short waits: Ctrl-C is noticed between them
    server:settimeout(math.min(left, 0.5))
    local conn = server:accept()
    if conn then
      conn:settimeout(10)
      local request = conn:receive("*l")
      local ok = request ~= nil
      local n = 0
      while ok do
        local h = conn:receive("*l")
        n = n + 1
        if h == nil or h == "" or n > 100 then break end
      end
      local target = request and request:match("^GET (%S+) HTTP/1%.%d$")
      local p, q = (target or ""):match("^([^?#]*)%??([^#]*)")
      local values = p == path and query_of(q) or nil
      if values and (values.code or values.error) then return values, conn end
      if target and p == path then
        answer(conn, 400, page("Not a sign-in answer", "This address expects Pinterest's answer (a code or an " ..
          "error); pinanalytics is still waiting for it."))
      else
        answer(conn, 404, page("Not found", "pinanalytics waits for Pinterest's answer on another path."))
      end
    end
  end
end

-- What a redirect said: the code, or a failure (refused, another state).
local function code_of(values, state)
  if values.state ~= state then
    return nil, "the answer's state is not the one this login sent: refused (it may be the answer to another " ..
      "login, or a link someone else made); nothing was saved: run pinanalytics login again"
  end
  if values.error then
    local what = values.error == "access_denied" and "the app was not allowed access to the account in the browser"
      or ("Pinterest refused the sign-in")
    return nil, string.format("%s (%s%s); nothing was saved", what, safe(values.error),
      values.error_description and (": " .. safe(values.error_description)) or "")
  end
  if type(values.code) ~= "string" or values.code == "" or values.code:find("[%c%s]") then
    return nil, "the answer has no usable code; nothing was saved: run pinanalytics login again"
  end
  return values.code
end

-- POST /oauth/token with the code: the checked answer.
local function exchange(ctx, cmd, base, id, secret, code, redirect)
  local core, http = require "pinanalytics.core", require "pinanalytics.http"
  local secrets = ctx.secrets
  http.add_secret(secrets, secret)
  http.add_secret(secrets, http.base64(id .. ":" .. secret))
  http.add_secret(secrets, code)
  local session = call(cmd, core.session, { base_url = base, username = id, password = secret, timeout = 30 })
  local body = "grant_type=authorization_code&code=" .. http.escape(code) .. "&redirect_uri=" .. http.escape(redirect)
  local ok, res = http.perform(session, "/oauth/token", { method = "POST", body = body, secrets = secrets,
    endpoint = "POST /oauth/token", headers = { "Content-Type: application/x-www-form-urlencoded" } })
  session:close()
  if not ok then
    failure("the code was refused at POST /oauth/token: %s%s; nothing was saved", strip_prefix(line(res)),
      res.status == 401 and " (check PINTEREST_CLIENT_ID and PINTEREST_CLIENT_SECRET, or --app-file)" or "")
  end
  for _, k in ipairs({ "access_token", "refresh_token" }) do
    if type(res) ~= "table" or type(res[k]) ~= "string" or res[k] == "" or res[k]:find("[%c ]") then
      failure("the answer of POST /oauth/token has no usable %s; nothing was saved", k)
    end
    http.add_secret(secrets, res[k])
  end
  return res
end

function login.run(ctx, cmd, p)
  local opts = p.opts
  if #p.args > 0 then usage(cmd, "login takes no argument ('%s'): it learns the account from Pinterest", p.args[1]) end
  local redirect, port, path = redirect_of(cmd, opts)
  local scopes = scopes_of(cmd, opts)
  local seconds = whole(cmd, opts, "--timeout", 1, 86400, "seconds") or DEFAULT_TIMEOUT
  local authorize = oauth_url(ctx, cmd)
  local base = api_url(ctx, cmd, opts)
  local id, secret = api.app_credentials(ctx, cmd, opts)
  if not id or not secret then
    usage(cmd, "login needs the app's id and secret: set PINTEREST_CLIENT_ID and PINTEREST_CLIENT_SECRET in the " ..
      "environment, or give --app-file FILE (a file of yours holding PINTEREST_CLIENT_ID=... and " ..
      "PINTEREST_CLIENT_SECRET=... lines); never the secret as an argument")
  end
  if id:find("[%c%s:]") then usage(cmd, "PINTEREST_CLIENT_ID has spaces, control characters or a colon") end
  local st, file, before = opened(ctx, cmd, opts) -- a file others can read is refused before the browser
  local state = random_hex(16)
  local http = require "pinanalytics.http"
  local url = authorize .. (authorize:find("?", 1, true) and "&" or "?") .. "client_id=" .. http.escape(id) ..
    "&redirect_uri=" .. http.escape(redirect) .. "&response_type=code&scope=" .. http.escape(scopes) ..
    "&state=" .. state

  local values
  if opts["--no-browser"] then
    ctx.stderr:write("Open this address in a browser (on any machine), and allow the app:\n\n  ", url, "\n\n",
      "The browser is then sent to ", redirect, "?code=... (a page that does not load: that is expected).\n",
      "Paste that whole address here, then press Enter:\n")
    ctx.stderr:flush()
    local pasted = ctx.stdin:read("*l")
    if not pasted or trim(pasted) == "" then
      failure("no address was pasted on standard input (--no-browser reads it there); nothing was saved")
    end
    pasted = trim(pasted)
    local q = pasted:match("^[^?#]*%?([^#]*)")
    if not q then
      failure("the pasted text is not the address the browser was sent to (%s?code=...&state=...); nothing " ..
        "was saved", redirect)
    end
    values = query_of(q)
    if not (values.code or values.error) then
      failure("the pasted address has no code (it should be %s?code=...&state=...); nothing was saved", redirect)
    end
  else
    local server, socket = listen(port, path)
    local how = open_browser(ctx, url)
    ctx.stderr:write(how and ("The sign-in page is " .. how .. "; if it did not open, open this address:\n\n  ")
      or "Open this address in a browser, and allow the app:\n\n  ", url, "\n\n",
      "Waiting for the browser on ", redirect, " (", seconds, " s at most; --timeout N to change)...\n")
    ctx.stderr:flush()
    local ok, got, conn = pcall(wait_redirect, server, socket, path, seconds)
    server:close()
    if not ok then error(got, 0) end
    if not got then
      failure("no answer from the browser within %d s (--timeout): nothing was saved; run pinanalytics login " ..
        "again (and check that the app's redirect URI is %s)", seconds, redirect)
    end
    values = got
    local _, why = code_of(values, state)
    answer(conn, 200, why and page("Not logged in", "pinanalytics: " .. why:gsub("[<>&]", "") .. ".") or
      page("Logged in", "pinanalytics has the code; you can close this page."))
  end
  local code, why = code_of(values, state)
  if not code then failure("%s", why) end

  local tokens = exchange(ctx, cmd, base, id, secret, code, redirect)
  local pa = require "pinanalytics"
  local client = call(cmd, pa.pinterest, { token = tokens.access_token, base_url = base, retries = 2, timeout = 30 })
  local me, err = call(cmd, client.user_account, client)
  client:close()
  if not me then failure("the account could not be named (GET /user_account): %s; nothing was saved",
    strip_prefix(line(err))) end
  local name = me.username
  if type(name) ~= "string" or name == "" or name:find("%c") then
    failure("GET /user_account answered no username; nothing was saved")
  end
  tokens.client_id = id
  local saved, serr = st:put(name, tokens)
  if not saved then api.credentials_failure(serr) end
  local had = false
  for _, a in ipairs(before) do if a.account == name then had = true end end
  local entry = st:get(name)
  local until_ = entry and entry.refresh_expires_at and (" (its refresh token expires on " ..
    utc(entry.refresh_expires_at) .. " unless used; each refresh renews it)") or ""
  emit(ctx, "the login's summary", string.format("logged in as %s: its tokens are saved in %s%s%s\n",
    safe(name), file, had and ", replacing those it had" or "", until_))
  return nil
end

-- accounts ---------------------------------------------------------------

local accounts = {}

accounts.options = { "--credentials", "--help" }

accounts.help = [[
usage: pinanalytics accounts [--credentials FILE]

The accounts of the credentials file (those pinanalytics login saved), a line
each: when its access token expires, when its refresh token expires and the
days it has left. A refresh renews both; a refresh token unused for 60 days
expires, and the account must log in again. No token is ever printed.

]] .. CREDENTIALS_HELP .. [[

Example:
  pinanalytics accounts
]]

function accounts.run(ctx, cmd, p)
  if #p.args > 0 then usage(cmd, "accounts takes no argument ('%s')", p.args[1]) end
  local _, file, list = opened(ctx, cmd, p.opts)
  if #list == 0 then
    emit(ctx, "the accounts", "no account in " .. file .. ": `pinanalytics login` adds one\n")
    return nil
  end
  local now = os.time()
  local rows = { { "ACCOUNT", "ACCESS TOKEN EXPIRES", "REFRESH TOKEN EXPIRES", "DAYS LEFT", "SCOPES" } }
  local soon = {}
  for _, a in ipairs(list) do
    local access = a.access_expires_at and (utc(a.access_expires_at) .. (a.access_expires_at <= now and
      " (expired)" or "")) or "unknown"
    local refresh, left = "unknown", "?"
    if a.refresh_expires_at then
      local d = api.days_left(a.refresh_expires_at, now)
      refresh = utc(a.refresh_expires_at)
      left = a.refresh_expires_at <= now and "expired" or tostring(d)
      if a.refresh_expires_at <= now or d < api.WARN_DAYS then soon[#soon + 1] = a.account end
    end
    rows[#rows + 1] = { safe(a.account), access, refresh, left, safe(a.scope or "") }
  end
  local widths = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do widths[i] = math.max(widths[i] or 0, #c) end
  end
  local out = { (file:match("^postgres") and "credentials: " or "credentials file: ") .. file }
  for _, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(r) do cells[i] = i < #r and (c .. string.rep(" ", widths[i] - #c)) or c end
    out[#out + 1] = (table.concat(cells, "  "):gsub("%s+$", ""))
  end
  for _, name in ipairs(soon) do
    out[#out + 1] = string.format("%s: fewer than %d days left: run `%s` and sign in as %s to renew it", safe(name),
      api.WARN_DAYS, api.login_command(p.opts), safe(name))
  end
  emit(ctx, "the accounts", table.concat(out, "\n") .. "\n")
  return nil
end

-- logout -----------------------------------------------------------------

local logout = {}

logout.options = { "--credentials", "--help" }

logout.help = [[
usage: pinanalytics logout ACCOUNT [--credentials FILE]

Forgets an account of the credentials file: its tokens are removed from it.
Pinterest still lets the app in until the account revokes the app's access
in its own settings.

]] .. CREDENTIALS_HELP .. [[

Example:
  pinanalytics accounts
  pinanalytics logout my_shop
]]

function logout.run(ctx, cmd, p)
  if #p.args ~= 1 then
    usage(cmd, "logout takes one account (%s): `pinanalytics accounts` lists them",
      #p.args == 0 and "none given" or (#p.args .. " given"))
  end
  local name = p.args[1]
  local st, file, list = opened(ctx, cmd, p.opts)
  local names = {}
  for i, a in ipairs(list) do names[i] = a.account end
  local known = false
  for _, n in ipairs(names) do if n == name then known = true end end
  if not known then
    if #names == 0 then usage(cmd, "no account %s in %s: it has none", name, file) end
    local near = suggest(name, names)
    usage(cmd, "no account %s in %s%s (it has %s)", name, file,
      near and ("; did you mean pinanalytics logout " .. word(near) .. "?") or "", table.concat(names, ", "))
  end
  local had, err = st:remove(name)
  if had == nil then api.credentials_failure(err) end
  emit(ctx, "the logout's summary", string.format("forgot %s: its tokens are removed from %s\n", safe(name), file))
  return nil
end

return { login = login, accounts = accounts, logout = logout }
