def flatten(items):
    """Return a new flat list with every non-list item of a nested list, in order.

    Lists may be nested to any depth. Only lists are flattened: strings, tuples
    and other values are kept as single items.
    flatten([1, [2, [3, [4]]], 5]) -> [1, 2, 3, 4, 5]
    """
    raise NotImplementedError
