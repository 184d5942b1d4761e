--- Accounts' tokens, kept in one file per user: per account (by username)
-- the access token, the refresh token, when each expires, and the app's
-- client id (never its secret).
--
-- The file is `$PINANALYTICS_CREDENTIALS`, else
-- `$XDG_CONFIG_HOME/pinanalytics/credentials.json`, else
-- `~/.config/pinanalytics/credentials.json`. It is created 0600 in a folder
-- created 0700; a file that group or others may read or write, a file that
-- is not a plain file owned by the user, or a folder that others may write
-- is refused (as ssh refuses a readable key), with the `chmod` that fixes it.
--
-- Every write is atomic and durable: a private temporary file beside it is
-- written and fsynced, renamed over the file, and the folder fsynced; a
-- reader sees the old file or the new one, never a mix, whenever a writer
-- dies. Writes of the file are serialised by a lock (flock) on
-- `<file>.locks/file`; refreshes of one account by a lock of their own
-- (`<file>.locks/account-<hex of the name>`), held from before the file is
-- read again until the new tokens are written. A process that, once it holds
-- that lock, finds an access token other than the one it was refused with
-- (another process refreshed meanwhile) uses it instead of refreshing again;
-- otherwise the new refresh token is written before the call returns, so
-- before the new access token is used. A token never appears in an error.
--
-- Run-time failures (a file that cannot be read, written, locked, or
-- parsed; a file others can read; no such account) return `nil, err`, `err`
-- being a `pinanalytics.errors` Error of kind "credentials"; a wrong
-- argument raises.
-- @usage
-- local credentials = require "pinanalytics.credentials"
-- local store = credentials.open()           -- or credentials.open("/path/credentials.json")
-- for _, a in ipairs(assert(store:list())) do print(a.account, a.refresh_expires_at) end
-- local pin = require("pinanalytics").pinterest{ credentials = store, account = "my_shop",
--   client_secret = os.getenv("PINTEREST_APP_SECRET") }
local core = require "pinanalytics.core"
local errors = require "pinanalytics.errors"

local M = {}

--- The file format's version (the file's `version` field).
M.VERSION = 1

--- Seconds to wait for a lock another process holds before giving up.
M.LOCK_TIMEOUT = 120

local DIR_MODE = 448 -- 0700 (files: 0600, as mkstemp makes them)
local ENOENT, EEXIST = 2, 17

local function raise(fn, fmt, ...)
  error("pinanalytics.credentials." .. fn .. ": " .. string.format(fmt, ...), 3)
end

local function fail(message, fields)
  local f = { kind = "credentials", message = message }
  for k, v in pairs(fields or {}) do f[k] = v end
  return nil, errors.new(f)
end

local function octal(mode)
  return string.format("%04o", mode)
end

local function dirname(path)
  local d = path:match("^(.*)/[^/]*$")
  if d == nil then return "." end
  if d == "" then return "/" end
  return d
end

