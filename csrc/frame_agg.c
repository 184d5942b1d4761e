/*
 * frame_agg.c - aggregates and new frames: sum, mean, min and max over the
 * rows (a rate or average recomputed from its summed parts, never summed or
 * averaged plainly), and slice, resample (by ISO week or calendar month)
 * and merge, which return new frames.
 */
#include <math.h>
#include <string.h>

#include "frame.h"

/* ---------------------------------------------------------------- aggregation */

/* the options of an aggregate: nil, or a table read raw */
static int pa_ready_only(lua_State *L, int idx, const char *fn)
{
	int r;
	if (lua_isnoneornil(L, idx))
		return 0;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "pinanalytics.frame: %s: options must be a table, got %s", fn, luaL_typename(L, idx));
	pa_frame_rawfield(L, idx, "ready_only");
	r = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return r;
}

/* The sum of series s over the rows (READY ones only, if asked): how many
 * values it summed, the sum in *out. */
int pa_frame_sum_col(const pa_frame *f, int s, int ready_only, double *out)
{
	const double *col = f->values + (size_t)s * (size_t)f->ndates;
	double acc = 0;
	int i, n = 0;
	for (i = 0; i < f->ndates; i++) {
		if (isnan(col[i]) || (ready_only && !PA_FINAL(f->status[i])))
			continue;
		acc += col[i];
		n++;
	}
	*out = acc;
	return n;
}

/* A rate over the rows from its summed parts, on the rows that have both:
 * how many rows, the rate in *out (0 over 0 impressions). */
int pa_frame_sum_ratio(const pa_frame *f, int num, int den, int ready_only, double *out)
{
	const double *cn = f->values + (size_t)num * (size_t)f->ndates;
	const double *cd = f->values + (size_t)den * (size_t)f->ndates;
	double a = 0, b = 0;
	int i, n = 0;
	for (i = 0; i < f->ndates; i++) {
		if (ready_only && !PA_FINAL(f->status[i]))
			continue;
		if (isnan(cn[i]) || isnan(cd[i]))
			continue;
		a += cn[i];
		b += cd[i];
		n++;
	}
	*out = b == 0 ? 0.0 : a / b;
	return n;
}

int pa_frame_cannot_aggregate(lua_State *L, const char *name, size_t len)
{
	return luaL_error(L, "pinanalytics.frame: cannot aggregate %s: a rate is recomputed from its "
	                     "parts, and this frame lacks them",
	                  pa_frame_push_shown(L, name, len));
}

enum { PA_SUM, PA_MEAN, PA_MIN, PA_MAX };
static const char *const pa_agg_names[] = { "sum", "mean", "min", "max" };

static int pa_aggregate(lua_State *L, int op)
{
	pa_frame *f = pa_frame_check(L, 1);
	pa_ref r;
	int ready_only, i, n = 0;
	double acc = 0;

	pa_frame_arg_ref(L, f, 2, pa_agg_names[op], &r);
	ready_only = pa_ready_only(L, 3, pa_agg_names[op]);
	if ((op == PA_SUM || op == PA_MEAN) && r.ratio) {
		size_t len;
		const char *name = lua_tolstring(L, 2, &len);
		if (r.num < 0 || r.den < 0)
			return pa_frame_cannot_aggregate(L, name, len);
		if (pa_frame_sum_ratio(f, r.num, r.den, ready_only, &acc) == 0)
			lua_pushnil(L);
		else
			lua_pushnumber(L, (lua_Number)acc);
		return 1;
	}
	for (i = 0; i < f->ndates; i++) {
		double v = pa_frame_ref_value(f, &r, i);
		if (isnan(v) || (ready_only && !PA_FINAL(f->status[i])))
			continue;
		if (n == 0 && (op == PA_MIN || op == PA_MAX))
			acc = v;
		else if (op == PA_MIN)
			acc = v < acc ? v : acc;
		else if (op == PA_MAX)
			acc = v > acc ? v : acc;
		else
			acc += v;
		n++;
	}
	if (n == 0) {
		lua_pushnil(L);
		return 1;
	}
	if (op == PA_MEAN)
		lua_pushnumber(L, (lua_Number)(acc / n));
	else
		pa_frame_push_series_value(L, acc, r.ratio);
	return 1;
}

int pa_frame_sum(lua_State *L) { return pa_aggregate(L, PA_SUM); }
int pa_frame_mean(lua_State *L) { return pa_aggregate(L, PA_MEAN); }
int pa_frame_min(lua_State *L) { return pa_aggregate(L, PA_MIN); }
int pa_frame_max(lua_State *L) { return pa_aggregate(L, PA_MAX); }

/* ---------------------------------------------------------------- new frames */

/* Pushes a new frame with the series (names and index) and the period of f. */
static pa_frame *pa_frame_like(lua_State *L, const pa_frame *f, int ndates)
{
	pa_frame *g;
	pa_frame_push_names(L, f);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->index_ref);
	g = pa_frame_alloc(L, ndates, f->nseries, -2, -1);
	lua_replace(L, -3);
	lua_pop(L, 1);
	g->period = f->period;
	return g;
}

