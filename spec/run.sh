#!/bin/sh
# Runs every check of `make test` and ends with one line "N passed, N failed".
# Each busted test counts once; the lint and build checks count once each.
LUA=${LUA:-lua5.4}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

check() { # name, command...
  name=$1; shift
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1)); echo "ok - $name"
  else
    failed=$((failed + 1)); echo "not ok - $name"; sed 's/^/    /' "$log"
  fi
}

check "luacheck: lua/ spec/ examples/ bench/ are clean" luacheck -q lua spec examples $(ls -d bench 2>/dev/null)
check "C core compiles warning-free against LuaJIT headers" make --no-print-directory check-luajit
check "valgrind: the C core's paths leak nothing and touch no bad memory" make --no-print-directory memcheck
check "AddressSanitizer + UBSan: the C core's paths and their specs run clean" make --no-print-directory asan

$LUA /usr/bin/busted -o TAP "$@" >"$log" 2>&1
rc=$?
cat "$log"
ok=$(grep '^ok ' "$log" | grep -vc '# SKIP')
skipped=$(grep '^ok ' "$log" | grep -c '# SKIP')
notok=$(grep -c '^not ok ' "$log")
passed=$((passed + ok))
failed=$((failed + notok))
# a skipped test (pending in busted: a spec whose tool cannot be installed)
# counts neither way; its reason is in the output above
[ "$skipped" -eq 0 ] || echo "$skipped skipped"
if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
  echo "not ok - busted exited with status $rc"
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
