from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "diagnose"
KODO = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kodo"


@pytest.fixture
def data() -> Path:
    return DATA
