import re
import unicodedata


def truncate(text, width):
    return text if len(text) <= width else text[: width - 1] + "…"


def slugify(text):
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
