/*
 * fuzz.h - what every libFuzzer target of pinanalytics shares.
 *
 * One lua_State lives for the whole run: the standard libraries, lua-cjson
 * (the system's module, found through package.cpath; its Lua symbols resolve
 * against the liblua5.4.so this program links) and the C core, linked into
 * the program and reached through package.preload["pinanalytics.core"].
 *
 * A target defines PA_FUZZ_LUA, the source of a Lua chunk that returns a
 * function run(text, raw), and PA_FUZZ_SELFTEST, an input that run must
 * answer with true (checked once at start: the target does reach the
 * core); it may define PA_FUZZ_SETUP(L) to add C functions to the table
 * the chunk receives as `...`. For each
 * input run gets the bytes as a Lua string and, as raw, a light userdata
 * pointing to a pa_buf over libFuzzer's own copy of them (exactly as long as
 * the input, so that AddressSanitizer sees a read one byte past the end).
 *
 * run calls the core under pcall: an error the core raises is an answer like
 * any other. A sanitizer report or a crash is a finding. An error escaping run
 * is a fault of the target itself and aborts, so that a broken target cannot
 * pass for a clean run. The stack is emptied and a full collection made after
 * every input, which keeps memory flat and runs the finalizers of what the
 * input created while its traces are fresh; a Lua heap that still grows is a
 * finding too (see PA_FUZZ_HEAP_SLACK_KB).
 */
#ifndef PA_FUZZ_H
#define PA_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../csrc/pa.h"

int luaopen_pinanalytics_core(lua_State *L);
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *pa_fuzz_L;
static int pa_fuzz_run = LUA_NOREF;
static int pa_fuzz_base_kb = -1; /* the Lua heap after the self-test, in KiB */

/*
 * What an input leaves behind is garbage, so after the full collection the
 * heap is back near where it started. A heap that keeps growing means the
 * core holds something forever (a registry reference never released, a
 * cache): LeakSanitizer cannot see that, as the memory stays reachable.
 */
#define PA_FUZZ_HEAP_SLACK_KB (16 * 1024)

static void pa_fuzz_die(lua_State *L, const char *what)
{
	fprintf(stderr, "fuzz target: %s: %s\n", what, lua_tostring(L, -1) ? lua_tostring(L, -1) : "(no message)");
	abort();
}

/* run(data); returns whether it answered true */
static int pa_fuzz_one(lua_State *L, const uint8_t *data, size_t size)
{
	pa_buf raw;
	int yes;
	/* a copy exactly as long as the input (the parser may write into its
	 * buffer, as it may into the transfer's; ASan sees any read past it) */
	raw.p = NULL; /* no bytes: as a transfer that received none */
	if (size > 0) {
		raw.p = malloc(size);
		if (raw.p == NULL)
			abort();
		memcpy(raw.p, data, size);
	}
	raw.len = raw.cap = size;
	lua_rawgeti(L, LUA_REGISTRYINDEX, pa_fuzz_run);
	lua_pushlstring(L, (const char *)data, size);
	lua_pushlightuserdata(L, &raw);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK)
		pa_fuzz_die(L, "run() raised (a fault of the target, not of the core)");
	yes = lua_toboolean(L, -1);
	lua_settop(L, 0);
	free(raw.p);
	lua_gc(L, LUA_GCCOLLECT, 0);
	if (pa_fuzz_base_kb >= 0 && lua_gc(L, LUA_GCCOUNT, 0) > pa_fuzz_base_kb + PA_FUZZ_HEAP_SLACK_KB) {
		lua_pushfstring(L, "%d KiB after a full collection, %d KiB at start", lua_gc(L, LUA_GCCOUNT, 0),
		                pa_fuzz_base_kb);
		pa_fuzz_die(L, "the Lua heap keeps growing (the core holds on to something)");
	}
	return yes;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	lua_State *L = luaL_newstate();
	(void)argc;
	(void)argv;
	if (L == NULL)
		abort();
	luaL_openlibs(L);
	lua_getglobal(L, "package");
	lua_getfield(L, -1, "preload");
	lua_pushcfunction(L, luaopen_pinanalytics_core);
	lua_setfield(L, -2, "pinanalytics.core");
	lua_pop(L, 2);
	if (luaL_loadbuffer(L, PA_FUZZ_LUA, sizeof PA_FUZZ_LUA - 1, "=target") != LUA_OK)
		pa_fuzz_die(L, "the target's Lua code does not compile");
	lua_newtable(L); /* C functions for the chunk */
#ifdef PA_FUZZ_SETUP
	PA_FUZZ_SETUP(L);
#endif
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)
		pa_fuzz_die(L, "setting up the target failed");
	if (lua_type(L, -1) != LUA_TFUNCTION) {
		lua_pushliteral(L, "the chunk returned no function");
		pa_fuzz_die(L, "setting up the target failed");
	}
	pa_fuzz_run = luaL_ref(L, LUA_REGISTRYINDEX);
	pa_fuzz_L = L;
	if (!pa_fuzz_one(L, (const uint8_t *)PA_FUZZ_SELFTEST, sizeof PA_FUZZ_SELFTEST - 1)) {
		lua_pushliteral(L, PA_FUZZ_SELFTEST);
		pa_fuzz_die(L, "the target did not handle its self-test input as expected");
	}
	pa_fuzz_base_kb = lua_gc(L, LUA_GCCOUNT, 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pa_fuzz_one(pa_fuzz_L, data, size);
	return 0;
}

#endif /* PA_FUZZ_H */
