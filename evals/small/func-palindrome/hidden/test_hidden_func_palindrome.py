from palindrome import is_palindrome


def test_palindromes():
    assert is_palindrome("A man, a plan, a canal: Panama") is True
    assert is_palindrome("No 'x' in Nixon") is True
    assert is_palindrome("Racecar") is True
    assert is_palindrome("12321") is True
    assert is_palindrome("") is True


def test_not_palindromes():
    assert is_palindrome("hello") is False
    assert is_palindrome("ab") is False
    assert is_palindrome("123 456") is False
