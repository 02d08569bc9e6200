"""A compact term -> row mapping for the search index."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

# Terms are words, word pairs and n-grams of a message split on whitespace: never a newline.
SEPARATOR = "\n"


class TermTable:
    """Term -> row number, held as two sorted numpy arrays of string hashes and rows.

    A dict of ~11,000 n-gram strings per language costs ~13 MB over ten languages in
    string objects and hash slots; the same mapping as arrays costs ~1 MB, and a
    question's terms are looked up in one vectorised binary search (measured with
    benchmarks/memory.py). String hashes are 64-bit; a collision between two terms of
    one language is about one in 10^9.

    Python's string hash is seeded per process, so hashes computed in one process mean
    nothing in another. The terms are kept as one joined string (a fraction of the
    dict's memory) and a table loaded from the on-disk index cache hashes them again.
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        if any(SEPARATOR in term for term in vocab):
            raise ValueError("a search term holds a line break")
        rows = np.fromiter(vocab.values(), dtype=np.int32, count=len(vocab))
        self._index(SEPARATOR.join(vocab), rows)

    def _index(self, terms: str, rows: np.ndarray) -> None:
        self._terms = terms
        self._term_rows = rows
        listed = terms.split(SEPARATOR) if terms else []
        hashes = np.fromiter((hash(term) for term in listed), dtype=np.int64, count=len(listed))
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._rows = rows[order]

    def __getstate__(self) -> tuple[str, np.ndarray]:
        """Pickled as the terms and their rows: the hashes belong to this process."""
        return self._terms, self._term_rows

    def __setstate__(self, state: tuple[Any, Any]) -> None:
        terms, rows = state
        self._index(terms, rows)

    def lookup(self, terms: Iterable[str]) -> np.ndarray:
        """Row of each term, -1 where the content never uses it."""
        wanted = np.fromiter((hash(term) for term in terms), dtype=np.int64)
        if not len(self._hashes):
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._hashes, wanted), len(self._hashes) - 1)
        return np.where(self._hashes[at] == wanted, self._rows[at], -1).astype(np.int64)
