"""The durable outbox: idempotent enqueue, ordered paced delivery, honest failures."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from bot.app import App
from bot.core.events import Outgoing
from bot.core.ports import Recipient, RetryAfter, TemporaryFailure, Unreachable
from bot.delivery.pacing import Pacing
from storage.outbox import OutboxStatus
from tests.support.harness import FakeClock, RecordingSender


@dataclass
class FlakySender:
    """Fails with the queued errors first, then delivers."""

    platform: str
    failures: list[Exception]
    delivered: list[str] = field(default_factory=list)

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(message.text)


async def test_enqueue_is_idempotent_per_dedupe_key(app: App) -> None:
    """The same dedupe key never makes a second row."""
    outbox = app.services.outbox
    target = Recipient("test", "chat-1")
    assert await outbox.enqueue(target, Outgoing("one"), "k1")
    assert not await outbox.enqueue(target, Outgoing("one again"), "k1")
    counts = await app.repos.outbox.counts_by_status()
    assert counts[OutboxStatus.PENDING] == 1


async def test_rows_of_one_chat_are_delivered_in_order(app: App) -> None:
    """Per-chat order is enqueue order, and each row is sent exactly once."""
    sender = RecordingSender("test")
    app.delivery.register(sender, Pacing(1000, lambda chat: (1000, 1)))
    for number in range(20):
        await app.services.outbox.enqueue(
            Recipient("test", "c"), Outgoing(str(number)), f"k{number}"
        )
    await app.delivery.drain()
    await app.delivery.drain()
    assert [m.text for _, m in sender.delivered] == [str(n) for n in range(20)]


async def test_retry_after_waits_then_delivers_in_order(app: App, clock: FakeClock) -> None:
    """A 429 holds the chat for exactly retry_after; nothing later overtakes it."""
    sender = FlakySender("test", [RetryAfter(30)])
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(Recipient("test", "c"), Outgoing("first"), "a")
    await app.services.outbox.enqueue(Recipient("test", "c"), Outgoing("second"), "b")
    await app.delivery.drain()
    assert sender.delivered == []
    clock.advance(seconds=29)
    await app.delivery.drain()
    assert sender.delivered == []
    clock.advance(seconds=1)
    await app.delivery.drain()
    assert sender.delivered == ["first", "second"]


async def test_temporary_failures_back_off_then_succeed(app: App, clock: FakeClock) -> None:
    """5xx/timeouts are retried with growing delays until the platform recovers."""
    sender = FlakySender("test", [TemporaryFailure("502"), TemporaryFailure("502")])
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(Recipient("test", "c"), Outgoing("hello"), "a")
    for _ in range(5):
        await app.delivery.drain()
        clock.advance(seconds=5)
    assert sender.delivered == ["hello"]


async def test_unreachable_person_is_marked_and_skipped(app: App) -> None:
    """A blocked bot marks the person unreachable and the row skipped, not retried."""
    people = app.repos.people
    person = await people.upsert_seen("test", "gone", None, app.services.clock())
    sender = FlakySender("test", [Unreachable("blocked")])
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(
        Recipient("test", "gone", person_id=person.id), Outgoing("hi"), "a"
    )
    await app.delivery.drain()
    counts = await app.repos.outbox.counts_by_status()
    assert counts[OutboxStatus.SKIPPED] == 1
    refreshed = await people.get(person.id)
    assert refreshed is not None and refreshed.unreachable


async def test_future_rows_wait_and_do_not_block_others(app: App, clock: FakeClock) -> None:
    """A row scheduled for later is held, while a newer row for the same chat goes now."""
    sender = RecordingSender("test")
    app.delivery.register(sender, None)
    outbox = app.services.outbox
    later = clock.now.replace(hour=clock.now.hour + 1)
    await outbox.enqueue(Recipient("test", "c"), Outgoing("reminder"), "r", not_before=later)
    await outbox.enqueue(Recipient("test", "c"), Outgoing("relay"), "x")
    await app.delivery.drain()
    assert [m.text for _, m in sender.delivered] == ["relay"]
    clock.now = later
    await app.delivery.drain()
    assert [m.text for _, m in sender.delivered] == ["relay", "reminder"]


async def test_fractional_rates_are_honoured_not_refused(app: App) -> None:
    """0.5 messages per period means one every two periods: every row goes, paced."""
    sender = RecordingSender("test")
    # One message per 0.04 s in the chat (0.5 per 0.02 s); overall 0.5 per second.
    app.delivery.register(sender, Pacing(0.5, lambda chat: (0.5, 0.02)))
    await app.services.outbox.enqueue(Recipient("test", "a"), Outgoing("first"), "f")
    await app.delivery.drain()
    assert [m.text for _, m in sender.delivered] == ["first"], "a rate below 1 still sends"

    paced = RecordingSender("paced")
    app.delivery.register(paced, Pacing(1000, lambda chat: (0.5, 0.02)))
    for number in range(3):
        await app.services.outbox.enqueue(
            Recipient("paced", "c"), Outgoing(str(number)), f"p{number}"
        )
    loop = asyncio.get_running_loop()
    started = loop.time()
    while len(paced.delivered) < 3 and loop.time() - started < 5:
        await app.delivery.drain()
    assert [m.text for _, m in paced.delivered] == ["0", "1", "2"]
    assert loop.time() - started >= 0.07, "two waits of 0.04 s between three messages"


@dataclass
class SlowWire:
    """A platform with a round trip, so several sends are on the wire together."""

    platform: str
    delivered: list[str] = field(default_factory=list)

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        await asyncio.sleep(0.002)
        self.delivered.append(recipient.chat_id)


async def test_a_broadcast_is_recorded_sent_in_groups_not_row_by_row(app: App) -> None:
    """Rows sent while one "sent" mark is on its way are recorded by the next one, and
    every row still ends up sent exactly once."""
    repo = app.repos.outbox
    groups: list[int] = []
    record = repo.mark_sent_many

    async def counted(item_ids: list[int], now: object) -> None:
        groups.append(len(item_ids))
        await record(item_ids, now)  # type: ignore[arg-type]

    repo.mark_sent_many = counted  # type: ignore[method-assign]
    wire = SlowWire("test")
    app.delivery.register(wire, None)
    for chat in range(120):
        await app.services.outbox.enqueue(Recipient("test", f"c{chat}"), Outgoing("hi"), f"k{chat}")
    await app.delivery.drain()
    assert sorted(wire.delivered) == sorted(f"c{chat}" for chat in range(120))
    assert sum(groups) == 120
    assert len(groups) < 120 / 3, f"{len(groups)} UPDATEs for 120 rows"
    counts = await repo.counts_by_status()
    assert counts[OutboxStatus.SENT] == 120 and counts[OutboxStatus.PENDING] == 0
