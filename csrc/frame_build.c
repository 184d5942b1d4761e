/*
 * frame_build.c - core.frame(sources): a frame from decoded analytics
 * answers (their daily_metrics), read once with raw access only. Series
 * names are collected and sorted in C (merge in frame_agg.c does the same);
 * scratch memory is userdata, owned by the GC.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* ------------------------------------------------------------ series names */

/*
 * Series names are collected while reading into two tables the C code makes
 * and never hands out: byid (id + 1 -> name) and ids (name -> id), and are
 * sorted in C at the end, never through a function a caller can replace.
 */

/* The id of the name (a string) on top of the stack, which is popped; a new
 * name gets the next id. */
int pa_frame_name_id(lua_State *L, int byid, int ids, int *n)
{
	int id;
	lua_pushvalue(L, -1);
	lua_rawget(L, ids);
	if (lua_type(L, -1) == LUA_TNUMBER) {
		id = (int)lua_tointeger(L, -1);
		lua_pop(L, 2);
		return id;
	}
	lua_pop(L, 1);
	if (*n == INT_MAX)
		luaL_error(L, "pinanalytics.frame: too many series");
	id = (*n)++;
	lua_pushvalue(L, -1);
	lua_rawseti(L, byid, id + 1);
	lua_pushinteger(L, id);
	lua_rawset(L, ids);
	return id;
}

typedef struct {
	const char *s;
	size_t len;
	int id;
} pa_name;

/* Byte order (memcmp), the shorter first on a common prefix: Lua's own
 * string order in the C locale, embedded NULs included. */
static int pa_cmp_name(const void *a, const void *b)
{
	const pa_name *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
	if (c != 0)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

/*
 * Sorts the n names of byid. Pushes rank (a userdata of n ints: rank[id] =
 * position, 0-based) and the array of names in order; returns rank.
 */
int *pa_frame_sort_names(lua_State *L, int byid, int n)
{
	pa_name *order = lua_newuserdata(L, sizeof *order * (size_t)(n ? n : 1));
	int *rank, i;
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, byid, i + 1);
		order[i].s = lua_tolstring(L, -1, &order[i].len); /* kept alive by byid */
		order[i].id = i;
		lua_pop(L, 1);
	}
	qsort(order, (size_t)n, sizeof *order, pa_cmp_name);
	rank = lua_newuserdata(L, sizeof *rank * (size_t)(n ? n : 1));
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		rank[order[i].id] = i;
		lua_rawgeti(L, byid, order[i].id + 1);
		lua_rawseti(L, -2, i + 1);
	}
	lua_remove(L, -3); /* order */
	return rank;
}

/* ------------------------------------------------------------ construction */

/*
 * A growable scratch array: a userdata at a fixed stack slot, replaced by
 * one twice its size when full. The GC owns (and counts) every one of them.
 */
typedef struct {
	void *p;
	size_t n, cap, size;
	int slot;
} pa_vec;

static void pa_vec_init(lua_State *L, pa_vec *v, size_t size)
{
	v->n = 0;
	v->cap = 64;
	v->size = size;
	v->p = lua_newuserdata(L, v->cap * size);
	v->slot = lua_gettop(L);
}

static void *pa_vec_push(lua_State *L, pa_vec *v)
{
	if (v->n == v->cap) {
		void *p;
		if (v->cap > ((size_t)-1 / 2) / v->size)
			luaL_error(L, "pinanalytics.frame: out of memory");
		p = lua_newuserdata(L, v->cap * 2 * v->size);
		memcpy(p, v->p, v->n * v->size);
		lua_replace(L, v->slot);
		v->p = p;
		v->cap *= 2;
	}
	return (char *)v->p + v->size * v->n++;
}

/* one day of one source as read: its values are vals[previous end .. end) */
typedef struct {
	size_t end;
	int32_t day;
	uint8_t status;
} pa_rec;

/* lua_rawlen of sources (s = 0) or of source s's daily_metrics, as an int:
 * a table of a few keys can have a border past INT_MAX */
static int pa_rawlen(lua_State *L, int idx, int s)
{
	size_t n = lua_rawlen(L, idx);
	if (n > INT_MAX) {
		if (s == 0)
			luaL_error(L, "pinanalytics.frame: sources is too long");
		luaL_error(L, "pinanalytics.frame: source %d: daily_metrics is too long", s);
	}
	return (int)n;
}

