from mathutils import sum_to


def test_sum_to():
    assert sum_to(3) == 6
