"""Scores of one evaluation run, as JSON (for tools), markdown (for PRs) and a self-contained
HTML page with SVG charts (for people)."""

from __future__ import annotations

import html
import statistics
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, computed_field

from kodo.batch.results import TaskResult


class ModelScore(BaseModel):
    model: str
    tasks: int
    passed: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float:
        return self.passed / self.tasks if self.tasks else 0.0


class Report(BaseModel):
    suite: str
    tasks: int
    passed: int
    pass_rate: float
    median_wall_s: float
    total_cost_usd: float | None
    total_tokens: int
    by_model: list[ModelScore]
    results: list[TaskResult]


def build_report(suite: str, results: Sequence[TaskResult]) -> Report:
    ordered = sorted(results, key=lambda r: r.id)
    passed = sum(r.ok for r in ordered)
    groups: dict[str, list[TaskResult]] = defaultdict(list)
    for r in ordered:
        groups[r.model or "unknown"].append(r)
    costs = [r.cost_usd for r in ordered if r.cost_usd is not None]
    return Report(
        suite=suite,
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
        results=ordered,
    )


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def _verdict(r: TaskResult) -> str:
    if r.ok:
        return "pass"
    if r.status != "completed":
        return f"fail ({r.status})"
    return "fail (tests)"


def to_markdown(rep: Report) -> str:
    lines = [
        f"# Evaluation: {rep.suite}",
        "",
        f"**Pass rate: {rep.passed}/{rep.tasks} ({rep.pass_rate:.0%})** · median time "
        f"{rep.median_wall_s:.1f}s · tokens {rep.total_tokens} · cost {_money(rep.total_cost_usd)}",
        "",
        "| model | passed | pass rate |",
        "|---|---|---|",
        *(f"| {m.model} | {m.passed}/{m.tasks} | {m.pass_rate:.0%} |" for m in rep.by_model),
        "",
        "| task | result | turns | tokens | cost | time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rep.results:
        lines.append(
            f"| {r.id} | {_verdict(r)} | {r.turns} | {r.input_tokens + r.output_tokens} | "
            f"{_money(r.cost_usd)} | {r.wall_s:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _bars(items: Sequence[tuple[str, float]], *, unit: str, fmt: str) -> str:
    """A horizontal bar chart as inline SVG; ``fmt`` formats each value for its label."""
    if not items:
        return "<p>No data.</p>"
    top = max(v for _, v in items) or 1.0
    row, label_w, bar_w = 26, 180, 360
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 90}" '
        f'height="{row * len(items) + 10}" role="img">'
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, bar_w * value / top)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" rx="3"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{fmt.format(value)}{unit}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: Sequence[float], *, unit: str, bins: int = 8) -> str:
    if not values:
        return "<p>No data.</p>"
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    labels = [f"{lo + i * width:.3g}–{lo + (i + 1) * width:.3g}{unit}" for i in range(bins)]
    return _bars(list(zip(labels, counts, strict=True)), unit=" tasks", fmt="{:.0f}")


_CSS = """body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222}
h1{margin-bottom:.2rem}.big{font-size:2.4rem;font-weight:700}
table{border-collapse:collapse;width:100%}td,th{padding:.3rem .6rem;border-bottom:1px solid #ddd;
text-align:left}svg text{font-size:13px}svg rect{fill:#4a7bd0}.pass{color:#17803d}
.fail{color:#b42318}section{margin:2rem 0}"""


def to_html(rep: Report) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.id)}</td>"
        f'<td class="{"pass" if r.ok else "fail"}">{html.escape(_verdict(r))}</td>'
        f"<td>{r.turns}</td><td>{r.input_tokens + r.output_tokens}</td>"
        f"<td>{_money(r.cost_usd)}</td><td>{r.wall_s:.1f}</td></tr>"
        for r in rep.results
    )
    costs = [r.cost_usd for r in rep.results if r.cost_usd is not None]
    model_chart = _bars(
        [(m.model, 100 * m.pass_rate) for m in rep.by_model], unit="%", fmt="{:.0f}"
    )
    cost_chart = _histogram(costs, unit="$") if costs else "<p>No prices configured.</p>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kodo eval: {html.escape(rep.suite)}</title>
<style>{_CSS}</style></head><body>
<h1>kodo eval: {html.escape(rep.suite)}</h1>
<p><span class="big">{rep.pass_rate:.0%}</span> passed ({rep.passed} of {rep.tasks}) ·
median time {rep.median_wall_s:.1f}s · {rep.total_tokens} tokens · cost
{_money(rep.total_cost_usd)}</p>
<section><h2>Pass rate per model</h2>{model_chart}</section>
<section><h2>Time per task</h2>{_histogram([r.wall_s for r in rep.results], unit="s")}</section>
<section><h2>Cost per task</h2>{cost_chart}</section>
<section><h2>Tasks</h2><table><tr><th>task</th><th>result</th><th>turns</th><th>tokens</th>
<th>cost</th><th>time (s)</th></tr>{rows}</table></section>
</body></html>
"""


def write_report(out_dir: Path, rep: Report) -> list[Path]:
    paths = [out_dir / "report.json", out_dir / "report.md", out_dir / "report.html"]
    paths[0].write_text(rep.model_dump_json(indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(to_markdown(rep), encoding="utf-8")
    paths[2].write_text(to_html(rep), encoding="utf-8")
    return paths