/* A date argument (a string YYYY-MM-DD) of method fn. */
static int32_t pa_arg_date(lua_State *L, int idx, const char *fn, const char *what)
{
	size_t len;
	const char *s;
	int32_t n;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "pinanalytics.frame: %s: %s must be a string YYYY-MM-DD, got %s", fn, what,
		           luaL_typename(L, idx));
	s = lua_tolstring(L, idx, &len);
	if (!pa_parse_date(s, len, &n))
		luaL_error(L, "pinanalytics.frame: %s: %s \"%s\" is not a date YYYY-MM-DD", fn, what,
		           pa_frame_push_shown(L, s, len));
	return n;
}

/* frame:slice(range) or frame:slice(start_date, end_date) */
int pa_frame_slice(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	int32_t a, b;
	int i, j, lo = 0, n = 0;
	pa_frame *g;
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_settop(L, 2);
		pa_frame_rawfield(L, 2, "start_date");
		pa_frame_rawfield(L, 2, "end_date");
		a = pa_arg_date(L, 3, "slice", "start_date");
		b = pa_arg_date(L, 4, "slice", "end_date");
	} else {
		a = pa_arg_date(L, 2, "slice", "start_date");
		b = pa_arg_date(L, 3, "slice", "end_date");
	}
	/* dates are sorted: the slice is one run lo .. lo + n - 1 */
	while (lo < f->ndates && f->dates[lo] < a)
		lo++;
	while (lo + n < f->ndates && f->dates[lo + n] <= b)
		n++;
	g = pa_frame_like(L, f, n);
	for (i = 0; i < n; i++) {
		g->dates[i] = f->dates[lo + i];
		g->status[i] = f->status[lo + i];
		g->days[i] = f->days[lo + i];
	}
	for (j = 0; j < f->nseries; j++)
		for (i = 0; i < n; i++)
			g->values[(size_t)j * (size_t)n + (size_t)i] = f->values[(size_t)j * (size_t)f->ndates + (size_t)(lo + i)];
	return 1;
}

/*
 * frame:resample("week" | "month"): one row per ISO week (Monday to Sunday)
 * or calendar month, keyed by its first day in the frame and labelled by
 * its week or month; counts summed, rates recomputed from their summed
 * parts, the status the first day that is not final had, and the number of
 * days of the frame it holds. A frame by week or month is not resampled
 * again: its rows hold sums whose days are gone.
 */
int pa_frame_resample(lua_State *L)
{
	static const char *const opts[] = { "week", "month", NULL };
	pa_frame *f = pa_frame_check(L, 1);
	int how = luaL_checkoption(L, 2, NULL, opts) == 0 ? PA_WEEK : PA_MONTH;
	int i, j, n = 0, names;
	int *period;
	pa_frame *g;

	if (f->period != PA_DAY)
		return luaL_error(L, "pinanalytics.frame: resample: this frame is already by %s (resample the frame by day)",
		                  pa_frame_period_names[f->period]);
	lua_settop(L, 2);
	period = lua_newuserdata(L, sizeof *period * (size_t)(f->ndates ? f->ndates : 1)); /* 3 */
	for (i = 0; i < f->ndates; i++) {
		if (i == 0 || pa_frame_period_start(f->dates[i], how) != pa_frame_period_start(f->dates[i - 1], how))
			n++;
		period[i] = n - 1;
	}
	pa_frame_push_names(L, f); /* 4 */
	names = 4;
	g = pa_frame_like(L, f, n);
	g->period = how;
	for (i = 0; i < f->ndates; i++) {
		int p = period[i];
		if (i == 0 || period[i - 1] != p) {
			g->dates[p] = f->dates[i]; /* a period is keyed by its first day in the frame */
			g->days[p] = 0;
		}
		g->days[p]++; /* at most 31: the dates of a frame are distinct */
		if (g->status[p] == 0 || (PA_FINAL(g->status[p]) && !PA_FINAL(f->status[i])))
			g->status[p] = f->status[i];
	}
	/* sums of every series first */
	for (j = 0; j < f->nseries; j++) {
		for (i = 0; i < f->ndates; i++) {
			double v = f->values[(size_t)j * (size_t)f->ndates + (size_t)i];
			double *dst = &g->values[(size_t)j * (size_t)n + (size_t)period[i]];
			if (isnan(v))
				continue;
			*dst = isnan(*dst) ? v : *dst + v;
		}
	}
	/* then ratios recomputed from the summed parts */
	for (j = 0; j < f->nseries; j++) {
		size_t len;
		const char *name;
		int num, den, p;
		lua_rawgeti(L, names, j + 1);
		name = lua_tolstring(L, -1, &len);
		if (pa_frame_is_ratio(name, len)) {
			pa_frame_ratio_parts(L, f, name, len, &num, &den);
			for (p = 0; p < n; p++) {
				double *dst = &g->values[(size_t)j * (size_t)n + (size_t)p];
				if (num < 0 || den < 0) {
					*dst = NAN; /* no parts: a plain sum of rates would be wrong */
				} else {
					double a = g->values[(size_t)num * (size_t)n + (size_t)p];
					double b = g->values[(size_t)den * (size_t)n + (size_t)p];
					*dst = (isnan(a) || isnan(b)) ? NAN : (b == 0 ? 0.0 : a / b);
				}
			}
		}
		lua_pop(L, 1);
	}
	return 1;
}

