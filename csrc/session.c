/*
 * session.c - the Session userdata: one libcurl easy handle, reused for
 * every request so that connections are kept alive.
 *
 * No Lua code ever runs inside a libcurl callback: the write and header
 * callbacks only append to C buffers owned by the session, and the Lua
 * values are built after curl_easy_perform() has returned. A Lua error
 * therefore can never cross a libcurl frame.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "pa.h"

#define PA_SESSION_MT "pinanalytics.Session"

typedef struct {
	char *p;
	size_t len, cap;
} pa_buf;

typedef struct {
	CURL *easy;
	struct curl_slist *headers; /* defaults: Accept, Authorization, Expect */
	char *base_url;
	size_t base_len;
	char *url; /* scratch: base_url + target */
	size_t url_cap;
	pa_buf body, head;
	size_t max_body;
	int too_large, oom;
	int has_token;
	char errbuf[CURL_ERROR_SIZE];
} pa_session;

/* ---------------------------------------------------------------- buffers */

static int pa_buf_append(pa_buf *b, const char *data, size_t n)
{
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

/* ---------------------------------------------------- libcurl callbacks */

static size_t pa_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_session *s = ud;
	size_t n = size * nmemb;
	if (s->body.len + n > s->max_body) {
		s->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (!pa_buf_append(&s->body, data, n)) {
		s->oom = 1;
		return 0;
	}
	return n;
}

static size_t pa_header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_session *s = ud;
	size_t n = size * nmemb;
	/* a new status line (redirect, 100 Continue): keep only the last block */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		s->head.len = 0;
	if (s->head.len + n > 256 * 1024) {
		s->too_large = 1;
		return 0;
	}
	if (!pa_buf_append(&s->head, data, n)) {
		s->oom = 1;
		return 0;
	}
	return n;
}

/* --------------------------------------------------------------- helpers */

static pa_session *pa_check_open(lua_State *L, int idx)
{
	pa_session *s = luaL_checkudata(L, idx, PA_SESSION_MT);
	if (s->easy == NULL)
		luaL_error(L, "pinanalytics: attempt to use a closed session");
	return s;
}

static struct curl_slist *pa_slist_add(lua_State *L, struct curl_slist *list, const char *h)
{
	struct curl_slist *n = curl_slist_append(list, h);
	if (n == NULL) {
		curl_slist_free_all(list);
		luaL_error(L, "pinanalytics: out of memory");
	}
	return n;
}

/* Builds the default header list; the token is copied into it only. */
static void pa_set_headers(lua_State *L, pa_session *s, const char *token)
{
	struct curl_slist *list = NULL;
	list = pa_slist_add(L, list, "Accept: application/json");
	list = pa_slist_add(L, list, "Expect:");
	s->has_token = 0;
	if (token != NULL && token[0] != '\0') {
		size_t tl = strlen(token);
		char *h = malloc(tl + sizeof "Authorization: Bearer ");
		struct curl_slist *n;
		if (h == NULL) {
			curl_slist_free_all(list);
			luaL_error(L, "pinanalytics: out of memory");
		}
		memcpy(h, "Authorization: Bearer ", sizeof "Authorization: Bearer " - 1);
		memcpy(h + sizeof "Authorization: Bearer " - 1, token, tl + 1);
		n = curl_slist_append(list, h);
		memset(h, 0, tl + sizeof "Authorization: Bearer ");
		free(h);
		if (n == NULL) {
			curl_slist_free_all(list);
			luaL_error(L, "pinanalytics: out of memory");
		}
		list = n;
		s->has_token = 1;
	}
	if (s->headers != NULL)
		curl_slist_free_all(s->headers);
	s->headers = list;
}

static void pa_session_release(pa_session *s)
{
	if (s->easy != NULL) {
		curl_easy_cleanup(s->easy);
		s->easy = NULL;
	}
	if (s->headers != NULL) {
		curl_slist_free_all(s->headers);
		s->headers = NULL;
	}
	free(s->base_url);
	s->base_url = NULL;
	free(s->url);
	s->url = NULL;
	pa_buf_free(&s->body);
	pa_buf_free(&s->head);
}

