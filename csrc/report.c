/***
 * @module pinanalytics.core
 */

/*
 * report.c - the files of Pinterest's async ads reports: a Download (one
 * libcurl transfer on a multi handle of its own, stepped so that a host's
 * event loop is never blocked, written to a private temporary file) and a
 * ReportReader (rows of a CSV or JSON report, plain or gzip, read from a
 * file with bounded memory: a buffer of input, one of output and the field
 * being read).
 *
 * No Lua code runs inside a libcurl callback (they only write to the file
 * and append to the header buffer). The reader builds Lua values, and raises
 * only for memory; a malformed file is a `nil, message` return.
 */
#include <errno.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pa.h"

#define PA_DOWNLOAD_MT "pinanalytics.Download"
#define PA_READER_MT "pinanalytics.ReportReader"
#define PA_DL_MAX_HEAD (256 * 1024)
#define PA_DL_MAX_TIMEOUT 2147483.0
#define PA_RD_IN 16384
#define PA_RD_OUT 65536
#define PA_RD_MAX_FIELD (1024 * 1024) /* one CSV cell or JSON string/number */
#define PA_RD_MAX_COLS 4096
#define PA_RD_MAX_ROWS 100000 /* rows one next() may return */

/* ---------------------------------------------------------------- download */

typedef struct {
	CURLM *multi;
	CURL *easy;
	FILE *file;
	pa_buf head;
	curl_off_t bytes, max_bytes;
	int too_large, write_failed, head_too_large, done, head_state, body_started;
	CURLcode rc;
	char errbuf[CURL_ERROR_SIZE];
} pa_download;

