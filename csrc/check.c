/*
 * check.c - the fast path of the shape check of an analytics answer
 * (PinAnalyticsResponse / AnalyticsResponse): one walk in C that says
 * whether every part has its documented type, makes rates floats and counts
 * written with a fraction (240.0) integers.
 * When it says no, the Lua checker (pinanalytics.schema) walks the answer
 * again to name the first bad field; well-formed answers never pay for that.
 */
#include <math.h>
#include <string.h>

#include "pa.h"

#define PA_EXACT_LIMIT 9007199254740992.0 /* 2^53: doubles hold every integer below */

#if PA_HAVE_INTEGERS
/* Is the metric named k[0..n) a rate (a float whatever its literal)? */
static int pa_is_rate_name(const char *k, size_t n)
{
	if (n >= 5 && k[n - 5] == '_' && k[n - 4] == 'R' && k[n - 3] == 'A' && k[n - 2] == 'T' &&
	    k[n - 1] == 'E')
		return 1;
	return n == 20 && memcmp(k, "VIDEO_AVG_WATCH_TIME", 20) == 0;
}
#endif

/*
 * In a lua_next loop over the metrics table at idx (absolute), with a string
 * key and its number on top: gives the number its type by the metric's name,
 * a count an integer and a rate a float. Returns 1 when it replaced the
 * value in the table (only the key is left on top), 0 when the value stays
 * (key and value on top), -1 when the value is an integral double too large
 * to be exact (it stays).
 */
static int pa_type_metric(lua_State *L, int idx)
{
#if PA_HAVE_INTEGERS
	size_t n;
	const char *k;
	if (lua_isinteger(L, -1)) {
		lua_Number v;
		k = lua_tolstring(L, -2, &n);
		if (!pa_is_rate_name(k, n))
			return 0;
		/* a rate written without a fraction */
		v = (lua_Number)lua_tointeger(L, -1);
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnumber(L, v);
		lua_rawset(L, idx);
		return 1;
	} else {
		lua_Number d = lua_tonumber(L, -1);
		lua_Integer i;
		if (!(d > -PA_EXACT_LIMIT && d < PA_EXACT_LIMIT))
			return d == floor(d) ? -1 : 0;
		i = (lua_Integer)d;
		if ((lua_Number)i != d)
			return 0;
		k = lua_tolstring(L, -2, &n);
		if (pa_is_rate_name(k, n))
			return 0;
		/* a count as lua-cjson 2.1.0 gives it (a double), or written as 240.0 */
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushinteger(L, i);
		lua_rawset(L, idx);
		return 1;
	}
#else
	(void)L;
	(void)idx;
	return 0;
#endif
}

