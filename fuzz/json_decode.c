/*
 * json_decode.c - libFuzzer target: core.decode(text, shape) for every shape.
 *
 * The first byte of the input picks the shape (its value modulo the number
 * of shapes: no shape first, then the names core.decode accepts in this
 * build, taken from SHAPES in the order given); the rest is the text. A name
 * in SHAPES that core.decode refuses is left out, so the list may name
 * shapes before they exist. Whatever the decoder returns is walked, every
 * key and value touched, so that a malformed value it built shows.
 */
#define PA_FUZZ_LUA \
	"local core = require 'pinanalytics.core'\n" \
	"local SHAPES = { 'analytics', 'pins_analytics', 'pins_list', 'boards_list', 'board_sections',\n" \
	"  'top_pins', 'top_video_pins', 'user_account', 'user_account_analytics', 'oneup_overview',\n" \
	"  'oneup_posts', 'oneup', 'token', 'oauth_token', 'ads_rows', 'ads_targeting' }\n" \
	"local shapes = { false }\n" \
	"for _, name in ipairs(SHAPES) do\n" \
	"  if pcall(core.decode, '{}', name) then shapes[#shapes + 1] = name end\n" \
	"end\n" \
	"local names = {}\n" \
	"for i, s in ipairs(shapes) do names[i] = s or '(none)' end\n" \
	"io.stderr:write('json_decode: shapes ', table.concat(names, ', '), '\\n')\n" \
	"local function walk(v, depth)\n" \
	"  local t = type(v)\n" \
	"  if t == 'table' and depth < 200 then\n" \
	"    for k, x in pairs(v) do walk(k, depth + 1) walk(x, depth + 1) end\n" \
	"  elseif t == 'number' then\n" \
	"    local _ = tostring(v), v + 0\n" \
	"  elseif t == 'string' then\n" \
	"    local _ = #v\n" \
	"  end\n" \
	"end\n" \
	"return function(data)\n" \
	"  if #data == 0 then return end\n" \
	"  local shape = shapes[data:byte(1) % #shapes + 1] or nil\n" \
	"  local ok, v, extra = pcall(core.decode, data:sub(2), shape)\n" \
	"  if ok then walk(v, 0) walk(extra, 0) end\n" \
	"  return ok and v ~= nil and (shape == nil or extra == true)\n" \
	"end\n"

/* an analytics answer decoded with the "analytics" shape (byte 1) */
#define PA_FUZZ_SELFTEST "\x01" \
	"{\"all\":{\"daily_metrics\":[{\"date\":\"2026-11-01\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":240,\"SAVE\":3,\"SAVE_RATE\":0.0125}},{\"date\":\"2026-11-02\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":100,\"SAVE\":1,\"SAVE_RATE\":0.01}}],\"summary_metrics\":{\"IMPRESSION\":340,\"SAVE\":4}}}"

#include "fuzz.h"
