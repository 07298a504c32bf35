from durations import parse_duration


def test_all_units():
    assert parse_duration("1h30m") == 5400
    assert parse_duration("2h5s") == 7205
    assert parse_duration("45s") == 45
    assert parse_duration("10m") == 600
