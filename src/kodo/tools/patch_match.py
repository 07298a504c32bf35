"""Finding a hunk's lines in a file, tolerating the whitespace and punctuation slips models make,
and finding the closest lines when that fails, so the error can show the model what the file
really says.

Both stay linear-ish whatever the input: lines are compared as ids (each distinct line once)
and searched with Knuth-Morris-Pratt, and the "closest lines" score compares at most a few
lines of bounded length per candidate region, so a 1 MB minified line or a file of thousands
of identical lines costs milliseconds, not minutes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

# Typographic characters models write as ASCII (or the other way round), as Codex also
# tolerates in its last, most lenient pass.
_ASCII = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f", '"'),
        **dict.fromkeys("\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a", " "),
        **dict.fromkeys("\u202f\u205f\u3000", " "),
    }
)

# Exact first; then ignoring trailing whitespace; then surrounding whitespace; then also
# typographic punctuation.
_LEVELS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.rstrip,
    str.strip,
    lambda s: s.strip().translate(_ASCII),
)
_CANDIDATES = 50  # regions scored when some lines match exactly
_FULL_SCAN_WINDOWS = 2000  # else the regions scored, from the top of the file
_SCORED_LINES = 8  # lines of a region compared with the pattern
_SCORED_CHARS = 160  # characters of a line compared
_COMMON = 64  # a line found more often than this in the file locates nothing
_SPREAD = 8  # pattern positions at which one repeated line votes


def _kmp(text: list[int], pattern: list[int], start: int) -> int | None:
    """First index at or after ``start`` where ``pattern`` occurs in ``text``, in
    O(len(text) + len(pattern)) steps."""
    fail = [0] * len(pattern)
    k = 0
    for i in range(1, len(pattern)):
        while k and pattern[i] != pattern[k]:
            k = fail[k - 1]
        if pattern[i] == pattern[k]:
            k += 1
        fail[i] = k
    k = 0
    for i in range(start, len(text)):
        while k and text[i] != pattern[k]:
            k = fail[k - 1]
        if text[i] == pattern[k]:
            k += 1
            if k == len(pattern):
                return i - k + 1
    return None


class Finder:
    """Searches one file's lines; each tolerance level's normalised lines are computed once."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._levels: dict[int, tuple[dict[str, int], list[int]]] = {}

    def _ids(self, level: int) -> tuple[dict[str, int], list[int]]:
        if level not in self._levels:
            norm = _LEVELS[level]
            table: dict[str, int] = {}
            ids = [table.setdefault(norm(line), len(table)) for line in self.lines]
            self._levels[level] = (table, ids)
        return self._levels[level]

    def _find(self, pattern: list[str], start: int, only_at: int | None) -> int | None:
        for level, norm in enumerate(_LEVELS):
            table, ids = self._ids(level)
            want = [table.get(norm(p), -1) for p in pattern]
            if -1 in want:  # a line the file does not have at this level
                continue
            if only_at is not None:
                if ids[only_at : only_at + len(want)] == want:
                    return only_at
                continue
            found = _kmp(ids, want, start)
            if found is not None:
                return found
        return None

    def seek(self, pattern: list[str], start: int, *, at_end: bool = False) -> int | None:
        """Index of the first occurrence of ``pattern`` at or after ``start``. ``at_end`` (a
        hunk marked ``*** End of File``) prefers the occurrence that ends the file."""
        last = len(self.lines) - len(pattern)
        if last < start or not pattern:
            return None
        if at_end:
            found = self._find(pattern, start, only_at=last)
            if found is not None:
                return found
        return self._find(pattern, start, only_at=None)


def _votes(stripped: list[str], pattern: list[str], windows: int) -> list[int]:
    """Window starts ranked by how many pattern lines they hold at the right offset (ignoring
    surrounding whitespace); empty when no line of the pattern occurs in the file. Lines that
    are everywhere (a lone brace) are skipped: they say nothing about where the hunk was
    meant to go, and counting them would cost the product of their two counts."""
    where: dict[str, list[int]] = {}
    for i, line in enumerate(pattern):
        key = line.strip()
        if key and len(where.setdefault(key, [])) < _SPREAD:
            where[key].append(i)
    found = Counter(line for line in stripped if line in where)
    votes: Counter[int] = Counter()
    for j, line in enumerate(stripped):
        if line in where and found[line] <= _COMMON:
            for i in where[line]:
                if 0 <= j - i < windows:
                    votes[j - i] += 1
    return [k for k, _ in votes.most_common(_CANDIDATES)]


def _trigrams(line: str) -> frozenset[str]:
    text = line[:_SCORED_CHARS]
    return frozenset(text[i : i + 3] for i in range(max(1, len(text) - 2)))


def nearest(lines: list[str], pattern: list[str]) -> tuple[int, int] | None:
    """``(first index, length)`` of the region of ``lines`` most similar to ``pattern``: among
    the regions sharing the most exact lines with it, else (small files) among all regions, the
    one whose first lines share the most character trigrams with the pattern's."""
    if not lines or not pattern:
        return None
    size = min(len(pattern), len(lines))
    stripped = [line.strip() for line in lines]
    windows = len(lines) - size + 1
    candidates = _votes(stripped, pattern, windows) or range(min(windows, _FULL_SCAN_WINDOWS))
    wanted = [_trigrams(p.strip()) for p in pattern[:_SCORED_LINES]]
    grams: dict[int, frozenset[str]] = {}
    best, best_k = -1.0, 0
    for k in candidates:
        score = 0.0
        for i, want in enumerate(wanted[:size]):
            have = grams.get(k + i)
            if have is None:
                have = grams[k + i] = _trigrams(stripped[k + i])
            score += 2 * len(want & have) / ((len(want) + len(have)) or 1)
        if score > best:
            best, best_k = score, k
    return best_k, size


def abbreviated(line: str, limit: int = 200) -> str:
    """``line``, or for a long one its start and end with the count of characters left out, so
    an error quoting a minified line stays readable."""
    if len(line) <= limit:
        return line
    head, tail = limit * 3 // 4, limit // 4
    return f"{line[:head]} … [{len(line) - head - tail} more characters] … {line[-tail:]}"
