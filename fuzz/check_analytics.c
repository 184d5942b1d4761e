/*
 * check_analytics.c - libFuzzer target: core.check_analytics on decoded JSON.
 *
 * The input is JSON text, decoded by the core (core.decode, no shape); the
 * value, and the value again under a pin id as a bulk answer holds it, go
 * to core.check_analytics, which walks and retypes what it accepts.
 */
#define PA_FUZZ_LUA \
	"local core = require 'pinanalytics.core'\n" \
	"return function(data)\n" \
	"  local ok, v = pcall(core.decode, data)\n" \
	"  if not ok or v == nil then return end\n" \
	"  local ok, good = pcall(core.check_analytics, v)\n" \
	"  pcall(core.check_analytics, { ['813744226420795884'] = v })\n" \
	"  if type(v) == 'table' then\n" \
	"    for _, x in pairs(v) do pcall(core.check_analytics, x) end\n" \
	"  end\n" \
	"  return ok and good\n" \
	"end\n"

#define PA_FUZZ_SELFTEST "{\"all\":{\"daily_metrics\":[{\"date\":\"2026-11-01\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":240,\"SAVE\":3,\"SAVE_RATE\":0.0125}},{\"date\":\"2026-11-02\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":100,\"SAVE\":1,\"SAVE_RATE\":0.01}}],\"summary_metrics\":{\"IMPRESSION\":340,\"SAVE\":4}}}"

#include "fuzz.h"
