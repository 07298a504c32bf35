"""The embedded model: llama.cpp's own OpenAI-compatible server, run inside this process through
xllamacpp on a free loopback port, and spoken to like any other OpenAI-compatible server.

One server per model file per process: sessions, ``/model`` switches and the workers of a
batch (through ``KODO_LOCAL_URL``, set by the batch parent) share one copy of the weights.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any

from kodo.models.base import ModelError

LOCAL_URL_ENV = "KODO_LOCAL_URL"  # an already running embedded server to use instead
DEFAULT_CONTEXT = 16_384

_servers: dict[Path, LocalServer] = {}
_lock = threading.Lock()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    def __init__(self, model: Path, *, context: int, threads: int | None) -> None:
        self.model = model
        self.context = context
        self.threads = threads or os.cpu_count() or 1
        self._server: Any = None
        self.url = ""

    def start(self, port: int | None = None) -> str:
        try:
            import xllamacpp
        except ImportError as exc:
            raise ModelError(
                "the local model needs xllamacpp: pip install 'xllamacpp>=2026.10.11549' "
                "(scripts/install.sh installs it)"
            ) from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(self.model)
        params.n_ctx = self.context
        params.n_parallel = 1
        params.port = port or _free_port()
        params.hostnames = ["127.0.0.1"]
        params.use_jinja = True
        params.warmup = False
        params.verbosity = -1
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:  # llama.cpp reports a bad file or no memory as a bare error
            raise ModelError(f"the local model {self.model} could not be loaded: {exc}") from exc
        self.url = f"http://127.0.0.1:{params.port}/v1"
        return self.url

    def close(self) -> None:
        self._server = None  # the server stops when the object is freed


def local_base_url(model: Path, *, context: int | None, threads: int | None) -> str:
    """The URL of a server holding ``model``, started in this process the first time."""
    with _lock:
        server = _servers.get(model)
        if server is None:
            server = LocalServer(model, context=context or DEFAULT_CONTEXT, threads=threads)
            server.start()
            _servers[model] = server
        return server.url
