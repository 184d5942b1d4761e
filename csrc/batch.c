/*
 * batch.c - the Batch userdata: many requests in flight over libcurl's multi
 * interface, under a concurrency cap, with connection reuse (and HTTP/2
 * multiplexing where the server offers it).
 *
 *   local b = core.batch{ base_url = ..., token = ..., concurrency = 8, ... }
 *   b:add(id, "GET", "/pins/1/analytics?...")   -- starts now; raises when full
 *   local done = b:step(50)                      -- at most ~50 ms; finished requests
 *   b:run()                                      -- until nothing is in flight
 *
 * step() never blocks longer than its timeout: it is the hook for event
 * loops. No Lua code runs inside libcurl: finished transfers are turned into
 * Lua values after curl_multi_perform()/curl_multi_poll() have returned.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pa.h"

#define PA_BATCH_MT "pinanalytics.Batch"

typedef struct {
	pa_xfer x;
	int busy;
	lua_Integer id;
	char *url;
	size_t url_cap;
	struct curl_slist *extra; /* per-request headers, or NULL */
} pa_slot;

typedef struct {
	CURLM *multi;
	pa_use use;
	pa_slot *slots;
	int nslots;
	int inflight;
	struct curl_slist *headers;
	struct curl_slist **retired; /* header lists replaced while requests used them */
	int nretired;
	char *base_url;
	size_t base_len;
	int has_token;
} pa_batch;

/*
 * The batch at idx, open and not in the middle of a call. Methods check
 * their arguments first and call this last: converting an argument may
 * allocate, an allocation may run a finalizer, and a finalizer may close the
 * batch.
 */
static pa_batch *pa_check_open(lua_State *L, int idx)
{
	pa_batch *b = luaL_checkudata(L, idx, PA_BATCH_MT);
	if (b->multi == NULL || b->use.closing)
		luaL_error(L, "pinanalytics: attempt to use a closed batch");
	if (b->use.busy)
		luaL_error(L, "pinanalytics: batch is busy: its step has not returned yet "
		              "(a finalizer cannot use the batch meanwhile)");
	return b;
}

static void pa_free_retired(pa_batch *b)
{
	int i;
	for (i = 0; i < b->nretired; i++)
		curl_slist_free_all(b->retired[i]);
	free(b->retired);
	b->retired = NULL;
	b->nretired = 0;
}

/* Idempotent. Never while a call runs (see pa_batch_close). */
static void pa_batch_release(pa_batch *b)
{
	int i;
	if (b->slots != NULL) {
		for (i = 0; i < b->nslots; i++) {
			pa_slot *s = &b->slots[i];
			if (s->busy && b->multi != NULL)
				curl_multi_remove_handle(b->multi, s->x.easy);
			pa_xfer_release(&s->x);
			if (s->extra != NULL)
				curl_slist_free_all(s->extra);
			free(s->url);
		}
		free(b->slots);
		b->slots = NULL;
	}
	if (b->multi != NULL) {
		curl_multi_cleanup(b->multi);
		b->multi = NULL;
	}
	if (b->headers != NULL) {
		curl_slist_free_all(b->headers);
		b->headers = NULL;
	}
	pa_free_retired(b);
	free(b->base_url);
	b->base_url = NULL;
	b->inflight = 0;
}

/* core.batch{ concurrency = N (1..1024, default 8), and the options of core.session } */
int pa_batch_new(lua_State *L)
{
	pa_config c;
	pa_batch *b;
	int i, n;
	pa_config_read(L, 1, "pinanalytics.core.batch", 1, &c);
	n = c.concurrency;

	b = lua_newuserdata(L, sizeof *b);
	memset(b, 0, sizeof *b);
	pa_setmetatable(L, PA_BATCH_MT);
	b->base_len = c.base_len;
	b->base_url = malloc(b->base_len + 1);
	b->slots = calloc((size_t)n, sizeof *b->slots);
	if (b->base_url == NULL || b->slots == NULL)
		return luaL_error(L, "pinanalytics: out of memory");
	memcpy(b->base_url, c.base_url, b->base_len + 1);
	b->nslots = n;
	b->multi = curl_multi_init();
	if (b->multi == NULL)
		return luaL_error(L, "pinanalytics: curl_multi_init failed");
	curl_multi_setopt(b->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)n);
	curl_multi_setopt(b->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)n);
	curl_multi_setopt(b->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	b->headers = pa_default_headers(L, c.token);
	b->has_token = c.token != NULL && c.token[0] != '\0';
	for (i = 0; i < b->nslots; i++)
		pa_xfer_init(L, &b->slots[i].x, &c);
	return 1;
}

