/*
 * frame_text.c - a frame as text: RFC 4180 CSV (to_csv) and an aligned
 * table (to_string, tostring), numbers written alike in every locale.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

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

/* Adds the label of row i: YYYY-MM-DD, YYYY-Www or YYYY-MM (buf of at least 48 bytes). */
static void pa_add_label(luaL_Buffer *b, const pa_frame *f, int i, char *buf, size_t size)
{
	size_t n = pa_frame_label(buf, size, f->period, f->dates[i]);
	luaL_addlstring(b, buf, n);
}

/* What closes a line of row i: ",days,partial" by week or month, ",data_status" when asked, CRLF. */
static void pa_add_row_end(luaL_Buffer *b, const pa_frame *f, int i, int status, char *buf, size_t size)
{
	if (f->period != PA_DAY) {
		snprintf(buf, size, ",%d,%s", (int)f->days[i], pa_frame_is_partial(f, i) ? "true" : "false");
		luaL_addstring(b, buf);
	}
	if (status) {
		luaL_addchar(b, ',');
		if (f->status[i] != 0)
			luaL_addstring(b, pa_frame_status_names[f->status[i] - 1]);
	}
	luaL_addstring(b, "\r\n");
}

/*
 * frame:to_csv([opts]) -> RFC 4180 text, CRLF line ends. Numbers as numbers
 * (rates as fractions), a missing value empty. The wide shape (the
 * default, opts.shape = "wide"): a header "date,<series...>,data_status"
 * ("week" or "month" and the labels for a resampled frame, with "days" and
 * "partial" columns before data_status), then one line per row. The long
 * shape (opts.shape = "long"): a header "date,series,metric,value,
 * data_status" (the same first and last columns), then a line per row and
 * series, rows in date order and series in the frame's order: a series name
 * is cut at its last "/" into series (the pin or split; empty without a
 * "/") and metric; with opts.metric (a frame of one metric across pins),
 * the whole name is the series and opts.metric the metric. opts.status =
 * false leaves data_status out.
 */
