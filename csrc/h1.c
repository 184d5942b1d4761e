/***
 * @module pinanalytics.core
 */

/*
 * h1.c - the H1 userdata: HTTP/1.1 with no I/O in it ("sans-I/O"). It
 * writes a request as bytes and reads a response from bytes fed in pieces
 * of any size; the caller owns the socket (OpenResty's cosockets, or any
 * event loop that can only move bytes).
 *
 * It keeps the C transport's rules: the options are core.session's, read
 * and checked by the same code (base_url, token, user agent: never a CR, LF
 * or NUL in a header); extra header lines are checked as Session:request
 * checks them; the answer's header block is limited to 256 KiB and its
 * decoded body to max_body; redirects are answers like any other (never
 * followed); the body is decoded, checked and typed in one walk
 * (pa_json_decode_as), from the codec's own buffer. Errors have the kinds and
 * messages of the C transport ("network", "too_large", "invalid_response"),
 * with libcurl's error codes, so that a client cannot tell the transports
 * apart.
 *
 * Sections: ---- state, ---- request, ---- response, ---- Lua.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "pa.h"

#define PA_H1_MT "pinanalytics.H1"

#define PA_H1_MAX_HEAD (256 * 1024)    /* the header block, as pa_header_cb's limit */
#define PA_H1_MAX_CHUNK_LINE 4096      /* a chunk-size line with its extensions */
#define PA_H1_MAX_INTERIM 16           /* 1xx answers before the final one */
#define PA_H1_KEEP_BYTES (256 * 1024)  /* larger buffers are given back after an answer */

/* ---------------------------------------------------------------- state */

enum {
	PA_H1_IDLE,        /* no request waits for its answer */
	PA_H1_STATUS,      /* reading the status line */
	PA_H1_HEADERS,     /* reading header lines */
	PA_H1_BODY_LEN,    /* Content-Length bytes left */
	PA_H1_BODY_CLOSE,  /* the body ends when the connection closes */
	PA_H1_CHUNK_SIZE,  /* a chunk-size line */
	PA_H1_CHUNK_DATA,  /* chunk bytes left */
	PA_H1_CHUNK_END,   /* the CRLF after a chunk */
	PA_H1_TRAILER,     /* trailer lines after the last chunk */
	PA_H1_DONE         /* a whole answer was returned */
};

typedef struct {
	char *p;
	size_t len, cap;
} pa_h1buf;

typedef struct {
	pa_use use;
	int open;
	/* where requests go, from base_url */
	char *host;      /* as in the URL (an IPv6 literal keeps its brackets) */
	char *authority; /* the Host header: host[:port] */
	char *prefix;    /* the path of base_url, "" for none */
	int port, tls, tls_verify;
	char *ua;
	char *basic;     /* "Authorization: Basic ..." or NULL */
	struct curl_slist *headers; /* Accept, Expect:, Authorization: Bearer (as the Session's) */
	size_t max_body;
	pa_h1buf out;    /* the request being written */
	/* the answer being read */
	int state;
	int no_body;     /* a HEAD request: no body whatever the headers say */
	int shape, shape_ok;
	pa_h1buf head;   /* status line, header lines, trailers of the final answer */
	size_t line_start;
	pa_h1buf body;   /* the decoded body */
	int status, http10, interim;
	int conn_close, conn_keep;
	int chunked, has_length, te_other;
	uint64_t left;       /* Content-Length or chunk bytes left */
	int chunk_digits, chunk_ext, chunk_cr;
	size_t chunk_line;
	int gzip;            /* Content-Encoding gzip or deflate */
	z_stream z;
	int z_ready, z_end;
	int extra;           /* bytes came after the end of the answer */
	int keepalive;       /* the last answer leaves the connection reusable */
	/* an error found while feeding (set once; the answer is then over) */
	const char *err_kind;
	int err_code;
	char err_msg[256];
} pa_h1;

static int pa_h1buf_add(pa_h1buf *b, const char *data, size_t n)
{
	if (n > SIZE_MAX / 4 - b->len)
		return 0;
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
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 1;
}

static int pa_h1buf_str(pa_h1buf *b, const char *s)
{
	return pa_h1buf_add(b, s, strlen(s));
}

