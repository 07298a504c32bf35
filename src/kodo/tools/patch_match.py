"""Finding a hunk's lines in a file, tolerating the whitespace slips models make, and finding the
closest lines when that fails, so the error can show the model what the file really says."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from difflib import SequenceMatcher

# Exact first; then ignoring trailing whitespace; then ignoring surrounding whitespace.
_LEVELS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.rstrip,
    str.strip,
)
_CANDIDATES = 50  # regions compared in detail when some lines match exactly
_FULL_SCAN_WINDOWS = 2000  # else the regions compared, from the top of the file


def _find(lines: list[str], pattern: list[str], start: int, only_at: int | None) -> int | None:
    last = len(lines) - len(pattern)
    for norm in _LEVELS:
        want = [norm(p) for p in pattern]
        positions = [only_at] if only_at is not None else range(start, last + 1)
        for k in positions:
            if all(norm(lines[k + i]) == w for i, w in enumerate(want)):
                return k
    return None


def seek(lines: list[str], pattern: list[str], start: int, *, at_end: bool = False) -> int | None:
    """Index of the first occurrence of ``pattern`` at or after ``start``. ``at_end`` (a hunk
    marked ``*** End of File``) prefers the occurrence that ends the file."""
    last = len(lines) - len(pattern)
    if last < start:
        return None
    if at_end:
        found = _find(lines, pattern, start, only_at=last)
        if found is not None:
            return found
    return _find(lines, pattern, start, only_at=None)


def _votes(stripped: list[str], pattern: list[str], windows: int) -> list[int]:
    """Window starts ranked by how many pattern lines they hold at the right offset (ignoring
    surrounding whitespace); empty when no line of the pattern occurs in the file."""
    where: dict[str, list[int]] = {}
    for i, line in enumerate(pattern):
        if line.strip():
            where.setdefault(line.strip(), []).append(i)
    votes: Counter[int] = Counter()
    for j, line in enumerate(stripped):
        for i in where.get(line, ()):
            k = j - i
            if 0 <= k < windows:
                votes[k] += 1
    return [k for k, _ in votes.most_common(_CANDIDATES)]


def nearest(lines: list[str], pattern: list[str]) -> tuple[int, int] | None:
    """``(first index, length)`` of the region of ``lines`` most similar to ``pattern``: among
    the regions sharing the most exact lines with it, else (small files) among all regions, the
    one with the most similar text."""
    if not lines or not pattern:
        return None
    size = min(len(pattern), len(lines))
    stripped = [line.strip() for line in lines]
    windows = len(lines) - size + 1
    candidates = _votes(stripped, pattern, windows) or range(min(windows, _FULL_SCAN_WINDOWS))
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2("\n".join(p.strip() for p in pattern))
    best, best_k = -1.0, 0
    for k in candidates:
        matcher.set_seq1("\n".join(stripped[k : k + size]))
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_k = ratio, k
    return best_k, size