static int pa_dl_append(pa_buf *b, const char *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
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

static size_t pa_dl_write(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_download *d = ud;
	size_t n = size * nmemb;
	d->body_started = 1;
	if ((curl_off_t)n > d->max_bytes - d->bytes) {
		d->too_large = 1;
		return 0;
	}
	if (n > 0 && fwrite(data, 1, n, d->file) != n) {
		d->write_failed = 1;
		return 0;
	}
	d->bytes += (curl_off_t)n;
	return n;
}

/* As xfer.c's header callback: only the last header block before the body
 * is kept (a 100 Continue's is dropped). */
static size_t pa_dl_header(char *data, size_t size, size_t nmemb, void *ud)
{
	pa_download *d = ud;
	size_t n = size * nmemb;
	if (d->head_state != 1 && !d->body_started && n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		d->head.len = 0;
		d->head_state = 1;
	} else if ((n == 2 && data[0] == '\r' && data[1] == '\n') || (n == 1 && data[0] == '\n')) {
		d->head_state = 2;
	}
	if (n > PA_DL_MAX_HEAD - d->head.len) {
		d->head_too_large = 1;
		return 0;
	}
	if (!pa_dl_append(&d->head, data, n)) {
		d->write_failed = 1;
		return 0;
	}
	return n;
}

static void pa_dl_release(pa_download *d)
{
	if (d->multi != NULL && d->easy != NULL)
		curl_multi_remove_handle(d->multi, d->easy);
	if (d->easy != NULL)
		curl_easy_cleanup(d->easy);
	if (d->multi != NULL)
		curl_multi_cleanup(d->multi);
	d->easy = NULL;
	d->multi = NULL;
	if (d->file != NULL)
		fclose(d->file);
	d->file = NULL;
	free(d->head.p);
	d->head.p = NULL;
	d->head.len = d->head.cap = 0;
}

/* t[k] read raw, of the type given or nil; left on the stack. */
static int pa_dl_opt(lua_State *L, int t, const char *k, int type)
{
	lua_pushstring(L, k);
	lua_rawget(L, t);
	if (lua_isnil(L, -1))
		return 0;
	if (lua_type(L, -1) != type)
		luaL_error(L, "pinanalytics.core.download: option '%s' must be a %s, got %s", k, lua_typename(L, type),
		           luaL_typename(L, -1));
	return 1;
}

static double pa_dl_seconds(lua_State *L, int t, const char *k, double dflt)
{
	double v;
	if (!pa_dl_opt(L, t, k, LUA_TNUMBER)) {
		lua_pop(L, 1);
		return dflt;
	}
	v = (double)lua_tonumber(L, -1);
	lua_pop(L, 1);
	if (!(v >= 0.001 && v <= PA_DL_MAX_TIMEOUT))
		luaL_error(L, "pinanalytics.core.download: option '%s' must be a number of seconds in 0.001..2147483", k);
	return v;
}

/* The URL: http:// or https://, nothing below 0x21 nor DEL in it (it goes
 * into the request line), no backslash. Which scheme and host are allowed
 * is the caller's rule (pinanalytics.ads.async); this is the core's. */
static void pa_dl_check_url(lua_State *L, const char *u, size_t len)
{
	size_t i;
	if (!((len > 8 && memcmp(u, "https://", 8) == 0) || (len > 7 && memcmp(u, "http://", 7) == 0)))
		luaL_error(L, "pinanalytics.core.download: option 'url' must start with http:// or https://");
	for (i = 0; i < len; i++)
		if ((unsigned char)u[i] <= 0x20 || (unsigned char)u[i] == 0x7f || u[i] == '\\')
			luaL_error(L, "pinanalytics.core.download: option 'url' must not contain spaces, control "
			              "characters or backslashes (byte %d at position %d)",
			           (int)(unsigned char)u[i], (int)i + 1);
}

/***
 * Starts a download of one URL to a private temporary file (made by
 * tmpfile(): removed when it is closed). No Authorization header, no
 * cookies, no redirect followed (a 3xx is an answer: its `location` header
 * says where, and the caller decides). Content-Encoding gzip or deflate is
 * decoded on the way. The transfer moves only when `Download:step` is called.
 * @function download
 * @tab opts
 * @string opts.url http:// or https://; no space or control character
 * @number[opt=300] opts.timeout seconds for the whole transfer
 * @number[opt=10] opts.connect_timeout seconds
 * @bool[opt=true] opts.tls_verify certificate and host verification
 * @string[opt] opts.ca_file a PEM bundle to verify against
 * @string[opt] opts.user_agent the User-Agent header; no control character
 * @number[opt=2^40] opts.max_bytes a larger body (decoded) ends with kind "too_large"
 * @treturn Download
 */
static int pa_download_new(lua_State *L)
{
	pa_download *d;
	const char *url, *ua = NULL, *ca = NULL;
	size_t ulen, i, ualen = 0;
	double timeout, connect_timeout, max_bytes = 1099511627776.0;
	int tls = 1, t;
	luaL_checktype(L, 1, LUA_TTABLE);
	t = 1;
	if (!pa_dl_opt(L, t, "url", LUA_TSTRING))
		luaL_error(L, "pinanalytics.core.download: option 'url' is required");
	url = lua_tolstring(L, -1, &ulen);
	pa_dl_check_url(L, url, ulen);
	timeout = pa_dl_seconds(L, t, "timeout", 300);
	connect_timeout = pa_dl_seconds(L, t, "connect_timeout", 10);
	if (pa_dl_opt(L, t, "tls_verify", LUA_TBOOLEAN))
		tls = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (pa_dl_opt(L, t, "ca_file", LUA_TSTRING))
		ca = lua_tostring(L, -1);
	if (pa_dl_opt(L, t, "user_agent", LUA_TSTRING)) {
		ua = lua_tolstring(L, -1, &ualen);
		for (i = 0; i < ualen; i++)
			if ((unsigned char)ua[i] < 0x20 || ua[i] == 0x7f)
				luaL_error(L, "pinanalytics.core.download: option 'user_agent' must not contain control "
				              "characters");
	}
	if (pa_dl_opt(L, t, "max_bytes", LUA_TNUMBER)) {
		max_bytes = (double)lua_tonumber(L, -1);
		if (!(max_bytes >= 1 && max_bytes <= 9007199254740992.0))
			luaL_error(L, "pinanalytics.core.download: option 'max_bytes' must be in 1..2^53");
	}
	lua_pop(L, 1);
	/* the strings stay on the stack until libcurl has copied them */
	d = lua_newuserdata(L, sizeof *d);
	memset(d, 0, sizeof *d);
	pa_setmetatable(L, PA_DOWNLOAD_MT);
	d->max_bytes = (curl_off_t)max_bytes;
	d->file = tmpfile();
	if (d->file == NULL)
		return luaL_error(L, "pinanalytics.core.download: cannot create a temporary file: %s", strerror(errno));
	d->multi = curl_multi_init();
	d->easy = curl_easy_init();
	if (d->multi == NULL || d->easy == NULL) {
		pa_dl_release(d);
		return luaL_error(L, "pinanalytics.core.download: libcurl could not make a handle");
	}
#define PA_DL_SET(opt, val)                                                                            \
	do {                                                                                           \
		CURLcode rc_ = curl_easy_setopt(d->easy, (opt), (val));                                \
		if (rc_ != CURLE_OK) {                                                                 \
			pa_dl_release(d);                                                              \
			return luaL_error(L, "pinanalytics.core.download: libcurl rejected option %s: %s", \
			                  #opt, curl_easy_strerror(rc_));                              \
		}                                                                                      \
	} while (0)
	PA_DL_SET(CURLOPT_NOSIGNAL, 1L);
	PA_DL_SET(CURLOPT_ERRORBUFFER, d->errbuf);
	PA_DL_SET(CURLOPT_URL, url);
	PA_DL_SET(CURLOPT_WRITEFUNCTION, pa_dl_write);
	PA_DL_SET(CURLOPT_WRITEDATA, d);
	PA_DL_SET(CURLOPT_HEADERFUNCTION, pa_dl_header);
	PA_DL_SET(CURLOPT_HEADERDATA, d);
	PA_DL_SET(CURLOPT_ACCEPT_ENCODING, "");
	PA_DL_SET(CURLOPT_FOLLOWLOCATION, 0L);
	PA_DL_SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	PA_DL_SET(CURLOPT_TIMEOUT_MS, (long)(timeout * 1000.0 + 0.5));
	PA_DL_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_timeout * 1000.0 + 0.5));
	PA_DL_SET(CURLOPT_MAXFILESIZE_LARGE, d->max_bytes);
	PA_DL_SET(CURLOPT_SSL_VERIFYPEER, tls ? 1L : 0L);
	PA_DL_SET(CURLOPT_SSL_VERIFYHOST, tls ? 2L : 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	PA_DL_SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	PA_DL_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (ca != NULL)
		PA_DL_SET(CURLOPT_CAINFO, ca);
	if (ua != NULL)
		PA_DL_SET(CURLOPT_USERAGENT, ua);
#undef PA_DL_SET
	if (curl_multi_add_handle(d->multi, d->easy) != CURLM_OK) {
		pa_dl_release(d);
		return luaL_error(L, "pinanalytics.core.download: libcurl could not start the transfer");
	}
	return 1;
}

static pa_download *pa_dl_check(lua_State *L)
{
	pa_download *d = luaL_checkudata(L, 1, PA_DOWNLOAD_MT);
	if (d->multi == NULL && !d->done)
		luaL_error(L, "pinanalytics: attempt to use a closed download");
	return d;
}

/***
 * A reader of a report file's rows (also `Download:reader`).
 * @function report_reader
 * @tab opts
 * @string[opt] opts.text the report's bytes themselves, instead of a path
 * @string opts.path the file: CSV (a header line, then records) or JSON (an object keyed by
 * entity id or date, each an array of flat row objects); plain or gzip, as its first bytes say
 * @tab[opt] opts.kinds column -> "text" (ids, names, dates: strings as they are), "int" (counts
 * and micro-dollars: exact integers, refused when not whole) or "float"; other columns: a whole
 * number is an integer, another number a float, anything else a string
 * @string[opt] opts.key_column JSON: the column a row gets its key in when it has not that column
 * @treturn ReportReader
 */

/***
 * The Download userdata of `download`.
 * @type Download
 */

/***
 * Moves the transfer on: what the sockets have now, and when ms > 0 waits
 * up to ms milliseconds for more (ms = 0 never blocks: a host's loop sleeps
 * between steps instead).
 * @function Download:step
 * @int[opt=0] ms 0..60000
 * @treturn boolean true while the transfer runs, false once it has ended
 */
static int pa_download_step(lua_State *L)
{
	pa_download *d = pa_dl_check(L);
	lua_Integer ms = luaL_optinteger(L, 2, 0);
	int running = 0, left = 0;
	CURLMsg *m;
	if (ms < 0 || ms > 60000)
		return luaL_error(L, "Download:step: ms must be in 0..60000");
	if (d->done || d->multi == NULL) {
		lua_pushboolean(L, 0);
		return 1;
	}
	curl_multi_perform(d->multi, &running);
	if (running && ms > 0) {
		curl_multi_poll(d->multi, NULL, 0, (int)ms, NULL);
		curl_multi_perform(d->multi, &running);
	}
	while ((m = curl_multi_info_read(d->multi, &left)) != NULL)
		if (m->msg == CURLMSG_DONE) {
			d->rc = m->data.result;
			d->done = 1;
		}
	if (!running && !d->done) {
		d->rc = CURLE_RECV_ERROR;
		d->done = 1;
	}
	lua_pushboolean(L, !d->done);
	return 1;
}

static const char *pa_dl_kind(const pa_download *d)
{
	if (d->too_large || d->head_too_large || d->rc == CURLE_FILESIZE_EXCEEDED)
		return "too_large";
	switch (d->rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_USE_SSL_FAILED:
		return "tls";
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_WEIRD_SERVER_REPLY:
		return "invalid_response";
	default:
		return "network";
	}
}

/***
 * How the transfer ended (after `step` returned false).
 * @function Download:result
 * @treturn[1] int status
 * @treturn[1] table headers, names in lower case
 * @treturn[1] number bytes the body's size (decoded), in the file
 * @treturn[2] nil
 * @treturn[2] string kind "network", "timeout", "tls", "too_large" or "invalid_response"
 * @treturn[2] string message
 */
static int pa_download_result(lua_State *L)
{
	pa_download *d = pa_dl_check(L);
	long status = 0;
	if (!d->done)
		return luaL_error(L, "Download:result: the transfer has not ended (call step until it returns false)");
	if (d->write_failed)
		return luaL_error(L, "pinanalytics: the report could not be written to its temporary file "
		                     "(out of memory or disk space)");
	if (d->rc == CURLE_OK && d->easy != NULL) {
		curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 100 && status <= 999 && d->head_state == 2) {
			lua_pushinteger(L, (lua_Integer)status);
			pa_push_headers(L, &d->head);
			lua_pushnumber(L, (lua_Number)d->bytes);
			return 3;
		}
	}
	lua_pushnil(L);
	if (d->rc == CURLE_OK) {
		lua_pushliteral(L, "network");
		lua_pushliteral(L, "the connection closed before the end of the response headers");
		return 3;
	}
	lua_pushstring(L, pa_dl_kind(d));
	if (d->too_large || d->rc == CURLE_FILESIZE_EXCEEDED)
		lua_pushliteral(L, "the report is larger than max_bytes");
	else if (d->head_too_large)
		lua_pushliteral(L, "response headers larger than 256 KiB");
	else
		lua_pushstring(L, d->errbuf[0] ? d->errbuf : curl_easy_strerror(d->rc));
	return 3;
}

