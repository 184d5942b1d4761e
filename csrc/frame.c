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
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"

#define PA_FRAME_MT "pinanalytics.Frame"

/* Pinterest's DataStatus values; code = index + 1, 0 = no status given */
static const char *const pa_status_names[] = {
	"READY", "PROCESSING", "ESTIMATE", "BEFORE_BUSINESS_CREATED", "BEFORE_DATA_RETENTION_PERIOD",
	"BEFORE_PIN_DATA_RETENTION_PERIOD", "BEFORE_METRIC_START_DATE", "BEFORE_CORE_METRIC_START_DATE",
	"BEFORE_PIN_FORMAT_METRIC_START_DATE", "BEFORE_AUDIENCE_METRIC_START_DATE",
	"BEFORE_AUDIENCE_MONTHLY_METRIC_START_DATE", "BEFORE_VIDEO_METRIC_START_DATE",
	"BEFORE_CONVERSION_METRIC_START_DATE", "PURCHASERS_METRIC_SMALLER_THAN_THRESHOLD", "IN_BAD_TAG_DATE",
	"BEFORE_PUBLISHED_METRIC_START_DATE", "BEFORE_ASSIST_METRIC_START_DATE", "BEFORE_PIN_CREATED",
	"BEFORE_ACCOUNT_CLAIMED", "BEFORE_DEMOGRAPHIC_FILTERS_START_DATE", "AUDIENCE_SEGMENT_SMALLER_THAN_THRESHOLD",
	"AUDIENCE_TOTAL_SMALLER_THAN_THRESHOLD", "BEFORE_PRODUCT_GROUP_FILTER_START_DATE", "UNKNOWN",
};
#define PA_NSTATUS ((int)(sizeof pa_status_names / sizeof pa_status_names[0]))
#define PA_READY 1
#define PA_UNKNOWN PA_NSTATUS

/* what a row of a frame is */
enum { PA_DAY, PA_WEEK, PA_MONTH };
static const char *const pa_period_names[] = { "day", "week", "month" };

typedef struct {
	int ndates, nseries;
	int period; /* PA_DAY, or PA_WEEK / PA_MONTH for a frame made by resample */
	int32_t *dates;
	double *values; /* NULL once closed (after __gc) */
	uint8_t *status;
	uint8_t *days; /* days of the frame each row holds: 1 by day, up to 31 by month */
	int names_ref; /* registry: array of series names */
	int index_ref; /* registry: name -> series index (1-based) */
} pa_frame;

/* ---------------------------------------------------------------- dates */

static int32_t pa_days_from_civil(int y, int m, int d)
{
	int era, yoe, mp, doy, doe;
	if (m <= 2)
		y -= 1;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	mp = (m + 9) % 12;
	doy = (153 * mp + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

static void pa_civil_from_days(int32_t z, int *y, int *m, int *d)
{
	int era, doe, yoe, doy, mp;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	if (*m <= 2)
		*y += 1;
}

int pa_parse_date(const char *s, size_t len, int32_t *out)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d, i, max;
	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	if (d > max)
		return 0;
	*out = pa_days_from_civil(y, m, d);
	return 1;
}

static void pa_push_date(lua_State *L, int32_t n)
{
	int y, m, d;
	char buf[16];
	pa_civil_from_days(n, &y, &m, &d);
	buf[0] = (char)('0' + y / 1000 % 10);
	buf[1] = (char)('0' + y / 100 % 10);
	buf[2] = (char)('0' + y / 10 % 10);
	buf[3] = (char)('0' + y % 10);
	buf[4] = '-';
	buf[5] = (char)('0' + m / 10);
	buf[6] = (char)('0' + m % 10);
	buf[7] = '-';
	buf[8] = (char)('0' + d / 10);
	buf[9] = (char)('0' + d % 10);
	lua_pushlstring(L, buf, 10);
}

/* Day of the week of a day number: 0 = Monday (1970-01-01 was a Thursday). */
static int pa_weekday(int32_t z)
{
	return (int)(((z % 7) + 7 + 3) % 7);
}

/*
 * ISO 8601 week of a day: the week-numbering year is the year of the week's
 * Thursday, and week 1 is the week that holds the year's first Thursday
 * (2024-12-30 is in 2025-W01, 2021-01-03 in 2020-W53).
 */
static void pa_iso_week(int32_t z, int *year, int *week)
{
	int32_t thursday = z - pa_weekday(z) + 3;
	int m, d;
	pa_civil_from_days(thursday, year, &m, &d);
	*week = (int)((thursday - pa_days_from_civil(*year, 1, 1)) / 7) + 1;
}

static int pa_days_in_month(int32_t z)
{
	int y, m, d;
	pa_civil_from_days(z, &y, &m, &d);
	return (int)((m == 12 ? pa_days_from_civil(y + 1, 1, 1) : pa_days_from_civil(y, m + 1, 1)) -
	             pa_days_from_civil(y, m, 1));
}

/* The first day of the period of a day: its ISO week's Monday, or the 1st of its month. */
static int32_t pa_period_start(int32_t day, int period)
{
	if (period == PA_MONTH) {
		int y, m, d;
		pa_civil_from_days(day, &y, &m, &d);
		return pa_days_from_civil(y, m, 1);
	}
	return day - pa_weekday(day);
}

/* The label of a row of a frame of period that starts on day: YYYY-MM-DD,
 * YYYY-Www or YYYY-MM. buf holds at least 48 bytes; returns the length. */
static size_t pa_label(char *buf, size_t size, int period, int32_t day)
{
	int y, m, d, n;
	if (period == PA_WEEK) {
		pa_iso_week(day, &y, &m);
		/* the weeks around 0000-01-01 and 9999-12-31 can belong to years -1 and 10000 */
		n = (y >= 0 && y <= 9999) ? snprintf(buf, size, "%04d-W%02d", y, m) : snprintf(buf, size, "%+05d-W%02d", y, m);
	} else {
		pa_civil_from_days(day, &y, &m, &d);
		n = period == PA_MONTH ? snprintf(buf, size, "%04d-%02d", y, m) : snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
	}
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* A label YYYY-Www (period PA_WEEK) or YYYY-MM (PA_MONTH): sets the first day
 * of its period; 0 when s is no such label (a week 53 its year lacks, a month 13). */
static int pa_parse_label(const char *s, size_t len, int period, int32_t *start)
{
	int i, y, n;
	size_t at = period == PA_WEEK ? 6 : 5;
	if (len != at + 2 || s[4] != '-' || (period == PA_WEEK && s[5] != 'W'))
		return 0;
	for (i = 0; i < (int)len; i++)
		if ((i < 4 || i >= (int)at) && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	n = (s[at] - '0') * 10 + (s[at + 1] - '0');
	if (period == PA_MONTH) {
		if (n < 1 || n > 12)
			return 0;
		*start = pa_days_from_civil(y, n, 1);
		return 1;
	}
	if (n < 1 || n > 53)
		return 0;
	{
		int32_t jan4 = pa_days_from_civil(y, 1, 4), monday = jan4 - pa_weekday(jan4) + 7 * (n - 1);
		int yy, ww;
		pa_iso_week(monday, &yy, &ww);
		if (yy != y || ww != n)
			return 0;
		*start = monday;
	}
	return 1;
}

static uint8_t pa_status_code(const char *s, size_t len)
{
	int i;
	for (i = 0; i < PA_NSTATUS - 1; i++)
		if (strlen(pa_status_names[i]) == len && memcmp(s, pa_status_names[i], len) == 0)
			return (uint8_t)(i + 1);
	return (uint8_t)PA_UNKNOWN;
}

/* a day counts as final when it is READY or carries no status at all */
#define PA_FINAL(code) ((code) == 0 || (code) == PA_READY)

/* ---------------------------------------------------------------- messages */

/*
 * Pushes a caller's string as it may appear in a message: at most 40 bytes,
 * bytes that are not printable as \ddd, "..." when cut.
 */
static const char *pa_push_shown(lua_State *L, const char *s, size_t len)
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
		           pa_push_shown(L, s, len));
	return n;
}

/* ---------------------------------------------------------------- lifecycle */

/* The frame at idx; raises when it is not a frame or is closed. */
static pa_frame *pa_check_frame(lua_State *L, int idx)
{
	pa_frame *f = luaL_checkudata(L, idx, PA_FRAME_MT);
	if (f->values == NULL)
		luaL_error(L, "pinanalytics.frame: attempt to use a closed frame");
	return f;
}

/* Frees a frame's arrays and names; idempotent. The frame is closed after. */
static void pa_frame_close(lua_State *L, pa_frame *f)
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
static pa_frame *pa_frame_alloc(lua_State *L, int ndates, int nseries, int names_idx, int index_idx)
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

static void pa_push_names(lua_State *L, const pa_frame *f)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->names_ref);
}

