--- pinanalytics: Pinterest analytics for Lua.
--
-- The module most programs need: the clients (`pinterest`, `oneup`),
-- MetricFrames (`frame`), dates and ranges (`dates`), reports (`report`) and
-- errors (`errors`). A method that fails at run time returns `nil, err`
-- (`pinanalytics.errors`); a wrong argument raises.
-- @usage
-- local pa = require "pinanalytics"
-- local pin = pa.pinterest{ token = os.getenv("PINTEREST_ACCESS_TOKEN") }
-- local res, err = pin:pin_analytics("813744226420795884", {
--   range = pa.dates.last(30), metric_types = { "IMPRESSION", "SAVE" } })
-- if not res then error(tostring(err)) end
-- print(res.all.summary_metrics.IMPRESSION)
-- print(pa.report.render("text", pa.report.pin(res)))
local core = require "pinanalytics.core"

--- Fields of the module.
-- @table pinanalytics
-- @field _VERSION the library's version, e.g. "0.1.0"
-- @field core the C core (`pinanalytics.core`)
-- @field null what JSON `null` decodes to: a light userdata, equal to lua-cjson's `cjson.null`
-- @field dates `pinanalytics.dates`
-- @field errors `pinanalytics.errors` (`errors.KINDS`: every error kind)
-- @field report `pinanalytics.report`
-- @field store `pinanalytics.store`, the local history beyond the API's 90 days,
--   loaded when `pa.store` is first read: `pa.store.open("analytics.db")`
-- @field credentials `pinanalytics.credentials`, the accounts' tokens in a 0600 file, loaded when
--   first read: `pa.pinterest{ credentials = pa.credentials.open(), account = "my_shop", ... }`

local M = {
  _VERSION = core.version,
  core = core,
  null = core.null,
  dates = require "pinanalytics.dates",
  errors = require "pinanalytics.errors",
  report = require "pinanalytics.report",
}

--- A Pinterest REST API v5 client: `pinanalytics.pinterest.new(opts)`, whose
-- page lists the options and the methods.
-- @tab opts the client's options (`token`, `base_url`, `rate`, ...)
-- @treturn pinanalytics.pinterest.Client
-- @see pinanalytics.pinterest.new
function M.pinterest(opts)
  return require("pinanalytics.pinterest").new(opts)
end

--- A MetricFrame of analytics answers: `pinanalytics.frame.frame(x, opts)`.
-- @tab x an analytics answer, one split of it, results by pin id, or OneUp's posts
-- @tab[opt] opts `metric`, `split`
-- @treturn pinanalytics.frame.MetricFrame
-- @see pinanalytics.frame.frame
function M.frame(x, opts)
  return require("pinanalytics.frame").frame(x, opts)
end

--- A OneUp analytics client: `pinanalytics.oneup.new(opts)`.
-- @tab opts the client's options (`api_key`, `base_url`, ...)
-- @treturn pinanalytics.oneup.Client
-- @see pinanalytics.oneup.new
function M.oneup(opts)
  return require("pinanalytics.oneup").new(opts)
end

--- Runs fn() in a coroutine in which the calls of clients made with
-- `runtime = "uv"` yield to the libuv loop (Neovim's `vim.loop`, or lua-luv)
-- while they wait.
-- @func fn the task
-- @func[opt] on_done `on_done(ok, result_or_err)`, called when fn ends; without
-- it an error of fn is raised from the loop
-- @return the task (`task.dead` once fn has ended)
-- @see pinanalytics.runtime.uv.async
function M.async(fn, on_done)
  return require("pinanalytics.runtime.uv").async(fn, on_done)
end

-- pa.store (the @field store above): pinanalytics.store, required the
-- first time it is read, so that a program without a store loads none of it.
setmetatable(M, {
  __index = function(t, k)
    if k == "store" then
      local store = require "pinanalytics.store"
      rawset(t, "store", store)
      return store
    elseif k == "credentials" then
      local credentials = require "pinanalytics.credentials"
      rawset(t, "credentials", credentials)
      return credentials
    end
  end,
})

return M