static void pa_h1buf_free(pa_h1buf *b, int wipe)
{
	if (wipe && b->p != NULL)
		memset(b->p, 0, b->cap);
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void pa_h1buf_trim(pa_h1buf *b)
{
	if (b->cap > PA_H1_KEEP_BYTES)
		pa_h1buf_free(b, 0);
	b->len = 0;
}

static void pa_h1_zend(pa_h1 *h)
{
	if (h->z_ready) {
		inflateEnd(&h->z);
		h->z_ready = 0;
	}
}

/* Idempotent; never while a call runs (see pa_h1_close). */
static void pa_h1_release(pa_h1 *h)
{
	h->open = 0;
	pa_h1_zend(h);
	if (h->headers != NULL) {
		curl_slist_free_all(h->headers);
		h->headers = NULL;
	}
	free(h->host);
	free(h->authority);
	free(h->prefix);
	free(h->ua);
	h->host = h->authority = h->prefix = h->ua = NULL;
	if (h->basic != NULL) {
		memset(h->basic, 0, strlen(h->basic));
		free(h->basic);
		h->basic = NULL;
	}
	pa_h1buf_free(&h->out, 1); /* it held a token */
	pa_h1buf_free(&h->head, 0);
	pa_h1buf_free(&h->body, 0);
}

static char pa_h1_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) equal the lower-case word w, ignoring ASCII case? */
static int pa_h1_is(const char *s, size_t n, const char *w)
{
	size_t i;
	if (strlen(w) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (pa_h1_lower(s[i]) != w[i])
			return 0;
	return 1;
}

static char *pa_h1_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static const char pa_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "Authorization: Basic " + base64(user ":" pass), malloc'd; NULL: out of memory. */
static char *pa_h1_basic(const char *user, const char *pass)
{
	static const char prefix[] = "Authorization: Basic ";
	size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl, i, o;
	unsigned char *raw = malloc(n + 1);
	char *out = malloc(sizeof prefix + 4 * (n / 3 + 1) + 1);
	if (raw == NULL || out == NULL) {
		free(raw);
		free(out);
		return NULL;
	}
	memcpy(raw, user, ul);
	raw[ul] = ':';
	memcpy(raw + ul + 1, pass, pl);
	memcpy(out, prefix, sizeof prefix - 1);
	o = sizeof prefix - 1;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
		out[o++] = pa_b64[v >> 18 & 63];
		out[o++] = pa_b64[v >> 12 & 63];
		out[o++] = pa_b64[v >> 6 & 63];
		out[o++] = pa_b64[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)raw[i] << 16 | (i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0u);
		out[o++] = pa_b64[v >> 18 & 63];
		out[o++] = pa_b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? pa_b64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	memset(raw, 0, n);
	free(raw);
	return out;
}

/*
 * Splits base_url (checked by pa_config_read: http(s)://host[:port][/path])
 * into the handle's host, port, authority and path prefix.
 */
static int pa_h1_endpoint_from(pa_h1 *h, const char *u, size_t len)
{
	const char *e = u + len, *hs, *p;
	long port;
	h->tls = len >= 8 && memcmp(u, "https://", 8) == 0;
	hs = u + (h->tls ? 8 : 7);
	p = hs;
	if (p < e && *p == '[') {
		while (p < e && *p != ']')
			p++;
		if (p < e)
			p++;
	} else {
		while (p < e && *p != ':' && *p != '/')
			p++;
	}
	h->host = pa_h1_strndup(hs, (size_t)(p - hs));
	port = h->tls ? 443 : 80;
	if (p < e && *p == ':') {
		port = 0;
		while (++p < e && *p >= '0' && *p <= '9')
			port = port * 10 + (*p - '0');
	}
	h->port = (int)port;
	h->authority = pa_h1_strndup(hs, (size_t)(p - hs));
	/* the default port is left out of Host, as libcurl leaves it */
	if (h->authority != NULL && ((h->tls && port == 443) || (!h->tls && port == 80)))
		h->authority[strlen(h->host)] = '\0';
	while (e > p && e[-1] == '/')
		e--; /* "/v5/" + "/pins" must not become "/v5//pins" */
	h->prefix = pa_h1_strndup(p, (size_t)(e - p));
	return h->host != NULL && h->authority != NULL && h->prefix != NULL;
}

/* ---------------------------------------------------------------- request */

/* A line of the header list: skipped when its value is empty ("Expect:"
 * tells libcurl to send no Expect; here it sends nothing either). */
static int pa_h1_line_sent(const char *line)
{
	const char *c = strchr(line, ':');
	if (c == NULL)
		return 0;
	for (c++; *c == ' ' || *c == '\t'; c++)
		;
	return *c != '\0';
}

static int pa_h1_list_has(const struct curl_slist *l, const char *name)
{
	size_t n = strlen(name);
	for (; l != NULL; l = l->next)
		if (strlen(l->data) > n && l->data[n] == ':' && pa_h1_is(l->data, n, name))
			return 1;
	return 0;
}

/* The request's bytes into h->out; 0 when out of memory. Every part was
 * checked before: the method (letters), the target (no space or control
 * character), the header lines (pa_headers_with, pa_default_headers), the
 * options (pa_config_read). */
static int pa_h1_write(pa_h1 *h, const char *method, const char *target, size_t tlen, const char *body,
                       size_t blen, const struct curl_slist *list)
{
	const struct curl_slist *it;
	int has_body = body != NULL && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
	char num[32];
	pa_h1buf *o = &h->out;
	int ok = 1;
	pa_h1buf_free(o, 1);
	ok = ok && pa_h1buf_str(o, method) && pa_h1buf_str(o, " ") && pa_h1buf_str(o, h->prefix) &&
	     pa_h1buf_add(o, target, tlen) && pa_h1buf_str(o, " HTTP/1.1\r\nHost: ") &&
	     pa_h1buf_str(o, h->authority) && pa_h1buf_str(o, "\r\nUser-Agent: ") && pa_h1buf_str(o, h->ua) &&
	     pa_h1buf_str(o, "\r\nAccept-Encoding: gzip, deflate\r\n");
	for (it = list; ok && it != NULL; it = it->next)
		if (pa_h1_line_sent(it->data))
			ok = pa_h1buf_str(o, it->data) && pa_h1buf_str(o, "\r\n");
	if (ok && h->basic != NULL && !pa_h1_list_has(list, "authorization"))
		ok = pa_h1buf_str(o, h->basic) && pa_h1buf_str(o, "\r\n");
	if (ok && has_body) {
		if (!pa_h1_list_has(list, "content-type"))
			ok = pa_h1buf_str(o, "Content-Type: application/x-www-form-urlencoded\r\n");
		snprintf(num, sizeof num, "%.0f", (double)blen);
		ok = ok && pa_h1buf_str(o, "Content-Length: ") && pa_h1buf_str(o, num) && pa_h1buf_str(o, "\r\n");
	} else if (ok && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		ok = pa_h1buf_str(o, "Content-Length: 0\r\n");
	}
	ok = ok && pa_h1buf_str(o, "\r\n");
	if (ok && has_body)
		ok = pa_h1buf_add(o, body, blen);
	return ok;
}

/* A new answer is awaited. */
static void pa_h1_expect(pa_h1 *h, int no_body, int shape)
{
	pa_h1_zend(h);
	pa_h1buf_trim(&h->head);
	pa_h1buf_trim(&h->body);
	h->state = PA_H1_STATUS;
	h->no_body = no_body;
	h->shape = shape;
	h->shape_ok = 0;
	h->line_start = 0;
	h->status = h->http10 = h->interim = 0;
	h->conn_close = h->conn_keep = 0;
	h->chunked = h->has_length = h->te_other = 0;
	h->left = 0;
	h->chunk_digits = h->chunk_ext = h->chunk_cr = 0;
	h->chunk_line = 0;
	h->gzip = h->z_end = 0;
	h->extra = h->keepalive = 0;
	h->err_kind = NULL;
	h->err_code = 0;
	h->err_msg[0] = '\0';
}

/* ---------------------------------------------------------------- response */

/* Records the first error; the answer is over. Returns 0 (for `return pa_h1_fail(...)`). */
static int pa_h1_fail(pa_h1 *h, const char *kind, int code, const char *msg)
{
	if (h->err_kind == NULL) {
		h->err_kind = kind;
		h->err_code = code;
		snprintf(h->err_msg, sizeof h->err_msg, "%s", msg);
	}
	h->keepalive = 0;
	return 0;
}

static int pa_h1_too_large(pa_h1 *h)
{
	char m[96];
	snprintf(m, sizeof m, "response larger than max_body (%.0f bytes)", (double)h->max_body);
	return pa_h1_fail(h, "too_large", CURLE_FILESIZE_EXCEEDED, m);
}

static int pa_h1_oom(pa_h1 *h)
{
	return pa_h1_fail(h, "oom", 0, "out of memory while receiving a response");
}

static int pa_h1_bad_encoding(pa_h1 *h, const char *why)
{
	char m[256];
	/* the words of libcurl's message after "corrupt:", as the C transport says it */
	snprintf(m, sizeof m, "the response body's content encoding (gzip/deflate) is corrupt: "
	                      "Error while processing content unencoding: %s", why);
	return pa_h1_fail(h, "network", CURLE_BAD_CONTENT_ENCODING, m);
}

static int pa_h1_weird(pa_h1 *h, const char *msg)
{
	return pa_h1_fail(h, "invalid_response", CURLE_WEIRD_SERVER_REPLY, msg);
}

/* Appends decoded bytes to the body, within max_body. */
static int pa_h1_keep(pa_h1 *h, const char *p, size_t n)
{
	if (n > h->max_body - h->body.len)
		return pa_h1_too_large(h);
	if (!pa_h1buf_add(&h->body, p, n))
		return pa_h1_oom(h);
	return 1;
}

/* Body bytes as they came on the wire: inflated when the answer is gzip or
 * deflate. The inflated size is held to max_body (no bomb gets further). */
static int pa_h1_deliver(pa_h1 *h, const char *p, size_t n)
{
	char out[16384];
	if (!h->gzip)
		return pa_h1_keep(h, p, n);
	if (h->z_end || n == 0)
		return 1; /* bytes after the end of the compressed stream are ignored, as libcurl does */
	h->z.next_in = (Bytef *)(uintptr_t)p;
	h->z.avail_in = (uInt)n; /* n is at most one fed piece, checked below uInt */
	while (h->z.avail_in > 0 && !h->z_end) {
		int rc;
		h->z.next_out = (Bytef *)out;
		h->z.avail_out = sizeof out;
		rc = inflate(&h->z, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			h->z_end = 1;
		else if (rc == Z_MEM_ERROR)
			return pa_h1_oom(h);
		else if (rc != Z_OK && !(rc == Z_BUF_ERROR && h->z.avail_out > 0))
			return pa_h1_bad_encoding(h, h->z.msg != NULL ? h->z.msg : "invalid compressed data");
		if (!pa_h1_keep(h, out, sizeof out - h->z.avail_out))
			return 0;
		if (rc == Z_BUF_ERROR)
			break;
	}
	return 1;
}

/* Is the status line "HTTP/1.x NNN[ reason]"? Sets status and http10. */
static int pa_h1_status_line(pa_h1 *h, const char *s, size_t n)
{
	int st;
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
		return pa_h1_weird(h, "the response does not start with an HTTP/1.x status line");
	if (s[9] < '0' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
	    (n > 12 && s[12] != ' '))
		return pa_h1_weird(h, "the response's status code is not three digits");
	st = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (st < 100)
		return pa_h1_weird(h, "the response's status code is below 100");
	h->status = st;
	h->http10 = s[7] == '0';
	return 1;
}

/* The comma-separated tokens of a header value, each given to fn. */
static void pa_h1_tokens(pa_h1 *h, const char *v, size_t n, void (*fn)(pa_h1 *h, const char *t, size_t tn))
{
	size_t i = 0;
	while (i < n) {
		size_t s, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s)
			fn(h, v + s, e - s);
	}
}

static void pa_h1_connection_token(pa_h1 *h, const char *t, size_t n)
{
	if (pa_h1_is(t, n, "close"))
		h->conn_close = 1;
	else if (pa_h1_is(t, n, "keep-alive"))
		h->conn_keep = 1;
}

/* Transfer-Encoding: chunked when it is the last coding (RFC 9112 6.3). */
static void pa_h1_te_token(pa_h1 *h, const char *t, size_t n)
{
	if (pa_h1_is(t, n, "chunked")) {
		h->chunked = 1;
	} else {
		h->chunked = 0; /* chunked must come last */
		h->te_other = 1;
	}
}

/* Content-Encoding: gzip, x-gzip or deflate (what the request accepts); no
 * coding or identity; anything else cannot be read. 2: unknown. */
static int pa_h1_encoding(const char *v, size_t n)
{
	if (n == 0 || pa_h1_is(v, n, "identity"))
		return 0;
	if (pa_h1_is(v, n, "gzip") || pa_h1_is(v, n, "x-gzip") || pa_h1_is(v, n, "deflate"))
		return 1;
	return 2;
}

/* One header line (CR LF removed): what framing needs. */
static int pa_h1_header_line(pa_h1 *h, const char *s, size_t n)
{
	const char *c, *v, *ve;
	size_t nl;
	if (memchr(s, '\0', n) != NULL)
		return pa_h1_weird(h, "a response header holds a NUL byte");
	if (n > 0 && (s[0] == ' ' || s[0] == '\t'))
		return 1; /* a folded line continues a value: none that framing reads */
	c = memchr(s, ':', n);
	if (c == NULL)
		return 1; /* not a header: left out, as pa_push_headers leaves it */
	nl = (size_t)(c - s);
	v = c + 1;
	ve = s + n;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (pa_h1_is(s, nl, "content-length")) {
		uint64_t len = 0;
		const char *q;
		int big = 0;
		if (ve == v)
			return pa_h1_weird(h, "the response's Content-Length is not a number");
		for (q = v; q < ve; q++) {
			if (*q < '0' || *q > '9')
				return pa_h1_weird(h, "the response's Content-Length is not a number");
			if (len > (UINT64_C(1) << 53))
				big = 1; /* clamped: any such length is beyond max_body */
			else
				len = len * 10 + (uint64_t)(*q - '0');
		}
		if (big)
			len = (UINT64_C(1) << 53) + 1;
		if (h->has_length && h->left != len)
			return pa_h1_weird(h, "the response has two different Content-Length headers");
		h->has_length = 1;
		h->left = len;
	} else if (pa_h1_is(s, nl, "transfer-encoding")) {
		pa_h1_tokens(h, v, (size_t)(ve - v), pa_h1_te_token);
	} else if (pa_h1_is(s, nl, "connection")) {
		pa_h1_tokens(h, v, (size_t)(ve - v), pa_h1_connection_token);
	} else if (pa_h1_is(s, nl, "content-encoding")) {
		int e = pa_h1_encoding(v, (size_t)(ve - v));
		if (e == 2)
			h->gzip = -1;
		else if (h->gzip != -1 && e == 1)
			h->gzip = h->gzip == 1 ? -1 : 1; /* coded twice: not something to read */
	}
	return 1;
}

static void pa_h1_finish(pa_h1 *h)
{
	h->state = PA_H1_DONE;
	if (h->gzip == 1 && !h->z_end && h->err_kind == NULL)
		pa_h1_bad_encoding(h, "the compressed stream ended before its end");
}

/* The header block is over: the framing of the body (RFC 9112 6.3). */
static int pa_h1_headers_done(pa_h1 *h)
{
	int framed = 1;
	if (h->status < 200 && h->status != 101) {
		/* an interim answer (100 Continue, 103 Early Hints): the final one follows */
		if (++h->interim > PA_H1_MAX_INTERIM)
			return pa_h1_weird(h, "the server sent more than 16 interim (1xx) answers");
		h->head.len = h->line_start = 0;
		h->conn_close = h->conn_keep = h->chunked = h->has_length = h->te_other = h->gzip = 0;
		h->left = 0;
		h->state = PA_H1_STATUS;
		return 1;
	}
	if (h->no_body || h->status == 204 || h->status == 304) {
		h->gzip = 0;
		h->keepalive = 1;
		pa_h1_finish(h);
		goto keep;
	}
	if (h->gzip == -1)
		return pa_h1_bad_encoding(h, "unrecognized content encoding (the request accepts gzip and deflate)");
	if (h->gzip == 1) {
		memset(&h->z, 0, sizeof h->z);
		if (inflateInit2(&h->z, 15 + 32) != Z_OK) /* gzip or zlib, told by the header */
			return pa_h1_oom(h);
		h->z_ready = 1;
	}
	if (h->chunked) {
		h->state = PA_H1_CHUNK_SIZE;
		h->has_length = 0;
		h->keepalive = 1;
	} else if (h->te_other) {
		h->state = PA_H1_BODY_CLOSE;
		framed = 0;
	} else if (h->has_length) {
		if (h->left > (uint64_t)h->max_body && !h->gzip)
			return pa_h1_too_large(h);
		h->keepalive = 1;
		h->state = PA_H1_BODY_LEN;
		if (h->left == 0)
			pa_h1_finish(h);
	} else {
		h->state = PA_H1_BODY_CLOSE;
		framed = 0;
	}
	if (!framed)
		return 1;
keep:
	if (h->conn_close || (h->http10 && !h->conn_keep) || h->status == 101)
		h->keepalive = 0;
	return 1;
}

/* A line of the header block has ended at head.len (its LF included). */
static int pa_h1_head_line(pa_h1 *h)
{
	const char *s = h->head.p + h->line_start;
	size_t n = h->head.len - h->line_start;
	n--; /* the LF */
	if (n > 0 && s[n - 1] == '\r')
		n--;
	h->line_start = h->head.len;
	if (h->state == PA_H1_STATUS) {
		if (!pa_h1_status_line(h, s, n))
			return 0;
		h->state = PA_H1_HEADERS;
		return 1;
	}
	if (n == 0) {
		if (h->state == PA_H1_TRAILER) {
			pa_h1_finish(h);
			return 1;
		}
		return pa_h1_headers_done(h);
	}
	if (h->state == PA_H1_TRAILER) {
		if (memchr(s, '\0', n) != NULL)
			return pa_h1_weird(h, "a response trailer holds a NUL byte");
		return 1; /* kept in the block: the headers table holds it */
	}
	return pa_h1_header_line(h, s, n);
}

/* One byte of a chunk-size line: hex digits, then extensions up to LF. */
static int pa_h1_chunk_byte(pa_h1 *h, char c)
{
	if (++h->chunk_line > PA_H1_MAX_CHUNK_LINE)
		return pa_h1_weird(h, "a chunk-size line of the response is longer than 4096 bytes");
	if (c == '\n') {
		if (h->chunk_digits == 0)
			return pa_h1_weird(h, "a chunk of the response has no size");
		h->chunk_line = 0;
		h->chunk_digits = h->chunk_ext = 0;
		if (h->left == 0) {
			h->line_start = h->head.len;
			h->state = PA_H1_TRAILER;
		} else {
			h->state = PA_H1_CHUNK_DATA;
		}
		return 1;
	}
	if (!h->chunk_ext) {
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		        c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d >= 0) {
			if (h->chunk_digits >= 15)
				return pa_h1_weird(h, "a chunk size of the response is too large");
			h->chunk_digits++;
			h->left = h->left * 16 + (uint64_t)d;
			return 1;
		}
		if (h->chunk_digits == 0)
			return pa_h1_weird(h, "a chunk of the response has no size");
		if (c != ';' && c != ' ' && c != '\t' && c != '\r')
			return pa_h1_weird(h, "a chunk-size line of the response is malformed");
		h->chunk_ext = 1;
	}
	return 1; /* extensions are ignored */
}

