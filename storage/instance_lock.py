"""One bot process per SQLite file.

Two processes delivering from one SQLite outbox would both send every row (SQLite has no
row leases), so `liaison run` and `liaison chat` hold an exclusive lock on a file beside
the database for as long as they run; a second one is refused at start. Read-only
commands (statistics, exports, backups) take no lock and work beside a running bot.
PostgreSQL needs no such lock: instances share the work through leases instead.
The lock is an advisory `flock`, released by the kernel when the process dies, so a
crash never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from storage.database import StorageError, sqlite_path

PRIVATE = 0o600


class InstanceLock:
    """Held while open; `release` (or process exit) lets the next instance start."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def hold_instance_lock(url: str) -> InstanceLock:
    """Take the database's instance lock, or raise StorageError naming the file."""
    path = sqlite_path(url)
    if path is None or path in ("", ":memory:"):
        return InstanceLock(None)
    lock_file = Path(f"{path}.lock")
    try:
        lock_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_file, os.O_CREAT | os.O_RDWR, PRIVATE)
    except OSError as error:
        raise StorageError(
            f"database {path}: cannot create {lock_file} ({error.strerror})"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StorageError(
            f"database {path} is in use by another liaison run/chat process; stop it first "
            "(or use PostgreSQL to run several instances)"
        ) from None
    return InstanceLock(fd)
