from __future__ import annotations

import os
from pathlib import Path

import pytest

# The person's own KODO_HOME, read before any test replaces it: where `kodo model pull` (run by
# scripts/install.sh) put the embedded model that the slow end-to-end tests drive.
REAL_KODO_HOME = Path(os.environ.get("KODO_HOME") or Path.home() / ".kodo")


@pytest.fixture(autouse=True)
def kodo_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own KODO_HOME so no test reads or writes the person's real one."""
    home = tmp_path_factory.mktemp("kodo-home")
    monkeypatch.setenv("KODO_HOME", str(home))
    monkeypatch.setenv("KODO_RETRY_BASE_DELAY", "0.01")
    for var in ("KODO_MODEL", "KODO_PROVIDER", "KODO_BASE_URL", "KODO_PROFILE", "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    return home
