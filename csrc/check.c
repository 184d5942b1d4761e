/*
 * check.c - the documented shapes of the answers pinanalytics knows, and one
 * walk that checks a decoded answer against its shape while giving each
 * number the type the schema says.
 *
 * A shape is a small static table (below): each field is a count, a number,
 * a metric, a string, a boolean, a date, an object of named fields, an array
 * of one type or a map (string keys) of one type. What the walk does with a
 * number:
 *
 *   count   a whole number with |v| < 2^53 becomes an integer (5.3+); one
 *           with a fraction stays the float the server sent; anything from
 *           2^53 on (a double that large may already be rounded, so it
 *           cannot be trusted as a count) makes the walk say no
 *   number  the general rule of json.c (the API says only "a number")
 *   metric  by its name (the map key): a rate, always a float, when the
 *           name ends in _RATE or _rate or is VIDEO_AVG_WATCH_TIME; a count
 *           otherwise
 *
 * A field the shape does not name is typed by the general rule and is never
 * a reason to say no. The walk says no when a named field has the wrong JSON
 * type, a required field is missing, or a count is out of range; the caller
 * then types the whole value by the general rule, and the Lua checkers
 * (pinanalytics.schema, oneup.lua, paginate.lua) name the field. Those
 * checkers refuse everything the walk refuses.
 *
 * The same walk, without the general rule, is core.check_analytics(value)
 * for values that come from users: raw access only, no allocation once it
 * has started (so no finalizer runs), and a depth fixed by the schema.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "pa.h"

/* the kinds of the ads columns (PA_ADS_*), in the table generated from the catalogue */
enum { PA_ADS_ID, PA_ADS_COUNT, PA_ADS_MONEY_MICRO, PA_ADS_MONEY, PA_ADS_RATE, PA_ADS_FLOAT, PA_ADS_STRING };
#include "ads_columns.h"

#define PA_EXACT_LIMIT 9007199254740992.0 /* 2^53: doubles hold every integer below */

/* ------------------------------------------------------------ the shapes */

enum {
	PA_K_COUNT, /* see above */
	PA_K_NUMBER,
	PA_K_METRIC,
	PA_K_STRING,
	PA_K_BOOL,
	PA_K_DATE,   /* a string YYYY-MM-DD that is a real date */
	PA_K_OBJECT, /* fields */
	PA_K_ARRAY,  /* of */
	PA_K_MAP,    /* string -> of */
	PA_K_ADS_ROW /* an ads analytics row: column -> value, typed by the column's kind */
};

#define PA_REQ 1  /* the field must be present */
#define PA_NULL 2 /* the field may be null */

typedef struct pa_type pa_type;

typedef struct {
	const char *name;
	size_t len;
	const pa_type *type;
	int flags;
} pa_field;

struct pa_type {
	int kind;
	const pa_type *of;      /* PA_K_ARRAY, PA_K_MAP */
	const pa_field *fields; /* PA_K_OBJECT: ends with a NULL name */
};

#define PA_FIELD(name, type, flags) { name, sizeof(name) - 1, type, flags }
#define PA_END { NULL, 0, NULL, 0 }

static const pa_type pa_count = { PA_K_COUNT, NULL, NULL };
static const pa_type pa_number = { PA_K_NUMBER, NULL, NULL };
static const pa_type pa_metric = { PA_K_METRIC, NULL, NULL };
static const pa_type pa_string = { PA_K_STRING, NULL, NULL };
static const pa_type pa_bool = { PA_K_BOOL, NULL, NULL };
static const pa_type pa_date = { PA_K_DATE, NULL, NULL };
static const pa_type pa_metrics = { PA_K_MAP, &pa_metric, NULL }; /* metric name -> value */
static const pa_type pa_strings = { PA_K_MAP, &pa_string, NULL };