/***
 * Ends the transfer (if it runs) and releases the handle and its file.
 * Idempotent; also `__gc` and `__close`.
 * @function Download:close
 */
static int pa_download_close(lua_State *L)
{
	pa_download *d = luaL_checkudata(L, 1, PA_DOWNLOAD_MT);
	pa_dl_release(d);
	d->done = 1;
	return 0;
}

static int pa_download_tostring(lua_State *L)
{
	pa_download *d = luaL_checkudata(L, 1, PA_DOWNLOAD_MT);
	lua_pushfstring(L, "pinanalytics.Download (%s)", d->multi == NULL ? "closed" : d->done ? "ended" : "running");
	return 1;
}

/* ---------------------------------------------------------------- reader */

#define PA_K_AUTO 0
#define PA_K_TEXT 1 /* ids, names, statuses, dates: the text as it is */
#define PA_K_INT 2  /* counts and money: exact integers */
#define PA_K_FLOAT 3

typedef struct {
	FILE *f;
	z_stream z;
	int gz, zinit, in_eof, out_eof;
	unsigned char *in, *out;
	size_t pos, len;
	int fmt;   /* 0 not yet known, 1 CSV, 2 JSON */
	int state; /* JSON: 0 before the object, 1 keys, 2 rows of a key, 3 ended; CSV: 0 header, 1 rows, 3 ended */
	int first; /* JSON: nothing read yet in the object or array at hand */
	char *tok;
	size_t tlen, tcap;
	char *text; /* report_reader{text}: the bytes the file is opened over */
	char *key; /* JSON: the key whose rows are read (entity id or date) */
	size_t klen, kcap;
	int ncols; /* CSV: the header */
	char **cols;
	size_t *collen;
	int *colkind;
	int kinds_ref, keycol_ref;
	double rows;
	int failed;
	char err[200];
} pa_reader;

static void pa_rd_release(lua_State *L, pa_reader *r)
{
	int i;
	if (r->f != NULL)
		fclose(r->f);
	r->f = NULL;
	if (r->zinit)
		inflateEnd(&r->z);
	r->zinit = 0;
	free(r->in);
	free(r->out);
	free(r->tok);
	free(r->key);
	free(r->text);
	r->in = r->out = NULL;
	r->tok = r->key = r->text = NULL;
	for (i = 0; i < r->ncols; i++)
		free(r->cols[i]);
	free(r->cols);
	free(r->collen);
	free(r->colkind);
	r->cols = NULL;
	r->collen = NULL;
	r->colkind = NULL;
	r->ncols = 0;
	if (L != NULL) {
		if (r->kinds_ref != LUA_NOREF)
			luaL_unref(L, LUA_REGISTRYINDEX, r->kinds_ref);
		if (r->keycol_ref != LUA_NOREF)
			luaL_unref(L, LUA_REGISTRYINDEX, r->keycol_ref);
	}
	r->kinds_ref = r->keycol_ref = LUA_NOREF;
}

