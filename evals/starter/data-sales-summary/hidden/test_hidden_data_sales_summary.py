import json
import subprocess
import sys


def run(*args):
    return subprocess.run([sys.executable, "summarize.py", *args], capture_output=True, text=True)


def test_summary(tmp_path):
    data = tmp_path / "s.csv"
    data.write_text("region,product,amount\nwest,a,1\neast,b,2.5\nwest,c,3\n")
    proc = run(str(data))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["regions"] == {"west": 4, "east": 2.5}
    assert out["total"] == 6.5
    assert out["top_region"] == "west"


def test_missing_file(tmp_path):
    proc = run(str(tmp_path / "none.csv"))
    assert proc.returncode == 1
    assert proc.stderr.strip()
