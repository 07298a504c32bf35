"""Reading a command's output with bounded memory: the head and tail are kept, the middle is
drained and counted, so a command printing gigabytes costs no more than one that prints a page.
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable

DRAIN_GRACE_S = 0.1  # after the command exits, how long a grandchild holding the pipe may write
_CHUNK = 1 << 20

# Sees each chunk a command prints, and an empty one on each quiet tick of ``pump`` (every
# 50 ms without output), so a watcher that holds output back can pass it on.
OutputSink = Callable[[bytes], None]


class CappedOutput:
    def __init__(self, max_bytes: int) -> None:
        self.head_limit = max(max_bytes // 2, 0)
        self.tail_limit = max(max_bytes - self.head_limit, 0)
        self.head = bytearray()
        self.tail = bytearray()
        self.omitted = 0

    def feed(self, data: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if not data:
            return
        if len(data) >= self.tail_limit:
            self.omitted += len(self.tail) + len(data) - self.tail_limit
            self.tail = bytearray(data[len(data) - self.tail_limit :])
            return
        self.tail += data
        excess = len(self.tail) - self.tail_limit
        if excess > 0:
            del self.tail[:excess]
            self.omitted += excess

    def text(self) -> str:
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if not self.omitted:
            return head + tail
        return f"{head}\n[... {self.omitted} bytes omitted ...]\n{tail}"


def tee(keep: Callable[[bytes], None], watch: OutputSink | None) -> Callable[[bytes], None]:
    """``keep`` every chunk, and show it to ``watch`` (the live view of a running command)."""
    if watch is None:
        return keep

    def both(data: bytes) -> None:
        keep(data)
        watch(data)

    return both


def pump(
    fd: int,
    sink: Callable[[bytes], None],
    deadline: float,
    exited: Callable[[], bool],
    cancel: threading.Event | None = None,
) -> bool:
    """Feed ``fd`` to ``sink`` until EOF, or until the command has exited and the pipe stayed
    quiet for a moment (a background grandchild may hold it open forever); a quiet tick feeds
    an empty chunk. Returns False when ``deadline`` passed or ``cancel`` was set first."""
    exited_at: float | None = None
    while True:
        now = time.monotonic()
        if now >= deadline or (cancel is not None and cancel.is_set()):
            return False
        if exited_at is None and exited():
            exited_at = now
        if exited_at is not None and now - exited_at > DRAIN_GRACE_S:
            return True
        ready, _, _ = select.select([fd], [], [], min(deadline - now, 0.05))
        if not ready:
            sink(b"")
            continue
        data = os.read(fd, _CHUNK)
        if not data:
            return True
        sink(data)


def output_pipe() -> tuple[int, int]:
    """A pipe whose buffer is as large as the kernel allows us, so floods need fewer reads."""
    r, w = os.pipe2(os.O_CLOEXEC)
    try:
        import fcntl

        fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, _CHUNK)
    except OSError:
        pass
    return r, w