/* Feeds n bytes; stops at the end of the answer or at an error. */
static void pa_h1_consume(pa_h1 *h, const char *p, size_t n)
{
	const char *end = p + n;
	while (p < end && h->err_kind == NULL && h->state != PA_H1_DONE) {
		switch (h->state) {
		case PA_H1_STATUS:
		case PA_H1_HEADERS:
		case PA_H1_TRAILER: {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t take = nl != NULL ? (size_t)(nl + 1 - p) : (size_t)(end - p);
			if (take > PA_H1_MAX_HEAD - h->head.len) {
				pa_h1_fail(h, "too_large", CURLE_WRITE_ERROR,
				           "response headers larger than 256 KiB (the limit for a header block)");
				return;
			}
			if (!pa_h1buf_add(&h->head, p, take)) {
				pa_h1_oom(h);
				return;
			}
			p += take;
			if (nl != NULL && !pa_h1_head_line(h))
				return;
			break;
		}
		case PA_H1_BODY_LEN:
		case PA_H1_CHUNK_DATA: {
			size_t take = (size_t)(end - p);
			if ((uint64_t)take > h->left)
				take = (size_t)h->left;
			if (take > 1u << 30)
				take = 1u << 30; /* what zlib takes at once (uInt) */
			if (!pa_h1_deliver(h, p, take))
				return;
			p += take;
			h->left -= take;
			if (h->left == 0) {
				if (h->state == PA_H1_BODY_LEN)
					pa_h1_finish(h);
				else
					h->state = PA_H1_CHUNK_END, h->chunk_cr = 0;
			}
			break;
		}
		case PA_H1_BODY_CLOSE: {
			size_t take = (size_t)(end - p);
			if (take > 1u << 30)
				take = 1u << 30;
			if (!pa_h1_deliver(h, p, take))
				return;
			p += take;
			break;
		}
		case PA_H1_CHUNK_SIZE:
			if (!pa_h1_chunk_byte(h, *p++))
				return;
			break;
		case PA_H1_CHUNK_END: {
			char c = *p++;
			if (c == '\r' && !h->chunk_cr) {
				h->chunk_cr = 1;
			} else if (c == '\n') {
				h->state = PA_H1_CHUNK_SIZE;
			} else {
				pa_h1_weird(h, "a chunk of the response does not end where its size says");
				return;
			}
			break;
		}
		default:
			return;
		}
	}
	if (p < end && h->state == PA_H1_DONE) {
		h->extra = 1; /* no request was sent ahead: the connection is not in a known state */
		h->keepalive = 0;
	}
}

