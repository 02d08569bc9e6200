"""Neighbourhoods in buttons: a short stable id stands in for the configured name.

Names come from config and may be long in any script (twenty Arabic or Chinese characters
are already 40-60 bytes); a button payload must fit Telegram's 64 bytes with its action. So
buttons carry 8 hex characters of a hash of the name, and handlers map them back against the
configured list, which also refuses anything the list does not hold (payloads are untrusted).
A hash rather than a list position: reordering the list in config leaves old buttons valid.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def short_id(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def by_short_id(names: Iterable[str], ident: str) -> str | None:
    """The configured name behind a button's id, or None."""
    return next((name for name in names if short_id(name) == ident), None)
