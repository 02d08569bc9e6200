"""Several bot instances on one database: shared delivery without double sends, chats kept
in order, dead instances' work taken over, periodic jobs once per period."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.ports import Recipient
from bot.delivery.pacing import Pacing
from bot.outbox import LEASE, MAX_ACTIVE_CHATS
from bot.scheduler import JobRunner, Scheduler
from tests.support.app import AppFactory
from tests.support.harness import FakeClock, RecordingSender


@dataclass
class SharedWire:
    """What the platform received, from whichever instance sent it."""

    received: list[tuple[str, str, str]] = field(default_factory=list)  # (instance, chat, text)


@dataclass
class InstanceSender:
    platform: str
    name: str
    wire: SharedWire

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        await asyncio.sleep(0.001)  # a network round trip: the other instance runs meanwhile
        self.wire.received.append((self.name, recipient.chat_id, message.text))


async def test_two_instances_deliver_each_row_once_in_chat_order(make_app: AppFactory) -> None:
    first, second = await make_app(), await make_app()
    wire = SharedWire()
    for name, app in (("a", first), ("b", second)):
        app.delivery.register(InstanceSender("test", name, wire), Pacing(1000, lambda c: (50, 1)))
    # More chats than one instance delivers at once (MAX_ACTIVE_CHATS), so both must work.
    for chat in range(MAX_ACTIVE_CHATS + 36):
        for number in range(3):
            await first.services.outbox.enqueue(
                Recipient("test", f"c{chat}"), Outgoing(str(number)), f"k{chat}:{number}"
            )
    await asyncio.gather(first.delivery.drain(), second.delivery.drain())
    texts = Counter((chat, text) for _, chat, text in wire.received)
    assert len(texts) == 3 * (MAX_ACTIVE_CHATS + 36), "lost"
    assert set(texts.values()) == {1}, "sent twice"
    per_chat: dict[str, list[str]] = defaultdict(list)
    for _, chat, text in wire.received:
        per_chat[chat].append(text)
    assert all(order == ["0", "1", "2"] for order in per_chat.values())
    assert {name for name, _, _ in wire.received} == {"a", "b"}, "the work was not shared"


async def test_a_dead_instances_chat_is_taken_over_after_its_lease(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app()
    sender = RecordingSender("test")
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(Recipient("test", "c"), Outgoing("hello"), "k1")
    now = clock()
    claimed = await app.repos.outbox.claim_chat("test", "c", "dead", now, now + LEASE)
    assert [item.dedupe_key for item in claimed] == ["k1"]  # then that instance died
    await app.delivery.drain()
    assert sender.delivered == []
    clock.advance(seconds=LEASE.total_seconds() + 1)
    await app.delivery.drain()
    assert [m.text for _, m in sender.delivered] == ["hello"]


async def test_a_periodic_job_runs_once_per_period_across_instances(
    make_app: AppFactory, clock: FakeClock
) -> None:
    app = await make_app()
    runs: list[str] = []

    def job_for(name: str) -> JobRunner:
        async def job(services: Services) -> None:
            runs.append(name)

        return JobRunner(app.services, app.repos.leases, name, "retention", job, 3600)

    a, b = job_for("a"), job_for("b")
    assert await a.run() and await b.run()  # at start each instance runs it (retention)
    runs.clear()
    clock.advance(seconds=3600)
    assert await a.run() and not await b.run()  # then once per period: a holds the lease
    clock.advance(seconds=3600)
    assert await a.run() and not await b.run()
    clock.advance(seconds=3600)  # a died: its lease runs out within the period
    assert await b.run()
    assert runs == ["a", "a", "b"]


async def test_the_scheduler_really_runs_its_jobs(make_app: AppFactory) -> None:
    """Each job runs once as the scheduler starts, in the bot's loop (not dropped in a
    thread as an un-awaited coroutine)."""
    app = await make_app()
    ran = asyncio.Event()

    async def job(services: Services) -> None:
        ran.set()

    scheduler = Scheduler(app.services, app.repos.leases, (("probe", job, 3600),), holder="test")
    scheduler.start()
    try:
        await asyncio.wait_for(ran.wait(), timeout=30)
    finally:
        scheduler.stop()


@dataclass
class StuckSender:
    """A platform that accepts a send and never answers (the instance is then stopped)."""

    platform: str
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        self.started.set()
        await asyncio.Event().wait()


async def test_a_stopped_instance_hands_its_chats_over_at_once(make_app: AppFactory) -> None:
    """A clean stop releases the chats it was delivering: the next instance sends them
    now, not once the lease has run out."""
    first, second = await make_app(), await make_app()
    stuck = StuckSender("test")
    first.delivery.register(stuck, None)
    await first.services.outbox.enqueue(Recipient("test", "c"), Outgoing("hello"), "k1")
    first.delivery.start()
    await asyncio.wait_for(stuck.started.wait(), timeout=30)
    await first.delivery.stop()
    sender = RecordingSender("test")
    second.delivery.register(sender, None)
    await second.delivery.drain()  # the shared clock has not moved: no lease ran out
    assert [m.text for _, m in sender.delivered] == ["hello"]