/* ---------------------------------------------------------------- Lua */

/*
 * The H1 at idx, open and not in the middle of a call (as pa_check_open of
 * session.c: called after the arguments are read).
 */
static pa_h1 *pa_h1_check_open(lua_State *L, int idx)
{
	pa_h1 *h = luaL_checkudata(L, idx, PA_H1_MT);
	if (!h->open || h->use.closing)
		luaL_error(L, "pinanalytics: attempt to use a closed h1 codec");
	if (h->use.busy)
		luaL_error(L, "pinanalytics: h1 codec is busy: its call has not returned yet "
		              "(a finalizer cannot use it meanwhile)");
	return h;
}

/* Pushes the answer (status, headers, value[, decode_error, raw][, shape_ok])
 * or the error (nil, kind, message, code). */
static int pa_h1_push_result(lua_State *L, pa_h1 *h)
{
	int nret = 3;
	if (h->err_kind != NULL) {
		if (strcmp(h->err_kind, "oom") == 0)
			return luaL_error(L, "pinanalytics: %s", h->err_msg);
		lua_pushnil(L);
		lua_pushstring(L, h->err_kind);
		lua_pushstring(L, h->err_msg);
		lua_pushinteger(L, (lua_Integer)h->err_code);
		return 4;
	}
	lua_pushinteger(L, (lua_Integer)h->status);
	{
		pa_buf head;
		head.p = h->head.p;
		head.len = h->head.len;
		head.cap = h->head.cap;
		pa_push_headers(L, &head);
	}
	if (h->body.len == 0) {
		lua_pushnil(L);
	} else if (!pa_json_decode_as(L, h->body.p, h->body.len,
	                              h->status >= 200 && h->status <= 299 ? h->shape : PA_SHAPE_NONE,
	                              &h->shape_ok)) {
		lua_pushnil(L);
		lua_insert(L, -2);
		lua_pushlstring(L, h->body.p, h->body.len);
		nret = 5;
	}
	if (h->shape != PA_SHAPE_NONE) {
		lua_settop(L, lua_gettop(L) + 5 - nret);
		lua_pushboolean(L, h->shape_ok);
		nret = 6;
	}
	return nret;
}

