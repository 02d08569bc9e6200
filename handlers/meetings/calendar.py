"""`.ics` files: one VEVENT per meeting with a stable UID, so an update replaces the entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.meetings import Meeting, MeetingStatus

# Calendars need an end; community meetings typically run about this long.
DEFAULT_DURATION = timedelta(hours=2)


def meeting_ics(meeting: Meeting, lang: str, domain: str, now: datetime) -> bytes:
    """A calendar file for `meeting` in `lang`; a cancelled meeting cancels the entry."""
    from icalendar import Calendar, Event  # loaded on the first announcement only

    title, description = meeting.text_in(lang)
    calendar = Calendar()
    calendar.add("prodid", "-//Community Liaison Bot//meetings//EN")
    calendar.add("version", "2.0")
    cancelled = meeting.status is MeetingStatus.CANCELLED
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{domain}")
    event.add("sequence", meeting.version)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", (meeting.starts_at + DEFAULT_DURATION).astimezone(UTC))
    event.add("summary", title)
    if description:
        event.add("description", description)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.link:
        event.add("url", meeting.link)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
