/*
 * report_reader.c - libFuzzer target: core.report_reader{text} over any
 * bytes (CSV or JSON, plain or gzip, as the reader sniffs them).
 *
 * The first byte picks how the rows are asked for: bit 0 whether columns
 * have kinds (ids text, micro-dollars int, CTR float), bit 1 whether a JSON
 * row gets its key column, bits 2-4 the batch size (1, 2, 7, 100, 1000 ...).
 * The rest is the file. Every row read is walked; the reader must end with
 * an empty batch or nil and a message, and a failed reader stays failed.
 */
#define PA_FUZZ_LUA \
	"local core = require 'pinanalytics.core'\n" \
	"local KINDS = { CAMPAIGN_ID = 'text', DATE = 'text', SPEND_IN_MICRO_DOLLAR = 'int', CTR = 'float' }\n" \
	"local SIZES = { 1, 2, 7, 100, 1000, 3, 50, 100000 }\n" \
	"return function(data)\n" \
	"  if #data == 0 then return end\n" \
	"  local b = data:byte(1)\n" \
	"  local r = core.report_reader { text = data:sub(2), kinds = b % 2 == 1 and KINDS or nil,\n" \
	"    key_column = math.floor(b / 2) % 2 == 1 and 'CAMPAIGN_ID' or nil }\n" \
	"  local size = SIZES[math.floor(b / 4) % 8 + 1]\n" \
	"  local n = 0\n" \
	"  for _ = 1, 1000000 do\n" \
	"    local rows, err = r:next(size)\n" \
	"    if not rows then\n" \
	"      assert(type(err) == 'string' and err:find('^row %d+: ') or err:find('gzip') or err:find('JSON nor CSV'), err)\n" \
	"      assert(r:next(1) == nil)\n" \
	"      r:close()\n" \
	"      return false\n" \
	"    end\n" \
	"    if #rows == 0 then break end\n" \
	"    assert(#rows <= size)\n" \
	"    for _, row in ipairs(rows) do\n" \
	"      n = n + 1\n" \
	"      for k, v in pairs(row) do assert(type(k) == 'string'); local _ = tostring(v) end\n" \
	"    end\n" \
	"  end\n" \
	"  r:close()\n" \
	"  return n > 0\n" \
	"end\n"

/* a CSV report with kinds, batches of 1 (byte 1) */
#define PA_FUZZ_SELFTEST "\x01" \
	"CAMPAIGN_ID,DATE,SPEND_IN_MICRO_DOLLAR,CTR\n626000000000798607,2026-11-01,126881185,0.0205\n"

#include "fuzz.h"
