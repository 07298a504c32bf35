"""Inputs real users feed us: huge, binary, UTF-16, corrupt, unreadable; and pattern cost."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import time
import tracemalloc

import pytest

from kodo.diagnose import diagnose_paths
from kodo.diagnose.cli import ProgressLine
from kodo.diagnose.reader import MAX_LINE_CHARS, ReadStats, decode_stream
from kodo.diagnose.rules import all_rules
from tests.diagnose.conftest import KODO

WATCHDOG = (
    "[rank3]:[E1124 23:10:05.123456 ProcessGroupNCCL.cpp:616] [Rank 3] Watchdog caught "
    "collective operation timeout: WorkNCCL(SeqNum=9, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, "
    "Timeout(ms)=600000) ran for 600046 milliseconds before timing out.\n"
)


class _Endless(io.RawIOBase):
    """A stream of SIZE bytes of one character and no newline, produced lazily."""

    def __init__(self, size: int, byte: bytes = b"x") -> None:
        self.left = size
        self.byte = byte

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
        n = min(len(buf), self.left)
        buf[:n] = self.byte * n
        self.left -= n
        return n


def test_200mb_line_without_newline_is_read_in_bounded_memory() -> None:
    stats = ReadStats()
    tracemalloc.start()
    start = time.perf_counter()
    longest = 0
    for chunk in decode_stream(io.BufferedReader(_Endless(200 * 1024 * 1024)), stats):
        longest = max(longest, len(chunk))
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert longest <= MAX_LINE_CHARS + 1
    assert stats.long_lines == 1 and stats.bytes_read == 200 * 1024 * 1024
    assert peak < 64 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"
    assert elapsed < 30


def test_2gb_sparse_file_of_nul_bytes_is_reported_binary_fast(tmp_path) -> None:
    big = tmp_path / "core.log"
    with big.open("wb") as fh:
        fh.truncate(2 * 1024**3)  # sparse: nothing is written to disk
    good = tmp_path / "rank3.log"
    good.write_text(WATCHDOG)
    start = time.perf_counter()
    d = diagnose_paths([str(big), str(good)])
    assert time.perf_counter() - start < 5
    assert any(str(big) in p and "binary" in p for p in d.problems)
    assert d.findings[0].class_ == "collective_timeout"


def test_every_pattern_is_linear_on_a_1mb_line_of_trigger_words() -> None:
    rules = all_rules()
    words = " ".join(sorted({r.needle for r in rules}))
    line = (words + " 12345 [rank1]: ") * (1024 * 1024 // (len(words) + 16))
    assert len(line) >= 1_000_000
    for rule in rules:
        start = time.perf_counter()
        rule.regex.search(line)  # the whole line, not the scanner's window around the needle
        assert time.perf_counter() - start < 0.5, rule


def test_1mb_line_of_trigger_words_scans_well_under_a_second(tmp_path) -> None:
    words = " ".join(sorted({r.needle for r in all_rules()}))
    log = tmp_path / "flood.log"
    log.write_text((words + " ") * (1024 * 1024 // (len(words) + 1)) + "\n" + WATCHDOG)
    start = time.perf_counter()
    d = diagnose_paths([str(log)])
    assert time.perf_counter() - start < 1.0
    assert d.lines_scanned == 2


def test_corrupt_gzip_is_reported_and_the_rest_analysed(tmp_path) -> None:
    good = tmp_path / "rank3.log.gz"
    good.write_bytes(gzip.compress(WATCHDOG.encode()))
    bad = tmp_path / "rank4.log.gz"
    bad.write_bytes(gzip.compress(WATCHDOG.encode() * 50)[:-40] + b"\0" * 40)
    d = diagnose_paths([str(tmp_path)])
    assert any(str(bad) in p and "corrupt gzip" in p for p in d.problems)
    assert d.files == [str(good)]
    assert d.findings[0].class_ == "collective_timeout"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_logs_are_detected(tmp_path, encoding: str) -> None:
    log = tmp_path / "rank3.log"
    log.write_bytes(("noise line\n" + WATCHDOG).encode(encoding))
    d = diagnose_paths([str(log)])
    assert d.findings[0].class_ == "collective_timeout"
    assert d.findings[0].evidence[0].line == 2


def test_empty_and_binary_inputs_say_so(tmp_path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    blob = tmp_path / "model.bin"
    blob.write_bytes(bytes(range(256)) * 64)
    d = diagnose_paths([str(empty), str(blob)])
    assert any("empty" in p for p in d.problems)
    assert any("binary" in p for p in d.problems)
    assert d.findings[0].class_ == "unknown"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of mode")
def test_unreadable_file_and_subdir_reported_rest_analysed(tmp_path) -> None:
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "rank3.log").write_text(WATCHDOG)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "rank4.log").write_text(WATCHDOG)
    secret = tmp_path / "secret.log"
    secret.write_text(WATCHDOG)
    locked.chmod(0)
    secret.chmod(0)
    try:
        d = diagnose_paths([str(tmp_path)])
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert any("locked" in p and "cannot list" in p for p in d.problems)
    assert any("secret.log" in p and "permission denied" in p for p in d.problems)
    assert d.findings[0].class_ == "collective_timeout"


def test_unknown_quotes_first_and_most_anomalous_lines(tmp_path) -> None:
    log = tmp_path / "train.log"
    log.write_text(
        "step 1 loss 2.0\n"
        "warning: dataloader slow\n"
        "step 2 loss 1.9\n"
        "terminate called after throwing an instance of 'std::bad_alloc'\n"
        "step 3 loss 1.8\n"
    )
    top = diagnose_paths([str(log)]).findings[0]
    assert top.class_ == "unknown" and top.confidence == 0.0
    lines = {e.line for e in top.evidence}
    assert {2, 4} <= lines
    assert all(e.file == str(log) for e in top.evidence)


def test_progress_line_waits_a_second_then_reports_bytes_and_rate() -> None:
    clock = iter([0.0, 0.5, 1.5, 1.6, 2.0])
    out = io.StringIO()
    progress = ProgressLine(out, now=lambda: next(clock))
    progress(10_000_000)  # t=0.5: too early
    assert out.getvalue() == ""
    progress(10_000_000)  # t=1.5
    assert "read 20 MB" in out.getvalue() and "MB/s" in out.getvalue()
    progress(1)  # t=1.6: rate-limited
    progress.close()
    assert out.getvalue().count("read ") == 1


def test_cli_without_tty_prints_no_progress(tmp_path) -> None:
    log = tmp_path / "rank3.log"
    log.write_text(WATCHDOG)
    r = subprocess.run([str(KODO), "diagnose", str(log)], capture_output=True, timeout=60)
    assert r.returncode == 0 and b"read " not in r.stderr


def test_unreadable_paths_reported_even_as_root(tmp_path, monkeypatch) -> None:
    from kodo.diagnose import reader

    (tmp_path / "rank3.log").write_text(WATCHDOG)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "rank4.log").write_text(WATCHDOG)
    (tmp_path / "secret.log").write_text(WATCHDOG)
    real_scandir, real_access = os.scandir, os.access

    def scandir(path):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(
        reader.os, "access", lambda p, m: not str(p).endswith("secret.log") and real_access(p, m)
    )
    d = diagnose_paths([str(tmp_path)])
    assert any("locked" in p and "cannot list" in p for p in d.problems)
    assert any("secret.log" in p and "permission denied" in p for p in d.problems)
    assert d.files == [str(tmp_path / "rank3.log")]
    assert d.findings[0].class_ == "collective_timeout"
