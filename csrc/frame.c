/*
 * frame.c - the MetricFrame userdata: dates x series of doubles, built in C
 * from decoded analytics answers, with aggregation in C.
 *
 * Storage is columnar: values[series * ndates + day], NaN for a missing
 * value (distinct from 0), one data_status code per day. A frame is
 * immutable: slice, resample and merge return new frames. A frame made by
 * resample has one row per ISO week or calendar month (its period), keyed by
 * the first day it holds and labelled "2026-W36" or "2026-09"; each row
 * knows how many days of the frame it holds, so a period the frame does not
 * cover whole is flagged partial.
 *
 * Rates are never summed or averaged plainly: an aggregate of a rate is
 * recomputed from its parts (X_RATE = X / IMPRESSION, VIDEO_AVG_WATCH_TIME =
 * VIDEO_V50_WATCH_TIME / VIDEO_START), summed over the same days. A rate
 * whose parts are in the frame can be asked for without being a series of
 * it (a derived rate): every method that reads a series takes it.
 *
 * Input is read once, with raw access only: no metamethod and no global
 * function (table.sort) runs while a frame is built, so nothing can change
 * the input between two reads. Every date and index is checked. Scratch
 * memory is Lua userdata (the GC owns it), so a raise frees it; only a
 * frame's own arrays are malloc'd, and its __gc frees them. A frame whose
 * __gc has run (another finalizer can still reach it) is closed: every use
 * raises.
 *
 * The files, by concern (frame.h says what they share): this one holds the
 * userdata itself (its lifecycle: alloc, close, __gc), the lookups and
 * argument checks every part uses, and the method table; frame_calendar.c
 * dates, ISO weeks and months; frame_build.c core.frame; frame_read.c the
 * methods that read a frame, and derived rates; frame_agg.c aggregates,
 * slice, resample and merge; frame_rank.c top; frame_text.c CSV and tables.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/* Pinterest's DataStatus values; code = index + 1, 0 = no status given (frame.h) */
const char *const pa_frame_status_names[] = {
	"READY", "PROCESSING", "ESTIMATE", "BEFORE_BUSINESS_CREATED", "BEFORE_DATA_RETENTION_PERIOD",
	"BEFORE_PIN_DATA_RETENTION_PERIOD", "BEFORE_METRIC_START_DATE", "BEFORE_CORE_METRIC_START_DATE",
	"BEFORE_PIN_FORMAT_METRIC_START_DATE", "BEFORE_AUDIENCE_METRIC_START_DATE",
	"BEFORE_AUDIENCE_MONTHLY_METRIC_START_DATE", "BEFORE_VIDEO_METRIC_START_DATE",
	"BEFORE_CONVERSION_METRIC_START_DATE", "PURCHASERS_METRIC_SMALLER_THAN_THRESHOLD", "IN_BAD_TAG_DATE",
	"BEFORE_PUBLISHED_METRIC_START_DATE", "BEFORE_ASSIST_METRIC_START_DATE", "BEFORE_PIN_CREATED",
	"BEFORE_ACCOUNT_CLAIMED", "BEFORE_DEMOGRAPHIC_FILTERS_START_DATE", "AUDIENCE_SEGMENT_SMALLER_THAN_THRESHOLD",
	"AUDIENCE_TOTAL_SMALLER_THAN_THRESHOLD", "BEFORE_PRODUCT_GROUP_FILTER_START_DATE", "UNKNOWN",
};
/* frame.h's PA_NSTATUS counts them: a compiler error when it does not */
typedef char pa_frame_nstatus_check[sizeof pa_frame_status_names / sizeof *pa_frame_status_names == PA_NSTATUS ? 1 : -1];

const char *const pa_frame_period_names[] = { "day", "week", "month" };

/* ---------------------------------------------------------------- lifecycle */

/* The frame at idx; raises when it is not a frame or is closed. */
pa_frame *pa_frame_check(lua_State *L, int idx)
{
	pa_frame *f = luaL_checkudata(L, idx, PA_FRAME_MT);
	if (f->values == NULL)
		luaL_error(L, "pinanalytics.frame: attempt to use a closed frame");
	return f;
}

/* Frees a frame's arrays and names; idempotent. The frame is closed after. */
void pa_frame_close(lua_State *L, pa_frame *f)
{
	free(f->dates);
	free(f->values);
	free(f->status);
	free(f->days);
	f->dates = NULL;
	f->values = NULL;
	f->status = NULL;
	f->days = NULL;
	f->ndates = f->nseries = 0;
	if (f->names_ref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, f->names_ref);
		f->names_ref = LUA_NOREF;
	}
	if (f->index_ref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, f->index_ref);
		f->index_ref = LUA_NOREF;
	}
}

