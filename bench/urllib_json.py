"""python3's urllib.request + json: n GETs of URL, decoded; prints the seconds.

urllib opens a new connection for every request (it has no keep-alive)."""
import json
import sys
import time
import urllib.request


def main():
    url, n = sys.argv[1], int(sys.argv[2])
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    t0 = time.monotonic()
    for _ in range(n):
        with urllib.request.urlopen(req) as r:
            body = r.read()
        if not isinstance(json.loads(body), dict):
            sys.exit(1)
    print("%.6f" % (time.monotonic() - t0))


main()
