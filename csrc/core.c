/*
 * core.c - luaopen_pinanalytics_core: the C core of pinanalytics.
 *
 *   local core = require "pinanalytics.core"
 *   core.version        "0.1.0"
 *   core.curl_version   libcurl's version string
 *   core.null           the JSON null sentinel (a NULL light userdata)
 *   core.session{...}   a Session userdata: one blocking request at a time (session.c)
 *   core.batch{...}     a Batch userdata: many requests in flight (batch.c)
 *   core.now()          monotonic seconds; core.sleep(s)
 *   core.decode(text)   JSON text -> value | nil, message (json.c)
 */
#include <errno.h>
#include <time.h>

#include <curl/curl.h>

#include "pa.h"

#if defined(__GNUC__)
#define PA_EXPORT __attribute__((visibility("default")))
#else
#define PA_EXPORT
#endif

/* core.now() -> seconds from a monotonic clock (for pacing and timeouts) */
static int pa_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

/*
 * core.sleep(seconds): sleeps without busy-waiting (interrupted sleeps
 * resume). seconds: at most 2147483647; a negative wait is over already.
 * NaN or infinity cannot be kept: they raise.
 */
static int pa_sleep(lua_State *L)
{
	lua_Number s = luaL_checknumber(L, 1);
	struct timespec ts, rem;
	if (s != s || s > 2147483647.0) {
		lua_pushnumber(L, s);
		return luaL_error(L, "pinanalytics.core.sleep: seconds must be a number in 0..2147483647, got %s",
		                  lua_tostring(L, -1));
	}
	if (s <= 0)
		return 0;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
	if (ts.tv_nsec > 999999999L)
		ts.tv_nsec = 999999999L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
	return 0;
}

static const luaL_Reg pa_core_funcs[] = {
	{ "session", pa_session_new },
	{ "batch", pa_batch_new },
	{ "frame", pa_frame_new },
	{ "frame_bytes", pa_frame_bytes },
	{ "check_analytics", pa_check_analytics },
	{ "now", pa_now },
	{ "sleep", pa_sleep },
	{ "decode", pa_json_decode_lua },
	{ NULL, NULL },
};

PA_EXPORT int luaopen_pinanalytics_core(lua_State *L);

int luaopen_pinanalytics_core(lua_State *L)
{
	static int curl_ready = 0;
	if (!curl_ready) {
		CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (rc != CURLE_OK)
			return luaL_error(L, "pinanalytics.core: curl_global_init failed: %s",
			                  curl_easy_strerror(rc));
		curl_ready = 1;
	}
	pa_guard_open(L);
	pa_session_open(L);
	pa_batch_open(L);
	pa_frame_open(L);
	pa_newlib(L, pa_core_funcs);
	pa_json_open(L); /* pushes cjson.null */
	lua_setfield(L, -2, "null");
	lua_pushliteral(L, PA_VERSION);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, curl_version());
	lua_setfield(L, -2, "curl_version");
	return 1;
}
