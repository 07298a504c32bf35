from pagination import page, page_count


def test_pages():
    items = list(range(10))
    assert page(items, 1, 3) == [0, 1, 2]
    assert page(items, 4, 3) == [9]
    assert page(items, 5, 3) == []


def test_count():
    assert page_count(list(range(10)), 3) == 4
    assert page_count(list(range(9)), 3) == 3
    assert page_count([], 3) == 0
