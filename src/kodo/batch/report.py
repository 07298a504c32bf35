"""Scores of one evaluation run, as JSON (for tools), markdown (for PRs) and a self-contained
HTML page with SVG charts (for people). Each task row links to the files a person opens next
(the diff, the test output, the session log) and says in one line why it failed."""

from __future__ import annotations

import html
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field, computed_field

from kodo.batch.results import TaskResult

# (label, file in tasks/<id>/), in the order shown
TASK_FILES = (
    ("diff", "patch.diff"),
    ("tests", "test_output.txt"),
    ("setup", "setup_output.txt"),
    ("log", "session.jsonl"),
)
REASON_MAX = 160
_STATUS_WORDS = {
    "max_turns": "ran out of turns",
    "token_budget": "spent its token budget",
    "interrupted": "interrupted",
    "timeout": "timed out",
    "crashed": "kodo crashed",
    "error": "stopped on an error",
    "setup_failed": "setup failed",
    "harness_error": "the harness failed",
}
_PYTEST_FAILED = re.compile(r"^(?:FAILED|ERROR) \S")
_PYTEST_SUMMARY = re.compile(r"^=+ (.*\b(?:failed|error|errors)\b.*) =+$")


class RunInfo(BaseModel):
    """What a reader needs to know about the run a report describes."""

    date: str
    kodo_version: str
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None  # None: the provider's own


class ModelScore(BaseModel):
    model: str
    tasks: int
    passed: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float:
        return self.passed / self.tasks if self.tasks else 0.0


class TaskReport(TaskResult):
    reason: str | None = None  # one line: why it failed
    links: dict[str, str] = Field(default_factory=dict)  # label -> path from the report


class Report(BaseModel):
    suite: str
    run: RunInfo
    tasks: int
    passed: int
    pass_rate: float
    median_wall_s: float
    total_cost_usd: float | None
    total_tokens: int
    by_model: list[ModelScore]
    results: list[TaskReport]


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= REASON_MAX else line[: REASON_MAX - 1] + "…"


def _test_failure(output: str) -> str:
    """The first failing test and pytest's summary, or the last line the test printed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    first = next((line for line in lines if _PYTEST_FAILED.match(line)), None)
    summary = next((m[1] for line in reversed(lines) if (m := _PYTEST_SUMMARY.match(line))), None)
    if first and summary:
        return f"{first} ({summary})"
    return first or summary or (lines[-1] if lines else "the test command failed, printing nothing")


def failure_reason(result: TaskResult, task_dir: Path) -> str | None:
    if result.ok:
        return None
    if result.status == "completed":
        reasons = []
        if result.done_met is False:
            reasons.append(result.done_verdict or "done-when: not met")
        if result.tests_passed is False:
            tests = task_dir / "test_output.txt"
            text = tests.read_text(encoding="utf-8", errors="replace") if tests.is_file() else ""
            reasons.append("tests failed: " + _test_failure(text))
        return _one_line("; ".join(reasons))
    words = _STATUS_WORDS.get(result.status, result.status)
    return _one_line(f"{words}: {result.error}" if result.error else words)


def _task_report(result: TaskResult, out_dir: Path) -> TaskReport:
    task_dir = out_dir / "tasks" / result.id
    links = {
        label: f"tasks/{result.id}/{name}"
        for label, name in TASK_FILES
        if (task_dir / name).is_file()
    }
    return TaskReport(**result.model_dump(), reason=failure_reason(result, task_dir), links=links)


def build_report(suite: str, run: RunInfo, results: Sequence[TaskResult], out_dir: Path) -> Report:
    """``out_dir``: the run's folder, where the task files are and the report is written."""
    ordered = sorted(results, key=lambda r: r.id)
    passed = sum(r.ok for r in ordered)
    groups: dict[str, list[TaskResult]] = defaultdict(list)
    for r in ordered:
        groups[r.model or "unknown"].append(r)
    costs = [r.cost_usd for r in ordered if r.cost_usd is not None]
    return Report(
        suite=suite,
        run=run,
        tasks=len(ordered),
        passed=passed,
        pass_rate=passed / len(ordered) if ordered else 0.0,
        median_wall_s=statistics.median(r.wall_s for r in ordered) if ordered else 0.0,
        total_cost_usd=sum(costs) if costs else None,
        total_tokens=sum(r.input_tokens + r.output_tokens for r in ordered),
        by_model=[
            ModelScore(model=m, tasks=len(rs), passed=sum(r.ok for r in rs))
            for m, rs in sorted(groups.items())
        ],
        results=[_task_report(r, out_dir) for r in ordered],
    )


def money(value: float | None) -> str:
    """Two significant digits below a dollar ($0.012, $0.50), cents above ($1,234.50)."""
    if value is None:
        return "—"
    if value >= 1 or value == 0:
        return f"${value:,.2f}"
    return f"${value:.{max(2, 1 - math.floor(math.log10(value)))}f}"


def duration(seconds: float) -> str:
    """Seconds to a tenth below a minute (``4.2 s``, ``20 s``), then minutes and hours."""
    if seconds < 60:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def count(n: int) -> str:
    return f"{n:,}"


def percent(rate: float) -> str:
    return f"{rate:.0%}"


def _verdict(r: TaskResult) -> str:
    if r.ok:
        return "pass"
    if r.status != "completed":
        return f"fail ({r.status})"
    failed = {"tests": r.tests_passed is False, "done-when": r.done_met is False}
    return f"fail ({', '.join(what for what, bad in failed.items() if bad)})"


def _run_line(rep: Report) -> str:
    run = rep.run
    return (
        f"{run.date} · suite {rep.suite} · kodo {run.kodo_version} · provider "
        f"{run.provider or '—'} · model {run.model or '—'} · base URL "
        f"{run.base_url or 'the provider default'}"
    )