/* A request id: a whole number (exact in a double, so that it is the same
 * number on every Lua). */
static lua_Integer pa_check_id(lua_State *L, int idx)
{
	lua_Number v;
	if (lua_type(L, idx) == LUA_TNUMBER) {
#if PA_HAVE_INTEGERS
		if (lua_isinteger(L, idx))
			return lua_tointeger(L, idx);
#endif
		v = lua_tonumber(L, idx);
		if (v == floor(v) && v >= -9007199254740992.0 && v <= 9007199254740992.0)
			return (lua_Integer)v;
		lua_pushfstring(L, "%f", v);
	} else {
		lua_pushstring(L, luaL_typename(L, idx));
	}
	luaL_error(L, "batch:add: argument 'id' must be a whole number, got %s", lua_tostring(L, -1));
	return 0;
}

/*
 * b:add(id, method, target [, body [, headers [, shape]]]) -> true; raises
 * when full or when id is in flight already. method, target and headers as
 * for session:request; shape too: the finished request then has shape_ok.
 */
static int pa_batch_add(lua_State *L)
{
	pa_batch *b;
	lua_Integer id;
	const char *method, *target, *body;
	size_t tlen, blen = 0;
	pa_slot *s = NULL;
	struct curl_slist *extra = NULL;
	CURLMcode mc;
	CURLcode rc;
	int i, shape;

	luaL_checkudata(L, 1, PA_BATCH_MT);
	id = pa_check_id(L, 2);
	method = pa_check_method(L, 3, "batch:add");
	target = pa_check_target(L, 4, &tlen, "batch:add");
	body = luaL_optlstring(L, 5, NULL, &blen);
	shape = pa_check_shape(L, 7);
	lua_settop(L, 7);
	b = pa_check_open(L, 1);
	/* from here on nothing runs Lua code, except to raise */
	for (i = 0; i < b->nslots; i++) {
		if (b->slots[i].busy && b->slots[i].id == id) {
			char n[32];
			snprintf(n, sizeof n, "%lld", (long long)id);
			return luaL_error(L, "batch:add: id %s is already in flight", n);
		}
		if (!b->slots[i].busy && s == NULL)
			s = &b->slots[i];
	}
	if (s == NULL)
		return luaL_error(L, "pinanalytics: batch is full (%d requests in flight)", b->inflight);
	pa_join_url(L, &s->url, &s->url_cap, b->base_url, b->base_len, target, tlen);
	if (!lua_isnil(L, 6))
		extra = pa_headers_with(L, b->headers, 6, "batch:add");
	rc = pa_xfer_prepare(&s->x, s->url, method, body, blen, extra != NULL ? extra : b->headers);
	pa_url_trim(&s->url, &s->url_cap);
	if (rc != CURLE_OK) {
		curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, b->headers);
		if (extra != NULL)
			curl_slist_free_all(extra);
		return luaL_error(L, "batch:add: libcurl refused the request: %s", curl_easy_strerror(rc));
	}
	s->x.shape = shape;
	mc = curl_multi_add_handle(b->multi, s->x.easy);
	if (mc != CURLM_OK) {
		curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, b->headers);
		if (extra != NULL)
			curl_slist_free_all(extra);
		return luaL_error(L, "pinanalytics: curl_multi_add_handle: %s", curl_multi_strerror(mc));
	}
	s->extra = extra;
	s->busy = 1;
	s->id = id;
	b->inflight++;
	lua_pushboolean(L, 1);
	return 1;
}

