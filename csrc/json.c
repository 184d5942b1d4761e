/*
 * json.c - JSON text -> Lua values, through a private lua-cjson instance.
 *
 * The instance comes from cjson.new(), so the caller's own cjson settings
 * (cjson.decode_max_depth, cjson.decode_invalid_numbers ...) never change how
 * pinanalytics decodes, and ours never change theirs. The text goes to it as
 * it is: what lua-cjson refuses is refused, with lua-cjson's message, and a
 * string is never turned into a number.
 *
 * What a number becomes:
 *
 *   - With a shape (an answer of an endpoint the library knows: "analytics",
 *     "top_pins", "pins_list", ...), the schema decides field by field
 *     (check.c): counts are integers, rates floats, IDs strings; a field the
 *     schema does not name follows the general rule below.
 *
 *   - Without one (client:get, core.decode(text)), the general rule: a
 *     number whose value is a whole number with |v| < 2^53 becomes an
 *     integer on Lua 5.3+ (1.0 and 2e3 too); every other number is a float
 *     (0.5, 1e300, 2^53 and beyond: a double that large may already be
 *     rounded). On Lua 5.1/LuaJIT every number is a double.
 *
 * lua-cjson 2.1.0 gives every number as a double, and a literal with more
 * digits than a double holds may come out as a whole number
 * (5.0000000000000001 -> 5.0). The general rule judges the literal, not the
 * double: when the text has a literal that is not a whole number but may
 * have been rounded to one (found by one scan of the text, made only when
 * the rule meets a whole number), that whole number stays a float wherever
 * it appears in that text, because the decoded value cannot tell which
 * literal it came from.
 *
 * JSON null decodes to cjson's null sentinel (a NULL light userdata),
 * exported as pinanalytics.core.null.
 *
 * Nothing here allocates outside Lua: a memory error raised at any point
 * (and re-raised when it happens inside lua-cjson) loses nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "pa.h"

/* Registry key of the private cjson decode function. */
static const char pa_json_decode_key = 'd';

#define PA_EXACT_LIMIT 9007199254740992.0 /* 2^53 */

/* ------------------------------------------- literals rounded to a whole number */

#if PA_HAVE_INTEGERS /* without integers every number stays a double: nothing to tell */

static int pa_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The index just past the closing quote of the string opening at s[i]. */
static size_t pa_skip_string(const char *s, size_t len, size_t i)
{
	size_t p = i + 1;
	for (;;) {
		const char *q = p < len ? memchr(s + p, '"', len - p) : NULL;
		size_t at, bs = 0;
		if (q == NULL)
			return len;
		at = (size_t)(q - s);
		while (at - bs > i + 1 && s[at - bs - 1] == '\\')
			bs++;
		if (bs % 2 == 0)
			return at + 1;
		p = at + 1; /* an escaped quote */
	}
}

/*
 * The number literal at s[*i] (-?digits[.digits][(e|E)[+-]digits]); moves
 * *i past it. When the literal is not a whole number but a double may round
 * it to one, stores that whole number in *out and returns 1.
 *
 * With k significant digits before the point, a value whose fraction
 * starts with z zeros (or nines) is within 10^-(z+1) of a whole number,
 * and a double near it is spaced about 2.2e-16 * 10^k apart: it can round
 * to that whole number only when k + z >= 15. Below 1, only a value so
 * small that it underflows (300 zeros or more) rounds to 0.
 */
