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

from bot.config import ConfigError

# A generated key: 32 random bytes, the size of the HMAC-SHA256 block output.
KEY_BYTES = 32
KEY_SETTING = "privacy.hash_key_path"


def load_or_create_key(configured: str, key_path: Path) -> bytes:
    """The configured key, else the key file, else a new key written with mode 0600.

    A key file that is empty, too short, not hex or unreadable stops start-up: hashing
    with an empty or short key would let anyone compute a resident's pseudonym.
    """
    if configured:
        return configured.encode("utf-8")
    try:
        text = key_path.read_text(encoding="ascii")
    except FileNotFoundError:
        return _create_key(key_path)
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not hex text"
        raise ConfigError(KEY_SETTING, f"cannot read the key file ({reason})") from None
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(KEY_SETTING, "the key file must hold hex digits only") from None
    if len(key) < KEY_BYTES:
        raise ConfigError(
            KEY_SETTING,
            f"the key file holds {len(key)} of the {KEY_BYTES} bytes a key needs; "
            "restore it from a backup, or remove it to generate a new key",
        )
    return key


def _create_key(key_path: Path) -> bytes:
    key = secrets.token_bytes(KEY_BYTES)
    try:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise ConfigError(KEY_SETTING, f"cannot create the key file ({error.strerror})") from None
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