/* GET /pins/{id}/analytics, GET /user_account/analytics: split -> response */
static const pa_field pa_day_fields[] = {
	PA_FIELD("date", &pa_date, PA_REQ),
	PA_FIELD("data_status", &pa_string, PA_REQ),
	PA_FIELD("metrics", &pa_metrics, PA_REQ),
	PA_END,
};
static const pa_type pa_day = { PA_K_OBJECT, NULL, pa_day_fields };
static const pa_type pa_days = { PA_K_ARRAY, &pa_day, NULL };
static const pa_field pa_response_fields[] = {
	PA_FIELD("daily_metrics", &pa_days, 0),
	PA_FIELD("summary_metrics", &pa_metrics, 0),
	PA_FIELD("lifetime_metrics", &pa_metrics, 0),
	PA_END,
};
static const pa_type pa_response = { PA_K_OBJECT, NULL, pa_response_fields };
static const pa_type pa_analytics = { PA_K_MAP, &pa_response, NULL };
/* GET /pins/analytics: pin id -> analytics answer */
static const pa_type pa_pins_analytics = { PA_K_MAP, &pa_analytics, NULL };

/* GET /user_account/analytics/top_pins and top_video_pins */
static const pa_field pa_availability_fields[] = {
	PA_FIELD("is_realtime", &pa_bool, 0),
	PA_FIELD("latest_available_timestamp", &pa_number, 0), /* "number" in the API: ms since 1970 */
	PA_END,
};
static const pa_type pa_availability = { PA_K_OBJECT, NULL, pa_availability_fields };
static const pa_field pa_top_pin_fields[] = {
	PA_FIELD("pin_id", &pa_string, PA_REQ),
	PA_FIELD("metrics", &pa_metrics, PA_REQ),
	PA_FIELD("data_status", &pa_strings, 0),
	PA_END,
};
static const pa_type pa_top_pin = { PA_K_OBJECT, NULL, pa_top_pin_fields };
static const pa_type pa_top_pin_list = { PA_K_ARRAY, &pa_top_pin, NULL };
static const pa_field pa_top_pins_fields[] = {
	PA_FIELD("date_availability", &pa_availability, 0),
	PA_FIELD("pins", &pa_top_pin_list, 0),
	PA_FIELD("sort_by", &pa_string, 0),
	PA_END,
};
static const pa_type pa_top_pins = { PA_K_OBJECT, NULL, pa_top_pins_fields };

/* GET /pins, GET /boards/{id}/pins: {items = [Pin], bookmark}. pin_metrics
 * is "an object" in the API; its example is interval -> metric -> count. */
static const pa_type pa_pin_metrics = { PA_K_MAP, &pa_metrics, NULL };
static const pa_field pa_pin_fields[] = {
	PA_FIELD("id", &pa_string, 0),
	PA_FIELD("board_id", &pa_string, 0),
	PA_FIELD("board_section_id", &pa_string, PA_NULL),
	PA_FIELD("parent_pin_id", &pa_string, PA_NULL),
	PA_FIELD("pin_metrics", &pa_pin_metrics, PA_NULL),
	PA_END,
};
static const pa_type pa_pin = { PA_K_OBJECT, NULL, pa_pin_fields };
static const pa_type pa_pin_list = { PA_K_ARRAY, &pa_pin, NULL };
static const pa_field pa_pins_page_fields[] = {
	PA_FIELD("items", &pa_pin_list, PA_REQ),
	PA_FIELD("bookmark", &pa_string, PA_NULL),
	PA_END,
};
static const pa_type pa_pins_page = { PA_K_OBJECT, NULL, pa_pins_page_fields };

/* GET /boards: {items = [Board], bookmark} */
static const pa_field pa_board_fields[] = {
	PA_FIELD("id", &pa_string, 0),
	PA_FIELD("pin_count", &pa_count, 0),
	PA_FIELD("follower_count", &pa_count, 0),
	PA_FIELD("collaborator_count", &pa_count, 0),
	PA_END,
};
static const pa_type pa_board = { PA_K_OBJECT, NULL, pa_board_fields };
static const pa_type pa_board_list = { PA_K_ARRAY, &pa_board, NULL };
static const pa_field pa_boards_page_fields[] = {
	PA_FIELD("items", &pa_board_list, PA_REQ),
	PA_FIELD("bookmark", &pa_string, PA_NULL),
	PA_END,
};
static const pa_type pa_boards_page = { PA_K_OBJECT, NULL, pa_boards_page_fields };

