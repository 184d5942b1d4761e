--- pinanalytics: Pinterest analytics for Lua.
--
--   local pa = require "pinanalytics"
--   local pin = pa.pinterest{ token = os.getenv("PINTEREST_ACCESS_TOKEN") }
--   local res, err = pin:pin_analytics(pin_id, { start_date = ..., end_date = ...,
--                                                metric_types = { "IMPRESSION" } })
--
-- pa.null is the value JSON null decodes to (a light userdata, the same as
-- lua-cjson's cjson.null); pa.errors.KINDS lists every error kind.
local core = require "pinanalytics.core"

local M = {
  _VERSION = core.version,
  core = core,
  null = core.null,
  dates = require "pinanalytics.dates",
  errors = require "pinanalytics.errors",
  report = require "pinanalytics.report",
}

--- A Pinterest REST API v5 client (see pinanalytics.pinterest).
function M.pinterest(opts)
  return require("pinanalytics.pinterest").new(opts)
end

--- A MetricFrame (see pinanalytics.frame).
function M.frame(x, opts)
  return require("pinanalytics.frame").frame(x, opts)
end

--- A OneUp analytics client (see pinanalytics.oneup).
function M.oneup(opts)
  return require("pinanalytics.oneup").new(opts)
end

--- Runs fn() in a coroutine in which the calls of clients made with
-- runtime = "uv" yield to the libuv loop (Neovim's vim.loop, or lua-luv)
-- while they wait; on_done(ok, result_or_err) is called when fn ends. See
-- pinanalytics.runtime.uv.
function M.async(fn, on_done)
  return require("pinanalytics.runtime.uv").async(fn, on_done)
end

--- The local store: history beyond 90 days, synced incrementally
-- (pinanalytics.store). Loaded on first use: pa.store.open("analytics.db").
setmetatable(M, {
  __index = function(t, k)
    if k == "store" then
      local store = require "pinanalytics.store"
      rawset(t, "store", store)
      return store
    end
  end,
})

return M
