"""Meetings as native calendar events on the platforms that have them (Discord).

Members of a Discord server already look at its scheduled events; a meeting appears there
too where the bot may manage events (the meetings service keeps them in step). The .ics
attachment stays for everyone else.
"""

from __future__ import annotations

from bot.core.context import Services
from bot.core.ports import CalendarEntry
from handlers.meetings.calendar import DEFAULT_DURATION
from storage.meetings import Meeting


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
