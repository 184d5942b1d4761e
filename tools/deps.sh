#!/bin/sh
# Installs the Debian packages given as "package:path" pairs whose path is
# missing. As root: apt-get update (once) and apt-get install. Otherwise:
# prints the one command to run and fails.
missing=""
for pair in "$@"; do
  pkg=${pair%%:*}
  path=${pair#*:}
  [ -e "$path" ] || missing="$missing $pkg"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || { echo "apt-get update failed" >&2; exit 1; }
  apt-get install -y -q --no-install-recommends $missing >/dev/null || {
    echo "apt-get install failed for:$missing" >&2; exit 1; }
  # nginx's Debian package starts a system-wide server; the project only
  # runs its own on loopback ports, so leave the system one as it was.
  exit 0
fi
echo "pinanalytics needs these Debian packages:$missing" >&2
echo "run as root:  apt-get update && apt-get install -y$missing" >&2
exit 1
