from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_count_file():
    assert (HERE / "count.txt").read_text().strip() == "11"
