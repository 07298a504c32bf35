import json

from config_loader import load


def test_defaults_and_explicit(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"host": "h"}))
    assert load(p) == {"host": "h", "retries": 3, "timeout": 30}
    p.write_text(json.dumps({"host": "h", "retries": "5", "timeout": 2}))
    assert load(p) == {"host": "h", "retries": 5, "timeout": 2}
