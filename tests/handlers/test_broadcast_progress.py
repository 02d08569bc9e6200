"""Broadcast progress: a message organizers refresh in place, and live bars in the CLI."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from bot.app import App
from bot.core.events import Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient
from bot.ops.watch import watch_broadcasts
from bot.outbox import Queued
from tests.support.harness import Conversation, FakeClock, RecordingSender, texts

BEFORE_MEETING = datetime(2026, 10, 25, 16, 0, tzinfo=UTC)
BROADCAST = "meeting:1:v1:announce"


async def _member(app: App, user: str, hint: str, role: Role | None = None) -> Conversation:
    member = Conversation(app, user=user, platform="console", language_hint=hint)
    await member.send("/start")
    person = await app.repos.people.find("console", user)
    assert person is not None
    if role is not None:
        await app.repos.people.set_role(person.id, role)
    return member


async def _publish(organizer: Conversation) -> Outgoing:
    await organizer.send("/meeting new")
    await organizer.send("Neighborhood safety meeting")
    await organizer.send("11/5 6:30pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library, 12 Main St")
    await organizer.press_payload("mtg.skip")
    await organizer.send("Talk with the precinct about traffic stops")
    await organizer.press_payload("mtg.rem|default")
    await organizer.press_payload("mtg.repeat|none")
    await organizer.press_payload("mtg.skip")
    return (await organizer.press_payload("mtg.publish"))[-1]


async def test_organizers_refresh_delivery_progress_in_place(app: App, clock: FakeClock) -> None:
    """English and Arabic organizers see the same figures; a resident sees none."""
    clock.now = BEFORE_MEETING
    sender = RecordingSender("console")
    app.delivery.register(sender, None)
    olga = await _member(app, "olga", "en", Role.ORGANIZER)
    nadia = await _member(app, "nadia", "ar", Role.ORGANIZER)
    for user, hint in (("sofia", "es"), ("amal", "ar")):
        await (await _member(app, user, hint)).send("/subscribe")
    rami = await _member(app, "rami", "en")

    published = await _publish(olga)
    assert published.text.startswith("Published")
    shown = (await olga.press("Show delivery progress"))[0]
    assert not shown.edit  # the confirmation stays; progress comes as its own message
    assert shown.text.startswith("▱▱▱▱▱▱▱▱▱▱ 0% delivered")
    assert "Sent: 0 · waiting: 2 · failed: 0 · skipped: 0" in shown.text
    assert "finished" not in shown.text

    await app.delivery.drain()
    refreshed = (await olga.press("Refresh"))[0]
    assert refreshed.edit  # the same message, now current
    assert refreshed.text.startswith("▰▰▰▰▰▰▰▰▰▰ 100% delivered")
    assert "Sent: 2 · waiting: 0" in refreshed.text and "Delivery finished." in refreshed.text

    arabic = (await nadia.press_payload(f"bcast.refresh|{BROADCAST}"))[0]
    assert "تم تسليم" in arabic.text and "اكتمل الإرسال." in arabic.text and arabic.rtl

    refused = texts(await rami.press_payload(f"bcast.refresh|{BROADCAST}"))
    assert "only for the service's staff" in refused and "Sent:" not in refused
    unknown = texts(await olga.press_payload("bcast.show|meeting:99:v1:announce"))
    assert unknown == "Nothing has been queued for this announcement."


async def test_watch_draws_a_bar_per_active_broadcast_until_done(app: App) -> None:
    """Bars for broadcasts still going out; finished earlier ones are left to `status`."""
    sender = RecordingSender("console")
    app.delivery.register(sender, None)
    now = app.services.clock()

    def batch(broadcast: str, count: int) -> list[Queued]:
        return [
            Queued(
                Recipient("console", f"{broadcast}-{n}"),
                Outgoing("hello"),
                f"{broadcast}:{n}",
                now,
                broadcast_id=broadcast,
            )
            for n in range(count)
        ]

    await app.services.outbox.enqueue_many(batch("poll:1", 2))
    await app.delivery.drain()
    await app.services.outbox.enqueue_many(batch("meeting:7:v1:announce", 3))
    waits: list[float] = []

    async def deliver_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        await app.delivery.drain()

    out = io.StringIO()
    shown = await watch_broadcasts(
        app.repos.outbox, Console(file=out, width=150), 1.0, deliver_meanwhile
    )
    assert shown == 1 and waits == [1.0]
    screen = out.getvalue()
    assert "meeting:7:v1:announce" in screen and "3/3" in screen
    assert "sent 3, pending 0, failed 0, skipped 0" in screen
    assert "poll:1" not in screen


async def test_watch_with_nothing_going_out_says_so(app: App) -> None:
    """No pending broadcast: one line, and the watch ends at once."""
    out = io.StringIO()
    assert await watch_broadcasts(app.repos.outbox, Console(file=out), 1.0) == 0
    assert out.getvalue().strip() == "no broadcast is being delivered"