/***
 * An HTTP/1.1 codec with no I/O ("sans-I/O"): it writes requests as bytes
 * and reads their answers from bytes fed in pieces of any size. The caller
 * moves the bytes (a cosocket, any event loop's socket, TLS included) and
 * connects to what `H1:endpoint` says. The options are `session`'s (the same
 * checks; `timeout` and `connect_timeout` are the caller's to apply).
 * @function h1
 * @tab opts as `session`'s
 * @treturn H1
 * @usage
 * local h = core.h1{ base_url = "http://127.0.0.1:8080/v5", token = "..." }
 * sock:send(h:request("GET", "/user_account"))
 * local status, headers, body = h:feed(sock:receiveany(65536))  -- false: feed more
 */
int pa_h1_new(lua_State *L)
{
	pa_config c;
	pa_h1 *h;
	pa_config_read(L, 1, "pinanalytics.core.h1", 0, &c);
	h = lua_newuserdata(L, sizeof *h);
	memset(h, 0, sizeof *h);
	pa_setmetatable(L, PA_H1_MT);
	h->open = 1;
	h->max_body = (size_t)c.max_body;
	h->tls_verify = c.tls_verify;
	h->ua = pa_h1_strndup(c.user_agent, strlen(c.user_agent));
	if (!pa_h1_endpoint_from(h, c.base_url, c.base_len) || h->ua == NULL)
		return luaL_error(L, "pinanalytics: out of memory");
	if (c.username != NULL) {
		h->basic = pa_h1_basic(c.username, c.password != NULL ? c.password : "");
		if (h->basic == NULL)
			return luaL_error(L, "pinanalytics: out of memory");
	}
	h->headers = pa_default_headers(L, c.token);
	return 1;
}