/* Series index (0-based) of the name (a string) at idx, or -1. */
static int pa_series(lua_State *L, const pa_frame *f, int idx)
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

static int pa_date_index(const int32_t *dates, int ndates, int32_t day)
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
static size_t pa_unique_dates(int32_t *d, size_t n)
{
	size_t i, k = 0;
	qsort(d, n, sizeof *d, pa_cmp_i32);
	for (i = 0; i < n; i++)
		if (k == 0 || d[k - 1] != d[i])
			d[k++] = d[i];
	return k;
}

/* ------------------------------------------------------------ series names */

/*
 * Series names are collected while reading into two tables the C code makes
 * and never hands out: byid (id + 1 -> name) and ids (name -> id), and are
 * sorted in C at the end, never through a function a caller can replace.
 */

/* The id of the name (a string) on top of the stack, which is popped; a new
 * name gets the next id. */
static int pa_name_id(lua_State *L, int byid, int ids, int *n)
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
static int *pa_sort_names(lua_State *L, int byid, int n)
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

static void pa_rawfield(lua_State *L, int idx, const char *k)
{
	lua_pushstring(L, k);
	lua_rawget(L, idx);
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
		           pa_push_shown(L, k, len));
	}
	*(int *)pa_vec_push(L, ids) = id;
	*(double *)pa_vec_push(L, vals) = v;
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
		pa_rawfield(L, SRC, "metric");
		pa_rawfield(L, SRC, "prefix");
		pa_rawfield(L, SRC, "name");
		pa_rawfield(L, SRC, "daily");
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
			single = pa_name_id(L, BYID, IDS, &nseries); /* the series exists even with no value */
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
			pa_rawfield(L, DAY, "date");
			str = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
			if (str == NULL || !pa_parse_date(str, len, &day))
				return luaL_error(L, "pinanalytics.frame: source %d: daily_metrics[%d].date is not a date YYYY-MM-DD",
				                  s, d);
			rec = pa_vec_push(L, &recs);
			rec->day = day;
			rec->status = 0;
			pa_rawfield(L, DAY, "data_status");
			if (lua_type(L, -1) == LUA_TSTRING) {
				str = lua_tolstring(L, -1, &len);
				rec->status = pa_status_code(str, len);
			}
			lua_settop(L, DAY);
			pa_rawfield(L, DAY, "metrics");
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
								id = pa_name_id(L, BYID, IDS, &nseries);
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
	ndates = (int)pa_unique_dates(days, recs.n);

	rank = pa_sort_names(L, BYID, nseries); /* pushes rank, names */
	f = pa_frame_alloc(L, ndates, nseries, -1, 0);
	if (ndates > 0)
		memcpy(f->dates, days, sizeof *days * (size_t)ndates);
	start = 0;
	for (r = 0; r < recs.n; r++) {
		const pa_rec *rec = (const pa_rec *)recs.p + r;
		int di = pa_date_index(f->dates, ndates, rec->day);
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

/* ---------------------------------------------------------------- reading */

static int pa_frame_len(lua_State *L)
{
	lua_pushinteger(L, pa_check_frame(L, 1)->ndates);
	return 1;
}

static int pa_frame_dates(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i;
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		pa_push_date(L, f->dates[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int pa_frame_metrics(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i;
	lua_createtable(L, f->nseries, 0);
	pa_push_names(L, f);
	for (i = 1; i <= f->nseries; i++) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -3, i);
	}
	lua_pop(L, 1);
	return 1;
}

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
static void pa_push_series_value(lua_State *L, double v, int is_ratio)
{
	if (is_ratio && !isnan(v))
		lua_pushnumber(L, (lua_Number)v);
	else
		pa_push_value(L, v);
}

/* Where the base name starts: after the last "/" (a "prefix/"), or 0. */
static size_t pa_base(const char *name, size_t n)
{
	while (n > 0 && name[n - 1] != '/')
		n--;
	return n;
}

/* Does the name end in _RATE, or is its base name an average? */
static int pa_is_ratio(const char *name, size_t n)
{
	size_t b = pa_base(name, n);
	return (n >= 5 && memcmp(name + n - 5, "_RATE", 5) == 0) ||
	       (n - b == 20 && memcmp(name + b, "VIDEO_AVG_WATCH_TIME", 20) == 0);
}

/* pa_is_ratio of the series name at idx */
static int pa_is_ratio_at(lua_State *L, int idx)
{
	size_t n;
	const char *name = lua_tolstring(L, idx, &n);
	return pa_is_ratio(name, n);
}

/*
 * Pushes the names of the parts of a rate or average series: numerator and
 * denominator (SAVE and IMPRESSION for SAVE_RATE, "701/SAVE" and
 * "701/IMPRESSION" for "701/SAVE_RATE"). Returns 0, pushing nothing, for a
 * name that is neither.
 */
static int pa_push_part_names(lua_State *L, const char *name, size_t n)
{
	size_t plen = pa_base(name, n), blen = n - plen;
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
static void pa_ratio_parts(lua_State *L, const pa_frame *f, const char *name, size_t n, int *num, int *den)
{
	*num = *den = -1;
	if (!pa_push_part_names(L, name, n))
		return;
	*num = pa_series(L, f, -2);
	*den = pa_series(L, f, -1);
	lua_pop(L, 2);
}

/* A series as a method reads it: one of the frame, or a rate derived from its parts. */
typedef struct {
	int s;        /* the series, or -1 for a derived rate */
	int num, den; /* a rate's or average's parts, -1 where the frame lacks them */
	int ratio;    /* a rate or an average: aggregated from its parts */
} pa_ref;

/* A value of a rate from its parts: missing when either is, 0 over 0 impressions. */
static double pa_ratio(double a, double b)
{
	if (isnan(a) || isnan(b))
		return NAN;
	return b == 0 ? 0.0 : a / b;
}

/* Resolves the name (a string) at idx; 0 when the frame has neither the
 * series nor, for a rate, both of its parts. */
static int pa_ref_of(lua_State *L, const pa_frame *f, int idx, pa_ref *r)
{
	size_t len;
	const char *name = lua_tolstring(L, idx, &len);
	r->s = pa_series(L, f, idx);
	r->ratio = pa_is_ratio(name, len);
	r->num = r->den = -1;
	if (r->ratio)
		pa_ratio_parts(L, f, name, len, &r->num, &r->den);
	return r->s >= 0 || (r->num >= 0 && r->den >= 0);
}

/* A series name argument of method fn; raises when the frame has no such
 * series and, for a rate, not both of its parts either. */
static void pa_arg_ref(lua_State *L, const pa_frame *f, int idx, const char *fn, pa_ref *r)
{
	size_t len;
	const char *name;
	if (lua_type(L, idx) != LUA_TSTRING)
		luaL_error(L, "pinanalytics.frame: %s: series name must be a string, got %s", fn, luaL_typename(L, idx));
	if (pa_ref_of(L, f, idx, r))
		return;
	name = lua_tolstring(L, idx, &len);
	if (pa_push_part_names(L, name, len)) {
		const char *num, *den;
		size_t nlen, dlen;
		num = lua_tolstring(L, -2, &nlen);
		den = lua_tolstring(L, -1, &dlen);
		luaL_error(L, "pinanalytics.frame: no series %s in this frame (nor %s and %s to compute it from)",
		           pa_push_shown(L, name, len), pa_push_shown(L, num, nlen), pa_push_shown(L, den, dlen));
	}
	luaL_error(L, "pinanalytics.frame: no series %s in this frame", pa_push_shown(L, name, len));
}

/* The value of a series (or derived rate) on row i: NaN when missing. */
static double pa_ref_value(const pa_frame *f, const pa_ref *r, int i)
{
	size_t n = (size_t)f->ndates;
	if (r->s >= 0)
		return f->values[(size_t)r->s * n + (size_t)i];
	return pa_ratio(f->values[(size_t)r->num * n + (size_t)i], f->values[(size_t)r->den * n + (size_t)i]);
}

/* Does row i of the frame hold fewer days than its period has? */
static int pa_is_partial(const pa_frame *f, int i)
{
	if (f->period == PA_WEEK)
		return f->days[i] < 7;
	if (f->period == PA_MONTH)
		return f->days[i] < pa_days_in_month(f->dates[i]);
	return 0;
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
		return pa_date_index(f->dates, f->ndates, day);
	if (f->period == PA_DAY || !pa_parse_label(s, len, f->period, &day))
		luaL_error(L, "pinanalytics.frame: %s: date \"%s\" is not a date YYYY-MM-DD%s", fn, pa_push_shown(L, s, len),
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
	return (lo < f->ndates && pa_period_start(f->dates[lo], f->period) == day) ? lo : -1;
}

static int pa_frame_get(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int di = pa_arg_row(L, f, 2, "get");
	pa_ref r;
	pa_arg_ref(L, f, 3, "get", &r);
	if (di < 0) {
		lua_pushnil(L);
		return 1;
	}
	pa_push_series_value(L, pa_ref_value(f, &r, di), r.ratio);
	return 1;
}

/* frame:column(metric) -> array; a missing value is pinanalytics.null */
static int pa_frame_column(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	pa_ref r;
	int i;
	pa_arg_ref(L, f, 2, "column", &r);
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		double v = pa_ref_value(f, &r, i);
		if (isnan(v))
			lua_pushlightuserdata(L, NULL); /* == cjson.null == pinanalytics.null */
		else
			pa_push_series_value(L, v, r.ratio);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int pa_frame_status(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int di = pa_arg_row(L, f, 2, "status");
	if (di < 0 || f->status[di] == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_status_names[f->status[di] - 1]);
	return 1;
}

/* frame:not_ready() -> the dates whose data_status is given and not READY */
static int pa_frame_not_ready(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i, n = 0;
	lua_newtable(L);
	for (i = 0; i < f->ndates; i++) {
		if (!PA_FINAL(f->status[i])) {
			pa_push_date(L, f->dates[i]);
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

/* frame:period() -> "day", "week" or "month" */
static int pa_frame_period(lua_State *L)
{
	lua_pushstring(L, pa_period_names[pa_check_frame(L, 1)->period]);
	return 1;
}

/* Pushes the label of row i. */
static void pa_push_label(lua_State *L, const pa_frame *f, int i)
{
	char buf[48];
	size_t n = pa_label(buf, sizeof buf, f->period, f->dates[i]);
	lua_pushlstring(L, buf, n);
}

/* frame:labels() -> the label of each row: its date, "2026-W36" or "2026-09" */
static int pa_frame_labels(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i;
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		pa_push_label(L, f, i);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* frame:partial() -> the labels of the rows that hold part of their period;
 * frame:partial(date or label) -> whether that row does (nil: no such row) */
static int pa_frame_partial(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i, n = 0;
	if (!lua_isnoneornil(L, 2)) {
		int di = pa_arg_row(L, f, 2, "partial");
		if (di < 0)
			lua_pushnil(L);
		else
			lua_pushboolean(L, pa_is_partial(f, di));
		return 1;
	}
	lua_newtable(L);
	for (i = 0; i < f->ndates; i++) {
		if (pa_is_partial(f, i)) {
			pa_push_label(L, f, i);
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

/* ---------------------------------------------------------------- aggregation */

/* the options of an aggregate: nil, or a table read raw */
static int pa_ready_only(lua_State *L, int idx, const char *fn)
{
	int r;
	if (lua_isnoneornil(L, idx))
		return 0;
	if (lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "pinanalytics.frame: %s: options must be a table, got %s", fn, luaL_typename(L, idx));
	pa_rawfield(L, idx, "ready_only");
	r = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return r;
}

/* The sum of series s over the rows (READY ones only, if asked): how many
 * values it summed, the sum in *out. */
static int pa_sum_col(const pa_frame *f, int s, int ready_only, double *out)
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
static int pa_sum_ratio(const pa_frame *f, int num, int den, int ready_only, double *out)
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

static int pa_cannot_aggregate(lua_State *L, const char *name, size_t len)
{
	return luaL_error(L, "pinanalytics.frame: cannot aggregate %s: a rate is recomputed from its "
	                     "parts, and this frame lacks them",
	                  pa_push_shown(L, name, len));
}

enum { PA_SUM, PA_MEAN, PA_MIN, PA_MAX };
static const char *const pa_agg_names[] = { "sum", "mean", "min", "max" };

static int pa_aggregate(lua_State *L, int op)
{
	pa_frame *f = pa_check_frame(L, 1);
	pa_ref r;
	int ready_only, i, n = 0;
	double acc = 0;

	pa_arg_ref(L, f, 2, pa_agg_names[op], &r);
	ready_only = pa_ready_only(L, 3, pa_agg_names[op]);
	if ((op == PA_SUM || op == PA_MEAN) && r.ratio) {
		size_t len;
		const char *name = lua_tolstring(L, 2, &len);
		if (r.num < 0 || r.den < 0)
			return pa_cannot_aggregate(L, name, len);
		if (pa_sum_ratio(f, r.num, r.den, ready_only, &acc) == 0)
			lua_pushnil(L);
		else
			lua_pushnumber(L, (lua_Number)acc);
		return 1;
	}
	for (i = 0; i < f->ndates; i++) {
		double v = pa_ref_value(f, &r, i);
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
		pa_push_series_value(L, acc, r.ratio);
	return 1;
}

static int pa_frame_sum(lua_State *L) { return pa_aggregate(L, PA_SUM); }
static int pa_frame_mean(lua_State *L) { return pa_aggregate(L, PA_MEAN); }
static int pa_frame_min(lua_State *L) { return pa_aggregate(L, PA_MIN); }
static int pa_frame_max(lua_State *L) { return pa_aggregate(L, PA_MAX); }

/* ---------------------------------------------------------------- new frames */

/* Pushes a new frame with the series (names and index) and the period of f. */
static pa_frame *pa_frame_like(lua_State *L, const pa_frame *f, int ndates)
{
	pa_frame *g;
	pa_push_names(L, f);
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->index_ref);
	g = pa_frame_alloc(L, ndates, f->nseries, -2, -1);
	lua_replace(L, -3);
	lua_pop(L, 1);
	g->period = f->period;
	return g;
}

/* frame:slice(range) or frame:slice(start_date, end_date) */
static int pa_frame_slice(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int32_t a, b;
	int i, j, lo = 0, n = 0;
	pa_frame *g;
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_settop(L, 2);
		pa_rawfield(L, 2, "start_date");
		pa_rawfield(L, 2, "end_date");
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
static int pa_frame_resample(lua_State *L)
{
	static const char *const opts[] = { "week", "month", NULL };
	pa_frame *f = pa_check_frame(L, 1);
	int how = luaL_checkoption(L, 2, NULL, opts) == 0 ? PA_WEEK : PA_MONTH;
	int i, j, n = 0, names;
	int *period;
	pa_frame *g;

	if (f->period != PA_DAY)
		return luaL_error(L, "pinanalytics.frame: resample: this frame is already by %s (resample the frame by day)",
		                  pa_period_names[f->period]);
	lua_settop(L, 2);
	period = lua_newuserdata(L, sizeof *period * (size_t)(f->ndates ? f->ndates : 1)); /* 3 */
	for (i = 0; i < f->ndates; i++) {
		if (i == 0 || pa_period_start(f->dates[i], how) != pa_period_start(f->dates[i - 1], how))
			n++;
		period[i] = n - 1;
	}
	pa_push_names(L, f); /* 4 */
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
		if (pa_is_ratio(name, len)) {
			pa_ratio_parts(L, f, name, len, &num, &den);
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
static int pa_frame_merge(lua_State *L)
{
	enum { A = 1, B, DAYS, BYID, IDS, MAPA, MAPB, DMAPA, DMAPB };
	pa_frame *src[2], *g;
	int *map[2], *dmap[2], *rank;
	int i, j, k, n, nseries = 0;
	int32_t *days;
	size_t total;

	src[0] = pa_check_frame(L, A);
	src[1] = pa_check_frame(L, B);
	if (src[0]->period != src[1]->period)
		return luaL_error(L, "pinanalytics.frame: merge: a frame by %s and a frame by %s cannot be merged (resample "
		                     "both alike)",
		                  pa_period_names[src[0]->period], pa_period_names[src[1]->period]);
	lua_settop(L, B);
	total = (size_t)src[0]->ndates + (size_t)src[1]->ndates;
	days = lua_newuserdata(L, sizeof *days * (total ? total : 1)); /* DAYS */
	if (src[0]->ndates > 0)
		memcpy(days, src[0]->dates, sizeof *days * (size_t)src[0]->ndates);
	if (src[1]->ndates > 0)
		memcpy(days + src[0]->ndates, src[1]->dates, sizeof *days * (size_t)src[1]->ndates);
	n = (int)pa_unique_dates(days, total); /* both are dates of frames: at most ~3.65 million */
	for (i = 1; src[0]->period != PA_DAY && i < n; i++) {
		if (pa_period_start(days[i], src[0]->period) == pa_period_start(days[i - 1], src[0]->period)) {
			char buf[48];
			size_t len = pa_label(buf, sizeof buf, src[0]->period, days[i]);
			lua_pushlstring(L, buf, len);
			return luaL_error(L, "pinanalytics.frame: merge: the frames key the %s %s by different days (merge "
			                     "the frames by day, then resample)",
			                  pa_period_names[src[0]->period], lua_tostring(L, -1));
		}
	}
	/* names: the union, each source's series mapped to its id in it */
	lua_newtable(L); /* BYID */
	lua_newtable(L); /* IDS */
	for (k = 0; k < 2; k++) {
		map[k] = lua_newuserdata(L, sizeof *map[k] * (size_t)(src[k]->nseries ? src[k]->nseries : 1));
	}
	for (k = 0; k < 2; k++) {
		pa_push_names(L, src[k]);
		for (j = 0; j < src[k]->nseries; j++) {
			lua_rawgeti(L, -1, j + 1);
			map[k][j] = pa_name_id(L, BYID, IDS, &nseries);
		}
		lua_pop(L, 1);
	}
	/* where each source's dates go in the merged frame */
	for (k = 0; k < 2; k++) {
		dmap[k] = lua_newuserdata(L, sizeof *dmap[k] * (size_t)(src[k]->ndates ? src[k]->ndates : 1));
		for (i = 0; i < src[k]->ndates; i++)
			dmap[k][i] = pa_date_index(days, n, src[k]->dates[i]);
	}
	rank = pa_sort_names(L, BYID, nseries); /* pushes rank, names */
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
					pa_push_names(L, f);
					lua_rawgeti(L, -1, j + 1);
					name = lua_tolstring(L, -1, &len);
					lua_pushfstring(L, "pinanalytics.frame: merge: %s differs on ", pa_push_shown(L, name, len));
					pa_push_date(L, f->dates[i]);
					lua_concat(L, 2);
					return lua_error(L);
				}
				*dst = v;
			}
		}
	}
	return 1;
}

/* frame:to_table() -> { dates = {...}, labels = {...}, status = {...}, partial = {...},
 *                       period = "day" | "week" | "month", series = { name = {...} } } */
static int pa_frame_to_table(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
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
			lua_pushstring(L, pa_status_names[f->status[i] - 1]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "status");
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		lua_pushboolean(L, pa_is_partial(f, i));
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "partial");
	lua_pushstring(L, pa_period_names[f->period]);
	lua_setfield(L, -2, "period");
	lua_createtable(L, 0, f->nseries);
	pa_push_names(L, f);
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
	pa_frame *f = pa_check_frame(L, lua_upvalueindex(1));
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
	int j;
	if (i < 0 || i >= f->ndates)
		return 0;
	lua_pushinteger(L, i + 1);
	lua_replace(L, lua_upvalueindex(2));
	pa_push_date(L, f->dates[i]);
	lua_createtable(L, 0, f->nseries);
	pa_push_names(L, f);
	for (j = 0; j < f->nseries; j++) {
		double v = f->values[(size_t)j * (size_t)f->ndates + (size_t)i];
		if (isnan(v))
			continue;
		lua_rawgeti(L, -1, j + 1);
		pa_push_series_value(L, v, pa_is_ratio_at(L, -1));
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
	if (f->status[i] == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_status_names[f->status[i] - 1]);
	pa_push_label(L, f, (int)i);
	lua_pushboolean(L, pa_is_partial(f, (int)i));
	return 5;
}

static int pa_frame_rows(lua_State *L)
{
	pa_check_frame(L, 1);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, pa_frame_rows_iter, 2);
	return 1;
}

/* ---------------------------------------------------------------- options */

/* Checks that the options at idx are nil or a table. */
static void pa_check_opts(lua_State *L, int idx, const char *fn)
{
	if (!lua_isnoneornil(L, idx) && lua_type(L, idx) != LUA_TTABLE)
		luaL_error(L, "pinanalytics.frame: %s: options must be a table, got %s", fn, luaL_typename(L, idx));
}

/*
 * A count at idx (n of top, max_rows of to_string): a whole number >= 0,
 * math.huge included, as an int (INT_MAX at most: every count is of rows or
 * series of a frame, fewer than that). def when nil and allowed (def >= 0).
 */
static int pa_arg_count(lua_State *L, int idx, const char *fn, const char *what, int def)
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

/* An option given as one of a list of strings (read raw): its index, def when nil. */
static int pa_opt_choice(lua_State *L, int opts, const char *key, const char *const *choices, int def,
                         const char *fn, const char *allowed)
{
	int i, r = -2;
	if (lua_isnoneornil(L, opts))
		return def;
	pa_rawfield(L, opts, key);
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
static int pa_frame_top(lua_State *L)
{
	enum { F = 1, N, METRIC, OPTS, NAMES, RANKS, SEEN };
	static const char *const orders[] = { "desc", "asc", NULL };
	static const char *const bys[] = { "date", "key", "series", NULL };
	pa_frame *f = pa_check_frame(L, F);
	int limit = pa_arg_count(L, N, "top", "n", -1);
	int asc, by, ready_only = 0, count = 0, matched = 0, chosen, out, i, j;
	pa_rank *rk;
	pa_ref r;

	if (!lua_isnoneornil(L, METRIC) && lua_type(L, METRIC) != LUA_TSTRING)
		return luaL_error(L, "pinanalytics.frame: top: metric must be a string, got %s", luaL_typename(L, METRIC));
	pa_check_opts(L, OPTS, "top");
	lua_settop(L, OPTS);
	asc = pa_opt_choice(L, OPTS, "order", orders, 0, "top", "\"desc\" or \"asc\"");
	by = pa_opt_choice(L, OPTS, "by", bys, -1, "top", "\"date\", \"key\" or \"series\"");
	chosen = by != -1;
	if (!lua_isnil(L, OPTS)) {
		pa_rawfield(L, OPTS, "ready_only");
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
		by = pa_ref_of(L, f, METRIC, &r) ? PA_BY_DATE : PA_BY_KEY;
	}
	pa_push_names(L, f); /* NAMES: keeps every name a rank points to alive */
	rk = lua_newuserdata(L, sizeof *rk * (size_t)(by == PA_BY_DATE ? (f->ndates ? f->ndates : 1)
	                                                               : (f->nseries ? f->nseries : 1))); /* RANKS */
	lua_newtable(L); /* SEEN: the keys met so far */

	if (by == PA_BY_DATE) {
		pa_arg_ref(L, f, METRIC, "top", &r);
		for (i = 0; i < f->ndates; i++) {
			double v = pa_ref_value(f, &r, i);
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
			ratio = pa_is_ratio(name, len);
			if (ratio) {
				pa_ratio_parts(L, f, name, len, &num, &den);
				if (num < 0 || den < 0)
					continue; /* a rate without its parts has no total */
				n = pa_sum_ratio(f, num, den, ready_only, &v);
			} else {
				n = pa_sum_col(f, j, ready_only, &v);
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
		int ratio = pa_is_ratio(metric, mlen);
		/* a rate's keys are also those whose numerator is in the frame */
		if (pa_push_part_names(L, metric, mlen)) {
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
			s = pa_series(L, f, -1);
			if (ratio) {
				pa_ratio_parts(L, f, full, len, &num, &den);
				if (num < 0 || den < 0) {
					if (s >= 0)
						return pa_cannot_aggregate(L, full, len);
					lua_settop(L, top);
					continue;
				}
				n = pa_sum_ratio(f, num, den, ready_only, &v);
			} else if (s >= 0) {
				n = pa_sum_col(f, s, ready_only, &v);
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
			pa_arg_ref(L, f, METRIC, "top", &r); /* neither: raises, naming the metric */
		if (!matched)
			return luaL_error(L, "pinanalytics.frame: top: no series <key>/%s in this frame",
			                  pa_push_shown(L, metric, mlen));
	}
	qsort(rk, (size_t)count, sizeof *rk, asc ? pa_cmp_asc : pa_cmp_desc);
	out = count < limit ? count : limit;
	lua_createtable(L, out, 0);
	for (i = 0; i < out; i++) {
		lua_createtable(L, 0, 2);
		if (rk[i].k == NULL)
			pa_push_label(L, f, rk[i].idx);
		else
			lua_pushlstring(L, rk[i].k, rk[i].klen);
		lua_setfield(L, -2, "key");
		pa_push_series_value(L, rk[i].v, rk[i].ratio);
		lua_setfield(L, -2, "value");
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* ---------------------------------------------------------------- text */

/* Replaces what a locale may have put for the decimal point in a number
 * printed by snprintf with ".". */
static void pa_c_locale(char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == 'e' || *s == 'E'))
			*s = '.';
}

/*
 * A value as a CSV number (buf of at least 64 bytes): empty when missing; a
 * whole number below 10^15 without a decimal point; anything else with the
 * fewest significant digits (15 to 17) that read back as the same double.
 */
static size_t pa_csv_number(char *buf, size_t size, double v)
{
	int n = 0, p;
	if (isnan(v)) {
		buf[0] = '\0';
		return 0;
	}
	if (isinf(v))
		return (size_t)snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	if (v == 0) /* -0 too */
		n = snprintf(buf, size, "0");
	else if (fabs(v) < 1e15 && v == floor(v))
		n = snprintf(buf, size, "%.0f", v);
	else
		for (p = 15; p <= 17; p++) {
			n = snprintf(buf, size, "%.*g", p, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	pa_c_locale(buf);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled */
static void pa_add_csv_field(luaL_Buffer *b, const char *s, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			break;
	if (i == len) {
		luaL_addlstring(b, s, len);
		return;
	}
	luaL_addchar(b, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			luaL_addchar(b, '"');
		luaL_addchar(b, s[i]);
	}
	luaL_addchar(b, '"');
}

typedef struct {
	const char *name; /* kept alive by a table on the stack */
	size_t len;
} pa_str;

/* Fills names[0..n) with the first n series names of f (the table at names_idx holds them). */
static void pa_get_names(lua_State *L, int names_idx, pa_str *names, int n)
{
	int j;
	for (j = 0; j < n; j++) {
		lua_rawgeti(L, names_idx, j + 1);
		names[j].name = lua_tolstring(L, -1, &names[j].len);
		lua_pop(L, 1);
	}
}

/*
 * frame:to_csv([opts]) -> RFC 4180 text, CRLF line ends: a header
 * "date,<series...>,data_status" ("week" or "month" and the labels for a
 * resampled frame, with "days" and "partial" columns before data_status),
 * then one line per row. Numbers as numbers (rates as fractions), a missing
 * value empty. opts.status = false leaves data_status out.
 */
static int pa_frame_to_csv(lua_State *L)
{
	enum { F = 1, OPTS, NAMES, COLS };
	pa_frame *f = pa_check_frame(L, F);
	int status = 1, i, j;
	pa_str *col;
	luaL_Buffer b;
	char num[64];

	pa_check_opts(L, OPTS, "to_csv");
	lua_settop(L, OPTS);
	if (!lua_isnil(L, OPTS)) {
		pa_rawfield(L, OPTS, "status");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
			return luaL_error(L, "pinanalytics.frame: to_csv: opts.status must be a boolean, got %s",
			                  luaL_typename(L, -1));
		if (!lua_isnil(L, -1))
			status = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	pa_push_names(L, f); /* NAMES */
	col = lua_newuserdata(L, sizeof *col * (size_t)(f->nseries ? f->nseries : 1)); /* COLS */
	pa_get_names(L, NAMES, col, f->nseries);
	/* only C strings go into the buffer: nothing else touches the stack */
	luaL_buffinit(L, &b);
	luaL_addstring(&b, pa_period_names[f->period][0] == 'd' ? "date" : pa_period_names[f->period]);
	for (j = 0; j < f->nseries; j++) {
		luaL_addchar(&b, ',');
		pa_add_csv_field(&b, col[j].name, col[j].len);
	}
	if (f->period != PA_DAY)
		luaL_addstring(&b, ",days,partial");
	if (status)
		luaL_addstring(&b, ",data_status");
	luaL_addstring(&b, "\r\n");
	for (i = 0; i < f->ndates; i++) {
		size_t n = pa_label(num, sizeof num, f->period, f->dates[i]);
		luaL_addlstring(&b, num, n);
		for (j = 0; j < f->nseries; j++) {
			luaL_addchar(&b, ',');
			n = pa_csv_number(num, sizeof num, f->values[(size_t)j * (size_t)f->ndates + (size_t)i]);
			luaL_addlstring(&b, num, n);
		}
		if (f->period != PA_DAY) {
			snprintf(num, sizeof num, ",%d,%s", (int)f->days[i], pa_is_partial(f, i) ? "true" : "false");
			luaL_addstring(&b, num);
		}
		if (status) {
			luaL_addchar(&b, ',');
			if (f->status[i] != 0)
				luaL_addstring(&b, pa_status_names[f->status[i] - 1]);
		}
		luaL_addstring(&b, "\r\n");
	}
	luaL_pushresult(&b);
	return 1;
}

/* how a series' values show in a table */
enum { PA_SHOW_COUNT, PA_SHOW_PERCENT, PA_SHOW_DECIMAL };

/*
 * A value as a cell (buf of at least 512 bytes: the 309 digits of the
 * largest double, their separators and a suffix): "-" when missing; a count
 * whole with thousands separators (two decimals when it has a fraction); a
 * rate as a percentage with two decimals; an average with two decimals.
 */
static size_t pa_show(char *buf, size_t size, double v, int kind)
{
	char tmp[400];
	size_t o = 0, k, digits, start;
	int n, nonzero = 0;
	if (isnan(v))
		return (size_t)snprintf(buf, size, "-");
	if (kind == PA_SHOW_PERCENT)
		v *= 100;
	if (isinf(v))
		return (size_t)snprintf(buf, size, "%s", v > 0 ? "inf" : "-inf");
	if (kind == PA_SHOW_COUNT && v == floor(v))
		n = snprintf(tmp, sizeof tmp, "%.0f", v);
	else
		n = snprintf(tmp, sizeof tmp, "%.2f", v);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return (size_t)snprintf(buf, size, "%g", v); /* never: tmp holds any of them */
	pa_c_locale(tmp);
	for (k = 0; tmp[k]; k++)
		if (tmp[k] >= '1' && tmp[k] <= '9')
			nonzero = 1;
	start = tmp[0] == '-' ? 1 : 0;
	if (start && nonzero)
		buf[o++] = '-'; /* no "-0" */
	for (digits = 0; tmp[start + digits] >= '0' && tmp[start + digits] <= '9'; digits++)
		;
	for (k = 0; k < digits; k++) {
		buf[o++] = tmp[start + k];
		if (k + 1 < digits && (digits - k - 1) % 3 == 0)
			buf[o++] = ',';
	}
	for (k = start + digits; tmp[k] && o + 2 < size; k++)
		buf[o++] = tmp[k];
	if (kind == PA_SHOW_PERCENT)
		buf[o++] = '%';
	buf[o] = '\0';
	return o;
}

/* The columns a text is as wide as: UTF-8 continuation bytes take none. */
static size_t pa_width(const char *s, size_t len)
{
	size_t i, w = 0;
	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

static void pa_add_padded(luaL_Buffer *b, const char *s, size_t len, size_t width, int right)
{
	size_t w = pa_width(s, len), pad = width > w ? width - w : 0;
	if (!right)
		luaL_addlstring(b, s, len);
	while (pad-- > 0)
		luaL_addchar(b, ' ');
	if (right)
		luaL_addlstring(b, s, len);
}

/* What a row's status column says: "partial 5/7 days", a status that is not
 * READY, or both (buf of at least 128 bytes). */
static size_t pa_note(char *buf, size_t size, const pa_frame *f, int i)
{
	int n = 0;
	buf[0] = '\0';
	if (pa_is_partial(f, i))
		n = snprintf(buf, size, "partial %d/%d days", (int)f->days[i],
		             f->period == PA_WEEK ? 7 : pa_days_in_month(f->dates[i]));
	if (n >= 0 && (size_t)n < size && !PA_FINAL(f->status[i]))
		n += snprintf(buf + n, size - (size_t)n, "%s%s", n > 0 ? ", " : "", pa_status_names[f->status[i] - 1]);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/*
 * frame:to_string([opts]) and tostring(frame): an aligned table, a row per
 * date (week, month), a column per series, then a status column when a row
 * shown is not READY or holds part of its period. No cell is ever cut. At
 * most opts.max_rows rows (default 60: the first and last halves, "... N
 * more rows" between) and opts.max_series series (default 12, then "... N
 * more series"). Control bytes of a series name show as \ddd.
 */
static int pa_frame_to_string(lua_State *L)
{
	typedef struct {
		const char *name, *shown; /* name and how it shows, kept alive by NAMES and SHOWN */
		size_t len, slen, width;
		int kind;
	} pa_tcol;
	enum { F = 1, OPTS, NAMES, SHOWN, COLS };
	pa_frame *f = pa_check_frame(L, F);
	int max_rows, max_series, head, tail, nrows, ns, i, j, notes = 0;
	size_t lwidth;
	pa_tcol *col;
	luaL_Buffer b;
	char num[512], note[128];
	const char *lhead = f->period == PA_DAY ? "date" : pa_period_names[f->period];

	pa_check_opts(L, OPTS, "to_string");
	lua_settop(L, OPTS);
	if (lua_isnil(L, OPTS)) {
		max_rows = 60;
		max_series = 12;
	} else {
		pa_rawfield(L, OPTS, "max_rows");
		max_rows = pa_arg_count(L, -1, "to_string", "opts.max_rows", 60);
		pa_rawfield(L, OPTS, "max_series");
		max_series = pa_arg_count(L, -1, "to_string", "opts.max_series", 12);
		lua_settop(L, OPTS);
	}
	if (f->ndates <= max_rows) {
		head = f->ndates;
		tail = 0;
	} else {
		head = max_rows / 2 + max_rows % 2;
		tail = max_rows / 2;
	}
	nrows = head + tail;
	ns = f->nseries < max_series ? f->nseries : max_series;

	pa_push_names(L, f);                 /* NAMES */
	lua_createtable(L, ns, 0);           /* SHOWN */
	col = lua_newuserdata(L, sizeof *col * (size_t)(ns ? ns : 1)); /* COLS */
	lwidth = f->period == PA_DAY ? 10 : f->period == PA_WEEK ? 8 : 7; /* as wide as a label */
	if (strlen(lhead) > lwidth)
		lwidth = strlen(lhead);
	for (i = 0; i < nrows; i++) {
		int r = i < head ? i : f->ndates - tail + (i - head);
		size_t w = pa_label(num, sizeof num, f->period, f->dates[r]);
		if (w > lwidth)
			lwidth = w;
		if (pa_note(note, sizeof note, f, r) > 0)
			notes = 1;
	}
	for (j = 0; j < ns; j++) {
		luaL_Buffer nb;
		size_t k, base;
		lua_rawgeti(L, NAMES, j + 1);
		col[j].name = lua_tolstring(L, -1, &col[j].len);
		lua_pop(L, 1);
		luaL_buffinit(L, &nb);
		for (k = 0; k < col[j].len; k++) {
			unsigned char c = (unsigned char)col[j].name[k];
			if (c < 32 || c == 127) {
				char esc[8];
				snprintf(esc, sizeof esc, "\\%u", (unsigned)c);
				luaL_addstring(&nb, esc);
			} else {
				luaL_addchar(&nb, (char)c);
			}
		}
		luaL_pushresult(&nb);
		col[j].shown = lua_tolstring(L, -1, &col[j].slen);
		lua_rawseti(L, SHOWN, j + 1); /* keeps it alive */
		col[j].width = pa_width(col[j].shown, col[j].slen);
		base = pa_base(col[j].name, col[j].len);
		if (col[j].len >= 5 && memcmp(col[j].name + col[j].len - 5, "_RATE", 5) == 0)
			col[j].kind = PA_SHOW_PERCENT;
		else if (col[j].len - base == 20 && memcmp(col[j].name + base, "VIDEO_AVG_WATCH_TIME", 20) == 0)
			col[j].kind = PA_SHOW_DECIMAL;
		else
			col[j].kind = PA_SHOW_COUNT;
		for (i = 0; i < nrows; i++) {
			int r = i < head ? i : f->ndates - tail + (i - head);
			size_t w = pa_show(num, sizeof num, f->values[(size_t)j * (size_t)f->ndates + (size_t)r], col[j].kind);
			if (w > col[j].width)
				col[j].width = w;
		}
	}

	/* only C strings go into the buffer: nothing else touches the stack */
	luaL_buffinit(L, &b);
	pa_add_padded(&b, lhead, strlen(lhead), lwidth, 0);
	for (j = 0; j < ns; j++) {
		luaL_addstring(&b, "  ");
		pa_add_padded(&b, col[j].shown, col[j].slen, col[j].width, 1);
	}
	if (notes)
		luaL_addstring(&b, "  status");
	luaL_addchar(&b, '\n');
	for (i = 0; i < nrows; i++) {
		int r = i < head ? i : f->ndates - tail + (i - head);
		size_t w;
		if (i == head && tail > 0) {
			snprintf(num, sizeof num, "... %d more rows\n", f->ndates - nrows);
			luaL_addstring(&b, num);
		}
		w = pa_label(num, sizeof num, f->period, f->dates[r]);
		pa_add_padded(&b, num, w, lwidth, 0);
		for (j = 0; j < ns; j++) {
			w = pa_show(num, sizeof num, f->values[(size_t)j * (size_t)f->ndates + (size_t)r], col[j].kind);
			luaL_addstring(&b, "  ");
			pa_add_padded(&b, num, w, col[j].width, 1);
		}
		w = pa_note(note, sizeof note, f, r);
		if (w > 0) {
			luaL_addstring(&b, "  ");
			luaL_addlstring(&b, note, w);
		}
		luaL_addchar(&b, '\n');
	}
	if (nrows < f->ndates && tail == 0) {
		snprintf(num, sizeof num, "... %d more rows\n", f->ndates - nrows);
		luaL_addstring(&b, num);
	}
	if (ns < f->nseries) {
		snprintf(num, sizeof num, "... %d more series (f:metrics() names them all)\n", f->nseries - ns);
		luaL_addstring(&b, num);
	}
	luaL_pushresult(&b);
	return 1;
}

static int pa_frame_tostring(lua_State *L)
{
	lua_settop(L, 1);
	return pa_frame_to_string(L);
}

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
	pa_frame *f = pa_check_frame(L, 1);
	size_t n = sizeof *f + (size_t)f->ndates * (sizeof *f->dates + sizeof *f->status + sizeof *f->days) +
	           (size_t)f->ndates * (size_t)f->nseries * sizeof *f->values;
	lua_pushinteger(L, (lua_Integer)n);
	lua_pushinteger(L, (lua_Integer)f->ndates * f->nseries);
	return 2;
}

void pa_frame_open(lua_State *L)
{
	if (luaL_newmetatable(L, PA_FRAME_MT)) {
		pa_setfuncs(L, pa_frame_meta, 0);
		pa_newlib(L, pa_frame_methods);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, "locked");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
}
