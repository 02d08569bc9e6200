"""The durable outbox: idempotent enqueue, ordered paced delivery, honest failures."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import App
from bot.core.events import Outgoing
from bot.core.ports import Recipient, RetryAfter, TemporaryFailure, Unreachable
from bot.outbox import Pacing
from storage.outbox import OutboxStatus
from tests.harness import FakeClock, RecordingSender


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
    counts = await app.services.repos.outbox.counts_by_status()
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
    people = app.services.repos.people
    person = await people.upsert_seen("test", "gone", None, app.services.clock())
    sender = FlakySender("test", [Unreachable("blocked")])
    app.delivery.register(sender, None)
    await app.services.outbox.enqueue(
        Recipient("test", "gone", person_id=person.id), Outgoing("hi"), "a"
    )
    await app.delivery.drain()
    counts = await app.services.repos.outbox.counts_by_status()
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
