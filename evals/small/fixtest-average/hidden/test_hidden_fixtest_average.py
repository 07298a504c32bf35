from average import average


def test_average():
    assert average([1, 2, 3]) == 2
    assert average([4]) == 4
    assert average([1, 2]) == 1.5


def test_empty_list():
    assert average([]) == 0
