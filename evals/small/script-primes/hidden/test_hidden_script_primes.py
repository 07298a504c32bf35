import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRIMES = ["2", "3", "5", "7", "11", "13", "17", "19", "23", "29", "31", "37", "41", "43", "47"]


def lines(text):
    return [line.strip() for line in text.strip().splitlines()]


def test_script_prints_primes():
    proc = subprocess.run(
        [sys.executable, "primes.py"],
        cwd=HERE,
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    assert lines(proc.stdout) == PRIMES


def test_output_saved():
    assert lines((HERE / "primes.txt").read_text()) == PRIMES
