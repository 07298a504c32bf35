from logstats import count_levels, errors_per_hour

LOG = """2024-05-01T10:00:00 INFO started
2024-05-01T10:05:00 ERROR disk full
not a log line

2024-05-01T10:59:59 ERROR again
2024-05-01T12:00:00 ERROR later
2024-05-01T12:00:01 DEBUG detail
"""


def test_levels(tmp_path):
    log = tmp_path / "x.log"
    log.write_text(LOG)
    assert count_levels(log) == {"INFO": 1, "ERROR": 3, "DEBUG": 1}
    assert errors_per_hour(log) == {"2024-05-01T10": 2, "2024-05-01T12": 1}
