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
  "luasocket", -- the command-line tool's login: its listener on a loopback port
}
-- Only the library is looked for. LuaRocks looks for a header in
-- $(prefix)/include alone, but Debian and Ubuntu keep curl/curl.h under the
-- multiarch directory (/usr/include/x86_64-linux-gnu), which the compiler
-- searches by itself and LuaRocks never does; the library it does find in
-- lib/<multiarch>. CURL_INCDIR is then the include/ of the prefix where
-- libcurl was found, as before; CURL_DIR or CURL_INCDIR still override it.
external_dependencies = {
  CURL = { library = "curl" },
}
-- The C core is compiled and linked in one compiler run into build/rock/
-- and copied into the tree from there, so a `luarocks make` in a checkout
-- leaves it as it was: the builtin backend would leave csrc/*.o and a
-- pinanalytics/core.so beside the sources (a stale copy that a LUA_CPATH
-- starting with ./?.so, as `luarocks path` gives, loads first). The sources
-- are csrc/*.c, as for `make build`; LIBFLAG is -shared, or macOS's -bundle.
build = {
  type = "command",
  build_command = [[rm -rf build/rock && mkdir -p build/rock && ]]
    .. [[$(CC) $(CFLAGS) $(LIBFLAG) -D_POSIX_C_SOURCE=200809L -Icsrc "-I$(LUA_INCDIR)" "-I$(CURL_INCDIR)" ]]
    .. [[-o build/rock/core.so csrc/*.c "-L$(CURL_LIBDIR)" -lcurl -lz -lm]],
  install_command = [[mkdir -p "$(LIBDIR)/pinanalytics" && cp build/rock/core.so "$(LIBDIR)/pinanalytics/core.so" ]]
    .. [[&& rm -rf build/rock && { rmdir build 2>/dev/null || true; }]],
  install = {
    lua = {
      ["pinanalytics.init"] = "lua/pinanalytics/init.lua",
      ["pinanalytics.check"] = "lua/pinanalytics/check.lua",
      ["pinanalytics.dates"] = "lua/pinanalytics/dates.lua",
      ["pinanalytics.errors"] = "lua/pinanalytics/errors.lua",
      ["pinanalytics.credentials"] = "lua/pinanalytics/credentials.lua",
      ["pinanalytics.credentials.pg"] = "lua/pinanalytics/credentials/pg.lua",
      ["pinanalytics.http"] = "lua/pinanalytics/http.lua",
      ["pinanalytics.pinterest"] = "lua/pinanalytics/pinterest.lua",
      ["pinanalytics.pinterest.categories"] = "lua/pinanalytics/pinterest/categories.lua",
      ["pinanalytics.pinterest.organic"] = "lua/pinanalytics/pinterest/organic.lua",
      ["pinanalytics.pinterest.validate"] = "lua/pinanalytics/pinterest/validate.lua",
      ["pinanalytics.ads"] = "lua/pinanalytics/ads.lua",
      ["pinanalytics.ads.columns"] = "lua/pinanalytics/ads/columns.lua",
      ["pinanalytics.ads.endpoints"] = "lua/pinanalytics/ads/endpoints.lua",
      ["pinanalytics.oneup"] = "lua/pinanalytics/oneup.lua",
      ["pinanalytics.pacing"] = "lua/pinanalytics/pacing.lua",
      ["pinanalytics.pinmeta"] = "lua/pinanalytics/pinmeta.lua",
      ["pinanalytics.bulk"] = "lua/pinanalytics/bulk.lua",
      ["pinanalytics.frame"] = "lua/pinanalytics/frame.lua",
      ["pinanalytics.report"] = "lua/pinanalytics/report.lua",
      ["pinanalytics.cli.login"] = "lua/pinanalytics/cli/login.lua",
      ["pinanalytics.cli.init"] = "lua/pinanalytics/cli/init.lua",
      ["pinanalytics.cli.errors"] = "lua/pinanalytics/cli/errors.lua",
      ["pinanalytics.cli.options"] = "lua/pinanalytics/cli/options.lua",
      ["pinanalytics.cli.output"] = "lua/pinanalytics/cli/output.lua",
      ["pinanalytics.cli.progress"] = "lua/pinanalytics/cli/progress.lua",
      ["pinanalytics.cli.api"] = "lua/pinanalytics/cli/api.lua",
      ["pinanalytics.cli.store"] = "lua/pinanalytics/cli/store.lua",
      ["pinanalytics.cli.pin"] = "lua/pinanalytics/cli/pin.lua",
      ["pinanalytics.cli.account"] = "lua/pinanalytics/cli/account.lua",
      ["pinanalytics.cli.top"] = "lua/pinanalytics/cli/top.lua",
      ["pinanalytics.cli.overview"] = "lua/pinanalytics/cli/overview.lua",
      ["pinanalytics.cli.sync"] = "lua/pinanalytics/cli/sync.lua",
      ["pinanalytics.cli.oneup"] = "lua/pinanalytics/cli/oneup.lua",
      ["pinanalytics.cli.simulate"] = "lua/pinanalytics/cli/simulate.lua",
      ["pinanalytics.format"] = "lua/pinanalytics/format.lua",
      ["pinanalytics.template"] = "lua/pinanalytics/template.lua",
      ["pinanalytics.templates"] = "lua/pinanalytics/templates.lua",
      ["pinanalytics.svg"] = "lua/pinanalytics/svg.lua",
      ["pinanalytics.paginate"] = "lua/pinanalytics/paginate.lua",
      ["pinanalytics.schema"] = "lua/pinanalytics/schema.lua",
      ["pinanalytics.store"] = "lua/pinanalytics/store.lua",
      ["pinanalytics.store.db"] = "lua/pinanalytics/store/db.lua",
      ["pinanalytics.store.schema"] = "lua/pinanalytics/store/schema.lua",
      ["pinanalytics.store.sync"] = "lua/pinanalytics/store/sync.lua",
      ["pinanalytics.store.claims"] = "lua/pinanalytics/store/claims.lua",
      ["pinanalytics.store.oneup"] = "lua/pinanalytics/store/oneup.lua",
      ["pinanalytics.runtime.init"] = "lua/pinanalytics/runtime/init.lua",
      ["pinanalytics.runtime.blocking"] = "lua/pinanalytics/runtime/blocking.lua",
      ["pinanalytics.runtime.ngx"] = "lua/pinanalytics/runtime/ngx.lua",
      ["pinanalytics.runtime.ngx_cosocket"] = "lua/pinanalytics/runtime/ngx_cosocket.lua",
      ["pinanalytics.runtime.ngx_thread"] = "lua/pinanalytics/runtime/ngx_thread.lua",
      ["pinanalytics.runtime.uv"] = "lua/pinanalytics/runtime/uv.lua",
      ["pinanalytics.simulator.init"] = "lua/pinanalytics/simulator/init.lua",
      ["pinanalytics.simulator.server"] = "lua/pinanalytics/simulator/server.lua",
      ["pinanalytics.simulator.data"] = "lua/pinanalytics/simulator/data.lua",
      ["pinanalytics.simulator.ads_data"] = "lua/pinanalytics/simulator/ads_data.lua",
      ["pinanalytics.simulator.ads"] = "lua/pinanalytics/simulator/ads.lua",
      ["pinanalytics.ads.async"] = "lua/pinanalytics/ads/async.lua",
      ["pinanalytics.simulator.ads_reports"] = "lua/pinanalytics/simulator/ads_reports.lua",
      ["pinanalytics.cli.ads"] = "lua/pinanalytics/cli/ads.lua",
      ["pinanalytics.ads.money"] = "lua/pinanalytics/ads/money.lua",
      ["pinanalytics.ads.report"] = "lua/pinanalytics/ads/report.lua",
      ["pinanalytics.store.ads"] = "lua/pinanalytics/store/ads.lua",
      ["pinanalytics.cli.sync_ads"] = "lua/pinanalytics/cli/sync_ads.lua",
    },
    -- the command-line tool; LuaRocks installs a wrapper that runs it with
    -- the Lua the rock is built for and the rock tree's paths
    bin = {
      pinanalytics = "bin/pinanalytics",
    },
  },
}
