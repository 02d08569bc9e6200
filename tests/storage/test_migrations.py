"""Numbered migrations bring any database to the latest shape, once, on both backends."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite
import pytest

from storage.database import StorageError, open_database
from storage.migrations_runner import available_migrations, migrate, schema_version


async def test_fresh_database_reaches_latest_version(storage_url: str) -> None:
    """A new database is migrated to the newest migration number."""
    db = await open_database(storage_url)
    try:
        assert await schema_version(db) == available_migrations()[-1][0]
        if db.dialect == "sqlite":
            assert await db.fetchval("PRAGMA journal_mode") == "wal"
            assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_migrating_twice_changes_nothing(storage_url: str) -> None:
    """Re-running migrations on an up-to-date database is a no-op."""
    db = await open_database(storage_url)
    try:
        version = await schema_version(db)
        assert await migrate(db) == version
    finally:
        await db.close()


async def test_old_database_is_upgraded_step_by_step(tmp_path: Path) -> None:
    """A file from before the tracking table (version in user_version only) is taken
    through every later migration, without re-running the ones it has."""
    path = tmp_path / "old.db"
    first = available_migrations()[0][2]
    async with aiosqlite.connect(path) as raw:
        await raw.executescript(f"{first}\nPRAGMA user_version=1;")
    db = await open_database(f"sqlite:///{path}")
    try:
        assert await schema_version(db) == available_migrations()[-1][0]
    finally:
        await db.close()


async def test_gaps_in_numbering_are_fine() -> None:
    """Features own blocks of numbers (meetings 0020-0029, ...): gaps are expected, and
    a number is never shipped twice."""
    numbers = [number for number, _, _ in available_migrations()]
    assert numbers == sorted(set(numbers))


async def test_database_newer_than_the_program_is_refused(storage_url: str) -> None:
    db = await open_database(storage_url)
    try:
        await db.execute("INSERT INTO schema_migrations (number, name) VALUES (9999, 'x')")
    finally:
        await db.close()
    with pytest.raises(StorageError, match="schema version 9999, newer than this program"):
        await open_database(storage_url)


async def test_every_lookup_column_is_indexed(tmp_path: Path) -> None:
    """The queries features run hit indexes, not full scans."""
    db = await open_database(f"sqlite:///{tmp_path / 'plan.db'}")
    try:
        queries = [
            "SELECT * FROM people WHERE platform = 'x' AND platform_user_id = 'y'",
            "SELECT * FROM outbox WHERE platform = 'x' AND status = 'pending' "
            "AND not_before <= 'z' ORDER BY id",
            "SELECT * FROM outbox WHERE platform = 'x' AND chat_id = 'y' AND status = 'pending'",
            "SELECT * FROM outbox WHERE dedupe_key = 'k'",
            "SELECT * FROM outbox WHERE subject = 1",
        ]
        for query in queries:
            rows = await db.fetch("EXPLAIN QUERY PLAN " + query)
            plan = " ".join(str(row[3]) for row in rows)
            assert "USING" in plan and "SCAN outbox" not in plan and "SCAN people" not in plan, (
                query,
                plan,
            )
    finally:
        await db.close()


def test_new_database_files_are_private(tmp_path: Path) -> None:
    """Database and WAL hold what residents said: readable by the owner only."""
    import asyncio

    path = tmp_path / "private.db"

    async def touch() -> None:
        db = await open_database(f"sqlite:///{path}")
        try:
            await db.execute("INSERT INTO kb_feedback (topic_id, lang) VALUES ('t', 'en')")
            assert (path.parent / "private.db-wal").exists()
            for file in (path, path.parent / "private.db-wal"):
                assert file.stat().st_mode & 0o777 == 0o600, file
        finally:
            await db.close()

    asyncio.run(touch())
    assert sqlite3.connect(path).execute("SELECT count(*) FROM kb_feedback").fetchone() == (1,)
