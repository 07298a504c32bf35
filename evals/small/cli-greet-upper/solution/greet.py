import argparse


def main():
    parser = argparse.ArgumentParser(description="Greet someone.")
    parser.add_argument("name")
    parser.add_argument("--upper", action="store_true", help="shout the greeting")
    args = parser.parse_args()
    greeting = f"Hello, {args.name}!"
    print(greeting.upper() if args.upper else greeting)


if __name__ == "__main__":
    main()
