import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def mean(stdin):
    proc = subprocess.run(
        [sys.executable, "mean.py"],
        cwd=HERE,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return float(proc.stdout.strip())


def test_one_per_line():
    assert mean("1\n2\n3\n4\n") == 2.5
    assert mean("4\n8\n15\n16\n23\n42\n") == 18


def test_decimals_and_blank_lines():
    assert abs(mean("1.5\n\n2.5\n-1\n") - 1.0) < 1e-9
    assert mean("7") == 7