/* Refills the output buffer; 0 at the end of the data, -1 on an error (in r->err). */
static int pa_rd_fill(pa_reader *r)
{
	r->pos = r->len = 0;
	if (r->out_eof)
		return 0;
	if (!r->gz) {
		size_t n = fread(r->out, 1, PA_RD_OUT, r->f);
		if (n == 0) {
			r->out_eof = 1;
			if (ferror(r->f)) {
				snprintf(r->err, sizeof r->err, "cannot read the report file");
				return -1;
			}
			return 0;
		}
		r->len = n;
		return 1;
	}
	r->z.next_out = r->out;
	r->z.avail_out = PA_RD_OUT;
	while (r->z.avail_out == PA_RD_OUT) {
		int zr;
		if (r->z.avail_in == 0 && !r->in_eof) {
			size_t n = fread(r->in, 1, PA_RD_IN, r->f);
			if (n == 0) {
				if (ferror(r->f)) {
					snprintf(r->err, sizeof r->err, "cannot read the report file");
					return -1;
				}
				r->in_eof = 1;
			}
			r->z.next_in = r->in;
			r->z.avail_in = (uInt)n;
		}
		zr = inflate(&r->z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END) {
			/* another gzip member may follow (gzip allows concatenation) */
			if (r->z.avail_in == 0 && !r->in_eof) {
				size_t n = fread(r->in, 1, PA_RD_IN, r->f);
				if (n == 0)
					r->in_eof = 1;
				r->z.next_in = r->in;
				r->z.avail_in = (uInt)n;
			}
			if (r->z.avail_in > 0) {
				if (inflateReset(&r->z) != Z_OK) {
					snprintf(r->err, sizeof r->err, "the report's gzip data is corrupt");
					return -1;
				}
				continue;
			}
			r->out_eof = 1;
			break;
		}
		if (zr == Z_BUF_ERROR && r->in_eof && r->z.avail_in == 0) {
			snprintf(r->err, sizeof r->err, "the report's gzip data ends before its end (a cut download?)");
			return -1;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			snprintf(r->err, sizeof r->err, "the report's gzip data is corrupt: %s",
			         r->z.msg ? r->z.msg : "inflate failed");
			return -1;
		}
	}
	r->len = PA_RD_OUT - r->z.avail_out;
	return r->len > 0 ? 1 : 0;
}

/* The next byte, -1 at the end, -2 on an error. */
static int pa_rd_peek(pa_reader *r)
{
	if (r->pos >= r->len) {
		int f = pa_rd_fill(r);
		if (f <= 0)
			return f == 0 ? -1 : -2;
	}
	return r->out[r->pos];
}

static int pa_rd_get(pa_reader *r)
{
	int c = pa_rd_peek(r);
	if (c >= 0)
		r->pos++;
	return c;
}

static int pa_rd_fail(pa_reader *r, const char *fmt, const char *what)
{
	char msg[150];
	snprintf(msg, sizeof msg, fmt, what);
	if (!r->err[0])
		snprintf(r->err, sizeof r->err, "row %.0f: %s", r->rows + 1, msg);
	r->failed = 1;
	return 0;
}

static int pa_rd_tok_add(pa_reader *r, char c)
{
	if (r->tlen + 2 > r->tcap) {
		size_t cap = r->tcap ? r->tcap * 2 : 256;
		char *p;
		if (r->tlen + 2 > PA_RD_MAX_FIELD)
			return pa_rd_fail(r, "a value longer than %s", "1 MiB");
		p = realloc(r->tok, cap);
		if (p == NULL)
			return pa_rd_fail(r, "%s", "out of memory");
		r->tok = p;
		r->tcap = cap;
	}
	r->tok[r->tlen++] = c;
	r->tok[r->tlen] = '\0';
	return 1;
}

/* Skips the start: a UTF-8 byte order mark, then sniffs the format and
 * whether the bytes are gzip. */
static int pa_rd_start(pa_reader *r)
{
	unsigned char magic[2];
	size_t n = fread(magic, 1, 2, r->f);
	int c;
	if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		memset(&r->z, 0, sizeof r->z);
		if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK) {
			snprintf(r->err, sizeof r->err, "zlib could not start");
			return -1;
		}
		r->zinit = r->gz = 1;
		r->z.next_in = r->in;
		memcpy(r->in, magic, 2);
		r->z.avail_in = 2;
	} else {
		memcpy(r->out, magic, n);
		r->len = n;
		r->pos = 0;
	}
	/* a byte order mark */
	if (pa_rd_peek(r) == 0xEF) {
		r->pos++;
		if (pa_rd_get(r) != 0xBB || pa_rd_get(r) != 0xBF) {
			snprintf(r->err, sizeof r->err, "the report starts with bytes that are neither JSON nor CSV");
			return -1;
		}
	}
	while ((c = pa_rd_peek(r)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		r->pos++;
	if (c == -2)
		return -1;
	r->fmt = c == '{' ? 2 : 1;
	return c == -1 ? 0 : 1;
}

/* ---- typing a value */

/* An integer's text: [-]digits, then optionally "." and zeros (a whole
 * number written as a float). Exact, no double on the way. */
static int pa_rd_int(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	int neg = 0;
	unsigned long long v = 0;
	if (i < n && s[i] == '-')
		neg = 1, i++;
	if (i == n)
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (9223372036854775807ULL - d) / 10)
			return 0;
		v = v * 10 + d;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] == '0'; i++)
			;
	}
	if (i != n || (n == 1 && neg) || (s[neg] < '0' || s[neg] > '9'))
		return 0;
	*out = neg ? -(long long)v : (long long)v;
	return 1;
}

/* A JSON-style number's text as a double, whatever the locale's decimal
 * point. 0 when it is not such a number. */
