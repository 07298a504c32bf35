def count_vowels(text):
    """Return how many vowels (a, e, i, o, u, upper or lower case) are in text."""
    return sum(1 for ch in text if ch in "aeiou")