/* Moves finished transfers into the array at the top of the stack. */
static void pa_collect(lua_State *L, pa_batch *b)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(b->multi, &left)) != NULL) {
		pa_xfer *x = NULL;
		pa_slot *s;
		int nret, top;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		s = (pa_slot *)x; /* the xfer is the first member of its slot */
		curl_multi_remove_handle(b->multi, msg->easy_handle);
		s->busy = 0;
		b->inflight--;
		curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, b->headers);
		if (s->extra != NULL) {
			curl_slist_free_all(s->extra);
			s->extra = NULL;
		}
		top = lua_gettop(L);
		lua_createtable(L, 0, 6);
		lua_pushinteger(L, s->id);
		lua_setfield(L, top + 1, "id");
		nret = pa_xfer_push_result(L, &s->x, msg->data.result);
		if (lua_isnil(L, top + 2)) { /* nil, kind, message, curl_code */
			lua_setfield(L, top + 1, "curl_code");
			lua_setfield(L, top + 1, "message");
			lua_setfield(L, top + 1, "kind");
			lua_pop(L, 1);
		} else {
			static const char *names[] = { "status", "headers", "body", "decode_error", "raw" };
			int i;
			for (i = nret - 1; i >= 0; i--)
				lua_setfield(L, top + 1, names[i]); /* the last pushed first */
			if (s->x.shape != PA_SHAPE_NONE) {
				lua_pushboolean(L, s->x.shape_ok);
				lua_setfield(L, top + 1, "shape_ok");
			}
		}
		lua_rawseti(L, top, (int)lua_rawlen(L, top) + 1);
	}
}

typedef struct {
	pa_batch *b;
	int timeout;
} pa_step;

/* The part of b:step that runs with the batch busy. */
static int pa_batch_step_run(lua_State *L, void *arg)
{
	pa_batch *b = ((pa_step *)arg)->b;
	int timeout = ((pa_step *)arg)->timeout;
	int running = 0, numfds = 0;
	CURLMcode mc;
	lua_newtable(L);
	mc = curl_multi_perform(b->multi, &running);
	if (mc == CURLM_OK)
		pa_collect(L, b);
	if (mc == CURLM_OK && lua_rawlen(L, -1) == 0 && b->inflight > 0 && timeout > 0) {
		mc = curl_multi_poll(b->multi, NULL, 0, timeout, &numfds);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(b->multi, &running);
		if (mc == CURLM_OK)
			pa_collect(L, b);
	}
	if (mc != CURLM_OK)
		return luaL_error(L, "pinanalytics: libcurl multi error: %s", curl_multi_strerror(mc));
	if (b->inflight == 0 && b->nretired > 0)
		pa_free_retired(b);
	return 1;
}

/*
 * b:step([timeout_ms]) -> array of finished requests (possibly empty).
 * timeout_ms: 0..2147483647 (a negative wait is over already: 0). While it
 * runs the batch is busy: a finalizer that runs meanwhile may close it (the
 * close waits until step returns) but not use it.
 */
