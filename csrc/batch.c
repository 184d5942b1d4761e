/***
 * @module pinanalytics.core
 */

/*
 * batch.c - the Batch userdata: many requests in flight over libcurl's multi
 * interface, under a concurrency cap, with connection reuse (and HTTP/2
 * multiplexing where the server offers it).
 *
 *   local b = core.batch{ base_url = ..., token = ..., concurrency = 8, ... }
 *   b:add(id, "GET", "/pins/1/analytics?...")   -- starts now; raises when full
 *   local done = b:step(50)                      -- at most ~50 ms; finished requests
 *
 * step() never blocks longer than its timeout. An event loop can instead
 * drive a Batch from its own events (libcurl's socket interface):
 *
 *   local b = core.batch{ ..., events = true }
 *   b:add(...)                                   -- as above
 *   local changes, timeout_ms = b:events()       -- what to watch now
 *   local done = b:action(fd, "r")               -- a socket is ready
 *   local done = b:action(nil)                   -- the timeout has come
 *
 * The contract for the loop (see pa_batch_events and pa_batch_action):
 *   - after creating the batch, after every add, action, cancel: call
 *     events() and apply its changes in order: for {fd, want = "r" | "w" |
 *     "rw"} watch fd for that (a new watch, or a change of an existing one),
 *     for {fd, want = "remove"} stop watching fd (and forget its watch: the
 *     number may come back for another socket). A remove for an fd not
 *     watched: nothing to do.
 *   - keep one timer: timeout_ms >= 0: due in that many ms (0: at once),
 *     replacing any earlier one; -1: none.
 *   - when fd is ready: action(fd, letters) (r readable, w writable, e error);
 *     when the timer is due: action(nil). Both return what finished.
 *   - cancel(): the next events() reports a remove for the sockets of the
 *     cancelled requests, and the timer as libcurl wants it then (-1 when
 *     nothing is left). close(): everything is freed and events() refuses;
 *     the loop drops its own watches and timer.
 *   - changes left unread pile up; past PA_FOLD_AT they are folded to at
 *     most two per socket, with the same meaning (pa_changes_fold).
 *   - should memory run out while a change is recorded, events() and
 *     action() raise from then on ("out of memory while recording libcurl's
 *     sockets"): the loop's view is lost, and the batch is to be closed.
 *
 * No Lua code runs inside libcurl: finished transfers are turned into Lua
 * values after curl_multi_perform()/curl_multi_poll()/
 * curl_multi_socket_action() have returned, and the socket and timer
 * callbacks only record what libcurl asks for, in C.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* What a socket is to be watched for (a change reported by events()). */
#define PA_WANT_R 1
#define PA_WANT_W 2
#define PA_WANT_RW 3
#define PA_WANT_REMOVE 4
static const char *const pa_want_names[] = { "", "r", "w", "rw", "remove" };

typedef struct {
	curl_socket_t fd;
	int want;   /* PA_WANT_* */
	size_t seq; /* its place, while changes are folded */
} pa_change;

/* Unread changes beyond this many are folded (see pa_changes_fold). */
#define PA_FOLD_AT 1024
/* The longest wait a timer callback is taken at (ms): about 24.8 days. */
#define PA_MAX_WAIT_MS 2147483647L

typedef struct {
	CURLM *multi;
	pa_use use;
	int events;              /* driven by events()/action(), not step() */
	pa_change *changes;      /* what libcurl asked for since the last events(), in order */
	size_t nchanges, capchanges;
	int oom;                 /* a change could not be recorded: the loop's view is lost */
	int timer_set;           /* libcurl wants the timeout action at deadline */
	int64_t deadline;        /* CLOCK_MONOTONIC, ns */
	unsigned long timer_calls; /* how often the timer callback ran */
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
		luaL_error(L, "pinanalytics: batch is busy: its step, events or action has not returned yet "
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
		curl_multi_cleanup(b->multi); /* may still call the socket callback */
		b->multi = NULL;
	}
	free(b->changes);
	b->changes = NULL;
	b->nchanges = b->capchanges = 0;
	b->timer_set = 0;
	if (b->headers != NULL) {
		curl_slist_free_all(b->headers);
		b->headers = NULL;
	}
	pa_free_retired(b);
	free(b->base_url);
	b->base_url = NULL;
	b->inflight = 0;
}

