"""The database: one interface over SQLite and PostgreSQL, with units of work.

Repositories run single statements through `Database` and never commit. A feature
operation that writes several rows (a case with its first message, card and outbox rows)
wraps them in `async with db.transaction():` so they are stored all together or not at
all; a `transaction()` inside another becomes a savepoint. Statements outside a
transaction commit on their own.

SQL is written once, in the portable subset both engines share, with `?` placeholders;
the PostgreSQL backend numbers them (`$1`, `$2`, ...) for asyncpg. The backend is chosen
by the URL: `sqlite:///./liaison.db` (embedded, the default) or `postgresql://...`.
"""

from __future__ import annotations

import abc
import contextvars
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
Row = Sequence[Any]
Params = Sequence[Any]


class StorageError(RuntimeError):
    """The database cannot be used as configured; the message names the problem in one
    line and the CLI exits with code 2."""


@dataclass(slots=True)
class _Unit:
    """The transaction open in the current task (or tasks it started meanwhile)."""

    owner: Database
    active: bool = True
    depth: int = 0
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    handle: Any = None  # the backend's connection or transaction object


_current: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar(
    "storage_unit", default=None
)


class Database(abc.ABC):
    """What repositories use; `SqliteDatabase` and `PostgresDatabase` implement it."""

    dialect: str
    url: str

    def _unit(self) -> _Unit | None:
        """The transaction this code runs in, if it is one of ours and still open."""
        unit = _current.get()
        return unit if unit is not None and unit.owner is self and unit.active else None

    @property
    def in_transaction(self) -> bool:
        return self._unit() is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """All statements inside commit together; nested blocks are savepoints."""
        unit = self._unit()
        if unit is not None:
            unit.depth += 1
            name = f"sp{unit.depth}"
            await self._savepoint(unit, f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                await self._savepoint(unit, f"ROLLBACK TO SAVEPOINT {name}")
                raise
            finally:
                unit.depth -= 1
            await self._savepoint(unit, f"RELEASE SAVEPOINT {name}")
            return
        unit = _Unit(self)
        token = _current.set(unit)
        try:
            async with self._outermost(unit):
                yield
        finally:
            unit.active = False
            _current.reset(token)
        for callback in unit.on_commit:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once what was written is visible to others (now, outside a
        transaction): a woken outbox dispatcher must find the rows it was woken for."""
        unit = self._unit()
        if unit is None:
            callback()
        else:
            unit.on_commit.append(callback)

    @abc.abstractmethod
    def _outermost(self, unit: _Unit) -> Any:
        """An async context manager: begin, then commit or roll back."""

    @abc.abstractmethod
    async def _savepoint(self, unit: _Unit, sql: str) -> None: ...

    @abc.abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; returns how many rows it changed."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abc.abstractmethod
    async def fetch(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @abc.abstractmethod
    async def apply_script(self, script: str, number: int) -> None:
        """Migration `number`: statements without parameters (with the row recording
        it), applied as one transaction unless another instance already did."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    def adapt_ddl(self, sql: str) -> str:
        """A migration as this engine needs it (the shipped text is SQLite's)."""
        return sql

    @property
    def url_for_humans(self) -> str:
        """The URL without a password, for error lines and logs."""
        return _without_password(self.url)


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


def _without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def sqlite_path(url: str) -> str | None:
    """The file of a `sqlite:///path` URL (None for other backends)."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    if url.startswith("sqlite://"):
        return url.removeprefix("sqlite://")
    return None


async def open_database(url: str, migrate_schema: bool = True) -> Database:
    """Connect to the database the URL names and bring its schema up to date."""
    from storage.migrations_runner import migrate

    path = sqlite_path(url)
    db: Database
    if path is not None:
        from storage.sqlite import SqliteDatabase

        db = await SqliteDatabase.open(path)
    elif url.startswith(("postgresql://", "postgres://")):
        from storage.postgres import PostgresDatabase

        db = await PostgresDatabase.open(url)
    else:
        raise StorageError(
            f"storage url {url!r} is not supported (use sqlite:///PATH or postgresql://...)"
        )
    if migrate_schema:
        try:
            await migrate(db)
        except BaseException:
            await db.close()
            raise
    return db
