"""Drives the real ``kodo`` shell inside a private tmux server, as a person at a terminal would.

Each instance has its own tmux socket, so tests never see each other's panes; ``close`` kills
that server, which hangs up on everything running in it.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

EXIT_MARK = "KODO-EXITED-"
WAIT_S = 60.0
OUTLIVE_S = 10.0  # how long what ran in a closed pane may take to end


class TmuxShell:
    def __init__(
        self,
        args: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        width: int = 110,
        module: str = "kodo",
    ) -> None:
        """Runs ``python -m module args`` in the pane."""
        self.socket = f"kodo-test-{uuid.uuid4().hex[:10]}"
        program = shlex.join([sys.executable, "-m", module, *args])
        script = f"{program}; echo {EXIT_MARK}$?; sleep 600"
        # the server (and so the pane) inherits ``env``; NO_COLOR keeps the screen plain text;
        # the scrollback is sized before the pane exists, since a pane keeps the size it got
        self._tmux(
            "-f",
            "/dev/null",
            "start-server",
            ";",
            "set-option",
            "-g",
            "history-limit",
            "20000",
            ";",
            "new-session",
            "-d",
            "-x",
            str(width),
            "-y",
            "50",
            "-c",
            str(cwd),
            "bash",
            "-c",
            script,
            env={**env, "NO_COLOR": "1"},
        )

    def _tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30, env=env
        )
        if proc.returncode != 0:
            raise RuntimeError(f"tmux {args[0]} failed: {proc.stderr.strip()}")
        return proc.stdout

    def screen(self) -> str:
        """Everything the pane has shown, scrollback included, lines joined where wrapped."""
        return self._tmux("capture-pane", "-p", "-J", "-S", "-")

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def type(self, text: str) -> None:
        """Types ``text`` literally, then Enter."""
        self._tmux("send-keys", "-l", text)
        self._tmux("send-keys", "Enter")

    def wait_for(self, pattern: str, *, after: int = 0, timeout: float = WAIT_S) -> str:
        """Waits until ``pattern`` (a regex) shows on screen after character ``after``."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen[after:]):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} did not show within {timeout}s; screen:\n{screen}")

    def wait_prompt(self, *, after: int = 0, timeout: float = WAIT_S) -> str:
        """Waits for an empty input prompt: the shell is idle and ready."""
        return self.wait_for(r"(?m)^› *$", after=after, timeout=timeout)

    def mark(self, settle_s: float = 0.3, timeout: float = 5.0) -> int:
        """Where the screen ends, to wait for what comes after; taken once the screen has held
        still for ``settle_s``, since a live region that is still collapsing would move it."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while time.monotonic() < deadline:
            time.sleep(settle_s)
            now = self.screen()
            if now == screen:
                break
            screen = now
        return len(screen.rstrip())

    def exit_code(self, timeout: float = WAIT_S) -> int:
        screen = self.wait_for(EXIT_MARK + r"\d+", timeout=timeout)
        return int(re.findall(EXIT_MARK + r"(\d+)", screen)[-1])

    def close(self) -> None:
        """Hangs up on the pane, as closing a terminal window does; what runs in it must end
        with it. Anything that outlives it is killed, and the test fails."""
        tree = _descendants(self._pane_pid())
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        deadline = time.monotonic() + OUTLIVE_S
        while (left := [p for p in tree if _alive(*p)]) and time.monotonic() < deadline:
            time.sleep(0.1)
        outlived = []
        for pid, _ in left:
            with contextlib.suppress(OSError):
                outlived.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" "))
                os.kill(pid, signal.SIGKILL)
        if left:
            raise AssertionError(f"outlived its closed terminal: {outlived}")

    def _pane_pid(self) -> int | None:
        try:
            return int(self._tmux("display-message", "-p", "#{pane_pid}"))
        except (RuntimeError, ValueError):  # the pane is gone already
            return None


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent, start time) of a process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), fields[19]


def _alive(pid: int, started: str) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z" and stat[2] == started


def _descendants(root: int | None) -> list[tuple[int, str]]:
    """``root`` and every process below it, each with its start time (pids are reused)."""
    if root is None:
        return []
    stats = {int(e.name): _stat(int(e.name)) for e in Path("/proc").iterdir() if e.name.isdigit()}
    tree, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        stat = stats.get(pid)
        if stat is not None:
            tree.append((pid, stat[2]))
            frontier += [child for child, s in stats.items() if s is not None and s[1] == pid]
    return tree
