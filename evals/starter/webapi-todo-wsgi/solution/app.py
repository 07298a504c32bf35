import json
import re

_todos = {}


def _answer(start_response, status, body):
    data = json.dumps(body).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def app(environ, start_response):
    method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
    if path == "/todos" and method == "GET":
        return _answer(start_response, "200 OK", list(_todos.values()))
    if path == "/todos" and method == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            data = json.loads(environ["wsgi.input"].read(size) or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict) or not data.get("title"):
            return _answer(start_response, "400 Bad Request", {"error": "title required"})
        todo = {"id": len(_todos) + 1, "title": data["title"], "done": False}
        _todos[todo["id"]] = todo
        return _answer(start_response, "201 Created", todo)
    match = re.fullmatch(r"/todos/(\d+)", path)
    if match and method == "GET" and int(match[1]) in _todos:
        return _answer(start_response, "200 OK", _todos[int(match[1])])
    return _answer(start_response, "404 Not Found", {"error": "not found"})
