"""The leader lock: which one of several instances may hold the connections a platform
allows only once per bot (Telegram long polling, the Discord gateway).

On PostgreSQL it is a session-level advisory lock held on a connection of its own, opened
beside the pool: the server releases it the moment that session ends, so a leader that is
killed (or cut off from the server) frees it without any expiry to wait for, and no
pooled connection can hand it to unrelated work. The leader asks its connection a trivial
question every few seconds; a connection that does not answer means the lock may already
be someone else's, so the caller must step down at once.

On SQLite the instance lock (`storage/instance_lock.py`) already makes this process the
only bot on the file, so it is the leader from the start.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from typing import Any

import asyncpg

from storage.database import Database

# Advisory lock id ("LIAIS" + 1): distinct from the migration lock.
LEADER_LOCK = 0x4C49414954
CONNECT_TIMEOUT_S = 5.0
# How long the leader's probe may take before the connection counts as lost.
PROBE_TIMEOUT_S = 3.0
# The server notices a vanished leader (network cut, no FIN) within about
# idle + interval x count seconds and ends its session, which frees the lock.
SERVER_KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
    "application_name": "liaison-leader",
}


class LeaderLock(abc.ABC):
    """Held by at most one live instance at a time."""

    @abc.abstractmethod
    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this instance holds it now."""

    @abc.abstractmethod
    async def still_held(self) -> bool:
        """False as soon as holding it can no longer be vouched for (connection lost)."""

    @abc.abstractmethod
    async def release(self) -> None:
        """Give it up (a clean stop or stepping down)."""


class SoleInstance(LeaderLock):
    """SQLite: the instance lock makes this process the only bot on the database."""

    async def try_acquire(self) -> bool:
        return True

    async def still_held(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class AdvisoryLeaderLock(LeaderLock):
    """PostgreSQL: `pg_try_advisory_lock` on a dedicated connection (not from the pool)."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._conn: Any = None

    async def try_acquire(self) -> bool:
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(
                    self._url, timeout=CONNECT_TIMEOUT_S, server_settings=SERVER_KEEPALIVE
                )
            held = await asyncio.wait_for(
                self._conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK),
                PROBE_TIMEOUT_S,
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._drop()  # the server is unreachable: nobody can be vouched for
            return False
        return bool(held)

    async def still_held(self) -> bool:
        conn = self._conn
        if conn is None or conn.is_closed():
            return False
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), PROBE_TIMEOUT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await self._drop()
            return False
        return True

    async def release(self) -> None:
        await self._drop()  # ending the session releases the lock on the server

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()  # close() would wait for a server that may not answer


def leader_lock(db: Database) -> LeaderLock:
    """The right lock for the backend `db` runs on."""
    if db.dialect == "postgresql":
        return AdvisoryLeaderLock(db.url)
    return SoleInstance()


async def close_quietly(lock: LeaderLock) -> None:
    """Release on the way out; a server already gone has released it anyway."""
    with contextlib.suppress(Exception):
        await lock.release()
