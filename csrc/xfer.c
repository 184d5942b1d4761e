/*
 * xfer.c - one libcurl easy handle with its response buffers: the part a
 * Session (one blocking request at a time) and a Batch (many at once over
 * the multi interface) have in common.
 *
 * No Lua code ever runs inside a libcurl callback: the write and header
 * callbacks only append to C buffers, and the Lua values are built after
 * libcurl has returned. A Lua error therefore never crosses a libcurl frame.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"

#define PA_MAX_HEADER_BYTES (256 * 1024)

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
	pa_xfer *x = ud;
	size_t n = size * nmemb;
	if (x->body.len + n > x->max_body) {
		x->too_large = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	if (!pa_buf_append(&x->body, data, n)) {
		x->oom = 1;
		return 0;
	}
	return n;
}

static size_t pa_header_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_xfer *x = ud;
	size_t n = size * nmemb;
	/* a new status line (100 Continue, a redirect): keep only the last block */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		x->head.len = 0;
	if (x->head.len + n > PA_MAX_HEADER_BYTES) {
		x->too_large = 1;
		return 0;
	}
	if (!pa_buf_append(&x->head, data, n)) {
		x->oom = 1;
		return 0;
	}
	return n;
}

/* ---------------------------------------------------------------- options */

static double pa_optnumber(lua_State *L, int t, const char *fn, const char *k, double dflt, double min)
{
	double v;
	lua_getfield(L, t, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (lua_type(L, -1) != LUA_TNUMBER)
		luaL_error(L, "%s: option '%s' must be a number, got %s", fn, k, luaL_typename(L, -1));
	v = lua_tonumber(L, -1);
	lua_pop(L, 1);
	if (!(v >= min))
		luaL_error(L, "%s: option '%s' must be >= %f", fn, k, min);
	return v;
}

static const char *pa_optstring(lua_State *L, int t, const char *fn, const char *k, const char *dflt)
{
	const char *v;
	lua_getfield(L, t, k);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (lua_type(L, -1) != LUA_TSTRING)
		luaL_error(L, "%s: option '%s' must be a string, got %s", fn, k, luaL_typename(L, -1));
	v = lua_tostring(L, -1);
	lua_pop(L, 1); /* still referenced by the options table */
	return v;
}

void pa_config_read(lua_State *L, int t, const char *fn, pa_config *c)
{
	luaL_checktype(L, t, LUA_TTABLE);
	c->base_url = pa_optstring(L, t, fn, "base_url", NULL);
	if (c->base_url == NULL)
		luaL_error(L, "%s: option 'base_url' is required", fn);
	c->token = pa_optstring(L, t, fn, "token", NULL);
	c->user_agent = pa_optstring(L, t, fn, "user_agent", "pinanalytics/" PA_VERSION);
	c->ca_file = pa_optstring(L, t, fn, "ca_file", NULL);
	c->username = pa_optstring(L, t, fn, "username", NULL);
	c->password = pa_optstring(L, t, fn, "password", NULL);
	c->timeout = pa_optnumber(L, t, fn, "timeout", 30.0, 0.001);
	c->connect_timeout = pa_optnumber(L, t, fn, "connect_timeout", 10.0, 0.001);
	c->max_body = pa_optnumber(L, t, fn, "max_body", 64.0 * 1024 * 1024, 1.0);
	c->tls_verify = 1;
	lua_getfield(L, t, "tls_verify");
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TBOOLEAN)
			luaL_error(L, "%s: option 'tls_verify' must be a boolean", fn);
		c->tls_verify = lua_toboolean(L, -1);
	}
	lua_pop(L, 1);
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
 * one request. Every element is checked before anything is allocated, so an
 * error leaks nothing.
 */
struct curl_slist *pa_headers_with(lua_State *L, struct curl_slist *base, int idx, const char *fn)
{
	size_t i, n;
	struct curl_slist *it, *list = NULL;
	luaL_checktype(L, idx, LUA_TTABLE);
	n = lua_rawlen(L, idx);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "%s: headers[%d] must be a string", fn, (int)i);
		lua_pop(L, 1);
	}
	for (it = base; it != NULL; it = it->next)
		list = pa_slist_add(L, list, it->data);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, (int)i);
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
	PA_SETOPT(L, x->easy, CURLOPT_TIMEOUT_MS, (long)(c->timeout * 1000.0));
	PA_SETOPT(L, x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout * 1000.0));
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

void pa_xfer_prepare(pa_xfer *x, const char *url, const char *method, const char *body, size_t blen,
                     struct curl_slist *headers)
{
	x->body.len = 0;
	x->head.len = 0;
	x->too_large = x->oom = 0;
	x->shape_ok = 0;
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, headers);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
	} else {
		if (body != NULL) {
			curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
			curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
		} else {
			curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);
		}
		curl_easy_setopt(x->easy, CURLOPT_CUSTOMREQUEST,
		                 strcmp(method, "POST") == 0 && body != NULL ? NULL : method);
	}
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

static const char *pa_error_kind(const pa_xfer *x, CURLcode rc)
{
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED)
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
void pa_push_headers(lua_State *L, const pa_buf *head)
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

int pa_xfer_push_result(lua_State *L, pa_xfer *x, CURLcode rc)
{
	long status = 0;
	if (x->oom)
		return luaL_error(L, "pinanalytics: out of memory while receiving a response");
	if (rc != CURLE_OK) {
		lua_pushnil(L);
		lua_pushstring(L, pa_error_kind(x, rc));
		if (x->too_large)
			lua_pushfstring(L, "response larger than max_body (%d bytes)", (int)x->max_body);
		else
			lua_pushstring(L, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
		lua_pushinteger(L, (lua_Integer)rc);
		return 4;
	}
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	lua_pushinteger(L, (lua_Integer)status);
	pa_push_headers(L, &x->head);
	if (x->body.len == 0) {
		lua_pushnil(L);
		return 3;
	}
	/* an error answer is not what the shape describes: decode it the general way */
	if (pa_json_decode_as(L, x->body.p, x->body.len, status >= 200 && status <= 299 ? x->shape : PA_SHAPE_NONE,
	                      &x->shape_ok))
		return 3;
	/* stack: status, headers, message */
	lua_pushnil(L);
	lua_insert(L, -2);
	lua_pushlstring(L, x->body.p, x->body.len);
	return 5;
}

char *pa_join_url(lua_State *L, char **buf, size_t *cap, const char *base, size_t blen, const char *target,
                  size_t tlen)
{
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
	memcpy(*buf + blen, target, tlen + 1);
	return *buf;
}
