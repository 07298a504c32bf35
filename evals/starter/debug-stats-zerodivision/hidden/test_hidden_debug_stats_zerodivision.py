from stats import summary


def test_empty():
    assert summary([]) == {"count": 0, "mean": None, "max": None}


def test_values():
    assert summary([1, 2, 6]) == {"count": 3, "mean": 3, "max": 6}
