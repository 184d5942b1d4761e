/*
 * frame_read.c - reading a frame: what a series name stands for (a series
 * of the frame, or a rate or an average derived from its parts: SAVE_RATE =
 * SAVE / IMPRESSION, VIDEO_AVG_WATCH_TIME = VIDEO_V50_WATCH_TIME /
 * VIDEO_START), which row a date or label names, and the methods that hand
 * values out: #, dates, metrics, get, column, status, not_ready, period,
 * labels, partial, to_table and rows.
 */
#include <math.h>
#include <string.h>

#include "frame.h"

/* ---------------------------------------------------------------- reading */

/* Pushes a value: a number (an integer when integral, on 5.3+) or nil. */
static void pa_push_value(lua_State *L, double v)
{
	if (isnan(v)) {
		lua_pushnil(L);
		return;
	}
#if PA_HAVE_INTEGERS
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		lua_pushinteger(L, (lua_Integer)v);
		return;
	}
#endif
	lua_pushnumber(L, (lua_Number)v);
}

/* Pushes a value of a series that is a rate or an average: always a float. */
void pa_frame_push_series_value(lua_State *L, double v, int is_ratio)
{
	if (is_ratio && !isnan(v))
		lua_pushnumber(L, (lua_Number)v);
	else
		pa_push_value(L, v);
}

/* Where the base name starts: after the last "/" (a "prefix/"), or 0. */
size_t pa_frame_base(const char *name, size_t n)
{
	while (n > 0 && name[n - 1] != '/')
		n--;
	return n;
}

/* Does the name end in _RATE, or is its base name an average? */
int pa_frame_is_ratio(const char *name, size_t n)
{
	size_t b = pa_frame_base(name, n);
	return (n >= 5 && memcmp(name + n - 5, "_RATE", 5) == 0) ||
	       (n - b == 20 && memcmp(name + b, "VIDEO_AVG_WATCH_TIME", 20) == 0);
}

/* pa_frame_is_ratio of the series name at idx */
static int pa_is_ratio_at(lua_State *L, int idx)
{
	size_t n;
	const char *name = lua_tolstring(L, idx, &n);
	return pa_frame_is_ratio(name, n);
}

/*
 * Pushes the names of the parts of a rate or average series: numerator and
 * denominator (SAVE and IMPRESSION for SAVE_RATE, "701/SAVE" and
 * "701/IMPRESSION" for "701/SAVE_RATE"). Returns 0, pushing nothing, for a
 * name that is neither.
 */
int pa_frame_push_part_names(lua_State *L, const char *name, size_t n)
{
	size_t plen = pa_frame_base(name, n), blen = n - plen;
	if (blen == 20 && memcmp(name + plen, "VIDEO_AVG_WATCH_TIME", 20) == 0) {
		lua_pushlstring(L, name, plen);
		lua_pushliteral(L, "VIDEO_V50_WATCH_TIME");
		lua_concat(L, 2);
		lua_pushlstring(L, name, plen);
		lua_pushliteral(L, "VIDEO_START");
		lua_concat(L, 2);
		return 1;
	}
	if (blen < 5 || memcmp(name + n - 5, "_RATE", 5) != 0)
		return 0;
	lua_pushlstring(L, name, n - 5);
	lua_pushlstring(L, name, plen);
	lua_pushliteral(L, "IMPRESSION");
	lua_concat(L, 2);
	return 1;
}

/*
 * The parts of a ratio series: numerator and denominator series indices, or
 * -1 when the frame lacks them.
 */
void pa_frame_ratio_parts(lua_State *L, const pa_frame *f, const char *name, size_t n, int *num, int *den)
{
	*num = *den = -1;
	if (!pa_frame_push_part_names(L, name, n))
		return;
	*num = pa_frame_series(L, f, -2);
	*den = pa_frame_series(L, f, -1);
	lua_pop(L, 2);
}

/* Resolves the name (a string) at idx; 0 when the frame has neither the
 * series nor, for a rate, both of its parts. */