/* OneUp: {success, data}. OneUp publishes no schema: the values of its
 * metrics are numbers (the general rule); a post's stats are metrics. */
static const pa_field pa_oneup_metric_fields[] = {
	PA_FIELD("key", &pa_string, PA_REQ),
	PA_FIELD("value_current_period", &pa_number, PA_REQ),
	PA_FIELD("value_last_period", &pa_number, PA_REQ),
	PA_FIELD("percentage_change", &pa_string, 0),
	PA_END,
};
static const pa_type pa_oneup_metric = { PA_K_OBJECT, NULL, pa_oneup_metric_fields };
static const pa_type pa_oneup_metric_list = { PA_K_ARRAY, &pa_oneup_metric, NULL };
static const pa_field pa_overview_data_fields[] = {
	PA_FIELD("metrics", &pa_oneup_metric_list, PA_REQ),
	PA_FIELD("total_followers", &pa_number, 0),
	PA_END,
};
static const pa_type pa_overview_data = { PA_K_OBJECT, NULL, pa_overview_data_fields };
static const pa_field pa_overview_fields[] = {
	PA_FIELD("success", &pa_bool, 0),
	PA_FIELD("data", &pa_overview_data, PA_REQ),
	PA_END,
};
static const pa_type pa_oneup_overview = { PA_K_OBJECT, NULL, pa_overview_fields };
static const pa_field pa_post_fields[] = {
	PA_FIELD("stats", &pa_metrics, 0),
	PA_FIELD("timestamp", &pa_string, 0),
	PA_END,
};
static const pa_type pa_post = { PA_K_OBJECT, NULL, pa_post_fields };
static const pa_type pa_post_list = { PA_K_ARRAY, &pa_post, NULL };
static const pa_field pa_posts_data_fields[] = {
	PA_FIELD("stats", &pa_oneup_metric_list, 0),
	PA_FIELD("posts", &pa_post_list, PA_REQ),
	PA_END,
};
static const pa_type pa_posts_data = { PA_K_OBJECT, NULL, pa_posts_data_fields };
static const pa_field pa_posts_fields[] = {
	PA_FIELD("success", &pa_bool, 0),
	PA_FIELD("data", &pa_posts_data, PA_REQ),
	PA_END,
};
static const pa_type pa_oneup_posts = { PA_K_OBJECT, NULL, pa_posts_fields };

/* POST /oauth/token (the refresh answer; only access_token is sure to come) */
static const pa_field pa_token_fields[] = {
	PA_FIELD("access_token", &pa_string, 0),
	PA_FIELD("token_type", &pa_string, PA_NULL),
	PA_FIELD("scope", &pa_string, PA_NULL),
	PA_FIELD("response_type", &pa_string, PA_NULL),
	PA_FIELD("refresh_token", &pa_string, PA_NULL),
	PA_FIELD("expires_in", &pa_count, PA_NULL),
	PA_FIELD("refresh_token_expires_in", &pa_count, PA_NULL),
	PA_FIELD("refresh_token_expires_at", &pa_count, PA_NULL),
	PA_END,
};
static const pa_type pa_oauth_token = { PA_K_OBJECT, NULL, pa_token_fields };

/* The ads analytics answers (GET /ad_accounts/{id}/analytics, campaigns,
 * ad groups, ads, ad pins, product groups): an array of flat rows, each
 * column typed by its kind in pa_ads_columns (ads_columns.h, generated from
 * lua/pinanalytics/ads/columns.lua): an id a string (one sent as a whole
 * number below 2^53 becomes its digits), a count or money in micro-units
 * as a count, money, a rate or a float always a float, a text attribute by
 * the general rule. A column the catalogue does not name (DATE, ...) is
 * typed by the general rule; null is left as it is. */
