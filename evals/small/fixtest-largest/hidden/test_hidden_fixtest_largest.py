from listutils import largest


def test_largest():
    assert largest([3, 7, 2]) == 7
    assert largest([5]) == 5
    assert largest([-4, -1, -9]) == -1
    assert largest([1, 2, 3, 10]) == 10
    assert largest([2.5, 2.25]) == 2.5