int pa_frame_to_csv(lua_State *L)
{
	enum { F = 1, OPTS, METRIC, NAMES, COLS };
	pa_frame *f = pa_frame_check(L, F);
	int status = 1, long_shape = 0, i, j;
	pa_str *col;
	const char *metric = NULL;
	size_t metric_len = 0;
	luaL_Buffer b;
	char num[64];

	pa_frame_check_opts(L, OPTS, "to_csv");
	lua_settop(L, OPTS);
	if (!lua_isnil(L, OPTS)) {
		pa_frame_rawfield(L, OPTS, "status");
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TBOOLEAN)
			return luaL_error(L, "pinanalytics.frame: to_csv: opts.status must be a boolean, got %s",
			                  luaL_typename(L, -1));
		if (!lua_isnil(L, -1))
			status = lua_toboolean(L, -1);
		lua_pop(L, 1);
		pa_frame_rawfield(L, OPTS, "shape");
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t len;
			const char *s = lua_tolstring(L, -1, &len);
			if (len == 4 && memcmp(s, "long", 4) == 0)
				long_shape = 1;
			else if (!(len == 4 && memcmp(s, "wide", 4) == 0))
				return luaL_error(L, "pinanalytics.frame: to_csv: opts.shape must be \"wide\" or \"long\", "
				                  "got \"%s\"", pa_frame_push_shown(L, s, len));
		} else if (!lua_isnil(L, -1)) {
			return luaL_error(L, "pinanalytics.frame: to_csv: opts.shape must be \"wide\" or \"long\", got %s",
			                  luaL_typename(L, -1));
		}
		lua_pop(L, 1);
		pa_frame_rawfield(L, OPTS, "metric"); /* METRIC: kept on the stack while it is used */
		if (!lua_isnil(L, METRIC) && lua_type(L, METRIC) != LUA_TSTRING)
			return luaL_error(L, "pinanalytics.frame: to_csv: opts.metric must be a string, got %s",
			                  luaL_typename(L, METRIC));
		if (!lua_isnil(L, METRIC) && !long_shape)
			return luaL_error(L, "pinanalytics.frame: to_csv: opts.metric goes with shape = \"long\" (the wide "
			                  "form names each series in its header)");
		if (!lua_isnil(L, METRIC))
			metric = lua_tolstring(L, METRIC, &metric_len);
	}
	lua_settop(L, METRIC);
	pa_frame_push_names(L, f); /* NAMES */
	col = lua_newuserdata(L, sizeof *col * (size_t)(f->nseries ? f->nseries : 1)); /* COLS */
	pa_get_names(L, NAMES, col, f->nseries);
	/* only C strings go into the buffer: nothing else touches the stack */
	luaL_buffinit(L, &b);
	luaL_addstring(&b, pa_frame_period_names[f->period][0] == 'd' ? "date" : pa_frame_period_names[f->period]);
	if (long_shape) {
		luaL_addstring(&b, ",series,metric,value");
	} else {
		for (j = 0; j < f->nseries; j++) {
			luaL_addchar(&b, ',');
			pa_add_csv_field(&b, col[j].name, col[j].len);
		}
	}
	if (f->period != PA_DAY)
		luaL_addstring(&b, ",days,partial");
	if (status)
		luaL_addstring(&b, ",data_status");
	luaL_addstring(&b, "\r\n");
	for (i = 0; i < f->ndates; i++) {
		size_t n;
		if (long_shape) {
			for (j = 0; j < f->nseries; j++) {
				/* the series before the name's last "/", the metric after it */
				size_t base = metric ? col[j].len : pa_frame_base(col[j].name, col[j].len);
				pa_add_label(&b, f, i, num, sizeof num);
				luaL_addchar(&b, ',');
				pa_add_csv_field(&b, col[j].name, base > 0 && !metric ? base - 1 : base);
				luaL_addchar(&b, ',');
				if (metric)
					pa_add_csv_field(&b, metric, metric_len);
				else
					pa_add_csv_field(&b, col[j].name + base, col[j].len - base);
				luaL_addchar(&b, ',');
				n = pa_csv_number(num, sizeof num, f->values[(size_t)j * (size_t)f->ndates + (size_t)i]);
				luaL_addlstring(&b, num, n);
				pa_add_row_end(&b, f, i, status, num, sizeof num);
			}
			continue;
		}
		pa_add_label(&b, f, i, num, sizeof num);
		for (j = 0; j < f->nseries; j++) {
			luaL_addchar(&b, ',');
			n = pa_csv_number(num, sizeof num, f->values[(size_t)j * (size_t)f->ndates + (size_t)i]);
			luaL_addlstring(&b, num, n);
		}
		pa_add_row_end(&b, f, i, status, num, sizeof num);
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
	if (pa_frame_is_partial(f, i))
		n = snprintf(buf, size, "partial %d/%d days", (int)f->days[i],
		             f->period == PA_WEEK ? 7 : pa_frame_days_in_month(f->dates[i]));
	if (n >= 0 && (size_t)n < size && !PA_FINAL(f->status[i]))
		n += snprintf(buf + n, size - (size_t)n, "%s%s", n > 0 ? ", " : "", pa_frame_status_names[f->status[i] - 1]);
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
int pa_frame_to_string(lua_State *L)
{
	typedef struct {
		const char *name, *shown; /* name and how it shows, kept alive by NAMES and SHOWN */
		size_t len, slen, width;
		int kind;
	} pa_tcol;
	enum { F = 1, OPTS, NAMES, SHOWN, COLS };
	pa_frame *f = pa_frame_check(L, F);
	int max_rows, max_series, head, tail, nrows, ns, i, j, notes = 0;
	size_t lwidth;
	pa_tcol *col;
	luaL_Buffer b;
	char num[512], note[128];
	const char *lhead = f->period == PA_DAY ? "date" : pa_frame_period_names[f->period];

	pa_frame_check_opts(L, OPTS, "to_string");
	lua_settop(L, OPTS);
	if (lua_isnil(L, OPTS)) {
		max_rows = 60;
		max_series = 12;
	} else {
		pa_frame_rawfield(L, OPTS, "max_rows");
		max_rows = pa_frame_arg_count(L, -1, "to_string", "opts.max_rows", 60);
		pa_frame_rawfield(L, OPTS, "max_series");
		max_series = pa_frame_arg_count(L, -1, "to_string", "opts.max_series", 12);
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

	pa_frame_push_names(L, f);                 /* NAMES */
	lua_createtable(L, ns, 0);           /* SHOWN */
	col = lua_newuserdata(L, sizeof *col * (size_t)(ns ? ns : 1)); /* COLS */
	lwidth = f->period == PA_DAY ? 10 : f->period == PA_WEEK ? 8 : 7; /* as wide as a label */
	if (strlen(lhead) > lwidth)
		lwidth = strlen(lhead);
	for (i = 0; i < nrows; i++) {
		int r = i < head ? i : f->ndates - tail + (i - head);
		size_t w = pa_frame_label(num, sizeof num, f->period, f->dates[r]);
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
		base = pa_frame_base(col[j].name, col[j].len);
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
		w = pa_frame_label(num, sizeof num, f->period, f->dates[r]);
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

int pa_frame_tostring(lua_State *L)
{
	lua_settop(L, 1);
	return pa_frame_to_string(L);
}
