def word_counts(text):
    """Return a dict mapping each word in text to how many times it occurs.

    Split text on whitespace, lowercase each word and strip the punctuation
    characters . , ! ? ; : from both ends; skip words that end up empty.
    word_counts("The cat saw the dog.") -> {"the": 2, "cat": 1, "saw": 1, "dog": 1}
    """
    raise NotImplementedError
