--- The handler of examples/openresty/nginx.conf: one pin's last 30 days.
--
-- A client per request is cheap (connections live on the thread pool, and
-- the pacing budget is shared by every client of the worker with the same
-- token); the calls yield, so a slow answer holds up only this request.
local pa = require "pinanalytics"
local cjson = require "cjson.safe"

local M = {}

function M.pin(pin_id)
  local client = pa.pinterest {
    token = os.getenv("PINTEREST_ACCESS_TOKEN"),
    base_url = os.getenv("PINTEREST_BASE_URL"), -- nil: the real API
    rate = { per_second = 5 },
    shared_dict = "pinanalytics_rate",
  }
  local res, err = client:pin_analytics(pin_id, {
    range = pa.dates.last(30),
    metric_types = { "IMPRESSION", "SAVE", "PIN_CLICK", "OUTBOUND_CLICK" },
  })
  client:close()
  if not res then
    -- err prints one line without secrets; its kind says whose fault it is
    ngx.status = err.kind == "not_found" and 404 or 502
    ngx.say(cjson.encode({ error = tostring(err), kind = err.kind }))
    return
  end
  ngx.say(cjson.encode({ pin_id = pin_id, runtime = client.rt.name, summary = res.all.summary_metrics }))
end

return M
