from wordcount import count_words


def test_whitespace_and_case():
    assert count_words("The cat\n the  CAT") == {"the": 2, "cat": 2}