static int pa_rounded_literal(const char *s, size_t len, size_t *i, lua_Number *out)
{
	size_t p = *i, int_at, int_len, frac_at = 0, frac_len = 0, n, j;
	long long exp = 0, point, f0;
	int neg = 0, exp_neg = 0, k = 0;
	char first;
	lua_Number whole = 0;

	if (s[p] == '-') {
		neg = 1;
		p++;
	}
	int_at = p;
	while (p < len && pa_is_digit(s[p]))
		p++;
	int_len = p - int_at;
	if (p < len && s[p] == '.') {
		frac_at = ++p;
		while (p < len && pa_is_digit(s[p]))
			p++;
		frac_len = p - frac_at;
	}
	if (p < len && (s[p] == 'e' || s[p] == 'E')) {
		p++;
		if (p < len && (s[p] == '+' || s[p] == '-'))
			exp_neg = s[p++] == '-';
		for (; p < len && pa_is_digit(s[p]); p++)
			if (exp < 100000000)
				exp = exp * 10 + (s[p] - '0');
		if (exp_neg)
			exp = -exp;
	}
	*i = p;
	if (frac_len == 0 && exp >= 0)
		return 0; /* an integer literal */

	/* the digits int||frac, with the point after the first `point` of them */
#define PA_DIGIT(x) ((size_t)(x) < int_len ? s[int_at + (x)] : s[frac_at + (x) - int_len])
	n = int_len + frac_len;
	point = (long long)int_len + exp;
	if (point >= (long long)n)
		return 0; /* a whole number */
	f0 = point > 0 ? point : 0;
	for (j = 0; j < (size_t)f0; j++) {
		char d = PA_DIGIT(j);
		if (k == 0 && d == '0')
			continue;
		if (++k > 16)
			return 0; /* 10^16 and beyond: a float by the rule anyway */
		whole = whole * 10 + (d - '0');
	}
	/* the fraction: -point implicit zeros, then the digits from f0 */
	first = point < 0 ? '0' : PA_DIGIT(f0);
	if (first != '0' && first != '9')
		return 0;
	{
		long long run = point < 0 ? -point : 0;
		for (j = (size_t)f0; j < n && PA_DIGIT(j) == first; j++)
			run++;
		if (j == n && first == '0')
			return 0; /* only zeros after the point: a whole number */
		if (first == '0' ? (k > 0 ? k + run < 15 : run < 300) : k + run < 15)
			return 0;
		if (first == '9')
			whole += 1;
	}
#undef PA_DIGIT
	*out = neg ? -whole : whole;
	return 1;
}

/* One pass over the text outside strings: the whole numbers that literals
 * may have been rounded to, stored in out (when not NULL); returns how many. */
static size_t pa_scan_rounded(const char *s, size_t len, lua_Number *out)
{
	size_t i = 0, n = 0;
	while (i < len) {
		char c = s[i];
		if (c == '"') {
			i = pa_skip_string(s, len, i);
		} else if (c == '-' || pa_is_digit(c)) {
			lua_Number v;
			if (pa_rounded_literal(s, len, &i, &v)) {
				if (out != NULL)
					out[n] = v;
				n++;
			}
		} else {
			i++;
		}
	}
	return n;
}

static int pa_cmp_number(const void *a, const void *b)
{
	lua_Number x = *(const lua_Number *)a, y = *(const lua_Number *)b;
	return x < y ? -1 : x > y;
}

/* Is the whole number d one that a literal of the text may have been rounded to? */
static int pa_is_rounded(lua_State *L, pa_json_ctx *c, lua_Number d)
{
	if (!c->scanned) {
		size_t n = pa_scan_rounded(c->text, c->len, NULL);
		c->scanned = 1;
		if (n > 0) {
			/* owned by the GC (held in the reserved slot): a raise loses nothing */
			lua_Number *v = lua_newuserdata(L, n * sizeof *v);
			lua_replace(L, c->slot);
			pa_scan_rounded(c->text, c->len, v);
			qsort(v, n, sizeof *v, pa_cmp_number);
			c->rounded = v;
			c->n = n;
		}
	}
	return c->n > 0 && bsearch(&d, c->rounded, c->n, sizeof d, pa_cmp_number) != NULL;
}
#endif

/* ------------------------------------------------------------ the general rule */

/*
 * The general rule for the value on top (a table: everything in it, in
 * place); PA_SAME, or PA_INT/PA_FLOAT with the new value in *out. Depth is
 * bounded by lua-cjson's (PA_JSON_MAX_DEPTH); the caller reserved
 * PA_WALK_STACK slots.
 */
int pa_json_general(lua_State *L, pa_json_ctx *c, pa_num *out)
{
	int t = lua_type(L, -1);
	if (t == LUA_TTABLE) {
		int tab = lua_gettop(L);
		lua_pushnil(L);
		while (lua_next(L, tab) != 0)
			pa_settle_next(L, tab, pa_json_general(L, c, out), out);
		return PA_SAME;
	}
#if PA_HAVE_INTEGERS
	if (t == LUA_TNUMBER) {
		lua_Number d = lua_tonumber(L, -1);
		int whole = d > -PA_EXACT_LIMIT && d < PA_EXACT_LIMIT && pa_is_whole(d) && !pa_is_rounded(L, c, d);
		if (lua_isinteger(L, -1) ? whole : !whole)
			return PA_SAME;
		if (whole) {
			out->i = (lua_Integer)d;
			return PA_INT;
		}
		out->d = d; /* an integer from 2^53 on */
		return PA_FLOAT;
	}
#else
	(void)c;
	(void)out;
#endif
	return PA_SAME;
}