static int pa_rd_float(const char *s, size_t n, double *out)
{
	char buf[64], *end;
	const char *dp = localeconv()->decimal_point;
	size_t i;
	int digits = 0;
	if (n == 0 || n >= sizeof buf - 4)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			digits = 1;
		else if (!(c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'))
			return 0;
	}
	if (!digits)
		return 0;
	{
		size_t o = 0;
		for (i = 0; i < n; i++) {
			if (s[i] == '.' && dp != NULL && dp[0] != '\0') {
				size_t dl = strlen(dp);
				if (o + dl >= sizeof buf)
					return 0;
				memcpy(buf + o, dp, dl);
				o += dl;
			} else {
				buf[o++] = s[i];
			}
		}
		buf[o] = '\0';
		errno = 0;
		*out = strtod(buf, &end);
		if (end != buf + o || *out != *out)
			return 0;
	}
	return 1;
}

static void pa_rd_push_int(lua_State *L, long long v)
{
#if PA_HAVE_INTEGERS
	lua_pushinteger(L, (lua_Integer)v);
#else
	lua_pushnumber(L, (lua_Number)v);
#endif
}

/* Pushes the token as a value of kind k; quoted: it was a string (JSON) or a
 * quoted cell (CSV). 0 (and r->err) when it cannot be that kind. */
static int pa_rd_push_value(lua_State *L, pa_reader *r, int k, int quoted, const char *col)
{
	long long iv;
	double dv;
	const char *s = r->tok != NULL ? r->tok : "";
	size_t n = r->tlen;
	switch (k) {
	case PA_K_TEXT:
		lua_pushlstring(L, s, n);
		return 1;
	case PA_K_INT:
		if (pa_rd_int(s, n, &iv)) {
			pa_rd_push_int(L, iv);
			return 1;
		}
		return pa_rd_fail(r, "column %s: not a whole number (counts and *_IN_MICRO_DOLLAR are exact integers)", col);
	case PA_K_FLOAT:
		if (pa_rd_float(s, n, &dv)) {
			lua_pushnumber(L, (lua_Number)dv);
			return 1;
		}
		return pa_rd_fail(r, "column %s: not a number", col);
	default:
		if (!quoted && pa_rd_int(s, n, &iv) && memchr(s, '.', n) == NULL) {
			pa_rd_push_int(L, iv);
			return 1;
		}
		if (!quoted && pa_rd_float(s, n, &dv)) {
			lua_pushnumber(L, (lua_Number)dv);
			return 1;
		}
		lua_pushlstring(L, s, n);
		return 1;
	}
}

/* The kind of a column: kinds[name] ("text", "int", "float"; else auto). */
static int pa_rd_kind(lua_State *L, pa_reader *r, const char *name, size_t len)
{
	int k = PA_K_AUTO;
	const char *v;
	if (r->kinds_ref == LUA_NOREF)
		return k;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->kinds_ref);
	lua_pushlstring(L, name, len);
	lua_rawget(L, -2);
	v = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	if (v != NULL)
		k = strcmp(v, "text") == 0 ? PA_K_TEXT : strcmp(v, "int") == 0 ? PA_K_INT
		                                       : strcmp(v, "float") == 0 ? PA_K_FLOAT : PA_K_AUTO;
	lua_pop(L, 2);
	return k;
}

/* ---- JSON */

static int pa_rd_ws(pa_reader *r)
{
	int c;
	while ((c = pa_rd_peek(r)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		r->pos++;
	return c;
}

static int pa_rd_hex4(pa_reader *r, unsigned *u)
{
	int i;
	*u = 0;
	for (i = 0; i < 4; i++) {
		int c = pa_rd_get(r);
		*u <<= 4;
		if (c >= '0' && c <= '9')
			*u |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*u |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*u |= (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	return 1;
}

static int pa_rd_utf8(pa_reader *r, unsigned cp)
{
	if (cp < 0x80)
		return pa_rd_tok_add(r, (char)cp);
	if (cp < 0x800)
		return pa_rd_tok_add(r, (char)(0xC0 | (cp >> 6))) && pa_rd_tok_add(r, (char)(0x80 | (cp & 0x3F)));
	if (cp < 0x10000)
		return pa_rd_tok_add(r, (char)(0xE0 | (cp >> 12))) &&
		       pa_rd_tok_add(r, (char)(0x80 | ((cp >> 6) & 0x3F))) && pa_rd_tok_add(r, (char)(0x80 | (cp & 0x3F)));
	return pa_rd_tok_add(r, (char)(0xF0 | (cp >> 18))) && pa_rd_tok_add(r, (char)(0x80 | ((cp >> 12) & 0x3F))) &&
	       pa_rd_tok_add(r, (char)(0x80 | ((cp >> 6) & 0x3F))) && pa_rd_tok_add(r, (char)(0x80 | (cp & 0x3F)));
}

/* A JSON string (the opening quote is next) into tok. */
static int pa_rd_string(pa_reader *r)
{
	int c = pa_rd_get(r);
	r->tlen = 0;
	if (c != '"')
		return pa_rd_fail(r, "expected a string %s", "(\")");
	if (!pa_rd_tok_add(r, 0))
		return 0;
	r->tlen = 0;
	for (;;) {
		c = pa_rd_get(r);
		if (c < 0)
			return pa_rd_fail(r, "the file ends inside a %s", "string");
		if (c == '"')
			return 1;
		if (c < 0x20)
			return pa_rd_fail(r, "a control character in a %s", "string");
		if (c == '\\') {
			unsigned u, lo;
			c = pa_rd_get(r);
			switch (c) {
			case '"': case '\\': case '/':
				if (!pa_rd_tok_add(r, (char)c))
					return 0;
				break;
			case 'b': if (!pa_rd_tok_add(r, '\b')) return 0; break;
			case 'f': if (!pa_rd_tok_add(r, '\f')) return 0; break;
			case 'n': if (!pa_rd_tok_add(r, '\n')) return 0; break;
			case 'r': if (!pa_rd_tok_add(r, '\r')) return 0; break;
			case 't': if (!pa_rd_tok_add(r, '\t')) return 0; break;
			case 'u':
				if (!pa_rd_hex4(r, &u))
					return pa_rd_fail(r, "a bad %s escape", "\\u");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (pa_rd_get(r) != '\\' || pa_rd_get(r) != 'u' || !pa_rd_hex4(r, &lo) || lo < 0xDC00 ||
					    lo > 0xDFFF)
						return pa_rd_fail(r, "a lone %s surrogate", "UTF-16");
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				} else if (u >= 0xDC00 && u <= 0xDFFF) {
					return pa_rd_fail(r, "a lone %s surrogate", "UTF-16");
				}
				if (!pa_rd_utf8(r, u))
					return 0;
				break;
			default:
				return pa_rd_fail(r, "a bad escape in a %s", "string");
			}
		} else if (!pa_rd_tok_add(r, (char)c)) {
			return 0;
		}
	}
}

/* A JSON scalar that is not a string (number, true, false, null) into tok. */
static int pa_rd_bare(pa_reader *r)
{
	int c;
	r->tlen = 0;
	if (!pa_rd_tok_add(r, 0))
		return 0;
	r->tlen = 0;
	while ((c = pa_rd_peek(r)) >= 0 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' ||
	                                    c == '.' || c == 'E')) {
		if (!pa_rd_tok_add(r, (char)c))
			return 0;
		r->pos++;
	}
	if (r->tlen == 0)
		return pa_rd_fail(r, "expected a value, got %s", c == '{' || c == '[' ? "an object or array in a row"
		                                                                     : "something else");
	return 1;
}

/* One row object (its "{" is next) as a table on the stack. */
static int pa_rd_json_row(lua_State *L, pa_reader *r)
{
	int c, first = 1, row;
	if (pa_rd_get(r) != '{')
		return pa_rd_fail(r, "expected a row %s", "object");
	lua_createtable(L, 0, 16);
	row = lua_gettop(L);
	for (;;) {
		int k, quoted;
		c = pa_rd_ws(r);
		if (c == '}' && first) {
			r->pos++;
			break;
		}
		if (!first) {
			if (c == '}') {
				r->pos++;
				break;
			}
			if (c != ',')
				return pa_rd_fail(r, "expected , or } in a %s", "row");
			r->pos++;
			c = pa_rd_ws(r);
		}
		first = 0;
		if (!pa_rd_string(r))
			return 0;
		lua_pushlstring(L, r->tok, r->tlen); /* the column */
		k = pa_rd_kind(L, r, r->tok, r->tlen);
		if (pa_rd_ws(r) != ':')
			return pa_rd_fail(r, "expected : after %s", "a column name");
		r->pos++;
		c = pa_rd_ws(r);
		quoted = c == '"';
		if (quoted ? !pa_rd_string(r) : !pa_rd_bare(r))
			return 0;
		if (!quoted && r->tlen == 4 && memcmp(r->tok, "null", 4) == 0) {
			lua_pop(L, 1); /* absent */
			continue;
		}
		if (!quoted && (strcmp(r->tok, "true") == 0 || strcmp(r->tok, "false") == 0)) {
			lua_pushboolean(L, r->tok[0] == 't');
		} else if (!quoted && !(r->tok[0] == '-' || (r->tok[0] >= '0' && r->tok[0] <= '9'))) {
			return pa_rd_fail(r, "column %s: not a JSON value", lua_tostring(L, -1));
		} else if (!pa_rd_push_value(L, r, quoted && k == PA_K_AUTO ? PA_K_TEXT : k, quoted, lua_tostring(L, -1))) {
			return 0;
		}
		lua_rawset(L, row);
	}
	/* the key of the rows (entity id or date), where the row has not its column */
	if (r->keycol_ref != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->keycol_ref);
		lua_pushvalue(L, -1);
		lua_rawget(L, row);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_pushlstring(L, r->key, r->klen);
			lua_rawset(L, row);
		} else {
			lua_pop(L, 2);
		}
	}
	return 1;
}

