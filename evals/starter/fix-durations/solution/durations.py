import re


def parse_duration(text):
    """Seconds in a duration like '1h30m', '45s' or '2h5s'."""
    units = {"h": 3600, "m": 60, "s": 1}
    total = 0
    for amount, unit in re.findall(r"(\d+)([hms])", text):
        total += int(amount) * units[unit]
    return total
