#!/bin/sh
# Runs the LuaRocks recipe of docs/install.md (the sh block under
# "## Installing with LuaRocks"), word for word, on a copy of this checkout, with HOME in a
# temporary directory so that `--local` and `luarocks path` use a fresh tree
# and no user configuration. Then shows that:
#   - the copy is left exactly as it was (no objects, no pinanalytics/ folder);
#   - a lua5.4 with only the paths `luarocks path` gives loads pinanalytics and
#     pinanalytics.core from that tree (cjson from Debian's lua-cjson);
#   - the pinanalytics command it installs runs with no Lua paths set;
#   - the same for Lua 5.1, when its headers (liblua5.1-0-dev) are installed,
#     and that LuaJIT (luajit2) loads that 5.1 build too.
set -e
rockspec=rockspec/pinanalytics-scm-1.rockspec

# every Lua module of the tree must be in the rockspec
for f in $(find lua -name '*.lua' | sort); do
  grep -q "\"$f\"" "$rockspec" || { echo "$rockspec lacks $f" >&2; exit 1; }
done

recipe=$(awk '
  /^## / { in_section = ($0 == "## Installing with LuaRocks") ; next }
  in_section && !started && /^```sh$/ { started = 1; next }
  started && /^```$/ { exit }
  started { print }
' docs/install.md)
[ -n "$recipe" ] || { echo "docs/install.md: no sh block under \"## Installing with LuaRocks\"" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/src
home=$work/home
mkdir -p "$src" "$home"

# The checkout as git sees it (tracked and new files, not ignored ones), so
# that local build products play no part.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
    if [ -f "$f" ]; then mkdir -p "$src/$(dirname "$f")" && cp -p "$f" "$src/$f"; fi
  done
else
  cp -R csrc lua rockspec README.md "$src"/
fi
cd "$src"
find . | sort >"$work/before"

# A new user's environment: no Lua paths, no LuaRocks configuration or cache
# of the caller's (make exports LUA_PATH and LUA_CPATH for the specs).
run() {
  env -u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_1 -u LUA_CPATH_5_1 -u LUA_PATH_5_4 -u LUA_CPATH_5_4 \
    -u LUAROCKS_CONFIG -u LUAROCKS_CONFIG_5_1 -u LUAROCKS_CONFIG_5_4 -u XDG_CACHE_HOME -u XDG_CONFIG_HOME \
    HOME="$home" sh -e -c "$1"
}

echo "== the LuaRocks recipe of docs/install.md:"
echo "$recipe"
run "$recipe
cd /
lua5.4 -e '
  local tree = \"$home/.luarocks/\"
  for _, m in ipairs{ \"pinanalytics\", \"pinanalytics.frame\" } do
    local f = assert(package.searchpath(m, package.path), m .. \" not found\")
    assert(f:sub(1, #tree) == tree, m .. \" from \" .. f .. \", not from the tree\")
  end
  local core = assert(package.searchpath(\"pinanalytics.core\", package.cpath), \"pinanalytics.core not found\")
  assert(core:sub(1, #tree) == tree, \"pinanalytics.core from \" .. core .. \", not from the tree\")
  local pa = require \"pinanalytics\"
  assert(pa.core == require \"pinanalytics.core\")
  assert(pa.core.decode(\"{\\\"n\\\":240}\").n == 240)
  assert(math.type(pa.core.decode(\"240\")) == \"integer\")
  assert(pa.frame({ daily_metrics = { { date = \"2026-01-01\", metrics = { SAVE = 1 } } } }):sum(\"SAVE\") == 1)
  assert(require(\"pinanalytics.simulator\").start and pa.report.overview and pa.oneup)
  local c = pa.pinterest{ token = \"x\", base_url = \"http://127.0.0.1:1/v5\" }
  c:close()
  print(\"pinanalytics \" .. pa._VERSION .. \" (Lua 5.4) loads from \" .. tree)
'"

echo "== the command-line tool the rock installs, with no Lua paths set"
run "cd /
v=\$(\"$home/.luarocks/bin/pinanalytics\" --version)
echo \"\$v\"
case \"\$v\" in 'pinanalytics '[0-9]*) ;; *) echo 'pinanalytics --version printed the above' >&2; exit 1;; esac
\"$home/.luarocks/bin/pinanalytics\" pin --help | grep -q '^usage: pinanalytics pin '"

if [ -f /usr/include/lua5.1/lua.h ] && command -v lua5.1 >/dev/null; then
  echo "== the same for Lua 5.1 (loaded by lua5.1, then by luajit when installed)"
  for lua in lua5.1 luajit; do
    command -v "$lua" >/dev/null || { echo "== $lua: skipped (not installed)"; continue; }
    [ "$lua" = lua5.1 ] && build="luarocks --lua-version=5.1 make --local --deps-mode=none" || build=true
    run "$build
eval \"\$(luarocks --lua-version=5.1 path)\"
cd /
$lua -e '
  local tree = \"$home/.luarocks/lib/lua/5.1/\"
  local pa = require \"pinanalytics\"
  local found
  for dir in package.cpath:gmatch(\"[^;]+\") do
    local f = io.open((dir:gsub(\"%?\", \"pinanalytics/core\")), \"rb\")
    if f then f:close(); found = dir; break end
  end
  assert(found and found:sub(1, #tree) == tree, \"pinanalytics.core from \" .. tostring(found) .. \", not from the tree\")
  assert(pa.core.decode(\"{\\\"n\\\":240}\").n == 240)
  assert(pa.frame({ daily_metrics = { { date = \"2026-01-01\", metrics = { SAVE = 1 } } } }):sum(\"SAVE\") == 1)
  local c = pa.pinterest{ token = \"x\", base_url = \"http://127.0.0.1:1/v5\" }
  c:close()
  print(\"pinanalytics \" .. pa._VERSION .. \" (\" .. (rawget(_G, \"jit\") and jit.version or _VERSION) .. \") loads from \" .. tree)
'"
  done
else
  echo "== Lua 5.1: skipped (install liblua5.1-0-dev and lua5.1 to check it)"
fi

find . | sort >"$work/after"
if ! diff -u "$work/before" "$work/after"; then
  echo "luarocks make changed the checkout (above)" >&2
  exit 1
fi
echo "the checkout is left as it was"
