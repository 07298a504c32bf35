from textutils import slugify, truncate


def test_slugify():
    assert slugify("Crème Brûlée!") == "creme-brulee"
    assert slugify("  Hello,   World  ") == "hello-world"
    assert slugify("v2.0 release") == "v2-0-release"
    assert slugify("---") == ""


def test_truncate_still_works():
    assert truncate("abcdef", 4) == "abc…"
