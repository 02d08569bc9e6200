"""The embedded backend: one SQLite file, one connection, WAL.

One connection serves the whole process, so a transaction owns it: an asyncio lock is
held from BEGIN to COMMIT, and statements of other tasks wait for it rather than
slipping into someone else's unit of work. `BEGIN IMMEDIATE` takes the write lock up
front, so two writers queue (busy timeout) instead of failing at their first write.
Files are created 0600: the database holds what residents told the liaisons.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.database import Database, Params, Row, StorageError, _Unit

# Wait for a concurrent writer (a read-only command, a backup) instead of failing.
BUSY_TIMEOUT_MS = 5000
PRIVATE = 0o600


def _prepare_file(path: str) -> None:
    """Refuse paths that cannot be a database; create a new file private to its owner."""
    if not path:
        raise StorageError("storage path is empty: set [storage] url (or path) to a database file")
    if path == ":memory:":
        return
    file = Path(path)
    if file.is_dir():
        raise StorageError(f"database {path} is a directory, not a file")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        if not file.exists():
            os.close(os.open(file, os.O_CREAT | os.O_WRONLY, PRIVATE))
    except OSError as error:
        raise StorageError(f"database {path} cannot be created: {error.strerror}") from None
    if not os.access(file, os.R_OK | os.W_OK):
        raise StorageError(f"database {path} is not readable and writable by this user")
    # SQLite creates the WAL and shared-memory files with the database file's mode.
    with contextlib.suppress(OSError):
        os.chmod(file, PRIVATE)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self.path = path
        self.url = f"sqlite:///{path}"

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        _prepare_file(path)
        conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # Reading the schema is the first touch of the file's contents: garbage or a
            # damaged header fails here, with a clear line instead of a traceback later.
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
            await conn.execute("PRAGMA journal_mode=WAL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as error:
            await conn.close()
            raise StorageError(f"database {path} cannot be used: {error}") from None
        return cls(conn, path)

    @asynccontextmanager
    async def _outermost(self, unit: _Unit) -> AsyncIterator[None]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                unit.active = False
                await asyncio.shield(self._conn.rollback())
                raise
            await self._conn.commit()

    async def _savepoint(self, unit: _Unit, sql: str) -> None:
        await self._conn.execute(sql)

    # Inside our transaction a statement runs at once; otherwise it waits until no
    # transaction is open (written out per method: this is every message's hot path).

    async def execute(self, sql: str, params: Params = ()) -> int:
        if self._unit() is not None:
            return await self._execute(sql, params)
        async with self._lock:
            return await self._execute(sql, params)

    async def _execute(self, sql: str, params: Params) -> int:
        cursor = await self._conn.execute(sql, params)
        count = cursor.rowcount
        await cursor.close()
        return count

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        if self._unit() is not None:
            await self._conn.executemany(sql, rows)
            return
        async with self._lock:
            await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        if self._unit() is not None:
            return list(await self._conn.execute_fetchall(sql, params))
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def apply_script(self, script: str, number: int) -> None:
        async with self._lock:
            try:
                # executescript parses comments and literals itself; BEGIN makes the whole
                # script (with the line that records it) one transaction.
                await self._conn.executescript(f"BEGIN IMMEDIATE;\n{script}\n;COMMIT;")
            except BaseException:
                if self._conn.in_transaction:
                    await asyncio.shield(self._conn.rollback())
                raise

    async def close(self) -> None:
        await self._conn.close()

    @property
    def url_for_humans(self) -> str:
        return self.path

    async def pragma(self, name: str) -> Any:
        return await self.fetchval(f"PRAGMA {name}")
