"""Who hears about a meeting is decided when each message goes out, not at publish time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.core.events import Outgoing
from tests.harness import Conversation, FakeClock, RecordingSender, texts
from tests.test_meetings import BEFORE_DST_END, _create, _people, inbox

START = datetime(2026, 11, 5, 23, 30, tzinfo=UTC)  # "11/5 6:30pm" in New York


def reminders(sender: RecordingSender, user: str) -> list[Outgoing]:
    return [m for m in inbox(sender, user) if "⏰" in m.text]


async def _reach(app: App, moment: datetime) -> None:
    """Move the clock and deliver whatever has fallen due (send jobs, then their messages)."""
    app.services.clock.now = moment  # type: ignore[attr-defined]
    await app.delivery.drain()


async def test_late_subscriber_gets_announcement_and_reminders(app: App, clock: FakeClock) -> None:
    """Subscribing after the announcement: the announcement now, and both reminders."""
    clock.now = BEFORE_DST_END
    organizer, sender = await _people(app)
    await _create(organizer)
    await app.delivery.drain()
    clock.now = BEFORE_DST_END + timedelta(days=1)
    late = Conversation(app, user="lena", platform="console", language_hint="ru")
    await late.send("/subscribe")
    await app.delivery.drain()
    announced = inbox(sender, "lena")
    assert len(announced) == 1 and "Новая встреча" in announced[0].text
    assert announced[0].attachment is not None  # the calendar file comes with it
    await _reach(app, START - timedelta(hours=24))
    await _reach(app, START - timedelta(hours=1))
    assert len(reminders(sender, "lena")) == 2
    await late.send("/subscribe")  # subscribing again does not announce twice
    await app.delivery.drain()
    assert len(inbox(sender, "lena")) == 3


async def test_going_brings_reminders_and_cant_go_stops_them(app: App, clock: FakeClock) -> None:
    """An unsubscribed "Going" gets the remaining reminder; a subscriber's "Can't go" none."""
    clock.now = BEFORE_DST_END
    organizer, sender = await _people(app)
    await _create(organizer)
    await app.delivery.drain()
    await _reach(app, START - timedelta(hours=24))
    assert len(reminders(sender, "sofia")) == 1
    visitor = Conversation(app, user="nobody", platform="console")
    assert texts(await visitor.press_payload("mtg.rsvp|1:going"))
    sofia = Conversation(app, user="sofia", platform="console", language_hint="es")
    await sofia.press_payload("mtg.rsvp|1:no")
    await _reach(app, START - timedelta(hours=1))
    assert len(reminders(sender, "nobody")) == 1  # only the one still to come
    assert len(reminders(sender, "sofia")) == 1  # no 1-hour reminder after "Can't go"
    assert len(reminders(sender, "amal")) == 2


async def test_publish_counts_todays_audience(app: App, clock: FakeClock) -> None:
    """The organizer is told how many people the announcement goes to right now."""
    clock.now = BEFORE_DST_END
    organizer, _ = await _people(app)
    await organizer.send("/meeting new")
    await organizer.send("Town hall")
    await organizer.send("11/5 6:30pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.rem|default")
    await organizer.press_payload("mtg.skip")
    assert "2 people" in texts(await organizer.press_payload("mtg.publish"))
