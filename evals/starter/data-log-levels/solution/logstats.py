import re

_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}):\d{2}:\d{2} ([A-Z]+) ")


def _parsed(path):
    with open(path) as f:
        for line in f:
            match = _LINE.match(line)
            if match:
                yield match[1], match[2]


def count_levels(path):
    counts = {}
    for _, level in _parsed(path):
        counts[level] = counts.get(level, 0) + 1
    return counts


def errors_per_hour(path):
    hours = {}
    for hour, level in _parsed(path):
        if level == "ERROR":
            hours[hour] = hours.get(hour, 0) + 1
    return hours
