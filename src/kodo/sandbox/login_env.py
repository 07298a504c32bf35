"""The person's login environment, captured once per session: their login shell runs once, on
the host, and what it exports becomes the environment every command of the session runs in
(with ``bash -c``). A profile that takes 200 ms (pyenv, conda, nvm) then costs 200 ms per
session instead of per command.

The environment kodo was started in wins over the profile's. On Debian ``/etc/profile`` resets
PATH in every login shell, which would drop an activated virtualenv or conda env, so the
person's PATH keeps its order with what the profile adds appended, and variables they have
(``VIRTUAL_ENV``, ``CONDA_*``, what direnv exported) keep their values; the profile only adds.
Secrets are scrubbed from the result by the executors (``env.py``), as from any environment.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

TIMEOUT_S = 10.0
STOP_GRACE_S = 0.5  # a hung profile gets SIGTERM first, so its traps can release locks
# Set by the shell itself, for itself: they describe the capture, not the person.
_SHELL_STATE = frozenset({"SHLVL", "_", "PWD", "OLDPWD"})


@dataclass
class LoginEnv:
    env: dict[str, str]
    problem: str | None = None  # why the profile was not used (the environment is kodo's own)


def login_shell(env: Mapping[str, str]) -> str:
    """``$SHELL``, else the account's shell, else ``/bin/sh``."""
    shell = env.get("SHELL", "").strip()
    if not shell:
        with contextlib.suppress(KeyError):
            shell = pwd.getpwuid(os.getuid()).pw_shell
    return shell or "/bin/sh"


def merge(own: Mapping[str, str], login: Mapping[str, str]) -> dict[str, str]:
    """``own`` with what ``login`` adds: new variables, and PATH entries appended."""
    env = dict(own)
    for name, value in login.items():
        if name not in own and name not in _SHELL_STATE:
            env[name] = value
    path = [p for p in own.get("PATH", "").split(":") if p]
    path += [p for p in dict.fromkeys(login.get("PATH", "").split(":")) if p and p not in path]
    if path:
        env["PATH"] = ":".join(path)
    return env


def _parse(output: bytes, marker: bytes) -> dict[str, str] | None:
    """The variables ``env -0`` printed after ``marker``; None when the marker never came."""
    _, found, dump = output.rpartition(marker)
    if not found:
        return None
    env: dict[str, str] = {}
    for entry in dump.split(b"\0"):
        name, eq, value = entry.partition(b"=")
        if eq and name:
            env[os.fsdecode(name)] = os.fsdecode(value)
    return env


class LoginSnapshot:
    """The capture, started at once and read when the first command needs it, so the profile
    runs while the session is set up and its first request is answered."""

    def __init__(
        self,
        enabled: bool,
        own: Mapping[str, str] | None = None,
        *,
        timeout_s: float = TIMEOUT_S,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        """``own``: the environment kodo was started in (``os.environ`` when None);
        ``warn`` hears, once, why the profile could not be used."""
        self.own = dict(os.environ if own is None else own)
        self._warn = warn
        self.shell = login_shell(self.own)
        self.timeout_s = timeout_s
        self._marker = f"kodo-login-env-{uuid.uuid4().hex}".encode()
        self._proc: subprocess.Popen[bytes] | None = None
        self._result: LoginEnv | None = None
        self._lock = threading.Lock()
        if not enabled:
            self._result = LoginEnv(self.own)
            return
        home = self.own.get("HOME") or "/"
        try:
            self._proc = subprocess.Popen(
                [self.shell, "-l", "-c", f"printf '%s' {self._marker.decode()}; exec env -0"],
                cwd=home if os.path.isdir(home) else "/",
                env=self.own,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # no terminal: a profile that prompts fails, not hangs
            )
        except OSError as exc:
            self._result = LoginEnv(self.own, f"could not start {self.shell}: {exc}")

    def result(self) -> LoginEnv:
        """Waits for the login shell (at most ``timeout_s``) the first time."""
        with self._lock:
            if self._result is None:
                self._result = self._collect()
                if self._result.problem and self._warn is not None:
                    self._warn(problem_note(self._result.problem))
            return self._result

    def environment(self) -> dict[str, str]:
        """What commands start from; the executors ask for it at their first command."""
        return self.result().env

    def _collect(self) -> LoginEnv:
        assert self._proc is not None
        how = f"{self.shell} -l"
        try:
            output, _ = self._proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            self._stop()
            return LoginEnv(self.own, f"{how} took longer than {self.timeout_s:g} s")
        login = _parse(output, self._marker)
        if self._proc.returncode != 0 or login is None:
            return LoginEnv(self.own, f"{how} exited with status {self._proc.returncode}")
        return LoginEnv(merge(self.own, login))

    def _stop(self) -> None:
        assert self._proc is not None
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.communicate(timeout=STOP_GRACE_S)
                return

    def close(self) -> None:
        """Lets go of a capture no command waited for (a session that ended first or failed
        to start). It is not killed: a profile stopped halfway can leave a lock behind (pyenv's
        rehash lock makes every later login shell wait a minute); it ends by itself, on a
        closed pipe."""
        with self._lock:
            if self._result is None and self._proc is not None and self._proc.stdout:
                self._proc.stdout.close()
                self._result = LoginEnv(self.own, "the session ended first")


def problem_note(problem: str) -> str:
    return (
        f"the login environment could not be read ({problem}); commands run in kodo's own "
        "environment (set shell_login = false to skip the profile)"
    )