static const pa_type pa_ads_row = { PA_K_ADS_ROW, NULL, NULL };
static const pa_type pa_ads_rows = { PA_K_ARRAY, &pa_ads_row, NULL };
/* the targeting analytics: {data = [{targeting_type, targeting_value, metrics = row}]} */
static const pa_field pa_targeting_item_fields[] = {
	PA_FIELD("targeting_type", &pa_string, 0),
	PA_FIELD("metrics", &pa_ads_row, 0),
	PA_END,
};
static const pa_type pa_targeting_item = { PA_K_OBJECT, NULL, pa_targeting_item_fields };
static const pa_type pa_targeting_list = { PA_K_ARRAY, &pa_targeting_item, NULL };
static const pa_field pa_ads_targeting_fields[] = {
	PA_FIELD("data", &pa_targeting_list, 0),
	PA_END,
};
static const pa_type pa_ads_targeting = { PA_K_OBJECT, NULL, pa_ads_targeting_fields };

/* Shape names, in the order of the PA_SHAPE_* numbers. */
static const char *const pa_shape_names[] = {
	"none", "analytics", "pins_analytics", "top_pins", "pins_list", "boards_list",
	"oneup_overview", "oneup_posts", "oauth_token", "ads_rows", "ads_targeting", NULL,
};
static const pa_type *const pa_shape_types[] = {
	NULL, &pa_analytics, &pa_pins_analytics, &pa_top_pins, &pa_pins_page, &pa_boards_page,
	&pa_oneup_overview, &pa_oneup_posts, &pa_oauth_token, &pa_ads_rows, &pa_ads_targeting,
};

/* The shape named by the string at idx (none/nil: PA_SHAPE_NONE); raises on an unknown name. */
int pa_check_shape(lua_State *L, int idx)
{
	if (lua_isnoneornil(L, idx))
		return PA_SHAPE_NONE;
	return luaL_checkoption(L, idx, NULL, pa_shape_names);
}

/* -------------------------------------------------------------- the walk */

typedef struct {
	lua_State *L;
	pa_json_ctx *general; /* the general rule for what the shape does not name; NULL: leave it */
	int trusted;          /* tables straight from lua-cjson (see pa_is_string_key) */
	pa_num v;             /* the new value when a number is retyped */
} pa_walker;

static int pa_walk(pa_walker *w, const pa_type *t);

static int pa_is_rate_name(const char *k, size_t n)
{
	if (n >= 5 && k[n - 5] == '_' &&
	    (memcmp(k + n - 4, "RATE", 4) == 0 || memcmp(k + n - 4, "rate", 4) == 0))
		return 1;
	return n == 20 && memcmp(k, "VIDEO_AVG_WATCH_TIME", 20) == 0;
}

/* The number on top as a count. */
static int pa_as_count(lua_State *L, pa_num *v)
{
	lua_Number d;
#if PA_HAVE_INTEGERS
	if (lua_isinteger(L, -1)) {
		lua_Integer i = lua_tointeger(L, -1);
		return (i > -((lua_Integer)1 << 53) && i < ((lua_Integer)1 << 53)) ? PA_SAME : PA_NO;
	}
#endif
	d = lua_tonumber(L, -1);
	if (!(d > -PA_EXACT_LIMIT && d < PA_EXACT_LIMIT)) /* NaN too */
		return PA_NO;
#if PA_HAVE_INTEGERS
	if (pa_is_whole(d)) {
		v->i = (lua_Integer)d;
		return PA_INT;
	}
#else
	(void)v;
#endif
	return PA_SAME;
}

/*
 * The number on top as a metric, the key below it its name. The hot path
 * of the analytics answers (one call a value): one look at the number, and
 * at the name only when the number is whole.
 */
