/*
 * h1_fuzz.c - libFuzzer target: the response reader of the H1 codec
 * (csrc/h1.c), the parser an OpenResty request's bytes go through.
 *
 * The input is an answer as it comes off a socket. It is read whole, then
 * again split in two at every byte boundary (inputs up to 2 KiB; longer ones
 * at 64 places), then in pieces of 1..7 bytes, each time by a fresh request
 * on the same codec; every reading must end alike (the same status, kind,
 * message, headers, keep-alive), so that where a read() happens to cut the
 * bytes never changes the answer. A piece that leaves the answer unfinished
 * is followed by eof(), as a closed connection would be.
 */
#define PA_FUZZ_LUA \
	"local core = require 'pinanalytics.core'\n" \
	"local h = core.h1{ base_url = 'http://127.0.0.1:8080/v5', token = 't', max_body = 65536 }\n" \
	"local function pack(...) return { n = select('#', ...), ... } end\n" \
	"local function read(pieces)\n" \
	"  h:request('GET', '/x', nil, nil, 'analytics')\n" \
	"  local r, used = nil, 0\n" \
	"  for i, p in ipairs(pieces) do\n" \
	"    r, used = pack(pcall(h.feed, h, p)), i\n" \
	"    if r[2] ~= false then break end\n" \
	"  end\n" \
	"  if r == nil or (r[1] and r[2] == false) then r = pack(pcall(h.eof, h)) end\n" \
	"  local ok = r[1]\n" \
	"  local out = { tostring(ok), tostring(r[2]), tostring(r[3]), tostring(r[6]), tostring(r[7]) }\n" \
	"  if ok and type(r[3]) == 'table' then\n" \
	"    local keys = {}\n" \
	"    for k, v in pairs(r[3]) do keys[#keys + 1] = k .. '=' .. v end\n" \
	"    table.sort(keys)\n" \
	"    out[3] = table.concat(keys, '\\n')\n" \
	"  end\n" \
	"  if ok and r[2] == nil then out[#out + 1] = tostring(r[4]) end\n" \
	"  -- bytes after the answer are seen only when they came with it\n" \
	"  local keep = ok and r[2] and used == #pieces and tostring(h:keepalive()) or '-'\n" \
	"  return table.concat(out, '\\0'), r, keep\n" \
	"end\n" \
	"return function(text)\n" \
	"  local whole, r, keep = read({ text })\n" \
	"  local n = #text\n" \
	"  local step = n <= 2048 and 1 or math.floor(n / 64)\n" \
	"  for i = 1, n - 1, step do\n" \
	"    local got, _, k2 = read({ text:sub(1, i), text:sub(i + 1) })\n" \
	"    if got ~= whole then error('split at ' .. i .. ' reads otherwise', 0) end\n" \
	"    if k2 ~= '-' and k2 ~= keep then error('split at ' .. i .. ': keepalive ' .. k2 .. ', whole ' .. keep, 0) end\n" \
	"  end\n" \
	"  local k = n % 7 + 1\n" \
	"  local pieces = {}\n" \
	"  for i = 1, n, k do pieces[#pieces + 1] = text:sub(i, i + k - 1) end\n" \
	"  if n > 0 and read(pieces) ~= whole then error('pieces of ' .. k .. ' read otherwise', 0) end\n" \
	"  return r[1] and r[2] == 200 and type(r[4]) == 'table'\n" \
	"end\n"

#define PA_FUZZ_SELFTEST \
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" \
	"2\r\n{\"\r\n2f\r\nall\":{\"daily_metrics\":[],\"summary_metrics\":{}}}\r\n0\r\n\r\n"

#include "fuzz.h"
