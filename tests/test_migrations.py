"""Numbered migrations bring any database to the latest shape, once."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from storage.database import available_migrations, connect, migrate, schema_version


async def test_fresh_database_reaches_latest_version(tmp_path: Path) -> None:
    """A new file is migrated to the newest migration number with WAL and FKs on."""
    db = await connect(tmp_path / "fresh.db")
    try:
        assert await schema_version(db) == available_migrations()[-1][0]
        async with db.execute("PRAGMA journal_mode") as cursor:
            assert (await cursor.fetchone())[0] == "wal"  # type: ignore[index]
        async with db.execute("PRAGMA foreign_keys") as cursor:
            assert (await cursor.fetchone())[0] == 1  # type: ignore[index]
    finally:
        await db.close()


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    """Re-running migrations on an up-to-date database is a no-op."""
    db = await connect(tmp_path / "twice.db")
    try:
        version = await schema_version(db)
        assert await migrate(db) == version
    finally:
        await db.close()


async def test_old_database_is_upgraded_step_by_step(tmp_path: Path) -> None:
    """A database at version 1 is taken through every later migration."""
    path = tmp_path / "old.db"
    first = available_migrations()[0][2]
    async with aiosqlite.connect(path) as raw:
        await raw.executescript(f"{first}\nPRAGMA user_version=1;")
    db = await connect(path)
    try:
        assert await schema_version(db) == available_migrations()[-1][0]
    finally:
        await db.close()


async def test_every_lookup_column_is_indexed(tmp_path: Path) -> None:
    """The queries features run hit indexes, not full scans."""
    db = await connect(tmp_path / "plan.db")
    try:
        queries = [
            "SELECT * FROM people WHERE platform = 'x' AND platform_user_id = 'y'",
            "SELECT * FROM outbox WHERE platform = 'x' AND status = 'pending' "
            "AND not_before <= 'z' ORDER BY id",
            "SELECT * FROM outbox WHERE platform = 'x' AND chat_id = 'y' AND status = 'pending'",
            "SELECT * FROM outbox WHERE dedupe_key = 'k'",
        ]
        for query in queries:
            async with db.execute("EXPLAIN QUERY PLAN " + query) as cursor:
                plan = " ".join(str(row[3]) for row in await cursor.fetchall())
            assert "USING" in plan and "SCAN outbox" not in plan and "SCAN people" not in plan, (
                query,
                plan,
            )
    finally:
        await db.close()
