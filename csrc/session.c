/***
 * @module pinanalytics.core
 */

/*
 * session.c - the Session userdata: one libcurl easy handle, reused for
 * every request so that its connection is kept alive. One blocking request
 * at a time; see batch.c for many at once.
 */
#include <stdlib.h>
#include <string.h>

#include "pa.h"

#define PA_SESSION_MT "pinanalytics.Session"

typedef struct {
	pa_xfer x;
	pa_use use;
	struct curl_slist *headers; /* defaults: Accept, Authorization, Expect */
	char *base_url;
	size_t base_len;
	char *url; /* scratch: base_url + target */
	size_t url_cap;
	int has_token;
} pa_session;

/*
 * The session at idx, open and not in the middle of a call. Methods check
 * their arguments first and call this last: converting an argument may
 * allocate, an allocation may run a finalizer, and a finalizer may close the
 * session.
 */
static pa_session *pa_check_open(lua_State *L, int idx)
{
	pa_session *s = luaL_checkudata(L, idx, PA_SESSION_MT);
	if (s->x.easy == NULL || s->use.closing)
		luaL_error(L, "pinanalytics: attempt to use a closed session");
	if (s->use.busy)
		luaL_error(L, "pinanalytics: session is busy: its request has not returned yet "
		              "(a finalizer cannot use the session meanwhile)");
	return s;
}

static void pa_set_token(lua_State *L, pa_session *s, const char *token)
{
	struct curl_slist *list = pa_default_headers(L, token);
	if (s->headers != NULL)
		curl_slist_free_all(s->headers);
	s->headers = list;
	s->has_token = token != NULL && token[0] != '\0';
}

/* Idempotent. Never while a call runs (see pa_session_close). */
static void pa_session_release(pa_session *s)
{
	pa_xfer_release(&s->x);
	if (s->headers != NULL) {
		curl_slist_free_all(s->headers);
		s->headers = NULL;
	}
	free(s->base_url);
	s->base_url = NULL;
	free(s->url);
	s->url = NULL;
}

/***
 * A Session: one blocking request at a time on one libcurl handle, whose
 * connection is kept alive between requests. An unknown option, or a value
 * of the wrong type or out of range, raises.
 * @function session
 * @tab opts
 * @string opts.base_url required: "https://host/prefix", or "http://" to a loopback host (127.0.0.0/8,
 * `[::1]`, `localhost`) unless `allow_plain_http`; no credentials, query or fragment
 * @string[opt] opts.token sent as "Authorization: Bearer"; no space or control character
 * @string[opt] opts.user_agent the User-Agent header; no control character
 * @number[opt=30] opts.timeout seconds for a whole request, 0.001..2147483
 * @number[opt=10] opts.connect_timeout seconds to establish a connection, 0.001..2147483
 * @number[opt=64 MiB] opts.max_body bytes, 1..2^53: a larger answer is kind "too_large"
 * @bool[opt=true] opts.tls_verify certificate and host verification
 * @string[opt] opts.ca_file a PEM bundle to verify against
 * @string[opt] opts.username HTTP Basic user (with `password`)
 * @string[opt] opts.password HTTP Basic password
 * @bool[opt=false] opts.allow_plain_http plain http:// to any host
 * @treturn Session
 */
int pa_session_new(lua_State *L)
{
	pa_config c;
	pa_session *s;
	pa_config_read(L, 1, "pinanalytics.core.session", 0, &c);
	s = lua_newuserdata(L, sizeof *s);
	memset(s, 0, sizeof *s);
	pa_setmetatable(L, PA_SESSION_MT);
	s->base_len = c.base_len;
	s->base_url = malloc(s->base_len + 1);
	if (s->base_url == NULL)
		return luaL_error(L, "pinanalytics: out of memory");
	memcpy(s->base_url, c.base_url, s->base_len + 1);
	pa_set_token(L, s, c.token);
	pa_xfer_init(L, &s->x, &c);
	return 1;
}

typedef struct {
	pa_session *s;
	const char *method, *target, *body;
	size_t tlen, blen;
	struct curl_slist *list; /* the headers of this request */
	int shape;
} pa_request;

/* The part of session:request that runs with the session busy. */
static int pa_session_perform(lua_State *L, void *arg)
{
	pa_request *r = arg;
	pa_session *s = r->s;
	CURLcode rc;
	int nret;
	pa_join_url(L, &s->url, &s->url_cap, s->base_url, s->base_len, r->target, r->tlen);
	rc = pa_xfer_prepare(&s->x, s->url, r->method, r->body, r->blen, r->list);
	pa_url_trim(&s->url, &s->url_cap);
	if (rc != CURLE_OK)
		return luaL_error(L, "session:request: libcurl refused the request: %s", curl_easy_strerror(rc));
	s->x.shape = r->shape;
	rc = curl_easy_perform(s->x.easy);
	/* the per-request list must not outlive this call */
	curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, s->headers);
	nret = pa_xfer_push_result(L, &s->x, rc);
	if (r->shape == PA_SHAPE_NONE || lua_isnil(L, -nret))
		return nret;
	lua_settop(L, lua_gettop(L) + 5 - nret);
	lua_pushboolean(L, s->x.shape_ok);
	return 6;
}

/***
 * The Session userdata of `session`.
 * @type Session
 */

