"""One task, start to finish: fresh workspace, setup, the agent as a ``kodo exec`` child process
(a crash there cannot take the batch down), the diff, hidden tests, the test command.

``run_task`` is a plain function of picklable arguments, so the same code runs in a local
thread and inside a Ray task."""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kodo.batch import workspace
from kodo.batch.procs import ProcessGroup
from kodo.batch.results import TaskResult
from kodo.batch.tasks import Task
from kodo.config import cost_of, kodo_home
from kodo.events import SessionCompleted, TurnCompleted, Usage
from kodo.session.store import read_events


@dataclass(frozen=True)
class RunOptions:
    """Batch-wide settings; a task's own fields win over these."""

    model: str | None = None
    provider: str | None = None
    base_url: str | None = None
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    default_model: str | None = None  # what kodo would use with no -m; for cost and reports
    user_config: str | None = None  # contents of the user's config.toml, given to each task
    # -P: the task's workspace is the working directory, and a module planted there must not
    # shadow kodo's own imports on the host
    kodo_argv: tuple[str, ...] = (sys.executable, "-P", "-m", "kodo")
    exec_args: tuple[str, ...] = ()
    reference: bool = False  # overlay the task's solution instead of running the agent
    keep_workspaces: bool = False
    setup_timeout_s: float = 900.0
    test_timeout_s: float = 900.0


def read_user_config() -> str | None:
    path = kodo_home() / "config.toml"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def model_for(task: Task, opts: RunOptions) -> str | None:
    if opts.reference:
        return "reference"
    return task.model or opts.model or opts.default_model


def task_dir(out_dir: Path, task_id: str) -> Path:
    return out_dir / "tasks" / task_id


def _command_env(home: Path) -> dict[str, str]:
    """``python`` in setup and test commands means the interpreter running the batch."""
    env = dict(os.environ)
    env["KODO_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _exec_argv(task: Task, opts: RunOptions, ws: Path) -> list[str]:
    argv = [*opts.kodo_argv, "exec", "--json", "-C", str(ws)]
    for flag, value in (
        ("--model", task.model or opts.model),
        ("--provider", task.provider or opts.provider),
        ("--base-url", task.base_url or opts.base_url),
    ):
        if value:
            argv += [flag, value]
    for item in task.config:
        argv += ["-c", item]
    argv += opts.exec_args
    if task.max_turns:  # after the batch-wide value: the task's own wins
        argv += ["--max-turns", str(task.max_turns)]
    if task.done_when:
        argv += ["--done-when", task.done_when]
    return [*argv, "-"]


@dataclass
class _Summary:
    status: str | None = None
    exit_code: int | None = None
    error: str | None = None
    turns: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    done_met: bool | None = None
    done_verdict: str | None = None


def summarize_events(path: Path) -> _Summary:
    """Reads ``kodo exec --json`` output with the session reader; other lines are skipped."""
    s = _Summary()
    for event in read_events(path):
        if isinstance(event, TurnCompleted):
            s.turns += 1
        elif isinstance(event, Usage):
            s.input_tokens, s.output_tokens = event.total_input_tokens, event.total_output_tokens
        elif isinstance(event, SessionCompleted):
            s.status, s.exit_code, s.error = event.status, event.exit_code, event.error
            s.done_met, s.done_verdict = event.done_met, event.done_verdict
    return s


def _tail(path: Path, limit: int = 400) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").strip() if path.exists() else ""
    return text[-limit:]


def _keep_session_log(home: Path, dest: Path) -> None:
    logs = sorted((home / "sessions").rglob("*.jsonl"))
    if logs:
        shutil.copyfile(logs[-1], dest)


def run_task(
    task: Task, out_dir: Path, opts: RunOptions, procs: ProcessGroup | None = None
) -> TaskResult:
    """Runs one task and writes its files; raises ``Stopped`` only when the batch is stopping."""
    procs = procs or ProcessGroup()
    started = time.monotonic()
    tdir = task_dir(out_dir, task.id)
    if tdir.exists():  # left over from an interrupted run
        shutil.rmtree(tdir)
    home = tdir / "home"
    home.mkdir(parents=True)
    if opts.user_config is not None:
        (home / "config.toml").write_text(opts.user_config, encoding="utf-8")
    ws = tdir / "workspace"
    env = _command_env(home)
    model = model_for(task, opts)
    result = TaskResult(id=task.id, status="harness_error", model=model)
    try:
        result = _run(task, opts, procs, tdir, ws, env, result)
    except workspace.WorkspaceError as exc:
        result.status, result.error = "harness_error", str(exc)
    finally:
        _keep_session_log(home, tdir / "session.jsonl")
        if not opts.keep_workspaces:
            shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    result.wall_s = round(time.monotonic() - started, 3)
    result.cost_usd = cost_of(opts.prices, model, result.input_tokens, result.output_tokens)
    (tdir / "result.json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return result


def _run(
    task: Task,
    opts: RunOptions,
    procs: ProcessGroup,
    tdir: Path,
    ws: Path,
    env: dict[str, str],
    result: TaskResult,
) -> TaskResult:
    workspace.prepare(ws, repo=task.repo, ref=task.ref, files=task.files)
    if task.setup:
        out = tdir / "setup_output.txt"
        code = procs.run(
            ["bash", "-c", task.setup],
            cwd=ws,
            env=env,
            stdin=None,
            stdout=out,
            stderr=None,
            timeout=opts.setup_timeout_s,
        )
        if code != 0:
            why = "timed out" if code is None else f"exited {code}"
            result.status, result.error = "setup_failed", f"setup {why}: {_tail(out)}"
            return result
    baseline = workspace.commit_baseline(ws)
    try:
        if opts.reference:
            if task.solution is None:
                raise workspace.WorkspaceError("--reference: the task has no solution")
            workspace.copy_into(Path(task.solution), ws)
            result.status, result.exit_code = "completed", 0
        else:
            _agent(task, opts, procs, tdir, ws, env, result)
        (tdir / "patch.diff").write_bytes(baseline.patch())
    finally:
        baseline.close()
    if task.hidden_tests:
        workspace.copy_into(Path(task.hidden_tests), ws)
    if task.test:
        out = tdir / "test_output.txt"
        code = procs.run(  # in the sandbox: the code under test is what the model wrote
            [*opts.kodo_argv, "sandbox", "-C", str(ws), "--", "bash", "-c", task.test],
            cwd=ws,
            env=env,
            stdin=None,
            stdout=out,
            stderr=None,
            timeout=opts.test_timeout_s,
        )
        result.tests_passed = code == 0
    return result


def _agent(
    task: Task,
    opts: RunOptions,
    procs: ProcessGroup,
    tdir: Path,
    ws: Path,
    env: dict[str, str],
    result: TaskResult,
) -> None:
    events, stderr = tdir / "events.jsonl", tdir / "kodo_stderr.txt"
    code = procs.run(
        _exec_argv(task, opts, ws),
        cwd=ws,
        env=env,
        stdin=task.prompt.encode(),
        stdout=events,
        stderr=stderr,
        timeout=task.timeout_s,
    )
    s = summarize_events(events)
    result.turns, result.input_tokens, result.output_tokens = (
        s.turns,
        s.input_tokens,
        s.output_tokens,
    )
    result.exit_code = code
    if code is None:
        result.status, result.error = "timeout", f"no result within {task.timeout_s:g}s"
    elif s.status is None:
        result.status = "crashed"
        result.error = f"kodo exited {code} without finishing: {_tail(stderr)}"
    else:
        result.status, result.error = s.status, s.error  # type: ignore[assignment]
        result.done_met, result.done_verdict = s.done_met, s.done_verdict
