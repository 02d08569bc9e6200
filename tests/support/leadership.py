"""Helpers for the journeys with several instances on one database (the leader receives):
starting an instance, stopping what a journey started however it ends, waiting for a
condition, noting which instance handled what, and ending the leader's lock session from
the server side."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import asyncpg
import pytest

from bot import leadership as leadership_module
from bot.app import App
from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.ports import ExclusiveReceiver
from bot.leadership import Leadership
from storage.leader import LEADER_LOCK, SoleInstance, leader_lock

TIMEOUT_S = 30.0
# A new leader's wait before it receives, shortened from the shipped 6 s.
GRACE_S = 0.5


class Stoppable(Protocol):
    async def stop(self) -> None: ...


class JourneyAdapter(ExclusiveReceiver, Stoppable, Protocol):
    """A platform adapter a journey starts, leads with and stops."""


Adapter = TypeVar("Adapter", bound=JourneyAdapter)
Running = TypeVar("Running", bound=Stoppable)


@dataclass
class Instance(Generic[Adapter]):
    """One bot instance of a journey: its app, its platform adapter and its leadership."""

    name: str
    app: App
    adapter: Adapter
    leadership: Leadership

    async def stop(self) -> None:
        """Give up leading first, so the adapter is not asked to receive as it stops."""
        await self.leadership.stop()
        await self.adapter.stop()


@asynccontextmanager
async def stopped_at_end(running: list[Running]) -> AsyncIterator[list[Running]]:
    """Stop what the journey adds to `running` (instances or bare adapters), the last
    started first, whether the journey passes, fails or returns early."""
    try:
        yield running
    finally:
        for thing in reversed(running):
            await thing.stop()


async def start_instance(
    name: str,
    app: App,
    adapter: Adapter,
    handled: list[tuple[str, str]],
    started: list[Instance[Adapter]],
) -> Instance[Adapter]:
    """Start an instance as `liaison run` does: it sends at once and receives only while
    it leads. What it handles is noted in `handled`; it is added to `started` before its
    leadership starts, so a journey stops it even when that fails."""
    record_handled(app, name, handled)
    await adapter.start_sending()
    leadership = Leadership(leader_lock(app.db), [adapter], app.services.metrics, grace_s=GRACE_S)
    instance = Instance(name, app, adapter, leadership)
    started.append(instance)
    await leadership.start()
    return instance


async def eventually(check: Callable[[], bool], timeout: float = TIMEOUT_S) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


def record_handled(app: App, name: str, handled: list[tuple[str, str]]) -> None:
    """Note which instance handled which message text (a guard that lets all pass)."""

    async def guard(ctx: Context, event: Incoming) -> bool:
        handled.append((name, event.text))
        return True

    app.dispatcher.guards.insert(0, guard)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Followers retry and leaders probe every 0.1 s, so a takeover takes under a second
    and a journey seconds (a fixture: this module is a plugin of the suite)."""
    monkeypatch.setattr(leadership_module, "RETRY_S", 0.1)
    monkeypatch.setattr(leadership_module, "PROBE_S", 0.1)


async def kill_leader_session(url: str) -> None:
    """End the leader's database session from the server side, as a cut network or a
    restarted server would. Advisory locks are per database but `pg_locks` lists those of
    every database on the server: only this one's are ended, never another run's."""
    conn = await asyncpg.connect(url)
    try:
        ended = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks "
            "WHERE locktype = 'advisory' AND granted AND objid = $1 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())",
            LEADER_LOCK & 0xFFFFFFFF,
        )
    finally:
        await conn.close()
    assert ended == 1


async def two_instances(
    start: Callable[[str], Awaitable[Instance[Adapter]]], storage_url: str
) -> tuple[Instance[Adapter], Instance[Adapter]] | None:
    """Instances "a" then "b". On SQLite (one process per file: the instance lock) each
    simply leads, which is checked here, and there is no takeover to show: None."""
    a = await start("a")
    b = await start("b")
    if storage_url.startswith("sqlite"):
        assert isinstance(leader_lock(a.app.db), SoleInstance)
        assert a.leadership.leading and b.leadership.leading
        return None
    return a, b
