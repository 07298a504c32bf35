"""Plain subprocesses with kodo's process discipline (own process group, group-wide timeout
kill, capped output, scrubbed env) but no sandbox: ``danger-full-access`` and approved
escalations."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from kodo.config import Config
from kodo.sandbox import lifecycle
from kodo.sandbox.background import UnreadOutput, describe_exit, new_id
from kodo.sandbox.base import ExecResult, Executor, ProcessHandle
from kodo.sandbox.env import scrubbed_env
from kodo.sandbox.limits import rlimits
from kodo.sandbox.output import CappedOutput, OutputSink, output_pipe, pump, tee

KILL_GRACE_S = 0.5
_PR_SET_PDEATHSIG = 1
_RLIMITS = {"as": 9, "cpu": 0, "nproc": 6, "fsize": 1}  # resource.RLIMIT_* values on Linux


def _kill_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _preexec(limits: dict[str, int]):
    """Runs in the child: die with kodo (covers a SIGKILLed kodo) and apply the limits."""
    libc = ctypes.CDLL(None, use_errno=True)

    def apply() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        import resource

        for name, value in limits.items():
            resource.setrlimit(_RLIMITS[name], (value, value))

    return apply


def stop_group(proc: subprocess.Popen[bytes], grace_s: float = KILL_GRACE_S) -> int:
    """SIGTERM the whole group, then SIGKILL it after ``grace_s`` whatever the leader did."""
    _kill_group(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace_s)
    _kill_group(proc.pid, signal.SIGKILL)
    return proc.wait()


def exit_status(code: int | None) -> int:
    """A shell-style status: the exit code, or 128 + the signal number."""
    if code is None:
        return 1
    return 128 - code if code < 0 else code


class LocalHandle:
    def __init__(self, argv: list[str], proc: subprocess.Popen[bytes], out_fd: int) -> None:
        self.id = new_id()
        self.argv = argv
        self._proc = proc
        self._out = UnreadOutput(out_fd)

    def read_new(self, wait_s: float = 0.0) -> str:
        text = self._out.take(wait_s)
        if wait_s > 0 and self._out.eof:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(min(wait_s, 1.0))  # the exit trails the pipe's EOF
        return text

    def write(self, data: str) -> None:
        if self._proc.stdin is None or self._proc.poll() is not None:
            raise BrokenPipeError(f"{self.id} is not running")
        self._proc.stdin.write(data.encode())
        self._proc.stdin.flush()

    def poll(self) -> int | None:
        return self._proc.poll()

    def status(self) -> str:
        return describe_exit(self.poll())

    def stop(self) -> int | None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        return stop_group(self._proc)


class LocalExecutor:
    def __init__(
        self, config: Config, *, env: Callable[[], Mapping[str, str]] | None = None
    ) -> None:
        """``env`` gives the environment commands start from (asked for at the first
        command); kodo's own when None. Secrets are scrubbed from either."""
        self.config = config
        self._env_source = env
        self._env_cache: dict[str, str] | None = None
        self._limits = rlimits(config.limits)
        self._handles: dict[str, LocalHandle] = {}
        self._lock = threading.Lock()
        lifecycle.track(self)

    def commands_env(self) -> dict[str, str]:
        if self._env_cache is None:
            base = self._env_source() if self._env_source is not None else None
            self._env_cache = scrubbed_env(self.config.env_allow, base=base)
        return self._env_cache

    def _spawn(self, argv: list[str], cwd: Path, stdin: int, out_w: int) -> subprocess.Popen:
        try:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                stdin=stdin,
                stdout=out_w,
                stderr=out_w,
                env=self.commands_env(),
                start_new_session=True,
                preexec_fn=_preexec(self._limits),
            )
        finally:
            os.close(out_w)

    def run(
        self,
        argv: list[str],
        *,
        cwd: Path,
        timeout_s: float,
        max_output_bytes: int,
        on_output: OutputSink | None = None,
        cancel: threading.Event | None = None,
    ) -> ExecResult:
        start = time.monotonic()
        if cancel is not None and cancel.is_set():
            return ExecResult(None, "", 0.0, cancelled=True)
        out_r, out_w = output_pipe()
        try:
            proc = self._spawn(argv, cwd, subprocess.DEVNULL, out_w)
        except OSError as exc:
            os.close(out_r)
            return ExecResult(None, "", time.monotonic() - start, note=f"could not start: {exc}")
        buf = CappedOutput(max_output_bytes)
        try:
            sink = tee(buf.feed, on_output)
            finished = pump(out_r, sink, start + timeout_s, lambda: proc.poll() is not None, cancel)
        finally:
            os.close(out_r)
        cancelled = not finished and cancel is not None and cancel.is_set()
        if cancelled:
            _kill_group(proc.pid, signal.SIGKILL)
        code = proc.wait() if finished or cancelled else stop_group(proc)
        _kill_group(proc.pid, signal.SIGKILL)  # what the command left running in its group
        return ExecResult(
            exit_code=code if finished and code >= 0 else None,
            output=buf.text(),
            duration_s=time.monotonic() - start,
            timed_out=not finished and not cancelled,
            cancelled=cancelled,
            signal=-code if code < 0 else None,
            omitted_bytes=buf.omitted,
        )

    def run_attached(self, argv: list[str], *, cwd: Path) -> int:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=self.commands_env(),
            start_new_session=True,
            preexec_fn=_preexec(self._limits),
        )
        try:
            return exit_status(proc.wait())
        except KeyboardInterrupt:
            stop_group(proc)
            raise

    def start(self, argv: list[str], *, cwd: Path) -> LocalHandle:
        out_r, out_w = output_pipe()
        try:
            proc = self._spawn(argv, cwd, subprocess.PIPE, out_w)
        except OSError:
            os.close(out_r)
            raise
        handle = LocalHandle(argv, proc, out_r)
        with self._lock:
            self._handles[handle.id] = handle
        return handle

    def get(self, handle_id: str) -> LocalHandle | None:
        return self._handles.get(handle_id)

    def processes(self) -> list[ProcessHandle]:
        return list(self._handles.values())

    def outside_sandbox(self) -> Executor:
        return self

    def close(self) -> None:
        with self._lock:
            handles, self._handles = list(self._handles.values()), {}
        for handle in handles:
            if handle.poll() is None:
                handle.stop()
        lifecycle.untrack(self)
