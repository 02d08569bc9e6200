"""Numbered migrations, one list for both backends.

Each `storage/migrations/NNNN_name.sql` is applied once, in number order, together with
the row in `schema_migrations` that records it (one transaction: a crash cannot leave a
migration applied but unrecorded). Numbers are blocks handed to features (meetings
0020–0029, polls 0030–0039, ...), so gaps are normal; a number is never reused. A database
that records a migration this program does not ship was written by a newer version and
is refused rather than run against the wrong shape.
"""

from __future__ import annotations

import re
from importlib import resources

from storage.database import Database, StorageError

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_TRACKING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL)"
)


def available_migrations() -> list[tuple[int, str, str]]:
    """All shipped migrations as (number, name, sql), in order."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


async def applied_migrations(db: Database) -> set[int]:
    """Numbers recorded in the database (an SQLite file from before the tracking table
    counts as having every migration up to its `user_version`)."""
    await db.execute(_TRACKING)
    applied = {int(row[0]) for row in await db.fetch("SELECT number FROM schema_migrations")}
    if not applied and db.dialect == "sqlite":
        legacy = int(await db.fetchval("PRAGMA user_version") or 0)
        for number, name, _ in available_migrations():
            if number <= legacy:
                await db.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES (?, ?)", (number, name)
                )
                applied.add(number)
    return applied


async def schema_version(db: Database) -> int:
    """The newest migration the database has (0 for an empty one)."""
    return max(await applied_migrations(db), default=0)


async def migrate(db: Database) -> int:
    """Apply every shipped migration the database lacks; returns the schema version."""
    shipped = available_migrations()
    applied = await applied_migrations(db)
    unknown = applied - {number for number, _, _ in shipped}
    if unknown:
        raise StorageError(
            f"database {db.url_for_humans} has schema version {max(unknown)}, newer than "
            f"this program knows ({shipped[-1][0] if shipped else 0}): upgrade the program"
        )
    for number, name, sql in shipped:
        if number in applied:
            continue
        record = f"INSERT INTO schema_migrations (number, name) VALUES ({number}, '{name}')"
        script = f"{db.adapt_ddl(sql)}\n;\n{record};"
        if db.dialect == "sqlite":
            script += f"\nPRAGMA user_version={max(applied | {number})};"
        await db.apply_script(script, number)
        applied.add(number)
    return max(applied, default=0)
