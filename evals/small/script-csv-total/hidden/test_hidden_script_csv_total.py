from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_total():
    assert abs(float((HERE / "total.txt").read_text().strip()) - 50.5) < 1e-6