int pa_frame_ref_of(lua_State *L, const pa_frame *f, int idx, pa_ref *r)
{
	size_t len;
	const char *name = lua_tolstring(L, idx, &len);
	r->s = pa_frame_series(L, f, idx);
	r->ratio = pa_frame_is_ratio(name, len);
	r->num = r->den = -1;
	if (r->ratio)
		pa_frame_ratio_parts(L, f, name, len, &r->num, &r->den);
	return r->s >= 0 || (r->num >= 0 && r->den >= 0);
}

/* A series name argument of method fn; raises when the frame has no such
 * series and, for a rate, not both of its parts either. */
void pa_frame_arg_ref(lua_State *L, const pa_frame *f, int idx, const char *fn, pa_ref *r)
{
	size_t len;
	const char *name;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "pinanalytics.frame: %s: series name must be a string, got %s", fn, luaL_typename(L, idx));
	if (pa_frame_ref_of(L, f, idx, r))
		return;
	name = lua_tolstring(L, idx, &len);
	if (pa_frame_push_part_names(L, name, len)) {
		const char *num, *den;
		size_t nlen, dlen;
		num = lua_tolstring(L, -2, &nlen);
		den = lua_tolstring(L, -1, &dlen);
		luaL_error(L, "pinanalytics.frame: no series %s in this frame (nor %s and %s to compute it from)",
		           pa_frame_push_shown(L, name, len), pa_frame_push_shown(L, num, nlen), pa_frame_push_shown(L, den, dlen));
	}
	luaL_error(L, "pinanalytics.frame: no series %s in this frame", pa_frame_push_shown(L, name, len));
}

/*
 * A row argument of method fn: its index, or -1 when the frame has no such
 * row. A date YYYY-MM-DD names the row keyed by it; in a frame by week or by
 * month, its label (YYYY-Www, YYYY-MM) names it too.
 */
static int pa_arg_row(lua_State *L, const pa_frame *f, int idx, const char *fn)
{
	static const char *const more[] = { "", " or a week YYYY-Www", " or a month YYYY-MM" };
	size_t len;
	const char *s;
	int32_t day;
	int lo, hi;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "pinanalytics.frame: %s: date must be a string YYYY-MM-DD%s, got %s", fn, more[f->period],
		           luaL_typename(L, idx));
	s = lua_tolstring(L, idx, &len);
	if (pa_parse_date(s, len, &day))
		return pa_frame_date_index(f->dates, f->ndates, day);
	if (f->period == PA_DAY || !pa_frame_parse_label(s, len, f->period, &day))
		luaL_error(L, "pinanalytics.frame: %s: date \"%s\" is not a date YYYY-MM-DD%s", fn, pa_frame_push_shown(L, s, len),
		           more[f->period]);
	/* the first row on or after the period's first day is its row, if it is in the period */
	lo = 0;
	hi = f->ndates;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (f->dates[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo < f->ndates && pa_frame_period_start(f->dates[lo], f->period) == day) ? lo : -1;
}

/* ---------------------------------------------------------------- methods */

int pa_frame_len(lua_State *L)
{
	lua_pushinteger(L, pa_frame_check(L, 1)->ndates);
	return 1;
}

