/*
 * pa.h - declarations shared by the C files of pinanalytics.core.
 * Everything here has hidden visibility: only luaopen_pinanalytics_core is
 * exported from the shared object.
 */
#ifndef PA_H
#define PA_H

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

/* session.c */
void pa_session_open(lua_State *L);
int pa_session_new(lua_State *L);

#endif /* PA_H */
