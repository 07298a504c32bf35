"""The eval report as a person sees it: rendered by a real browser (Debian's
``chromium-headless-shell``, which scripts/test.sh installs), screenshotted, and its DOM and
layout checked: the run's details, formatted numbers, working links, nothing cut off."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kodo.batch.report import RunInfo, build_report, write_report
from kodo.batch.results import TaskResult
from tests.batch.test_report import PYTEST_FAILURE, RUN, result, task_files

BROWSER = "chromium-headless-shell"
WIDTH, HEIGHT = 1280, 2400
SHOT_HEIGHT = 900  # the top of the page, charts included: decoding it here costs seconds
BAR_BLUE = (0x4A, 0x7B, 0xD0)  # svg rect fill in the report's CSS
# Runs in the page after layout and writes what it measured into the DOM, where --dump-dom
# returns it: sizes of the charts, the table and every link, and whether anything overflows.
MEASURE = """<script>
const box = e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
const out = {
  page_width: document.documentElement.scrollWidth, viewport: innerWidth,
  svgs: [...document.querySelectorAll("svg")].map(box),
  table: box(document.getElementById("tasks")),
  links: [...document.querySelectorAll("#tasks a")].map(a => [a.getAttribute("href"), ...box(a)]),
  why_clipped: [...document.querySelectorAll("td.why")].some(td => td.scrollWidth > td.clientWidth),
};
const pre = document.createElement("pre"); pre.id = "measured";
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>"""


def _browser() -> str:
    found = shutil.which(BROWSER)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{BROWSER} is missing: scripts/test.sh installs it with apt-get")
        pytest.skip(f"{BROWSER} is not installed (apt-get install {BROWSER})")
    return found


def _run_browser(tmp_path: Path, *args: str, height: int = HEIGHT) -> str:
    """One headless run with a throw-away profile and home, so nothing is left behind."""
    home = tmp_path / "browser-home"
    home.mkdir(exist_ok=True)
    proc = subprocess.run(
        [
            _browser(),
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={home / 'profile'}",
            f"--window-size={WIDTH},{height}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and raw RGB(A) rows of an 8-bit PNG, unfiltered (enough for a check)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        header, idat = (
            (data, idat) if kind == b"IHDR" else (header, idat + data * (kind == b"IDAT"))
        )
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


class _Dom(HTMLParser):
    """Text by element id, and the rows of the task table as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, str] = {}
        self.rows: list[list[str]] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self.rows[-1].append("")
        self._open.append(dict(attrs).get("id"))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in filter(None, self._open):
            self.by_id[name] = self.by_id.get(name, "") + data
        if self.rows and self.rows[-1] and "tasks" in self.by_id:
            self.rows[-1][-1] += data


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    task_files(
        out,
        "sum-of-squares",
        **{"patch.diff": "diff", "test_output.txt": PYTEST_FAILURE, "session.jsonl": "{}"},
    )
    task_files(out, "fizzbuzz", **{"patch.diff": "d", "test_output.txt": "1 passed"})
    long_error = "kodo exited 1 without finishing: " + "Traceback line " * 40
    results = [
        result("sum-of-squares", False, cost=0.0123, wall_s=95.5, tokens=1_234_567),
        result("fizzbuzz", True, cost=0.0042, wall_s=4.25, tokens=8_200),
        TaskResult(id="crash", status="crashed", error=long_error, wall_s=3.0),
    ]
    write_report(out, build_report("starter", RUN, results, out))
    return out


def test_report_renders_in_a_real_browser(report_dir: Path, tmp_path: Path) -> None:
    page = report_dir / "report.html"
    shot = tmp_path / "report.png"
    _run_browser(tmp_path, f"--screenshot={shot}", page.as_uri(), height=SHOT_HEIGHT)
    width, height, rows = _pixels(shot.read_bytes())
    assert (width, height) == (WIDTH, SHOT_HEIGHT)
    bpp = len(rows[0]) // width
    colors = {row[x : x + 3] for row in rows[::7] for x in range(0, len(row), bpp * 5)}
    assert bytes(BAR_BLUE) in colors  # the charts were drawn
    assert len(colors) > 20  # text, not a blank page

    measured_page = report_dir / "report-measured.html"  # beside it: links resolve alike
    measured_page.write_text(page.read_text().replace("</body>", MEASURE + "</body>"))
    dom = _Dom()
    dom.feed(_run_browser(tmp_path, "--dump-dom", measured_page.as_uri()))
    measured = json.loads(dom.by_id["measured"])

    run_line = " ".join(dom.by_id["run"].split())
    assert run_line == (
        "2026-12-01 14:03 UTC+0100 · suite starter · kodo 0.1.0 · provider openai-chat · "
        "model qwen-32b · base URL http://127.0.0.1:8000/v1"
    )
    summary = " ".join(dom.by_id["summary"].split())
    assert summary.startswith("33% passed (1 of 3) · median time 4.2 s · 1,242,767 tokens")
    assert summary.endswith("cost $0.017")
    cells = {row[0]: row for row in dom.rows if row}
    assert cells["sum-of-squares"][1:6] == [
        "fail (tests)",
        "3",
        "1,234,567",
        "$0.012",
        "1 min 36 s",
    ]
    assert cells["sum-of-squares"][6].startswith("tests failed: FAILED test_hidden_sum.py::")
    assert cells["fizzbuzz"][1:6] == ["pass", "3", "8,200", "$0.0042", "4.2 s"]
    assert cells["fizzbuzz"][6] == ""
    assert cells["crash"][6].startswith("kodo crashed: kodo exited 1 without finishing")
    assert cells["crash"][6].endswith("…") and len(cells["crash"][6]) <= 160

    assert measured["page_width"] <= measured["viewport"]  # no sideways scrolling
    assert not measured["why_clipped"]
    assert len(measured["svgs"]) == 3 and all(w > 100 and h > 20 for w, h in measured["svgs"])
    links = {href: (w, h) for href, w, h in measured["links"]}
    assert sorted(links) == [
        "tasks/fizzbuzz/patch.diff",
        "tasks/fizzbuzz/test_output.txt",
        "tasks/sum-of-squares/patch.diff",
        "tasks/sum-of-squares/session.jsonl",
        "tasks/sum-of-squares/test_output.txt",
    ]
    for href, (w, h) in links.items():
        assert w > 0 and h > 0, href  # laid out, visible
        assert (report_dir / href).is_file(), href


def test_cost_bins_have_round_edges(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    results = [result(f"t{i}", True, cost=c) for i, c in enumerate((0.0031, 0.012, 0.029, 0.04))]
    write_report(out, build_report("s", RunInfo(date="d", kodo_version="v"), results, out))
    dom = _Dom()
    dom.feed(_run_browser(tmp_path, "--dump-dom", (out / "report.html").as_uri()))
    page = (out / "report.html").read_text()
    assert "$0.0050 – $0.010" in page and "$0.035 – $0.040" in page
    assert "base URL the provider default" in " ".join(dom.by_id["run"].split())
