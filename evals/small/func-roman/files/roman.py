def to_roman(number):
    """Return the Roman numeral for an integer from 1 to 3999, in upper case.

    to_roman(4) -> "IV"
    to_roman(1994) -> "MCMXCIV"
    """
    raise NotImplementedError
