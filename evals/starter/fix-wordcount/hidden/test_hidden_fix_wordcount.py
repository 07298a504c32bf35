from wordcount import count_words


def test_mixed():
    assert count_words("The cat\n the  CAT\tsat") == {"the": 2, "cat": 2, "sat": 1}


def test_empty():
    assert count_words("   ") == {}
