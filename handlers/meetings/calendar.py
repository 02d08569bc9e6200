"""`.ics` files with a stable UID, so an update replaces the calendar entry.

A single meeting is one VEVENT. An occurrence of a series carries the whole series: one
VEVENT with the RRULE in the meeting's own zone (so 18:30 stays 18:30 across clock
changes), cancelled occurrences as EXDATEs, and a moved one as an override with its
RECURRENCE-ID — calendars then hold one entry per series, updated by every message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.meetings import Meeting, MeetingStatus, Series

# Calendars need an end; community meetings typically run about this long.
DEFAULT_DURATION = timedelta(hours=2)


def meeting_ics(
    meeting: Meeting,
    lang: str,
    domain: str,
    now: datetime,
    series: Series | None = None,
    occurrences: Sequence[Meeting] = (),
) -> bytes:
    """A calendar file for `meeting` in `lang`; a cancelled meeting cancels the entry."""
    from icalendar import Calendar  # loaded on the first announcement only

    calendar = Calendar()
    calendar.add("prodid", "-//Community Liaison Bot//meetings//EN")
    calendar.add("version", "2.0")
    if series is None or not occurrences:
        cancelled = meeting.status is MeetingStatus.CANCELLED
        calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
        calendar.add_component(_event(meeting, lang, f"meeting-{meeting.id}@{domain}", now))
        return bytes(calendar.to_ical())
    cancelled = all(o.status is MeetingStatus.CANCELLED for o in occurrences)
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    zone = ZoneInfo(series.timezone)
    uid = f"series-{series.id}@{domain}"
    sequence = max(o.version for o in occurrences)
    first = occurrences[0]
    master = _event(first, lang, uid, now, zone, sequence)
    master["status"] = "CANCELLED" if cancelled else "CONFIRMED"
    master.add("rrule", _recur(series.rule))
    for other in occurrences:
        planned = other.series_start or other.starts_at
        if other.status is MeetingStatus.CANCELLED and not cancelled:
            master.add("exdate", planned.astimezone(zone))
    calendar.add_component(master)
    for other in occurrences:
        planned = other.series_start or other.starts_at
        moved = other.starts_at != planned or other.version > 1
        if moved and other.status is MeetingStatus.PUBLISHED and other is not first:
            override = _event(other, lang, uid, now, zone, sequence)
            override.add("recurrence-id", planned.astimezone(zone))
            calendar.add_component(override)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _recur(rule: str) -> Any:
    from icalendar import vRecur

    return vRecur.from_ical(rule)


def _event(
    meeting: Meeting,
    lang: str,
    uid: str,
    now: datetime,
    zone: ZoneInfo | None = None,
    sequence: int | None = None,
) -> Any:
    from icalendar import Event

    title, description = meeting.text_in(lang)
    event = Event()
    event.add("uid", uid)
    event.add("sequence", meeting.version if sequence is None else sequence)
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(zone or UTC))
    event.add("dtend", (meeting.starts_at + DEFAULT_DURATION).astimezone(zone or UTC))
    event.add("summary", title)
    if description:
        event.add("description", description)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.link:
        event.add("url", meeting.link)
    cancelled = meeting.status is MeetingStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event
