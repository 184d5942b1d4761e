/*
 * xfer.c - one libcurl easy handle with its response buffers: the part a
 * Session (one blocking request at a time) and a Batch (many at once over
 * the multi interface) have in common.
 *
 * No Lua code ever runs inside a libcurl callback: the write and header
 * callbacks only append to C buffers, and the Lua values are built after
 * libcurl has returned. A Lua error therefore never crosses a libcurl frame.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"

#define PA_MAX_HEADER_BYTES (256 * 1024)
/* Buffers larger than these are given back after each request: a Batch has
 * one pair per slot (up to 1024), and one large answer must not keep its
 * memory for the handle's lifetime. Usual answers stay well below. */
#define PA_KEEP_BODY_BYTES (256 * 1024)
#define PA_KEEP_HEAD_BYTES (64 * 1024)
/* libcurl refuses a single header line longer than this (CURL_MAX_HTTP_HEADER) */
#define PA_CURL_MAX_HEADER_LINE "100 KiB"
#define PA_MAX_TIMEOUT 2147483.0 /* seconds: the milliseconds fit a 32-bit long */
#define PA_MAX_HEADER_LINES 64
#define PA_MAX_METHOD 20

/* ---------------------------------------------------------------- buffers */

static int pa_buf_append(pa_buf *b, const char *data, size_t n)
{
	if (n > SIZE_MAX / 4 - b->len)
		return 0;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 1;
}

static void pa_buf_free(pa_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void pa_buf_trim(pa_buf *b, size_t keep)
{
	if (b->cap > keep)
		pa_buf_free(b);
}

/* ------------------------------------------------------------ use guard */

static const char pa_guard_key = 0;    /* registry: the trampoline */
static const char pa_guard_active = 0; /* registry: the call it may run next, or false */

typedef struct {
	int (*fn)(lua_State *L, void *arg);
	void *arg;
} pa_guard_call;

/* Runs the call pa_guard_run has just announced, and only that one: the
 * trampoline can be reached from Lua through debug.getregistry(), and must
 * not follow any other pointer. */
static int pa_guard_trampoline(lua_State *L)
{
	pa_guard_call *c = lua_touserdata(L, 1);
	int ok;
	pa_rawgetp(L, LUA_REGISTRYINDEX, &pa_guard_active);
	ok = lua_type(L, 1) == LUA_TLIGHTUSERDATA && c != NULL && lua_touserdata(L, -1) == (void *)c;
	lua_pop(L, 1);
	if (!ok)
		return luaL_error(L, "pinanalytics: internal function");
	lua_pushboolean(L, 0);
	pa_rawsetp(L, LUA_REGISTRYINDEX, &pa_guard_active);
	return c->fn(L, c->arg);
}

/* The trampoline is kept in the registry: pushing it again later allocates
 * nothing (on Lua 5.1 and LuaJIT lua_pushcfunction makes a closure), so
 * nothing can run between the caller's last check and u->busy = 1. The
 * announced call has a registry slot already, so setting it allocates
 * nothing either. */
void pa_guard_open(lua_State *L)
{
	lua_pushcfunction(L, pa_guard_trampoline);
	pa_rawsetp(L, LUA_REGISTRYINDEX, &pa_guard_key);
	lua_pushboolean(L, 0);
	pa_rawsetp(L, LUA_REGISTRYINDEX, &pa_guard_active);
}

int pa_guard_run(lua_State *L, pa_use *u, int (*fn)(lua_State *L, void *arg), void *arg)
{
	pa_guard_call c;
	int status;
	c.fn = fn;
	c.arg = arg;
	pa_rawgetp(L, LUA_REGISTRYINDEX, &pa_guard_key);
	lua_pushlightuserdata(L, &c);
	lua_pushvalue(L, -1);
	pa_rawsetp(L, LUA_REGISTRYINDEX, &pa_guard_active);
	u->busy = 1;
	status = lua_pcall(L, 1, LUA_MULTRET, 0);
	u->busy = 0;
	return status;
}

/* ---------------------------------------------------- libcurl callbacks */

static size_t pa_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_xfer *x = ud;
	size_t n = size * nmemb;
	x->body_started = 1;
	if (n > x->max_body - x->body.len) {
		x->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (!pa_buf_append(&x->body, data, n)) {
		x->oom = 1;
		return 0;
	}
	return n;
}

/*
 * Called once per header line. head_state: 0 before a status line, 1 inside
 * a header block, 2 after its blank line. A status line that starts a block
 * before the body (after a 100 Continue) starts the buffer again: only the
 * last block is kept. Trailers after the body are added to it.
 */
static size_t pa_header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_xfer *x = ud;
	size_t n = size * nmemb;
	if (x->head_state != 1 && !x->body_started && n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		x->head.len = 0;
		x->head_state = 1;
	} else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) {
		x->head_state = 2;
	}
	if (n > PA_MAX_HEADER_BYTES - x->head.len) {
		x->head_too_large = 1;
		return 0;
	}
	if (!pa_buf_append(&x->head, data, n)) {
		x->oom = 1;
		return 0;
	}
	return n;
}

