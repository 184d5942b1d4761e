/*
 * frame.c - the MetricFrame userdata: dates x series of doubles, built in C
 * from decoded analytics answers, with aggregation in C.
 *
 * Storage is columnar: values[series * ndates + day], NaN for a missing
 * value (distinct from 0), one data_status code per day. A frame is
 * immutable: slice, resample and merge return new frames.
 *
 * Rates are never summed or averaged plainly: an aggregate of a rate is
 * recomputed from its parts (X_RATE = X / IMPRESSION, VIDEO_AVG_WATCH_TIME =
 * VIDEO_V50_WATCH_TIME / VIDEO_START), summed over the same days.
 */
#include <math.h>
#include <stdint.h>
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

typedef struct {
	int ndates, nseries;
	int32_t *dates;
	double *values;
	uint8_t *status;
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

static int32_t pa_check_date(lua_State *L, int idx)
{
	size_t len;
	const char *s = luaL_checklstring(L, idx, &len);
	int32_t n;
	if (!pa_parse_date(s, len, &n))
		luaL_error(L, "pinanalytics.frame: %s is not a date YYYY-MM-DD", s);
	return n;
}

static uint8_t pa_status_code(const char *s)
{
	int i;
	for (i = 0; i < PA_NSTATUS - 1; i++)
		if (strcmp(s, pa_status_names[i]) == 0)
			return (uint8_t)(i + 1);
	return (uint8_t)PA_UNKNOWN;
}

/* a day counts as final when it is READY or carries no status at all */
#define PA_FINAL(code) ((code) == 0 || (code) == PA_READY)

/* ---------------------------------------------------------------- lifecycle */

static pa_frame *pa_check_frame(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, PA_FRAME_MT);
}

static int pa_frame_gc(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	free(f->dates);
	free(f->values);
	free(f->status);
	f->dates = NULL;
	f->values = NULL;
	f->status = NULL;
	if (f->names_ref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, f->names_ref);
		luaL_unref(L, LUA_REGISTRYINDEX, f->index_ref);
		f->names_ref = f->index_ref = LUA_NOREF;
	}
	return 0;
}

/*
 * Creates an empty frame; names (an array of strings) is at names_idx.
 * Values start missing, statuses absent.
 */
static pa_frame *pa_frame_alloc(lua_State *L, int ndates, int names_idx)
{
	pa_frame *f;
	int nseries = (int)lua_rawlen(L, names_idx), i;
	size_t n;
	names_idx = pa_absindex(L, names_idx);
	f = lua_newuserdata(L, sizeof *f);
	memset(f, 0, sizeof *f);
	f->names_ref = f->index_ref = LUA_NOREF;
	pa_setmetatable(L, PA_FRAME_MT);
	f->ndates = ndates;
	f->nseries = nseries;
	n = (size_t)ndates * (size_t)nseries;
	f->dates = malloc(sizeof *f->dates * (size_t)(ndates ? ndates : 1));
	f->status = calloc((size_t)(ndates ? ndates : 1), 1);
	f->values = malloc(sizeof *f->values * (n ? n : 1));
	if (f->dates == NULL || f->status == NULL || f->values == NULL)
		luaL_error(L, "pinanalytics.frame: out of memory for %d dates x %d series", ndates, nseries);
	for (i = 0; (size_t)i < n; i++)
		f->values[i] = NAN;
	/* names: a copy of the array, and its index */
	lua_createtable(L, nseries, 0);
	lua_createtable(L, 0, nseries);
	for (i = 1; i <= nseries; i++) {
		lua_rawgeti(L, names_idx, i);
		lua_pushvalue(L, -1);
		lua_rawseti(L, -4, i);
		lua_pushinteger(L, i);
		lua_rawset(L, -3);
	}
	f->index_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	f->names_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	return f;
}

