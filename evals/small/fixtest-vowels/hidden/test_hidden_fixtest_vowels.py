from vowels import count_vowels


def test_count_vowels():
    assert count_vowels("Apple") == 2
    assert count_vowels("AEIOU xyz") == 5
    assert count_vowels("banana") == 3
    assert count_vowels("rhythm") == 0
    assert count_vowels("") == 0
