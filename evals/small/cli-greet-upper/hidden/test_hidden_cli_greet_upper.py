import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def greet(*args):
    proc = subprocess.run(
        [sys.executable, "greet.py", *args],
        cwd=HERE,
        input="",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_upper_flag():
    assert greet("Ada", "--upper") == "HELLO, ADA!"
    assert greet("--upper", "bob") == "HELLO, BOB!"


def test_default_unchanged():
    assert greet("Ada") == "Hello, Ada!"