int pa_frame_dates(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i;
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		pa_frame_push_date(L, f->dates[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

int pa_frame_metrics(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i;
	lua_createtable(L, f->nseries, 0);
	pa_frame_push_names(L, f);
	for (i = 1; i <= f->nseries; i++) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -3, i);
	}
	lua_pop(L, 1);
	return 1;
}

int pa_frame_get(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int di = pa_arg_row(L, f, 2, "get");
	pa_ref r;
	pa_frame_arg_ref(L, f, 3, "get", &r);
	if (di < 0) {
		lua_pushnil(L);
		return 1;
	}
	pa_frame_push_series_value(L, pa_frame_ref_value(f, &r, di), r.ratio);
	return 1;
}

/* frame:column(metric) -> array; a missing value is pinanalytics.null */
int pa_frame_column(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	pa_ref r;
	int i;
	pa_frame_arg_ref(L, f, 2, "column", &r);
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		double v = pa_frame_ref_value(f, &r, i);
		if (isnan(v))
			lua_pushlightuserdata(L, NULL); /* == cjson.null == pinanalytics.null */
		else
			pa_frame_push_series_value(L, v, r.ratio);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

int pa_frame_status(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int di = pa_arg_row(L, f, 2, "status");
	if (di < 0 || f->status[di] == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_frame_status_names[f->status[di] - 1]);
	return 1;
}

/* frame:not_ready() -> the dates whose data_status is given and not READY */
int pa_frame_not_ready(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i, n = 0;
	lua_newtable(L);
	for (i = 0; i < f->ndates; i++) {
		if (!PA_FINAL(f->status[i])) {
			pa_frame_push_date(L, f->dates[i]);
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

/* frame:period() -> "day", "week" or "month" */
int pa_frame_period(lua_State *L)
{
	lua_pushstring(L, pa_frame_period_names[pa_frame_check(L, 1)->period]);
	return 1;
}

/* frame:labels() -> the label of each row: its date, "2026-W36" or "2026-09" */
int pa_frame_labels(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i;
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		pa_frame_push_label(L, f, i);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* frame:partial() -> the labels of the rows that hold part of their period;
 * frame:partial(date or label) -> whether that row does (nil: no such row) */
int pa_frame_partial(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i, n = 0;
	if (!lua_isnoneornil(L, 2)) {
		int di = pa_arg_row(L, f, 2, "partial");
		if (di < 0)
			lua_pushnil(L);
		else
			lua_pushboolean(L, pa_frame_is_partial(f, di));
		return 1;
	}
	lua_newtable(L);
	for (i = 0; i < f->ndates; i++) {
		if (pa_frame_is_partial(f, i)) {
			pa_frame_push_label(L, f, i);
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

/* frame:to_table() -> { dates = {...}, labels = {...}, status = {...}, partial = {...},
 *                       period = "day" | "week" | "month", series = { name = {...} } } */
int pa_frame_to_table(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int i, j;
	lua_settop(L, 1);
	lua_createtable(L, 0, 6);
	pa_frame_dates(L);
	lua_setfield(L, -2, "dates");
	pa_frame_labels(L);
	lua_setfield(L, -2, "labels");
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		if (f->status[i] == 0)
			lua_pushlightuserdata(L, NULL);
		else
			lua_pushstring(L, pa_frame_status_names[f->status[i] - 1]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "status");
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		lua_pushboolean(L, pa_frame_is_partial(f, i));
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "partial");
	lua_pushstring(L, pa_frame_period_names[f->period]);
	lua_setfield(L, -2, "period");
	lua_createtable(L, 0, f->nseries);
	pa_frame_push_names(L, f);
	for (j = 1; j <= f->nseries; j++) {
		lua_rawgeti(L, -1, j);
		lua_pushcfunction(L, pa_frame_column);
		lua_pushvalue(L, 1);
		lua_pushvalue(L, -3);
		lua_call(L, 2, 1);
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
	lua_setfield(L, -2, "series");
	return 1;
}

/* for date, values, status, label, partial in frame:rows() do ... end */
static int pa_frame_rows_iter(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, lua_upvalueindex(1));
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
	int j;
	if (i < 0 || i >= f->ndates)
		return 0;
	lua_pushinteger(L, i + 1);
	lua_replace(L, lua_upvalueindex(2));
	pa_frame_push_date(L, f->dates[i]);
	lua_createtable(L, 0, f->nseries);
	pa_frame_push_names(L, f);
	for (j = 0; j < f->nseries; j++) {
		double v = f->values[(size_t)j * (size_t)f->ndates + (size_t)i];
		if (isnan(v))
			continue;
		lua_rawgeti(L, -1, j + 1);
		pa_frame_push_series_value(L, v, pa_is_ratio_at(L, -1));
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
	if (f->status[i] == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_frame_status_names[f->status[i] - 1]);
	pa_frame_push_label(L, f, (int)i);
	lua_pushboolean(L, pa_frame_is_partial(f, (int)i));
	return 5;
}

int pa_frame_rows(lua_State *L)
{
	pa_frame_check(L, 1);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, pa_frame_rows_iter, 2);
	return 1;
}
