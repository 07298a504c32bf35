from durations import parse_duration


def test_hours():
    assert parse_duration("1h30m") == 5400
