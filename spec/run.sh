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
#
# With no busted args, the spec files run side by side, PA_TEST_JOBS at a time
# (default: twice the number of cores, at least 2), each its own busted process
# bounded by PA_SPEC_TIMEOUT seconds (default 900: a spec that hangs fails,
# named, instead of holding the run); the longest ones (as timed by the last
# run, build/<LUA>/spec-times) start first. Each file's TAP output is printed
# whole, in file order, then the counts.
LUA=${LUA:-lua5.4}
# the checkout's modules and spec helpers, for busted and the processes the
# specs start (the Makefile exports the same)
[ -n "$LUA_PATH" ] || export LUA_PATH="$(pwd)/lua/?.lua;$(pwd)/lua/?/init.lua;$(pwd)/spec/?.lua;;"
mode=full
case $1 in
  --busted) mode=busted; shift ;;
  --all) mode=all; shift ;;
  --one) # internal: lua, spec file, output folder
    lua=$2; f=$3; out=$4
    name=$(basename "$f" .lua)
    start=$(date +%s)
    # PA_TEST_BUILD: the build of the C module (default build/$lua; make
    # test-asan: asan), PA_TEST_PRELOAD: what the Lua process alone preloads
    LUA=$lua LUA_CPATH="$(pwd)/build/${PA_TEST_BUILD:-$lua}/?.so;;" timeout -k 10 "${PA_SPEC_TIMEOUT:-900}" \
      env ${PA_TEST_PRELOAD:+LD_PRELOAD="$PA_TEST_PRELOAD"} \
      "$lua" /usr/bin/busted --cpath="build/${PA_TEST_BUILD:-$lua}/?.so" -o TAP "$f" >"$out/$name.tap" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || echo "not ok - $f did not finish within ${PA_SPEC_TIMEOUT:-900} s" >>"$out/$name.tap"
    echo "$rc" >"$out/$name.rc"
    echo "$secs $f" >"$out/$name.secs"
    echo "# $lua $f: $(grep -c '^ok ' "$out/$name.tap") ok, $(grep -c '^not ok ' "$out/$name.tap") not ok, exit $rc, $secs s"
    exit 0 ;;
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

# Every spec file on one runtime, side by side (see the top); leaves the
# TAP output of all of them in $log and busted's status in $rc (the first
# non-zero one).
parallel_suite() {
  lua=$1
  out=$(mktemp -d)
  times=build/${PA_TEST_BUILD:-$lua}/spec-times
  # (most spec files wait on their servers more than they compute: two a core)
  jobs=${PA_TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) * 2))}
  [ "$jobs" -ge 2 ] 2>/dev/null || jobs=2
  # longest first: last run's seconds, else the file's size as a guess
  for f in spec/*_spec.lua; do
    t=$(grep " $f\$" "$times" 2>/dev/null | cut -d' ' -f1)
    echo "${t:-$(($(wc -c <"$f") / 2000))} $f"
  done | sort -rn | cut -d' ' -f2 |
    xargs -P "$jobs" -I{} sh spec/run.sh --one "$lua" {} "$out"
  : >"$log"
  rc=0
  for f in spec/*_spec.lua; do
    name=$(basename "$f" .lua)
    echo "# $f" >>"$log"
    if [ -f "$out/$name.tap" ]; then cat "$out/$name.tap" >>"$log"; else echo "not ok - $f did not run" >>"$log"; fi
    r=$(cat "$out/$name.rc" 2>/dev/null || echo 1)
    [ "$rc" -ne 0 ] || rc=$r
  done
  mkdir -p "$(dirname "$times")" && cat "$out"/*.secs >"$times" 2>/dev/null
  rm -rf "$out"
}

# busted on one runtime: lua, busted args...; counts its tests. A test
# skipped on this runtime (busted's pending, "ok N - # SKIP reason") counts
# as neither passed nor failed; the skips are listed at the end.
skips=$(mktemp)
trap 'rm -f "$log" "$skips"' EXIT
suite() {
  lua=$1; shift
  if [ $# -gt 0 ]; then
    LUA=$lua LUA_CPATH="$(pwd)/build/$lua/?.so;;" "$lua" /usr/bin/busted -o TAP "$@" >"$log" 2>&1
    rc=$?
  else
    parallel_suite "$lua"
  fi
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

# valgrind and ASan run beside the busted suite (each is one process that
# mostly computes, while the suite mostly waits on its servers); their
# results are printed after it.
side=""
if [ "$mode" != busted ]; then
  check "luacheck: lua/ spec/ examples/ bench/ bin/ are clean" luacheck -q lua spec examples $(ls -d bench 2>/dev/null) bin/pinanalytics
  check "C core compiles warning-free against LuaJIT headers" make --no-print-directory check-luajit
  side=$(mktemp -d)
  ( make --no-print-directory memcheck LUA=lua5.4 >"$side/memcheck.log" 2>&1; echo $? >"$side/memcheck.rc" ) &
  ( make --no-print-directory asan >"$side/asan.log" 2>&1; echo $? >"$side/asan.rc" ) &
fi

# the result of a check run beside the suite: name, its folder's key
side_result() {
  wait
  if [ "$(cat "$side/$2.rc" 2>/dev/null)" = 0 ]; then
    count 1 0; echo "ok - $1"
  else
    count 0 1; echo "not ok - $1"; sed 's/^/    /' "$side/$2.log"
  fi
}

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

if [ -n "$side" ]; then
  side_result "valgrind: the C core's paths leak nothing and touch no bad memory" memcheck
  side_result "AddressSanitizer + UBSan: the C core's paths and their specs run clean" asan
  rm -rf "$side"
fi

cat "$skips"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
