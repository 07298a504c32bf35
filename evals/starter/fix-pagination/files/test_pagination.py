from pagination import page, page_count


def test_first_page():
    assert page(list(range(10)), 1, 3) == [0, 1, 2]


def test_count_rounds_up():
    assert page_count(list(range(10)), 3) == 4
