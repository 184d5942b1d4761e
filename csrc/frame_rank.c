/*
 * frame_rank.c - frame:top: the rows of a frame ranked by a metric, the keys
 * of its "<key>/<metric>" series (pins, splits) by their totals, or its
 * series by their totals; ties in byte order of the key, or by row.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* ---------------------------------------------------------------- options */

/* An option given as one of a list of strings (read raw): its index, def when nil. */
static int pa_opt_choice(lua_State *L, int opts, const char *key, const char *const *choices, int def,
                         const char *fn, const char *allowed)
{
	int i, r = -2;
	if (lua_isnoneornil(L, opts))
		return def;
	pa_frame_rawfield(L, opts, key);
	if (lua_isnil(L, -1)) {
		r = def;
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(lua_tostring(L, -1), choices[i]) == 0 && strlen(choices[i]) == lua_rawlen(L, -1))
				r = i;
	}
	if (r == -2)
		luaL_error(L, "pinanalytics.frame: %s: opts.%s must be %s", fn, key, allowed);
	lua_pop(L, 1);
	return r;
}

/* ---------------------------------------------------------------- top */

typedef struct {
	double v;
	const char *k; /* the key (a series name or a part of one), NULL when ranking rows */
	size_t klen;
	int idx; /* the row or series */
	int ratio;
} pa_rank;

