"""The real CLI: exit codes, --json shape, stdin, .gz and directory input."""

from __future__ import annotations

import gzip
import json
import subprocess

from kodo.diagnose import diagnose_paths
from tests.diagnose.conftest import KODO

TOP_KEYS = {
    "verdict",
    "findings",
    "timeline",
    "validation",
    "world_size",
    "files",
    "lines_scanned",
    "problems",
}
FINDING_KEYS = {"class", "confidence", "summary", "ranks", "hosts", "evidence", "fixes"}


def _kodo(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(KODO), "diagnose", *args], input=stdin, capture_output=True, timeout=60
    )


def test_json_output_has_documented_keys(data) -> None:
    r = _kodo("--json", str(data / "multirank" / "silent_rank5_of_8"))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == TOP_KEYS
    assert set(doc["findings"][0]) == FINDING_KEYS
    assert doc["findings"][0]["class"] == "collective_timeout"
    assert doc["findings"][0]["ranks"][0] == 5
    assert set(doc["findings"][0]["evidence"][0]) == {"file", "line", "text"}
    assert set(doc["timeline"][0]) == {"time", "rank", "host", "kind", "file", "line", "text"}


def test_human_report_puts_verdict_first(data) -> None:
    r = _kodo(str(data / "gpu_oom" / "torch_oom.log"))
    assert r.returncode == 0
    assert r.stdout.decode().splitlines()[0].startswith("VERDICT: gpu_oom")


def test_missing_path_exits_2_naming_it(tmp_path) -> None:
    missing = tmp_path / "nope.log"
    r = _kodo(str(missing))
    assert r.returncode == 2
    assert str(missing) in r.stderr.decode() and "no such file" in r.stderr.decode()


def test_corrupt_gzip_exits_2(tmp_path) -> None:
    bad = tmp_path / "bad.log.gz"
    bad.write_bytes(b"\x1f\x8b" + b"not really gzip" * 10)
    r = _kodo(str(bad))
    assert r.returncode == 2
    assert str(bad) in r.stderr.decode() and "cannot read" in r.stderr.decode()


def test_empty_directory_exits_2(tmp_path) -> None:
    r = _kodo(str(tmp_path))
    assert r.returncode == 2
    assert "contains no files" in r.stderr.decode()


def test_unknown_input_exits_0(data) -> None:
    r = _kodo("--json", str(data / "unknown" / "plain.log"))
    assert r.returncode == 0
    assert json.loads(r.stdout)["findings"][0]["class"] == "unknown"


def test_stdin_input(data) -> None:
    text = (data / "slurm_oom" / "cgroup.log").read_bytes()
    r = _kodo("--json", "-", stdin=text)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["findings"][0]["class"] == "slurm_oom"
    assert doc["findings"][0]["evidence"][0]["file"] == "<stdin>"


def test_gzip_input_matches_plain(data, tmp_path) -> None:
    src = data / "ib_transport" / "retry_exc.log"
    gz = tmp_path / "retry_exc.log.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    plain, packed = diagnose_paths([str(src)]), diagnose_paths([str(gz)])
    assert packed.findings[0].class_ == "ib_transport"
    assert [e.line for e in packed.findings[0].evidence] == [
        e.line for e in plain.findings[0].evidence
    ]


def test_directory_and_mixed_inputs(data) -> None:
    d = diagnose_paths([str(data / "multirank" / "oom_rank11_of_16"), str(data / "slurm_oom")])
    assert len(d.files) == 16 + 3
    classes = [f.class_ for f in d.findings]
    assert "gpu_oom" in classes and "slurm_oom" in classes