/* Series index (0-based) of a name, or -1. */
static int pa_series(lua_State *L, pa_frame *f, const char *name)
{
	int i;
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->index_ref);
	lua_getfield(L, -1, name);
	i = lua_isnil(L, -1) ? -1 : (int)lua_tointeger(L, -1) - 1;
	lua_pop(L, 2);
	return i;
}

static int pa_date_index(pa_frame *f, int32_t day)
{
	int lo = 0, hi = f->ndates - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (f->dates[mid] == day)
			return mid;
		if (f->dates[mid] < day)
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

/* ------------------------------------------------------------ construction */

/*
 * core.frame(sources) where sources is an array of
 *   { daily = <daily_metrics array>, prefix = "pin/" | nil, metric = "IMPRESSION" | nil, name = "pin" }
 * With metric, the source gives one series called name; otherwise one
 * series per metric key, called prefix .. key. Series are sorted by name.
 */
int pa_frame_new(lua_State *L)
{
	int nsrc, s, ndates = 0, i;
	int32_t *days = NULL, dmin = INT32_MAX, dmax = INT32_MIN;
	int *dindex = NULL;
	size_t ndays_total = 0, cap = 0;
	pa_frame *f;
	int t_keysets, t_names, t_index;

	luaL_checktype(L, 1, LUA_TTABLE);
	nsrc = (int)lua_rawlen(L, 1);
	lua_settop(L, 1);
	lua_newtable(L); /* 2: per-source key sets */
	t_keysets = 2;
	lua_newtable(L); /* 3: name set -> true */
	t_names = 3;

	/* pass 1: dates and series names */
	for (s = 1; s <= nsrc; s++) {
		int nd, d;
		const char *metric, *prefix;
		lua_rawgeti(L, 1, s); /* 4: source */
		if (lua_type(L, 4) != LUA_TTABLE) {
			free(days);
			return luaL_error(L, "pinanalytics.frame: source %d is not a table", s);
		}
		lua_getfield(L, 4, "metric"); /* 5 */
		metric = lua_tostring(L, 5);
		lua_getfield(L, 4, "prefix"); /* 6 */
		prefix = lua_tostring(L, 6);
		lua_getfield(L, 4, "daily"); /* 7 */
		if (lua_type(L, 7) != LUA_TTABLE) {
			free(days);
			return luaL_error(L, "pinanalytics.frame: source %d has no daily_metrics array", s);
		}
		nd = (int)lua_rawlen(L, 7);
		lua_newtable(L); /* 8: this source's keys */
		for (d = 1; d <= nd; d++) {
			size_t len;
			const char *ds;
			int32_t day;
			lua_rawgeti(L, 7, d); /* 9: day */
			if (lua_type(L, 9) != LUA_TTABLE) {
				free(days);
				return luaL_error(L, "pinanalytics.frame: daily_metrics[%d] is not an object", d);
			}
			lua_getfield(L, 9, "date");
			ds = lua_tolstring(L, -1, &len);
			if (ds == NULL || !pa_parse_date(ds, len, &day)) {
				free(days);
				return luaL_error(L, "pinanalytics.frame: daily_metrics[%d].date is not a date YYYY-MM-DD", d);
			}
			lua_pop(L, 1);
			if (ndays_total == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				int32_t *nd2 = realloc(days, ncap * sizeof *nd2);
				if (nd2 == NULL) {
					free(days);
					return luaL_error(L, "pinanalytics.frame: out of memory");
				}
				days = nd2;
				cap = ncap;
			}
			days[ndays_total++] = day;
			if (day < dmin)
				dmin = day;
			if (day > dmax)
				dmax = day;
			if (metric == NULL) {
				lua_getfield(L, 9, "metrics");
				if (lua_type(L, -1) == LUA_TTABLE) {
					lua_pushnil(L);
					while (lua_next(L, -2) != 0) {
						lua_pop(L, 1);
						if (lua_type(L, -1) == LUA_TSTRING) {
							lua_pushvalue(L, -1);
							lua_pushboolean(L, 1);
							lua_rawset(L, 8);
						}
					}
				}
				lua_pop(L, 1);
			}
			lua_pop(L, 1);
		}
		/* keyset for this source: key -> series name */
		lua_newtable(L); /* 9: key -> name */
		if (metric != NULL) {
			lua_getfield(L, 4, "name");
			if (lua_type(L, -1) != LUA_TSTRING) {
				free(days);
				return luaL_error(L, "pinanalytics.frame: source %d has a metric but no name", s);
			}
			lua_pushvalue(L, 5);
			lua_pushvalue(L, -2);
			lua_rawset(L, 9);
			lua_pushboolean(L, 1);
			lua_rawset(L, t_names);
		} else {
			lua_pushnil(L);
			while (lua_next(L, 8) != 0) {
				lua_pop(L, 1);
				lua_pushvalue(L, -1); /* key */
				if (prefix != NULL) {
					lua_pushvalue(L, 6);
					lua_pushvalue(L, -2);
					lua_concat(L, 2);
				} else {
					lua_pushvalue(L, -1);
				}
				/* stack: key, key, name */
				lua_pushvalue(L, -1);
				lua_pushboolean(L, 1);
				lua_rawset(L, t_names);
				lua_rawset(L, 9);
			}
		}
		lua_rawseti(L, t_keysets, s);
		lua_settop(L, 3);
	}

	/* distinct sorted dates */
	if (ndays_total > 0) {
		size_t j, k = 0;
		qsort(days, ndays_total, sizeof *days, pa_cmp_i32);
		for (j = 0; j < ndays_total; j++)
			if (k == 0 || days[k - 1] != days[j])
				days[k++] = days[j];
		ndates = (int)k;
		if ((int64_t)dmax - dmin > 10000000) {
			free(days);
			return luaL_error(L, "pinanalytics.frame: dates span more than 10 million days");
		}
		dindex = malloc(sizeof *dindex * (size_t)(dmax - dmin + 1));
		if (dindex == NULL) {
			free(days);
			return luaL_error(L, "pinanalytics.frame: out of memory");
		}
		for (i = 0; i < ndates; i++)
			dindex[days[i] - dmin] = i;
	}

	/* sorted names */
	lua_newtable(L); /* 4: names array */
	lua_pushnil(L);
	i = 0;
	while (lua_next(L, t_names) != 0) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_rawseti(L, 4, ++i);
	}
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_remove(L, -2);
	lua_pushvalue(L, 4);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		free(days);
		free(dindex);
		return lua_error(L);
	}

	f = pa_frame_alloc(L, ndates, 4); /* 5: the frame */
	if (ndates > 0)
		memcpy(f->dates, days, sizeof *days * (size_t)ndates);
	free(days);
	days = NULL;
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->index_ref); /* 6 */
	t_index = 6;

	/* pass 2: values and statuses */
	for (s = 1; s <= nsrc; s++) {
		int nd, d;
		int single;
		lua_settop(L, 6);
		lua_rawgeti(L, 1, s);           /* 7: source */
		lua_getfield(L, 7, "daily");    /* 8 */
		lua_rawgeti(L, t_keysets, s);   /* 9: key -> name */
		lua_getfield(L, 7, "metric");   /* 10 */
		single = !lua_isnil(L, 10);
		/* key -> series index, for this source */
		lua_newtable(L); /* 11 */
		lua_pushnil(L);
		while (lua_next(L, 9) != 0) {
			lua_rawget(L, t_index); /* name -> index */
			lua_pushvalue(L, -2);
			lua_insert(L, -2);
			lua_rawset(L, 11);
		}
		nd = (int)lua_rawlen(L, 8);
		for (d = 1; d <= nd; d++) {
			size_t len;
			const char *ds;
			int32_t day;
			int di;
			lua_rawgeti(L, 8, d); /* 12 */
			lua_getfield(L, 12, "date");
			ds = lua_tolstring(L, -1, &len);
			pa_parse_date(ds, len, &day);
			lua_pop(L, 1);
			di = dindex[day - dmin];
			lua_getfield(L, 12, "data_status");
			if (lua_type(L, -1) == LUA_TSTRING) {
				uint8_t code = pa_status_code(lua_tostring(L, -1));
				/* several sources on one day: the status that is not final wins */
				if (f->status[di] == 0 || (PA_FINAL(f->status[di]) && !PA_FINAL(code)))
					f->status[di] = code;
			}
			lua_pop(L, 1);
			lua_getfield(L, 12, "metrics"); /* 13 */
			if (lua_type(L, 13) == LUA_TTABLE) {
				if (single) {
					lua_pushvalue(L, 10);
					lua_rawget(L, 13);
					if (lua_type(L, -1) == LUA_TNUMBER) {
						lua_pushvalue(L, 10);
						lua_rawget(L, 11);
						f->values[(size_t)(lua_tointeger(L, -1) - 1) * (size_t)ndates + (size_t)di] =
						    (double)lua_tonumber(L, -2);
						lua_pop(L, 1);
					}
					lua_pop(L, 1);
				} else {
					lua_pushnil(L);
					while (lua_next(L, 13) != 0) {
						if (lua_type(L, -1) == LUA_TNUMBER) {
							lua_pushvalue(L, -2);
							lua_rawget(L, 11);
							if (lua_isnumber(L, -1))
								f->values[(size_t)(lua_tointeger(L, -1) - 1) * (size_t)ndates +
								          (size_t)di] = (double)lua_tonumber(L, -2);
							lua_pop(L, 1);
						}
						lua_pop(L, 1);
					}
				}
			}
			lua_settop(L, 11);
		}
	}
	free(dindex);
	lua_settop(L, 5);
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
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->names_ref);
	for (i = 1; i <= f->nseries; i++) {
		lua_rawgeti(L, -1, i);
		lua_rawseti(L, -3, i);
	}
	lua_pop(L, 1);
	return 1;
}

