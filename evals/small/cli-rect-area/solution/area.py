import argparse

parser = argparse.ArgumentParser(description="Area of a rectangle.")
parser.add_argument("--width", type=float, required=True)
parser.add_argument("--height", type=float, required=True)
args = parser.parse_args()
print(args.width * args.height)
