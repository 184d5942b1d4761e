/*
 * json.c - JSON text -> Lua values, through a private lua-cjson instance.
 *
 * The instance comes from cjson.new(), so the caller's own cjson settings
 * (cjson.decode_max_depth, cjson.decode_invalid_numbers ...) never change how
 * pinanalytics decodes, and ours never change theirs.
 *
 * lua-cjson 2.1.0 decodes every number as a double, so on Lua 5.3+ a count
 * would come out as 240.0; newer versions return integers for integer
 * literals. To give the same answer with either, the text is scanned once
 * before decoding, and after decoding the values are fixed up:
 *
 *   - an integer literal decodes to a Lua integer (5.3+);
 *   - a literal with a fraction or exponent stays a float, even when its
 *     value is integral ("1.0", "2e3"): such literals are passed to cjson as
 *     marker strings and turned back into floats afterwards;
 *   - an integer literal too long to survive a double (16+ digits) is passed
 *     as a marker string too and converted exactly on 5.3+.
 *
 * JSON null decodes to cjson's null sentinel (a NULL light userdata),
 * exported as pinanalytics.core.null.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"

/* Registry key of the private cjson decode function. */
static const char pa_json_decode_key = 'd';

/* Marker strings: NUL byte, "pa:", kind letter, ':', the literal text. */
#define PA_MARK_PREFIX "\\u0000pa:"
#define PA_MARK_PREFIX_LEN 9 /* strlen(PA_MARK_PREFIX) */
#define PA_MARK_DECODED_LEN 6 /* "\0pa:X:" once decoded */

typedef struct {
	size_t start, len;
	char kind; /* 'f': integral float literal, 'i': long integer literal */
} pa_mark;

typedef struct {
	pa_mark *v;
	size_t n, cap;
} pa_marks;

static int pa_marks_push(pa_marks *m, size_t start, size_t len, char kind)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		pa_mark *v = realloc(m->v, cap * sizeof *v);
		if (v == NULL)
			return 0;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n].start = start;
	m->v[m->n].len = len;
	m->v[m->n].kind = kind;
	m->n++;
	return 1;
}

static int pa_is_num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
	       c == 'E';
}

/*
 * Is the float literal s[0..len) integral (1.0, 2e3, -0.0)? Without an
 * exponent it is when every digit after the point is 0; with one, strtod
 * decides.
 */
