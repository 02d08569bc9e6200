"""Meetings as Discord guild scheduled events, through the real adapter and the fake."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.fakes.discord_api import FakeDiscord
from tests.support.harness import FakeClock, texts
from tests.support.meetings import BEFORE_DST_END, create_meeting, meeting_people
from tests.support.platforms import Connect


async def test_meeting_becomes_a_scheduled_event_updated_and_cancelled(
    connect: Connect,
    fake: FakeDiscord,
    clock: FakeClock,
) -> None:
    """Publish creates the event, a new time moves it, cancelling cancels it."""
    clock.now = BEFORE_DST_END
    app, _ = await connect()
    organizer, _ = await meeting_people(app)
    await create_meeting(organizer)
    [event] = fake.scheduled_events.values()
    assert event["guild_id"] == fake.GUILD_ID
    assert event["name"] == "Neighborhood safety meeting"
    assert event["entity_metadata"]["location"] == "Library, 12 Main St"
    start = datetime.fromisoformat(event["scheduled_start_time"])
    assert start == datetime(2026, 11, 5, 23, 30, tzinfo=UTC)
    await app.delivery.drain()
    assert fake.posts_to(fake.ANNOUNCE_CHANNEL_ID)  # the channel post carries the .ics too

    await organizer.press_payload("mtg.edit|1:when")
    await organizer.send("11/6 7pm")
    assert "Saved" in texts(await organizer.press_payload("mtg.when_ok"))
    assert len(fake.scheduled_events) == 1  # the same event, moved
    moved = datetime.fromisoformat(event["scheduled_start_time"])
    assert moved == datetime(2026, 11, 7, 0, 0, tzinfo=UTC)

    await organizer.press_payload("mtg.cancel|1")
    await organizer.press_payload("mtg.cancel_yes|1")
    assert event["status"] == 4  # cancelled


async def test_without_manage_events_the_meeting_still_goes_out(
    connect: Connect,
    fake: FakeDiscord,
    clock: FakeClock,
) -> None:
    """A 403 from Discord skips the event; the announcement and its .ics go out anyway."""
    clock.now = BEFORE_DST_END
    fake.refuse("POST", r"/guilds/\d+/scheduled-events", 403, 50013, "Missing Permissions")
    app, _ = await connect()
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    assert fake.scheduled_events == {}
    assert await app.repos.meetings.platform_events(1, "discord") == ()
    announcement = next(m for r, m in sender.delivered if r.chat_id == "sofia")
    assert announcement.attachment is not None
