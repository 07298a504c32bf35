"""Child processes of a batch end when their task times out or the batch stops."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from kodo.batch.procs import ProcessGroup, Stopped
from kodo.batch.runner import RunOptions, run_task
from kodo.batch.tasks import Task


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.split(")")[1].split()[0] != "Z"


def wait_for_pid(path: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.05)
    raise AssertionError("the child never started")


def test_stop_kills_children_and_grandchildren(tmp_path: Path) -> None:
    group = ProcessGroup()
    pid_file = tmp_path / "pid"
    errors: list[BaseException] = []

    def body() -> None:
        try:
            group.run(
                ["bash", "-c", f"sleep 60 & echo $! > {pid_file}; wait"],
                cwd=tmp_path,
                env=dict(os.environ),
                stdin=None,
                stdout=tmp_path / "out",
                stderr=None,
                timeout=60,
            )
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=body)
    thread.start()
    grandchild = wait_for_pid(pid_file)
    group.stop()
    thread.join(timeout=15)
    assert not thread.is_alive()
    assert [type(e) for e in errors] == [Stopped]
    assert not alive(grandchild)
    with pytest.raises(Stopped):
        group.run(
            ["true"],
            cwd=tmp_path,
            env={},
            stdin=None,
            stdout=tmp_path / "o",
            stderr=None,
            timeout=5,
        )


def test_setup_that_hangs_times_out_and_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    task = Task(id="slow", prompt="p", files=str(tmp_path / "src"), setup="sleep 60")
    started = time.monotonic()
    result = run_task(task, tmp_path / "out", RunOptions(setup_timeout_s=0.5))
    assert time.monotonic() - started < 15
    assert result.status == "setup_failed" and "timed out" in (result.error or "")
    saved = (tmp_path / "out" / "tasks" / "slow" / "result.json").read_text()
    assert '"setup_failed"' in saved
    assert not (tmp_path / "out" / "tasks" / "slow" / "workspace").exists()