/* ---------------------------------------------------------- checks */

/* ASCII only, whatever the locale the host program set */
static int pa_is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static int pa_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int pa_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || pa_is_digit(c);
}

static int pa_is_xdigit(unsigned char c)
{
	return pa_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char pa_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* RFC 9110 token characters (header names) */
static int pa_is_tchar(unsigned char c)
{
	return pa_is_alnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The bearer token: no control character (CR, LF, NUL...) and no space. */
static int pa_token_ok(const char *s, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++)
		if (pa_is_ctl((unsigned char)s[i]) || s[i] == ' ')
			return 0;
	return 1;
}

/* A "Name: value" line: a token name, a colon, a value without control
 * characters other than HTAB. */
static int pa_header_line_ok(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && pa_is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i == len || s[i] != ':')
		return 0;
	for (i++; i < len; i++)
		if (pa_is_ctl((unsigned char)s[i]) && s[i] != '\t')
			return 0;
	return 1;
}

const char *pa_check_method(lua_State *L, int idx, const char *fn)
{
	size_t len, i;
	const char *m = luaL_checklstring(L, idx, &len);
	int ok = len >= 1 && len <= PA_MAX_METHOD;
	for (i = 0; ok && i < len; i++)
		ok = (m[i] >= 'A' && m[i] <= 'Z') || (m[i] >= 'a' && m[i] <= 'z');
	if (!ok)
		luaL_error(L, "%s: argument 'method' must be an HTTP method of 1..%d letters (A-Z, a-z)", fn,
		           PA_MAX_METHOD);
	return m;
}

/* The path and query appended to base_url. It must start with "/": "@host"
 * or ":port" would change where the request (and its token) goes. It is not
 * echoed: a query may carry a key. */
const char *pa_check_target(lua_State *L, int idx, size_t *len, const char *fn)
{
	const char *t = luaL_checklstring(L, idx, len);
	size_t i;
	if (*len == 0 || t[0] != '/')
		luaL_error(L, "%s: argument 'target' must start with \"/\" (a path and query appended to base_url)", fn);
	for (i = 0; i < *len; i++)
		if (pa_is_ctl((unsigned char)t[i]) || t[i] == ' ')
			luaL_error(L, "%s: argument 'target' must not contain spaces or control characters "
			              "(byte %d at position %d)", fn, (int)(unsigned char)t[i], (int)i + 1);
	return t;
}

/* A token argument (nil: no token); the value is never echoed. */
const char *pa_check_token_arg(lua_State *L, int idx, const char *fn)
{
	size_t len;
	const char *t;
	if (lua_isnoneornil(L, idx))
		return NULL;
	t = luaL_checklstring(L, idx, &len);
	if (!pa_token_ok(t, len))
		luaL_error(L, "%s: argument 'token' must not contain control characters (CR, LF, NUL...) or spaces: "
		              "it goes into the Authorization header", fn);
	return t;
}

/* ---------------------------------------------------------------- base_url */

static int pa_is_loopback(const char *h, size_t n)
{
	static const char lh[] = "localhost";
	size_t i;
	int part = 0, digits = 0, value = 0, first = -1;
	if (n == sizeof lh - 1) {
		for (i = 0; i < n && pa_lower(h[i]) == lh[i]; i++)
			;
		if (i == n)
			return 1;
	}
	if (n == 5 && memcmp(h, "[::1]", 5) == 0)
		return 1;
	/* 127.a.b.c: four decimal parts of 0..255 without leading zeros, so
	 * that no resolver can read them another way (octal, 127.1, 2130706433) */
	for (i = 0; i <= n; i++) {
		if (i == n || h[i] == '.') {
			if (digits == 0 || value > 255 || part > 3)
				return 0;
			if (part == 0)
				first = value;
			part++;
			digits = value = 0;
		} else if (pa_is_digit((unsigned char)h[i])) {
			if (digits == 1 && value == 0)
				return 0; /* a leading zero */
			if (++digits > 3)
				return 0;
			value = value * 10 + (h[i] - '0');
		} else {
			return 0;
		}
	}
	return part == 4 && first == 127;
}

