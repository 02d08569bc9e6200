"""Backups of the SQLite database, safe beside a running bot, and the copy before upgrades.

SQLite's online backup API copies a consistent snapshot while the bot keeps writing (WAL
readers never block writers), so `liaison backup` needs no downtime. Restoring goes
through the same API into the live file, so the WAL and shared-memory files stay
consistent with it; the current database is itself backed up first, so a restore can be
undone. PostgreSQL deployments use pg_dump/pg_restore: `postgres_instructions` says how.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from bot.ops.backend import MEMORY, Backend, BackendKind
from storage.database import available_migrations

# Automatic backups live here, beside the database, named so they sort by time.
BACKUP_DIR = "backups"
AUTO_PREFIX = "before-upgrade-"
# Pages copied per step: small steps let the bot's writes interleave with a long backup.
PAGES_PER_STEP = 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, without data."""


def _connect_existing(path: Path, read_only: bool) -> sqlite3.Connection:
    mode = "ro" if read_only else "rw"
    try:
        return sqlite3.connect(f"{path.absolute().as_uri()}?mode={mode}", uri=True, timeout=30)
    except sqlite3.OperationalError as error:
        raise BackupError(f"cannot open {path}: {error}") from error


def _applied(connection: sqlite3.Connection) -> set[int]:
    """Migration numbers the file has: its tracking table, or for a file from before the
    table, every shipped migration up to its `user_version`."""
    tracked = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if tracked:
        return {int(row[0]) for row in connection.execute("SELECT number FROM schema_migrations")}
    legacy = int(connection.execute("PRAGMA user_version").fetchone()[0])
    applied = {number for number in _shipped() if number <= legacy}
    # A version this program never shipped stays visible, so a newer file is refused.
    return applied | ({legacy} if legacy and legacy not in _shipped() else set())


def _shipped() -> set[int]:
    return {number for number, _, _ in available_migrations()}


def _version(connection: sqlite3.Connection) -> int:
    return max(_applied(connection), default=0)


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the database at `source` to the new file `target`; returns its schema version.

    The copy is written beside the target and renamed into place, so a half-written
    backup never carries the final name.
    """
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = _connect_existing(source, read_only=True)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            # One self-contained file: a WAL-mode copy would grow -wal/-shm companions
            # wherever it is opened (the bot turns WAL back on when it opens a restore).
            dst.execute("PRAGMA journal_mode=DELETE")
            version = _version(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(partial, target)
    return version


def check_backup(path: Path) -> int:
    """A backup this version can restore: a sound SQLite file not newer than the code."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    connection = _connect_existing(path, read_only=True)
    try:
        try:
            result = connection.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a SQLite database ({error})") from error
        if result != "ok":
            raise BackupError(f"{path} is damaged: {result}")
        applied = _applied(connection)
    finally:
        connection.close()
    unknown = applied - _shipped()
    if unknown:
        raise BackupError(
            f"{path} has schema version {max(unknown)}, newer than this program knows "
            f"({max(_shipped())}); upgrade liaison first"
        )
    return max(applied, default=0)


def restore_sqlite(backup: Path, target: Path, now: datetime) -> tuple[int, Path | None]:
    """Replace the database at `target` with `backup`.

    Returns the restored schema version and where the replaced database was saved (None
    when there was none). Older backups are upgraded by the next start's migrations.
    """
    version = check_backup(backup)
    saved: Path | None = None
    if target.exists():
        saved = target.parent / BACKUP_DIR / f"before-restore-{_stamp(now)}.db"
        backup_sqlite(target, saved)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = _connect_existing(backup, read_only=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return version, saved


def backup_before_upgrade(backend: Backend, keep: int, now: datetime) -> Path | None:
    """Copy an existing SQLite database that migrations are about to change; keep the
    newest `keep` such copies. None when nothing was copied (new, current, or not SQLite)."""
    if backend.kind is not BackendKind.SQLITE or backend.location == MEMORY:
        return None
    if not backend.exists():
        return None
    connection = _connect_existing(backend.path, read_only=True)
    try:
        applied = _applied(connection)
    finally:
        connection.close()
    if not applied or not _shipped() - applied:
        return None  # a new database, or one already current
    version = max(applied)
    folder = backend.path.parent / BACKUP_DIR
    target = folder / f"{AUTO_PREFIX}v{version:04d}-{_stamp(now)}.db"
    backup_sqlite(backend.path, target)
    for old in sorted(folder.glob(f"{AUTO_PREFIX}*.db"), key=_taken_at)[:-keep]:
        old.unlink()
    return target


def _taken_at(path: Path) -> str:
    """The time stamp ending an automatic backup's name (the version comes before it)."""
    return path.stem.rsplit("-", 1)[-1]


def postgres_instructions(backend: Backend, target: str, restore: bool) -> str:
    """What to run instead on PostgreSQL (the URL's password is never echoed)."""
    if restore:
        return (
            "The database is PostgreSQL: restore with pg_restore, the bot stopped:\n"
            f'  pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" {target}\n'
            "then start the bot; it applies any newer migrations itself."
        )
    return (
        "The database is PostgreSQL: back it up with pg_dump (safe while the bot runs):\n"
        f'  pg_dump --format=custom --file {target} "$DATABASE_URL"\n'
        "where DATABASE_URL is the [storage] url of your configuration."
    )


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%S%fZ")
