--- Shared set-up for specs that talk to the simulator.
local dates = require "pinanalytics.dates"

local H = {}

-- A distinctive token, so that specs can assert it never leaks.
H.TOKEN = "spec-secret-token-5d41402abc4b2a76"

-- One "today" for the whole run, given to both the simulator and the client,
-- so that a run across midnight UTC cannot disagree with itself.
H.TODAY = dates.today()
local today_n = dates.parse(H.TODAY)
function H.clock() return today_n * 86400 + 43200 end

function H.day(k) return dates.add_days(H.TODAY, k) end

function H.start(opts)
  opts = opts or {}
  if opts.token == nil then opts.token = H.TOKEN end
  if opts.today == nil then opts.today = H.TODAY end
  return require("pinanalytics.simulator").start(opts)
end

function H.client(sim, opts)
  -- no retries unless a spec asks: a failure is asserted at once
  local o = { token = H.TOKEN, base_url = sim.pinterest_url, clock = H.clock, timeout = 10, retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return require("pinanalytics").pinterest(o)
end

--- Asserts that no string reachable from err (tostring and every field)
-- contains the secret.
function H.assert_no_secret(err, secret)
  secret = secret or H.TOKEN
  local seen = {}
  local function walk(v, path)
    if type(v) == "string" then
      assert(not v:find(secret, 1, true), "secret found at " .. path)
    elseif type(v) == "table" and not seen[v] then
      seen[v] = true
      for k, x in pairs(v) do walk(k, path .. "<key>"); walk(x, path .. "." .. tostring(k)) end
    end
  end
  walk(err, "err")
  walk(tostring(err), "tostring(err)")
end

--- n pin ids: strings of digits base+1 .. base+n.
function H.ids(n, base)
  local out = {}
  for i = 1, n do out[i] = tostring((base or 6000000) + i) end
  return out
end

--- n ids of 18 digits (strings, exact on every Lua): prefix (10 digits)
-- followed by 1 .. n on 8 digits.
function H.digits(n, prefix)
  local out = {}
  for i = 1, n do out[i] = prefix .. string.format("%08d", i) end
  return out
end

--- The number of entries of a table (keys of any kind).
function H.count(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

--- A form body (application/x-www-form-urlencoded) of t, keys sorted.
function H.form(t)
  local escape = require("pinanalytics.http").escape
  local keys, out = {}, {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = k .. "=" .. escape(tostring(t[k])) end
  return table.concat(out, "&")
end

--- An app's side of the simulator's OAuth, for the credentials specs:
-- `app.token(body)` posts a form to POST /oauth/token as the app (HTTP
-- Basic) and returns status, answer; `app.login(account, opts)` plays a
-- login (GET /oauth/authorize with `authorize_account = account` and opts
-- configured, its state checked, the code exchanged) and returns the token
-- answer with `client_id` added; `app.close()`.
function H.oauth_app(sim, client_id, secret, redirect)
  local core = require "pinanalytics.core"
  local session = core.session { base_url = sim.pinterest_url, username = client_id, password = secret, timeout = 10 }
  local app = {}
  function app.token(body)
    local status, _, res = session:request("POST", "/oauth/token", H.form(body),
      { "Content-Type: application/x-www-form-urlencoded" })
    return status, res
  end
  function app.login(account, opts)
    local o = { authorize_account = account }
    for k, v in pairs(opts or {}) do o[k] = v end
    sim:configure(o)
    local plain = core.session { base_url = sim.url, timeout = 10 }
    local status, headers = plain:request("GET", "/oauth/authorize?" .. H.form { client_id = client_id,
      redirect_uri = redirect, response_type = "code", scope = "user_accounts:read,pins:read", state = "st-9f2" })
    plain:close()
    assert(status == 302, "GET /oauth/authorize answered " .. tostring(status))
    local code = headers.location:match("[?&]code=([^&]+)")
    assert(headers.location:match("[?&]state=([^&]+)") == "st-9f2", "the state did not come back")
    local st, res = app.token { grant_type = "authorization_code", code = code, redirect_uri = redirect }
    assert(st == 200, "the code exchange answered " .. tostring(st))
    res.client_id = client_id
    return res
  end
  function app.close() session:close() end
  return app
end

function H.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

return H
