import json
import threading
import urllib.error
import urllib.request

import pytest
from server import make_server


@pytest.fixture
def base():
    srv = make_server(0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def test_health(base):
    assert get(base + "/health") == (200, {"status": "ok"})


def test_add(base):
    status, body = get(base + "/add?a=1&b=2")
    assert status == 200 and body["sum"] == 3
    assert get(base + "/add?a=1")[0] == 400
    assert get(base + "/add?a=x&b=2")[0] == 400


def test_not_found(base):
    assert get(base + "/nope")[0] == 404