/* ------------------------------------------- libcurl's socket interface */

static int64_t pa_now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int pa_change_cmp(const void *x, const void *y)
{
	const pa_change *a = x, *b = y;
	if (a->fd != b->fd)
		return a->fd < b->fd ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * When a loop leaves many changes unread (a caller that never calls
 * events()), they are folded to at most two per socket: a remove when the
 * socket was removed meanwhile (its number may now be another socket's),
 * then the last thing it is wanted for. Applied in order, the folded list
 * leaves the loop watching exactly what the whole list would. No allocation.
 */
static void pa_changes_fold(pa_batch *b)
{
	size_t i, j, out = 0, n = b->nchanges;
	for (i = 0; i < n; i++)
		b->changes[i].seq = i;
	qsort(b->changes, n, sizeof *b->changes, pa_change_cmp);
	for (i = 0; i < n; i = j) {
		pa_change last;
		int removed = 0;
		for (j = i; j < n && b->changes[j].fd == b->changes[i].fd; j++)
			if (b->changes[j].want == PA_WANT_REMOVE)
				removed = 1;
		last = b->changes[j - 1];
		/* out <= i, and two entries are written only from a group of two or more */
		if (removed && last.want != PA_WANT_REMOVE) {
			b->changes[out].fd = last.fd;
			b->changes[out++].want = PA_WANT_REMOVE;
		}
		b->changes[out++] = last;
	}
	b->nchanges = out;
}

/* Room for one more change: 1, or 0 when memory ran out. */
static int pa_changes_room(pa_batch *b)
{
	pa_change *p;
	size_t cap;
	if (b->nchanges < b->capchanges)
		return 1;
	if (b->capchanges >= PA_FOLD_AT) {
		pa_changes_fold(b);
		if (b->nchanges <= b->capchanges / 2)
			return 1;
	}
	if (b->capchanges > SIZE_MAX / 2 / sizeof *p)
		return 0;
	cap = b->capchanges > 0 ? b->capchanges * 2 : 16;
	p = realloc(b->changes, cap * sizeof *p);
	if (p == NULL)
		return 0;
	b->changes = p;
	b->capchanges = cap;
	return 1;
}

/* CURLMOPT_SOCKETFUNCTION: C only, records the change. */
static int pa_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	pa_batch *b = userp;
	int want;
	(void)easy;
	(void)socketp;
	switch (what) {
	case CURL_POLL_IN:
		want = PA_WANT_R;
		break;
	case CURL_POLL_OUT:
		want = PA_WANT_W;
		break;
	case CURL_POLL_INOUT:
		want = PA_WANT_RW;
		break;
	default: /* CURL_POLL_REMOVE, and CURL_POLL_NONE: nothing to wait for */
		want = PA_WANT_REMOVE;
		break;
	}
	if (b->oom)
		return 0;
	if (!pa_changes_room(b)) {
		b->oom = 1;
		return 0;
	}
	b->changes[b->nchanges].fd = s;
	b->changes[b->nchanges].want = want;
	b->changes[b->nchanges].seq = 0;
	b->nchanges++;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: C only, records the absolute deadline. */
static int pa_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	pa_batch *b = userp;
	(void)multi;
	b->timer_calls++;
	if (timeout_ms < 0) {
		b->timer_set = 0;
		return 0;
	}
	if (timeout_ms > PA_MAX_WAIT_MS)
		timeout_ms = PA_MAX_WAIT_MS;
	b->deadline = pa_now_ns() + (int64_t)timeout_ms * 1000000;
	b->timer_set = 1;
	return 0;
}

/***
 * A Batch: many requests in flight over libcurl's multi interface, at most
 * `concurrency` at once, connections reused (and HTTP/2 multiplexed where
 * the server offers it). `Batch:step` drives it and never blocks longer than
 * its timeout; with `events = true` an event loop drives it instead from its
 * own socket and timer events (`Batch:events`, `Batch:action`). No Lua code
 * runs inside libcurl: its callbacks only record, in C, what it asks for.
 * @function batch
 * @tab opts the options of `session`, and:
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
 * @int[opt=8] opts.concurrency requests in flight at once, 1..1024
 * @bool[opt=false] opts.events driven by an event loop (`Batch:events`, `Batch:action`) instead of
 * `Batch:step`
 * @treturn Batch
 * @usage
 * local b = core.batch{ base_url = ..., token = ..., concurrency = 8 }
 * b:add(1, "GET", "/pins/1/analytics?...")         -- raises when `concurrency` are in flight
 * for _, r in ipairs(b:step(10)) do                -- never blocks longer than 10 ms
 *   -- r.id, r.status, r.headers, r.body (decoded) | r.kind, r.message (no answer)
 * end
 */
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
	b->events = c.events;
	if (b->events) {
		curl_multi_setopt(b->multi, CURLMOPT_SOCKETFUNCTION, pa_socket_cb);
		curl_multi_setopt(b->multi, CURLMOPT_SOCKETDATA, (void *)b);
		curl_multi_setopt(b->multi, CURLMOPT_TIMERFUNCTION, pa_timer_cb);
		curl_multi_setopt(b->multi, CURLMOPT_TIMERDATA, (void *)b);
	}
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

/***
 * The Batch userdata of `batch`.
 * @type Batch
 */

/***
 * Starts a request. Raises when `concurrency` requests are in flight, or
 * when `id` is in flight already.
 * @function Batch:add
 * @int id the caller's id for the request, given back with its answer
 * @string method as for `Session:request`
 * @string target as for `Session:request`
 * @string[opt] body
 * @tparam[opt] {string,...} headers
 * @string[opt] shape as for `Session:request`; the answer's expected shape, checked and typed while it is decoded:
 * "analytics" (an answer keyed by split), "pins_analytics" (such answers keyed by pin id),
 * "top_pins", "pins_list", "boards_list", "oneup_overview", "oneup_posts" or "oauth_token";
 * an unknown name raises
 * @treturn true
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

/***
 * Drives the transfers for at most `timeout_ms` and returns what finished.
 * While it runs the batch is busy: a finalizer that runs meanwhile may close
 * it (the close waits until step returns) but not use it. Raises on a batch
 * made with `events = true`.
 * @function Batch:step
 * @int[opt=0] timeout_ms 0..2147483647 (a negative wait is over already)
 * @treturn {table,...} the finished requests (possibly none), each `{ id, status, headers, body,
 * decode_error, raw, shape_ok }` when an answer came (as `Session:request` returns them), or
 * `{ id, kind, message, curl_code }` when none did
 */
static int pa_batch_step(lua_State *L)
{
	pa_step st;
	pa_batch *b;
	lua_Number t;
	int status;
	b = luaL_checkudata(L, 1, PA_BATCH_MT);
	if (b->events)
		return luaL_error(L, "batch:step: this batch is driven by events (core.batch{events = true}): "
		                     "use b:events() and b:action()");
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

/* ------------------------------------------------- events() and action() */

/* The events batch at idx, open, not busy, its record of changes whole. */
static pa_batch *pa_check_events(lua_State *L, int idx, const char *fn)
{
	pa_batch *b = pa_check_open(L, idx);
	if (b->oom)
		luaL_error(L, "%s: out of memory while recording libcurl's sockets: this batch can no longer "
		              "be driven; close it", fn);
	return b;
}

static void pa_check_mode(lua_State *L, pa_batch *b, const char *fn)
{
	if (!b->events)
		luaL_error(L, "%s: this batch is driven by step() (made without events = true): use b:step()", fn);
}

/* ms until the deadline, rounded up; 0 when due; -1 without a timer */
static void pa_push_timeout(lua_State *L, const pa_batch *b)
{
	int64_t left;
	if (!b->timer_set) {
		lua_pushinteger(L, -1);
		return;
	}
	left = b->deadline - pa_now_ns();
	lua_pushinteger(L, left <= 0 ? 0 : (lua_Integer)((left + 999999) / 1000000));
}

/* The part of b:events that runs with the batch busy: nothing can record
 * a change meanwhile (no libcurl call can be made on the batch). */
static int pa_batch_events_run(lua_State *L, void *arg)
{
	pa_batch *b = arg;
	size_t i, n = b->nchanges;
	lua_createtable(L, n < 1024 ? (int)n : 1024, 0);
	for (i = 0; i < n; i++) {
		lua_createtable(L, 0, 2);
		lua_pushinteger(L, (lua_Integer)b->changes[i].fd);
		lua_setfield(L, -2, "fd");
		lua_pushstring(L, pa_want_names[b->changes[i].want]);
		lua_setfield(L, -2, "want");
		lua_rawseti(L, -2, (int)(i + 1));
	}
	pa_push_timeout(L, b);
	return 2;
}

/***
 * What the event loop is to watch now (a batch made with `events = true`).
 * Call it after making the batch and after every add, action and cancel;
 * apply the changes in order: for `want` "r", "w" or "rw" watch `fd` for that
 * (a new watch, or a change of one), for "remove" stop watching it and forget
 * its watch (the number may come back for another socket). Keep one timer,
 * replaced by each call. Changes left unread pile up and are folded, past a
 * bound, to at most two per socket with the same meaning. Should memory run
 * out while a change is recorded, `events` and `action` raise from then on:
 * the batch is to be closed.
 * @function Batch:events
 * @treturn {table,...} changes, in libcurl's order: `{ fd = integer, want = "r" | "w" | "rw" | "remove" }`
 * @treturn int timeout_ms when to call `action(nil)`: 0 at once, -1 no timer
 * @usage
 * local changes, timeout_ms = b:events()
 * for _, c in ipairs(changes) do
 *   if c.want == "remove" then unwatch(c.fd) else watch(c.fd, c.want) end
 * end
 * set_timer(timeout_ms)
 */
static int pa_batch_events(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	int status;
	pa_check_mode(L, b, "batch:events");
	lua_settop(L, 1);
	b = pa_check_events(L, 1, "batch:events");
	status = pa_guard_run(L, &b->use, pa_batch_events_run, b);
	if (status == LUA_OK)
		b->nchanges = 0;
	if (b->use.closing)
		pa_batch_release(b);
	if (status != LUA_OK)
		return lua_error(L);
	return 2;
}

/* fd: nil (the timeout) or a whole number in 0..INT_MAX */
static curl_socket_t pa_check_fd(lua_State *L, int idx)
{
	if (lua_isnoneornil(L, idx))
		return CURL_SOCKET_TIMEOUT;
	if (lua_type(L, idx) == LUA_TNUMBER) {
#if PA_HAVE_INTEGERS
		if (lua_isinteger(L, idx)) {
			lua_Integer i = lua_tointeger(L, idx);
			if (i >= 0 && i <= INT_MAX)
				return (curl_socket_t)i;
		} else
#endif
		{
			lua_Number v = lua_tonumber(L, idx);
			if (v >= 0 && v <= (lua_Number)INT_MAX && v == floor(v))
				return (curl_socket_t)v;
		}
		lua_pushvalue(L, idx);
		lua_tostring(L, -1); /* the copy becomes its text */
	} else {
		lua_pushstring(L, luaL_typename(L, idx));
	}
	luaL_error(L, "batch:action: argument 'fd' must be nil (the timeout) or a socket from batch:events() "
	              "(a whole number in 0..%d), got %s", INT_MAX, lua_tostring(L, -1));
	return CURL_SOCKET_TIMEOUT;
}

/* events: nil or a string of r, w, e, each at most once -> CURL_CSELECT_* */
static int pa_check_letters(lua_State *L, int idx)
{
	static const char what[] = "batch:action: argument 'events' must be nil or a string of the letters r, w, e "
	                           "(each at most once), got ";
	const char *s;
	size_t len, i;
	int mask = 0;
	if (lua_isnoneornil(L, idx))
		return 0;
	if (lua_type(L, idx) != LUA_TSTRING)
		return luaL_error(L, "%s%s", what, luaL_typename(L, idx));
	s = lua_tolstring(L, idx, &len);
	/* a fourth letter is a repeat: the loop stops by then */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int bit;
		if (c == 'r')
			bit = CURL_CSELECT_IN;
		else if (c == 'w')
			bit = CURL_CSELECT_OUT;
		else if (c == 'e')
			bit = CURL_CSELECT_ERR;
		else if (c >= 0x20 && c < 0x7f)
			return luaL_error(L, "%sa string with '%c'", what, (int)c);
		else
			return luaL_error(L, "%sa string with byte %d", what, (int)c);
		if (mask & bit)
			return luaL_error(L, "%s'%c' twice", what, (int)c);
		mask |= bit;
	}
	return mask;
}

typedef struct {
	pa_batch *b;
	curl_socket_t fd;
	int mask;
} pa_act;

/* The part of b:action that runs with the batch busy. */
static int pa_batch_action_run(lua_State *L, void *arg)
{
	pa_act *a = arg;
	pa_batch *b = a->b;
	unsigned long calls = b->timer_calls;
	int running = 0;
	CURLMcode mc;
	lua_newtable(L);
	mc = curl_multi_socket_action(b->multi, a->fd, a->mask, &running);
	/* The deadline has passed and libcurl set no new one: it tells a new
	 * timeout only when its first one changes, which it does not when the
	 * loop's timer fired a little before libcurl's own clock got there (or
	 * when nothing is left). Ask it what it wants now: -1 no timer, else its
	 * remaining time, so that the loop waits again rather than spins on a
	 * deadline that stays due. */
	if (mc == CURLM_OK && b->timer_set && b->timer_calls == calls && b->deadline <= pa_now_ns()) {
		long ms = -1;
		if (curl_multi_timeout(b->multi, &ms) == CURLM_OK && b->timer_calls == calls) {
			if (ms < 0)
				b->timer_set = 0;
			else if (ms > 0)
				b->deadline = pa_now_ns() + (int64_t)(ms > PA_MAX_WAIT_MS ? PA_MAX_WAIT_MS : ms) * 1000000;
		}
	}
	if (mc == CURLM_OK)
		pa_collect(L, b);
	if (mc != CURLM_OK)
		return luaL_error(L, "pinanalytics: libcurl multi error: %s", curl_multi_strerror(mc));
	if (b->inflight == 0 && b->nretired > 0)
		pa_free_retired(b);
	return 1;
}

/***
 * Tells libcurl that a socket is ready or that the timer is due (a batch
 * made with `events = true`), and returns what finished.
 * @function Batch:action
 * @int[opt] fd a socket from `events` that is ready; nil when the timer is due
 * @string[opt] events letters: "r" readable, "w" writable, "e" error
 * @treturn {table,...} the finished requests, as `step` returns them
 */
static int pa_batch_action(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	pa_act a;
	int status;
	pa_check_mode(L, b, "batch:action");
	a.fd = pa_check_fd(L, 2);
	a.mask = pa_check_letters(L, 3);
	lua_settop(L, 1);
	b = pa_check_events(L, 1, "batch:action");
	a.b = b;
	status = pa_guard_run(L, &b->use, pa_batch_action_run, &a);
	if (b->use.closing)
		pa_batch_release(b);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

/***
 * Replaces the bearer token of the requests added from now on.
 * @function Batch:set_token
 * @string[opt] token nil: no Authorization header
 */
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

/***
 * Removes every request in flight; `step` never returns their answers. The
 * clients' bulk engine calls it when a run ends in an error, so that nothing
 * it left behind is collected later for a request of another run.
 * @function Batch:cancel
 * @treturn int how many were in flight (0 on a closed batch)
 */
static int pa_batch_cancel(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	int i, n = 0;
	if (b->use.busy)
		return luaL_error(L, "pinanalytics: batch is busy: its step, events or action has not returned yet "
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

/***
 * How many requests are in flight.
 * @function Batch:inflight
 * @treturn int
 */
static int pa_batch_inflight(lua_State *L)
{
	lua_pushinteger(L, pa_check_open(L, 1)->inflight);
	return 1;
}

/***
 * How many requests may be in flight at once (`concurrency`).
 * @function Batch:capacity
 * @treturn int
 */
static int pa_batch_capacity(lua_State *L)
{
	lua_pushinteger(L, pa_check_open(L, 1)->nslots);
	return 1;
}

/***
 * Frees the handles and their connections; `events` refuses afterwards.
 * Idempotent; also `__close` and `__gc`. While `step` runs, the close waits
 * for its end (the slots are in use).
 * @function Batch:close
 */
static int pa_batch_close(lua_State *L)
{
	pa_batch *b = luaL_checkudata(L, 1, PA_BATCH_MT);
	if (b->use.busy)
		b->use.closing = 1;
	else
		pa_batch_release(b);
	return 0;
}

/***
 * Is the batch closed?
 * @function Batch:is_closed
 * @treturn boolean
 */
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
	{ "events", pa_batch_events },
	{ "action", pa_batch_action },
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
	pa_class(L, PA_BATCH_MT, pa_batch_meta, pa_batch_methods);
}
