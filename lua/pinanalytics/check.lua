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

--- The base URL without trailing slashes; raises unless it is http(s).
function M.base_url(fail, fn, url)
  if not url:match("^https?://[^/]+") then
    fail(fn, "option base_url = %s must start with http:// or https://", M.show(url))
  end
  return (url:gsub("/+$", ""))
end

--- The User-Agent: the caller's product, then ours.
function M.user_agent(version, extra)
  local ua = "pinanalytics/" .. version .. " (" .. _VERSION .. ")"
  if extra then ua = extra .. " " .. ua end
  return ua
end

return M