/*
 * Is the error on top of the stack the interpreter's interrupt? lua.c and
 * luajit.c catch SIGINT with a hook that raises "interrupted!" (after the
 * position it landed at, if any) at the next call or instruction: when that
 * is the decoder's, the error is Ctrl-C, not a property of the text.
 */
static int pa_is_interrupt(lua_State *L)
{
	static const char word[] = "interrupted!";
	size_t len, n = sizeof word - 1;
	const char *s, *nl;
	if (lua_type(L, -1) != LUA_TSTRING)
		return 0;
	s = lua_tolstring(L, -1, &len);
	nl = memchr(s, '\n', len);
	if (nl != NULL)
		len = (size_t)(nl - s); /* its first line */
	return len >= n && memcmp(s + len - n, word, n) == 0;
}

/*
 * Decodes the text on top of the stack, replacing it with the value (1) or
 * lua-cjson's message (0). With a shape, *shape_ok says whether the value
 * has it (then typed by the schema; otherwise by the general rule).
 * Raises only for memory errors and an interrupt (Ctrl-C), which are not
 * properties of the text; the caller runs no libcurl frame meanwhile.
 */
static int pa_decode_top(lua_State *L, int shape, int *shape_ok)
{
	int text = lua_gettop(L), rc;
	pa_json_ctx c;
	*shape_ok = 0;
	luaL_checkstack(L, PA_WALK_STACK, "decoding JSON");
	c.text = lua_tolstring(L, text, &c.len);
	c.slot = text + 1;
	c.scanned = 0;
	c.n = 0;
	c.rounded = NULL;
	lua_pushnil(L); /* the slot: what pa_is_rounded finds, once it looked */
	pa_rawgetp(L, LUA_REGISTRYINDEX, &pa_json_decode_key);
	lua_pushvalue(L, text);
	rc = lua_pcall(L, 1, 1, 0);
	if (rc == LUA_ERRMEM || (rc == LUA_ERRRUN && pa_is_interrupt(L)))
		lua_error(L); /* not a property of the text */
	if (rc == LUA_OK) {
		if (shape != PA_SHAPE_NONE)
			*shape_ok = pa_shape_typed(L, shape, &c);
		if (!*shape_ok) {
			pa_num v;
			int r = pa_json_general(L, &c, &v);
			if (r != PA_SAME) { /* a number at the top level */
				lua_pop(L, 1);
				pa_push_num(L, r, &v);
			}
		}
	}
	/* else: cjson's message, e.g. "Expected value but found invalid token at character 1" */
	lua_replace(L, text);
	lua_settop(L, text);
	return rc == LUA_OK;
}

int pa_json_decode_as(lua_State *L, const char *buf, size_t len, int shape, int *shape_ok)
{
	lua_pushlstring(L, buf, len);
	return pa_decode_top(L, shape, shape_ok);
}

int pa_json_decode(lua_State *L, const char *buf, size_t len)
{
	int shape_ok;
	return pa_json_decode_as(L, buf, len, PA_SHAPE_NONE, &shape_ok);
}

/***
 * @module pinanalytics.core
 */

/***
 * Decodes JSON text with the library's own lua-cjson instance (the caller's
 * cjson settings are neither used nor changed; documents nested deeper than
 * 64 levels are refused). Without a shape, a whole number with |v| < 2^53
 * becomes an integer on Lua 5.3+ and every other number a float; JSON null
 * is `null`.
 * @function decode
 * @string text
 * @string[opt] shape as for `Session:request`: the value is checked and typed field by field
 * @return[1] the value
 * @treturn[1] boolean with a shape: whether the value has it
 * @treturn[2] nil
 * @treturn[2] string lua-cjson's message
 */
int pa_json_decode_lua(lua_State *L)
{
	int shape, shape_ok;
	luaL_checklstring(L, 1, NULL);
	shape = pa_check_shape(L, 2);
	lua_pushvalue(L, 1); /* the caller's string itself: no copy of the text */
	if (pa_decode_top(L, shape, &shape_ok)) {
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
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		if (pa_is_interrupt(L))
			lua_error(L); /* Ctrl-C, as it is */
		pa_json_require_failed(L);
	}
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
