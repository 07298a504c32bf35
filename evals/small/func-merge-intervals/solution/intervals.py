def merge_intervals(intervals):
    """Merge overlapping intervals.

    intervals is a list of [start, end] pairs in any order. Return a new list of
    [start, end] lists, sorted by start, where overlapping or touching intervals
    are merged into one.
    merge_intervals([[1, 3], [2, 6], [8, 10]]) -> [[1, 6], [8, 10]]
    merge_intervals([[1, 4], [4, 5]]) -> [[1, 5]]
    """
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged
