--- Programs the specs start. Under `make test-asan` the spec process runs
-- with the sanitizer runtime preloaded (LD_PRELOAD=libasan.so:libubsan.so,
-- ASAN_OPTIONS) and every child inherits it; some programs (curl, psql) then
-- wait on a futex for good. A child that is not a Lua loading this
-- checkout's C module starts through `plain` (without the preload; a Lua
-- that loads the ASan build keeps it, it needs it), and every wait on a
-- child has a bound: `bounded` (coreutils timeout, then SIGKILL).
local X = {}

--- The shell words that drop the sanitizer runtime from what follows.
X.UNSET = "unset LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS;"

--- A shell command (any shell text) run without the sanitizer runtime.
function X.plain(cmd)
  return X.UNSET .. " " .. cmd
end

--- One simple command (a program and its arguments, no redirection, no
-- pipe) that is stopped after `seconds` (TERM, then KILL 5 s later);
-- its exit status is then 124 (or 137).
function X.bounded(seconds, cmd)
  return "timeout -k 5 " .. math.floor(seconds) .. " " .. cmd
end

return X