/* Reads JSON rows into the array at out until it holds max; 1 on success
 * (fewer at the end), 0 on an error. */
static int pa_rd_json(lua_State *L, pa_reader *r, int out, int max, int *count)
{
	int c;
	while (*count < max) {
		switch (r->state) {
		case 0:
			if (pa_rd_ws(r) != '{')
				return pa_rd_fail(r, "expected %s", "a JSON object keyed by entity id");
			r->pos++;
			r->state = 1;
			r->first = 1;
			break;
		case 1: /* a key, or the end */
			c = pa_rd_ws(r);
			if (c == '}') {
				r->pos++;
				r->state = 3;
				break;
			}
			if (!r->first) {
				if (c != ',')
					return pa_rd_fail(r, "expected , or } after a key's %s", "rows");
				r->pos++;
				pa_rd_ws(r);
			}
			r->first = 0;
			if (!pa_rd_string(r))
				return 0;
			if (r->tlen + 1 > r->kcap) {
				char *p = realloc(r->key, r->tlen + 1);
				if (p == NULL)
					return pa_rd_fail(r, "%s", "out of memory");
				r->key = p;
				r->kcap = r->tlen + 1;
			}
			memcpy(r->key, r->tok, r->tlen + 1);
			r->klen = r->tlen;
			if (pa_rd_ws(r) != ':')
				return pa_rd_fail(r, "expected : after %s", "a key");
			r->pos++;
			if (pa_rd_ws(r) != '[')
				return pa_rd_fail(r, "expected %s of rows after a key", "an array");
			r->pos++;
			r->state = 2;
			r->first = 1;
			break;
		case 2: /* a row, or the end of the key's rows */
			c = pa_rd_ws(r);
			if (c == ']') {
				r->pos++;
				r->state = 1;
				r->first = 0;
				break;
			}
			if (!r->first) {
				if (c != ',')
					return pa_rd_fail(r, "expected , or ] between %s", "rows");
				r->pos++;
				pa_rd_ws(r);
			}
			r->first = 0;
			if (!pa_rd_json_row(L, r))
				return 0;
			lua_rawseti(L, out, ++*count);
			r->rows++;
			break;
		default:
			c = pa_rd_ws(r);
			if (c == -2)
				return 0;
			if (c != -1)
				return pa_rd_fail(r, "%s after the report's object", "more text");
			return 1;
		}
	}
	return 1;
}

/* ---- CSV (RFC 4180: quotes, doubled quotes, CRLF or LF) */

/* One cell into tok; *end_of_record set at its end; *quoted whether it was.
 * Returns 1, 0 on an error, -1 at the end of the file before any byte. */