/* Takes the number at idx as a value of series id (a NaN is a missing value). */
static void pa_take_value(lua_State *L, int idx, int id, pa_vec *ids, pa_vec *vals, int s, int d, int key)
{
	double v = (double)lua_tonumber(L, idx);
	size_t len;
	const char *k;
	if (isnan(v))
		return;
	if (isinf(v)) {
		k = lua_tolstring(L, key, &len);
		luaL_error(L, "pinanalytics.frame: source %d: daily_metrics[%d].metrics.%s is not a finite number", s, d,
		           pa_frame_push_shown(L, k, len));
	}
	*(int *)pa_vec_push(L, ids) = id;
	*(double *)pa_vec_push(L, vals) = v;
}

static uint8_t pa_status_code(const char *s, size_t len)
{
	int i;
	for (i = 0; i < PA_NSTATUS - 1; i++)
		if (strlen(pa_frame_status_names[i]) == len && memcmp(s, pa_frame_status_names[i], len) == 0)
			return (uint8_t)(i + 1);
	return (uint8_t)PA_UNKNOWN;
}

/*
 * core.frame(sources) where sources is an array of
 *   { daily = <daily_metrics array>, prefix = "pin/" | nil, metric = "IMPRESSION" | nil, name = "pin" }
 * With metric, the source gives one series called name; otherwise one
 * series per metric key, called prefix .. key. Series are sorted by name.
 *
 * One pass reads every source into scratch arrays (day records, series
 * ids, values); the frame is built from those. A key whose values are not
 * numbers still makes a series (with no value); a NaN is a missing value;
 * an infinite one is refused. Where sources give one series the same day,
 * the later one wins.
 */