/***
 * Sends one request and waits for its answer. While it runs the session is
 * busy: a finalizer that runs meanwhile may close it (the close waits until
 * the request returns) but not use it. Redirects are not followed.
 * @function Session:request
 * @string method letters only ("GET", "POST", ...)
 * @string target path and query appended to `base_url` ("/pins/1/analytics?..."): starts with "/",
 * no space or control character
 * @string[opt] body the request body (POST, PUT, PATCH)
 * @tparam[opt] {string,...} headers extra "Name: value" lines for this request (at most 64)
 * @string[opt] shape the answer's expected shape, checked and typed while it is decoded:
 * "analytics" (an answer keyed by split), "pins_analytics" (such answers keyed by pin id),
 * "top_pins", "pins_list", "boards_list", "oneup_overview", "oneup_posts" or "oauth_token";
 * an unknown name raises
 * @treturn[1] int status the HTTP status
 * @treturn[1] table headers the response headers, names in lower case
 * @return[1] value the decoded JSON body (nil when the body is empty or not JSON)
 * @treturn[1] string|nil decode_error why the body could not be decoded
 * @treturn[1] string|nil raw the body text when it could not be decoded (nothing is lost)
 * @treturn[1] boolean shape_ok with a shape: whether the value has it
 * @treturn[2] nil when no usable HTTP answer arrived
 * @treturn[2] string kind "network", "timeout", "tls", "too_large" or "invalid_response"
 * @treturn[2] string message
 * @treturn[2] int libcurl's error code
 */
static int pa_session_request(lua_State *L)
{
	pa_request r;
	pa_session *s;
	struct curl_slist *extra = NULL;
	int base, status;
	luaL_checkudata(L, 1, PA_SESSION_MT);
	r.method = pa_check_method(L, 2, "session:request");
	r.target = pa_check_target(L, 3, &r.tlen, "session:request");
	r.blen = 0;
	r.body = luaL_optlstring(L, 4, NULL, &r.blen);
	r.shape = pa_check_shape(L, 6);
	lua_settop(L, 6);
	s = pa_check_open(L, 1);
	/* from here on nothing runs Lua code before the session is busy */
	if (!lua_isnil(L, 5))
		extra = pa_headers_with(L, s->headers, 5, "session:request");
	r.s = s;
	r.list = extra != NULL ? extra : s->headers;
	base = lua_gettop(L);
	status = pa_guard_run(L, &s->use, pa_session_perform, &r);
	if (s->x.easy != NULL)
		curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, s->headers);
	if (extra != NULL)
		curl_slist_free_all(extra);
	if (s->use.closing)
		pa_session_release(s);
	if (status != LUA_OK)
		return lua_error(L);
	return lua_gettop(L) - base;
}

/***
 * Replaces the bearer token of the requests that follow.
 * @function Session:set_token
 * @string[opt] token nil: no Authorization header
 */
static int pa_session_set_token(lua_State *L)
{
	pa_session *s;
	const char *token;
	luaL_checkudata(L, 1, PA_SESSION_MT);
	token = pa_check_token_arg(L, 2, "session:set_token");
	s = pa_check_open(L, 1);
	pa_set_token(L, s, token);
	curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, s->headers);
	return 0;
}

/***
 * What libcurl tells about the last transfer.
 * @function Session:info
 * @treturn table `{ new_connections, local_port, total_time, has_token }`
 */
static int pa_session_info(lua_State *L)
{
	pa_session *s = pa_check_open(L, 1);
	long connects = 0, port = 0;
	double total = 0;
	int has_token = s->has_token; /* read before anything allocates */
	curl_easy_getinfo(s->x.easy, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(s->x.easy, CURLINFO_LOCAL_PORT, &port);
	curl_easy_getinfo(s->x.easy, CURLINFO_TOTAL_TIME, &total);
	lua_createtable(L, 0, 4);
	lua_pushinteger(L, (lua_Integer)connects);
	lua_setfield(L, -2, "new_connections");
	lua_pushinteger(L, (lua_Integer)port);
	lua_setfield(L, -2, "local_port");
	lua_pushnumber(L, total);
	lua_setfield(L, -2, "total_time");
	lua_pushboolean(L, has_token);
	lua_setfield(L, -2, "has_token");
	return 1;
}

/***
 * Releases the handle and its connection. Idempotent; also `__close` and
 * `__gc`. While a request runs, the close waits for its end (its buffers are
 * in use); any other use afterwards raises "attempt to use a closed session".
 * @function Session:close
 */
static int pa_session_close(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	if (s->use.busy)
		s->use.closing = 1;
	else
		pa_session_release(s);
	return 0;
}

/***
 * Is the session closed?
 * @function Session:is_closed
 * @treturn boolean
 */
static int pa_session_is_closed(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	lua_pushboolean(L, s->x.easy == NULL || s->use.closing);
	return 1;
}

static int pa_session_tostring(lua_State *L)
{
	pa_session *s = luaL_checkudata(L, 1, PA_SESSION_MT);
	lua_pushfstring(L, "pinanalytics.Session (%s)", s->x.easy && !s->use.closing ? "open" : "closed");
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
	pa_class(L, PA_SESSION_MT, pa_session_meta, pa_session_methods);
}
