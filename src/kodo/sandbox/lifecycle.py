"""Closing every live executor when kodo exits, normally or on SIGTERM, so no command outlives
it. (A SIGKILLed kodo is covered by bwrap's --die-with-parent instead.)"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import weakref
from typing import Any, Protocol


class _Closable(Protocol):
    def close(self) -> None: ...


_live: weakref.WeakSet[Any] = weakref.WeakSet()
_installed = False
_lock = threading.Lock()


def close_all() -> None:
    for executor in list(_live):
        with contextlib.suppress(Exception):  # one failure must not stop the others closing
            executor.close()


def _on_sigterm(signum: int, frame: object) -> None:
    close_all()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def track(executor: _Closable) -> None:
    """Register ``executor``; installs the SIGTERM hook only where nobody else handles SIGTERM."""
    global _installed
    with _lock:
        _live.add(executor)
        if _installed:
            return
        _installed = True
        atexit.register(close_all)
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)


def untrack(executor: _Closable) -> None:
    _live.discard(executor)