local function shell_word(s)
  if s:match("^[%w%./_%-~+,:@]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The default path of the credentials file: `PINANALYTICS_CREDENTIALS`, else
-- `$XDG_CONFIG_HOME/pinanalytics/credentials.json` (an absolute one), else
-- `$HOME/.config/pinanalytics/credentials.json`.
-- @func[opt=os.getenv] getenv where the variables come from
-- @treturn[1] string
-- @treturn[2] nil when none of the three variables is set
-- @treturn[2] string why
function M.default_path(getenv)
  getenv = getenv or os.getenv
  local explicit = getenv("PINANALYTICS_CREDENTIALS")
  if explicit and explicit ~= "" then return explicit end
  local xdg = getenv("XDG_CONFIG_HOME")
  if xdg and xdg:sub(1, 1) == "/" then return (xdg:gsub("/+$", "")) .. "/pinanalytics/credentials.json" end
  local home = getenv("HOME")
  if home and home ~= "" then return (home:gsub("/+$", "")) .. "/.config/pinanalytics/credentials.json" end
  return nil, "no PINANALYTICS_CREDENTIALS, XDG_CONFIG_HOME or HOME to find the credentials file by"
end

-- JSON -------------------------------------------------------------------------

local ESC = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- The file's JSON: objects with string keys (sorted), strings, whole
-- numbers, booleans. Anything else is a bug of this module: it raises.
local function encode(v, indent)
  local t = type(v)
  if t == "string" then
    return '"' .. v:gsub('[%c"\\]', function(c) return ESC[c] or string.format("\\u%04x", c:byte()) end) .. '"'
  elseif t == "number" then
    assert(v == math.floor(v) and math.abs(v) < 2 ^ 53, "credentials: not a whole number")
    return string.format("%d", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  assert(t == "table", "credentials: cannot encode a " .. t)
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys)
  if #keys == 0 then return "{}" end
  local inner = indent .. "  "
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = inner .. encode(k, inner) .. ": " .. encode(v[k], inner) end
  return "{\n" .. table.concat(out, ",\n") .. "\n" .. indent .. "}"
end

-- the store --------------------------------------------------------------------

--- A credentials file, made by `open`.
-- @type Store
local Store = {}
Store.__index = Store
Store.__name = "pinanalytics.credentials.Store"

function Store:__tostring()
  return "pinanalytics.credentials (" .. self.file .. ")"
end

--- The file's path.
-- @treturn string
function Store:path()
  return self.file
end

function Store:_step(name)
  if self.on_step then self.on_step(name) end
end

-- Checks the folder and the file (when there); nil or an error. A missing
-- file is fine: exists = false.
function Store:_check()
  local dir = dirname(self.file)
  local ds, why, code = core.fs_stat(dir)
  if ds and ds.type == "link" then
    ds, why, code = core.fs_stat(dir .. "/.") -- a linked folder: what it points to
  end
  if ds then
    if ds.type ~= "directory" then return nil, "the credentials folder " .. dir .. " is not a folder" end
    if not ds.owned then
      return nil, "the credentials folder " .. dir .. " belongs to another user: refused"
    end
    -- group or others may write it (0020, 0002): they could put another file there
    if math.floor(ds.mode / 16) % 2 == 1 or math.floor(ds.mode / 2) % 2 == 1 then
      return nil, string.format("the credentials folder %s can be written by others (mode %s): refused; " ..
        "run chmod 700 %s", dir, octal(ds.mode), shell_word(dir))
    end
  elseif code ~= ENOENT then
    return nil, why
  end
  local st
  st, why, code = core.fs_stat(self.file)
  if not st then
    if code == ENOENT then return { exists = false } end
    return nil, why
  end
  if st.type ~= "file" then
    return nil, "the credentials file " .. self.file .. " is not a plain file (a " .. st.type .. "): refused"
  end
  if not st.owned then
    return nil, "the credentials file " .. self.file .. " belongs to another user: refused"
  end
  if st.mode % 64 ~= 0 then
    return nil, string.format("the credentials file %s can be read or written by others (mode %s): refused, " ..
      "as its tokens give access to the accounts; run chmod 600 %s", self.file, octal(st.mode), shell_word(self.file))
  end
  return { exists = true }
end

-- The accounts in the file ({} when there is none) | nil, err.
function Store:_read()
  local ok, why = self:_check()
  if not ok then return fail(why, { path = self.file }) end
  if not ok.exists then return {} end
  local f, oerr = io.open(self.file, "rb")
  if not f then return fail("cannot read " .. tostring(oerr), { path = self.file }) end
  local text = f:read("*a")
  f:close()
  if not text then return fail("cannot read the credentials file " .. self.file, { path = self.file }) end
  local doc, derr = core.decode(text)
  if type(doc) ~= "table" or type(doc.accounts) ~= "table" then
    return fail("the credentials file " .. self.file .. " is not one pinanalytics wrote" ..
      (derr and " (not JSON: " .. tostring(derr) .. ")" or " (no accounts object)"), { path = self.file })
  end
  if type(doc.version) == "number" and doc.version > M.VERSION then
    return fail("the credentials file " .. self.file .. " was written by a newer pinanalytics (version " ..
      doc.version .. ")", { path = self.file })
  end
  local out = {}
  for name, e in pairs(doc.accounts) do
    if type(name) == "string" and type(e) == "table" and type(e.refresh_token) == "string" then
      out[name] = e
    end
  end
  return out
end

-- Makes the folder (and missing parents) 0700.
function Store:_mkdirs(dir)
  local st = core.fs_stat(dir)
  if st then return true end
  local parent = dirname(dir)
  if parent ~= dir then
    local ok, err = self:_mkdirs(parent)
    if not ok then return nil, err end
  end
  local ok, why, code = core.fs_mkdir(dir, DIR_MODE)
  if not ok and code ~= EEXIST then return nil, why end
  return true
end

-- Waits for a lock (lock:try() in a loop with the store's sleep); true |
-- nil, message.
function Store:_wait(lock, what)
  local start = core.now()
  local pause = 0.01
  while true do
    local got, why = lock:try()
    if got then return true end
    if got == nil then return nil, why end
    if core.now() - start > self.lock_timeout then
      return nil, "another process has held the lock of " .. what .. " for more than " .. self.lock_timeout .. " s"
    end
    self.sleep(pause)
    pause = math.min(pause * 2, 0.1)
  end
end

-- Takes the lock named (file, or account-<hex>) under <file>.locks/.
function Store:_lock(name, what)
  local dir = self.file .. ".locks"
  local ok, why = self:_mkdirs(dirname(self.file))
  if ok and not core.fs_stat(dir) then
    local made, mwhy, code = core.fs_mkdir(dir, DIR_MODE)
    if not made and code ~= EEXIST then ok, why = nil, mwhy end
  end
  if not ok then return fail("cannot create the folder of the credentials file: " .. tostring(why)) end
  local lock, lwhy = core.fs_lock(dir .. "/" .. name)
  if not lock then return fail(lwhy) end
  local got, gwhy = self:_wait(lock, what)
  if not got then
    lock:close()
    return fail(gwhy)
  end
  return lock
end

-- Reads the file under its lock, lets change(accounts) change it, writes it
-- back atomically: true | nil, err. change may return nil, err to write
-- nothing.
function Store:_update(change, quiet)
  local step = quiet and function() end or function(name) self:_step(name) end
  local lock, lerr = self:_lock("file", self.file)
  if not lock then return nil, lerr end
  local accounts, rerr = self:_read()
  if not accounts then
    lock:close()
    return nil, rerr
  end
  local ok, cerr = change(accounts)
  if not ok then
    lock:close()
    return nil, cerr
  end
  local text = encode({ version = M.VERSION, accounts = accounts }, "") .. "\n"
  local dir = dirname(self.file)
  local tmp, why = core.fs_write_temp(self.file .. ".tmp-", text)
  if not tmp then
    lock:close()
    return fail("cannot save the credentials: " .. why, { path = self.file })
  end
  step("written")
  local renamed, rwhy = os.rename(tmp, self.file)
  if not renamed then
    os.remove(tmp)
    lock:close()
    return fail("cannot save the credentials: " .. tostring(rwhy), { path = self.file })
  end
  step("renamed")
  local synced, swhy = core.fs_fsync_dir(dir)
  lock:close()
  if not synced then return fail("cannot save the credentials: " .. swhy, { path = self.file }) end
  step("synced")
  return true
end

local ENTRY_FIELDS = { "access_token", "access_expires_at", "access_issued_at", "refresh_token",
  "refresh_expires_at", "client_id", "scope", "updated_at", "refresh_started_at" }

local function copy_entry(e, name)
  local out = { account = name }
  for _, k in ipairs(ENTRY_FIELDS) do out[k] = e[k] end
  return out
end

--- The accounts in the file, sorted by name, without their tokens.
-- @treturn[1] {table,...} each `{ account, access_expires_at, refresh_expires_at, client_id, scope,
-- updated_at }` (times in seconds since the epoch; nil when unknown)
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:list()
  local accounts, err = self:_read()
  if not accounts then return nil, err end
  local out = {}
  for name, e in pairs(accounts) do
    local c = copy_entry(e, name)
    c.access_token, c.refresh_token, c.access_issued_at = nil, nil, nil
    out[#out + 1] = c
  end
  table.sort(out, function(a, b) return a.account < b.account end)
  return out
end

--- One account's entry, tokens included (keep it out of logs).
-- @string account the username
-- @treturn[1] table `{ account, access_token, access_expires_at, access_issued_at, refresh_token,
-- refresh_expires_at, client_id, scope, updated_at }`
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials" (no such account: its message names the file
-- and the accounts it has)
function Store:get(account)
  if type(account) ~= "string" or account == "" then
    raise("Store:get", "account must be a non-empty string, got %s", type(account))
  end
  local accounts, err = self:_read()
  if not accounts then return nil, err end
  local e = accounts[account]
  if not e then
    local names = {}
    for name in pairs(accounts) do names[#names + 1] = name end
    table.sort(names)
    return fail("no account " .. account .. " in " .. self.file .. " (" ..
      (#names > 0 and "it has " .. table.concat(names, ", ") or "it has none: pinanalytics login adds one") ..
      ")", { path = self.file, account = account })
  end
  return copy_entry(e, account)
end

--- The only account in the file (for a program that was given no account name).
-- @treturn[1] string its username
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials": none, or several (named)
function Store:only_account()
  local list, err = self:list()
  if not list then return nil, err end
  if #list == 1 then return list[1].account end
  if #list == 0 then
    return fail("no account in " .. self.file .. ": pinanalytics login adds one", { path = self.file })
  end
  local names = {}
  for i, a in ipairs(list) do names[i] = a.account end
  return fail("several accounts in " .. self.file .. " (" .. table.concat(names, ", ") .. "): name one",
    { path = self.file })
end

-- The entry made from a token answer (POST /oauth/token), over the old one.
function Store:_entry(old, tokens)
  local now = self.clock()
  local e = {}
  for k, v in pairs(old or {}) do e[k] = v end
  e.access_token = tokens.access_token
  e.access_issued_at = now
  e.access_expires_at = tonumber(tokens.expires_in) and now + math.floor(tokens.expires_in) or
    tonumber(tokens.access_expires_at)
  if type(tokens.refresh_token) == "string" and tokens.refresh_token ~= "" and
      tokens.refresh_token ~= (old or {}).refresh_token then
    e.refresh_token = tokens.refresh_token
    e.refresh_expires_at = tonumber(tokens.refresh_token_expires_at) or
      (tonumber(tokens.refresh_token_expires_in) and now + math.floor(tokens.refresh_token_expires_in)) or nil
  end
  if type(tokens.scope) == "string" then e.scope = tokens.scope end
  if type(tokens.client_id) == "string" then e.client_id = tokens.client_id end
  e.updated_at = now
  e.refresh_started_at = nil -- a saved answer ends any refresh under way
  return e
end

--- Saves an account's tokens (after a login), replacing what it had.
-- @string account the username
-- @tab tokens a `POST /oauth/token` answer: `access_token`, `refresh_token` (required), `expires_in`,
-- `refresh_token_expires_in` or `refresh_token_expires_at`, `scope`; and `client_id`, the app's
-- @treturn[1] true
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:put(account, tokens)
  if type(account) ~= "string" or account == "" then
    raise("Store:put", "account must be a non-empty string, got %s", type(account))
  end
  if type(tokens) ~= "table" or type(tokens.access_token) ~= "string" or type(tokens.refresh_token) ~= "string" then
    raise("Store:put", "tokens must be a table with access_token and refresh_token strings")
  end
  return self:_update(function(accounts)
    accounts[account] = self:_entry(nil, tokens)
    return true
  end)
end

--- Forgets an account (a logout).
-- @string account the username
-- @treturn[1] boolean whether the file had it
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error kind "credentials"
function Store:remove(account)
  if type(account) ~= "string" or account == "" then
    raise("Store:remove", "account must be a non-empty string, got %s", type(account))
  end
  local had = false
  local ok, err = self:_update(function(accounts)
    had = accounts[account] ~= nil
    accounts[account] = nil
    return true
  end)
  if not ok then return nil, err end
  return had
end

--- Whether an entry's access token can still be used at `now`: it has not
-- expired, nor come within a minute (or a tenth of its life) of it.
-- @tab entry as `Store:get` gives it
-- @int[opt] now seconds since the epoch (default: the store's clock)
-- @treturn boolean
function Store:usable(entry, now)
  if type(entry) ~= "table" or type(entry.access_token) ~= "string" or entry.access_token == "" then return false end
  local exp = tonumber(entry.access_expires_at)
  if not exp then return true end
  now = now or self.clock()
  local life = exp - (tonumber(entry.access_issued_at) or exp - 600)
  return now < exp - math.min(60, life / 10)
end

--- Refreshes an account's tokens, one process at a time. Under the
-- account's lock it reads the file again: when its access token is no
-- longer `used` and is still usable, another process refreshed meanwhile
-- and that entry is the answer; otherwise `request(entry)` obtains new
-- tokens (`POST /oauth/token` with `entry.refresh_token`) and they are
-- written (atomically, durably) before this returns. Before asking, the
-- entry is marked (`refresh_started_at`, cleared by the save): when a
-- process is killed between Pinterest's answer and the save, the next
-- refresh that Pinterest refuses says so, with the time.
-- @string account the username
-- @tparam string|nil used the access token the caller had (refused, or due)
-- @func request `function(entry)` returning a token answer (as `put` takes) or `nil, err`
-- @treturn[1] table the new entry (as `Store:get` gives it)
-- @treturn[1] boolean true when it was refreshed here, false when another process had
-- @treturn[2] nil
-- @treturn[2] pinanalytics.errors.Error what `request` returned, or kind "credentials"
function Store:refresh(account, used, request)
  if type(account) ~= "string" or account == "" then
    raise("Store:refresh", "account must be a non-empty string, got %s", type(account))
  end
  if type(request) ~= "function" then raise("Store:refresh", "request must be a function") end
  local hex = account:gsub(".", function(c) return string.format("%02x", c:byte()) end)
  local lock, lerr = self:_lock("account-" .. hex, "account " .. account)
  if not lock then return nil, lerr end
  self:_step("locked")
  local entry, gerr = self:get(account)
  if not entry then
    lock:close()
    return nil, gerr
  end
  if entry.access_token ~= used and self:usable(entry) then
    lock:close()
    return entry, false
  end
  -- From here to the save, the account's refresh token may be replaced at
  -- Pinterest while only this process knows the new one: mark the entry
  -- (so that a process killed meanwhile leaves a trace the next refresh
  -- explains), and hold the polite signals (Ctrl-C, SIGTERM) until the
  -- answer is saved.
  local interrupted = tonumber(entry.refresh_started_at)
  local marked, merr = self:_update(function(accounts)
    if not accounts[account] then return nil, fail("no account " .. account .. " in " .. self.file) end
    accounts[account].refresh_started_at = self.clock()
    return true
  end, true)
  if not marked then
    lock:close()
    return nil, merr
  end
  self:_step("marked")
  if self.hold_signals then core.fs_hold_signals(true) end
  local function let_go()
    if self.hold_signals then core.fs_hold_signals(false) end
  end
  local ok, tokens, rerr = errors.pass_interrupt(pcall(request, entry))
  if not ok or not tokens then
    let_go()
    lock:close()
    if not ok then error(tokens, 0) end
    if interrupted and type(rerr) == "table" and rerr.kind == "auth" then
      rerr.message = tostring(rerr.message) .. " (a refresh of " .. account .. " begun " ..
        os.date("!%Y-%m-%d %H:%M:%S UTC", interrupted) .. " was cut off before it saved the new refresh token, " ..
        "which Pinterest may then have put in place of this one)"
    end
    return nil, rerr
  end
  self:_step("received")
  local new
  local sok, saved, serr = pcall(self._update, self, function(accounts)
    local old = accounts[account] or entry
    new = self:_entry(old, tokens)
    accounts[account] = new
    return true
  end)
  let_go()
  lock:close()
  if not sok then error(saved, 0) end
  if not saved then
    serr.message = serr.message .. " (the account's new refresh token is lost with it: if the old one was " ..
      "replaced, pinanalytics login renews the account)"
    return nil, serr
  end
  return copy_entry(new, account), true
end

--- Functions.
-- @section functions

-- The file store's methods, which pinanalytics.credentials.pg shares (usable, _entry).
M._Store = Store

local function is_uri(path)
  return type(path) == "string" and path:match("^postgres[%w]*://") ~= nil
end

--- A store over a credentials file, or, for a team, over a PostgreSQL
-- database (a "postgresql://" or "postgres://" URI: `pinanalytics.credentials.pg`,
-- the same methods). Nothing is read, created or connected until a method
-- needs it.
-- @tparam[opt] string|table opts the file's path (or the URI), or a table:
-- @string[opt] opts.path the file (default `default_path()`), or the URI
-- @func[opt=pinanalytics.core.sleep] opts.sleep how to wait for a lock another process holds (a client
-- passes its runtime's, so that OpenResty and Neovim go on meanwhile)
-- @number[opt=120] opts.lock_timeout seconds to wait for a lock
-- @func[opt=os.time] opts.clock seconds since the epoch, for expiry times
-- @func[opt] opts.on_step `function(name)` called at each step of a refresh and a save ("locked",
-- "marked", "received", "written", "renamed", "synced"; in PostgreSQL "locked", "received", "committed"):
-- for tests that stop a process there
-- @bool[opt=false] opts.hold_signals hold SIGINT, SIGTERM, SIGHUP and SIGQUIT from the moment a refresh
-- asks for new tokens until they are saved (`pinanalytics.core.fs_hold_signals`), so that Ctrl-C or a
-- polite kill cannot lose the account; for a process of its own (a script, the command-line tool), not
-- inside a host that owns its signals (nginx, Neovim)
-- @treturn Store|pinanalytics.credentials.pg.PgStore
function M.open(opts)
  if opts == nil or type(opts) == "string" then opts = { path = opts } end
  if type(opts) ~= "table" then raise("open", "opts must be a path or a table, got %s", type(opts)) end
  local path = opts.path
  if path == nil then
    local why
    path, why = M.default_path()
    if not path then raise("open", "%s; give the path", why) end
  end
  for _, k in ipairs({ "sleep", "clock", "on_step" }) do
    if opts[k] ~= nil and type(opts[k]) ~= "function" then
      raise("open", "option %s must be a function, got %s", k, type(opts[k]))
    end
  end
  if opts.hold_signals ~= nil and type(opts.hold_signals) ~= "boolean" then
    raise("open", "option hold_signals must be a boolean, got %s", type(opts.hold_signals))
  end
  if opts.lock_timeout ~= nil and (type(opts.lock_timeout) ~= "number" or opts.lock_timeout ~= opts.lock_timeout
      or opts.lock_timeout < 0) then
    raise("open", "option lock_timeout must be a number of seconds >= 0")
  end
  if is_uri(path) then
    if path:find("%z") then raise("open", "a postgresql:// URI must not contain a NUL byte") end
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.uri, o.path = path, nil
    return require("pinanalytics.credentials.pg").open(o)
  end
  if type(path) ~= "string" or path == "" or path:find("%z") or path:sub(-1) == "/" then
    raise("open", "path must be a file's path, got %s", type(path) == "string" and ("%q"):format(path) or type(path))
  end
  return setmetatable({
    file = path, sleep = opts.sleep or core.sleep, clock = opts.clock or os.time,
    lock_timeout = opts.lock_timeout or M.LOCK_TIMEOUT, on_step = opts.on_step, hold_signals = opts.hold_signals,
  }, Store)
end

--- Is x a store made by `open` (over a file or a PostgreSQL database)?
-- @param x any value
-- @treturn boolean
function M.is_store(x)
  if getmetatable(x) == Store then return true end
  local pg = package.loaded["pinanalytics.credentials.pg"]
  return pg ~= nil and pg.is_store(x)
end

return M
