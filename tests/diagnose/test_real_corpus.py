"""Accuracy on real failure logs copied from public threads (tests/data/diagnose/real)."""

from __future__ import annotations

import tomllib
import typing

import pytest

from kodo.diagnose.corpus import CLASS_GOAL, CULPRIT_GOAL, load_cases, report, run_case, score
from kodo.diagnose.model import FailureClass
from tests.diagnose.conftest import DATA

REAL = DATA / "real"
CASES = load_cases(REAL)
REQUIRED = {"source", "cause", "certainty", "expected_class", "origin", "heldout"}


@pytest.fixture(scope="module")
def outcomes():
    return [run_case(c) for c in CASES]


def test_corpus_composition() -> None:
    assert len(CASES) >= 40
    metas = [c.meta for c in CASES]
    outside = sum(bool(m["outside_torch_logging"]) for m in metas)
    assert outside * 3 >= len(CASES), "at least a third from outside PyTorch's own logging"
    assert sum(m["scheduler"] in ("slurm", "kubernetes") for m in metas) >= 8
    assert sum(bool(m["truncated"]) for m in metas) >= 5
    heldout = sum(c.heldout for c in CASES)
    assert 0.15 * len(CASES) <= heldout <= 0.35 * len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_metadata(case) -> None:
    meta = tomllib.loads((case.path / "case.toml").read_text())
    assert set(meta) >= REQUIRED
    if meta["source"] == "local reproduction":  # a real run here: how it was made, versions
        assert "torch " in str(meta["reproduction"])
    else:
        assert str(meta["source"]).startswith("https://")
    assert meta["certainty"] in ("confirmed", "likely")
    assert meta["expected_class"] in typing.get_args(FailureClass)
    assert [p for p in case.path.iterdir() if p.name != "case.toml"], "a case needs its log"


def test_accuracy_meets_goal(outcomes) -> None:
    table = report(outcomes)
    print("\n" + table)
    total = score(outcomes)
    assert total.class_rate >= CLASS_GOAL, table
    assert total.culprit_rate >= CULPRIT_GOAL, table
