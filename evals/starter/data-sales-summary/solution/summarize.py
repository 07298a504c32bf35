import csv
import json
import sys


def summarize(path):
    regions = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            regions[row["region"]] = regions.get(row["region"], 0) + float(row["amount"])
    return {
        "regions": regions,
        "total": sum(regions.values()),
        "top_region": max(regions, key=regions.get) if regions else None,
    }


def main(argv):
    try:
        print(json.dumps(summarize(argv[1])))
    except FileNotFoundError:
        print(f"no such file: {argv[1]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