int pa_frame_new(lua_State *L)
{
	enum { SOURCES = 1, BYID, IDS, RECS, VIDS, VVALS, SRC, METRIC, PREFIX, NAME, DAILY, KEYS, DAY };
	int nsrc, s, nseries = 0, ndates;
	size_t r, k, start;
	pa_vec recs, vids, vvals;
	int32_t *days;
	int *rank;
	pa_frame *f;

	if (lua_type(L, SOURCES) != LUA_TTABLE)
		return luaL_error(L, "pinanalytics.frame: sources must be a table, got %s", luaL_typename(L, SOURCES));
	lua_settop(L, SOURCES);
	luaL_checkstack(L, 40, "pinanalytics.frame");
	nsrc = pa_rawlen(L, SOURCES, 0);
	lua_newtable(L); /* BYID */
	lua_newtable(L); /* IDS */
	pa_vec_init(L, &recs, sizeof(pa_rec));
	pa_vec_init(L, &vids, sizeof(int));
	pa_vec_init(L, &vvals, sizeof(double));

	for (s = 1; s <= nsrc; s++) {
		int nd, d, single = -1;
		lua_settop(L, VVALS);
		lua_rawgeti(L, SOURCES, s);
		if (lua_type(L, SRC) != LUA_TTABLE)
			return luaL_error(L, "pinanalytics.frame: source %d is not a table (got %s)", s, luaL_typename(L, SRC));
		pa_frame_rawfield(L, SRC, "metric");
		pa_frame_rawfield(L, SRC, "prefix");
		pa_frame_rawfield(L, SRC, "name");
		pa_frame_rawfield(L, SRC, "daily");
		if (!lua_isnil(L, METRIC) && lua_type(L, METRIC) != LUA_TSTRING)
			return luaL_error(L, "pinanalytics.frame: source %d: metric must be a string, got %s", s,
			                  luaL_typename(L, METRIC));
		if (!lua_isnil(L, PREFIX) && lua_type(L, PREFIX) != LUA_TSTRING)
			return luaL_error(L, "pinanalytics.frame: source %d: prefix must be a string, got %s", s,
			                  luaL_typename(L, PREFIX));
		if ((!lua_isnil(L, METRIC) || !lua_isnil(L, NAME)) && lua_type(L, NAME) != LUA_TSTRING)
			return luaL_error(L, "pinanalytics.frame: source %d: name must be a string, got %s", s,
			                  luaL_typename(L, NAME));
		if (lua_type(L, DAILY) != LUA_TTABLE)
			return luaL_error(L, "pinanalytics.frame: source %d: daily must be an array of days, got %s", s,
			                  luaL_typename(L, DAILY));
		lua_newtable(L); /* KEYS: this source's metric key -> series id */
		if (!lua_isnil(L, METRIC)) {
			lua_pushvalue(L, NAME);
			single = pa_frame_name_id(L, BYID, IDS, &nseries); /* the series exists even with no value */
		}
		nd = pa_rawlen(L, DAILY, s);
		for (d = 1; d <= nd; d++) {
			size_t len;
			const char *str;
			pa_rec *rec;
			int32_t day;
			lua_settop(L, KEYS);
			lua_rawgeti(L, DAILY, d); /* DAY */
			if (lua_type(L, DAY) != LUA_TTABLE)
				return luaL_error(L, "pinanalytics.frame: source %d: daily_metrics[%d] is not an object (got %s)", s,
				                  d, luaL_typename(L, DAY));
			pa_frame_rawfield(L, DAY, "date");
			str = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
			if (str == NULL || !pa_parse_date(str, len, &day))
				return luaL_error(L, "pinanalytics.frame: source %d: daily_metrics[%d].date is not a date YYYY-MM-DD",
				                  s, d);
			rec = pa_vec_push(L, &recs);
			rec->day = day;
			rec->status = 0;
			pa_frame_rawfield(L, DAY, "data_status");
			if (lua_type(L, -1) == LUA_TSTRING) {
				str = lua_tolstring(L, -1, &len);
				rec->status = pa_status_code(str, len);
			}
			lua_settop(L, DAY);
			pa_frame_rawfield(L, DAY, "metrics");
			if (lua_type(L, -1) == LUA_TTABLE) {
				int metrics = lua_gettop(L);
				if (single >= 0) {
					lua_pushvalue(L, METRIC);
					lua_rawget(L, metrics);
					if (lua_type(L, -1) == LUA_TNUMBER)
						pa_take_value(L, -1, single, &vids, &vvals, s, d, METRIC);
				} else {
					/* lua_next is raw; a key is never converted (only strings are used) */
					lua_pushnil(L);
					while (lua_next(L, metrics) != 0) {
						int key = lua_gettop(L) - 1, id;
						if (lua_type(L, key) == LUA_TSTRING) {
							lua_pushvalue(L, key);
							lua_rawget(L, KEYS);
							if (lua_type(L, -1) == LUA_TNUMBER) {
								id = (int)lua_tointeger(L, -1);
							} else {
								if (lua_isnil(L, PREFIX)) {
									lua_pushvalue(L, key);
								} else {
									lua_pushvalue(L, PREFIX);
									lua_pushvalue(L, key);
									lua_concat(L, 2); /* two strings: no metamethod */
								}
								id = pa_frame_name_id(L, BYID, IDS, &nseries);
								lua_pushvalue(L, key);
								lua_pushinteger(L, id);
								lua_rawset(L, KEYS);
							}
							lua_settop(L, key + 1);
							if (lua_type(L, key + 1) == LUA_TNUMBER)
								pa_take_value(L, key + 1, id, &vids, &vvals, s, d, key);
						}
						lua_settop(L, key);
					}
				}
			}
			/* rec is not kept across the reads above: index the record again */
			((pa_rec *)recs.p)[recs.n - 1].end = vvals.n;
		}
	}
	lua_settop(L, VVALS);

	/* distinct sorted dates (at most ~3.65 million: years 0000-9999) */
	days = lua_newuserdata(L, sizeof *days * (recs.n ? recs.n : 1));
	for (r = 0; r < recs.n; r++)
		days[r] = ((const pa_rec *)recs.p)[r].day;
	ndates = (int)pa_frame_unique_dates(days, recs.n);

	rank = pa_frame_sort_names(L, BYID, nseries); /* pushes rank, names */
	f = pa_frame_alloc(L, ndates, nseries, -1, 0);
	if (ndates > 0)
		memcpy(f->dates, days, sizeof *days * (size_t)ndates);
	start = 0;
	for (r = 0; r < recs.n; r++) {
		const pa_rec *rec = (const pa_rec *)recs.p + r;
		int di = pa_frame_date_index(f->dates, ndates, rec->day);
		if (di >= 0) { /* always: every day is in dates */
			/* several sources on one day: the status that is not final wins */
			if (f->status[di] == 0 || (PA_FINAL(f->status[di]) && !PA_FINAL(rec->status)))
				f->status[di] = rec->status;
			for (k = start; k < rec->end; k++) {
				int id = ((const int *)vids.p)[k];
				if (id >= 0 && id < nseries)
					f->values[(size_t)rank[id] * (size_t)ndates + (size_t)di] = ((const double *)vvals.p)[k];
			}
		}
		start = rec->end;
	}
	return 1;
}