/* Has the table at idx (absolute) no entry at all? */
static int pa_is_empty(lua_State *L, int idx)
{
	lua_pushnil(L);
	if (lua_next(L, idx) == 0)
		return 1;
	lua_pop(L, 2);
	return 0;
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

/* metric name -> number, each typed by pa_type_metric */
static int pa_metrics_ok(lua_State *L, int idx)
{
	idx = pa_absindex(L, idx);
	if (!pa_is_object(L, idx))
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TNUMBER) {
			lua_pop(L, 2);
			return 0;
		}
		/* a count too large to be exact stays as it is: the general decoder made it */
		if (pa_type_metric(L, idx) != 1)
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
		if (ok && n == 0 && !pa_is_empty(L, d))
			ok = 0;
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

/* ------------------------------------------------ typing while checking */

/*
 * The strict walk behind decoding with the "analytics" shape: the answer
 * comes straight from lua-cjson (every number a double), and the walk both
 * checks it and gives the numbers their types from the schema, not from how
 * the literal was written: a count becomes an integer (5.3+), a rate a float.
 * It accepts only the documented fields; anything else (an unknown field, a
 * wrong type, a count too large for a double to hold exactly) makes it say
 * no, and the caller decodes the text again the general way. Returns 1 when
 * the whole answer is in the documented shape. Only for values straight from
 * lua-cjson: it relies on a table's keys being all strings (an object) or all
 * integers (an array).
 */

static int pa_key_is(const char *k, size_t n, const char *lit, size_t litn)
{
	return n == litn && memcmp(k, lit, n) == 0;
}

/*
 * metric name -> number, typed in place. Only integral values need a look
 * at the name: a count that cjson gave as a double becomes an integer, a
 * rate stays (or becomes) a float.
 */
static int pa_metrics_typed(lua_State *L, int idx)
{
	idx = pa_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_pushnil(L);
	if (lua_next(L, idx) == 0)
		return 1;
	/* lua-cjson makes a JSON object's keys strings and an array's integers,
	 * never both in one table: the first key tells for all */
	if (lua_type(L, -2) != LUA_TSTRING) {
		lua_pop(L, 2);
		return 0;
	}
	do {
		int typed;
		if (lua_type(L, -1) != LUA_TNUMBER) {
			lua_pop(L, 2);
			return 0;
		}
		typed = pa_type_metric(L, idx);
		if (typed < 0) {
			lua_pop(L, 2);
			return 0; /* the literal may hold more digits than a double: the general decoder */
		}
		if (typed == 0)
			lua_pop(L, 1);
	} while (lua_next(L, idx) != 0);
	return 1;
}

/* one element of daily_metrics: exactly date, data_status and metrics */
static int pa_day_typed(lua_State *L, int idx)
{
	int seen = 0;
	idx = pa_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		size_t n, vlen;
		const char *k, *v;
		int ok = 0;
		if (lua_type(L, -2) == LUA_TSTRING) {
			k = lua_tolstring(L, -2, &n);
			if (pa_key_is(k, n, "metrics", 7)) {
				ok = !(seen & 1) && pa_metrics_typed(L, -1);
				seen |= 1;
			} else if (lua_type(L, -1) == LUA_TSTRING) {
				v = lua_tolstring(L, -1, &vlen);
				if (pa_key_is(k, n, "date", 4)) {
					int32_t day;
					ok = !(seen & 2) && pa_parse_date(v, vlen, &day);
					seen |= 2;
				} else if (pa_key_is(k, n, "data_status", 11)) {
					ok = !(seen & 4);
					seen |= 4;
				}
			}
		}
		lua_pop(L, 1);
		if (!ok) {
			lua_pop(L, 1);
			return 0;
		}
	}
	return seen == 7;
}

/* one split: daily_metrics, summary_metrics, lifetime_metrics, each optional */
static int pa_response_typed(lua_State *L, int idx)
{
	idx = pa_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		size_t n;
		const char *k;
		int ok = 0;
		if (lua_type(L, -2) == LUA_TSTRING) {
			k = lua_tolstring(L, -2, &n);
			if (pa_key_is(k, n, "daily_metrics", 13)) {
				if (lua_type(L, -1) == LUA_TTABLE) {
					int d = lua_gettop(L);
					size_t i, len = lua_rawlen(L, d);
					ok = 1;
					for (i = 1; ok && i <= len; i++) {
						lua_rawgeti(L, d, (int)i);
						ok = pa_day_typed(L, -1);
						lua_pop(L, 1);
					}
					/* an empty array, not an object with keys */
					if (ok && len == 0 && !pa_is_empty(L, d))
						ok = 0;
				}
			} else if (pa_key_is(k, n, "summary_metrics", 15) ||
			           pa_key_is(k, n, "lifetime_metrics", 16)) {
				ok = pa_metrics_typed(L, -1);
			}
		}
		lua_pop(L, 1);
		if (!ok) {
			lua_pop(L, 1);
			return 0;
		}
	}
	return 1;
}

/* An object whose every value passes each(); 1 when it is one. */
static int pa_object_of(lua_State *L, int idx, int (*each)(lua_State *, int))
{
	idx = pa_absindex(L, idx);
	if (lua_type(L, idx) != LUA_TTABLE)
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		if (lua_type(L, -2) != LUA_TSTRING || !each(L, -1)) {
			lua_pop(L, 2);
			return 0;
		}
		lua_pop(L, 1);
	}
	return 1;
}

/* split -> response (GET /pins/{id}/analytics, GET /user_account/analytics) */
int pa_analytics_typed(lua_State *L, int idx)
{
	luaL_checkstack(L, 8, "checking an analytics answer");
	return pa_object_of(L, idx, pa_response_typed);
}

/* pin id -> analytics answer (GET /pins/analytics) */
int pa_pins_analytics_typed(lua_State *L, int idx)
{
	return pa_object_of(L, idx, pa_analytics_typed);
}
