"""Meetings: announce, reminders, changes, cancellation, quiet hours, subscriptions, .ics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from bot.app import App
from bot.core.people import Role
from storage.outbox import OutboxStatus
from tests.support.app import AppFactory
from tests.support.harness import Conversation, FakeClock, RecordingSender, staff_member, texts
from tests.support.meetings import BEFORE_DST_END, create_meeting, inbox, meeting_people


async def test_announcement_in_each_language_and_zone_across_dst(
    app: App, clock: FakeClock
) -> None:
    """Spanish in New York and Arabic in Paris read their own local time, after DST ends."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    spanish = inbox(sender, "sofia")[-1]
    arabic = inbox(sender, "amal")[-1]
    assert "18:30" in spanish.text or "6:30" in spanish.text
    assert "noviembre" in spanish.text
    assert "نوفمبر" in arabic.text and arabic.rtl
    assert "٠٠:٠٠" in arabic.text or "00:00" in arabic.text or "12:30" in arabic.text
    assert inbox(sender, "nobody") == []
    assert spanish.attachment is not None and spanish.attachment.filename.endswith(".ics")
    event = Calendar.from_ical(spanish.attachment.data).walk("VEVENT")[0]
    assert event["UID"].startswith("meeting-1@")
    assert event.decoded("DTSTART") == datetime(2026, 11, 5, 23, 30, tzinfo=UTC)


async def test_reminders_arrive_at_their_offsets(app: App, clock: FakeClock) -> None:
    """24 h and 1 h before, each once, nothing early."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    start = datetime(2026, 11, 5, 23, 30, tzinfo=UTC)
    clock.now = start - timedelta(hours=24, minutes=1)
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == 1
    clock.now = start - timedelta(hours=24)
    await app.delivery.drain()
    assert "24" in inbox(sender, "sofia")[-1].text
    clock.now = start - timedelta(hours=1)
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == 3


async def test_edit_moves_reminders_and_notifies(app: App, clock: FakeClock) -> None:
    """A new time tells everyone and replaces the pending reminders."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    await organizer.press_payload("mtg.edit|1:when")
    assert "Friday, November 6, 2026, 7:00\u202fPM" in texts(await organizer.send("11/6 7pm"))
    assert "Saved" in texts(await organizer.press_payload("mtg.when_ok"))
    await app.delivery.drain()
    notice = inbox(sender, "sofia")[-1]
    assert "cambiado" in notice.text.lower() or "changed" in notice.text.lower()
    event = Calendar.from_ical(notice.attachment.data).walk("VEVENT")[0]  # type: ignore[union-attr]
    assert int(event["SEQUENCE"]) == 2
    clock.now = datetime(2026, 11, 4, 23, 30, tzinfo=UTC)  # old 24 h reminder time
    await app.delivery.drain()
    before = len(inbox(sender, "sofia"))
    clock.now = datetime(2026, 11, 6, 0, 0, tzinfo=UTC)  # new 24 h reminder time
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == before + 1


