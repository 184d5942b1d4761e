/*
 * The ceiling for one request through this stack: libcurl on one reused easy
 * handle (so one keep-alive connection) writing into a buffer, then
 * lua-cjson's decode called with lua_pcall. No other Lua code runs between
 * requests. The request carries the same headers pinanalytics sends.
 *
 *   cc -O2 bench/ceiling.c -o ceiling $(pkg-config --cflags --libs libcurl) -I/usr/include/lua5.4 -llua5.4
 *   ./ceiling URL WARM N
 *
 * Makes WARM untimed requests, then N timed ones, and prints one line:
 * "<seconds the N requests took> <connections opened during them>".
 * Exits non-zero on any failure (transfer, HTTP status other than 200, a
 * body that does not decode to a table).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

struct buf {
	char *p;
	size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		char *p;
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return n;
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One request and its decode; the decode function is at the top of the stack. */
static int one(lua_State *L, CURL *e, struct buf *b, long *connects)
{
	long status = 0, n = 0;
	CURLcode rc;
	b->len = 0;
	rc = curl_easy_perform(e);
	if (rc != CURLE_OK) {
		fprintf(stderr, "ceiling: %s\n", curl_easy_strerror(rc));
		return 0;
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &n);
	*connects += n;
	if (status != 200) {
		fprintf(stderr, "ceiling: HTTP %ld\n", status);
		return 0;
	}
	lua_pushvalue(L, -1);
	lua_pushlstring(L, b->p, b->len);
	if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
		fprintf(stderr, "ceiling: decode failed: %s\n", lua_isstring(L, -1) ? lua_tostring(L, -1) : "not a table");
		return 0;
	}
	lua_pop(L, 1);
	return 1;
}

int main(int argc, char **argv)
{
	struct buf b = { NULL, 0, 0 };
	struct curl_slist *headers = NULL;
	long connects = 0;
	double t0, t1;
	lua_State *L;
	CURL *e;
	int i, warm, n;

	if (argc != 4) {
		fprintf(stderr, "usage: %s URL WARM N\n", argv[0]);
		return 2;
	}
	warm = atoi(argv[2]);
	n = atoi(argv[3]);

	L = luaL_newstate();
	luaL_openlibs(L);
	lua_getglobal(L, "require");
	lua_pushliteral(L, "cjson");
	if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
		fprintf(stderr, "ceiling: %s\n", lua_tostring(L, -1));
		return 1;
	}
	lua_getfield(L, -1, "decode"); /* stack: cjson, cjson.decode */

	curl_global_init(CURL_GLOBAL_DEFAULT);
	e = curl_easy_init();
	headers = curl_slist_append(headers, "Accept: application/json");
	headers = curl_slist_append(headers, "Expect:");
	headers = curl_slist_append(headers, "Authorization: Bearer t");
	curl_easy_setopt(e, CURLOPT_URL, argv[1]);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);

	for (i = 0; i < warm; i++)
		if (!one(L, e, &b, &connects))
			return 1;
	connects = 0;
	t0 = seconds();
	for (i = 0; i < n; i++)
		if (!one(L, e, &b, &connects))
			return 1;
	t1 = seconds();
	printf("%.6f %ld\n", t1 - t0, connects);

	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
	curl_global_cleanup();
	lua_close(L);
	free(b.p);
	return 0;
}
