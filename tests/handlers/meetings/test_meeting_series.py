"""Recurring meetings: a monthly series on the second Tuesday, across the end of summer time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.app import App
from tests.support.harness import FakeClock, texts
from tests.support.meetings import inbox, meeting_people

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)  # Monday 5 October, 10:00 summer time


async def test_monthly_series_across_dst(app: App, clock: FakeClock) -> None:
    """Every second Tuesday at 18:30 New York time, summer or winter; each occurrence is
    announced a week ahead and reminded; one cancelled alone, then the whole series."""
    clock.now = NOW
    organizer, sender = await meeting_people(app)
    await organizer.send("/meeting new")
    await organizer.send("Beat meeting")
    await organizer.send("10/13 6:30pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Precinct community room")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.skip")
    choices = await organizer.press_payload("mtg.rem|default")
    labels = [b.label for m in choices for row in m.buttons for b in row]
    assert "Every month: Oct 13, Nov 10, Dec 8…" in labels
    assert "Every week: Oct 13, Oct 20, Oct 27…" in labels
    await organizer.press_payload("mtg.repeat|monthly")
    preview = texts(await organizer.press_payload("mtg.skip"))
    assert "Repeats: Oct 13, Nov 10, Dec 8… until" in preview
    await organizer.press_payload("mtg.publish")
    await app.delivery.drain()

    first = inbox(sender, "sofia")
    assert len(first) == 1 and "13 de octubre" in first[0].text and "18:30" in first[0].text
    ics = Calendar.from_ical(first[0].attachment.data)  # type: ignore[union-attr]
    master = ics.walk("VEVENT")[0]
    assert master["UID"].startswith("series-1@")
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=2TU"
    assert master.decoded("DTSTART") == datetime(2026, 10, 13, 18, 30, tzinfo=NEW_YORK)
    assert ics.walk("VTIMEZONE")  # the rule is read in New York's own time

    repos = app.repos.meetings
    series = await repos.occurrences(1)
    november, december, january = series[1], series[2], series[3]
    assert november.starts_at == datetime(2026, 11, 10, 23, 30, tzinfo=UTC)  # 18:30 EST
    assert january.starts_at == datetime(2027, 1, 12, 23, 30, tzinfo=UTC)
    assert series[5].starts_at == datetime(2027, 3, 9, 23, 30, tzinfo=UTC)  # still EST
    assert series[6].starts_at == datetime(2027, 4, 13, 22, 30, tzinfo=UTC)  # EDT again

    clock.now = november.starts_at - timedelta(days=7, minutes=1)
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == 1  # November is not announced yet
    clock.now = november.starts_at - timedelta(days=7)
    await app.delivery.drain()
    announced = inbox(sender, "sofia")[-1]
    assert "10 de noviembre" in announced.text and "18:30" in announced.text
    clock.now = november.starts_at - timedelta(hours=24)
    await app.delivery.drain()
    assert "⏰" in inbox(sender, "sofia")[-1].text

    # December is cancelled on its own before anyone heard of it: nobody is told.
    await organizer.press_payload(f"mtg.cancel|{december.id}")
    await organizer.press_payload(f"mtg.cancel_yes|{december.id}")
    count = len(inbox(sender, "sofia"))
    clock.now = december.starts_at - timedelta(hours=1)
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == count
    clock.now = january.starts_at - timedelta(days=7)
    await app.delivery.drain()
    january_news = inbox(sender, "sofia")[-1]
    assert "12 de enero" in january_news.text
    calendar = Calendar.from_ical(january_news.attachment.data)  # type: ignore[union-attr]
    excluded = calendar.walk("VEVENT")[0].get("EXDATE")
    assert excluded is not None and b"20261208T183000" in excluded.to_ical()

    menu = await organizer.press_payload(f"mtg.edit|{january.id}:menu")
    assert "Change the whole series" in [b.label for m in menu for row in m.buttons for b in row]
    await organizer.press_payload(f"mtg.edit|{january.id}:place:all")
    assert "Saved" in texts(await organizer.send("New community hall"))
    await app.delivery.drain()
    assert "✏️" in inbox(sender, "sofia")[-1].text  # told about January, told of the change
    rest = [m for m in await repos.occurrences(1) if m.starts_at > clock.now]
    assert {m.place for m in rest if m.status.value == "published"} == {"New community hall"}

    listing = texts(await organizer.send("/meetings"))
    assert listing.count("Beat meeting") == 1 and "Repeats until" in listing
    await organizer.press_payload("mtg.cancel_series|1")
    assert "cancelled" in texts(await organizer.press_payload("mtg.cancel_series_yes|1"))
    await app.delivery.drain()
    assert "❌" in inbox(sender, "sofia")[-1].text  # told about January, told it is off
    assert all(m.status.value == "cancelled" for m in (await repos.occurrences(1))[3:])


async def test_a_weekly_series_does_not_hide_other_meetings(app: App, clock: FakeClock) -> None:
    """A year of weekly occurrences still leaves room in /meetings for a one-off."""
    from tests.support.meetings import create_meeting

    clock.now = NOW
    organizer, _ = await meeting_people(app)
    await organizer.send("/meeting new")
    await organizer.send("Weekly walk")
    await organizer.send("10/8 6pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Park gate")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.rem|none")
    await organizer.press_payload("mtg.repeat|weekly")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.publish")
    await create_meeting(organizer, "6/1/2027 6:30pm")
    listing = texts(await organizer.send("/meetings"))
    assert listing.count("Weekly walk") == 1 and "Neighborhood safety meeting" in listing