static int pa_as_metric(lua_State *L, pa_num *v)
{
	size_t n;
	const char *k;
	lua_Number d;
#if PA_HAVE_INTEGERS
	if (lua_isinteger(L, -1)) {
		k = lua_tolstring(L, -2, &n);
		if (!pa_is_rate_name(k, n))
			return pa_as_count(L, v);
		v->d = (lua_Number)lua_tointeger(L, -1); /* a rate written without a fraction */
		return PA_FLOAT;
	}
#endif
	d = lua_tonumber(L, -1);
	if (d > -PA_EXACT_LIMIT && d < PA_EXACT_LIMIT) {
		if (!pa_is_whole(d))
			return PA_SAME; /* a fraction is a float whatever the name */
		k = lua_tolstring(L, -2, &n);
		if (pa_is_rate_name(k, n))
			return PA_SAME;
#if PA_HAVE_INTEGERS
		v->i = (lua_Integer)d; /* a count as lua-cjson 2.1.0 gives it (a double), or written 240.0 */
		return PA_INT;
#else
		(void)v;
		return PA_SAME;
#endif
	}
	k = lua_tolstring(L, -2, &n);
	return pa_is_rate_name(k, n) ? PA_SAME : PA_NO; /* a count that large cannot be trusted */
}

/* A table that is not a non-empty array: what lua-cjson makes of a JSON object. */
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

static int pa_is_empty(lua_State *L, int idx)
{
	lua_pushnil(L);
	if (lua_next(L, idx) == 0)
		return 1;
	lua_pop(L, 2);
	return 0;
}

static int pa_is_null(lua_State *L, int idx)
{
	return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == NULL;
}

/*
 * In a lua_next loop: is the key on top (below its value) a string? lua-cjson
 * makes a JSON object's keys all strings and an array's all integers, so
 * in a table straight from it the first key tells for all; a table from a
 * user has each key looked at.
 */
static int pa_is_string_key(const pa_walker *w, int first)
{
	return (w->trusted && !first) || lua_type(w->L, -2) == LUA_TSTRING;
}

static const pa_field *pa_field_named(const pa_field *f, const char *k, size_t n)
{
	for (; f->name != NULL; f++)
		if (f->len == n && memcmp(f->name, k, n) == 0)
			return f;
	return NULL;
}

static int pa_walk_object(pa_walker *w, const pa_type *t, int tab)
{
	lua_State *L = w->L;
	unsigned long seen = 0, required = 0;
	const pa_field *f;
	int first;
	if (!w->trusted && !pa_is_object(L, tab))
		return 0;
	for (f = t->fields; f->name != NULL; f++)
		if (f->flags & PA_REQ)
			required |= 1UL << (f - t->fields);
	lua_pushnil(L);
	for (first = 1; lua_next(L, tab) != 0; first = 0) {
		int r = PA_SAME;
		f = NULL;
		if (pa_is_string_key(w, first)) {
			size_t n;
			const char *k = lua_tolstring(L, -2, &n);
			f = pa_field_named(t->fields, k, n);
		} else if (w->trusted) {
			lua_pop(L, 2);
			return 0; /* an array */
		}
		if (f != NULL) {
			seen |= 1UL << (f - t->fields);
			if (!((f->flags & PA_NULL) && pa_is_null(L, -1)))
				r = pa_walk(w, f->type);
		} else if (w->general != NULL) {
			r = pa_json_general(L, w->general, &w->v);
		}
		if (!pa_settle_next(L, tab, r, &w->v))
			return 0;
	}
	return (seen & required) == required;
}

static int pa_walk_array(pa_walker *w, const pa_type *t, int tab)
{
	lua_State *L = w->L;
	size_t i, n = lua_rawlen(L, tab);
	if (n == 0)
		return pa_is_empty(L, tab);
	if (n > INT_MAX)
		return 0;
	for (i = 1; i <= n; i++) {
		int r;
		lua_rawgeti(L, tab, (int)i);
		r = pa_walk(w, t->of);
		lua_pop(L, 1);
		if (r == PA_NO)
			return 0;
		if (r != PA_SAME) {
			pa_push_num(L, r, &w->v);
			lua_rawseti(L, tab, (int)i);
		}
	}
	return 1;
}