/* ties: by key in byte order (series names sort that way too), else by row */
static int pa_cmp_tie(const pa_rank *x, const pa_rank *y)
{
	if (x->k != NULL && y->k != NULL) {
		int c = memcmp(x->k, y->k, x->klen < y->klen ? x->klen : y->klen);
		if (c != 0)
			return c;
		if (x->klen != y->klen)
			return x->klen < y->klen ? -1 : 1;
	}
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* values are never NaN here: missing values are not ranked */
static int pa_cmp_desc(const void *a, const void *b)
{
	const pa_rank *x = a, *y = b;
	if (x->v != y->v)
		return x->v > y->v ? -1 : 1;
	return pa_cmp_tie(x, y);
}

static int pa_cmp_asc(const void *a, const void *b)
{
	const pa_rank *x = a, *y = b;
	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return pa_cmp_tie(x, y);
}

enum { PA_BY_DATE, PA_BY_KEY, PA_BY_SERIES };

/* Does name[0..len) end in "/" .. suffix? Then the length of what is before the "/", else -1. */
static long pa_key_len(const char *name, size_t len, const char *suffix, size_t slen)
{
	if (len < slen + 1 || name[len - slen - 1] != '/' || memcmp(name + len - slen, suffix, slen) != 0)
		return -1;
	return (long)(len - slen - 1);
}

/*
 * frame:top(n [, metric [, opts]]) -> { { key = ..., value = ... }, ... }, at
 * most n, the largest first (opts.order = "asc": the smallest first). What
 * is ranked (opts.by, else decided by the frame):
 *   "date"    metric is a series of the frame (or a rate derived from its
 *             parts): its rows, keyed by label (a date, "2026-W36", "2026-09");
 *   "key"     the frame holds "<key>/<metric>" series (every metric of every
 *             pin, or of every split): the keys, by their total of the metric
 *             over the rows (a rate from its summed parts);
 *   "series"  no metric: the series themselves, by their totals.
 * A missing value is never ranked; ties go by key in byte order, or by the
 * earlier row. opts.ready_only leaves out rows that are not READY.
 */
int pa_frame_top(lua_State *L)
{
	enum { F = 1, N, METRIC, OPTS, NAMES, RANKS, SEEN };
	static const char *const orders[] = { "desc", "asc", NULL };
	static const char *const bys[] = { "date", "key", "series", NULL };
	pa_frame *f = pa_frame_check(L, F);
	int limit = pa_frame_arg_count(L, N, "top", "n", -1);
	int asc, by, ready_only = 0, count = 0, matched = 0, chosen, out, i, j;
	pa_rank *rk;
	pa_ref r;

	if (!lua_isnoneornil(L, METRIC) && lua_type(L, METRIC) != LUA_TSTRING)
		return luaL_error(L, "pinanalytics.frame: top: metric must be a string, got %s", luaL_typename(L, METRIC));
	pa_frame_check_opts(L, OPTS, "top");
	lua_settop(L, OPTS);
	asc = pa_opt_choice(L, OPTS, "order", orders, 0, "top", "\"desc\" or \"asc\"");
	by = pa_opt_choice(L, OPTS, "by", bys, -1, "top", "\"date\", \"key\" or \"series\"");
	chosen = by != -1;
	if (!lua_isnil(L, OPTS)) {
		pa_frame_rawfield(L, OPTS, "ready_only");
		ready_only = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	if (lua_isnil(L, METRIC)) {
		if (by == -1)
			by = PA_BY_SERIES;
		else if (by != PA_BY_SERIES)
			return luaL_error(L, "pinanalytics.frame: top: by = \"%s\" ranks by a metric: give one", bys[by]);
	} else if (by == PA_BY_SERIES) {
		return luaL_error(L, "pinanalytics.frame: top: by = \"series\" ranks the series themselves: give no metric");
	} else if (by == -1) {
		by = pa_frame_ref_of(L, f, METRIC, &r) ? PA_BY_DATE : PA_BY_KEY;
	}
	pa_frame_push_names(L, f); /* NAMES: keeps every name a rank points to alive */
	rk = lua_newuserdata(L, sizeof *rk * (size_t)(by == PA_BY_DATE ? (f->ndates ? f->ndates : 1)
	                                                               : (f->nseries ? f->nseries : 1))); /* RANKS */
	lua_newtable(L); /* SEEN: the keys met so far */

	if (by == PA_BY_DATE) {
		pa_frame_arg_ref(L, f, METRIC, "top", &r);
		for (i = 0; i < f->ndates; i++) {
			double v = pa_frame_ref_value(f, &r, i);
			if (isnan(v) || (ready_only && !PA_FINAL(f->status[i])))
				continue;
			rk[count].v = v;
			rk[count].k = NULL;
			rk[count].klen = 0;
			rk[count].idx = i;
			rk[count].ratio = r.ratio;
			count++;
		}
	} else if (by == PA_BY_SERIES) {
		for (j = 0; j < f->nseries; j++) {
			size_t len;
			const char *name;
			double v;
			int n, num, den, ratio;
			lua_rawgeti(L, NAMES, j + 1);
			name = lua_tolstring(L, -1, &len); /* kept alive by NAMES */
			lua_pop(L, 1);
			ratio = pa_frame_is_ratio(name, len);
			if (ratio) {
				pa_frame_ratio_parts(L, f, name, len, &num, &den);
				if (num < 0 || den < 0)
					continue; /* a rate without its parts has no total */
				n = pa_frame_sum_ratio(f, num, den, ready_only, &v);
			} else {
				n = pa_frame_sum_col(f, j, ready_only, &v);
			}
			if (n == 0)
				continue;
			rk[count].v = v;
			rk[count].k = name;
			rk[count].klen = len;
			rk[count].idx = j;
			rk[count].ratio = ratio;
			count++;
		}
	} else {
		size_t mlen, nlen = 0;
		const char *metric = lua_tolstring(L, METRIC, &mlen), *numer = NULL;
		int ratio = pa_frame_is_ratio(metric, mlen);
		/* a rate's keys are also those whose numerator is in the frame */
		if (pa_frame_push_part_names(L, metric, mlen)) {
			lua_pop(L, 1);
			numer = lua_tolstring(L, -1, &nlen); /* SEEN + 1: kept until the end */
		}
		for (j = 0; j < f->nseries; j++) {
			size_t len;
			const char *name, *full;
			long klen;
			double v;
			int n, s, num, den, top = lua_gettop(L);
			lua_rawgeti(L, NAMES, j + 1);
			name = lua_tolstring(L, -1, &len);
			lua_pop(L, 1);
			klen = pa_key_len(name, len, metric, mlen);
			if (klen < 0 && numer != NULL)
				klen = pa_key_len(name, len, numer, nlen);
			if (klen < 0)
				continue;
			matched = 1;
			lua_pushlstring(L, name, (size_t)klen);
			lua_pushvalue(L, -1);
			lua_rawget(L, SEEN);
			if (!lua_isnil(L, -1)) {
				lua_settop(L, top);
				continue;
			}
			lua_pop(L, 1);
			lua_pushboolean(L, 1);
			lua_rawset(L, SEEN);
			/* the key's own series of the metric: "<key>/<metric>" */
			lua_pushlstring(L, name, (size_t)klen + 1);
			lua_pushlstring(L, metric, mlen);
			lua_concat(L, 2);
			full = lua_tolstring(L, -1, &len);
			s = pa_frame_series(L, f, -1);
			if (ratio) {
				pa_frame_ratio_parts(L, f, full, len, &num, &den);
				if (num < 0 || den < 0) {
					if (s >= 0)
						return pa_frame_cannot_aggregate(L, full, len);
					lua_settop(L, top);
					continue;
				}
				n = pa_frame_sum_ratio(f, num, den, ready_only, &v);
			} else if (s >= 0) {
				n = pa_frame_sum_col(f, s, ready_only, &v);
			} else {
				n = 0;
			}
			lua_settop(L, top);
			if (n == 0)
				continue;
			rk[count].v = v;
			rk[count].k = name; /* its first klen bytes */
			rk[count].klen = (size_t)klen;
			rk[count].idx = j;
			rk[count].ratio = ratio;
			count++;
		}
		if (!matched && !chosen)
			pa_frame_arg_ref(L, f, METRIC, "top", &r); /* neither: raises, naming the metric */
		if (!matched)
			return luaL_error(L, "pinanalytics.frame: top: no series <key>/%s in this frame",
			                  pa_frame_push_shown(L, metric, mlen));
	}
	qsort(rk, (size_t)count, sizeof *rk, asc ? pa_cmp_asc : pa_cmp_desc);
	out = count < limit ? count : limit;
	lua_createtable(L, out, 0);
	for (i = 0; i < out; i++) {
		lua_createtable(L, 0, 2);
		if (rk[i].k == NULL)
			pa_frame_push_label(L, f, rk[i].idx);
		else
			lua_pushlstring(L, rk[i].k, rk[i].klen);
		lua_setfield(L, -2, "key");
		pa_frame_push_series_value(L, rk[i].v, rk[i].ratio);
		lua_setfield(L, -2, "value");
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}
