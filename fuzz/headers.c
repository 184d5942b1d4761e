/*
 * headers.c - libFuzzer target: the response header parser of xfer.c.
 *
 * The input is a raw header block as libcurl hands it over (status line,
 * "Name: value" lines, CRLF or LF, blank line), given to pa_push_headers in
 * libFuzzer's own buffer of exactly the input's length, under lua_pcall.
 * The table it builds is read back, every name and value touched.
 */
#include <lauxlib.h>

#include "../csrc/pa.h"

/* headers(raw): raw is the light userdata pointing to the input's pa_buf */
static int pa_fuzz_headers(lua_State *L)
{
	pa_buf *head = (pa_buf *)lua_touserdata(L, 1);
	luaL_argcheck(L, head != NULL, 1, "the input's buffer");
	lua_settop(L, 0);
	pa_push_headers(L, head);
	return 1;
}

static void pa_fuzz_setup(lua_State *L)
{
	lua_pushcfunction(L, pa_fuzz_headers);
	lua_setfield(L, -2, "headers");
}

#define PA_FUZZ_LUA \
	"local c = ...\n" \
	"local headers = c.headers\n" \
	"return function(_, raw)\n" \
	"  local ok, t = pcall(headers, raw)\n" \
	"  if ok then\n" \
	"    assert(type(t) == 'table', 'pa_push_headers pushed a ' .. type(t))\n" \
	"    for k, v in pairs(t) do local _ = #k + #v end\n" \
	"  end\n" \
	"  return ok and t['content-type'] == 'application/json'\n" \
	"end\n"

#define PA_FUZZ_SELFTEST "HTTP/1.1 200 OK\r\nContent-Type:  application/json\r\nX-A: 1\r\nx-a: 2\r\n\r\n"

#define PA_FUZZ_SETUP(L) pa_fuzz_setup(L)

#include "fuzz.h"
