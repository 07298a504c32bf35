import sys

numbers = [float(word) for word in sys.stdin.read().split()]
print(sum(numbers) / len(numbers))