async def test_cancellation_notifies_and_withdraws_reminders(app: App, clock: FakeClock) -> None:
    """Cancelled: everyone told once; no reminder follows."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    await organizer.press_payload("mtg.cancel|1")
    await organizer.press_payload("mtg.cancel_yes|1")
    await app.delivery.drain()
    cancelled = inbox(sender, "sofia")[-1]
    assert cancelled.buttons == ()
    event = Calendar.from_ical(cancelled.attachment.data).walk("VEVENT")[0]  # type: ignore[union-attr]
    assert str(event["STATUS"]) == "CANCELLED"
    clock.now = datetime(2026, 11, 5, 23, 0, tzinfo=UTC)
    count = len(inbox(sender, "sofia"))
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == count
    late = Conversation(app, user="sofia", platform="console")
    assert texts(await late.press_payload("mtg.rsvp|1:going"))  # a clear refusal...
    tally = await app.repos.meetings.rsvp_counts(1)
    assert sum(tally.values()) == 0  # ...and nothing recorded


async def test_restart_between_announcement_and_reminder(
    make_app: AppFactory, clock: FakeClock
) -> None:
    """The reminder, a database row, survives a restart and is sent once."""
    clock.now = BEFORE_DST_END
    first = await make_app()
    organizer, _ = await meeting_people(first)
    await create_meeting(organizer)
    await first.delivery.drain()
    second = await make_app()
    sender = RecordingSender("console")
    second.delivery.register(sender, None)
    clock.now = datetime(2026, 11, 5, 22, 30, tzinfo=UTC)
    await second.delivery.drain()
    await second.delivery.drain()
    reminders = [m for m in inbox(sender, "sofia") if "⏰" in m.text]
    assert len(reminders) == 2  # the 24 h one late (meeting not started yet), and the 1 h one


async def test_missed_reminder_after_start_is_skipped(app: App, clock: FakeClock) -> None:
    """A reminder whose meeting already began is never sent."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
    await app.delivery.drain()
    count = len(inbox(sender, "sofia"))
    clock.now = datetime(2026, 11, 6, 1, 0, tzinfo=UTC)
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == count
    counts = await app.repos.outbox.counts_by_status()
    assert counts[OutboxStatus.SKIPPED] >= 2  # both reminder send jobs expired unexpanded


async def test_quiet_hours_hold_announcement_until_morning(app: App, clock: FakeClock) -> None:
    """Published at 23:00 New York time: New York subscribers hear at 08:00."""
    clock.now = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)  # 23:00 EST
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer, "11/20 6:30pm")
    await app.delivery.drain()
    assert inbox(sender, "sofia") == []
    clock.now = datetime(2026, 11, 10, 13, 0, tzinfo=UTC)  # 08:00 EST
    await app.delivery.drain()
    assert len(inbox(sender, "sofia")) == 1


async def test_unsubscribe_and_stop_in_another_language(app: App, clock: FakeClock) -> None:
    """/unsubscribe and STOP (or its translation) both stop announcements."""
    clock.now = BEFORE_DST_END
    organizer, sender = await meeting_people(app)
    await Conversation(app, user="sofia", platform="console", language_hint="es").send("STOP")
    await Conversation(app, user="amal", platform="console").send("/unsubscribe")
    await create_meeting(organizer)
    await app.delivery.drain()
    assert inbox(sender, "sofia") == [] and inbox(sender, "amal") == []


async def test_bad_dates_get_clear_errors(app: App, clock: FakeClock) -> None:
    """An impossible or past date is refused with an example, and the step is kept."""
    organizer, _ = await meeting_people(app)
    await organizer.send("/meeting new")
    await organizer.send("Title")
    assert "does not exist" in texts(await organizer.send("31/02 18:30"))
    assert "already passed" in texts(await organizer.send("1/2/2020 10:00"))
    assert "Is that right?" in texts(await organizer.send("12/24 5pm"))
    assert "Where" in texts(await organizer.press_payload("mtg.when_ok"))


async def test_residents_cannot_publish(app: App) -> None:
    """/meeting new and the publish button are for organizers only."""
    resident = Conversation(app, user="rita", platform="console")
    assert "staff" in texts(await resident.send("/meeting new"))
    assert "staff" in texts(await resident.press_payload("mtg.publish"))


async def test_an_organizer_who_loses_the_role_mid_flow_is_answered_as_a_resident(
    app: App,
) -> None:
    """The flow's role is checked at every step: after a revoke, the next message leaves
    the flow and gets the answer anyone would get, instead of filling in a meeting."""
    organizer, _ = await staff_member(app, "olga", Role.ORGANIZER)
    await organizer.send("/meeting new")
    person = await app.repos.people.find("console", "olga")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.RESIDENT)
    reply = texts(await organizer.send("what's the weather tomorrow"))
    assert reply.startswith("I can only help with questions about the police")
    assert await app.repos.conversations.get(person.id) is None
