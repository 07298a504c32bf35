"""The session sandbox: one long-lived bwrap running our supervisor, which spawns every command
of the session, so commands start fast and background servers stay reachable by later ones.

If the supervisor dies (a command killed it, or it ran out of processes) the sandbox is started
again on the spot and the command that saw it die says so; background processes are then lost.
The same happens, before a command, when a hidden path appeared or was replaced on the host since
the sandbox started: its mask is made when bwrap starts and cannot be added to a running one.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from itertools import count
from pathlib import Path

from kodo.config import Config
from kodo.sandbox import lifecycle
from kodo.sandbox.background import UnreadOutput, describe_exit, new_id
from kodo.sandbox.base import ExecResult, Executor, ProcessHandle, SandboxUnavailable
from kodo.sandbox.env import scrubbed_env
from kodo.sandbox.limits import PidsCgroup, rlimits
from kodo.sandbox.local import KILL_GRACE_S, LocalExecutor, exit_status
from kodo.sandbox.mounts import bwrap_argv, find_bwrap, hidden_entries, mask_state
from kodo.sandbox.network import PROXY_ENV, registry_proxy
from kodo.sandbox.output import CappedOutput, OutputSink, output_pipe, pump, tee

START_TIMEOUT_S = 15.0
SUPERVISOR_DIED = "the sandbox supervisor died; restarted (background processes were lost)"
MASKS_CHANGED = (
    "hidden path(s) created or replaced since the sandbox started: {paths}; the sandbox was "
    "restarted to hide them (background processes were lost)"
)


class _Job:
    def __init__(self) -> None:
        self.exited = threading.Event()
        self.code: int | None = None
        self.error: str | None = None
        self.lost = False


class _Sandbox:
    """One bwrap process and its supervisor; ``dead`` once the supervisor is gone."""

    def __init__(
        self,
        argv_for_fd: Callable[[int], list[str]],
        env: dict[str, str],
        cgroup: PidsCgroup | None,
        proxy_end: socket.socket | None = None,
    ) -> None:
        """``proxy_end``: the supervisor's end of the channel to the registry proxy, handed
        to bwrap and closed here once it is."""
        self.sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._argv = argv_for_fd(child.fileno())
        self._env = env
        self._cgroup = cgroup
        self._child = child
        self._passed = [child] if proxy_end is None else [child, proxy_end]
        self._jobs: dict[int, _Job] = {}
        self._ids = count(1)
        self._send_lock = threading.Lock()
        self._ready = threading.Event()
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the sandbox
        self.proc: subprocess.Popen[bytes] | None = None
        self.dead = False
        self.start_error: str | None = None
        # bwrap is spawned from this thread: --die-with-parent follows the spawning thread, and
        # this one lives exactly as long as the sandbox.
        threading.Thread(target=self._serve, name="kodo-sandbox", daemon=True).start()

    def started(self) -> None:
        """Waits for the supervisor's ready; raises ``SandboxUnavailable`` when it never came."""
        if not self._ready.wait(START_TIMEOUT_S) or self.dead:
            why = self._why()
            self.close()
            raise SandboxUnavailable(f"the sandbox did not start: {why}")

    def _why(self) -> str:
        if self.start_error:
            return self.start_error
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip() or "no error output"

    def _serve(self) -> None:
        try:
            self.proc = subprocess.Popen(
                self._argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._stderr,
                env=self._env,
                pass_fds=[s.fileno() for s in self._passed],
                preexec_fn=self._cgroup.enter if self._cgroup else None,
                # out of kodo's process group, so the terminal's signals (a hangup, Ctrl-C)
                # reach kodo only, which stops the sandbox once it is up: bwrap killed while
                # it starts leaves its inner init behind (containers/bubblewrap#633)
                process_group=0,
            )
        except OSError as exc:
            self.start_error = f"{type(exc).__name__}: {exc}"
        finally:
            for passed in self._passed:
                passed.close()
        try:
            while self.proc is not None:
                data = self.sock.recv(1 << 16)
                if not data:
                    break
                self._dispatch(json.loads(data))
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a garbled record means the supervisor cannot be trusted: treat it as dead
        self.dead = True
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
        for job in list(self._jobs.values()):
            if not job.exited.is_set():
                job.lost = True
                job.exited.set()
        self._ready.set()
        if self.proc is not None:
            self.proc.wait()

    def _dispatch(self, msg: dict) -> None:
        if msg["ev"] == "ready":
            self._ready.set()
            return
        job = self._jobs.get(msg["id"])
        if job is None or msg["ev"] != "exit":
            return
        job.code = msg.get("code")
        job.error = msg.get("error")
        job.exited.set()

    def _send(self, msg: dict, fds: list[int] | None = None) -> None:
        data = json.dumps(msg).encode()
        with self._send_lock:
            if fds:
                socket.send_fds(self.sock, [data], fds)
            else:
                self.sock.sendall(data)

    def spawn(self, argv: list[str], cwd: Path, env: dict[str, str], *fds: int) -> tuple[int, _Job]:
        """Start ``argv`` in ``env`` with ``fds`` as stdin, stdout and (optionally) a separate
        stderr."""
        job_id, job = next(self._ids), _Job()
        self._jobs[job_id] = job
        try:
            req = {"op": "spawn", "id": job_id, "argv": argv, "cwd": str(cwd), "env": env}
            self._send(req, list(fds))
        except OSError:
            job.lost = True
            job.exited.set()
        return job_id, job

    def kill(self, job_id: int, sig: int) -> None:
        with contextlib.suppress(OSError):
            self._send({"op": "kill", "id": job_id, "sig": int(sig)})

    def stop(self, job_id: int, job: _Job) -> None:
        """SIGTERM the command's group, SIGKILL it after a grace, whatever the leader did."""
        self.kill(job_id, signal.SIGTERM)
        job.exited.wait(KILL_GRACE_S)
        self.kill(job_id, signal.SIGKILL)
        job.exited.wait(5.0)

    def close(self) -> None:
        self._ready.wait(START_TIMEOUT_S)  # a bwrap still being spawned would outlive close
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # the pid namespace's init goes with it, and every process inside
            self.proc.wait()
        self.sock.close()
        self._stderr.close()
        if self._cgroup is not None:
            self._cgroup.remove()


