"""Meetings as native calendar events on the platforms that have them (Discord).

Members of a Discord server already look at its scheduled events; a meeting appears there
too where the bot may manage events. The .ics attachment stays for everyone else.
"""

from __future__ import annotations

from bot.core.context import Services
from bot.core.ports import CalendarEntry
from handlers.meetings.calendar import DEFAULT_DURATION
from handlers.meetings.service import Meetings
from storage.meetings import Meeting, MeetingStatus


def entry(services: Services, meeting: Meeting) -> CalendarEntry:
    """The event in the deployment's language; the place, else the online link."""
    title, description = meeting.text_in(services.config.bot.default_locale)
    return CalendarEntry(
        title=title,
        description=description,
        location=meeting.place or meeting.link,
        start=meeting.starts_at,
        end=meeting.starts_at + DEFAULT_DURATION,
    )


async def sync(services: Services, meeting: Meeting) -> None:
    """Create, update or cancel the meeting's event on every platform that has events."""
    kept = services.feature(Meetings).meetings
    for platform, publisher in services.calendars.items():
        existing = await kept.platform_events(meeting.id, platform)
        if meeting.status is MeetingStatus.CANCELLED:
            if existing:
                await publisher.cancel(existing)
            continue
        saved = await publisher.save(entry(services, meeting), existing)
        if saved != existing:
            await kept.set_platform_events(meeting.id, platform, saved)
