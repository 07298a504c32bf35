import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_prints_hello():
    proc = subprocess.run(
        [sys.executable, "hello.py"], cwd=HERE, input="", capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Hello, World!"
