--- The error value every run-time failure returns as `nil, err`.
--
-- Fields: kind, message, status (HTTP status or nil), code (Pinterest's own
-- error code from the body, not the HTTP status), request_id (the
-- x-pinterest-rid header), retry_after (seconds, when the server said),
-- endpoint ("GET /v5/pins/{id}/analytics", never a query string), and
-- depending on the kind: path (invalid_response), body (the decoded body of a
-- response that was not passed on), raw (a body that was not JSON).
-- tostring(err) gives one line. Secrets the client knows are removed from
-- every string field before the value is built.
local M = {}

--- Every kind, with what it means.
M.KINDS = {
  network = "no HTTP answer: connection refused or reset, DNS failure",
  timeout = "no complete answer within the configured timeout",
  tls = "TLS handshake or certificate verification failed",
  too_large = "the response body was larger than max_body, or its headers larger than 256 KiB",
  bad_request = "HTTP 400: the server rejected the parameters",
  auth = "HTTP 401: the token is missing, wrong or expired",
  forbidden = "HTTP 403: the token may not read this object",
  not_found = "HTTP 404: the object (or the endpoint) does not exist",
  rate_limit = "HTTP 429: a rate limit was hit",
  server = "HTTP 5xx: the server failed",
  http = "any other HTTP status that is not a success",
  invalid_json = "the body is not valid JSON",
  invalid_response = "the JSON does not have the documented shape, or the answer is not readable HTTP",
  quota = "a rate limit or quota resets later than max_wait allows to wait",
  api = "the API answered success = false (OneUp)",
  store = "the local store's database failed (pinanalytics.store): locked, unreachable, full, too new",
}

local Error = {}
Error.__index = Error
Error.__name = "pinanalytics.Error"

local function one_line(s)
  return (tostring(s):gsub("[\r\n]+", " "))
end

function Error:__tostring()
  local parts = { "pinanalytics: ", self.kind, ": ", one_line(self.message or "") }
  local extra = {}
  if self.endpoint then extra[#extra + 1] = self.endpoint end
  if self.status then extra[#extra + 1] = "HTTP " .. self.status end
  if self.code ~= nil then extra[#extra + 1] = "code " .. tostring(self.code) end
  if self.path then extra[#extra + 1] = "at " .. self.path end
  if self.retry_after then extra[#extra + 1] = "retry after " .. self.retry_after .. "s" end
  if self.request_id then extra[#extra + 1] = "request_id " .. self.request_id end
  if #extra > 0 then
    parts[#parts + 1] = " (" .. table.concat(extra, ", ") .. ")"
  end
  return table.concat(parts)
end

--- Replaces every occurrence of each secret in s with "[REDACTED]".
function M.redact(s, secrets)
  if type(s) ~= "string" or not secrets then return s end
  for _, secret in ipairs(secrets) do
    if type(secret) == "string" and #secret > 0 then
      local i = 1
      local out = {}
      while true do
        local a, b = s:find(secret, i, true)
        if not a then break end
        out[#out + 1] = s:sub(i, a - 1)
        out[#out + 1] = "[REDACTED]"
        i = b + 1
      end
      if #out > 0 then
        out[#out + 1] = s:sub(i)
        s = table.concat(out)
      end
    end
  end
  return s
end

-- A copy of the value v with every string (keys too) redacted.
local function redact_deep(v, secrets, seen)
  if type(v) == "string" then return M.redact(v, secrets) end
  if type(v) ~= "table" or getmetatable(v) ~= nil then return v end
  if seen[v] then return seen[v] end
  local copy = {}
  seen[v] = copy
  for k, x in pairs(v) do
    copy[redact_deep(k, secrets, seen)] = redact_deep(x, secrets, seen)
  end
  return copy
end

--- Builds an error value. `fields.kind` must be one of M.KINDS (or a kind a
-- later module adds); string fields are redacted with `secrets`.
function M.new(fields, secrets)
  local e = setmetatable({}, Error)
  local has_secrets = secrets and #secrets > 0
  for k, v in pairs(fields) do
    -- the kind is the library's own word: a short secret must not mangle it
    if has_secrets and k ~= "kind" then v = redact_deep(v, secrets, {}) end
    e[k] = v
  end
  if e.message == nil then e.message = M.KINDS[e.kind] or e.kind end
  return e
end

--- True when x is an error value built by this module.
function M.is(x)
  return getmetatable(x) == Error
end

local STATUS_KINDS = {
  [400] = "bad_request", [401] = "auth", [403] = "forbidden", [404] = "not_found", [429] = "rate_limit",
}

--- Kind for an HTTP status that is not a success.
function M.kind_for_status(status)
  if STATUS_KINDS[status] then return STATUS_KINDS[status] end
  if status >= 500 and status <= 599 then return "server" end
  return "http"
end

--- The longest wait a server can ask for: one week. A server-given wait is
-- clamped to 0..MAX_SERVER_WAIT before it is used or formatted, so that no
-- header value (1e309, 0x7fffffffffffffff, twenty nines) can overflow a date
-- or a timer.
M.MAX_SERVER_WAIT = 7 * 86400

--- A wait in seconds clamped to 0..MAX_SERVER_WAIT (NaN counts as the maximum).
function M.clamp_wait(n)
  if n ~= n or n > M.MAX_SERVER_WAIT then return M.MAX_SERVER_WAIT end
  if n < 0 then return 0 end
  return n
end

--- A plain decimal number of seconds ("12", "2.5") as a number, unclamped;
-- nil for anything else (hex, exponents, signs, "inf", "nan").
function M.decimal(s)
  if type(s) ~= "string" then return nil end
  return tonumber(s:match("^%s*(%d+%.?%d*)%s*$"))
end

--- Seconds to wait from Retry-After (delta seconds; an HTTP date is not
-- parsed), clamped to 0..MAX_SERVER_WAIT.
function M.retry_after(headers)
  local n = M.decimal(headers and headers["retry-after"])
  if n then return M.clamp_wait(n) end
  return nil
end

return M