/* frame:merge(other): the union of dates and series; a value both give must agree */
int pa_frame_merge(lua_State *L)
{
	enum { A = 1, B, DAYS, BYID, IDS, MAPA, MAPB, DMAPA, DMAPB };
	pa_frame *src[2], *g;
	int *map[2], *dmap[2], *rank;
	int i, j, k, n, nseries = 0;
	int32_t *days;
	size_t total;

	src[0] = pa_frame_check(L, A);
	src[1] = pa_frame_check(L, B);
	if (src[0]->period != src[1]->period)
		return luaL_error(L, "pinanalytics.frame: merge: a frame by %s and a frame by %s cannot be merged (resample "
		                     "both alike)",
		                  pa_frame_period_names[src[0]->period], pa_frame_period_names[src[1]->period]);
	lua_settop(L, B);
	total = (size_t)src[0]->ndates + (size_t)src[1]->ndates;
	days = lua_newuserdata(L, sizeof *days * (total ? total : 1)); /* DAYS */
	if (src[0]->ndates > 0)
		memcpy(days, src[0]->dates, sizeof *days * (size_t)src[0]->ndates);
	if (src[1]->ndates > 0)
		memcpy(days + src[0]->ndates, src[1]->dates, sizeof *days * (size_t)src[1]->ndates);
	n = (int)pa_frame_unique_dates(days, total); /* both are dates of frames: at most ~3.65 million */
	for (i = 1; src[0]->period != PA_DAY && i < n; i++) {
		if (pa_frame_period_start(days[i], src[0]->period) == pa_frame_period_start(days[i - 1], src[0]->period)) {
			char buf[48];
			size_t len = pa_frame_label(buf, sizeof buf, src[0]->period, days[i]);
			lua_pushlstring(L, buf, len);
			return luaL_error(L, "pinanalytics.frame: merge: the frames key the %s %s by different days (merge "
			                     "the frames by day, then resample)",
			                  pa_frame_period_names[src[0]->period], lua_tostring(L, -1));
		}
	}
	/* names: the union, each source's series mapped to its id in it */
	lua_newtable(L); /* BYID */
	lua_newtable(L); /* IDS */
	for (k = 0; k < 2; k++) {
		map[k] = lua_newuserdata(L, sizeof *map[k] * (size_t)(src[k]->nseries ? src[k]->nseries : 1));
	}
	for (k = 0; k < 2; k++) {
		pa_frame_push_names(L, src[k]);
		for (j = 0; j < src[k]->nseries; j++) {
			lua_rawgeti(L, -1, j + 1);
			map[k][j] = pa_frame_name_id(L, BYID, IDS, &nseries);
		}
		lua_pop(L, 1);
	}
	/* where each source's dates go in the merged frame */
	for (k = 0; k < 2; k++) {
		dmap[k] = lua_newuserdata(L, sizeof *dmap[k] * (size_t)(src[k]->ndates ? src[k]->ndates : 1));
		for (i = 0; i < src[k]->ndates; i++)
			dmap[k][i] = pa_frame_date_index(days, n, src[k]->dates[i]);
	}
	rank = pa_frame_sort_names(L, BYID, nseries); /* pushes rank, names */
	g = pa_frame_alloc(L, n, nseries, -1, 0);
	g->period = src[0]->period;
	if (n > 0)
		memcpy(g->dates, days, sizeof *days * (size_t)n);
	for (k = 0; k < 2; k++) {
		const pa_frame *f = src[k];
		for (i = 0; i < f->ndates; i++) {
			int di = dmap[k][i];
			if (g->status[di] == 0 || (PA_FINAL(g->status[di]) && !PA_FINAL(f->status[i])))
				g->status[di] = f->status[i];
			if (f->days[i] > g->days[di]) /* a row both give: the one that holds more days */
				g->days[di] = f->days[i];
		}
		for (j = 0; j < f->nseries; j++) {
			int gs = rank[map[k][j]];
			for (i = 0; i < f->ndates; i++) {
				double v = f->values[(size_t)j * (size_t)f->ndates + (size_t)i];
				double *dst = &g->values[(size_t)gs * (size_t)n + (size_t)dmap[k][i]];
				if (isnan(v))
					continue;
				if (!isnan(*dst) && *dst != v) {
					size_t len;
					const char *name;
					pa_frame_close(L, g); /* now, rather than at the next GC cycle */
					pa_frame_push_names(L, f);
					lua_rawgeti(L, -1, j + 1);
					name = lua_tolstring(L, -1, &len);
					lua_pushfstring(L, "pinanalytics.frame: merge: %s differs on ", pa_frame_push_shown(L, name, len));
					pa_frame_push_date(L, f->dates[i]);
					lua_concat(L, 2);
					return lua_error(L);
				}
				*dst = v;
			}
		}
	}
	return 1;
}
