"""The python3 contender: urllib.request + json, as a script would do it.

    python3 bench/urllib_json.py URL WARM N

Makes WARM untimed requests, then N timed ones, each decoded with
json.loads, and prints the seconds the N requests took. urllib.request sends
"Connection: close" and opens a new connection for every request.
"""
import json
import sys
import time
import urllib.request


def one(req):
    with urllib.request.urlopen(req) as r:
        if r.status != 200:
            raise SystemExit("HTTP %d" % r.status)
        body = r.read()
    if not isinstance(json.loads(body), dict):
        raise SystemExit("the answer is not a JSON object")


def main():
    url, warm, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    for _ in range(warm):
        one(req)
    t0 = time.monotonic()
    for _ in range(n):
        one(req)
    print("%.6f" % (time.monotonic() - t0))


main()
