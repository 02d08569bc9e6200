"""Who hears about a meeting is decided when each message goes out, not at publish time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.core.events import Outgoing
from tests.support.harness import Conversation, FakeClock, RecordingSender, texts
from tests.support.meetings import BEFORE_DST_END, create_meeting, inbox, meeting_people

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
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
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
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer)
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
    organizer, _ = await meeting_people(app)
    await organizer.send("/meeting new")
    await organizer.send("Town hall")
    await organizer.send("11/5 6:30pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.rem|default")
    await organizer.press_payload("mtg.repeat|none")
    await organizer.press_payload("mtg.skip")
    assert "2 people" in texts(await organizer.press_payload("mtg.publish"))


async def test_preview_shows_reminder_times_and_quiet_hours(app: App, clock: FakeClock) -> None:
    """At 23:00 the preview says the announcement waits for 08:00, lists each reminder in
    the organizer's zone, and Publish does not claim the announcement is on its way."""
    clock.now = datetime(2026, 11, 10, 4, 0, tzinfo=UTC)  # 23:00 in New York
    organizer, sender = await meeting_people(app)
    await organizer.send("/meeting new")
    await organizer.send("Early coffee with the precinct")
    await organizer.send("11/20 8:30am")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.skip")
    await organizer.press_payload("mtg.rem|default")
    await organizer.press_payload("mtg.repeat|none")
    preview = texts(await organizer.press_payload("mtg.skip")).replace("\u202f", " ")
    assert "the announcement will go out at Tuesday, November 10, 2026, 8:00 AM" in preview
    assert "Thursday, November 19, 2026, 8:30 AM" in preview  # 24 h before
    assert (
        "Friday, November 20, 2026, 7:30 AM (quiet hours: sent at "
        "Friday, November 20, 2026, 8:00 AM)" in preview
    )
    published = texts(await organizer.press_payload("mtg.publish"))
    assert "Quiet hours" in published and "on its way" not in published
    await app.delivery.drain()
    assert inbox(sender, "sofia") == []


async def test_meetings_list_shows_answers_to_organizers(app: App, clock: FakeClock) -> None:
    """/meetings carries the RSVP counts for organizers, not for residents."""
    clock.now = BEFORE_DST_END
    organizer, _ = await meeting_people(app)
    await create_meeting(organizer)
    await Conversation(app, user="sofia", platform="console").press_payload("mtg.rsvp|1:going")
    await Conversation(app, user="amal", platform="console").press_payload("mtg.rsvp|1:no")
    listing = texts(await organizer.send("/meetings"))
    assert "going 1, maybe 0, can't go 1" in listing
    resident = texts(await Conversation(app, user="sofia", platform="console").send("/meetings"))
    assert "going 1" not in resident


async def test_times_are_shown_without_seconds_in_every_language(app: App) -> None:
    """The 🗓 line of a meeting reads "18:30", never "18:30:00", in all ten languages."""
    from zoneinfo import ZoneInfo

    from handlers.meetings.broadcast import meeting_text
    from storage.meetings import Meeting

    meeting = Meeting(1, "T", "", "Here", "", START, "America/New_York", (), ())
    for t in app.services.languages.all():
        line = meeting_text(t, meeting, ZoneInfo("America/New_York"), "#1").splitlines()[3]
        assert ":30:00" not in line and ("18:30" in line or "6:30" in line), (t.locale, line)


async def test_edited_link_must_be_https(app: App, clock: FakeClock) -> None:
    """Changing a meeting's link refuses javascript: and plain http, as creating does."""
    clock.now = BEFORE_DST_END
    organizer, _ = await meeting_people(app)
    await create_meeting(organizer)
    await organizer.press_payload("mtg.edit|1:link")
    assert "https://" in texts(await organizer.send("javascript:alert(1)"))
    assert "https://" in texts(await organizer.send("http://example.org"))
    assert "Saved" in texts(await organizer.send("https://example.org/meet"))
    meeting = await app.repos.meetings.get(1)
    assert meeting is not None and meeting.link == "https://example.org/meet"


async def test_button_picker_reaches_the_same_confirmation(app: App, clock: FakeClock) -> None:
    """A Haitian Creole organizer whose typing is not understood picks day, hour and
    minutes with buttons, then confirms the echo as anyone would."""
    from bot.core.people import Role
    from tests.support.harness import staff_member

    clock.now = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
    organizer, _ = await staff_member(app, "jean", Role.ORGANIZER)
    await organizer.send("/language")
    await organizer.press_payload("lang|ht")
    await organizer.send("/meeting new")
    await organizer.send("Reyinyon katye a")
    refused = await organizer.send("kèk jou semèn pwochèn")
    assert any(b.action == "mtg.pick" for m in refused for row in m.buttons for b in row)
    days = await organizer.press_payload("mtg.pick|start")
    day_args = [b.arg for m in days for row in m.buttons for b in row if b.action == "mtg.pick"]
    assert day_args[0] == "d2026-12-07" and len(day_args) == 14
    labels = [b.label for m in days for row in m.buttons for b in row]
    assert "madi 8 desanm 2026" in labels  # Haitian Creole names, not CLDR's "M12 8, Tue"
    await organizer.press_payload("mtg.pick|d2026-12-08")
    await organizer.press_payload("mtg.pick|h18")
    echo = texts(await organizer.press_payload("mtg.pick|m30"))
    assert "Mwen konprann: madi 8 desanm 2026, 18:30" in echo
    assert texts(await organizer.press_payload("mtg.when_ok"))  # on to the place
    state = await app.repos.conversations.get(
        (await app.repos.people.find("console", "jean")).id  # type: ignore[union-attr]
    )
    assert state is not None and state.data["when"].startswith("2026-12-08T23:30")
