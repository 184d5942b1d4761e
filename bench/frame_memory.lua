-- Bytes per value: a MetricFrame against the same data as decoded Lua tables.
--   lua5.4 bench/frame_memory.lua [pins]     (paths as `make bench` sets them)
-- Prints one line of JSON: pins, days, metrics, values, bytes per value for
-- both, and their ratio.
local pa = require "pinanalytics"
local core = require "pinanalytics.core"
local data = require "pinanalytics.simulator.data"
local cjson = require "cjson"

local PINS = tonumber(arg and arg[1]) or 2000
local TODAY = pa.dates.today()
local Q = { start_date = pa.dates.add_days(TODAY, -89), end_date = TODAY, metric_types = {
  "IMPRESSION", "SAVE", "SAVE_RATE", "PIN_CLICK", "OUTBOUND_CLICK", "USER_FOLLOW", "PROFILE_VISIT",
  "TOTAL_COMMENTS", "TOTAL_REACTIONS", "VIDEO_START" } }

local function kb()
  collectgarbage()
  collectgarbage()
  return collectgarbage("count")
end

-- The answers as JSON text, as they arrive.
local texts = {}
for i = 1, PINS do
  texts[i] = cjson.encode(data.pin_analytics(tostring(100000 + i), Q, TODAY))
end

local before = kb()
local results = {}
for i = 1, PINS do results[tostring(100000 + i)] = core.decode(texts[i]) end
local tables_bytes = (kb() - before) * 1024

local lua_before = kb()
local f = pa.frame(results)
-- the C arrays, plus what the frame keeps on the Lua heap (its series names and their index)
local frame_bytes, values = core.frame_bytes(f)
frame_bytes = frame_bytes + (kb() - lua_before) * 1024

local days = #f
local metrics = #Q.metric_types
io.write(cjson.encode {
  pins = PINS, days = days, metrics = metrics, values = values,
  lua_tables_bytes_per_value = tables_bytes / values,
  frame_bytes_per_value = frame_bytes / values,
  ratio = tables_bytes / frame_bytes,
}, "\n")
