rockspec_format = "3.0"
package = "pinanalytics"
version = "scm-1"
source = {
  url = "git+https://github.com/pinanalytics/pinanalytics.git",
}
description = {
  summary = "Pinterest analytics for Lua: a libcurl C core, validated requests, exact numbers, reports",
  detailed = [[
pinanalytics fetches Pinterest analytics (REST API v5 organic analytics) and
turns them into numbers and reports. A C core (libcurl, JSON through a private
lua-cjson instance) sits under a small Lua layer. It ships a local simulator
of the API (nginx + its Lua module) for tests.
]],
  license = "MIT",
  homepage = "https://github.com/pinanalytics/pinanalytics",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson",
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["pinanalytics.core"] = {
      sources = { "csrc/core.c", "csrc/xfer.c", "csrc/session.c", "csrc/batch.c", "csrc/json.c", "csrc/frame.c", "csrc/check.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      libraries = { "curl", "m" },
      incdirs = { "csrc", "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
    },
    ["pinanalytics"] = "lua/pinanalytics/init.lua",
    ["pinanalytics.check"] = "lua/pinanalytics/check.lua",
    ["pinanalytics.dates"] = "lua/pinanalytics/dates.lua",
    ["pinanalytics.errors"] = "lua/pinanalytics/errors.lua",
    ["pinanalytics.http"] = "lua/pinanalytics/http.lua",
    ["pinanalytics.pinterest"] = "lua/pinanalytics/pinterest.lua",
    ["pinanalytics.oneup"] = "lua/pinanalytics/oneup.lua",
    ["pinanalytics.pacing"] = "lua/pinanalytics/pacing.lua",
    ["pinanalytics.frame"] = "lua/pinanalytics/frame.lua",
    ["pinanalytics.report"] = "lua/pinanalytics/report.lua",
    ["pinanalytics.paginate"] = "lua/pinanalytics/paginate.lua",
    ["pinanalytics.schema"] = "lua/pinanalytics/schema.lua",
    ["pinanalytics.simulator"] = "lua/pinanalytics/simulator/init.lua",
    ["pinanalytics.simulator.server"] = "lua/pinanalytics/simulator/server.lua",
    ["pinanalytics.simulator.data"] = "lua/pinanalytics/simulator/data.lua",
  },
}
