"""Runs inside the session sandbox and spawns commands on request, so a command costs one fork
and exec rather than a new sandbox.

Standalone on purpose (stdlib only, started with ``python -I -S``): it must start fast and must
not import kodo. The control channel is a SOCK_SEQPACKET socket inherited as ``argv[1]``; each
request is one JSON record, and a spawn request carries the command's stdin, stdout and
(optionally) stderr as SCM_RIGHTS fds, so output never passes through this process.
``argv[2]`` holds the per-command resource limits as JSON.

With ``network = "registries"`` an ``argv[3]`` names a second socket, to kodo's registry proxy:
the supervisor then listens on ``127.0.0.1:PROXY_PORT`` (before any command runs, so no command
can take the port) and sends each connection it accepts there to kodo as an fd. The sandbox has
no network of its own; that port is its only way out, and kodo decides where it leads.

It makes itself non-dumpable first: it holds the control channel and every command's pipes,
and commands run as the same uid in the same namespaces, so otherwise any command could
ptrace it or read its ``/proc/PID/mem``. The flag resets on execve, so commands stay normal.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time

_LIMITS = {
    "as": resource.RLIMIT_AS,
    "cpu": resource.RLIMIT_CPU,
    "nproc": resource.RLIMIT_NPROC,
    "fsize": resource.RLIMIT_FSIZE,
}
_PR_SET_DUMPABLE = 4
PROXY_ADDR = ("127.0.0.1", 3128)  # kodo.sandbox.proxy.PROXY_PORT
_LISTENER = "proxy"


def _undumpable() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _limiter(limits: dict[str, int]):
    if not limits:
        return None

    def apply() -> None:
        for name, value in limits.items():
            resource.setrlimit(_LIMITS[name], (value, value))

    return apply


class Supervisor:
    def __init__(
        self, sock: socket.socket, limits: dict[str, int], proxy: socket.socket | None = None
    ) -> None:
        self.sock = sock
        self.preexec = _limiter(limits)
        self.sel = selectors.DefaultSelector()
        self.sel.register(sock, selectors.EVENT_READ, None)
        if proxy is not None:
            proxy.setblocking(False)  # a stalled kodo must not stall the supervisor
            listener = socket.create_server(PROXY_ADDR, backlog=64)
            listener.setblocking(False)
            self.sel.register(listener, selectors.EVENT_READ, (_LISTENER, listener, proxy))
        self.pgids: dict[int, int] = {}
        self.reaped: set[int] = set()

    def send(self, msg: dict) -> None:
        self.sock.sendall(json.dumps(msg).encode())

    def _popen(self, req: dict, fds: list[int]) -> subprocess.Popen:
        """Retries briefly when out of processes: a killed fork bomb takes a moment to reap."""
        kwargs = {"cwd": req["cwd"], "stdin": fds[0], "stdout": fds[1], "stderr": fds[-1]}
        kwargs["env"] = req.get("env")  # the session's login environment, scrubbed
        for delay in (0.01, 0.02, 0.05, 0.1, 0.2, 0.4):
            try:
                return self._spawn_now(req["argv"], kwargs)
            except BlockingIOError:
                time.sleep(delay)
        return self._spawn_now(req["argv"], kwargs)

    def _spawn_now(self, argv: list[str], kwargs: dict) -> subprocess.Popen:
        return subprocess.Popen(argv, start_new_session=True, preexec_fn=self.preexec, **kwargs)

    def spawn(self, req: dict, fds: list[int]) -> None:
        job = req["id"]
        try:
            proc = self._popen(req, fds)
        except (OSError, subprocess.SubprocessError) as exc:
            self.send({"ev": "exit", "id": job, "error": f"{type(exc).__name__}: {exc}"})
            return
        finally:
            for fd in fds:
                os.close(fd)
        self.pgids[job] = proc.pid
        pidfd = os.pidfd_open(proc.pid)
        self.sel.register(pidfd, selectors.EVENT_READ, (job, proc))

    def kill(self, req: dict) -> None:
        job = req["id"]
        pgid = self.pgids.get(job)
        if pgid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, req["sig"])
        if job in self.reaped and req["sig"] == signal.SIGKILL:
            del self.pgids[job]  # its leftovers are gone; never signal a reused pgid later
            self.reaped.discard(job)

    def reap(self, key: selectors.SelectorKey) -> None:
        job, proc = key.data
        self.sel.unregister(key.fd)
        os.close(key.fd)
        code = proc.wait()
        self.reaped.add(job)
        self.send({"ev": "exit", "id": job, "code": code})

    def forward(self, listener: socket.socket, proxy: socket.socket) -> None:
        """Hands an accepted connection to kodo's proxy; if kodo cannot take it now, the client
        sees the connection close."""
        try:
            conn, _addr = listener.accept()
        except BlockingIOError:
            return
        with conn, contextlib.suppress(OSError):
            socket.send_fds(proxy, [b"c"], [conn.fileno()])

    def serve(self) -> None:
        self.send({"ev": "ready"})
        while True:
            for key, _ in self.sel.select():
                if isinstance(key.data, tuple) and key.data[0] == _LISTENER:
                    self.forward(*key.data[1:])
                    continue
                if key.data is not None:
                    self.reap(key)
                    continue
                data, fds, _flags, _addr = socket.recv_fds(self.sock, 1 << 20, 4)
                if not data:
                    return
                req = json.loads(data)
                if req["op"] == "spawn":
                    self.spawn(req, fds)
                elif req["op"] == "kill":
                    self.kill(req)


def main() -> None:
    _undumpable()
    sock = socket.socket(fileno=int(sys.argv[1]))
    proxy = socket.socket(fileno=int(sys.argv[3])) if len(sys.argv) > 3 else None
    Supervisor(sock, json.loads(sys.argv[2]), proxy).serve()


if __name__ == "__main__":
    main()