static int pa_float_literal_is_integral(const char *s, size_t len)
{
	char small[64];
	char *tmp = small;
	const char *dot = memchr(s, '.', len);
	double d;
	int integral;
	if (memchr(s, 'e', len) == NULL && memchr(s, 'E', len) == NULL) {
		size_t i;
		if (dot == NULL)
			return 1;
		for (i = (size_t)(dot - s) + 1; i < len; i++)
			if (s[i] != '0')
				return 0;
		return 1;
	}
	if (len >= sizeof small) {
		tmp = malloc(len + 1);
		if (tmp == NULL)
			return 1; /* be safe: keep it a float through a marker */
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	d = strtod(tmp, NULL);
	integral = isfinite(d) && d == floor(d);
	if (tmp != small)
		free(tmp);
	return integral;
}

/* The index just past the closing quote of the string opening at s[i]. */
static size_t pa_skip_string(const char *s, size_t len, size_t i)
{
	size_t p = i + 1;
	for (;;) {
		const char *q = p < len ? memchr(s + p, '"', len - p) : NULL;
		size_t at, bs = 0;
		if (q == NULL)
			return len; /* unterminated: cjson reports it */
		at = (size_t)(q - s);
		while (at - bs > i + 1 && s[at - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return at + 1;
		p = at + 1; /* an escaped quote */
	}
}

/*
 * One pass over the text, outside strings, collecting the number literals
 * that need a marker. Malformed text is left for cjson to report.
 * Returns 0 on allocation failure.
 */
static int pa_scan_numbers(const char *s, size_t len, pa_marks *marks)
{
	size_t i = 0;
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = pa_skip_string(s, len, i);
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i, digits = 0;
			int is_float = 0;
			while (i < len && pa_is_num_char(s[i])) {
				if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
					is_float = 1;
				else if (s[i] >= '0' && s[i] <= '9')
					digits++;
				i++;
			}
			if (is_float) {
				if (pa_float_literal_is_integral(s + start, i - start) &&
				    !pa_marks_push(marks, start, i - start, 'f'))
					return 0;
			} else if (digits > 15) {
				if (!pa_marks_push(marks, start, i - start, 'i'))
					return 0;
			}
		} else {
			i++;
		}
	}
	return 1;
}

/* Builds the text with every marked literal replaced by a marker string. */
static char *pa_rewrite(const char *s, size_t len, const pa_marks *marks, size_t *outlen)
{
	size_t extra = marks->n * (PA_MARK_PREFIX_LEN + 4);
	char *out = malloc(len + extra + 1);
	size_t i, pos = 0, o = 0;
	if (out == NULL)
		return NULL;
	for (i = 0; i < marks->n; i++) {
		const pa_mark *m = &marks->v[i];
		memcpy(out + o, s + pos, m->start - pos);
		o += m->start - pos;
		out[o++] = '"';
		memcpy(out + o, PA_MARK_PREFIX, PA_MARK_PREFIX_LEN);
		o += PA_MARK_PREFIX_LEN;
		out[o++] = m->kind;
		out[o++] = ':';
		memcpy(out + o, s + m->start, m->len);
		o += m->len;
		out[o++] = '"';
		pos = m->start + m->len;
	}
	memcpy(out + o, s + pos, len - pos);
	o += len - pos;
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Replaces a marker string at the top of the stack with its number. */
static void pa_unmark(lua_State *L, const char *str, size_t len)
{
	char kind = str[4];
	const char *lit = str + PA_MARK_DECODED_LEN;
	(void)len;
	lua_pop(L, 1);
#if PA_HAVE_INTEGERS
	if (kind == 'i' && lua_stringtonumber(L, lit) != 0)
		return;
#endif
	(void)kind;
	lua_pushnumber(L, (lua_Number)strtod(lit, NULL));
}

static int pa_is_marker(const char *s, size_t len)
{
	return len > PA_MARK_DECODED_LEN && s[0] == '\0' && s[1] == 'p' && s[2] == 'a' &&
	       s[3] == ':' && (s[4] == 'f' || s[4] == 'i') && s[5] == ':';
}

/*
 * Walks the decoded value at idx: integral doubles become integers (5.3+),
 * marker strings become numbers. Counts the markers converted.
 */
static void pa_fixup(lua_State *L, int idx, int depth, size_t *converted)
{
	idx = pa_absindex(L, idx);
	luaL_checkstack(L, 4, "JSON document too deeply nested");
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		int t = lua_type(L, -1);
		if (t == LUA_TTABLE) {
			if (depth < PA_JSON_MAX_DEPTH + 1)
				pa_fixup(L, -1, depth + 1, converted);
		}
#if PA_HAVE_INTEGERS
		else if (t == LUA_TNUMBER && !lua_isinteger(L, -1)) {
			lua_Number d = lua_tonumber(L, -1);
			if (d == floor(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
				lua_pop(L, 1);
				lua_pushvalue(L, -1);
				lua_pushinteger(L, (lua_Integer)d);
				lua_rawset(L, idx);
				continue;
			}
		}
#endif
		else if (t == LUA_TSTRING && *converted != (size_t)-1) {
			size_t len;
			const char *s = lua_tolstring(L, -1, &len);
			if (pa_is_marker(s, len)) {
				pa_unmark(L, s, len);
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_rawset(L, idx);
				(*converted)++;
				continue;
			}
		}
		lua_pop(L, 1);
	}
}

int pa_json_decode(lua_State *L, const char *buf, size_t len)
{
	pa_marks marks = { NULL, 0, 0 };
	char *rewritten = NULL;
	size_t converted = 0;
	int top = lua_gettop(L);

	if (!pa_scan_numbers(buf, len, &marks)) {
		free(marks.v);
		lua_pushliteral(L, "out of memory while scanning JSON");
		return 0;
	}
	pa_rawgetp(L, LUA_REGISTRYINDEX, &pa_json_decode_key);
	if (marks.n > 0) {
		size_t newlen;
		rewritten = pa_rewrite(buf, len, &marks, &newlen);
		if (rewritten == NULL) {
			free(marks.v);
			lua_settop(L, top);
			lua_pushliteral(L, "out of memory while scanning JSON");
			return 0;
		}
		lua_pushlstring(L, rewritten, newlen);
		free(rewritten);
	} else {
		lua_pushlstring(L, buf, len);
	}
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		free(marks.v);
		/* cjson's message, e.g. "Expected value but found invalid token at character 1" */
		return 0;
	}
	if (marks.n == 0)
		converted = (size_t)-1; /* no markers: leave every string alone */
	if (lua_type(L, -1) == LUA_TTABLE) {
		pa_fixup(L, -1, 1, &converted);
	} else if (marks.n > 0 && lua_type(L, -1) == LUA_TSTRING) {
		size_t slen;
		const char *s = lua_tolstring(L, -1, &slen);
		if (pa_is_marker(s, slen)) {
			pa_unmark(L, s, slen);
			converted++;
		}
	} else if (PA_HAVE_INTEGERS && lua_type(L, -1) == LUA_TNUMBER) {
		lua_Number d = lua_tonumber(L, -1);
		if (d == floor(d) && fabs(d) < 9007199254740992.0) {
			lua_pop(L, 1);
			lua_pushinteger(L, (lua_Integer)d);
		}
	}
	if (marks.n > 0 && converted != marks.n) {
		free(marks.v);
		lua_settop(L, top);
		lua_pushliteral(L, "JSON text contains strings that imitate internal number markers");
		return 0;
	}
	free(marks.v);
	return 1;
}

/*
 * Decoding with a known shape: PA_SHAPE_ANALYTICS (one analytics answer,
 * keyed by split) or PA_SHAPE_PINS_ANALYTICS (such answers keyed by pin id).
 * The text goes to cjson as it is (no scan, no marker strings), and one walk
 * (check.c) checks the answer against the schema while giving every number
 * its type from the schema. An answer that walk does not accept is decoded
 * again the general way, so the caller gets exactly what pa_json_decode
 * gives and checks it itself; *shape_ok says which happened.
 */
int pa_json_decode_as(lua_State *L, const char *buf, size_t len, int shape, int *shape_ok)
{
	*shape_ok = 0;
	if (shape != PA_SHAPE_NONE) {
		pa_rawgetp(L, LUA_REGISTRYINDEX, &pa_json_decode_key);
		lua_pushlstring(L, buf, len);
		if (lua_pcall(L, 1, 1, 0) != LUA_OK)
			return 0; /* not JSON: the general way would say the same */
		if (shape == PA_SHAPE_ANALYTICS ? pa_analytics_typed(L, -1) : pa_pins_analytics_typed(L, -1)) {
			*shape_ok = 1;
			return 1;
		}
		lua_pop(L, 1);
	}
	return pa_json_decode(L, buf, len);
}

/* The shape named by the string at idx (none/nil: PA_SHAPE_NONE); raises on an unknown name. */
int pa_check_shape(lua_State *L, int idx)
{
	static const char *const names[] = { "none", "analytics", "pins_analytics", NULL };
	if (lua_isnoneornil(L, idx))
		return PA_SHAPE_NONE;
	return luaL_checkoption(L, idx, NULL, names);
}

/*
 * core.decode(text [, shape]) -> value | nil, message
 * With shape "analytics" or "pins_analytics": value, shape_ok | nil, message
 * (see pa_json_decode_as).
 */
int pa_json_decode_lua(lua_State *L)
{
	size_t len;
	const char *s = luaL_checklstring(L, 1, &len);
	int shape = pa_check_shape(L, 2), shape_ok;
	if (pa_json_decode_as(L, s, len, shape, &shape_ok)) {
		if (shape == PA_SHAPE_NONE)
			return 1;
		lua_pushboolean(L, shape_ok);
		return 2;
	}
	lua_pushnil(L);
	lua_insert(L, -2);
	return 2;
}

static int pa_json_require_failed(lua_State *L)
{
	return luaL_error(L, "pinanalytics.core needs lua-cjson (Debian package lua-cjson, "
	                     "LuaRocks lua-cjson): %s",
	                  lua_tostring(L, -1));
}

/*
 * Creates the private cjson instance and leaves cjson.null on the stack.
 */
void pa_json_open(lua_State *L)
{
	int cj;
	lua_getglobal(L, "require");
	lua_pushliteral(L, "cjson");
	if (lua_pcall(L, 1, 1, 0) != LUA_OK)
		pa_json_require_failed(L);
	lua_getfield(L, -1, "new");
	if (lua_type(L, -1) != LUA_TFUNCTION)
		luaL_error(L, "pinanalytics.core: this lua-cjson has no cjson.new()");
	lua_call(L, 0, 1);
	cj = lua_gettop(L);

	lua_getfield(L, cj, "decode_max_depth");
	lua_pushinteger(L, PA_JSON_MAX_DEPTH);
	lua_call(L, 1, 0);
	lua_getfield(L, cj, "decode_invalid_numbers");
	lua_pushboolean(L, 0);
	lua_call(L, 1, 0);

	lua_getfield(L, cj, "decode");
	pa_rawsetp(L, LUA_REGISTRYINDEX, &pa_json_decode_key);
	lua_getfield(L, cj, "null");
	lua_remove(L, cj);     /* the instance */
	lua_remove(L, cj - 1); /* the module */
}
