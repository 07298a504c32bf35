"""The Ray backend against a local Ray head's job server: ``ray job submit|status|logs|stop``."""

from __future__ import annotations

import sys
from pathlib import Path

from kodo.jobs.backend import backend_for
from kodo.jobs.metrics import Condition, judge
from kodo.jobs.ray_jobs import parse_status
from kodo.jobs.spec import Cluster
from kodo.jobs.wait import wait_for
from tests.jobs.conftest import client_env


def test_succeed_fail_and_stop(ray_jobs: str, tmp_path: Path) -> None:
    b = backend_for(Cluster(kind="ray", address=ray_jobs), client_env())
    assert ray_jobs in b.check()
    (tmp_path / "train.py").write_text(
        "import json\nprint('epoch 1')\nprint(json.dumps({'epoch': 1, 'val_acc': 0.93}))\n"
    )
    (tmp_path / "crash.py").write_text("import sys\nprint('loading')\nsys.exit(4)\n")
    (tmp_path / "forever.py").write_text(
        "import time\nprint('started', flush=True)\nwhile True:\n    time.sleep(1)\n"
    )
    py = sys.executable  # the head's PATH is this test's, where `python` may be missing
    ok = b.submit(f"{py} train.py", tmp_path)
    bad = b.submit(f"{py} crash.py", tmp_path)
    slow = b.submit(f"{py} forever.py", tmp_path)

    done = wait_for(b, ok, timeout_s=120, poll_s=1, until="finish")
    assert (done.status.state, done.status.exit_code) == ("succeeded", 0)
    assert judge(Condition.parse("val_acc >= 0.9"), b.logs(ok, 50).values()).met

    failed = wait_for(b, bad, timeout_s=120, poll_s=1, until="finish")
    assert (failed.status.state, failed.status.exit_code) == ("failed", 4)
    assert "loading" in b.logs(bad, 50)["driver"]

    running = wait_for(b, slow, timeout_s=120, poll_s=1, pattern="started")
    assert running.status.state == "running"
    b.cancel(slow)
    stopped = wait_for(b, slow, timeout_s=120, poll_s=1, until="finish")
    assert stopped.status.state == "cancelled"


def test_status_lines_of_the_ray_cli() -> None:
    """As ``ray job status --log-style record`` prints them (Ray 2.x)."""
    stopped = "2026-11-30 08:13:04,731\tWARN cli.py:85 -- Job 'kodo-1' was stopped\n"
    failed = (
        "ERR cli.py:75 -- Job 'kodo-2' failed\n"
        "INFO cli.py:89 -- Status message: Job entrypoint command failed with exit code 4, "
        "last available logs (truncated to 20,000 chars):\n"
    )
    running = "INFO cli.py:92 -- Status for job 'kodo-3': RUNNING\n"
    assert parse_status("kodo-1", stopped).state == "cancelled"
    bad = parse_status("kodo-2", failed)
    assert (bad.state, bad.exit_code) == ("failed", 4)
    assert parse_status("kodo-3", running).state == "running"
