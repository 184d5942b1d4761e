/*
 * core.c - luaopen_pinanalytics_core: the C core of pinanalytics.
 *
 *   local core = require "pinanalytics.core"
 *   core.version        "0.1.0"
 *   core.curl_version   libcurl's version string
 *   core.null           the JSON null sentinel (a NULL light userdata)
 *   core.session{...}   a Session userdata (session.c)
 *   core.decode(text)   JSON text -> value | nil, message (json.c)
 */
#include <curl/curl.h>

#include "pa.h"

#if defined(__GNUC__)
#define PA_EXPORT __attribute__((visibility("default")))
#else
#define PA_EXPORT
#endif

static const luaL_Reg pa_core_funcs[] = {
	{ "session", pa_session_new },
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
	pa_session_open(L);
	pa_newlib(L, pa_core_funcs);
	pa_json_open(L); /* pushes cjson.null */
	lua_setfield(L, -2, "null");
	lua_pushliteral(L, PA_VERSION);
	lua_setfield(L, -2, "version");
	lua_pushstring(L, curl_version());
	lua_setfield(L, -2, "curl_version");
	return 1;
}
