#!/bin/sh
# Shows that the rockspec installs with LuaRocks' builtin backend into a
# temporary tree, and that a fresh lua5.4 loads the module from that tree.
set -e
# every Lua module of the tree must be in the rockspec
for f in $(find lua -name '*.lua' | sort); do
  grep -q "\"$f\"" rockspec/pinanalytics-scm-1.rockspec || { echo "rockspec lacks $f" >&2; exit 1; }
done
for f in csrc/*.c; do
  grep -q "\"$f\"" rockspec/pinanalytics-scm-1.rockspec || { echo "rockspec lacks $f" >&2; exit 1; }
done
tree=$(mktemp -d)
src=$(mktemp -d)
trap 'rm -rf "$tree" "$src"' EXIT
# build from a copy, so that LuaRocks' objects never land in the checkout
cp -r csrc lua rockspec "$src"/
# Debian keeps curl/curl.h under a multiarch directory that LuaRocks does not
# search by itself: take it from pkg-config.
vars=""
inc=$(pkg-config --cflags-only-I libcurl 2>/dev/null | sed -n 's/^ *-I\([^ ]*\).*/\1/p')
[ -n "$inc" ] && vars="CURL_INCDIR=$inc"
lib=$(pkg-config --variable=libdir libcurl 2>/dev/null || true)
[ -n "$lib" ] && vars="$vars CURL_LIBDIR=$lib"
# shellcheck disable=SC2086
(cd "$src" && luarocks --lua-version=5.4 make --deps-mode=none --tree="$tree" \
  rockspec/pinanalytics-scm-1.rockspec $vars)
env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4 lua5.4 -e "
  package.path = '$tree/share/lua/5.4/?.lua;$tree/share/lua/5.4/?/init.lua;' .. package.path
  package.cpath = '$tree/lib/lua/5.4/?.so;' .. package.cpath
  local pa = require 'pinanalytics'
  assert(package.searchpath('pinanalytics.core', package.cpath):find('$tree', 1, true), 'core not from the tree')
  assert(pa.core.decode('{\"n\":240}').n == 240)
  assert(math.type(pa.core.decode('240')) == 'integer')
  assert(pa.frame({ daily_metrics = { { date = '2026-01-01', metrics = { SAVE = 1 } } } }):sum('SAVE') == 1)
  assert(require('pinanalytics.simulator').start and pa.report.overview and pa.oneup)
  local c = pa.pinterest{ token = 'x', base_url = 'http://127.0.0.1:1/v5' }
  c:close()
  print('pinanalytics ' .. pa._VERSION .. ' loads from ' .. '$tree')
"
