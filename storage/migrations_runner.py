"""Numbered migrations, one list for both backends.

Each `storage/migrations/NNNN_name.sql` is applied once, in number order, together with
the row in `schema_migrations` that records it (one transaction: a crash cannot leave a
migration applied but unrecorded). Numbers are blocks handed to features (meetings
0020–0029, polls 0030–0039, ...), so gaps are normal; a number is never reused. A database
that records a migration this program does not ship was written by a newer version and
is refused rather than run against the wrong shape.
"""

from __future__ import annotations

from storage.database import Database, StorageError, available_migrations

_TRACKING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL)"
)


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