static int pa_frame_gc(lua_State *L)
{
	pa_frame_close(L, luaL_checkudata(L, 1, PA_FRAME_MT));
	return 0;
}

/* At most this many values in one frame (8 GiB of them): more is refused
 * before anything is allocated, and ndates * nseries cannot overflow. */
#define PA_FRAME_MAX_VALUES (1 << 30)

/*
 * Pushes a new frame of ndates x nseries by day, values missing, statuses
 * absent, each row holding one day.
 * names_idx holds its series names in order; index_idx their index (name ->
 * 1-based position), or 0 to build it. Both tables are private to frames
 * (never handed to user code) and may be shared: a frame is immutable.
 */
pa_frame *pa_frame_alloc(lua_State *L, int ndates, int nseries, int names_idx, int index_idx)
{
	pa_frame *f;
	size_t n, i;
	names_idx = pa_absindex(L, names_idx);
	if (index_idx != 0)
		index_idx = pa_absindex(L, index_idx);
	if (nseries > 0 && ndates > PA_FRAME_MAX_VALUES / nseries)
		luaL_error(L, "pinanalytics.frame: %d dates x %d series is more than %d values", ndates, nseries,
		           PA_FRAME_MAX_VALUES);
	n = (size_t)ndates * (size_t)nseries;
	if (n > (size_t)-1 / sizeof *f->values) /* only where size_t has 32 bits */
		luaL_error(L, "pinanalytics.frame: out of memory for %d dates x %d series", ndates, nseries);
	f = lua_newuserdata(L, sizeof *f);
	memset(f, 0, sizeof *f);
	f->names_ref = f->index_ref = LUA_NOREF;
	pa_setmetatable(L, PA_FRAME_MT);
	/* from here a raise leaves a closed frame to the GC, which frees it */
	f->dates = malloc(sizeof *f->dates * (size_t)(ndates ? ndates : 1));
	f->status = calloc((size_t)(ndates ? ndates : 1), 1);
	f->values = malloc(sizeof *f->values * (n ? n : 1));
	f->days = malloc((size_t)(ndates ? ndates : 1));
	if (f->dates == NULL || f->status == NULL || f->values == NULL || f->days == NULL) {
		pa_frame_close(L, f);
		luaL_error(L, "pinanalytics.frame: out of memory for %d dates x %d series", ndates, nseries);
	}
	f->ndates = ndates;
	f->nseries = nseries;
	f->period = PA_DAY;
	memset(f->days, 1, (size_t)(ndates ? ndates : 1));
	for (i = 0; i < n; i++)
		f->values[i] = NAN;
	if (index_idx == 0) {
		int j;
		lua_createtable(L, 0, nseries);
		for (j = 1; j <= nseries; j++) {
			lua_rawgeti(L, names_idx, j);
			lua_pushinteger(L, j);
			lua_rawset(L, -3);
		}
	} else {
		lua_pushvalue(L, index_idx);
	}
	f->index_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_pushvalue(L, names_idx);
	f->names_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return f;
}

void pa_frame_push_names(lua_State *L, const pa_frame *f)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->names_ref);
}

/* Series index (0-based) of the name (a string) at idx, or -1. */
int pa_frame_series(lua_State *L, const pa_frame *f, int idx)
{
	lua_Integer i = 0;
	idx = pa_absindex(L, idx);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->index_ref);
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	if (lua_type(L, -1) == LUA_TNUMBER)
		i = lua_tointeger(L, -1);
	lua_pop(L, 2);
	return (i >= 1 && i <= f->nseries) ? (int)(i - 1) : -1;
}

