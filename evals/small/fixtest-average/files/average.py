def average(numbers):
    """Return the mean of a list of numbers, or 0 for an empty list."""
    return sum(numbers) / len(numbers)
