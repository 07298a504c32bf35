"""Whole batches: the real ``kodo batch`` program running real ``kodo exec`` sessions against a
scripted model server, locally and on a local Ray."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.batch.scripted import (
    GOOD,
    assert_batch_correct,
    batch_env,
    kodo_batch,
    results_by_id,
    script,
    write_batch,
)
from tests.fakes.openai_server import ScriptedOpenAIServer


def processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline:
                found.append(int(entry.name))
    return found


def test_malformed_task_file_names_the_line(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"id": "a", "prompt": "p", "files": "."}\n{"id": "b", "prompt": 3}\n')
    proc = subprocess.run(
        kodo_batch(tasks, tmp_path / "out"), capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert f"{tasks}:2: prompt: must be a string, not a number" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_twenty_tasks_on_two_workers_then_rerun_skips_them(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ScriptedOpenAIServer(script()) as srv:
        tasks = write_batch(tmp_path, srv.base_url)
        proc = subprocess.run(
            kodo_batch(tasks, out, "--workers", "2"),
            capture_output=True,
            text=True,
            timeout=600,
            env=batch_env(),
        )
        assert proc.returncode == 1, proc.stderr  # two tasks fail on purpose
        assert f"{GOOD}/20 ok, 2 failed" in proc.stderr
        assert_batch_correct(out, results_by_id(out), srv.requests)
        asked = len(srv.requests)
        first = (out / "results.jsonl").read_text()

        again = subprocess.run(
            kodo_batch(tasks, out, "--workers", "2"),
            capture_output=True,
            text=True,
            timeout=120,
            env=batch_env(),
        )
        assert again.returncode == 1
        assert "20 task(s) already finished" in again.stderr
        assert (
            "2 task(s) that failed in an earlier run were not run again (t18, t19); "
            "add --retry-failed to run them again"
        ) in again.stderr
        assert len(srv.requests) == asked
        assert (out / "results.jsonl").read_text() == first


def test_interrupt_keeps_finished_results_and_resume_completes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with ScriptedOpenAIServer(script(delay_s=0.4)) as srv:
        tasks = write_batch(tmp_path, srv.base_url)
        proc = subprocess.Popen(
            kodo_batch(tasks, out, "--workers", "2"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=batch_env(),
        )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            log = out / "results.jsonl"
            if log.exists() and len(log.read_text().splitlines()) >= 3:
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "interrupted" in err
        time.sleep(0.5)
        assert processes_mentioning(str(out)) == []  # no kodo exec left behind

        before = results_by_id(out)
        assert 3 <= len(before) < 20
        for task_id, r in before.items():
            if r["status"] == "completed":
                assert (out / "tasks" / task_id / "patch.diff").read_text()

        resumed = subprocess.run(
            kodo_batch(tasks, out, "--workers", "2"),
            capture_output=True,
            text=True,
            timeout=600,
            env=batch_env(),
        )
        assert resumed.returncode == 1, resumed.stderr
        assert f"{len(before)} task(s) already finished" in resumed.stderr
        lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        assert len(lines) == 20  # nothing recorded twice: finished tasks were not re-run
        after = results_by_id(out)
        assert all(after[i] == r for i, r in before.items())
        assert_batch_correct(out, after, srv.requests)


def test_twenty_tasks_on_local_ray_with_a_worker_crash(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    out = tmp_path / "out"
    with ScriptedOpenAIServer(script()) as srv:
        tasks = write_batch(tmp_path, srv.base_url, last_setup="kill -9 $PPID")
        proc = subprocess.run(
            kodo_batch(tasks, out, "--ray", "local", "--workers", "2"),
            capture_output=True,
            text=True,
            timeout=600,
            env=batch_env(),
        )
        assert proc.returncode == 1, proc.stderr
        results = results_by_id(out)
        assert_batch_correct(out, results, srv.requests)
        lost = results["t19"]
        assert lost["status"] == "crashed"
        assert "Worker" in lost["error"] or "died" in lost["error"], lost["error"]
    assert processes_mentioning(str(out)) == []
