def page(items, number, size):
    """Items on 1-based page ``number`` when split into pages of ``size``."""
    start = (number - 1) * size
    return items[start : start + size]


def page_count(items, size):
    return -(-len(items) // size)
