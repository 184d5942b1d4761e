--- The blocking runtime: a call blocks until its answer comes; the default in plain Lua.
--
-- A request blocks the calling thread until its answer; a wait sleeps
-- (nanosleep). The transports are the C core's own Session and Batch.
local core = require "pinanalytics.core"

local M = {}

--- A runtime instance (see `pinanalytics.runtime.Runtime`): the C core's
-- `session` and `batch`, `core.sleep` and `core.now`.
-- @treturn table the runtime
function M.new()
  return {
    name = "blocking",
    session = core.session,
    batch = core.batch,
    sleep = core.sleep,
    now = core.now,
  }
end

return M
