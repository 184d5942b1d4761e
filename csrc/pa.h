/*
 * pa.h - declarations shared by the C files of pinanalytics.core.
 * Everything here has hidden visibility: only luaopen_pinanalytics_core is
 * exported from the shared object.
 */
#ifndef PA_H
#define PA_H

#include <curl/curl.h>

#include "compat.h"

#define PA_VERSION "0.1.0"

/* Default nesting limit for decoded JSON documents. */
#define PA_JSON_MAX_DEPTH 64

/* json.c */
void pa_json_open(lua_State *L);
/*
 * Decodes buf[0..len) with the private lua-cjson instance and applies the
 * number fix-ups (integers stay integers, integral floats stay floats).
 * On success pushes the value and returns 1; on failure pushes an error
 * message and returns 0. Never raises, except for memory errors.
 */
int pa_json_decode(lua_State *L, const char *buf, size_t len);
int pa_json_decode_lua(lua_State *L);
/* Shapes a body can be decoded as (see pa_json_decode_as). */
#define PA_SHAPE_NONE 0
#define PA_SHAPE_ANALYTICS 1
#define PA_SHAPE_PINS_ANALYTICS 2
int pa_json_decode_as(lua_State *L, const char *buf, size_t len, int shape, int *shape_ok);
int pa_check_shape(lua_State *L, int idx);

/* xfer.c: one easy handle and its response buffers */
typedef struct {
	char *p;
	size_t len, cap;
} pa_buf;

typedef struct {
	CURL *easy;
	pa_buf body, head;
	size_t max_body;
	int too_large, oom;
	int head_too_large; /* the header block passed PA_MAX_HEADER_BYTES */
	int head_state;     /* where the header callback is: see pa_header_cb */
	int head_cut;       /* libcurl said OK, but the header block never ended */
	int body_started;   /* the write callback has been called */
	int shape, shape_ok; /* how to decode the answer (PA_SHAPE_*); whether it had that shape */
	char errbuf[CURL_ERROR_SIZE];
} pa_xfer;

/* Options shared by core.session{} and core.batch{}. The strings stay on the
 * Lua stack of the constructor (pa_config_read pushes them), so that nothing
 * a finalizer does to the options table can free them; libcurl or the
 * caller copies them. */
typedef struct {
	const char *base_url, *token, *user_agent, *ca_file, *username, *password;
	size_t base_len;
	double timeout, connect_timeout, max_body;
	int tls_verify, allow_plain_http;
	int concurrency; /* core.batch only */
} pa_config;

/*
 * A handle's use: busy while one of its calls runs (any allocation in it may
 * run a finalizer, which may try to use or close the handle); closing when a
 * close came meanwhile, to be done when the call returns.
 */
typedef struct {
	int busy, closing;
} pa_use;

void pa_guard_open(lua_State *L);
/* Runs fn(L, arg) under lua_pcall with u->busy set; returns lua_pcall's
 * status (fn's results or the error are on the stack). */
int pa_guard_run(lua_State *L, pa_use *u, int (*fn)(lua_State *L, void *arg), void *arg);

/* with_concurrency: core.batch{} (the option 'concurrency' is known) */
void pa_config_read(lua_State *L, int t, const char *fn, int with_concurrency, pa_config *c);
const char *pa_check_method(lua_State *L, int idx, const char *fn);
const char *pa_check_target(lua_State *L, int idx, size_t *len, const char *fn);
const char *pa_check_token_arg(lua_State *L, int idx, const char *fn);
struct curl_slist *pa_slist_add(lua_State *L, struct curl_slist *list, const char *h);
struct curl_slist *pa_default_headers(lua_State *L, const char *token);
struct curl_slist *pa_headers_with(lua_State *L, struct curl_slist *base, int idx, const char *fn);
void pa_xfer_init(lua_State *L, pa_xfer *x, const pa_config *c);
/* Sets up the next transfer; a libcurl error code when an option was refused. */
CURLcode pa_xfer_prepare(pa_xfer *x, const char *url, const char *method, const char *body, size_t blen,
                         struct curl_slist *headers);
/* Pushes status, headers, value[, decode_error, raw] or nil, kind, message, curl_code;
 * then gives back a large body buffer. */
/* Pushes a table {lower-case name = value} parsed from a raw header block
 * (the names are lower-cased in place). Not static: a fuzz target feeds it. */
void pa_push_headers(lua_State *L, pa_buf *head);
int pa_xfer_push_result(lua_State *L, pa_xfer *x, CURLcode rc);
void pa_xfer_release(pa_xfer *x);
char *pa_join_url(lua_State *L, char **buf, size_t *cap, const char *base, size_t blen, const char *target,
                  size_t tlen);
void pa_url_trim(char **buf, size_t *cap);

/* session.c */
void pa_session_open(lua_State *L);
int pa_session_new(lua_State *L);

/* frame.c */
#include <stdint.h>
int pa_parse_date(const char *s, size_t len, int32_t *out);
void pa_frame_open(lua_State *L);
int pa_frame_new(lua_State *L);
int pa_frame_bytes(lua_State *L);

/* check.c */
int pa_check_analytics(lua_State *L);
int pa_analytics_typed(lua_State *L, int idx);
int pa_pins_analytics_typed(lua_State *L, int idx);

/* batch.c */
void pa_batch_open(lua_State *L);
int pa_batch_new(lua_State *L);

#endif /* PA_H */
