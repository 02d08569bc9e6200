"""Is this instance able to do its job? Storage answers and every started platform is up.

Storage is probed twice: through the bot's own connection (a stuck or closed connection
cannot answer), and, for SQLite, by opening the file afresh read-write without creating
it (a database that was moved, deleted or made unreadable under a running bot is found at
once rather than at the next restart).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.ports import PlatformAdapter
from bot.ops.backend import MEMORY, Backend, BackendKind
from storage.database import Database

# A health check must answer quickly even when storage hangs.
PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class HealthReport:
    """`problems` maps a component to a short reason; healthy when it is empty."""

    problems: dict[str, str] = field(default_factory=dict)

    @property
    def healthy(self) -> bool:
        return not self.problems


class HealthCheck:
    def __init__(
        self,
        db: Database,
        backend: Backend,
        platforms: Callable[[], Sequence[PlatformAdapter]],
    ) -> None:
        self._db = db
        self._backend = backend
        self._platforms = platforms

    async def check(self) -> HealthReport:
        problems: dict[str, str] = {}
        storage = await self._storage_problem()
        if storage:
            problems["storage"] = storage
        for adapter in self._platforms():
            if not adapter.connected:
                problems[adapter.platform] = "not connected"
        return HealthReport(problems)

    async def _storage_problem(self) -> str | None:
        try:
            await asyncio.wait_for(self._ask_connection(), PROBE_TIMEOUT_S)
            if self._backend.kind is BackendKind.SQLITE and self._backend.location != MEMORY:
                await asyncio.wait_for(
                    asyncio.to_thread(_open_sqlite_file, self._backend.location),
                    PROBE_TIMEOUT_S,
                )
        except TimeoutError:
            return "no answer within the timeout"
        except (sqlite3.Error, ValueError, OSError) as error:
            # The error class only: messages may contain paths, never needed to act.
            return f"unavailable ({type(error).__name__})"
        return None

    async def _ask_connection(self) -> None:
        await self._db.fetchval("SELECT 1")


def _open_sqlite_file(path: str) -> None:
    """Open read-write without creating, and read the schema version."""
    uri = Path(path).absolute().as_uri() + "?mode=rw"
    connection = sqlite3.connect(uri, uri=True, timeout=PROBE_TIMEOUT_S)
    try:
        connection.execute("PRAGMA user_version").fetchone()
    finally:
        connection.close()