static double pa_optnumber(lua_State *L, int t, const char *k, double dflt, double min)
{
	double v;
	lua_getfield(L, t, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (lua_type(L, -1) != LUA_TNUMBER)
		luaL_error(L, "pinanalytics.core.session: option '%s' must be a number, got %s", k,
		           luaL_typename(L, -1));
	v = lua_tonumber(L, -1);
	lua_pop(L, 1);
	if (!(v >= min))
		luaL_error(L, "pinanalytics.core.session: option '%s' must be >= %f", k, min);
	return v;
}

static const char *pa_optstring(lua_State *L, int t, const char *k, const char *dflt)
{
	const char *v;
	lua_getfield(L, t, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "pinanalytics.core.session: option '%s' must be a string, got %s", k,
		           luaL_typename(L, -1));
	v = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the options table */
	return v;
}

#define PA_SETOPT(L, easy, opt, val)                                                   \
	do {                                                                           \
		CURLcode rc_ = curl_easy_setopt((easy), (opt), (val));                 \
		if (rc_ != CURLE_OK)                                                   \
			luaL_error((L), "pinanalytics: libcurl rejected option %s: %s", \
			           #opt, curl_easy_strerror(rc_));                     \
	} while (0)

/* ----------------------------------------------------------- constructor */

/*
 * core.session{ base_url = ..., token = ..., user_agent = ..., timeout = s,
 *               connect_timeout = s, max_body = bytes, tls_verify = true,
 *               ca_file = path, username = ..., password = ... }
 * token: sent as "Authorization: Bearer"; username/password: HTTP Basic.
 */
int pa_session_new(lua_State *L)
{
	pa_session *s;
	const char *base, *ua, *ca, *token, *user, *pass;
	double timeout, ctimeout, max_body;
	int verify = 1;

	luaL_checktype(L, 1, LUA_TTABLE);
	base = pa_optstring(L, 1, "base_url", NULL);
	if (base == NULL)
		return luaL_error(L, "pinanalytics.core.session: option 'base_url' is required");
	token = pa_optstring(L, 1, "token", NULL);
	ua = pa_optstring(L, 1, "user_agent", "pinanalytics/" PA_VERSION);
	ca = pa_optstring(L, 1, "ca_file", NULL);
	user = pa_optstring(L, 1, "username", NULL);
	pass = pa_optstring(L, 1, "password", NULL);
	timeout = pa_optnumber(L, 1, "timeout", 30.0, 0.001);
	ctimeout = pa_optnumber(L, 1, "connect_timeout", 10.0, 0.001);
	max_body = pa_optnumber(L, 1, "max_body", 64.0 * 1024 * 1024, 1.0);
	lua_getfield(L, 1, "tls_verify");
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			return luaL_error(L, "pinanalytics.core.session: option 'tls_verify' must be a boolean");
		verify = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);

	s = lua_newuserdata(L, sizeof *s);
	memset(s, 0, sizeof *s);
	pa_setmetatable(L, PA_SESSION_MT);

	s->base_len = strlen(base);
	s->base_url = malloc(s->base_len + 1);
	if (s->base_url == NULL)
		return luaL_error(L, "pinanalytics: out of memory");
	memcpy(s->base_url, base, s->base_len + 1);
	s->max_body = (size_t)max_body;

	s->easy = curl_easy_init();
	if (s->easy == NULL)
		return luaL_error(L, "pinanalytics: curl_easy_init failed");
	pa_set_headers(L, s, token);

	PA_SETOPT(L, s->easy, CURLOPT_NOSIGNAL, 1L);
	PA_SETOPT(L, s->easy, CURLOPT_ERRORBUFFER, s->errbuf);
	PA_SETOPT(L, s->easy, CURLOPT_WRITEFUNCTION, pa_write_cb);
	PA_SETOPT(L, s->easy, CURLOPT_WRITEDATA, s);
	PA_SETOPT(L, s->easy, CURLOPT_HEADERFUNCTION, pa_header_cb);
	PA_SETOPT(L, s->easy, CURLOPT_HEADERDATA, s);
	PA_SETOPT(L, s->easy, CURLOPT_USERAGENT, ua);
	PA_SETOPT(L, s->easy, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl supports */
	PA_SETOPT(L, s->easy, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0));
	PA_SETOPT(L, s->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(ctimeout * 1000.0));
	PA_SETOPT(L, s->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max_body);
	PA_SETOPT(L, s->easy, CURLOPT_FOLLOWLOCATION, 0L);
	PA_SETOPT(L, s->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	PA_SETOPT(L, s->easy, CURLOPT_TCP_NODELAY, 1L);
	PA_SETOPT(L, s->easy, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	PA_SETOPT(L, s->easy, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	PA_SETOPT(L, s->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	PA_SETOPT(L, s->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (ca != NULL)
		PA_SETOPT(L, s->easy, CURLOPT_CAINFO, ca);
	if (user != NULL) {
		/* HTTP Basic credentials (the OAuth token endpoint); libcurl builds the header */
		PA_SETOPT(L, s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		PA_SETOPT(L, s->easy, CURLOPT_USERNAME, user);
		PA_SETOPT(L, s->easy, CURLOPT_PASSWORD, pass != NULL ? pass : "");
	}
	return 1;
}

/* --------------------------------------------------------------- methods */

static const char *pa_error_kind(pa_session *s, CURLcode rc)
{
	if (s->too_large || rc == CURLE_FILESIZE_EXCEEDED)
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
	default:
		return "network";
	}
}

/* Parses the raw header block into a table {lower-case name = value}. */
static void pa_push_headers(lua_State *L, const pa_buf *head)
{
	const char *p = head->p, *end = head->p + head->len;
	char name[128];
	lua_newtable(L);
	if (p == NULL)
		return;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		const char *colon = memchr(p, ':', (size_t)(line_end - p));
		if (colon != NULL && (size_t)(colon - p) < sizeof name && colon > p) {
			size_t nl = (size_t)(colon - p), i;
			const char *v = colon + 1, *ve = line_end;
			for (i = 0; i < nl; i++)
				name[i] = (char)tolower((unsigned char)p[i]);
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			lua_pushlstring(L, name, nl);
			lua_pushvalue(L, -1);
			lua_rawget(L, -3);
			if (lua_isnil(L, -1)) {
				lua_pop(L, 1);
				lua_pushlstring(L, v, (size_t)(ve - v));
			} else {
				/* repeated header: join as HTTP allows */
				lua_pushliteral(L, ", ");
				lua_pushlstring(L, v, (size_t)(ve - v));
				lua_concat(L, 3);
			}
			lua_rawset(L, -3);
		}
		p = line_end + 1;
	}
}

/*
 * session:request(method, target [, body [, headers]])
 *   target  path and query appended to base_url ("/pins/1/analytics?...")
 *   body    request body string (POST/PUT/PATCH)
 *   headers array of extra "Name: value" lines for this request
 *
 * -> status, headers, value, decode_error, raw
 *      value        the decoded JSON body (nil when the body is empty or not JSON)
 *      decode_error why the body could not be decoded (nil otherwise)
 *      raw          the body text when it could not be decoded (nothing is lost)
 * -> nil, kind, message, curl_code   when no HTTP answer arrived
 *      kind is "network", "timeout", "tls" or "too_large"
 */
static int pa_session_request(lua_State *L)
{
	pa_session *s = pa_check_open(L, 1);
	const char *method = luaL_checkstring(L, 2);
	size_t tlen, blen = 0;
	const char *target = luaL_checklstring(L, 3, &tlen);
	const char *body = luaL_optlstring(L, 4, NULL, &blen);
	struct curl_slist *extra = NULL, *list = s->headers;
	CURLcode rc;
	long status = 0;

	if (!lua_isnoneornil(L, 5)) {
		size_t i, n;
		struct curl_slist *it;
		luaL_checktype(L, 5, LUA_TTABLE);
		n = lua_rawlen(L, 5);
		for (it = s->headers; it != NULL; it = it->next)
			extra = pa_slist_add(L, extra, it->data);
		for (i = 1; i <= n; i++) {
			lua_rawgeti(L, 5, (int)i);
			if (lua_type(L, -1) != LUA_TSTRING) {
				curl_slist_free_all(extra);
				return luaL_error(L, "session:request: headers[%d] must be a string", (int)i);
			}
			extra = pa_slist_add(L, extra, lua_tostring(L, -1));
			lua_pop(L, 1);
		}
		list = extra;
	}

	if (s->base_len + tlen + 1 > s->url_cap) {
		size_t cap = s->base_len + tlen + 1 + 256;
		char *u = realloc(s->url, cap);
		if (u == NULL) {
			curl_slist_free_all(extra);
			return luaL_error(L, "pinanalytics: out of memory");
		}
		s->url = u;
		s->url_cap = cap;
	}
	memcpy(s->url, s->base_url, s->base_len);
	memcpy(s->url + s->base_len, target, tlen + 1);

	s->body.len = 0;
	s->head.len = 0;
	s->too_large = s->oom = 0;
	s->errbuf[0] = '\0';

	curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, list);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
	} else {
		if (body != NULL) {
			curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
			curl_easy_setopt(s->easy, CURLOPT_COPYPOSTFIELDS, body);
		} else {
			curl_easy_setopt(s->easy, CURLOPT_HTTPGET, 1L);
		}
		curl_easy_setopt(s->easy, CURLOPT_CUSTOMREQUEST,
		                 strcmp(method, "POST") == 0 && body != NULL ? NULL : method);
	}

	rc = curl_easy_perform(s->easy);

	/* the per-request list must not outlive this call */
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	if (extra != NULL)
		curl_slist_free_all(extra);

	if (s->oom)
		return luaL_error(L, "pinanalytics: out of memory while receiving a response");
	if (rc != CURLE_OK) {
		lua_pushnil(L);
		lua_pushstring(L, pa_error_kind(s, rc));
		if (s->too_large)
			lua_pushfstring(L, "response larger than max_body (%d bytes)", (int)s->max_body);
		else
			lua_pushstring(L, s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
		lua_pushinteger(L, (lua_Integer)rc);
		return 4;
	}
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	lua_pushinteger(L, (lua_Integer)status);
	pa_push_headers(L, &s->head);
	if (s->body.len == 0) {
		lua_pushnil(L);
		return 3;
	}
	if (pa_json_decode(L, s->body.p, s->body.len))
		return 3;
	/* stack: status, headers, message */
	lua_pushnil(L);
	lua_insert(L, -2);
	lua_pushlstring(L, s->body.p, s->body.len);
	return 5;
}

/* session:set_token(token | nil): replaces the bearer token */
static int pa_session_set_token(lua_State *L)
{
	pa_session *s = pa_check_open(L, 1);
	const char *token = luaL_optstring(L, 2, NULL);
	pa_set_headers(L, s, token);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
	return 0;
}

/* session:info() -> table about the last transfer */
static int pa_session_info(lua_State *L)
{
	pa_session *s = pa_check_open(L, 1);
	long connects = 0, port = 0;
	double total = 0;
	curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(s->easy, CURLINFO_LOCAL_PORT, &port);
	curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME, &total);
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)connects);
	lua_setfield(L, -2, "new_connections");
	lua_pushinteger(L, (lua_Integer)port);
	lua_setfield(L, -2, "local_port");
	lua_pushnumber(L, total);
	lua_setfield(L, -2, "total_time");
	lua_pushboolean(L, s->has_token);
	lua_setfield(L, -2, "has_token");
	return 1;
}

static int pa_session_close(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	pa_session_release(s);
	return 0;
}

static int pa_session_is_closed(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	lua_pushboolean(L, s->easy == NULL);
	return 1;
}

static int pa_session_tostring(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	lua_pushfstring(L, "pinanalytics.Session (%s)", s->easy ? "open" : "closed");
	return 1;
}

static const luaL_Reg pa_session_methods[] = {
	{ "request", pa_session_request },
	{ "set_token", pa_session_set_token },
	{ "info", pa_session_info },
	{ "close", pa_session_close },
	{ "is_closed", pa_session_is_closed },
	{ NULL, NULL },
};

static const luaL_Reg pa_session_meta[] = {
	{ "__gc", pa_session_close },
	{ "__close", pa_session_close },
	{ "__tostring", pa_session_tostring },
	{ NULL, NULL },
};

void pa_session_open(lua_State *L)
{
	if (luaL_newmetatable(L, PA_SESSION_MT)) {
		pa_setfuncs(L, pa_session_meta, 0);
		pa_newlib(L, pa_session_methods);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, "locked");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
}
