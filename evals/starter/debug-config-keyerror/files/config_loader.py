import json

DEFAULTS = {"retries": 3, "timeout": 30}


def load(path):
    with open(path) as f:
        raw = json.load(f)
    return {
        "host": raw["host"],
        "retries": int(raw["retries"]),
        "timeout": raw.get("timeout", DEFAULTS["timeout"]),
    }