class SandboxHandle:
    def __init__(
        self, argv: list[str], box: _Sandbox, job_id: int, job: _Job, out_r: int, in_w: int
    ):
        self.id = new_id()
        self.argv = argv
        self._box, self._job_id, self._job = box, job_id, job
        self._out = UnreadOutput(out_r)
        self._in = in_w

    def read_new(self, wait_s: float = 0.0) -> str:
        text = self._out.take(wait_s)
        if wait_s > 0 and self._out.eof:
            self._job.exited.wait(min(wait_s, 1.0))  # the exit report trails the pipe's EOF
        if self._job.lost:
            text += "\n[the sandbox supervisor died; this process was lost]"
        return text

    def write(self, data: str) -> None:
        if self._job.exited.is_set() or self._in < 0:
            raise BrokenPipeError(f"{self.id} is not running")
        os.write(self._in, data.encode())

    def poll(self) -> int | None:
        if not self._job.exited.is_set():
            return None
        return -signal.SIGKILL if self._job.lost or self._job.code is None else self._job.code

    def status(self) -> str:
        if self._job.lost:
            return "lost (the sandbox supervisor died)"
        if self._job.error:
            return f"failed to start: {self._job.error}"
        return describe_exit(self.poll())

    def stop(self) -> int | None:
        if not self._job.exited.is_set():
            self._box.stop(self._job_id, self._job)
        self.close_input()
        return self.poll()

    def close_input(self) -> None:
        if self._in >= 0:
            os.close(self._in)
            self._in = -1