int pa_frame_date_index(const int32_t *dates, int ndates, int32_t day)
{
	int lo = 0, hi = ndates - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		if (dates[mid] == day)
			return mid;
		if (dates[mid] < day)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static int pa_cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Sorts n dates and drops repeats; returns how many are left. */
size_t pa_frame_unique_dates(int32_t *d, size_t n)
{
	size_t i, k = 0;
	qsort(d, n, sizeof *d, pa_cmp_i32);
	for (i = 0; i < n; i++)
		if (k == 0 || d[k - 1] != d[i])
			d[k++] = d[i];
	return k;
}

/* ---------------------------------------------------------------- messages */

/*
 * Pushes a caller's string as it may appear in a message: at most 40 bytes,
 * bytes that are not printable as \ddd, "..." when cut.
 */
const char *pa_frame_push_shown(lua_State *L, const char *s, size_t len)
{
	luaL_Buffer b;
	size_t i, n = len > 40 ? 40 : len;
	luaL_buffinit(L, &b);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 32 && c < 127) {
			luaL_addchar(&b, (char)c);
		} else {
			char esc[8];
			snprintf(esc, sizeof esc, "\\%u", (unsigned)c);
			luaL_addstring(&b, esc);
		}
	}
	if (n < len)
		luaL_addstring(&b, "...");
	luaL_pushresult(&b);
	return lua_tostring(L, -1);
}

void pa_frame_rawfield(lua_State *L, int idx, const char *k)
{
	lua_pushstring(L, k);
	lua_rawget(L, idx);
}

/* ---------------------------------------------------------------- options */

/* Checks that the options at idx are nil or a table. */
void pa_frame_check_opts(lua_State *L, int idx, const char *fn)
{
	if (!lua_isnoneornil(L, idx) && lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "pinanalytics.frame: %s: options must be a table, got %s", fn, luaL_typename(L, idx));
}

/*
 * A count at idx (n of top, max_rows of to_string): a whole number >= 0,
 * math.huge included, as an int (INT_MAX at most: every count is of rows or
 * series of a frame, fewer than that). def when nil and allowed (def >= 0).
 */
int pa_frame_arg_count(lua_State *L, int idx, const char *fn, const char *what, int def)
{
	double v;
	char shown[48];
	if (def >= 0 && lua_isnoneornil(L, idx))
		return def;
	if (lua_type(L, idx) != LUA_TNUMBER)
		return luaL_error(L, "pinanalytics.frame: %s: %s must be a whole number >= 0, got %s", fn, what,
		                  luaL_typename(L, idx));
	v = (double)lua_tonumber(L, idx);
	if (isnan(v) || v < 0 || v != floor(v)) {
		if (isnan(v))
			snprintf(shown, sizeof shown, "nan");
		else
			snprintf(shown, sizeof shown, "%.14g", v);
		return luaL_error(L, "pinanalytics.frame: %s: %s must be a whole number >= 0, got %s", fn, what, shown);
	}
	return v >= (double)INT_MAX ? INT_MAX : (int)v;
}

/* ---------------------------------------------------------------- methods */

static const luaL_Reg pa_frame_methods[] = {
	{ "dates", pa_frame_dates },
	{ "labels", pa_frame_labels },
	{ "period", pa_frame_period },
	{ "partial", pa_frame_partial },
	{ "metrics", pa_frame_metrics },
	{ "get", pa_frame_get },
	{ "column", pa_frame_column },
	{ "status", pa_frame_status },
	{ "not_ready", pa_frame_not_ready },
	{ "sum", pa_frame_sum },
	{ "mean", pa_frame_mean },
	{ "min", pa_frame_min },
	{ "max", pa_frame_max },
	{ "top", pa_frame_top },
	{ "slice", pa_frame_slice },
	{ "resample", pa_frame_resample },
	{ "merge", pa_frame_merge },
	{ "rows", pa_frame_rows },
	{ "to_table", pa_frame_to_table },
	{ "to_csv", pa_frame_to_csv },
	{ "to_string", pa_frame_to_string },
	{ NULL, NULL },
};

static const luaL_Reg pa_frame_meta[] = {
	{ "__gc", pa_frame_gc },
	{ "__len", pa_frame_len },
	{ "__tostring", pa_frame_tostring },
	{ NULL, NULL },
};

/* core.frame_bytes(f) -> bytes held in C for the frame, values (for benchmarks) */
int pa_frame_bytes(lua_State *L)
{
	pa_frame *f = pa_frame_check(L, 1);
	size_t n = sizeof *f + (size_t)f->ndates * (sizeof *f->dates + sizeof *f->status + sizeof *f->days) +
	           (size_t)f->ndates * (size_t)f->nseries * sizeof *f->values;
	lua_pushinteger(L, (lua_Integer)n);
	lua_pushinteger(L, (lua_Integer)f->ndates * f->nseries);
	return 2;
}

void pa_frame_open(lua_State *L)
{
	pa_class(L, PA_FRAME_MT, pa_frame_meta, pa_frame_methods);
}