static int pa_rd_cell(pa_reader *r, int *end_of_record, int *quoted)
{
	int c = pa_rd_peek(r);
	r->tlen = 0;
	if (!pa_rd_tok_add(r, 0))
		return 0;
	r->tlen = 0;
	*quoted = 0;
	*end_of_record = 0;
	if (c == -2)
		return 0;
	if (c == -1)
		return -1;
	if (c == '"') {
		*quoted = 1;
		r->pos++;
		for (;;) {
			c = pa_rd_get(r);
			if (c < 0)
				return c == -2 ? 0 : pa_rd_fail(r, "the file ends inside a quoted %s", "cell");
			if (c == '"') {
				if (pa_rd_peek(r) == '"') {
					r->pos++;
					if (!pa_rd_tok_add(r, '"'))
						return 0;
					continue;
				}
				break;
			}
			if (!pa_rd_tok_add(r, (char)c))
				return 0;
		}
		c = pa_rd_peek(r);
		if (c != ',' && c != '\n' && c != '\r' && c != -1)
			return pa_rd_fail(r, "text after a quoted %s", "cell");
	}
	for (;;) {
		c = pa_rd_peek(r);
		if (c == -2)
			return 0;
		if (c == -1) {
			*end_of_record = 1;
			return 1;
		}
		r->pos++;
		if (c == ',')
			return 1;
		if (c == '\n') {
			*end_of_record = 1;
			return 1;
		}
		if (c == '\r') {
			if (pa_rd_peek(r) == '\n')
				r->pos++;
			*end_of_record = 1;
			return 1;
		}
		if (*quoted)
			return pa_rd_fail(r, "text after a quoted %s", "cell");
		if (!pa_rd_tok_add(r, (char)c))
			return 0;
	}
}

static int pa_rd_csv_header(lua_State *L, pa_reader *r)
{
	int eor = 0, quoted, cap = 0;
	while (!eor) {
		int got = pa_rd_cell(r, &eor, &quoted);
		if (got == -1)
			break;
		if (got == 0)
			return 0;
		if (r->ncols >= PA_RD_MAX_COLS)
			return pa_rd_fail(r, "more than %s columns", "4096");
		if (r->ncols == cap) {
			int ncap = cap ? cap * 2 : 32;
			char **c = realloc(r->cols, (size_t)ncap * sizeof *c);
			size_t *l;
			int *k;
			if (c == NULL)
				return pa_rd_fail(r, "%s", "out of memory");
			r->cols = c;
			l = realloc(r->collen, (size_t)ncap * sizeof *l);
			if (l == NULL)
				return pa_rd_fail(r, "%s", "out of memory");
			r->collen = l;
			k = realloc(r->colkind, (size_t)ncap * sizeof *k);
			if (k == NULL)
				return pa_rd_fail(r, "%s", "out of memory");
			r->colkind = k;
			cap = ncap;
		}
		r->cols[r->ncols] = malloc(r->tlen + 1);
		if (r->cols[r->ncols] == NULL)
			return pa_rd_fail(r, "%s", "out of memory");
		memcpy(r->cols[r->ncols], r->tok, r->tlen + 1);
		r->collen[r->ncols] = r->tlen;
		r->colkind[r->ncols] = pa_rd_kind(L, r, r->tok, r->tlen);
		r->ncols++;
	}
	if (r->ncols == 0)
		return pa_rd_fail(r, "%s", "a CSV report without a header line");
	r->state = 1;
	return 1;
}

static int pa_rd_csv(lua_State *L, pa_reader *r, int out, int max, int *count)
{
	if (r->state == 0 && !pa_rd_csv_header(L, r))
		return 0;
	while (*count < max && r->state == 1) {
		int eor = 0, quoted, i = 0, row, c;
		/* blank lines between records (and at the end) */
		while ((c = pa_rd_peek(r)) == '\n' || c == '\r')
			r->pos++;
		if (c == -1) {
			r->state = 3;
			break;
		}
		if (c == -2)
			return 0;
		lua_createtable(L, 0, r->ncols);
		row = lua_gettop(L);
		while (!eor) {
			int got = pa_rd_cell(r, &eor, &quoted);
			if (got == 0)
				return 0;
			if (got == -1)
				break;
			if (i >= r->ncols)
				return pa_rd_fail(r, "more cells than the header's %s columns", "");
			if (r->tlen > 0) { /* an empty cell is no value */
				lua_pushlstring(L, r->cols[i], r->collen[i]);
				if (!pa_rd_push_value(L, r, r->colkind[i], quoted, r->cols[i]))
					return 0;
				lua_rawset(L, row);
			}
			i++;
		}
		if (i != r->ncols)
			return pa_rd_fail(r, "fewer cells than the header has %s", "columns");
		lua_rawseti(L, out, ++*count);
		r->rows++;
	}
	return 1;
}

static void pa_rd_init(lua_State *L, pa_reader *r, int opts)
{
	r->kinds_ref = r->keycol_ref = LUA_NOREF;
	r->in = malloc(PA_RD_IN);
	r->out = malloc(PA_RD_OUT);
	if (r->in == NULL || r->out == NULL)
		luaL_error(L, "pinanalytics: out of memory");
	if (opts == 0)
		return;
	lua_pushliteral(L, "kinds");
	lua_rawget(L, opts);
	if (lua_istable(L, -1))
		r->kinds_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	else if (lua_isnil(L, -1))
		lua_pop(L, 1);
	else
		luaL_error(L, "pinanalytics.core.report_reader: option 'kinds' must be a table");
	lua_pushliteral(L, "key_column");
	lua_rawget(L, opts);
	if (lua_type(L, -1) == LUA_TSTRING)
		r->keycol_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	else if (lua_isnil(L, -1))
		lua_pop(L, 1);
	else
		luaL_error(L, "pinanalytics.core.report_reader: option 'key_column' must be a string");
}

static pa_reader *pa_rd_new(lua_State *L)
{
	pa_reader *r = lua_newuserdata(L, sizeof *r);
	memset(r, 0, sizeof *r);
	r->kinds_ref = r->keycol_ref = LUA_NOREF;
	pa_setmetatable(L, PA_READER_MT);
	return r;
}

/* core.report_reader: documented beside core.download, before the Download type */
static int pa_report_reader_new(lua_State *L)
{
	pa_reader *r;
	const char *path, *text;
	size_t tlen = 0;
	luaL_checktype(L, 1, LUA_TTABLE);
	lua_pushliteral(L, "text");
	lua_rawget(L, 1);
	text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &tlen) : NULL;
	lua_pushliteral(L, "path");
	lua_rawget(L, 1);
	if (text == NULL && lua_type(L, -1) != LUA_TSTRING)
		return luaL_error(L, "pinanalytics.core.report_reader: option 'path' (or 'text') must be a string");
	path = lua_tostring(L, -1);
	r = pa_rd_new(L);
	pa_rd_init(L, r, 1);
	if (text != NULL) {
		/* a copy the reader owns: the string may be collected meanwhile */
		r->text = malloc(tlen + 1);
		if (r->text == NULL)
			return luaL_error(L, "pinanalytics: out of memory");
		memcpy(r->text, text, tlen);
		r->f = fmemopen(r->text, tlen, "rb");
		if (r->f == NULL)
			return luaL_error(L, "pinanalytics.core.report_reader: cannot read the text: %s", strerror(errno));
		return 1;
	}
	r->f = fopen(path, "rb");
	if (r->f == NULL) {
		lua_pushnil(L);
		lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
		return 2;
	}
	return 1;
}

