def is_palindrome(text):
    """Return True if text reads the same forwards and backwards.

    Only letters and digits count; case, spaces and punctuation are ignored.
    is_palindrome("A man, a plan, a canal: Panama") -> True
    is_palindrome("hello") -> False
    """
    chars = [ch.lower() for ch in text if ch.isalnum()]
    return chars == chars[::-1]
