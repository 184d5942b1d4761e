/*
 * compat.h - the few Lua C API differences between Lua 5.1/LuaJIT and
 * Lua 5.2..5.4 that pinanalytics.core needs, as static shims.
 *
 * The module is compiled against one set of headers (lua5.4 or luajit-2.1 /
 * lua5.1) and never links liblua: the interpreter that loads it provides the
 * symbols.
 */
#ifndef PA_COMPAT_H
#define PA_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#ifndef LUA_OK
#define LUA_OK 0
#endif

#if LUA_VERSION_NUM >= 503
#define PA_HAVE_INTEGERS 1
#else
#define PA_HAVE_INTEGERS 0
#endif

#if LUA_VERSION_NUM < 502

#define lua_rawlen(L, i) lua_objlen((L), (i))

static inline int pa_absindex(lua_State *L, int idx)
{
	return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}

static inline void pa_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	luaL_checkstack(L, nup + 1, "too many upvalues");
	for (; l->name != NULL; l++) {
		int i;
		for (i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		lua_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}

static inline void pa_setmetatable(lua_State *L, const char *tname)
{
	luaL_getmetatable(L, tname);
	lua_setmetatable(L, -2);
}

static inline void pa_rawgetp(lua_State *L, int idx, const void *p)
{
	idx = pa_absindex(L, idx);
	lua_pushlightuserdata(L, (void *)p);
	lua_rawget(L, idx);
}

static inline void pa_rawsetp(lua_State *L, int idx, const void *p)
{
	idx = pa_absindex(L, idx);
	lua_pushlightuserdata(L, (void *)p);
	lua_insert(L, -2);
	lua_rawset(L, idx);
}

#define pa_newlib(L, l) (lua_newtable(L), pa_setfuncs((L), (l), 0))

#else

#define pa_absindex(L, i) lua_absindex((L), (i))
#define pa_setfuncs(L, l, n) luaL_setfuncs((L), (l), (n))
#define pa_setmetatable(L, t) luaL_setmetatable((L), (t))
#define pa_rawgetp(L, i, p) ((void)lua_rawgetp((L), (i), (p)))
#define pa_rawsetp(L, i, p) lua_rawsetp((L), (i), (p))
#define pa_newlib(L, l) luaL_newlib((L), (l))

#endif

#endif /* PA_COMPAT_H */
