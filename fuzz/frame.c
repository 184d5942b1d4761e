/*
 * frame.c - libFuzzer target: core.frame from decoded data, and every
 * MetricFrame method on what it builds.
 *
 * The input is JSON text, decoded by the core. Its daily_metrics (the value
 * itself, or its .daily_metrics, or .all.daily_metrics, or those of each pin
 * of a bulk answer) are wrapped into sources in several ways (plain, one
 * metric under a name, with a prefix), and the decoded value is also given
 * as the sources themselves, as a caller could. Each frame built is read
 * (dates, metrics, sum/mean/min/max of each metric, get, column, status,
 * rows, to_table, tostring, to_csv, to_string, labels, partial, top and
 * derived rates), resampled by week and month, sliced, and merged
 * with itself and with the other frames of the same input; the frames these
 * make are read too (aggregates of their first few metrics only, to keep
 * the rate of inputs up).
 */
#define PA_FUZZ_LUA \
	"local core = require 'pinanalytics.core'\n" \
	"local MAX_SERIES, MAX_PINS = 16, 8\n" \
	"local function try(f, ...)\n" \
	"  local ok, a, b, c = pcall(f, ...)\n" \
	"  if ok then return a, b, c end\n" \
	"end\n" \
	"local function sorted_string_keys(t)\n" \
	"  local keys = {}\n" \
	"  for k in pairs(t) do if type(k) == 'string' then keys[#keys + 1] = k end end\n" \
	"  table.sort(keys)\n" \
	"  return keys\n" \
	"end\n" \
	"local function exercise(f, deep)\n" \
	"  local dates = try(f.dates, f) or {}\n" \
	"  local metrics = try(f.metrics, f) or {}\n" \
	"  try(function() return #f end)\n" \
	"  try(tostring, f)\n" \
	"  try(f.to_table, f)\n" \
	"  try(f.not_ready, f)\n" \
	"  try(function() for _ in f:rows() do end end)\n" \
	"  local first, last = dates[1], dates[#dates]\n" \
	"  for i = 1, math.min(#metrics, deep and MAX_SERIES or 3) do\n" \
	"    local m = metrics[i]\n" \
	"    try(f.sum, f, m) try(f.mean, f, m) try(f.min, f, m) try(f.max, f, m)\n" \
	"    if deep then try(f.sum, f, m, { ready_only = true }) try(f.mean, f, m, { ready_only = true }) end\n" \
	"    try(f.column, f, m)\n" \
	"    if first then try(f.get, f, first, m) try(f.get, f, last, m) end\n" \
	"  end\n" \
	"  try(f.sum, f, 'NO_SUCH_METRIC') try(f.sum, f, 'SAVE_RATE') try(f.mean, f, 'VIDEO_AVG_WATCH_TIME')\n" \
	"  try(f.to_csv, f) try(f.to_string, f, { max_rows = 6, max_series = 4 }) try(f.labels, f) try(f.partial, f)\n" \
	"  try(f.top, f, 3) try(f.top, f, 3, metrics[1] or 'SAVE') try(f.top, f, 3, 'SAVE_RATE', { order = 'asc' })\n" \
	"  try(f.top, f, math.huge, 'IMPRESSION', { by = 'key', ready_only = true })\n" \
	"  try(f.get, f, first or '2026-01-01', 'SAVE_RATE') try(f.column, f, 'PIN_CLICK_RATE')\n" \
	"  if first then try(f.status, f, first) end\n" \
	"  if not deep then return end\n" \
	"  for _, how in ipairs({ 'week', 'month' }) do\n" \
	"    local g = try(f.resample, f, how)\n" \
	"    if g then exercise(g, false) try(f.merge, f, g) end\n" \
	"  end\n" \
	"  if first then\n" \
	"    local mid = dates[(#dates + 1) // 2]\n" \
	"    local g = try(f.slice, f, mid, last)\n" \
	"    if g then exercise(g, false) try(f.merge, g, f) end\n" \
	"    try(f.slice, f, { start_date = first, end_date = mid })\n" \
	"    try(f.slice, f, last, first)\n" \
	"    try(f.slice, f, '1970-01-01', '9999-12-31')\n" \
	"  end\n" \
	"  local m = try(f.merge, f, f)\n" \
	"  if m then exercise(m, false) end\n" \
	"end\n" \
	"local function daily_of(x)\n" \
	"  if type(x) ~= 'table' then return nil end\n" \
	"  if x.daily_metrics ~= nil then return x.daily_metrics end\n" \
	"  if type(x.all) == 'table' and x.all.daily_metrics ~= nil then return x.all.daily_metrics end\n" \
	"  return nil\n" \
	"end\n" \
	"return function(data)\n" \
	"  local ok, v = pcall(core.decode, data)\n" \
	"  if not ok or type(v) ~= 'table' then return end\n" \
	"  local daily = daily_of(v) or v\n" \
	"  local metric = 'IMPRESSION'\n" \
	"  if type(daily) == 'table' and type(daily[1]) == 'table' and type(daily[1].metrics) == 'table' then\n" \
	"    metric = sorted_string_keys(daily[1].metrics)[1] or metric\n" \
	"  end\n" \
	"  local sets = {\n" \
	"    { { daily = daily } },\n" \
	"    { { daily = daily, metric = metric, name = 'p' } },\n" \
	"    { { daily = daily, prefix = 'a/' }, { daily = daily, metric = metric, name = 'b' } },\n" \
	"    v,\n" \
	"  }\n" \
	"  local pins = {}\n" \
	"  for _, k in ipairs(sorted_string_keys(v)) do\n" \
	"    local d = daily_of(v[k])\n" \
	"    if d ~= nil and #pins < MAX_PINS then pins[#pins + 1] = { daily = d, prefix = k .. '/' } end\n" \
	"  end\n" \
	"  if #pins > 0 then sets[#sets + 1] = pins end\n" \
	"  local frames = {}\n" \
	"  for _, sources in ipairs(sets) do\n" \
	"    local f = try(core.frame, sources)\n" \
	"    if f then exercise(f, true) frames[#frames + 1] = f end\n" \
	"  end\n" \
	"  for i = 2, #frames do try(frames[1].merge, frames[1], frames[i]) end\n" \
	"  return #frames >= 3\n" \
	"end\n"

/* two days: the first three ways of wrapping them make frames */
#define PA_FUZZ_SELFTEST "{\"all\":{\"daily_metrics\":[{\"date\":\"2026-11-01\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":240,\"SAVE\":3,\"SAVE_RATE\":0.0125}},{\"date\":\"2026-11-02\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":100,\"SAVE\":1,\"SAVE_RATE\":0.01}}],\"summary_metrics\":{\"IMPRESSION\":340,\"SAVE\":4}}}"

#include "fuzz.h"
