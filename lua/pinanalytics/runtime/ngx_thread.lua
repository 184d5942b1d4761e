--- The part of the "ngx" runtime that runs on nginx's thread pool.
--
-- ngx.run_worker_thread calls request() in a Lua VM of the pool's thread
-- (each thread has its own VM, kept between tasks). The transfer, the JSON
-- decoding and the schema check all happen here, off the nginx worker's
-- event loop; what returns is plain values (JSON null is a NULL light
-- userdata, the same value as pinanalytics.null in the worker).
--
-- Each VM keeps one core Session per set of options, so connections stay
-- alive between tasks (one per thread and server).
local core = require "pinanalytics.core"

local M = {}

local MAX_SESSIONS = 16
local sessions, count = {}, 0

local KEYS = { "base_url", "user_agent", "timeout", "connect_timeout", "max_body", "tls_verify", "ca_file",
  "allow_plain_http", "username", "password" }

local function key_of(opts)
  local parts = {}
  for i, k in ipairs(KEYS) do parts[i] = tostring(opts[k]) end
  return table.concat(parts, "\0")
end

--- One request, on the thread's own Session for these options.
-- @tab opts `pinanalytics.core.session`'s options, without the token
-- @string[opt] token
-- @string method
-- @string target
-- @string[opt] body
-- @tparam[opt] {string,...} headers
-- @string[opt] shape
-- @return what `pinanalytics.core.Session:request` returns
function M.request(opts, token, method, target, body, headers, shape)
  if type(opts) ~= "table" then error("pinanalytics.runtime.ngx_thread.request: opts must be a table", 0) end
  local key = key_of(opts)
  local s = sessions[key]
  if not s then
    if count >= MAX_SESSIONS then
      for k, old in pairs(sessions) do
        old:close()
        sessions[k] = nil
      end
      count = 0
    end
    s = core.session(opts)
    sessions[key] = s
    count = count + 1
  end
  s:set_token(token)
  return s:request(method, target, body, headers, shape)
end

return M
