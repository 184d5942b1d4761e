/*
 * pa.h - declarations shared by the C files of pinanalytics.core.
 * Everything here has hidden visibility: only luaopen_pinanalytics_core is
 * exported from the shared object.
 */
#ifndef PA_H
#define PA_H

#include <curl/curl.h>

#include "compat.h"

/* Hidden whatever the flags (LuaRocks builds without -fvisibility=hidden):
 * only luaopen_pinanalytics_core, marked in core.c, leaves the module. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

#define PA_VERSION "0.1.0"

/* Default nesting limit for decoded JSON documents. */
#define PA_JSON_MAX_DEPTH 64

/* json.c */
void pa_json_open(lua_State *L);
int pa_json_decode_lua(lua_State *L);
/* Shapes a body can be decoded as (names: pa_check_shape in check.c). */
#define PA_SHAPE_NONE 0
#define PA_SHAPE_ANALYTICS 1      /* GET /pins/{id}/analytics, GET /user_account/analytics */
#define PA_SHAPE_PINS_ANALYTICS 2 /* GET /pins/analytics */
#define PA_SHAPE_TOP_PINS 3       /* GET /user_account/analytics/top_pins, top_video_pins */
#define PA_SHAPE_PINS_LIST 4      /* GET /pins, GET /boards/{id}/pins */
#define PA_SHAPE_BOARDS_LIST 5    /* GET /boards */
#define PA_SHAPE_ONEUP_OVERVIEW 6 /* OneUp GET /api/pinterest/overview */
#define PA_SHAPE_ONEUP_POSTS 7    /* OneUp GET /api/pinterest/posts */
#define PA_SHAPE_OAUTH_TOKEN 8    /* POST /oauth/token */
#define PA_SHAPE_ADS_ROWS 9       /* the ads analytics endpoints: an array of rows */
#define PA_SHAPE_ADS_TARGETING 10 /* the ads targeting analytics endpoints */
/*
 * Decodes buf[0..len) with the private lua-cjson instance. On success pushes
 * the value and returns 1; *shape_ok says whether it has the shape (then its
 * numbers are typed by the schema, otherwise by the general rule: see the
 * top of json.c). On failure pushes lua-cjson's message and returns 0.
 * Raises only for memory errors and an interrupt (Ctrl-C: see pa_decode_top).
 */
int pa_json_decode_as(lua_State *L, const char *buf, size_t len, int shape, int *shape_ok);
/* The same without a shape: numbers typed by the general rule. */
int pa_json_decode(lua_State *L, const char *buf, size_t len);
int pa_check_shape(lua_State *L, int idx);

/* What the general rule for numbers needs to know about the text (json.c). */
typedef struct {
	const char *text;         /* the JSON text the value came from (held on the stack) */
	size_t len;
	int slot;                 /* stack slot that holds `rounded` once made */
	int scanned;              /* has the text been scanned for rounded literals? */
	size_t n;                 /* whole numbers that literals may have been rounded to */
	const lua_Number *rounded;
} pa_json_ctx;
/* Stack slots a decode or a shape walk may use (lua-cjson's depth limit). */
#define PA_WALK_STACK (3 * PA_JSON_MAX_DEPTH + 32)

/* What typing a value does: say no, leave it, or make it the integer or the
 * float in a pa_num. Numbers are replaced by their container, in place. */
#define PA_NO (-1)
#define PA_SAME 0
#define PA_INT 1
#define PA_FLOAT 2
typedef union {
	lua_Integer i;
	lua_Number d;
} pa_num;
/* Types the value on top by the general rule (a table: everything in it, in place). */
int pa_json_general(lua_State *L, pa_json_ctx *c, pa_num *out);

/* Is d, with |d| < 2^53, a whole number? (A cast back and forth costs less
 * than floor(), a call into libm; lua_Integer holds every such d.) */
static inline int pa_is_whole(lua_Number d)
{
#if PA_HAVE_INTEGERS
	return (lua_Number)(lua_Integer)d == d;
#else
	return d == (lua_Number)(long long)d;
#endif
}

/* Pushes the new value of a retyped number (r: PA_INT or PA_FLOAT). */
static inline void pa_push_num(lua_State *L, int r, const pa_num *v)
{
#if PA_HAVE_INTEGERS
	if (r == PA_INT) {
		lua_pushinteger(L, v->i);
		return;
	}
#else
	(void)r;
#endif
	lua_pushnumber(L, v->d);
}

/* In a lua_next loop over the table at tab (absolute), key and value on top:
 * applies r. Returns 0 with both popped on PA_NO, else 1 with the key left. */
static inline int pa_settle_next(lua_State *L, int tab, int r, const pa_num *v)
{
	if (r == PA_NO) {
		lua_pop(L, 2);
		return 0;
	}
	lua_pop(L, 1);
	if (r != PA_SAME) {
		lua_pushvalue(L, -1);
		pa_push_num(L, r, v);
		lua_rawset(L, tab); /* an existing key: allowed while traversing */
	}
	return 1;
}

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
	int events;      /* core.batch only: driven by events() and action() */
} pa_config;

/*
 * A handle's use: busy while one of its calls runs (any allocation in it may
 * run a finalizer, which may try to use or close the handle); closing when a
 * close came meanwhile, to be done when the call returns.
 */
typedef struct {
	int busy, closing;
} pa_use;

/* Registers a userdata class once: its metatable `name` holds meta (__gc,
 * __close, __tostring...), methods as __index, and a locked __metatable
 * (getmetatable gives a string, setmetatable is refused). */
void pa_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods);

void pa_guard_open(lua_State *L);
/* Runs fn(L, arg) under lua_pcall with u->busy set; returns lua_pcall's
 * status (fn's results or the error are on the stack). */
int pa_guard_run(lua_State *L, pa_use *u, int (*fn)(lua_State *L, void *arg), void *arg);

/* with_concurrency: core.batch{} (the options 'concurrency' and 'events' are known) */
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

/* h1.c: HTTP/1.1 with no I/O, for runtimes that only move bytes */
void pa_h1_open(lua_State *L);
int pa_h1_new(lua_State *L);

/* frame.c */
#include <stdint.h>
int pa_parse_date(const char *s, size_t len, int32_t *out);
void pa_frame_open(lua_State *L);
int pa_frame_new(lua_State *L);
int pa_frame_bytes(lua_State *L);

/* check.c */
int pa_check_analytics(lua_State *L);
int pa_ads_column_kind(lua_State *L);
int pa_shape_typed(lua_State *L, int shape, pa_json_ctx *g);

/* batch.c */
void pa_batch_open(lua_State *L);
int pa_batch_new(lua_State *L);

/* report.c: async report files (download to a temporary file, rows of CSV or JSON) */
void pa_report_open(lua_State *L);
int pa_download_lua(lua_State *L);
int pa_report_reader_lua(lua_State *L);

/* fs.c: the credentials file's needs (modes, durable atomic writes, locks) */
void pa_fs_open(lua_State *L);
int pa_fs_stat(lua_State *L);
int pa_fs_mkdir(lua_State *L);
int pa_fs_write_temp(lua_State *L);
int pa_fs_fsync_dir(lua_State *L);
int pa_fs_lock(lua_State *L);
int pa_fs_hold_signals(lua_State *L);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif /* PA_H */
