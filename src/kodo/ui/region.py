"""The redrawn region at the bottom of the terminal (spinner, running command's card), shared by
``kodo exec`` and the shell.

rich's Live redraws from a thread of its own, and a print from any other thread is not atomic
against that redraw: ``Live.process_renderables`` (rich 15) holds Live's lock only while it works
out how far up to move the cursor, not while the print is rendered and written. A redraw landing
in between moves the cursor by a stale height, and finished lines above the region are erased (a
command's card vanished from the shell under load). So Live never redraws by itself here: a ticker
thread redraws under the lock it is given, and the renderers hold the same lock for everything
they print while the region is up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

REDRAWS_PER_SECOND = 8


class LiveRegion:
    def __init__(
        self,
        console: Console,
        view: Callable[[], RenderableType],
        lock: threading.RLock,
        *,
        redirect: bool = False,
    ) -> None:
        """``redirect``: stray writes to stdout and stderr are printed above the region."""
        from rich.live import Live

        self._lock = lock
        self._live = Live(
            console=console,
            get_renderable=view,
            auto_refresh=False,
            transient=True,
            redirect_stdout=redirect,
            redirect_stderr=redirect,
        )
        self._stopped = threading.Event()

    def start(self) -> None:
        with self._lock:
            self._live.start()
        threading.Thread(target=self._tick, name="kodo-live", daemon=True).start()

    def _tick(self) -> None:
        while not self._stopped.wait(1 / REDRAWS_PER_SECOND):
            with self._lock:
                if self._stopped.is_set():
                    return
                self._live.refresh()

    def stop(self) -> None:
        """Erases the region; what was printed above it stays. Idempotent."""
        with self._lock:
            if not self._stopped.is_set():
                self._stopped.set()
                self._live.stop()
