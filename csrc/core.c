/***
 * The C core of pinanalytics (`luaopen_pinanalytics_core`, csrc/): HTTP
 * through libcurl, JSON decoded through a private lua-cjson instance, the
 * shapes of the endpoints' answers checked and typed while decoding, and
 * MetricFrames. The clients are built on it; it is usable directly, e.g.
 * from an event loop (`Batch:events`). Also `pinanalytics.core` as `pa.core`.
 *
 * What it is handed is checked, read raw (no metamethod runs) and once:
 * a wrong argument raises naming the function. A Session or Batch in the
 * middle of a call is busy: a finalizer that closes it then only marks it,
 * and a nested call raises "session is busy" / "batch is busy".
 * @module pinanalytics.core
 * @usage
 * local core = require "pinanalytics.core"
 * local s = core.session{ base_url = "http://127.0.0.1:8080/v5", token = "..." }
 * local status, headers, body = s:request("GET", "/user_account")
 * s:close()
 */

/*
 * core.c - luaopen_pinanalytics_core: the module table.
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

/***
 * Seconds from a monotonic clock (for pacing and timeouts), with a fraction.
 * @function now
 * @treturn number
 */
static int pa_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

/***
 * Sleeps without busy-waiting (a sleep interrupted by a signal resumes).
 * @function sleep
 * @number seconds at most 2147483647; a negative wait is over already; NaN or infinity raise
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

/***
 * A MetricFrame from daily rows (what `pinanalytics.frame` builds on; use
 * that). The frame's methods: `pinanalytics.frame`.
 * @function frame
 * @tparam {table,...} sources each `{ daily = <daily_metrics array>, prefix = "pin/" | nil,
 * metric = "IMPRESSION" | nil, name = "pin" }`: with `metric`, the source gives one series
 * called `name`; otherwise one series per metric key, called `prefix .. key`. Series are
 * sorted by name
 * @treturn pinanalytics.frame.MetricFrame
 */

/***
 * The bytes a frame holds in C (for benchmarks).
 * @function frame_bytes
 * @tparam pinanalytics.frame.MetricFrame f
 * @treturn int bytes
 * @treturn int values
 */

/***
 * Fields of the module.
 * @table core
 * @field version the library's version, e.g. "0.1.0"
 * @field curl_version libcurl's version string
 * @field null what JSON `null` decodes to: a NULL light userdata, equal to lua-cjson's `cjson.null`
 */

void pa_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
	if (luaL_newmetatable(L, name)) {
		pa_setfuncs(L, meta, 0);
		lua_newtable(L); /* not luaL_newlib: it sizes an array, and methods is a pointer */
		pa_setfuncs(L, methods, 0);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, "locked");
		lua_setfield(L, -2, "__metatable");
	}
	lua_pop(L, 1);
}

static const luaL_Reg pa_core_funcs[] = {
	{ "session", pa_session_new },
	{ "batch", pa_batch_new },
	{ "h1", pa_h1_new },
	{ "frame", pa_frame_new },
	{ "frame_bytes", pa_frame_bytes },
	{ "check_analytics", pa_check_analytics },
	{ "ads_column_kind", pa_ads_column_kind },
	{ "now", pa_now },
	{ "sleep", pa_sleep },
	{ "decode", pa_json_decode_lua },
	{ "fs_stat", pa_fs_stat },
	{ "fs_mkdir", pa_fs_mkdir },
	{ "fs_write_temp", pa_fs_write_temp },
	{ "fs_fsync_dir", pa_fs_fsync_dir },
	{ "fs_lock", pa_fs_lock },
	{ "download", pa_download_lua },
	{ "report_reader", pa_report_reader_lua },
	{ "fs_hold_signals", pa_fs_hold_signals },
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
	pa_h1_open(L);
	pa_frame_open(L);
	pa_fs_open(L);
	pa_report_open(L);
	pa_newlib(L, pa_core_funcs);
	pa_json_open(L); /* pushes cjson.null */
	lua_setfield(L, -2, "null");
	lua_pushliteral(L, PA_VERSION);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, curl_version());
	lua_setfield(L, -2, "curl_version");
	return 1;
}