/*
 * base_url: http:// or https://, a host (a name, a dotted quad or an IPv6
 * literal in brackets), an optional port, an optional path; no userinfo,
 * query, fragment, backslash, space or control character. Plain http:// only
 * to a loopback host unless allow_plain_http: the token and the client's
 * credentials would travel unencrypted.
 */
static void pa_check_base_url(lua_State *L, const char *fn, const pa_config *c)
{
	const char *u = c->base_url, *h = NULL, *e = c->base_url + c->base_len, *p;
	int https = 0;
	size_t hl;
	if (memchr(u, '@', c->base_len) != NULL)
		luaL_error(L, "%s: option 'base_url' must not contain '@' (credentials in a URL are refused: "
		              "use the options token, or username and password)", fn);
	if (c->base_len >= 8 && memcmp(u, "https://", 8) == 0)
		https = 1, h = u + 8;
	else if (c->base_len >= 7 && memcmp(u, "http://", 7) == 0)
		https = 0, h = u + 7;
	else
		luaL_error(L, "%s: option 'base_url' must start with http:// or https://", fn);
	p = h;
	if (p < e && *p == '[') {
		while (++p < e && (pa_is_xdigit((unsigned char)*p) || *p == ':' || *p == '.'))
			;
		if (p >= e || *p != ']' || p - h < 3)
			goto bad;
		p++;
	} else {
		while (p < e && (pa_is_alnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
			p++;
	}
	hl = (size_t)(p - h);
	if (hl == 0 || hl > 255)
		goto bad;
	if (p < e && *p == ':') {
		long port = 0;
		int digits = 0;
		while (++p < e && pa_is_digit((unsigned char)*p) && digits < 6)
			port = port * 10 + (*p - '0'), digits++;
		if (digits == 0 || port < 1 || port > 65535)
			goto bad;
	}
	if (p < e && *p != '/')
		goto bad;
	for (; p < e; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '?' || *p == '#' || *p == '\\')
			goto bad;
	if (!https && !c->allow_plain_http && !pa_is_loopback(h, hl)) {
		lua_pushlstring(L, h, hl);
		luaL_error(L, "%s: option 'base_url' is plain http:// to host '%s', which is not loopback "
		              "(127.0.0.0/8, [::1], localhost): the token and credentials would travel unencrypted; "
		              "use https:// or set allow_plain_http = true", fn, lua_tostring(L, -1));
	}
	return;
bad:
	luaL_error(L, "%s: option 'base_url' must be http(s)://host[:port][/path] with a port in 1..65535 and "
	              "no query, fragment, backslash, space or control character", fn);
}

/* ---------------------------------------------------------------- options */

/* Pushes t[k] read raw (no __index), and checks its type (nil is allowed). */
static int pa_rawopt(lua_State *L, int t, const char *fn, const char *k, int type)
{
	lua_pushstring(L, k);
	lua_rawget(L, t);
	if (lua_isnil(L, -1))
		return 0;
	if (lua_type(L, -1) != type && type == LUA_TBOOLEAN)
		luaL_error(L, "%s: option '%s' must be a boolean", fn, k);
	if (lua_type(L, -1) != type)
		luaL_error(L, "%s: option '%s' must be a %s, got %s", fn, k, lua_typename(L, type), luaL_typename(L, -1));
	return 1;
}

/* A string option, left on the stack (nil when absent, and then dflt). */
static const char *pa_optstring(lua_State *L, int t, const char *fn, const char *k, const char *dflt, size_t *len)
{
	const char *v;
	size_t l;
	if (!pa_rawopt(L, t, fn, k, LUA_TSTRING)) {
		if (len != NULL)
			*len = dflt != NULL ? strlen(dflt) : 0;
		return dflt;
	}
	v = lua_tolstring(L, -1, &l);
	if (len != NULL)
		*len = l;
	return v;
}

/* A number option within [min, max]; whole: only whole numbers. */
static double pa_optnumber(lua_State *L, int t, const char *fn, const char *k, double dflt, double min, double max,
                           int whole)
{
	double v;
	if (!pa_rawopt(L, t, fn, k, LUA_TNUMBER)) {
		lua_pop(L, 1);
		return dflt;
	}
	v = (double)lua_tonumber(L, -1);
	lua_pop(L, 1);
	if (!(v >= min && v <= max) || (whole && v != floor(v))) {
		char lo[32], hi[32];
		snprintf(lo, sizeof lo, whole ? "%.0f" : "%g", min);
		snprintf(hi, sizeof hi, whole ? "%.0f" : "%.0f", max);
		lua_pushnumber(L, (lua_Number)v);
		luaL_error(L, "%s: option '%s' must be %s in %s..%s, got %s", fn, k,
		           whole ? (strcmp(k, "max_body") == 0 ? "a whole number of bytes" : "a whole number")
		                 : "a number of seconds",
		           lo, hi, lua_tostring(L, -1));
	}
	return v;
}

static void pa_check_chars(lua_State *L, const char *fn, const char *k, const char *v, size_t len,
                           int (*bad)(unsigned char c), const char *what)
{
	size_t i;
	for (i = 0; v != NULL && i < len; i++)
		if (bad((unsigned char)v[i]))
			luaL_error(L, "%s: option '%s' must not contain %s", fn, k, what);
}

static int pa_bad_token(unsigned char c) { return pa_is_ctl(c) || c == ' '; }
static int pa_bad_ua(unsigned char c) { return pa_is_ctl(c); }
static int pa_bad_user(unsigned char c) { return c == 0 || c == ':'; }
static int pa_bad_nul(unsigned char c) { return c == 0; }

/* The largest max_body: every whole number up to 2^53 is exact in a double,
 * and the buffer size must fit a size_t. */
static double pa_max_body_limit(void)
{
	double lim = 9007199254740992.0;
	if ((double)(SIZE_MAX / 4) < lim)
		lim = (double)(SIZE_MAX / 4);
	return lim;
}

static const char *const pa_option_names[] = { "base_url", "token", "user_agent", "ca_file", "username", "password",
	                                       "timeout", "connect_timeout", "max_body", "tls_verify",
	                                       "allow_plain_http", "concurrency", "events", NULL };

/*
 * Reads the options table at t raw, each option once, checking its type and
 * range. The strings stay on the stack (see pa_config).
 */
void pa_config_read(lua_State *L, int t, const char *fn, int with_concurrency, pa_config *c)
{
	size_t tlen, ualen, ulen, plen, clen;
	luaL_checktype(L, t, LUA_TTABLE);
	t = pa_absindex(L, t);
	luaL_checkstack(L, 16, "pinanalytics: options");
	/* unknown names are mistakes (allow_plain_htp = true would do nothing) */
	lua_pushnil(L);
	while (lua_next(L, t) != 0) {
		const char *k;
		int i;
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: option names must be strings, got %s", fn, luaL_typename(L, -1));
		k = lua_tostring(L, -1);
		for (i = 0; pa_option_names[i] != NULL && strcmp(pa_option_names[i], k) != 0; i++)
			;
		if (pa_option_names[i] == NULL ||
		    (!with_concurrency && (strcmp(k, "concurrency") == 0 || strcmp(k, "events") == 0)))
			luaL_error(L, "%s: unknown option '%s'", fn, k);
	}
	c->base_url = pa_optstring(L, t, fn, "base_url", NULL, &c->base_len);
	if (c->base_url == NULL)
		luaL_error(L, "%s: option 'base_url' is required", fn);
	c->token = pa_optstring(L, t, fn, "token", NULL, &tlen);
	c->user_agent = pa_optstring(L, t, fn, "user_agent", "pinanalytics/" PA_VERSION, &ualen);
	c->ca_file = pa_optstring(L, t, fn, "ca_file", NULL, &clen);
	c->username = pa_optstring(L, t, fn, "username", NULL, &ulen);
	c->password = pa_optstring(L, t, fn, "password", NULL, &plen);
	c->timeout = pa_optnumber(L, t, fn, "timeout", 30.0, 0.001, PA_MAX_TIMEOUT, 0);
	c->connect_timeout = pa_optnumber(L, t, fn, "connect_timeout", 10.0, 0.001, PA_MAX_TIMEOUT, 0);
	c->max_body = pa_optnumber(L, t, fn, "max_body", 64.0 * 1024 * 1024, 1.0, pa_max_body_limit(), 1);
	c->concurrency = with_concurrency ? (int)pa_optnumber(L, t, fn, "concurrency", 8, 1, 1024, 1) : 0;
	c->events = 0;
	if (with_concurrency) {
		if (pa_rawopt(L, t, fn, "events", LUA_TBOOLEAN))
			c->events = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	c->tls_verify = pa_rawopt(L, t, fn, "tls_verify", LUA_TBOOLEAN) ? lua_toboolean(L, -1) : 1;
	c->allow_plain_http = pa_rawopt(L, t, fn, "allow_plain_http", LUA_TBOOLEAN) ? lua_toboolean(L, -1) : 0;
	lua_pop(L, 2);
	/* what becomes a header: never a CR, LF or NUL (the values are not echoed) */
	pa_check_chars(L, fn, "token", c->token, tlen, pa_bad_token,
	               "control characters (CR, LF, NUL...) or spaces: it goes into the Authorization header");
	pa_check_chars(L, fn, "user_agent", c->user_agent, ualen, pa_bad_ua,
	               "control characters (CR, LF, NUL...): it goes into the User-Agent header");
	pa_check_chars(L, fn, "username", c->username, ulen, pa_bad_user, "NUL or ':'");
	pa_check_chars(L, fn, "password", c->password, plen, pa_bad_nul, "NUL");
	pa_check_chars(L, fn, "ca_file", c->ca_file, clen, pa_bad_nul, "NUL");
	pa_check_base_url(L, fn, c);
}

/* ---------------------------------------------------------------- headers */

struct curl_slist *pa_slist_add(lua_State *L, struct curl_slist *list, const char *h)
{
	struct curl_slist *n = curl_slist_append(list, h);
	if (n == NULL) {
		curl_slist_free_all(list);
		luaL_error(L, "pinanalytics: out of memory");
	}
	return n;
}

/* The token has been checked (pa_config_read, pa_check_token_arg). */
struct curl_slist *pa_default_headers(lua_State *L, const char *token)
{
	struct curl_slist *list = NULL;
	list = pa_slist_add(L, list, "Accept: application/json");
	list = pa_slist_add(L, list, "Expect:");
	if (token != NULL && token[0] != '\0') {
		static const char prefix[] = "Authorization: Bearer ";
		size_t tl = strlen(token);
		char *h = malloc(tl + sizeof prefix);
		struct curl_slist *n;
		if (h == NULL) {
			curl_slist_free_all(list);
			luaL_error(L, "pinanalytics: out of memory");
		}
		memcpy(h, prefix, sizeof prefix - 1);
		memcpy(h + sizeof prefix - 1, token, tl + 1);
		n = curl_slist_append(list, h);
		memset(h, 0, tl + sizeof prefix);
		free(h);
		if (n == NULL) {
			curl_slist_free_all(list);
			luaL_error(L, "pinanalytics: out of memory");
		}
		list = n;
	}
	return list;
}

/*
 * The default list plus the "Name: value" strings of the array at idx, for
 * one request. Every element is checked before anything is allocated, and
 * nothing between the check and the copy runs Lua code, so an error leaks
 * nothing and the lines sent are the lines checked. Lines are not echoed:
 * one may carry a credential.
 */
struct curl_slist *pa_headers_with(lua_State *L, struct curl_slist *base, int idx, const char *fn)
{
	int i, n;
	size_t rawn;
	struct curl_slist *it, *list = NULL;
	luaL_checktype(L, idx, LUA_TTABLE);
	rawn = lua_rawlen(L, idx);
	if (rawn > PA_MAX_HEADER_LINES)
		luaL_error(L, "%s: argument 'headers' has %d lines, at most %d are allowed", fn,
		           rawn > 1000000 ? 1000000 : (int)rawn, PA_MAX_HEADER_LINES);
	n = (int)rawn;
	for (i = 1; i <= n; i++) {
		size_t len;
		const char *h;
		lua_rawgeti(L, idx, i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: headers[%d] must be a string, got %s", fn, i, luaL_typename(L, -1));
		h = lua_tolstring(L, -1, &len);
		if (!pa_header_line_ok(h, len))
			luaL_error(L, "%s: headers[%d] must be \"Name: value\" with a token name and no control "
			              "characters (CR, LF, NUL...) in the value", fn, i);
		lua_pop(L, 1);
	}
	for (it = base; it != NULL; it = it->next)
		list = pa_slist_add(L, list, it->data);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, i);
		list = pa_slist_add(L, list, lua_tostring(L, -1));
		lua_pop(L, 1);
	}
	return list;
}

/* ---------------------------------------------------------------- transfers */

#define PA_SETOPT(L, easy, opt, val)                                                   \
	do {                                                                           \
		CURLcode rc_ = curl_easy_setopt((easy), (opt), (val));                 \
		if (rc_ != CURLE_OK)                                                   \
			luaL_error((L), "pinanalytics: libcurl rejected option %s: %s", \
			           #opt, curl_easy_strerror(rc_));                     \
	} while (0)

void pa_xfer_init(lua_State *L, pa_xfer *x, const pa_config *c)
{
	/* the ranges were checked by pa_config_read; ceil: 0 would mean "no timeout" */
	x->max_body = (size_t)c->max_body;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		luaL_error(L, "pinanalytics: curl_easy_init failed");
	PA_SETOPT(L, x->easy, CURLOPT_NOSIGNAL, 1L);
	PA_SETOPT(L, x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	PA_SETOPT(L, x->easy, CURLOPT_WRITEFUNCTION, pa_write_cb);
	PA_SETOPT(L, x->easy, CURLOPT_WRITEDATA, x);
	PA_SETOPT(L, x->easy, CURLOPT_HEADERFUNCTION, pa_header_cb);
	PA_SETOPT(L, x->easy, CURLOPT_HEADERDATA, x);
	PA_SETOPT(L, x->easy, CURLOPT_PRIVATE, x);
	PA_SETOPT(L, x->easy, CURLOPT_USERAGENT, c->user_agent);
	PA_SETOPT(L, x->easy, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl supports */
	PA_SETOPT(L, x->easy, CURLOPT_TIMEOUT_MS, (long)ceil(c->timeout * 1000.0));
	PA_SETOPT(L, x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)ceil(c->connect_timeout * 1000.0));
	PA_SETOPT(L, x->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
	PA_SETOPT(L, x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	PA_SETOPT(L, x->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	PA_SETOPT(L, x->easy, CURLOPT_TCP_NODELAY, 1L);
	PA_SETOPT(L, x->easy, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L : 0L);
	PA_SETOPT(L, x->easy, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L : 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	PA_SETOPT(L, x->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	PA_SETOPT(L, x->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (c->ca_file != NULL)
		PA_SETOPT(L, x->easy, CURLOPT_CAINFO, c->ca_file);
	if (c->username != NULL) {
		/* HTTP Basic credentials (the OAuth token endpoint); libcurl builds the header */
		PA_SETOPT(L, x->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		PA_SETOPT(L, x->easy, CURLOPT_USERNAME, c->username);
		PA_SETOPT(L, x->easy, CURLOPT_PASSWORD, c->password != NULL ? c->password : "");
	}
}

/* Every option is checked: a URL libcurl refuses must not leave the previous
 * one in place (the answer would be another request's). */
CURLcode pa_xfer_prepare(pa_xfer *x, const char *url, const char *method, const char *body, size_t blen,
                         struct curl_slist *headers)
{
	CURLcode rc;
#define PA_TRY(opt, val)                                               \
	do {                                                           \
		if ((rc = curl_easy_setopt(x->easy, (opt), (val))) != CURLE_OK) \
			return rc;                                     \
	} while (0)
	x->body.len = 0;
	x->head.len = 0;
	/* large buffers left by a call that raised */
	pa_buf_trim(&x->body, PA_KEEP_BODY_BYTES);
	pa_buf_trim(&x->head, PA_KEEP_HEAD_BYTES);
	x->too_large = x->oom = x->head_too_large = 0;
	x->head_state = x->body_started = x->head_cut = 0;
	x->shape_ok = 0;
	x->errbuf[0] = '\0';
	PA_TRY(CURLOPT_URL, url);
	PA_TRY(CURLOPT_HTTPHEADER, headers);
	PA_TRY(CURLOPT_NOBODY, 0L);
	if (strcmp(method, "GET") == 0) {
		PA_TRY(CURLOPT_CUSTOMREQUEST, (char *)NULL);
		PA_TRY(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		/* as a custom request libcurl would wait for a body that never comes */
		PA_TRY(CURLOPT_CUSTOMREQUEST, (char *)NULL);
		PA_TRY(CURLOPT_NOBODY, 1L);
	} else {
		if (body != NULL) {
			PA_TRY(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
			PA_TRY(CURLOPT_COPYPOSTFIELDS, body);
		} else {
			PA_TRY(CURLOPT_HTTPGET, 1L);
		}
		PA_TRY(CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 && body != NULL ? NULL : method);
	}
#undef PA_TRY
	return CURLE_OK;
}

void pa_xfer_release(pa_xfer *x)
{
	if (x->easy != NULL) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	pa_buf_free(&x->body);
	pa_buf_free(&x->head);
}

/* libcurl refused a header line longer than it accepts: it says "out of
 * memory" (CURLE_TOO_LARGE from 8.6), while the header block is not over. */
static int pa_header_line_too_long(const pa_xfer *x, CURLcode rc)
{
	if (x->oom || x->head_state == 2 || x->body_started)
		return 0;
#if LIBCURL_VERSION_NUM >= 0x080600
	if (rc == CURLE_TOO_LARGE)
		return 1;
#endif
	return rc == CURLE_OUT_OF_MEMORY;
}

static const char *pa_error_kind(const pa_xfer *x, CURLcode rc)
{
	if (x->too_large || x->head_too_large || rc == CURLE_FILESIZE_EXCEEDED || pa_header_line_too_long(x, rc))
		return "too_large";
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return "tls";
	/* the server answered, but not in HTTP libcurl can read (a status code
	 * that is not three digits, a NUL in a header, a corrupt encoding):
	 * asking again would get the same answer */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
		return "invalid_response";
	default:
		return "network";
	}
}

static void pa_push_error_message(lua_State *L, const pa_xfer *x, CURLcode rc)
{
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		char n[32];
		snprintf(n, sizeof n, "%.0f", (double)x->max_body); /* exact: max_body <= 2^53 */
		lua_pushfstring(L, "response larger than max_body (%s bytes)", n);
	} else if (x->head_too_large) {
		lua_pushliteral(L, "response headers larger than 256 KiB (the limit for a header block)");
	} else if (rc == CURLE_BAD_CONTENT_ENCODING) {
		/* a body cut or damaged on the way decodes like this: worth another try */
		lua_pushfstring(L, "the response body's content encoding (gzip/deflate) is corrupt: %s",
		                x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	} else if (pa_header_line_too_long(x, rc)) {
		lua_pushliteral(L, "a response header line exceeded libcurl's limit (" PA_CURL_MAX_HEADER_LINE ")");
	} else {
		lua_pushstring(L, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	}
}

/* Adds value v to the header name at the top of the stack; the result table
 * is at t, the table of repeated names (name -> array of values) at *rep,
 * made when first needed. Pops the name. */
static void pa_add_header(lua_State *L, int t, int *rep, const char *v, size_t vl)
{
	lua_pushvalue(L, -1);
	lua_rawget(L, t);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushlstring(L, v, vl);
		lua_rawset(L, t);
		return;
	}
	/* repeated: the values are joined once at the end (joining here would
	 * copy the growing value again for every repeat) */
	if (*rep == 0) {
		lua_newtable(L);
		lua_insert(L, t + 1);
		*rep = t + 1;
	}
	lua_pushvalue(L, -2);
	lua_rawget(L, *rep); /* name, first value, array or nil */
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_createtable(L, 4, 0);
		lua_pushvalue(L, -2);
		lua_rawseti(L, -2, 1);
		lua_pushvalue(L, -3);
		lua_pushvalue(L, -2);
		lua_rawset(L, *rep);
	}
	lua_pushlstring(L, v, vl);
	lua_rawseti(L, -2, (int)lua_rawlen(L, -2) + 1);
	lua_pop(L, 3);
}

/* Joins the repeated headers with ", " (as HTTP allows) into the table at t. */
static void pa_join_repeated(lua_State *L, int t, int rep)
{
	lua_pushnil(L);
	while (lua_next(L, rep) != 0) {
		luaL_Buffer b;
		int i, n = (int)lua_rawlen(L, -1), arr = lua_gettop(L);
		luaL_buffinit(L, &b);
		for (i = 1; i <= n; i++) {
			if (i > 1)
				luaL_addlstring(&b, ", ", 2);
			lua_rawgeti(L, arr, i);
			luaL_addvalue(&b);
		}
		luaL_pushresult(&b);
		lua_pushvalue(L, arr - 1);
		lua_insert(L, -2);
		lua_rawset(L, t);
		lua_pop(L, 1);
	}
	lua_remove(L, rep);
}

static int pa_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the raw header block into a table {lower-case name = value}. Names
 * of any length are kept; folded lines (a line that starts with a space or a
 * tab continues the previous one) are joined with one space; repeated names
 * are joined with ", ". The block is rewritten in place (lower-case names,
 * folded lines moved up): it is scratch, and this keeps the work linear.
 */
void pa_push_headers(lua_State *L, pa_buf *head)
{
	char *p = head->p, *end = p != NULL ? p + head->len : NULL;
	int t, rep = 0;
	luaL_checkstack(L, 10, "pinanalytics: headers");
	lua_newtable(L);
	t = lua_gettop(L);
	if (p == NULL)
		return;
	if (end - p >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* the status line */
		char *eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	while (p < end) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		char *line_end = eol ? eol : end, *next = eol ? eol + 1 : end;
		char *colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon != NULL && colon > p && !pa_is_ws(p[0])) {
			char *v = colon + 1, *ve = line_end, *q;
			for (q = p; q < colon; q++)
				*q = pa_lower(*q);
			while (v < ve && pa_is_ws(*v))
				v++;
			while (ve > v && (ve[-1] == '\r' || pa_is_ws(ve[-1])))
				ve--;
			/* folded continuation lines: moved up behind the value (the
			 * write position ve always stays before the read position c) */
			while (next < end && pa_is_ws(*next)) {
				char *e = memchr(next, '\n', (size_t)(end - next));
				char *le = e ? e : end, *c = next;
				while (c < le && pa_is_ws(*c))
					c++;
				while (le > c && (le[-1] == '\r' || pa_is_ws(le[-1])))
					le--;
				if (le > c) {
					if (ve > v)
						*ve++ = ' ';
					memmove(ve, c, (size_t)(le - c));
					ve += le - c;
				}
				next = e ? e + 1 : end;
			}
			lua_pushlstring(L, p, (size_t)(colon - p));
			pa_add_header(L, t, &rep, v, (size_t)(ve - v));
		}
		p = next;
	}
	if (rep != 0)
		pa_join_repeated(L, t, rep);
}

int pa_xfer_push_result(lua_State *L, pa_xfer *x, CURLcode rc)
{
	long status = 0;
	int nret = 3;
	if (x->oom)
		return luaL_error(L, "pinanalytics: out of memory while receiving a response");
	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status < 100 || status > 999) /* libcurl reads three digits; never trust it blindly */
			rc = CURLE_WEIRD_SERVER_REPLY;
		/* the connection closed inside the header block: libcurl may take
		 * what came as a whole answer with no body */
		else if (x->head_state != 2)
			x->head_cut = 1;
	}
	if (x->head_cut) {
		lua_pushnil(L);
		lua_pushliteral(L, "network");
		lua_pushliteral(L, "the connection closed before the end of the response headers");
		lua_pushinteger(L, (lua_Integer)CURLE_RECV_ERROR);
		return 4;
	}
	if (rc != CURLE_OK) {
		lua_pushnil(L);
		lua_pushstring(L, pa_error_kind(x, rc));
		pa_push_error_message(L, x, rc);
		lua_pushinteger(L, (lua_Integer)rc);
		nret = 4;
	} else {
		lua_pushinteger(L, (lua_Integer)status);
		pa_push_headers(L, &x->head);
		if (x->body.len == 0) {
			lua_pushnil(L);
		} else if (!pa_json_decode_as(L, x->body.p, x->body.len,
		                              /* an error answer is not what the shape describes */
		                              status >= 200 && status <= 299 ? x->shape : PA_SHAPE_NONE, &x->shape_ok)) {
			/* stack: status, headers, message */
			lua_pushnil(L);
			lua_insert(L, -2);
			lua_pushlstring(L, x->body.p, x->body.len);
			nret = 5;
		}
	}
	pa_buf_trim(&x->body, PA_KEEP_BODY_BYTES);
	pa_buf_trim(&x->head, PA_KEEP_HEAD_BYTES);
	return nret;
}

/* base + target into *buf (a scratch buffer of the handle; libcurl copies
 * the URL, so a large one is freed by pa_url_trim once the options are set) */
char *pa_join_url(lua_State *L, char **buf, size_t *cap, const char *base, size_t blen, const char *target,
                  size_t tlen)
{
	if (blen > SIZE_MAX / 4 || tlen > SIZE_MAX / 4)
		luaL_error(L, "pinanalytics: URL too long");
	if (blen + tlen + 1 > *cap) {
		size_t ncap = blen + tlen + 1 + 256;
		char *u = realloc(*buf, ncap);
		if (u == NULL) {
			luaL_error(L, "pinanalytics: out of memory");
			return NULL;
		}
		*buf = u;
		*cap = ncap;
	}
	memcpy(*buf, base, blen);
	memcpy(*buf + blen, target, tlen);
	(*buf)[blen + tlen] = '\0';
	return *buf;
}

void pa_url_trim(char **buf, size_t *cap)
{
	if (*cap > PA_KEEP_HEAD_BYTES) {
		free(*buf);
		*buf = NULL;
		*cap = 0;
	}
}