def to_markdown(rep: Report) -> str:
    lines = [
        f"# Evaluation: {rep.suite}",
        "",
        _run_line(rep),
        "",
        f"**Pass rate: {rep.passed}/{rep.tasks} ({percent(rep.pass_rate)})** · median time "
        f"{duration(rep.median_wall_s)} · {count(rep.total_tokens)} tokens · cost "
        f"{money(rep.total_cost_usd)}",
        "",
        "| model | passed | pass rate |",
        "|---|---|---|",
        *(f"| {m.model} | {m.passed}/{m.tasks} | {percent(m.pass_rate)} |" for m in rep.by_model),
        "",
        "| task | result | turns | tokens | cost | time | why | files |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rep.results:
        files = " ".join(f"[{label}]({path})" for label, path in r.links.items())
        why = (r.reason or "").replace("|", "\\|")
        lines.append(
            f"| {r.id} | {_verdict(r)} | {r.turns} | {count(r.input_tokens + r.output_tokens)} "
            f"| {money(r.cost_usd)} | {duration(r.wall_s)} | {why} | {files} |"
        )
    return "\n".join(lines) + "\n"


def _bars(items: Sequence[tuple[str, float]], *, label: Callable[[float], str]) -> str:
    """A horizontal bar chart as inline SVG; ``label`` formats each value."""
    if not items:
        return "<p>No data.</p>"
    top = max(v for _, v in items) or 1.0
    row, label_w, bar_w = 26, 200, 360
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 100}" '
        f'height="{row * len(items) + 10}" role="img">'
    ]
    for i, (name, value) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{html.escape(name)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{html.escape(label(value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def nice_step(span: float, bins: int) -> float:
    """A bin width of 1, 2, 2.5 or 5 times a power of ten, so edges read as round numbers."""
    raw = span / bins if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _histogram(values: Sequence[float], *, edge: Callable[[float], str], bins: int = 8) -> str:
    if not values:
        return "<p>No data.</p>"
    step = nice_step(max(values) - min(values), bins)
    lo = math.floor(min(values) / step) * step
    n = max(1, math.ceil((max(values) - lo) / step + 1e-9))
    counts = [0] * n
    for v in values:
        counts[min(n - 1, int((v - lo) / step))] += 1
    labels = [f"{edge(lo + i * step)} – {edge(lo + (i + 1) * step)}" for i in range(n)]
    return _bars(list(zip(labels, counts, strict=True)), label=_tasks)


def _tasks(n: float) -> str:
    return f"{n:.0f} task" + ("" if n == 1 else "s")


_CSS = """body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{margin-bottom:.2rem}.big{font-size:2.4rem;font-weight:700}.run{color:#555}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;
text-align:left;vertical-align:top}td.num,th.num{text-align:right;white-space:nowrap;
font-variant-numeric:tabular-nums}td.pass,td.fail{white-space:nowrap}
td.why{font-size:13px;color:#555;max-width:28rem;overflow-wrap:anywhere}
td.files a{margin-right:.5rem}
svg text{font-size:13px}svg rect{fill:#4a7bd0}.pass{color:#17803d}.fail{color:#b42318}
section{margin:2rem 0}"""


def _row(r: TaskReport) -> str:
    files = "".join(
        f'<a href="{html.escape(path)}">{html.escape(label)}</a>' for label, path in r.links.items()
    )
    return (
        f'<tr id="task-{html.escape(r.id)}"><td>{html.escape(r.id)}</td>'
        f'<td class="{"pass" if r.ok else "fail"}">{html.escape(_verdict(r))}</td>'
        f'<td class="num">{r.turns}</td>'
        f'<td class="num">{count(r.input_tokens + r.output_tokens)}</td>'
        f'<td class="num">{money(r.cost_usd)}</td><td class="num">{duration(r.wall_s)}</td>'
        f'<td class="why">{html.escape(r.reason or "")}</td><td class="files">{files}</td></tr>'
    )


def to_html(rep: Report) -> str:
    costs = [r.cost_usd for r in rep.results if r.cost_usd is not None]
    model_chart = _bars(
        [(m.model, 100 * m.pass_rate) for m in rep.by_model], label=lambda v: f"{v:.0f}%"
    )
    time_chart = _histogram([r.wall_s for r in rep.results], edge=duration)
    cost_chart = _histogram(costs, edge=money) if costs else "<p>No prices configured.</p>"
    title = html.escape(f"kodo eval: {rep.suite}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_CSS}</style></head><body>
<h1>{title}</h1>
<p class="run" id="run">{html.escape(_run_line(rep))}</p>
<p id="summary"><span class="big">{percent(rep.pass_rate)}</span> passed ({rep.passed} of
{rep.tasks}) · median time {duration(rep.median_wall_s)} · {count(rep.total_tokens)} tokens ·
cost {money(rep.total_cost_usd)}</p>
<section><h2>Pass rate per model</h2>{model_chart}</section>
<section><h2>Time per task</h2>{time_chart}</section>
<section><h2>Cost per task</h2>{cost_chart}</section>
<section><h2>Tasks</h2><table id="tasks"><thead><tr><th>task</th><th>result</th>
<th class="num">turns</th><th class="num">tokens</th><th class="num">cost</th>
<th class="num">time</th><th>why it failed</th><th>files</th></tr></thead>
<tbody>{"".join(_row(r) for r in rep.results)}</tbody></table></section>
</body></html>
"""


def write_report(out_dir: Path, rep: Report) -> list[Path]:
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "report.html"]
    paths[0].write_text(rep.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(to_markdown(rep), encoding="utf-8")
    paths[2].write_text(to_html(rep), encoding="utf-8")
    return paths