/***
 * The H1 userdata of `h1`.
 * @type H1
 */

/***
 * Where to connect: the host of base_url, its port, whether it is TLS.
 * @function H1:endpoint
 * @treturn string host (an IPv6 literal without its brackets)
 * @treturn int port
 * @treturn boolean tls
 * @treturn boolean tls_verify
 */
static int pa_h1_endpoint(lua_State *L)
{
	pa_h1 *h = pa_h1_check_open(L, 1);
	const char *host = h->host;
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[')
		lua_pushlstring(L, host + 1, n - 2);
	else
		lua_pushstring(L, host);
	lua_pushinteger(L, h->port);
	lua_pushboolean(L, h->tls);
	lua_pushboolean(L, h->tls_verify);
	return 4;
}

typedef struct {
	pa_h1 *h;
	const char *method, *target, *body;
	size_t tlen, blen;
	struct curl_slist *list;
	int shape;
} pa_h1_req;

static int pa_h1_request_run(lua_State *L, void *arg)
{
	pa_h1_req *r = arg;
	pa_h1 *h = r->h;
	if (!pa_h1_write(h, r->method, r->target, r->tlen, r->body, r->blen, r->list))
		return luaL_error(L, "pinanalytics: out of memory");
	pa_h1_expect(h, strcmp(r->method, "HEAD") == 0, r->shape);
	lua_pushlstring(L, h->out.p, h->out.len);
	memset(h->out.p, 0, h->out.cap); /* it holds the token */
	h->out.len = 0;
	return 1;
}

/***
 * Writes a request and makes the codec wait for its answer (an answer being
 * read is dropped). The arguments are `Session:request`'s, checked the same
 * way: a space or control character in the target, a header line with CR,
 * LF or NUL, a bad method or shape raise.
 * @function H1:request
 * @string method
 * @string target appended to base_url's path
 * @string[opt] body
 * @tparam[opt] {string,...} headers extra "Name: value" lines (at most 64)
 * @string[opt] shape as `Session:request`'s
 * @treturn string the bytes to send
 */
static int pa_h1_request(lua_State *L)
{
	pa_h1_req r;
	pa_h1 *h;
	struct curl_slist *extra;
	int status;
	luaL_checkudata(L, 1, PA_H1_MT);
	r.method = pa_check_method(L, 2, "h1:request");
	r.target = pa_check_target(L, 3, &r.tlen, "h1:request");
	r.blen = 0;
	r.body = luaL_optlstring(L, 4, NULL, &r.blen);
	r.shape = pa_check_shape(L, 6);
	lua_settop(L, 6);
	h = pa_h1_check_open(L, 1);
	extra = NULL;
	if (!lua_isnil(L, 5))
		extra = pa_headers_with(L, h->headers, 5, "h1:request");
	r.list = extra != NULL ? extra : h->headers;
	r.h = h;
	status = pa_guard_run(L, &h->use, pa_h1_request_run, &r);
	if (extra != NULL)
		curl_slist_free_all(extra);
	if (h->use.closing)
		pa_h1_release(h);
	if (status != LUA_OK)
		return lua_error(L);
	return 1;
}

typedef struct {
	pa_h1 *h;
	const char *data;
	size_t len;
	int eof;
} pa_h1_in;

static int pa_h1_feed_run(lua_State *L, void *arg)
{
	pa_h1_in *in = arg;
	pa_h1 *h = in->h;
	int n;
	if (in->eof) {
		switch (h->state) {
		case PA_H1_BODY_CLOSE:
			pa_h1_finish(h);
			break;
		case PA_H1_STATUS:
			if (h->head.len == 0 && h->interim == 0) {
				pa_h1_fail(h, "network", CURLE_GOT_NOTHING, "Empty reply from server");
				break;
			}
			/* fall through */
		case PA_H1_HEADERS:
			pa_h1_fail(h, "network", CURLE_RECV_ERROR,
			           "the connection closed before the end of the response headers");
			break;
		case PA_H1_BODY_LEN: {
			char m[96];
			snprintf(m, sizeof m, "transfer closed with %.0f bytes remaining to read", (double)h->left);
			pa_h1_fail(h, "network", CURLE_PARTIAL_FILE, m);
			break;
		}
		default:
			pa_h1_fail(h, "network", CURLE_PARTIAL_FILE,
			           "transfer closed with outstanding read data remaining");
		}
		h->keepalive = 0;
	} else {
		pa_h1_consume(h, in->data, in->len);
	}
	if (h->err_kind == NULL && h->state != PA_H1_DONE) {
		lua_pushboolean(L, 0);
		return 1;
	}
	h->state = PA_H1_DONE;
	n = pa_h1_push_result(L, h);
	pa_h1_zend(h);
	pa_h1buf_trim(&h->head);
	pa_h1buf_trim(&h->body);
	return n;
}

static int pa_h1_feed_common(lua_State *L, int eof)
{
	pa_h1_in in;
	pa_h1 *h;
	int base, status;
	luaL_checkudata(L, 1, PA_H1_MT);
	in.len = 0;
	in.data = eof ? NULL : luaL_checklstring(L, 2, &in.len);
	h = pa_h1_check_open(L, 1);
	if (h->state == PA_H1_IDLE || h->state == PA_H1_DONE)
		return luaL_error(L, "h1:%s: no request waits for its answer (h1:request writes one)",
		                  eof ? "eof" : "feed");
	in.h = h;
	in.eof = eof;
	base = lua_gettop(L);
	status = pa_guard_run(L, &h->use, pa_h1_feed_run, &in);
	if (h->use.closing)
		pa_h1_release(h);
	if (status != LUA_OK) {
		h->state = PA_H1_DONE;
		return lua_error(L);
	}
	return lua_gettop(L) - base;
}

/***
 * Reads bytes of the answer. While the answer is not whole: false. At its
 * end: what `Session:request` returns (status, headers, value, ...); when it
 * cannot be read: nil, kind ("too_large", "invalid_response", "network"),
 * message, libcurl's code for that error. Either ends the answer; bytes
 * after it are not read (then `keepalive` is false).
 * @function H1:feed
 * @string bytes any number, from where the last piece ended
 * @return false, or the answer, or nil, kind, message, code
 */
static int pa_h1_feed(lua_State *L)
{
	return pa_h1_feed_common(L, 0);
}

/***
 * The connection closed: ends an answer whose body runs to the close, else
 * nil, "network", a message as libcurl's, its code.
 * @function H1:eof
 * @return the answer, or nil, kind, message, code
 */
static int pa_h1_eof(lua_State *L)
{
	return pa_h1_feed_common(L, 1);
}

/***
 * May the connection carry the next request? True after a whole answer
 * framed by Content-Length or chunks, with no "Connection: close" (HTTP/1.0:
 * with "Connection: keep-alive") and nothing after it.
 * @function H1:keepalive
 * @treturn boolean
 */
static int pa_h1_keepalive(lua_State *L)
{
	pa_h1 *h = pa_h1_check_open(L, 1);
	lua_pushboolean(L, h->state == PA_H1_DONE && h->keepalive && !h->extra && h->err_kind == NULL);
	return 1;
}

/***
 * Is an answer being read (a request written, its answer not yet whole)?
 * @function H1:waiting
 * @treturn boolean
 */
static int pa_h1_waiting(lua_State *L)
{
	pa_h1 *h = pa_h1_check_open(L, 1);
	lua_pushboolean(L, h->state != PA_H1_IDLE && h->state != PA_H1_DONE);
	return 1;
}

/***
 * How many bytes the answer's body still needs, when its Content-Length
 * says so (a caller may read exactly that many at once); else nil.
 * @function H1:want
 * @treturn int|nil
 */
static int pa_h1_want(lua_State *L)
{
	pa_h1 *h = pa_h1_check_open(L, 1);
	if (h->state == PA_H1_BODY_LEN && h->err_kind == NULL && h->left > 0)
		lua_pushinteger(L, (lua_Integer)h->left); /* at most max_body or the clamp, 2^53 + 1 */
	else
		lua_pushnil(L);
	return 1;
}

/***
 * Replaces the bearer token of the requests that follow.
 * @function H1:set_token
 * @string[opt] token nil: no Authorization header
 */
static int pa_h1_set_token(lua_State *L)
{
	pa_h1 *h;
	const char *token;
	struct curl_slist *list;
	luaL_checkudata(L, 1, PA_H1_MT);
	token = pa_check_token_arg(L, 2, "h1:set_token");
	h = pa_h1_check_open(L, 1);
	list = pa_default_headers(L, token); /* may raise: the old list stays */
	curl_slist_free_all(h->headers);
	h->headers = list;
	return 0;
}

/***
 * Releases its buffers. Idempotent; also `__gc` and `__close`. In the
 * middle of a call the release waits for the call's end.
 * @function H1:close
 */
static int pa_h1_close(lua_State *L)
{
	pa_h1 *h = luaL_checkudata(L, 1, PA_H1_MT);
	if (h->use.busy)
		h->use.closing = 1;
	else
		pa_h1_release(h);
	return 0;
}

/***
 * Is it closed?
 * @function H1:is_closed
 * @treturn boolean
 */
static int pa_h1_is_closed(lua_State *L)
{
	pa_h1 *h = luaL_checkudata(L, 1, PA_H1_MT);
	lua_pushboolean(L, !h->open || h->use.closing);
	return 1;
}

static int pa_h1_tostring(lua_State *L)
{
	pa_h1 *h = luaL_checkudata(L, 1, PA_H1_MT);
	lua_pushfstring(L, "pinanalytics.H1 (%s)", h->open && !h->use.closing ? "open" : "closed");
	return 1;
}

static const luaL_Reg pa_h1_methods[] = {
	{ "endpoint", pa_h1_endpoint },
	{ "request", pa_h1_request },
	{ "feed", pa_h1_feed },
	{ "eof", pa_h1_eof },
	{ "keepalive", pa_h1_keepalive },
	{ "waiting", pa_h1_waiting },
	{ "want", pa_h1_want },
	{ "set_token", pa_h1_set_token },
	{ "close", pa_h1_close },
	{ "is_closed", pa_h1_is_closed },
	{ NULL, NULL },
};

static const luaL_Reg pa_h1_meta[] = {
	{ "__gc", pa_h1_close },
	{ "__close", pa_h1_close },
	{ "__tostring", pa_h1_tostring },
	{ NULL, NULL },
};

void pa_h1_open(lua_State *L)
{
	pa_class(L, PA_H1_MT, pa_h1_meta, pa_h1_methods);
}
