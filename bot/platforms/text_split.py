"""Split long plain text into pieces a platform accepts, keeping paragraphs whole if it can.

Platform-neutral on purpose: Telegram (4096) and Discord (2000) share it with their own
limit and their own way of counting length.
"""

from __future__ import annotations

from collections.abc import Callable

PARAGRAPH = "\n\n"
LINE = "\n"

Measure = Callable[[str], int]


def split_text(text: str, limit: int, measure: Measure = len) -> list[str]:
    """Pieces of at most `limit` (by `measure`): paragraphs, else lines, else a hard cut.

    The separators at which the text is cut are dropped; nothing else is lost or changed.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if measure(text) <= limit:
        return [text]
    return [piece for piece in _pack(text, PARAGRAPH, limit, measure) if piece]


def _pack(text: str, separator: str, limit: int, measure: Measure) -> list[str]:
    """Greedily join `separator`-delimited parts into pieces that fit; split oversized parts."""
    pieces: list[str] = []
    current: str | None = None
    for part in text.split(separator):
        joined = part if current is None else current + separator + part
        if measure(joined) <= limit:
            current = joined
            continue
        if current is not None:
            pieces.append(current)
        if measure(part) <= limit:
            current = part
        else:
            *full, current = _split_part(part, separator, limit, measure)
            pieces.extend(full)
    if current is not None:
        pieces.append(current)
    return pieces


def _split_part(part: str, separator: str, limit: int, measure: Measure) -> list[str]:
    """A paragraph too long for one piece goes by lines; a line too long is cut hard."""
    if separator == PARAGRAPH:
        return _pack(part, LINE, limit, measure)
    return _hard_cut(part, limit, measure)


def _hard_cut(line: str, limit: int, measure: Measure) -> list[str]:
    """Cut between characters (never inside one), each piece as long as the limit allows."""
    pieces: list[str] = []
    start = 0
    while start < len(line):
        end = _longest_fit(line, start, limit, measure)
        pieces.append(line[start:end])
        start = end
    return pieces


def _longest_fit(line: str, start: int, limit: int, measure: Measure) -> int:
    """The largest end such that line[start:end] fits; at least one character (progress)."""
    low, high = start + 1, min(len(line), start + limit)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(line[start:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low
