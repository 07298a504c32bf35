def fizzbuzz(n):
    """Return a list of strings for the numbers 1..n.

    Multiples of 3 become "Fizz", multiples of 5 become "Buzz", multiples of both
    become "FizzBuzz", and every other number becomes its digits, e.g. "7".
    fizzbuzz(5) -> ["1", "2", "Fizz", "4", "Buzz"]
    """
    out = []
    for i in range(1, n + 1):
        word = ("Fizz" if i % 3 == 0 else "") + ("Buzz" if i % 5 == 0 else "")
        out.append(word or str(i))
    return out
