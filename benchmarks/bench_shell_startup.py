"""How long ``kodo`` takes from launch to its first prompt on a terminal: what a person waits
for every time they open the shell. Runs the real program on a pseudo-terminal and stops the
clock when the prompt character appears."""

from __future__ import annotations

import os
import pty
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 10
PROMPT = "›".encode()
TIMEOUT_S = 10.0


def time_to_prompt(env: dict[str, str], cwd: str) -> float:
    master, slave = pty.openpty()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kodo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < TIMEOUT_S:
            if not select.select([master], [], [], 0.05)[0]:
                continue
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            if PROMPT in seen:
                elapsed = time.perf_counter() - start
                break
        os.write(master, b"\x04")  # ctrl-d: leave the shell
        proc.wait(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as cwd:
        env = {**os.environ, "KODO_HOME": home, "TERM": "xterm-256color"}
        times = sorted(time_to_prompt(env, cwd) * 1000 for _ in range(RUNS))
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"kodo shell start-up to first prompt: median {statistics.median(times):.0f} ms, "
        f"p95 {p95:.0f} ms, best {times[0]:.0f} ms ({RUNS} runs)"
    )


if __name__ == "__main__":
    main()
