from pathlib import Path

HERE = Path(__file__).resolve().parent
ORIGINAL = ["first line", "second line", "third line", "fourth line", "fifth line"]


def lines(path):
    return [line.rstrip() for line in path.read_text().strip().splitlines()]


def test_reversed():
    assert lines(HERE / "reversed.txt") == ORIGINAL[::-1]


def test_original_unchanged():
    assert lines(HERE / "lines.txt") == ORIGINAL
