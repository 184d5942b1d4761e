/*
 * The ceiling of this stack for one request: libcurl on one reused easy
 * handle (keep-alive) and lua-cjson's decode, with no other Lua code between
 * requests. Prints the seconds that `n` requests took.
 *
 *   cc -O2 bench/ceiling.c -o ceiling $(pkg-config --cflags --libs libcurl) -I/usr/include/lua5.4 -llua5.4
 *   ./ceiling URL n
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
	size_t n, cap;
};

static size_t on_data(char *d, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t len = size * nmemb;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->n + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			return 0;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, len);
	b->n += len;
	return len;
}

int main(int argc, char **argv)
{
	struct buf b = { NULL, 0, 0 };
	struct curl_slist *h = NULL;
	struct timespec t0, t1;
	lua_State *L;
	CURL *e;
	int i, n;
	if (argc != 3) {
		fprintf(stderr, "usage: %s URL n\n", argv[0]);
		return 2;
	}
	n = atoi(argv[2]);
	L = luaL_newstate();
	luaL_openlibs(L);
	lua_getglobal(L, "require");
	lua_pushstring(L, "cjson");
	if (lua_pcall(L, 1, 1, 0) != 0) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		return 1;
	}
	lua_getfield(L, -1, "decode"); /* stack: cjson, decode */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	e = curl_easy_init();
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(e, CURLOPT_URL, argv[1]);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		long status = 0;
		b.n = 0;
		if (curl_easy_perform(e) != CURLE_OK)
			return 1;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
			return 1;
		lua_pushvalue(L, -1);
		lua_pushlstring(L, b.p, b.n);
		if (lua_pcall(L, 1, 1, 0) != 0 || !lua_istable(L, -1))
			return 1;
		lua_pop(L, 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f\n", (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	lua_close(L);
	free(b.p);
	return 0;
}
