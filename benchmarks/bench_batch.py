"""Harness overhead of ``kodo batch``: an instant scripted model, so what is measured is the
workspace copy, the ``kodo exec`` process and its sandbox, the diff, the test and bookkeeping.

Reports the median seconds per task (from results.jsonl) and the batch wall time, locally with
1 and 2 workers and on a local Ray with 2 CPUs, and the speed-up from 1 to 2 workers.

    .venv/bin/python benchmarks/bench_batch.py [--tasks 20] [--no-ray]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.openai_server import ScriptedOpenAIServer  # noqa: E402
from tests.fakes.script import Call, Reply  # noqa: E402


def instant_model(request: dict) -> Reply:
    if any(m["role"] == "tool" for m in request["messages"]):
        return Reply(text="done")
    return Reply(tool_calls=[Call("shell", {"command": ["bash", "-c", "echo ok > out.txt"]})])


def write_tasks(root: Path, base_url: str, count: int) -> Path:
    start = root / "start"
    start.mkdir()
    for i in range(20):  # a small project's worth of files to copy
        (start / f"module_{i}.py").write_text(f"VALUE = {i}\n" * 50)
    lines = [
        json.dumps(
            {
                "id": f"b{n:03d}",
                "prompt": "write out.txt",
                "files": "start",
                "test": "test -s out.txt",
                "provider": "openai-chat",
                "base_url": base_url,
                "model": "bench",
            }
        )
        for n in range(count)
    ]
    path = root / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(tasks: Path, out: Path, *flags: str) -> tuple[float, float, int]:
    """(median seconds per task, batch wall seconds, tasks ok)."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "kodo", "batch", str(tasks), "-o", str(out), *flags],
        check=False,
        capture_output=True,
    )
    wall = time.monotonic() - started
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    ok = sum(r["status"] == "completed" and r["tests_passed"] for r in results)
    return statistics.median(r["wall_s"] for r in results), wall, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedOpenAIServer([instant_model] * (args.tasks * 2 * 4 + 10)) as srv,
    ):
        root = Path(tmp)
        tasks = write_tasks(root, srv.base_url, args.tasks)
        rows = [("local, 1 worker", run(tasks, root / "w1", "--workers", "1"))]
        rows.append(("local, 2 workers", run(tasks, root / "w2", "--workers", "2")))
        if not args.no_ray and importlib.util.find_spec("ray"):
            rows.append(
                ("ray local, 2 CPUs", run(tasks, root / "ray", "--ray", "local", "--workers", "2"))
            )
    print(f"{args.tasks} tasks, instant scripted model")
    print(f"{'mode':<20}{'median s/task':>15}{'batch wall s':>14}{'ok':>6}")
    for name, (median, wall, ok) in rows:
        print(f"{name:<20}{median:>15.3f}{wall:>14.2f}{ok:>6}")
    print(f"speed-up 1 -> 2 workers: {rows[0][1][1] / rows[1][1][1]:.2f}x (batch wall time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
