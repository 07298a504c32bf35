def search(items, target):
    """Binary search: return the index of target in the sorted list items, or -1.

    items is sorted in ascending order and has no duplicates.
    search([1, 3, 5, 7], 5) -> 2
    search([1, 3, 5, 7], 4) -> -1
    """
    low, high = 0, len(items) - 1
    while low <= high:
        mid = (low + high) // 2
        if items[mid] == target:
            return mid
        if items[mid] < target:
            low = mid + 1
        else:
            high = mid - 1
    return -1
