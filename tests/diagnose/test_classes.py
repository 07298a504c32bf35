"""Every failure class has at least three hand-written logs; each must diagnose to its class."""

from __future__ import annotations

import typing

import pytest

from kodo.diagnose import diagnose_paths
from kodo.diagnose.model import FailureClass
from tests.diagnose.conftest import DATA

CLASS_LOGS = sorted(p for p in DATA.glob("*/*") if p.is_file() and p.parent.name != "multirank")


@pytest.mark.parametrize("log", CLASS_LOGS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_top_finding_class(log) -> None:
    d = diagnose_paths([str(log)])
    assert d.findings[0].class_ == log.parent.name, d.verdict
    assert d.verdict.startswith(log.parent.name)


def test_at_least_three_logs_per_class() -> None:
    for cls in typing.get_args(FailureClass):
        logs = [p for p in CLASS_LOGS if p.parent.name == cls]
        assert len(logs) >= 3, cls


@pytest.mark.parametrize("cls", [c for c in typing.get_args(FailureClass) if c != "unknown"])
def test_known_findings_carry_evidence_and_fixes(cls: str) -> None:
    for log in (p for p in CLASS_LOGS if p.parent.name == cls):
        top = diagnose_paths([str(log)]).findings[0]
        assert top.evidence, log
        assert all(e.file == str(log) and e.line >= 1 for e in top.evidence)
        assert top.fixes and 0.5 <= top.confidence <= 1.0


def test_unknown_has_zero_confidence_and_generic_fixes(data) -> None:
    d = diagnose_paths([str(data / "unknown" / "plain.log")])
    assert [f.class_ for f in d.findings] == ["unknown"]
    assert d.findings[0].confidence == 0.0
    assert any("NCCL_DEBUG=INFO" in fix for fix in d.findings[0].fixes)


def test_unknown_quotes_warn_lines_a_rule_only_took_as_context(tmp_path) -> None:
    log = tmp_path / "pod.log"
    log.write_text(
        "worker0-0d9gnb:15:91 [3] include/socket.h 398 NCCL WARN Call to write failed : "
        "Connection reset by peer.\n"
    )
    top = diagnose_paths([str(log)]).findings[0]
    assert top.class_ == "unknown"
    assert "pod.log:1" in top.summary and "Connection reset by peer" in top.summary
