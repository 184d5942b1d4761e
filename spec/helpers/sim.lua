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

function H.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

return H
