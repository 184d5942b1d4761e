--- Requests through a core Session, answers as values or error values.
--
-- Shared by the Pinterest and OneUp clients: builds query strings, performs
-- the request, and turns every outcome that is not a usable success into an
-- error value (pinanalytics.errors) with secrets removed.
local errors = require "pinanalytics.errors"

local M = {}

local function escape(s)
  return (s:gsub("[^%w%-%._~,]", function(c) return string.format("%%%02X", c:byte()) end))
end
M.escape = escape

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

--- Base64 (RFC 4648, with padding): the form HTTP Basic credentials travel in.
function M.base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local q = { math.floor(n / 262144) % 64, math.floor(n / 4096) % 64, math.floor(n / 64) % 64, n % 64 }
    local chars = {}
    for j = 1, 4 do chars[j] = B64:sub(q[j] + 1, q[j] + 1) end
    if not b then chars[3] = "=" end
    if not c then chars[4] = "=" end
    out[#out + 1] = table.concat(chars)
  end
  return table.concat(out)
end

--- Adds a secret to the list errors are scrubbed with, in every form it
-- travels in: as it is and URL-escaped (a query value, a form body).
function M.add_secret(list, s)
  if type(s) ~= "string" or s == "" then return end
  for i = 1, #list do
    if list[i] == s then return end -- known already (a token taken again from the credentials)
  end
  list[#list + 1] = s
  local e = escape(s)
  if e ~= s then list[#list + 1] = e end
end

--- Encodes an array of {name, value} pairs as "?a=1&b=2" ("" when empty).
-- Values are strings or numbers; a name may repeat (pin_ids=1&pin_ids=2).
-- A pair {name, value, true} is sent as it is: its name and value are
-- known to hold only characters that need no escaping (checked values:
-- dates, digits, enum names).
function M.query(pairs_list)
  local out = {}
  for i = 1, #pairs_list do
    local p = pairs_list[i]
    if p[3] then
      out[i] = p[1] .. "=" .. p[2]
    else
      out[i] = escape(p[1]) .. "=" .. escape(tostring(p[2]))
    end
  end
  if #out == 0 then return "" end
  return "?" .. table.concat(out, "&")
end

local function snippet(raw)
  raw = raw:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if #raw > 200 then raw = raw:sub(1, 200) .. "..." end
  return raw
end

--- Turns an HTTP answer into true, body, meta (2xx with a JSON or empty
-- body; meta = {status, headers, request_id}) or false, err.
-- opts: secrets (strings to redact from errors), endpoint (label for errors).
function M.result(status, headers, body, decode_err, raw, opts, shape_ok)
  local secrets = opts.secrets
  local request_id = headers["x-pinterest-rid"]
  if status >= 200 and status <= 299 then
    if decode_err then
      return false, errors.new({ kind = "invalid_json", status = status, request_id = request_id,
        message = "the response body is not valid JSON: " .. decode_err, raw = raw,
        endpoint = opts.endpoint }, secrets)
    end
    return true, body, { status = status, headers = headers, request_id = request_id, shape_ok = shape_ok }
  end
  local fields = {
    kind = errors.kind_for_status(status), status = status, request_id = request_id,
    retry_after = errors.retry_after(headers), endpoint = opts.endpoint, headers = headers,
  }
  if type(body) == "table" then
    fields.body = body
    if type(body.code) == "number" then fields.code = body.code end
    if type(body.message) == "string" then
      fields.message = body.message
    elseif type(body.message_detail) == "string" then
      fields.message = body.message_detail
    end
  elseif raw then
    fields.raw = raw
    -- scrubbed before it is cut: a cut must not leave half a secret behind
    fields.message = "HTTP " .. status .. " with a body that is not JSON: " .. snippet(errors.redact(raw, secrets))
  end
  if not fields.message then
    fields.message = "HTTP " .. status .. " (" .. errors.KINDS[fields.kind] .. ")"
  end
  return false, errors.new(fields, secrets)
end

--- Performs one request.
-- opts: method ("GET"), body (string), headers (array of "Name: value"),
--       shape ("analytics": checked and typed while decoding; meta.shape_ok
--       is then true when the answer has that shape), secrets, endpoint (as
--       for M.result).
-- Returns true, body, meta | false, err (see M.result).
function M.perform(session, target, opts)
  opts = opts or {}
  local status, headers, body, decode_err, raw, shape_ok = session:request(opts.method or "GET", target,
    opts.body, opts.headers, opts.shape)
  if not status then
    -- no HTTP answer: headers is the kind, body the message
    return false, errors.new({ kind = headers, message = body, curl_code = decode_err,
      endpoint = opts.endpoint }, opts.secrets)
  end
  return M.result(status, headers, body, decode_err, raw, opts, shape_ok)
end

return M
