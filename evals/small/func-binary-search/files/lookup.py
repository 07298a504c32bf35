def search(items, target):
    """Binary search: return the index of target in the sorted list items, or -1.

    items is sorted in ascending order and has no duplicates.
    search([1, 3, 5, 7], 5) -> 2
    search([1, 3, 5, 7], 4) -> -1
    """
    raise NotImplementedError
