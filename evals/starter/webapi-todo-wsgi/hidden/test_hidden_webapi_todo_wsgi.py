import io
import json

from app import app


def call(method, path, body=None):
    raw = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    data = b"".join(app(environ, start_response))
    assert seen["headers"]["Content-Type"].startswith("application/json")
    return int(seen["status"].split()[0]), json.loads(data)


def test_create_list_get():
    assert call("GET", "/todos") == (200, [])
    assert call("POST", "/todos", {"title": "write tests"}) == (
        201,
        {"id": 1, "title": "write tests", "done": False},
    )
    call("POST", "/todos", {"title": "ship"})
    status, todos = call("GET", "/todos")
    assert status == 200 and [t["title"] for t in todos] == ["write tests", "ship"]
    assert call("GET", "/todos/2")[1]["title"] == "ship"


def test_errors():
    assert call("GET", "/todos/99") == (404, {"error": "not found"})
    assert call("POST", "/todos", {})[0] == 400
