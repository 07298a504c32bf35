from words import word_counts


def test_word_counts():
    assert word_counts("The cat saw the dog.") == {"the": 2, "cat": 1, "saw": 1, "dog": 1}
    assert word_counts("Hi! hi,  HI?\nhi") == {"hi": 4}
    assert word_counts("one; two: three, two.") == {"one": 1, "two": 2, "three": 1}
    assert word_counts("") == {}
    assert word_counts("  ... !!  ") == {}
