"""The embedded local model (Qwen2.5-Coder-1.5B GGUF) on the small-task suite ``evals/small``.

Per task: pass (the hidden tests pass), model turns, wall time. kodo runs through ``kodo eval``'s
runner (OUT/kodo: results.jsonl, report.json). ``--compare`` adds mini-swe-agent and aider, each
pip-installed into its own venv under /tmp/kodo-bench-venvs, on the same llama.cpp server. All
get the task's prompt as is, temperature 0, kodo's reply cap (2048 tokens) and at most
``--max-turns`` model calls (aider has no such cap: one message plus up to 3 reflections).
Needs the model in $KODO_HOME/models (``kodo model pull``; never downloaded here). 22 tasks take
an hour or more on 2 cores, so ``run_all.py`` runs this only when named (``local_model``).

    .venv/bin/python benchmarks/bench_local_model.py [--compare] [--tasks ID,ID] [--limit N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kodo.batch.suite import HIDDEN_TEST, load_suite
from kodo.batch.tasks import Task
from kodo.models.factory import LOCAL_MAX_OUTPUT_TOKENS as MAX_TOKENS  # per reply

SUITE = Path(__file__).resolve().parent.parent / "evals" / "small"
PACKAGES = {"mini": ("mini-swe-agent", "mini"), "aider": ("aider-chat", "aider")}
MODEL_NAME = "openai/qwen2.5-coder-1.5b-instruct"  # litellm: any OpenAI-compatible server
MINI_FLAGS = shlex.split(  # text-based actions: the 1.5B model makes no well-formed tool calls
    "-y --exit-immediately -l 0 --model-class litellm_textbased -c mini_textbased.yaml "
    f"-c model.model_kwargs.temperature=0 -c model.model_kwargs.max_tokens={MAX_TOKENS}"
)
AIDER_SETTINGS = [{"name": MODEL_NAME, "extra_params": {"max_tokens": MAX_TOKENS}}]
AIDER_FLAGS = shlex.split(  # aider sends temperature 0 by default
    f"--model {MODEL_NAME} --openai-api-key dummy --edit-format whole --yes-always --no-git "
    "--no-auto-commits --no-stream --no-pretty --no-fancy-input --no-check-update --no-analytics "
    "--map-tokens 0 --no-show-model-warnings --no-show-release-notes --no-restore-chat-history"
)
AGENT_ENV = {  # mini-swe-agent: no first-run questions, banner or cost lookups
    "OPENAI_API_KEY": "dummy",
    "MSWEA_CONFIGURED": "true",
    "MSWEA_SILENT_STARTUP": "1",
    "MSWEA_COST_TRACKING": "ignore_errors",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # no network fetch at start
}

DETACHED: dict[str, Any] = {"stdin": subprocess.DEVNULL, "start_new_session": True}


@dataclass
class Outcome:
    passed: bool  # the hidden tests pass
    turns: int
    wall_s: float
    status: str


Table = dict[str, dict[str, Outcome]]  # agent -> task id -> outcome


class Unavailable(Exception): ...  # an agent that could not be installed or started


def run_logged(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, timeout: float
) -> int | None:
    """Exit status, or None on timeout; the child's whole process group is killed either way."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=out, **DETACHED)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def model_server(model: Path, log: Path) -> Iterator[str]:
    """``kodo model serve MODEL`` as a child; yields its base URL once /health answers."""
    with log.open("wb") as err:
        serve = [sys.executable, "-m", "kodo", "model", "serve", str(model)]
        proc = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=err, **DETACHED)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().decode().strip()
            if not url.startswith("http"):
                raise SystemExit(f"kodo model serve failed (log: {log})")
            health, deadline = url.removesuffix("/v1") + "/health", time.monotonic() + 300
            while True:
                with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=5):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the model server did not come up (log: {log})")
                time.sleep(1)
            yield url
        finally:
            proc.terminate()  # SIGTERM: under xllamacpp, SIGINT does not stop `kodo model serve`
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_kodo(tasks: list[Task], model: Path, args: argparse.Namespace, table: Table) -> None:
    """kodo through the ``kodo eval`` runner; fills ``table['kodo']``."""
    from kodo.batch.engine import run_batch
    from kodo.batch.report import build_report, write_report
    from kodo.batch.runner import RunOptions

    same = {"provider": "local", "model": str(model), "max_turns": args.max_turns}
    same["timeout_s"] = args.timeout_s
    ours = [t.model_copy(update={**same, "config": [*t.config, "temperature=0"]}) for t in tasks]
    outcome = run_batch(ours, args.out / "kodo", RunOptions(), workers=1)
    write_report(args.out / "kodo", build_report(SUITE.name, outcome.results))
    table["kodo"] = {
        r.id: Outcome(r.tests_passed is True, r.turns, r.wall_s, r.status) for r in outcome.results
    }
    if outcome.interrupted:
        raise KeyboardInterrupt