static int pa_batch_step(lua_State *L)
{
	pa_step st;
	pa_batch *b;
	lua_Number t;
	int status;
	luaL_checkudata(L, 1, PA_BATCH_MT);
	t = luaL_optnumber(L, 2, 0);
	if (t != t || t > 2147483647.0) {
		lua_pushnumber(L, t);
		return luaL_error(L, "batch:step: argument 'timeout_ms' must be a number of milliseconds in "
		                     "0..2147483647, got %s", lua_tostring(L, -1));
	}
	lua_settop(L, 1);
	b = pa_check_open(L, 1);
	st.b = b;
	st.timeout = t > 0 ? (int)t : 0;
	status = pa_guard_run(L, &b->use, pa_batch_step_run, &st);
	if (b->use.closing)
		pa_batch_release(b);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

/* b:set_token(token | nil): requests added from now on carry it */
static int pa_batch_set_token(lua_State *L)
{
	pa_batch *b;
	const char *token;
	struct curl_slist *list;
	luaL_checkudata(L, 1, PA_BATCH_MT);
	token = pa_check_token_arg(L, 2, "batch:set_token");
	b = pa_check_open(L, 1);
	list = pa_default_headers(L, token);
	if (b->inflight > 0) {
		struct curl_slist **r = realloc(b->retired, (size_t)(b->nretired + 1) * sizeof *r);
		if (r == NULL) {
			curl_slist_free_all(list);
			return luaL_error(L, "pinanalytics: out of memory");
		}
		b->retired = r;
		b->retired[b->nretired++] = b->headers;
	} else {
		curl_slist_free_all(b->headers);
	}
	b->headers = list;
	b->has_token = token != NULL && token[0] != '\0';
	return 0;
}

/*
 * b:cancel() -> n: removes every request in flight from the multi handle and
 * frees its slot; step() never returns their answers. A run that ends in an
 * error calls it, so that nothing it left behind can be collected later for
 * a request of another run. 0 when nothing is in flight, and on a closed
 * batch (closing removed everything already).
 */
static int pa_batch_cancel(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	int i, n = 0;
	if (b->use.busy)
		return luaL_error(L, "pinanalytics: batch is busy: its step has not returned yet "
		                     "(a finalizer cannot cancel meanwhile)");
	if (b->multi != NULL) {
		for (i = 0; i < b->nslots; i++) {
			pa_slot *s = &b->slots[i];
			if (!s->busy)
				continue;
			/* an unfinished transfer's connection is closed, not reused */
			curl_multi_remove_handle(b->multi, s->x.easy);
			s->busy = 0;
			curl_easy_setopt(s->x.easy, CURLOPT_HTTPHEADER, b->headers);
			if (s->extra != NULL) {
				curl_slist_free_all(s->extra);
				s->extra = NULL;
			}
			n++;
		}
		b->inflight -= n;
		if (b->inflight == 0 && b->nretired > 0)
			pa_free_retired(b);
	}
	lua_pushinteger(L, n);
	return 1;
}

static int pa_batch_inflight(lua_State *L)
{
	lua_pushinteger(L, pa_check_open(L, 1)->inflight);
	return 1;
}

static int pa_batch_capacity(lua_State *L)
{
	lua_pushinteger(L, pa_check_open(L, 1)->nslots);
	return 1;
}

/* close, __close and __gc: while step runs, the close waits for its end
 * (the slots are in use). __gc cannot run then (the batch is on the stack),
 * but would wait too. */
static int pa_batch_close(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	if (b->use.busy)
		b->use.closing = 1;
	else
		pa_batch_release(b);
	return 0;
}

static int pa_batch_is_closed(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	lua_pushboolean(L, b->multi == NULL || b->use.closing);
	return 1;
}

static int pa_batch_tostring(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	if (b->multi == NULL || b->use.closing)
		lua_pushliteral(L, "pinanalytics.Batch (closed)");
	else
		lua_pushfstring(L, "pinanalytics.Batch (%d of %d in flight)", b->inflight, b->nslots);
	return 1;
}

static const luaL_Reg pa_batch_methods[] = {
	{ "add", pa_batch_add },
	{ "step", pa_batch_step },
	{ "set_token", pa_batch_set_token },
	{ "cancel", pa_batch_cancel },
	{ "inflight", pa_batch_inflight },
	{ "capacity", pa_batch_capacity },
	{ "close", pa_batch_close },
	{ "is_closed", pa_batch_is_closed },
	{ NULL, NULL },
};

static const luaL_Reg pa_batch_meta[] = {
	{ "__gc", pa_batch_close },
	{ "__close", pa_batch_close },
	{ "__tostring", pa_batch_tostring },
	{ NULL, NULL },
};

void pa_batch_open(lua_State *L)
{
	if (luaL_newmetatable(L, PA_BATCH_MT)) {
		pa_setfuncs(L, pa_batch_meta, 0);
		pa_newlib(L, pa_batch_methods);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, "locked");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
}
