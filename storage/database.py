"""SQLite connection and schema migrations.

WAL lets the terminal chat of one person read while another process writes; foreign keys
keep repositories honest. Migrations are numbered `.sql` files shipped as package data and
tracked with `PRAGMA user_version`, so a database is always at a known shape.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import aiosqlite

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Wait for a concurrent writer (another terminal, the dispatcher) instead of failing.
BUSY_TIMEOUT_MS = 5000


def available_migrations() -> list[tuple[int, str, str]]:
    """All shipped migrations as (number, name, sql), in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {numbers}")
    return found


async def connect(path: str | Path) -> aiosqlite.Connection:
    """Open the database with the pragmas every connection needs, migrated to the latest."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = await aiosqlite.connect(str(path))
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        await migrate(db)
    except BaseException:
        # aiosqlite's worker thread would keep the process alive after the error.
        await db.close()
        raise
    return db


async def schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def migrate(db: aiosqlite.Connection) -> int:
    """Apply every migration newer than the database; returns the resulting version."""
    current = await schema_version(db)
    for number, _name, sql in available_migrations():
        if number <= current:
            continue
        # executescript commits first; the version bump rides in the same script so a
        # crash cannot leave a migration applied but unrecorded.
        await db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
        current = number
    return current