static int pa_walk_map(pa_walker *w, const pa_type *t, int tab)
{
	lua_State *L = w->L;
	int first;
	if (!w->trusted && !pa_is_object(L, tab))
		return 0;
	lua_pushnil(L);
	for (first = 1; lua_next(L, tab) != 0; first = 0) {
		int r;
		if (!pa_is_string_key(w, first))
			r = PA_NO;
		else if (t->of->kind == PA_K_METRIC) /* the common case, without the dispatch */
			r = lua_type(L, -1) == LUA_TNUMBER ? pa_as_metric(L, &w->v) : PA_NO;
		else
			r = pa_walk(w, t->of);
		if (!pa_settle_next(L, tab, r, &w->v))
			return 0;
	}
	return 1;
}

/* The kind of the ads column named k (n bytes), or -1 when the catalogue has none. */
static int pa_ads_kind(const char *k, size_t n)
{
	size_t lo = 0, hi = sizeof(pa_ads_columns) / sizeof(pa_ads_columns[0]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = pa_ads_columns[mid].name;
		size_t len = strlen(name);
		int c = memcmp(k, name, n < len ? n : len);
		if (c == 0)
			c = n < len ? -1 : (n > len ? 1 : 0);
		if (c == 0)
			return pa_ads_columns[mid].kind;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The number on top as a float (a rate, money in units, a measure). */
static int pa_as_float(lua_State *L, pa_num *v)
{
#if PA_HAVE_INTEGERS
	if (lua_isinteger(L, -1)) {
		v->d = (lua_Number)lua_tointeger(L, -1);
		return PA_FLOAT;
	}
#else
	(void)L;
	(void)v;
#endif
	return PA_SAME;
}

/*
 * An ads analytics row: each value typed by its column's kind. An id sent
 * as a whole number (below 2^53, so exact) becomes its digits, only while
 * decoding (w->trusted), where allocating is allowed; in a value from a
 * user the walk says no.
 */
static int pa_walk_ads_row(pa_walker *w, int tab)
{
	lua_State *L = w->L;
	int first;
	if (!w->trusted && !pa_is_object(L, tab))
		return 0;
	lua_pushnil(L);
	for (first = 1; lua_next(L, tab) != 0; first = 0) {
		int r = PA_SAME, kind = -1, vt = lua_type(L, -1);
		if (pa_is_string_key(w, first)) {
			size_t n;
			const char *k = lua_tolstring(L, -2, &n);
			kind = pa_ads_kind(k, n);
		} else if (w->trusted) {
			lua_pop(L, 2);
			return 0; /* an array */
		}
		if (pa_is_null(L, -1)) {
			r = PA_SAME;
		} else if (kind == PA_ADS_ID) {
			if (vt == LUA_TNUMBER) {
				lua_Number d = lua_tonumber(L, -1);
				char buf[32];
				if (!w->trusted || !(d >= 0 && d < PA_EXACT_LIMIT) || !pa_is_whole(d)) {
					lua_pop(L, 2);
					return 0;
				}
				snprintf(buf, sizeof buf, "%.0f", (double)d);
				lua_pop(L, 1);
				lua_pushvalue(L, -1);
				lua_pushstring(L, buf);
				lua_rawset(L, tab); /* an existing key: allowed while traversing */
				continue;
			}
			r = vt == LUA_TSTRING ? PA_SAME : PA_NO;
		} else if (kind == PA_ADS_COUNT || kind == PA_ADS_MONEY_MICRO) {
			r = vt == LUA_TNUMBER ? pa_as_count(L, &w->v) : PA_NO;
		} else if (kind == PA_ADS_MONEY || kind == PA_ADS_RATE || kind == PA_ADS_FLOAT) {
			r = vt == LUA_TNUMBER ? pa_as_float(L, &w->v) : PA_NO;
		} else if (w->general != NULL) {
			/* a text attribute, or a column the catalogue does not name */
			r = pa_json_general(L, w->general, &w->v);
		}
		if (!pa_settle_next(L, tab, r, &w->v))
			return 0;
	}
	return 1;
}

/* Checks and types the value on top as t. */
static int pa_walk(pa_walker *w, const pa_type *t)
{
	lua_State *L = w->L;
	int vt = lua_type(L, -1);
	switch (t->kind) {
	case PA_K_COUNT:
		return vt == LUA_TNUMBER ? pa_as_count(L, &w->v) : PA_NO;
	case PA_K_NUMBER:
		if (vt != LUA_TNUMBER)
			return PA_NO;
		return w->general != NULL ? pa_json_general(L, w->general, &w->v) : PA_SAME;
	case PA_K_METRIC: /* only in a map (pa_walk_map): its key is the name */
		return PA_NO;
	case PA_K_STRING:
		return vt == LUA_TSTRING ? PA_SAME : PA_NO;
	case PA_K_BOOL:
		return vt == LUA_TBOOLEAN ? PA_SAME : PA_NO;
	case PA_K_DATE: {
		size_t len;
		const char *s;
		int32_t day;
		if (vt != LUA_TSTRING)
			return PA_NO;
		s = lua_tolstring(L, -1, &len);
		return pa_parse_date(s, len, &day) ? PA_SAME : PA_NO;
	}
	case PA_K_OBJECT:
		return vt == LUA_TTABLE && pa_walk_object(w, t, lua_gettop(L)) ? PA_SAME : PA_NO;
	case PA_K_ARRAY:
		return vt == LUA_TTABLE && pa_walk_array(w, t, lua_gettop(L)) ? PA_SAME : PA_NO;
	case PA_K_MAP:
		return vt == LUA_TTABLE && pa_walk_map(w, t, lua_gettop(L)) ? PA_SAME : PA_NO;
	case PA_K_ADS_ROW:
		return vt == LUA_TTABLE && pa_walk_ads_row(w, lua_gettop(L)) ? PA_SAME : PA_NO;
	default:
		return PA_NO;
	}
}

/*
 * Checks and types the decoded value on top as the shape (not
 * PA_SHAPE_NONE); 1 when it has the shape. What the shape does not name
 * is typed by the general rule (g). When it says no, part of the value may
 * be typed already: the caller types it all by the general rule, which
 * gives the same as typing it so from the start (the walk changes only the
 * subtype of whole numbers below 2^53). The caller reserved
 * PA_WALK_STACK slots.
 */
int pa_shape_typed(lua_State *L, int shape, pa_json_ctx *g)
{
	pa_walker w;
	w.L = L;
	w.general = g;
	w.trusted = 1;
	return pa_walk(&w, pa_shape_types[shape]) != PA_NO;
}

/***
 * @module pinanalytics.core
 */

/***
 * Is the value an analytics answer in the documented shape (the "analytics"
 * shape)? Types its numbers in place as the shape says (counts integers,
 * rates floats) and leaves what the shape does not name alone. Raw access
 * only, and nothing is allocated once the walk has started, so neither a
 * metamethod nor a finalizer runs.
 * @function check_analytics
 * @param value any value
 * @treturn boolean
 */
int pa_check_analytics(lua_State *L)
{
	pa_walker w;
	int ok;
	luaL_checkany(L, 1);
	lua_settop(L, 1);
	luaL_checkstack(L, PA_WALK_STACK, "checking an analytics answer");
	w.L = L;
	w.general = NULL;
	w.trusted = 0;
	lua_pushvalue(L, 1);
	ok = pa_walk(&w, &pa_analytics) != PA_NO;
	lua_pushboolean(L, ok);
	return 1;
}

static const char *const pa_ads_kind_names[] = { "id", "count", "money_micro", "money", "rate", "float", "string" };

/***
 * The kind the C core types an ads analytics column by ("id", "count",
 * "money_micro", "money", "rate", "float" or "string"), from its table
 * generated from `pinanalytics.ads.columns`; nil for a name it does not
 * have.
 * @function ads_column_kind
 * @string name a column name, e.g. "SPEND_IN_MICRO_DOLLAR"
 * @treturn string|nil
 */
int pa_ads_column_kind(lua_State *L)
{
	size_t n;
	const char *k = luaL_checklstring(L, 1, &n);
	int kind = pa_ads_kind(k, n);
	if (kind < 0)
		lua_pushnil(L);
	else
		lua_pushstring(L, pa_ads_kind_names[kind]);
	return 1;
}