def install(name: str) -> Path:
    """The agent's executable in its own venv, installed on first use."""
    package, exe = PACKAGES[name]
    venv = Path(tempfile.gettempdir()) / "kodo-bench-venvs" / name
    if (venv / ".installed").is_file():
        return venv / "bin" / exe
    print(f"installing {package} into {venv} ...", file=sys.stderr, flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", package]
    for argv in ([sys.executable, "-m", "venv", str(venv)], pip):
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            raise Unavailable(f"{argv[2]} {argv[-1]}: {lines[-1] if lines else proc.returncode}")
    (venv / ".installed").touch()
    return venv / "bin" / exe


def agent_argv(name: str, exe: Path, task: Task, url: str, tdir: Path, max_turns: int) -> list[str]:
    if name == "mini":
        limits = ["-c", f"agent.step_limit={max_turns}", "-c", f"model.model_kwargs.api_base={url}"]
        output = ["-o", str(tdir / "trajectory.json")]
        return [str(exe), *MINI_FLAGS, *limits, *output, "-m", MODEL_NAME, "-t", task.prompt]
    ws = tdir / "workspace"
    files = [
        str(p.relative_to(ws)) for p in sorted(ws.rglob("*")) if p.is_file() and p.name[0] != "."
    ]
    logs = [f"--{kind}-history-file={tdir / kind}.txt" for kind in ("chat", "input", "llm")]
    settings = tdir / "model-settings.yml"  # JSON is YAML
    settings.write_text(json.dumps(AIDER_SETTINGS), encoding="utf-8")
    server = [f"--openai-api-base={url}", f"--model-settings-file={settings}"]
    return [str(exe), *AIDER_FLAGS, *logs, *server, "--message", task.prompt, *files]


def count_turns(name: str, tdir: Path) -> int:
    with contextlib.suppress(OSError, ValueError, KeyError):
        if name == "mini":
            trajectory = json.loads((tdir / "trajectory.json").read_text(encoding="utf-8"))
            return int(trajectory["info"]["model_stats"]["api_calls"])
        return (tdir / "llm.txt").read_text(encoding="utf-8").count("LLM RESPONSE")
    return 0


def run_other(name: str, exe: Path, task: Task, url: str, args: argparse.Namespace) -> Outcome:
    tdir = args.out / name / task.id
    shutil.rmtree(tdir, ignore_errors=True)
    ws = tdir / "workspace"
    if task.files and Path(task.files).is_dir():
        shutil.copytree(task.files, ws, symlinks=True)
    ws.mkdir(parents=True, exist_ok=True)
    home = tdir / "home"  # keeps each agent's config, caches and history out of the real home
    home.mkdir()
    env = {**os.environ, **AGENT_ENV, "HOME": str(home), "OPENAI_API_BASE": url}
    env["MSWEA_GLOBAL_CONFIG_DIR"] = str(home / "mswea")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"  # python: kodo's, as for kodo
    started = time.monotonic()
    argv = agent_argv(name, exe, task, url, tdir, args.max_turns)
    code = run_logged(argv, cwd=ws, env=env, log=tdir / "agent_output.txt", timeout=args.timeout_s)
    wall = round(time.monotonic() - started, 3)
    turns = count_turns(name, tdir)
    if code not in (0, None) and not turns:
        lines = (tdir / "agent_output.txt").read_text(errors="replace").strip().splitlines()
        raise Unavailable(f"{task.id}: exited {code}: {lines[-1] if lines else 'no output'}")
    if task.hidden_tests:
        shutil.copytree(task.hidden_tests, ws, symlinks=True, dirs_exist_ok=True)
    test = ["bash", "-c", task.test or HIDDEN_TEST]
    test_code = run_logged(test, cwd=ws, env=env, log=tdir / "test_output.txt", timeout=600)
    return Outcome(test_code == 0, turns, wall, "timeout" if code is None else f"exit {code}")


def cell(o: Outcome | None) -> str:
    if o is None:
        return "-"
    extra = "" if o.status in ("completed", "exit 0") else f" ({o.status})"
    return f"{'PASS' if o.passed else 'fail'} {o.turns}t {o.wall_s:.0f}s{extra}"


def report(ids: list[str], table: Table, unavailable: dict[str, str]) -> dict[str, object]:
    """Prints the side-by-side table and totals; returns the same as JSON-ready data."""
    totals = {}
    for name, done in table.items():
        times = [o.wall_s for o in done.values()]
        totals[name] = {
            "passed": sum(o.passed for o in done.values()),
            "tasks": len(done),
            "median_wall_s": round(statistics.median(times), 1) if times else 0.0,
        }
    rows = [["task", *table]]
    rows += [[i, *(cell(done.get(i)) for done in table.values())] for i in ids]
    rows.append(["pass rate", *(f"{t['passed']}/{t['tasks']}" for t in totals.values())])
    rows.append(["median time", *(f"{t['median_wall_s']}s" for t in totals.values())])
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    for name, why in unavailable.items():
        print(f"{name}: unavailable: {why}")
    return {
        "tasks": {n: {i: asdict(o) for i, o in done.items()} for n, done in table.items()},
        "totals": totals,
        "unavailable": unavailable,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", help="comma-separated task ids (default: all)")
    p.add_argument("--limit", type=int, help="only the first N tasks")
    p.add_argument("--compare", action="store_true", help="also run mini-swe-agent and aider")
    p.add_argument("--max-turns", type=int, default=10)
    p.add_argument("--timeout-s", type=float, default=600.0, help="per task and agent")
    p.add_argument("-o", "--out", help="output directory (default: a new temporary one)")
    p.add_argument("--json", action="store_true", help="also print the table as JSON")
    args = p.parse_args(argv)

    from kodo.models.local_store import QWEN_CODER_1_5B, models_dir

    model = models_dir() / QWEN_CODER_1_5B.filename
    if not model.is_file():
        print(f"the local model is not installed ({model} is missing): run `kodo model pull`")
        return 1
    tasks = load_suite(SUITE)
    if args.tasks:
        wanted = args.tasks.split(",")
        if missing := set(wanted) - {t.id for t in tasks}:
            p.error(f"no such tasks in {SUITE}: {', '.join(sorted(missing))}")
        tasks = [t for t in tasks if t.id in wanted]
    tasks = tasks[: args.limit] if args.limit else tasks
    out = args.out = Path(args.out or tempfile.mkdtemp(prefix="kodo-bench-local-")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["KODO_HOME"] = str(out / "kodo-home")  # sessions; the model goes by path
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop the server then too
    print(f"{len(tasks)} tasks; output in {out}", file=sys.stderr, flush=True)

    table: Table = {}
    unavailable: dict[str, str] = {}
    status = 0
    try:
        with model_server(model, out / "server.log") as url:
            os.environ["KODO_LOCAL_URL"] = url
            run_kodo(tasks, model, args, table)
            for name in ("mini", "aider") if args.compare else ():
                try:
                    exe = install(name)
                    table[name] = {}
                    for t in tasks:
                        print(f"{name}: {t.id}", file=sys.stderr, flush=True)
                        table[name][t.id] = run_other(name, exe, t, url, args)
                except (Unavailable, OSError, subprocess.SubprocessError) as exc:
                    table.pop(name, None)
                    unavailable[name] = str(exc)
    except KeyboardInterrupt:
        print("interrupted; partial results follow", file=sys.stderr)
        status = 130
    data = report([t.id for t in tasks], table, unavailable)
    (out / "comparison.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(data, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
