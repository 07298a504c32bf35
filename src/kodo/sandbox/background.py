"""What background processes share whichever executor runs them: session-unique ids and an
output reader that keeps at most a bounded amount of unread output."""

from __future__ import annotations

import itertools
import os
import signal
import threading
import time

MAX_UNREAD_BYTES = 1 << 20
QUIET_S = 0.1
MID_LINE_QUIET_S = 0.5
_ids = itertools.count(1)


def new_id() -> str:
    return f"proc-{next(_ids)}"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "running"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"killed by signal {-code} ({name})"
    return f"exited {code}"


class UnreadOutput:
    """Drains a pipe on a thread so a chatty server never blocks on a full pipe; the oldest
    unread bytes are dropped (and counted) past MAX_UNREAD_BYTES."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray()
        self._dropped = 0
        self._received = 0
        self._eof = False
        self._cond = threading.Condition()
        threading.Thread(target=self._loop, name=f"output-{fd}", daemon=True).start()

    def _loop(self) -> None:
        try:
            while True:
                data = os.read(self._fd, 65536)
                with self._cond:
                    if not data:
                        self._eof = True
                        self._cond.notify_all()
                        return
                    self._buf += data
                    self._received += len(data)
                    excess = len(self._buf) - MAX_UNREAD_BYTES
                    if excess > 0:
                        del self._buf[:excess]
                        self._dropped += excess
                    self._cond.notify_all()
        except OSError:
            with self._cond:
                self._eof = True
                self._cond.notify_all()
        finally:
            os.close(self._fd)

    @property
    def eof(self) -> bool:
        return self._eof

    def wait_for_output(self, wait_s: float) -> None:
        """Waits for the first output, then until the stream goes quiet (longer mid-line), so a
        reply written in several small writes comes back whole rather than as its first piece."""
        deadline = time.monotonic() + wait_s
        with self._cond:
            if not self._cond.wait_for(lambda: self._buf or self._eof, timeout=wait_s):
                return
            while not self._eof:
                quiet = QUIET_S if self._buf.endswith(b"\n") else MID_LINE_QUIET_S
                left = deadline - time.monotonic()
                if left <= 0:
                    return

                def grown(seen: int = self._received) -> bool:
                    return self._received != seen or self._eof

                grew = self._cond.wait_for(grown, timeout=min(quiet, left))
                if not grew:
                    return

    def take(self, wait_s: float = 0.0) -> str:
        if wait_s > 0:
            self.wait_for_output(wait_s)
        with self._cond:
            data, dropped = bytes(self._buf), self._dropped
            self._buf.clear()
            self._dropped = 0
        text = data.decode("utf-8", errors="replace")
        return f"[... {dropped} bytes dropped ...]\n{text}" if dropped else text
