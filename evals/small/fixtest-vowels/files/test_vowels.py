from vowels import count_vowels


def test_count_vowels():
    assert count_vowels("Apple") == 2
