from nested import flatten


def test_flatten():
    assert flatten([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]
    assert flatten([]) == []
    assert flatten([[], [[]]]) == []
    assert flatten([1, 2, 3]) == [1, 2, 3]
    assert flatten(["ab", ["cd", ["e"]]]) == ["ab", "cd", "e"]
    assert flatten([(1, 2), [3]]) == [(1, 2), 3]


def test_does_not_change_input():
    data = [1, [2, [3]]]
    flatten(data)
    assert data == [1, [2, [3]]]
