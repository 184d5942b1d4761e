--- Argument checks shared by the clients: programmer errors raise at once
-- with a message naming the function, the parameter, what was given and
-- what is allowed.
local M = {}

--- A value as an error message shows it: strings quoted, others with their type.
function M.show(v)
  if type(v) == "string" then return string.format("%q", v) end
  return tostring(v) .. " (" .. type(v) .. ")"
end

--- fail(fn, fmt, ...) raising "<prefix>:<fn>: <message>".
function M.failer(prefix)
  return function(fn, fmt, ...)
    error(prefix .. ":" .. fn .. ": " .. string.format(fmt, ...), 0)
  end
end

--- Checks an options table against { name = "type" }: unknown names and
-- wrong types raise. A value is never echoed (options hold credentials).
function M.options(fail, fn, opts, known)
  if type(opts) ~= "table" then fail(fn, "options must be a table, got %s", M.show(opts)) end
  for k, v in pairs(opts) do
    local want = known[k]
    if not want then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown option %s (known: %s)", M.show(k), table.concat(names, ", "))
    end
    if type(v) ~= want then fail(fn, "option %s must be a %s, got a %s", k, want, type(v)) end
  end
end

-- Is the host part of a URL (no port) a loopback address?
local function is_loopback(host)
  if host == "localhost" or host == "[::1]" then return true end
  local a, b, c, d = host:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, x in ipairs({ a, b, c, d }) do
    if #x > 3 or tonumber(x) > 255 then return false end
  end
  return tonumber(a) == 127
end
M.is_loopback = is_loopback

--- The base URL without trailing slashes. Raises unless it is http:// or
-- https:// with a host and no credentials, query or fragment; plain http://
-- only to a loopback host (the simulator) unless allow_plain_http is true,
-- because the token and the client secret would cross the network readable.
function M.base_url(fail, fn, url, allow_plain_http)
  local scheme, authority = url:match("^(https?)://([^/]*)")
  if not scheme or authority == "" or url:find("[%c%s]") then
    fail(fn, "option base_url must be http:// or https:// followed by a host, got %s", M.show(url))
  end
  if authority:find("@", 1, true) or url:find("[?#]") then
    fail(fn, "option base_url must not hold credentials, a query or a fragment (give the token as an option)")
  end
  local host = authority:match("^(%[[%x:.]+%])") or authority:match("^([^:]+)")
  local port = authority:sub(#(host or "") + 1)
  if not host or not (port == "" or port:match("^:%d+$")) then
    fail(fn, "option base_url has a malformed host, got %s", M.show(url))
  end
  if scheme == "http" and not allow_plain_http and not is_loopback(host:lower()) then
    fail(fn, "option base_url = %s is plain http:// to a host that is not loopback: the token would travel " ..
      "unencrypted; use https://, or set allow_plain_http = true if you mean it", M.show(url))
  end
  return (url:gsub("/+$", ""))
end

--- The User-Agent: the caller's product, then ours. The caller's part may
-- not hold control characters (it becomes a header line).
function M.user_agent(fail, fn, version, extra)
  if extra ~= nil and extra:find("%c") then
    fail(fn, "option user_agent must not contain control characters (CR, LF, NUL ...)")
  end
  local ua = "pinanalytics/" .. version .. " (" .. _VERSION .. ")"
  if extra then ua = extra .. " " .. ua end
  return ua
end

return M
