/*
 * check.c - the fast path of the shape check of an analytics answer
 * (PinAnalyticsResponse / AnalyticsResponse): one walk in C that says
 * whether every part has its documented type, and makes rates floats.
 * When it says no, the Lua checker (pinanalytics.schema) walks the answer
 * again to name the first bad field; well-formed answers never pay for that.
 */
#include <string.h>

#include "pa.h"

static int pa_is_float_name(const char *k, size_t n)
{
	return (n >= 5 && memcmp(k + n - 5, "_RATE", 5) == 0) ||
	       (n == 20 && memcmp(k, "VIDEO_AVG_WATCH_TIME", 20) == 0);
}

static int pa_is_object(lua_State *L, int idx)
{
	int obj;
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_rawgeti(L, idx, 1);
	obj = lua_isnil(L, -1);
	lua_pop(L, 1);
	return obj;
}

/* metric name -> number; rates become floats */
static int pa_metrics_ok(lua_State *L, int idx)
{
	idx = pa_absindex(L, idx);
	if (!pa_is_object(L, idx))
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		size_t n;
		const char *k;
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TNUMBER) {
			lua_pop(L, 2);
			return 0;
		}
		k = lua_tolstring(L, -2, &n);
#if PA_HAVE_INTEGERS
		if (lua_isinteger(L, -1) && pa_is_float_name(k, n)) {
			lua_Number v = (lua_Number)lua_tointeger(L, -1);
			lua_pop(L, 1);
			lua_pushvalue(L, -1);
			lua_pushnumber(L, v);
			lua_rawset(L, idx);
			continue;
		}
#else
		(void)k;
		(void)n;
		(void)pa_is_float_name;
#endif
		lua_pop(L, 1);
	}
	return 1;
}

static int pa_response_ok(lua_State *L, int idx)
{
	int ok = 1;
	idx = pa_absindex(L, idx);
	if (!pa_is_object(L, idx))
		return 0;
	lua_getfield(L, idx, "daily_metrics");
	if (!lua_isnil(L, -1)) {
		int d = lua_gettop(L);
		size_t i, n;
		if (lua_type(L, d) != LUA_TTABLE) {
			lua_pop(L, 1);
			return 0;
		}
		n = lua_rawlen(L, d);
		for (i = 1; ok && i <= n; i++) {
			size_t len;
			const char *date;
			int32_t day;
			lua_rawgeti(L, d, (int)i);
			if (!pa_is_object(L, -1)) {
				ok = 0;
			} else {
				lua_getfield(L, -1, "date");
				date = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
				ok = date != NULL && pa_parse_date(date, len, &day);
				lua_pop(L, 1);
				if (ok) {
					lua_getfield(L, -1, "data_status");
					ok = lua_type(L, -1) == LUA_TSTRING;
					lua_pop(L, 1);
				}
				if (ok) {
					lua_getfield(L, -1, "metrics");
					ok = pa_metrics_ok(L, -1);
					lua_pop(L, 1);
				}
			}
			lua_pop(L, 1);
		}
		/* entries past the array part (a sparse "array") are not days */
		if (ok && n == 0) {
			lua_pushnil(L);
			if (lua_next(L, d) != 0) {
				lua_pop(L, 2);
				ok = 0;
			}
		}
	}
	lua_pop(L, 1);
	if (ok) {
		lua_getfield(L, idx, "summary_metrics");
		ok = lua_isnil(L, -1) || pa_metrics_ok(L, -1);
		lua_pop(L, 1);
	}
	if (ok) {
		lua_getfield(L, idx, "lifetime_metrics");
		ok = lua_isnil(L, -1) || pa_metrics_ok(L, -1);
		lua_pop(L, 1);
	}
	return ok;
}

/* core.check_analytics(body) -> true when every part has its documented type */
int pa_check_analytics(lua_State *L)
{
	int ok = 1;
	luaL_checkany(L, 1);
	lua_settop(L, 1);
	if (!pa_is_object(L, 1)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	lua_pushnil(L);
	while (lua_next(L, 1) != 0) {
		if (!pa_response_ok(L, -1)) {
			lua_pop(L, 2);
			ok = 0;
			break;
		}
		lua_pop(L, 1);
	}
	lua_pushboolean(L, ok);
	return 1;
}
