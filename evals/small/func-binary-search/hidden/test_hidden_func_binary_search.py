from lookup import search


def test_found():
    items = [1, 3, 5, 7, 9, 11]
    for index, value in enumerate(items):
        assert search(items, value) == index
    assert search([42], 42) == 0


def test_missing():
    assert search([1, 3, 5, 7], 4) == -1
    assert search([1, 3, 5, 7], 0) == -1
    assert search([1, 3, 5, 7], 8) == -1
    assert search([], 1) == -1


def test_large_list():
    items = list(range(0, 200000, 2))
    assert search(items, 123456) == 61728
    assert search(items, 123457) == -1
