--- The fault matrix: broken answers and broken transports as simulator
-- overrides, with what a client must make of each. Shared by
-- fault_matrix_spec (each case through each client) and secrets_spec
-- (every string the cases produce is searched for credentials).
local core = require "pinanalytics.core"

local F = {}

F.PIN = "813744226420795884"
F.PINS = { "813744226420795884", "900000000000007919", "900000000000015838" }

--- The client timeout the cases run with (seconds), and the size cap.
F.TIMEOUT = 1
F.MAX_BODY = 16384

local HDR = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"

local HTML_502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n" ..
  "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"

-- JSON cut in the middle, whatever the endpoint
local CUT = '{"all":{"daily_metrics":[{"date":"2026-11-01","data_status":"READY","metrics":{"IMPRESSION":12'

local function chunked(size, parts)
  local out = { HDR .. "Transfer-Encoding: chunked\r\n\r\n" }
  for _ = 1, parts do out[#out + 1] = string.format("%x\r\n", size) .. string.rep(" ", size) .. "\r\n" end
  out[#out + 1] = "0\r\n\r\n"
  return out
end

local function trickle()
  -- headers at once, then a byte every 250 ms for 10 s: far past the timeout
  local out = { HDR .. "Content-Length: 100\r\n\r\n" }
  for _ = 1, 40 do out[#out + 1] = " " end
  return out
end

--- Each case: name; fault(ctx) -> the override entry for the faulty path
-- (ctx.redirect_to: a URL on another host); kind: the err kind every client
-- must return; says: text tostring(err) must contain; status: err.status
-- (nil: no HTTP answer); transient: retried, so a retry gets past a fault
-- that happens once; client: options it needs (max_body).
F.cases = {
  {
    name = "the connection closes before the headers", kind = "network", says = "Empty reply", transient = true,
    fault = function() return { raw = "" } end,
  },
  {
    name = "the connection closes in the middle of the headers", kind = "network", transient = true,
    says = "headers",
    fault = function() return { raw = "HTTP/1.1 200 OK\r\nContent-Type: applica" } end,
  },
  {
    name = "the connection closes in the middle of the body", kind = "network", says = "transfer closed",
    transient = true,
    fault = function() return { raw = HDR .. "Content-Length: 4000\r\n\r\n" .. CUT } end,
  },
  {
    name = "truncated JSON (Content-Length honest)", kind = "invalid_json", says = "not valid JSON", status = 200,
    fault = function() return { raw = HDR .. "Content-Length: " .. #CUT .. "\r\n\r\n" .. CUT } end,
    raw = CUT,
  },
  {
    name = "invalid JSON", kind = "invalid_json", says = "not valid JSON", status = 200,
    fault = function() return { status = 200, body = "{'all': nope}" } end,
    raw = "{'all': nope}",
  },
  {
    name = "an HTML 502 page", kind = "server", says = "502 Bad Gateway", status = 502, transient = true,
    fault = function() return { status = 502, body = HTML_502, headers = { ["Content-Type"] = "text/html" } } end,
  },
  {
    name = "an empty 200 body", kind = "invalid_response", says = "empty", status = 200,
    fault = function() return { status = 200, body = "" } end,
  },
  {
    name = "200 with a JSON array where an object belongs", kind = "invalid_response", says = "got array",
    status = 200,
    fault = function() return { status = 200, body = "[1,2,3]" } end,
  },
  {
    name = "a corrupt gzip body", kind = "network", says = "unencoding", transient = true,
    fault = function()
      return { status = 200, body = "\31\139\8\0this is not deflate data at all",
        headers = { ["Content-Encoding"] = "gzip" } }
    end,
  },
  {
    name = "a body over max_body (Content-Length says so)", kind = "too_large", says = "max_body",
    client = { max_body = F.MAX_BODY },
    fault = function()
      return { raw = HDR .. "Content-Length: " .. 4 * F.MAX_BODY .. "\r\n\r\n" .. string.rep(" ", 4 * F.MAX_BODY) }
    end,
  },
  {
    name = "a body over max_body (chunked, no Content-Length)", kind = "too_large", says = "max_body",
    client = { max_body = F.MAX_BODY },
    fault = function() return { raw = chunked(F.MAX_BODY / 2, 4) } end,
  },
  {
    name = "a slow trickle past the timeout", kind = "timeout", says = "timed out", transient = true,
    fault = function() return { raw = trickle(), raw_delay_ms = 250 } end,
  },
  {
    name = "a redirect to another host", kind = "http", says = "HTTP 302", status = 302,
    fault = function(ctx)
      return { status = 302, body = "", headers = { Location = ctx.redirect_to } }
    end,
  },
}

--- The case named name.
function F.case(name)
  for _, c in ipairs(F.cases) do
    if c.name == name then return c end
  end
  error("no fault case " .. name)
end

--- Client options for a case: timeout F.TIMEOUT and the case's own.
function F.client_opts(case, extra)
  local o = { timeout = F.TIMEOUT, connect_timeout = F.TIMEOUT }
  for k, v in pairs(case and case.client or {}) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

--- The longest a call may take with this timeout and number of retries:
-- each try within the timeout, the backoffs between them, and a generous
-- margin (a bound against hangs, not a timing measurement).
function F.bound(timeout, retries, waits)
  local backoff = 0
  for k = 1, retries do backoff = backoff + math.min(30, 0.5 * 2 ^ (k - 1)) end
  return timeout * (retries + 1) + backoff + (waits or 0) + 5
end

--- Runs fn() and returns the seconds it took and its first three results.
function F.timed(fn)
  local t0 = core.now()
  local a, b, c = fn()
  return core.now() - t0, a, b, c
end

--- The requests of sim whose path is path.
function F.tries(sim, path)
  local n = 0
  for _, r in ipairs(sim:requests()) do
    if r.path == path then n = n + 1 end
  end
  return n
end

--- Asserts that err is an error value of kind `kind` whose tostring is one
-- line naming the problem (`says`).
function F.assert_err(err, kind, says)
  assert(require("pinanalytics.errors").is(err), "not an error value: " .. tostring(err))
  local line = tostring(err)
  assert(err.kind == kind, "kind " .. tostring(err.kind) .. ", want " .. kind .. ": " .. line)
  assert(not line:find("[\r\n]"), "more than one line: " .. line)
  assert(line:sub(1, #("pinanalytics: " .. kind .. ": ")) == "pinanalytics: " .. kind .. ": ", line)
  if says then
    assert(line:lower():find(says:lower(), 1, true), "does not say " .. says .. ": " .. line)
  end
end

return F