static int pa_check_series(lua_State *L, pa_frame *f, int idx)
{
	const char *name = luaL_checkstring(L, idx);
	int s = pa_series(L, f, name);
	if (s < 0)
		luaL_error(L, "pinanalytics.frame: no series %s in this frame", name);
	return s;
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

/* Does the name (after any "prefix/") end in _RATE or is it an average? */
static int pa_is_ratio(const char *name)
{
	size_t n = strlen(name);
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	return (n >= 5 && strcmp(name + n - 5, "_RATE") == 0) || strcmp(base, "VIDEO_AVG_WATCH_TIME") == 0;
}

/*
 * The parts of a ratio series: numerator and denominator series indices, or
 * -1 when the frame lacks them.
 */
static void pa_ratio_parts(lua_State *L, pa_frame *f, const char *name, int *num, int *den)
{
	const char *base = strrchr(name, '/');
	size_t plen = base ? (size_t)(base + 1 - name) : 0;
	const char *b = name + plen;
	size_t blen = strlen(b);
	luaL_Buffer buf;
	*num = *den = -1;
	if (strcmp(b, "VIDEO_AVG_WATCH_TIME") == 0) {
		luaL_buffinit(L, &buf);
		luaL_addlstring(&buf, name, plen);
		luaL_addstring(&buf, "VIDEO_V50_WATCH_TIME");
		luaL_pushresult(&buf);
		*num = pa_series(L, f, lua_tostring(L, -1));
		lua_pop(L, 1);
		luaL_buffinit(L, &buf);
		luaL_addlstring(&buf, name, plen);
		luaL_addstring(&buf, "VIDEO_START");
		luaL_pushresult(&buf);
		*den = pa_series(L, f, lua_tostring(L, -1));
		lua_pop(L, 1);
		return;
	}
	if (blen < 5)
		return;
	luaL_buffinit(L, &buf);
	luaL_addlstring(&buf, name, plen + blen - 5);
	luaL_pushresult(&buf);
	*num = pa_series(L, f, lua_tostring(L, -1));
	lua_pop(L, 1);
	luaL_buffinit(L, &buf);
	luaL_addlstring(&buf, name, plen);
	luaL_addstring(&buf, "IMPRESSION");
	luaL_pushresult(&buf);
	*den = pa_series(L, f, lua_tostring(L, -1));
	lua_pop(L, 1);
}

static int pa_frame_get(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int32_t day = pa_check_date(L, 2);
	int s = pa_check_series(L, f, 3);
	int di = pa_date_index(f, day);
	if (di < 0) {
		lua_pushnil(L);
		return 1;
	}
	pa_push_series_value(L, f->values[(size_t)s * (size_t)f->ndates + (size_t)di], pa_is_ratio(lua_tostring(L, 3)));
	return 1;
}

/* frame:column(metric) -> array; a missing value is pinanalytics.null */
static int pa_frame_column(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int s = pa_check_series(L, f, 2), i;
	int ratio = pa_is_ratio(lua_tostring(L, 2));
	const double *col = f->values + (size_t)s * (size_t)f->ndates;
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		if (isnan(col[i]))
			lua_pushlightuserdata(L, NULL); /* == cjson.null == pinanalytics.null */
		else
			pa_push_series_value(L, col[i], ratio);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int pa_frame_status(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int di = pa_date_index(f, pa_check_date(L, 2));
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

/* ---------------------------------------------------------------- aggregation */

static int pa_ready_only(lua_State *L, int idx)
{
	int r = 0;
	if (lua_type(L, idx) == LUA_TTABLE) {
		lua_getfield(L, idx, "ready_only");
		r = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	return r;
}

enum { PA_SUM, PA_MEAN, PA_MIN, PA_MAX };

static int pa_aggregate(lua_State *L, int op)
{
	pa_frame *f = pa_check_frame(L, 1);
	const char *name = luaL_checkstring(L, 2);
	int s = pa_check_series(L, f, 2);
	int ready_only = pa_ready_only(L, 3);
	int i, n = 0;
	double acc = 0;
	const double *col = f->values + (size_t)s * (size_t)f->ndates;

	if ((op == PA_SUM || op == PA_MEAN) && pa_is_ratio(name)) {
		int num, den;
		double a = 0, b = 0;
		const double *cn, *cd;
		pa_ratio_parts(L, f, name, &num, &den);
		if (num < 0 || den < 0)
			return luaL_error(L, "pinanalytics.frame: cannot aggregate %s: a rate is recomputed from its "
			                     "parts, and this frame lacks them",
			                  name);
		cn = f->values + (size_t)num * (size_t)f->ndates;
		cd = f->values + (size_t)den * (size_t)f->ndates;
		for (i = 0; i < f->ndates; i++) {
			if (ready_only && !PA_FINAL(f->status[i]))
				continue;
			if (isnan(cn[i]) || isnan(cd[i]))
				continue;
			a += cn[i];
			b += cd[i];
			n++;
		}
		if (n == 0) {
			lua_pushnil(L);
			return 1;
		}
		lua_pushnumber(L, b == 0 ? 0.0 : (lua_Number)(a / b));
		return 1;
	}
	for (i = 0; i < f->ndates; i++) {
		double v = col[i];
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
		pa_push_series_value(L, acc, pa_is_ratio(name));
	return 1;
}

static int pa_frame_sum(lua_State *L) { return pa_aggregate(L, PA_SUM); }
static int pa_frame_mean(lua_State *L) { return pa_aggregate(L, PA_MEAN); }
static int pa_frame_min(lua_State *L) { return pa_aggregate(L, PA_MIN); }
static int pa_frame_max(lua_State *L) { return pa_aggregate(L, PA_MAX); }

/* ---------------------------------------------------------------- new frames */

static void pa_push_names(lua_State *L, pa_frame *f)
{
	lua_rawgeti(L, LUA_REGISTRYINDEX, f->names_ref);
}

/* frame:slice(range) or frame:slice(start_date, end_date) */
static int pa_frame_slice(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int32_t a, b;
	int i, j, lo = -1, n = 0;
	pa_frame *g;
	if (lua_type(L, 2) == LUA_TTABLE) {
		lua_getfield(L, 2, "start_date");
		lua_getfield(L, 2, "end_date");
		a = pa_check_date(L, -2);
		b = pa_check_date(L, -1);
		lua_pop(L, 2);
	} else {
		a = pa_check_date(L, 2);
		b = pa_check_date(L, 3);
	}
	for (i = 0; i < f->ndates; i++) {
		if (f->dates[i] >= a && f->dates[i] <= b) {
			if (lo < 0)
				lo = i;
			n++;
		}
	}
	pa_push_names(L, f);
	g = pa_frame_alloc(L, n, -1);
	for (i = 0; i < n; i++) {
		g->dates[i] = f->dates[lo + i];
		g->status[i] = f->status[lo + i];
	}
	for (j = 0; j < f->nseries; j++)
		for (i = 0; i < n; i++)
			g->values[(size_t)j * (size_t)n + (size_t)i] = f->values[(size_t)j * (size_t)f->ndates + (size_t)(lo + i)];
	return 1;
}

static int32_t pa_period_start(int32_t day, int monthly)
{
	if (monthly) {
		int y, m, d;
		pa_civil_from_days(day, &y, &m, &d);
		return pa_days_from_civil(y, m, 1);
	}
	return day - (int32_t)(((day % 7) + 7 + 3) % 7); /* back to Monday */
}

/*
 * frame:resample("week" | "month"): one row per ISO week (Monday to Sunday)
 * or calendar month, labelled by its first day in the frame; counts summed,
 * rates recomputed from their summed parts, the status the first day that is
 * not final had.
 */
static int pa_frame_resample(lua_State *L)
{
	static const char *const opts[] = { "week", "month", NULL };
	pa_frame *f = pa_check_frame(L, 1);
	int monthly = luaL_checkoption(L, 2, NULL, opts);
	int i, j, n = 0, names;
	int *period;
	pa_frame *g;

	period = malloc(sizeof *period * (size_t)(f->ndates ? f->ndates : 1));
	if (period == NULL)
		return luaL_error(L, "pinanalytics.frame: out of memory");
	for (i = 0; i < f->ndates; i++) {
		if (i == 0 || pa_period_start(f->dates[i], monthly) != pa_period_start(f->dates[i - 1], monthly))
			n++;
		period[i] = n - 1;
	}
	pa_push_names(L, f);
	names = lua_gettop(L);
	g = pa_frame_alloc(L, n, names);
	for (i = 0; i < f->ndates; i++) {
		int p = period[i];
		if (i == 0 || period[i - 1] != p)
			g->dates[p] = f->dates[i]; /* a period is labelled by its first day in the frame */
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
		const char *name;
		int num, den, p;
		lua_rawgeti(L, names, j + 1);
		name = lua_tostring(L, -1);
		if (pa_is_ratio(name)) {
			pa_ratio_parts(L, f, name, &num, &den);
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
	free(period);
	return 1;
}

/* frame:merge(other): the union of dates and series; a value both give must agree */
static int pa_frame_merge(lua_State *L)
{
	pa_frame *a = pa_check_frame(L, 1);
	pa_frame *b = pa_check_frame(L, 2);
	int i, j, n = 0, k = 0, names, idx;
	int32_t *days;
	pa_frame *g;
	const pa_frame *src[2];

	days = malloc(sizeof *days * (size_t)(a->ndates + b->ndates + 1));
	if (days == NULL)
		return luaL_error(L, "pinanalytics.frame: out of memory");
	memcpy(days, a->dates, sizeof *days * (size_t)a->ndates);
	memcpy(days + a->ndates, b->dates, sizeof *days * (size_t)b->ndates);
	qsort(days, (size_t)(a->ndates + b->ndates), sizeof *days, pa_cmp_i32);
	for (i = 0; i < a->ndates + b->ndates; i++)
		if (k == 0 || days[k - 1] != days[i])
			days[k++] = days[i];
	n = k;
	/* names: union, sorted */
	lua_newtable(L);
	idx = lua_gettop(L);
	lua_newtable(L);
	names = lua_gettop(L);
	k = 0;
	for (j = 0; j < 2; j++) {
		pa_frame *f = j == 0 ? a : b;
		pa_push_names(L, f);
		for (i = 1; i <= f->nseries; i++) {
			lua_rawgeti(L, -1, i);
			lua_pushvalue(L, -1);
			lua_rawget(L, idx);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				lua_pushvalue(L, -1);
				lua_pushboolean(L, 1);
				lua_rawset(L, idx);
				lua_rawseti(L, names, ++k);
			} else {
				lua_pop(L, 2);
			}
		}
		lua_pop(L, 1);
	}
	lua_getglobal(L, "table");
	lua_getfield(L, -1, "sort");
	lua_remove(L, -2);
	lua_pushvalue(L, names);
	if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
		free(days);
		return lua_error(L);
	}
	g = pa_frame_alloc(L, n, names);
	memcpy(g->dates, days, sizeof *days * (size_t)n);
	free(days);
	src[0] = a;
	src[1] = b;
	for (k = 0; k < 2; k++) {
		pa_frame *f = (pa_frame *)src[k];
		for (i = 0; i < f->ndates; i++) {
			int di = pa_date_index(g, f->dates[i]);
			if (g->status[di] == 0 || (PA_FINAL(g->status[di]) && !PA_FINAL(f->status[i])))
				g->status[di] = f->status[i];
		}
		pa_push_names(L, f);
		for (j = 1; j <= f->nseries; j++) {
			int gs;
			lua_rawgeti(L, -1, j);
			gs = pa_series(L, g, lua_tostring(L, -1));
			for (i = 0; i < f->ndates; i++) {
				double v = f->values[(size_t)(j - 1) * (size_t)f->ndates + (size_t)i];
				double *dst = &g->values[(size_t)gs * (size_t)n + (size_t)pa_date_index(g, f->dates[i])];
				if (isnan(v))
					continue;
				if (!isnan(*dst) && *dst != v) {
					lua_pushfstring(L, "pinanalytics.frame: merge: %s differs on ", lua_tostring(L, -1));
					pa_push_date(L, f->dates[i]);
					lua_concat(L, 2);
					return lua_error(L);
				}
				*dst = v;
			}
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	return 1;
}

/* frame:to_table() -> { dates = {...}, status = {...}, series = { name = {...} } } */
static int pa_frame_to_table(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	int i, j;
	lua_createtable(L, 0, 3);
	pa_frame_dates(L);
	lua_setfield(L, -2, "dates");
	lua_createtable(L, f->ndates, 0);
	for (i = 0; i < f->ndates; i++) {
		if (f->status[i] == 0)
			lua_pushlightuserdata(L, NULL);
		else
			lua_pushstring(L, pa_status_names[f->status[i] - 1]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setfield(L, -2, "status");
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

/* for date, values, status in frame:rows() do ... end */
static int pa_frame_rows_iter(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, lua_upvalueindex(1));
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2));
	int j;
	if (i >= f->ndates)
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
		pa_push_series_value(L, v, pa_is_ratio(lua_tostring(L, -1)));
		lua_rawset(L, -4);
	}
	lua_pop(L, 1);
	if (f->status[i] == 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_status_names[f->status[i] - 1]);
	return 3;
}

static int pa_frame_rows(lua_State *L)
{
	pa_check_frame(L, 1);
	lua_pushvalue(L, 1);
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, pa_frame_rows_iter, 2);
	return 1;
}

/* an aligned table: date, status, then one column per series */
static int pa_frame_tostring(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	luaL_Buffer b;
	int i, j, nidx, *width, *ratio;
	const char **names;
	char cell[96];
	pa_push_names(L, f);
	nidx = lua_gettop(L);
	width = malloc(sizeof *width * (size_t)(f->nseries + 1));
	ratio = malloc(sizeof *ratio * (size_t)(f->nseries + 1));
	names = malloc(sizeof *names * (size_t)(f->nseries + 1));
	if (width == NULL || ratio == NULL || names == NULL) {
		free(width);
		free(ratio);
		free(names);
		return luaL_error(L, "pinanalytics.frame: out of memory");
	}
	for (j = 0; j < f->nseries; j++) {
		const double *col = f->values + (size_t)j * (size_t)f->ndates;
		lua_rawgeti(L, nidx, j + 1);
		names[j] = lua_tostring(L, -1); /* kept alive by the names table */
		lua_pop(L, 1);
		width[j] = (int)strlen(names[j]);
		ratio[j] = pa_is_ratio(names[j]);
		for (i = 0; i < f->ndates; i++) {
			int w = isnan(col[i]) ? 1
			        : ratio[j] ? snprintf(cell, sizeof cell, "%.4f", col[i])
			                   : snprintf(cell, sizeof cell, "%.15g", col[i]);
			if (w > width[j])
				width[j] = w;
		}
	}
	/* only C strings go into the buffer: nothing else touches the stack */
	luaL_buffinit(L, &b);
	snprintf(cell, sizeof cell, "%-10s  %-10s", "date", "status");
	luaL_addstring(&b, cell);
	for (j = 0; j < f->nseries; j++) {
		int pad = width[j] - (int)strlen(names[j]);
		luaL_addstring(&b, "  ");
		while (pad-- > 0)
			luaL_addchar(&b, ' ');
		luaL_addstring(&b, names[j]);
	}
	luaL_addchar(&b, '\n');
	for (i = 0; i < f->ndates; i++) {
		int y, m, d;
		pa_civil_from_days(f->dates[i], &y, &m, &d);
		snprintf(cell, sizeof cell, "%04d-%02d-%02d  %-10.10s", y, m, d,
		         f->status[i] ? pa_status_names[f->status[i] - 1] : "");
		luaL_addstring(&b, cell);
		for (j = 0; j < f->nseries; j++) {
			double v = f->values[(size_t)j * (size_t)f->ndates + (size_t)i];
			char num[48];
			if (isnan(v))
				snprintf(num, sizeof num, "-");
			else if (ratio[j])
				snprintf(num, sizeof num, "%.4f", v);
			else
				snprintf(num, sizeof num, "%.15g", v);
			snprintf(cell, sizeof cell, "  %*s", width[j], num);
			luaL_addstring(&b, cell);
		}
		luaL_addchar(&b, '\n');
	}
	free(width);
	free(ratio);
	free(names);
	luaL_pushresult(&b);
	return 1;
}

static const luaL_Reg pa_frame_methods[] = {
	{ "dates", pa_frame_dates },
	{ "metrics", pa_frame_metrics },
	{ "get", pa_frame_get },
	{ "column", pa_frame_column },
	{ "status", pa_frame_status },
	{ "not_ready", pa_frame_not_ready },
	{ "sum", pa_frame_sum },
	{ "mean", pa_frame_mean },
	{ "min", pa_frame_min },
	{ "max", pa_frame_max },
	{ "slice", pa_frame_slice },
	{ "resample", pa_frame_resample },
	{ "merge", pa_frame_merge },
	{ "rows", pa_frame_rows },
	{ "to_table", pa_frame_to_table },
	{ NULL, NULL },
};

static const luaL_Reg pa_frame_meta[] = {
	{ "__gc", pa_frame_gc },
	{ "__len", pa_frame_len },
	{ "__tostring", pa_frame_tostring },
	{ NULL, NULL },
};

/* core.frame_info(f) -> bytes held in C for the frame (for benchmarks) */
int pa_frame_bytes(lua_State *L)
{
	pa_frame *f = pa_check_frame(L, 1);
	size_t n = sizeof *f + (size_t)f->ndates * (sizeof *f->dates + sizeof *f->status) +
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
