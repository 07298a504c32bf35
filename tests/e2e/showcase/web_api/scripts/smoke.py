"""Smoke test of a running server: wait for the port, then one request per behaviour.

Usage: python scripts/smoke.py PORT
"""

import json
import sys
import time
import urllib.error
import urllib.request

BASE = f"http://127.0.0.1:{sys.argv[1]}"


def call(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


for _ in range(100):
    try:
        urllib.request.urlopen(BASE + "/openapi.json", timeout=1).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit(f"nothing answers on {BASE} after 10 s")

alice = {"username": "alice", "password": "correct horse battery"}
print("POST /register", *call("POST", "/register", alice))
print("POST /register again", call("POST", "/register", alice)[0])
print("POST /login wrong password", call("POST", "/login", {**alice, "password": "nope"})[0])
status, body = call("POST", "/login", alice)
print("POST /login", status, body["token_type"])
print("GET /me", *call("GET", "/me", token=body["access_token"]))
print("GET /me without token", call("GET", "/me")[0])
