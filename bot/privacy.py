"""Keyed hashing of identities, for logs, pseudonyms and anonymous poll rows.

A plain hash of a Telegram id can be reversed by hashing every id; a keyed hash
(HMAC with a secret only this deployment holds) cannot.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

KEY_BYTES = 32


def load_or_create_key(configured: str, key_path: Path) -> bytes:
    """The configured key, else the key file, else a new key written with mode 0600."""
    if configured:
        return configured.encode("utf-8")
    if key_path.exists():
        return bytes.fromhex(key_path.read_text(encoding="ascii").strip())
    key = secrets.token_bytes(KEY_BYTES)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


class Hasher:
    """Derives stable, non-reversible codes from identities."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def log_id(self, platform: str, user_id: str) -> str:
        """A short tag that lets logs follow one person without naming them."""
        return "u:" + self.digest("log", platform, user_id)[:12]