/***
 * A reader of the downloaded file (see `report_reader`); the file passes to
 * the reader (the Download no longer has it).
 * @function Download:reader
 * @tab[opt] opts `kinds`, `key_column` as for `report_reader`
 * @treturn ReportReader
 */
static int pa_download_reader(lua_State *L)
{
	pa_download *d = pa_dl_check(L);
	pa_reader *r;
	int opts = lua_istable(L, 2) ? 2 : 0;
	if (!d->done || d->file == NULL)
		return luaL_error(L, "Download:reader: the transfer has not ended, or its file was taken");
	r = pa_rd_new(L);
	pa_rd_init(L, r, opts);
	if (fflush(d->file) != 0 || fseek(d->file, 0, SEEK_SET) != 0)
		return luaL_error(L, "Download:reader: the temporary file cannot be read again: %s", strerror(errno));
	r->f = d->file;
	d->file = NULL;
	return 1;
}

/***
 * The ReportReader userdata.
 * @type ReportReader
 */

/***
 * The next rows: an array of at most max row tables (column -> value, typed
 * by `kinds`); an empty array at the end. A malformed file returns nil and
 * a message naming the row; the reader then stays failed.
 * @function ReportReader:next
 * @int[opt=1000] max 1..100000
 * @treturn[1] {table,...} rows
 * @treturn[2] nil
 * @treturn[2] string message
 */
static int pa_reader_next(lua_State *L)
{
	pa_reader *r = luaL_checkudata(L, 1, PA_READER_MT);
	lua_Integer max = luaL_optinteger(L, 2, 1000);
	int out, count = 0, ok = 1;
	if (max < 1 || max > PA_RD_MAX_ROWS)
		return luaL_error(L, "ReportReader:next: max must be in 1..100000");
	if (r->f == NULL && !r->failed) {
		if (r->state != 3)
			return luaL_error(L, "pinanalytics: attempt to use a closed report reader");
		lua_newtable(L);
		return 1;
	}
	if (r->failed) {
		lua_pushnil(L);
		lua_pushstring(L, r->err);
		return 2;
	}
	lua_settop(L, 2);
	luaL_checkstack(L, 12, "pinanalytics: report reader");
	lua_newtable(L);
	out = lua_gettop(L);
	if (r->fmt == 0) {
		int s = pa_rd_start(r);
		if (s < 0) {
			r->failed = 1;
			lua_pushnil(L);
			lua_pushstring(L, r->err);
			return 2;
		}
		if (s == 0) {
			r->state = 3;
			r->fmt = 1;
			return 1; /* an empty file: no rows */
		}
	}
	if (r->state != 3)
		ok = r->fmt == 2 ? pa_rd_json(L, r, out, (int)max, &count) : pa_rd_csv(L, r, out, (int)max, &count);
	if (!ok || r->failed) {
		r->failed = 1;
		if (!r->err[0])
			snprintf(r->err, sizeof r->err, "row %.0f: cannot read the report file", r->rows + 1);
		lua_pushnil(L);
		lua_pushstring(L, r->err);
		return 2;
	}
	lua_settop(L, out);
	return 1;
}

/***
 * How many rows were read, and the format ("csv", "json" or nil before the first `next`).
 * @function ReportReader:info
 * @treturn table `{ rows, format, gzip }`
 */
static int pa_reader_info(lua_State *L)
{
	pa_reader *r = luaL_checkudata(L, 1, PA_READER_MT);
	lua_createtable(L, 0, 3);
	lua_pushnumber(L, (lua_Number)r->rows);
	lua_setfield(L, -2, "rows");
	if (r->fmt != 0) {
		lua_pushstring(L, r->fmt == 2 ? "json" : "csv");
		lua_setfield(L, -2, "format");
	}
	lua_pushboolean(L, r->gz);
	lua_setfield(L, -2, "gzip");
	return 1;
}

/***
 * Closes the file. Idempotent; also `__gc` and `__close`.
 * @function ReportReader:close
 */
static int pa_reader_close(lua_State *L)
{
	pa_reader *r = luaL_checkudata(L, 1, PA_READER_MT);
	pa_rd_release(L, r);
	if (!r->failed)
		r->state = 3;
	return 0;
}

static int pa_reader_tostring(lua_State *L)
{
	pa_reader *r = luaL_checkudata(L, 1, PA_READER_MT);
	lua_pushfstring(L, "pinanalytics.ReportReader (%s)", r->f == NULL ? "closed" : "open");
	return 1;
}

static const luaL_Reg pa_download_methods[] = {
	{ "step", pa_download_step },
	{ "result", pa_download_result },
	{ "reader", pa_download_reader },
	{ "close", pa_download_close },
	{ NULL, NULL },
};

static const luaL_Reg pa_download_meta[] = {
	{ "__gc", pa_download_close },
	{ "__close", pa_download_close },
	{ "__tostring", pa_download_tostring },
	{ NULL, NULL },
};

static const luaL_Reg pa_reader_methods[] = {
	{ "next", pa_reader_next },
	{ "info", pa_reader_info },
	{ "close", pa_reader_close },
	{ NULL, NULL },
};

static const luaL_Reg pa_reader_meta[] = {
	{ "__gc", pa_reader_close },
	{ "__close", pa_reader_close },
	{ "__tostring", pa_reader_tostring },
	{ NULL, NULL },
};

void pa_report_open(lua_State *L)
{
	pa_class(L, PA_DOWNLOAD_MT, pa_download_meta, pa_download_methods);
	pa_class(L, PA_READER_MT, pa_reader_meta, pa_reader_methods);
}

int pa_download_lua(lua_State *L)
{
	return pa_download_new(L);
}

int pa_report_reader_lua(lua_State *L)
{
	return pa_report_reader_new(L);
}
