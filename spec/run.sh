#!/bin/sh
# The checks of `make test` and `make test-all`; the last line is always
# "N passed, N failed" (each busted test counts once, each other check once).
#
#   sh spec/run.sh [busted args]   on $LUA (default lua5.4): luacheck, the C
#                                  core against LuaJIT headers, valgrind,
#                                  ASan + UBSan, then the busted suite
#   sh spec/run.sh --busted [args] the busted suite alone on $LUA
#   sh spec/run.sh --all LUA...    the first on $LUA, then for each LUA given
#                                  (lua5.3, lua5.1, luajit) its build and the
#                                  busted suite on it
#
# Each runtime loads its own build of the C module, build/<LUA>/?.so.
LUA=${LUA:-lua5.4}
mode=full
case $1 in
  --busted) mode=busted; shift ;;
  --all) mode=all; shift ;;
esac
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # passed, failed
  passed=$((passed + $1)); failed=$((failed + $2))
}

check() { # name, command...
  name=$1; shift
  if "$@" >"$log" 2>&1; then
    count 1 0; echo "ok - $name"
  else
    count 0 1; echo "not ok - $name"; sed 's/^/    /' "$log"
  fi
}

# busted on one runtime: lua, busted args...; counts its tests. A test
# skipped on this runtime (busted's pending, "ok N - # SKIP reason") counts
# as neither passed nor failed; the skips are listed at the end.
skips=$(mktemp)
trap 'rm -f "$log" "$skips"' EXIT
suite() {
  lua=$1; shift
  LUA=$lua LUA_CPATH="$(pwd)/build/$lua/?.so;;" "$lua" /usr/bin/busted -o TAP "$@" >"$log" 2>&1
  rc=$?
  cat "$log"
  skip=$(grep -c '^ok [0-9]* - # SKIP' "$log")
  ok=$(($(grep -c '^ok ' "$log") - skip))
  notok=$(grep -c '^not ok ' "$log")
  if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
    echo "not ok - busted on $lua exited with status $rc"
    notok=1
  fi
  count "$ok" "$notok"
  grep '^ok [0-9]* - # SKIP' "$log" | sed "s/^ok [0-9]* - # SKIP/# skipped on $lua:/" >>"$skips"
  echo "# $lua: $ok passed, $notok failed, $skip skipped"
}

if [ "$mode" != busted ]; then
  check "luacheck: lua/ spec/ examples/ bench/ bin/ are clean" luacheck -q lua spec examples $(ls -d bench 2>/dev/null) bin/pinanalytics
  check "C core compiles warning-free against LuaJIT headers" make --no-print-directory check-luajit
  check "valgrind: the C core's paths leak nothing and touch no bad memory" \
    make --no-print-directory memcheck LUA=lua5.4
  check "AddressSanitizer + UBSan: the C core's paths and their specs run clean" make --no-print-directory asan
fi

if [ "$mode" = all ]; then
  suite "$LUA"
  for lua in "$@"; do
    echo "# $lua"
    check "the C core builds for $lua (build/$lua)" make --no-print-directory build LUA="$lua"
    suite "$lua"
  done
else
  suite "$LUA" "$@"
fi

cat "$skips"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
