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
	int shape, shape_ok; /* how to decode the answer (PA_SHAPE_*); whether it had that shape */
	char errbuf[CURL_ERROR_SIZE];
} pa_xfer;

/* Options shared by core.session{} and core.batch{}; strings point into the
 * options table and are copied by libcurl or by the caller. */
typedef struct {
	const char *base_url, *token, *user_agent, *ca_file, *username, *password;
	double timeout, connect_timeout, max_body;
	int tls_verify;
} pa_config;

void pa_config_read(lua_State *L, int t, const char *fn, pa_config *c);
struct curl_slist *pa_slist_add(lua_State *L, struct curl_slist *list, const char *h);
struct curl_slist *pa_default_headers(lua_State *L, const char *token);
struct curl_slist *pa_headers_with(lua_State *L, struct curl_slist *base, int idx, const char *fn);
void pa_xfer_init(lua_State *L, pa_xfer *x, const pa_config *c);
void pa_xfer_prepare(pa_xfer *x, const char *url, const char *method, const char *body, size_t blen,
                     struct curl_slist *headers);
/*
 * Pushes a table {lower-case name = value} parsed from a raw header block.
 * Not static so that fuzz/headers.c can feed it arbitrary bytes.
 */
void pa_push_headers(lua_State *L, const pa_buf *head);
/* Pushes status, headers, value[, decode_error, raw] or nil, kind, message, curl_code. */
int pa_xfer_push_result(lua_State *L, pa_xfer *x, CURLcode rc);
void pa_xfer_release(pa_xfer *x);
char *pa_join_url(lua_State *L, char **buf, size_t *cap, const char *base, size_t blen, const char *target,
                  size_t tlen);

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
