/*
 * alloc_fail.c - runs core.decode with the Lua allocator failing at every
 * allocation in turn, so that each possible memory error inside a decode
 * happens once. Run under valgrind by spec/json_typing_spec.lua: a block the
 * C core allocated and lost when the error unwound shows as a leak.
 *
 *   alloc_fail LUA_CPATH LUA_PATH     prints "done N" (N: memory errors injected)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#ifndef LUA_OK
#define LUA_OK 0 /* Lua 5.1, LuaJIT */
#endif

/*
 * Did the call end in a memory error? Before Lua 5.4 (and in LuaJIT),
 * lua_error() has no way to raise a memory error as one: the C core's
 * re-raise of a memory error it caught inside lua-cjson ends the call with
 * LUA_ERRRUN and the same message.
 */
static int memory_error(lua_State *L, int rc)
{
	if (rc == LUA_ERRMEM)
		return 1;
#if LUA_VERSION_NUM >= 504
	(void)L;
	return 0;
#else
	{
		const char *msg = rc == LUA_ERRRUN ? lua_tostring(L, -1) : NULL;
		return msg != NULL && strcmp(msg, "not enough memory") == 0;
	}
#endif
}

static long countdown = -1; /* allocations left before they fail; -1: never */
static int failing = 0;     /* set once the countdown ran out, until the call returns */
static long injected = 0;   /* calls in which allocations failed */
lua_State *volatile state;  /* kept reachable to the end (see main) */

static void *fail_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	(void)ud;
	if (nsize == 0) {
		free(ptr);
		return NULL;
	}
	/* Lua assumes that shrinking a block never fails. Once one allocation
	 * failed, the next ones fail too: Lua 5.4 collects garbage and tries a
	 * failed allocation again before it raises. */
	if (ptr == NULL || nsize > osize) {
		if (failing)
			return NULL;
		if (countdown == 0) {
			countdown = -1;
			failing = 1;
			injected++;
			return NULL;
		}
		if (countdown > 0)
			countdown--;
	}
	return realloc(ptr, nsize);
}

/* The calls each run is made of: the general path and each shape. */
static const char *const setup =
    "local core = require 'pinanalytics.core'\n"
    "local day = '{\"date\":\"2026-11-01\",\"data_status\":\"READY\",\"metrics\":{\"IMPRESSION\":240,"
    "\"SAVE\":2.0,\"SAVE_RATE\":0,\"X\":12345678901234567}}'\n"
    "local texts = {\n"
    "  { '{\"a\":[1.0,2e3,5.0000000000000001,0.99999999999999999,1e-400,\"\\\\u0000pa:f:1\",' ..\n"
    "    string.rep('1.5,', 200) .. '7],\"b\":{\"c\":{\"d\":[1,2,3]}},\"s\":\"' .. string.rep('x', 3000) .. '\"}' },\n"
    "  { '{\"all\":{\"daily_metrics\":[' .. day .. ',' .. day .. '],\"extra\":{\"n\":1.0}}}', 'analytics' },\n"
    "  { '{\"1\":{\"all\":{\"summary_metrics\":{\"SAVE\":1.0}}}}', 'pins_analytics' },\n"
    "  { '{\"items\":[{\"id\":\"1\",\"pin_metrics\":{\"90d\":{\"impression\":2.0}},\"x\":5.0000000000000001}],"
    "\"bookmark\":null}', 'pins_list' },\n"
    "  { '{\"access_token\":\"t\",\"expires_in\":3600.0}', 'oauth_token' },\n"
    "  { '[1.0e]' },\n"
    "}\n"
    "return function(i)\n"
    "  local t = texts[i]\n"
    "  if not t then return false end\n"
    "  core.decode(t[1], t[2])\n"
    "  return true\n"
    "end\n";

int main(int argc, char **argv)
{
	lua_State *L;
	int i, more = 1;
	if (argc != 3) {
		fprintf(stderr, "usage: alloc_fail LUA_CPATH LUA_PATH\n");
		return 2;
	}
	L = lua_newstate(fail_alloc, NULL);
	if (L == NULL)
		return 2;
	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_pushstring(L, argv[1]);
	lua_setfield(L, -2, "cpath");
	lua_pushstring(L, argv[2]);
	lua_setfield(L, -2, "path");
	lua_pop(L, 1);
	if (luaL_dostring(L, setup) != LUA_OK) {
		fprintf(stderr, "setup: %s\n", lua_tostring(L, -1));
		return 2;
	}
	/* stack: the run function; text i runs with failures at allocation 0, 1, 2 ...
	 * until a run needs fewer allocations than that (nothing failed) */
	for (i = 1; more; i++) {
		long k;
		for (k = 0;; k++) {
			long before = injected;
			int rc;
			lua_pushvalue(L, 1);
			lua_pushinteger(L, i);
			countdown = k;
			rc = lua_pcall(L, 1, 1, 0);
			countdown = -1;
			failing = 0;
			if (rc == LUA_OK)
				more = lua_toboolean(L, -1);
			else if (!memory_error(L, rc)) {
				fprintf(stderr, "text %d: unexpected error: %s\n", i, lua_tostring(L, -1));
				return 1;
			}
			lua_pop(L, 1);
			lua_gc(L, LUA_GCCOLLECT, 0);
			if (injected == before)
				break;
		}
	}
	/* No lua_close(): it would dlclose() the module and libcurl's
	 * dependencies, and valgrind could no longer name what they hold. The
	 * state stays reachable through `state`; a block lost by the C core
	 * still shows as definitely lost. */
	state = L;
	printf("done %ld\n", injected);
	return 0;
}