class BwrapExecutor:
    def __init__(
        self,
        config: Config,
        workspace: Path,
        bwrap: str | None = None,
        *,
        env: Callable[[], Mapping[str, str]] | None = None,
        wait: bool = True,
    ) -> None:
        """``env`` gives the environment commands start from (the session's login
        environment), asked for at the first command so the sandbox need not wait for it;
        kodo's own when None. Secrets are scrubbed from either. ``wait=False`` returns while
        bwrap is still starting, so the caller can do other work meanwhile; ``ready`` (or the
        first command) waits for it."""
        self.config = config
        self.workspace = workspace.resolve()
        self._bwrap = bwrap or find_bwrap()
        self._limits = rlimits(config.limits)
        self._env_source = env
        proxy = registry_proxy(config)
        self._proxy = proxy[0] if proxy else None
        self._proxy_env = proxy[1] if proxy else None
        self._env = self._scrubbed(None)  # bwrap's and the supervisor's own
        self._command_env: dict[str, str] | None = None if env else self._env
        self._hidden = hidden_entries(config)
        self._masked: dict[str, tuple[int, ...] | None] = {}
        self._devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self._lock = threading.Lock()
        self._handles: dict[str, SandboxHandle] = {}
        self._outside: LocalExecutor | None = None
        self._closed = False
        self._box = self._new_box()
        self._box_started = False
        lifecycle.track(self)
        if wait:
            self.ready()

    def ready(self) -> None:
        """Waits until the sandbox has started; raises ``SandboxUnavailable`` if it could not."""
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if not self._box_started:
            self._box_started = True
            self._start(self._box)

    def _start(self, box: _Sandbox) -> None:
        """Waits for ``box``, starting a fresh one once if it failed: a host socket it was to
        mask can vanish between reading ``/proc/net/unix`` and bwrap binding over it."""
        try:
            box.started()
        except SandboxUnavailable:
            self._box = self._new_box()
            self._box.started()

    def _scrubbed(self, base: Mapping[str, str] | None) -> dict[str, str]:
        env = scrubbed_env(self.config.env_allow, base=base, sandboxed=True)
        return env if self._proxy_env is None else {**self._proxy_env, **env, **PROXY_ENV}

    def commands_env(self) -> dict[str, str]:
        if self._command_env is None:
            assert self._env_source is not None
            self._command_env = self._scrubbed(self._env_source())
        return self._command_env

    def _new_box(self) -> _Sandbox:
        self._masked = mask_state(self._hidden)  # before the masks are made: no change missed
        cgroup = None
        if self.config.limits.max_processes:
            cgroup = PidsCgroup.create(self.config.limits.max_processes)

        proxy_end = None
        if self._proxy is not None:
            mine, proxy_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            self._proxy.serve(mine)
        proxy_fd = proxy_end.fileno() if proxy_end else None

        def argv(fd: int) -> list[str]:
            return bwrap_argv(self._bwrap, self.config, self.workspace, self._limits, fd, proxy_fd)

        return _Sandbox(argv, self._env, cgroup, proxy_end)

    def _sandbox(self) -> tuple[_Sandbox, str | None]:
        """The live sandbox, started again if its supervisor died since the last command or a
        hidden path changed on the host."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is closed")
            self._ensure_started()
            note = SUPERVISOR_DIED
            if not self._box.dead:
                now = mask_state(self._hidden)  # a path gone since is no leak: no restart
                changed = sorted(p for p, i in now.items() if i and i != self._masked.get(p))
                if not changed:
                    return self._box, None
                note = MASKS_CHANGED.format(paths=", ".join(changed))
            self._box.close()
            self._box = self._new_box()
            self._start(self._box)
            return self._box, note

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
        box, note = self._sandbox()
        out_r, out_w = output_pipe()
        try:
            job_id, job = box.spawn(argv, cwd, self.commands_env(), self._devnull, out_w)
        finally:
            os.close(out_w)
        buf = CappedOutput(max_output_bytes)
        deadline = start + timeout_s
        try:
            finished = pump(out_r, tee(buf.feed, on_output), deadline, job.exited.is_set, cancel)
        finally:
            os.close(out_r)
        finished = finished and job.exited.wait(max(deadline - time.monotonic(), 0))
        cancelled = not finished and cancel is not None and cancel.is_set()
        if finished:
            box.kill(job_id, signal.SIGKILL)  # what the command left running in its group
        elif cancelled:
            box.kill(job_id, signal.SIGKILL)
            job.exited.wait(5.0)
        else:
            box.stop(job_id, job)
        if job.lost:
            self._sandbox()
            note = SUPERVISOR_DIED
        code = job.code
        if job.error:
            note = f"could not start the command: {job.error}"
        return ExecResult(
            exit_code=code
            if finished and code is not None and code >= 0 and not job.lost
            else None,
            output=buf.text(),
            duration_s=time.monotonic() - start,
            timed_out=not finished and not cancelled,
            signal=-code if code is not None and code < 0 else None,
            omitted_bytes=buf.omitted,
            note=note,
            cancelled=cancelled,
        )

    def run_attached(self, argv: list[str], *, cwd: Path) -> int:
        box, _ = self._sandbox()
        job_id, job = box.spawn(argv, cwd, self.commands_env(), 0, 1, 2)
        try:
            job.exited.wait()
        except KeyboardInterrupt:
            box.stop(job_id, job)
            raise
        if job.error:
            print(f"kodo: could not start the command: {job.error}", file=sys.stderr)
            return 127
        return exit_status(-signal.SIGKILL if job.lost else job.code)

    def start(self, argv: list[str], *, cwd: Path) -> SandboxHandle:
        box, _ = self._sandbox()
        out_r, out_w = output_pipe()
        in_r, in_w = os.pipe2(os.O_CLOEXEC)
        try:
            job_id, job = box.spawn(argv, cwd, self.commands_env(), in_r, out_w)
        finally:
            os.close(out_w)
            os.close(in_r)
        handle = SandboxHandle(argv, box, job_id, job, out_r, in_w)
        with self._lock:
            self._handles[handle.id] = handle
        return handle

    def get(self, handle_id: str) -> ProcessHandle | None:
        found = self._handles.get(handle_id)
        if found is None and self._outside is not None:
            return self._outside.get(handle_id)
        return found

    def processes(self) -> list[ProcessHandle]:
        outside = self._outside.processes() if self._outside is not None else []
        return [*self._handles.values(), *outside]

    def outside_sandbox(self) -> Executor:
        with self._lock:
            if self._outside is None:
                self._outside = LocalExecutor(self.config, env=self._env_source)
            return self._outside

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._box.close()
        for handle in self._handles.values():
            handle.close_input()
        if self._outside is not None:
            self._outside.close()
        os.close(self._devnull)
        lifecycle.untrack(self)
