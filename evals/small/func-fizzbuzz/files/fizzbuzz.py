def fizzbuzz(n):
    """Return a list of strings for the numbers 1..n.

    Multiples of 3 become "Fizz", multiples of 5 become "Buzz", multiples of both
    become "FizzBuzz", and every other number becomes its digits, e.g. "7".
    fizzbuzz(5) -> ["1", "2", "Fizz", "4", "Buzz"]
    """
    raise NotImplementedError
