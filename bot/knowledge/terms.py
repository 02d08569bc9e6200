"""A compact term -> row mapping for the search index."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class TermTable:
    """Term -> row number, held as two sorted numpy arrays of string hashes and rows.

    A dict of ~11,000 n-gram strings per language costs ~13 MB over ten languages in
    string objects and hash slots; the same mapping as arrays costs ~1 MB, and a
    question's terms are looked up in one vectorised binary search (measured with
    benchmarks/memory.py). String hashes are
    64-bit and the table is built in the process that queries it, so hashes agree;
    a collision between two terms of one language is about one in 10^9.
    """

    def __init__(self, vocab: dict[str, int]) -> None:
        hashes = np.fromiter((hash(term) for term in vocab), dtype=np.int64, count=len(vocab))
        rows = np.fromiter(vocab.values(), dtype=np.int32, count=len(vocab))
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._rows = rows[order]

    def lookup(self, terms: Iterable[str]) -> np.ndarray:
        """Row of each term, -1 where the content never uses it."""
        wanted = np.fromiter((hash(term) for term in terms), dtype=np.int64)
        if not len(self._hashes):
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._hashes, wanted), len(self._hashes) - 1)
        return np.where(self._hashes[at] == wanted, self._rows[at], -1).astype(np.int64)
