import json
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/health":
            return self._send(200, {"status": "ok"})
        if url.path == "/add":
            query = parse_qs(url.query)
            try:
                return self._send(200, {"sum": float(query["a"][0]) + float(query["b"][0])})
            except (KeyError, ValueError):
                return self._send(400, {"error": "a and b must be numbers"})
        return self._send(404, {"error": "not found"})

    def log_message(self, *args):
        pass


def make_server(port):
    return HTTPServer(("127.0.0.1", port), Handler)
