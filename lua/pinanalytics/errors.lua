--- The error value every run-time failure returns as `nil, err`.
--
-- Programmer errors (a bad argument, an unknown option) raise a string
-- naming the function, the parameter, the value given and what is allowed.
-- Everything that happens at run time (the network, the server, the
-- answer) returns `nil, err` instead, `err` being an `Error`.
--
-- `tostring(err)` is one line, e.g.
-- `pinanalytics: not_found: Pin not found. (GET /pins/404404/analytics, HTTP 404, code 50, request_id 5f1c...)`.
-- The token, the client secret, the refresh token and OneUp's apiKey never
-- appear in an error: every string of it (nested body fields too) is
-- scrubbed of them, in every form they travel in (as they are, URL-escaped,
-- and the base64 of the HTTP Basic credentials).
-- @usage
-- local res, err = client:pin_analytics(id, params)
-- if not res then
--   if err.kind == "rate_limit" or err.kind == "quota" then print("again in", err.retry_after) end
--   error(tostring(err))
-- end
local M = {}

--- Every error kind, with what it means: `KINDS[err.kind]` is a sentence.
-- @table KINDS
-- @field network no HTTP answer: connection refused or reset, DNS failure
-- @field timeout no complete answer within the client's `timeout`
-- @field tls the TLS handshake or the certificate verification failed
-- @field too_large the response body was larger than `max_body`, or its headers larger than 256 KiB
--   (or one header line than libcurl allows)
-- @field bad_request HTTP 400: the server rejected the parameters
-- @field auth HTTP 401: the token is missing, wrong or expired (and a token refresh that failed:
--   its message starts with "token refresh failed:")
-- @field forbidden HTTP 403: the token may not read this pin or board
-- @field not_found HTTP 404: the pin does not exist (or is not the token user's), or the endpoint does not
-- @field rate_limit HTTP 429: a rate limit was hit (Pinterest's code 8) and the retries ran out
-- @field quota a rate limit resets later than `max_wait` allows to wait: `retry_after` and `reset_at` say when
-- @field server HTTP 5xx
-- @field http any other status that is not a success (redirects are not followed)
-- @field invalid_json a success whose body is not JSON (`err.raw` holds it)
-- @field invalid_response JSON that does not have the documented shape (`err.path`, `err.body`), or an
--   answer libcurl cannot read as HTTP (a status line it cannot parse, a NUL in a header)
-- @field api OneUp answered `success = false`
-- @field store the local store's database failed (`pinanalytics.store`): a SQLite file locked by another
--   writer for longer than `busy_timeout` (`err.busy` is true), a file it cannot open, a PostgreSQL server
--   that refuses the connection, a statement that fails (a full disk), a store whose schema is newer than
--   the library, LuaSQL's driver missing, a read that failed part-way (a damaged file: never fewer rows),
--   a migration a read-only reader cannot write, or a number it cannot write exactly (not finite)
-- @field credentials the credentials file (`pinanalytics.credentials`) cannot be used: it cannot be read,
--   written, locked or parsed, group or others can read it, or it has no such account
-- @field report an async ads report ended FAILED, EXPIRED, CANCELLED or DOES_NOT_EXIST (`err.report_status`), or
--   its wait ran out (IN_PROGRESS): ask for it again
-- @field link_expired an async ads report's download link ran out (it is valid five minutes): ask for the
--   report's status again for a new link
-- @field redirect a report's download URL or one of its redirects was refused (only https:// is followed)
-- @field taken_over a bulk run (`pins_analytics`) was taken for gone while it waited, and its requests
--   given up before they finished (`pinanalytics.bulk.run`)
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
  credentials = "the credentials file cannot be used: unreadable, unwritable, readable by others, no such account",
  taken_over = "the bulk run was taken for gone while it waited: this request was given up before it finished",
  report = "an async ads report ended FAILED, EXPIRED, CANCELLED or DOES_NOT_EXIST (err.report_status): ask again",
  link_expired = "an async ads report's download link ran out (valid five minutes): ask for its status again",
  redirect = "a download URL or redirect was refused: only https:// is followed",
}

--- An error value: what a client method returns after `nil`. Every field
-- but `kind` and `message` may be nil.
-- @table Error
-- @field kind one of `KINDS`
-- @field message what happened; for an HTTP error the server's own message
-- @field status the HTTP status, when an answer arrived
-- @field code Pinterest's error code from the body (e.g. 50, "Pin not found."), not the HTTP status
-- @field request_id the `x-pinterest-rid` header: quote it to Pinterest support
-- @field retry_after seconds to wait, from `Retry-After` or the body, when the server said
-- @field reset_at `quota`: when the limit resets, in seconds since the epoch
-- @field endpoint e.g. "GET /pins/813744226420795884/analytics" (never a query string)
-- @field path `invalid_response`: the JSON path of the first bad field, e.g. `$.all.daily_metrics[0].date`
-- @field body the decoded body of an error answer, or of an answer that failed the shape check
-- @field raw the body text when it was not JSON
-- @field tries how many tries the request took; after more than one the message ends
--   "(after 6 tries over 12.3 s)"
-- @field elapsed seconds from the first try to the last answer
-- @field hint a likely cause, also at the end of the message (a 404 when `base_url` lacks `/v5`)

local Error = {}
Error.__index = Error
Error.__name = "pinanalytics.Error"

local function one_line(s)
  return (tostring(s):gsub("[\r\n]+", " "))
end

-- one line: "pinanalytics: KIND: MESSAGE (endpoint, HTTP status, ...)"
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

--- Functions.
-- @section functions

--- Replaces every occurrence of each secret in s with "[REDACTED]".
-- @string s a text (anything else is returned as it is)
-- @tparam {string,...} secrets
-- @treturn string
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

--- Builds an error value.
-- @tab fields the fields of the `Error`; `fields.kind` one of `KINDS`
-- (`message` defaults to the kind's sentence)
-- @tparam[opt] {string,...} secrets removed from every string field, nested ones and keys too
-- @treturn Error
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

--- Is x an error value built by this module?
-- @param x any value
-- @treturn boolean
function M.is(x)
  return getmetatable(x) == Error
end

--- Is e an interrupt: a string whose first line ends with "interrupted!",
-- as the Lua interpreter's Ctrl-C hook (lua.c, luajit.c) raises it, wherever
-- it lands (with the position before it: "file.lua:12: interrupted!")? An
-- interrupt is never turned into an error value: every `pcall` of the
-- library raises it again (`pass_interrupt`).
-- @param e an error value
-- @treturn boolean
function M.is_interrupt(e)
  return type(e) == "string" and (e:match("^[^\n]*") or ""):match("interrupted!$") ~= nil
end

--- What `pcall` returned, passed on, but an interrupt (`is_interrupt`) it
-- caught raised again: `local ok, v = errors.pass_interrupt(pcall(f, x))`.
-- @bool ok pcall's first result
-- @param ... the rest
-- @return ok, ...
function M.pass_interrupt(ok, ...)
  if not ok and M.is_interrupt((...)) then error((...), 0) end
  return ok, ...
end

local STATUS_KINDS = {
  [400] = "bad_request", [401] = "auth", [403] = "forbidden", [404] = "not_found", [429] = "rate_limit",
}

--- The kind for an HTTP status that is not a success.
-- @int status
-- @treturn string one of `KINDS`
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

--- A wait in seconds clamped to 0..`MAX_SERVER_WAIT` (NaN counts as the maximum).
-- @number n seconds
-- @treturn number
function M.clamp_wait(n)
  if n ~= n or n > M.MAX_SERVER_WAIT then return M.MAX_SERVER_WAIT end
  if n < 0 then return 0 end
  return n
end

--- A plain decimal number of seconds ("12", "2.5") as a number, unclamped.
-- @string s
-- @treturn number|nil nil for anything else (hex, exponents, signs, "inf", "nan")
function M.decimal(s)
  if type(s) ~= "string" then return nil end
  return tonumber(s:match("^%s*(%d+%.?%d*)%s*$"))
end

--- Seconds to wait from `Retry-After` (delta seconds; an HTTP date is not
-- parsed), clamped to 0..`MAX_SERVER_WAIT`.
-- @tab headers response headers, names in lower case
-- @treturn number|nil nil when there is none
function M.retry_after(headers)
  local n = M.decimal(headers and headers["retry-after"])
  if n then return M.clamp_wait(n) end
  return nil
end

return M
