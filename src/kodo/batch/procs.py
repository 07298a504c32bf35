"""Child processes a batch starts, so that stopping the batch stops all of them: no orphans."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

_SETPRIV = shutil.which("setpriv")


class Stopped(Exception):
    """The batch is stopping; the task was cut short and must not be recorded."""


class ProcessGroup:
    """Runs commands in their own sessions and kills them all on ``stop()``.

    Each child also gets SIGKILL when its parent dies (``setpriv --pdeathsig``), which covers
    a Ray worker killed under it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()
        self.stopping = False

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: dict[str, str],
        stdin: bytes | None,
        stdout: Path,
        stderr: Path | None,
        timeout: float,
    ) -> int | None:
        """Exit status, or None on timeout (the process group is killed). With no ``stderr``
        path, stderr goes to ``stdout``'s file."""
        prefix = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []
        with stdout.open("wb") as out, (stderr or Path(os.devnull)).open("wb") as err_file:
            err = err_file if stderr else subprocess.STDOUT
            with self._lock:
                if self.stopping:
                    raise Stopped
                proc = subprocess.Popen(
                    [*prefix, *argv],
                    cwd=cwd,
                    env=env,
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
                self._live.add(proc)
            try:
                if stdin is not None:
                    assert proc.stdin is not None
                    try:
                        proc.stdin.write(stdin)
                        proc.stdin.close()
                    except BrokenPipeError:
                        pass
                try:
                    code: int | None = proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    _terminate(proc)
                    code = None
            finally:
                with self._lock:
                    self._live.discard(proc)
        if self.stopping:
            raise Stopped
        return code

    def stop(self) -> None:
        with self._lock:
            self.stopping = True
            live = list(self._live)
        for proc in live:
            _signal(proc, signal.SIGTERM)
        for proc in live:
            _terminate(proc)


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _terminate(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM lets ``kodo exec`` close its session log; SIGKILL if it does not end in time."""
    _signal(proc, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    _signal(proc, signal.SIGKILL)
    proc.wait()
