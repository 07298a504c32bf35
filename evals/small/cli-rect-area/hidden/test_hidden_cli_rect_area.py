import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def area(*args):
    return subprocess.run(
        [sys.executable, "area.py", *args],
        cwd=HERE,
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_area():
    proc = area("--width", "3", "--height", "4")
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) == 12
    proc = area("--height", "2.5", "--width", "2")
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) == 5


def test_missing_option_fails():
    assert area("--width", "3").returncode != 0
