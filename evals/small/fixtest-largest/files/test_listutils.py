from listutils import largest


def test_largest():
    assert largest([3, 7, 2]) == 7
