"""What meeting notices say, and how one kind of notice is queued to its audiences.

Announcements, change notices, cancellations and reminders are rendered once per
language, time zone and kind of audience, and queued as outbox rows with a dedupe key per
(meeting, version, kind, person). When they are sent, and to whom, the meetings service
decides (`handlers.meetings.service`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.audiences import Audience
from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.payloads import ButtonSpec, Payload
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.meetings.audiences import (
    after_quiet_hours,
)
from handlers.meetings.calendar import meeting_ics
from storage.meetings import Meeting, MeetingRepository, Rsvp, Series


@dataclass(frozen=True, slots=True)
class MeetingRsvp(Payload):
    meeting_id: int
    answer: Rsvp


RSVP = ButtonSpec("mtg.rsvp", MeetingRsvp)
# The outbox "platform" whose rows are send jobs (announcements of later occurrences of a
# series, reminders) rather than messages.
JOBS_PLATFORM = "meetings"
# An occurrence of a series is announced this long before it starts, not all at once.
ANNOUNCE_AHEAD = timedelta(days=7)


class Notice:
    ANNOUNCE = "announce"
    REMIND = "remind"
    CHANGE = "change"
    CANCEL = "cancel"


def meeting_text(t: Translator, meeting: Meeting, zone: ZoneInfo, heading: str) -> str:
    title, description = meeting.text_in(t.locale)
    lines = [heading, "", title, "🗓 " + t.moment(meeting.starts_at, zone)]
    if meeting.place:
        lines.append("📍 " + meeting.place)
    if meeting.link:
        lines.append("🔗 " + meeting.link)
    if description:
        lines.extend(["", description])
    return "\n".join(lines)


def rsvp_buttons(t: Translator, meeting_id: int) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            RSVP.button(t._("Going"), MeetingRsvp(meeting_id, Rsvp.GOING)),
            RSVP.button(t._("Maybe"), MeetingRsvp(meeting_id, Rsvp.MAYBE)),
            RSVP.button(t._("Can't go"), MeetingRsvp(meeting_id, Rsvp.NO)),
        ),
    )


def _heading(t: Translator, kind: str, meeting: Meeting, minutes: int = 0) -> str:
    if kind == Notice.ANNOUNCE:
        return t._("📣 New community meeting")
    if kind == Notice.CHANGE:
        return t._("✏️ This meeting has changed. Here are the new details:")
    if kind == Notice.CANCEL:
        return t._("❌ This meeting is cancelled.")
    if minutes % 60 == 0:
        hours = minutes // 60
        return t.ngettext(
            "⏰ Reminder: the meeting starts in {count} hour.",
            "⏰ Reminder: the meeting starts in {count} hours.",
            hours,
        ).format(count=hours)
    return t.ngettext(
        "⏰ Reminder: the meeting starts in {count} minute.",
        "⏰ Reminder: the meeting starts in {count} minutes.",
        minutes,
    ).format(count=minutes)


SeriesView = tuple[Series, list[Meeting]]


def render(
    services: Services,
    audience: Audience,
    meeting: Meeting,
    kind: str,
    minutes: int = 0,
    series: SeriesView | None = None,
) -> Outgoing:
    t = services.languages.translator(audience.lang)
    text = meeting_text(t, meeting, audience.zone, _heading(t, kind, meeting, minutes))
    buttons = (
        () if kind == Notice.CANCEL or audience.person_id is None else rsvp_buttons(t, meeting.id)
    )
    ics = None
    if kind in (Notice.ANNOUNCE, Notice.CHANGE, Notice.CANCEL):
        # Built only when attached: reminders carry none, and a calendar file is costly.
        ics = Attachment(
            filename=f"meeting-{meeting.id}.ics",
            data=meeting_ics(
                meeting,
                t.locale,
                services.config.meetings.calendar_domain,
                services.clock(),
                *(series or ()),
            ),
            mime_type="text/calendar",
        )
    return Outgoing(text, buttons, ics, rtl=t.is_rtl)


def send_time(services: Services, zone: ZoneInfo, meeting: Meeting, at: datetime) -> datetime:
    """Quiet hours delay a non-urgent message, unless the meeting would have begun by then."""
    delayed = after_quiet_hours(services.config, zone, at)
    return at if delayed >= meeting.starts_at else delayed


class _Renderer:
    """Renders each distinct message once: a city-wide announcement has ten languages and
    a few time zones, not ten thousand different texts.

    A message is rendered in a worker thread the first time it is needed: the first use
    of a language loads its CLDR data and the first calendar file imports icalendar, a
    tenth of a second or more each, which would otherwise stall every chat the bot serves.
    """

    def __init__(
        self, services: Services, meeting: Meeting, series: SeriesView | None = None
    ) -> None:
        self._services = services
        self._meeting = meeting
        self._series = series
        self._cache: dict[tuple[str, str, str, int, bool], Outgoing] = {}

    @staticmethod
    def _key(audience: Audience, kind: str, minutes: int) -> tuple[str, str, str, int, bool]:
        return (audience.lang, audience.zone.key, kind, minutes, audience.person_id is None)

    async def prepare(self, audiences: list[Audience], kind: str, minutes: int = 0) -> None:
        """Render, off the event loop, every message these audiences need and lack."""
        for audience in audiences:
            key = self._key(audience, kind, minutes)
            if key not in self._cache:
                self._cache[key] = await asyncio.to_thread(
                    render, self._services, audience, self._meeting, kind, minutes, self._series
                )

    def __call__(self, audience: Audience, kind: str, minutes: int = 0) -> Outgoing:
        """The message for this audience (`prepare` rendered it)."""
        return self._cache[self._key(audience, kind, minutes)]


def broadcast_id(meeting: Meeting, kind: str) -> str:
    """The outbox broadcast id of one kind of notice for one version of a meeting."""
    return f"meeting:{meeting.id}:v{meeting.version}:{kind}"


class Notices:
    """One kind of notice about one meeting version, queued to audiences page by page."""

    def __init__(
        self,
        services: Services,
        kept: MeetingRepository,
        meeting: Meeting,
        kind: str,
        minutes: int = 0,
    ) -> None:
        self._services = services
        self._kept = kept
        self._meeting = meeting
        self._kind = kind
        self._minutes = minutes
        self._rendered: _Renderer | None = None
        self.broadcast = broadcast_id(
            meeting, f"remind{minutes}" if kind == Notice.REMIND else kind
        )

    async def queue(self, audiences: list[Audience]) -> int:
        """Queue the notice for these audiences (one transaction); how many were new."""
        services, meeting = self._services, self._meeting
        if self._rendered is None:
            series = await _series_view(self._kept, meeting, self._kind)
            self._rendered = _Renderer(services, meeting, series)
        await self._rendered.prepare(audiences, self._kind, self._minutes)
        now = services.clock()
        expires = meeting.starts_at if self._kind != Notice.CANCEL else None
        due: dict[str, datetime] = {}  # per time zone: people in one zone share quiet hours
        batch = []
        for audience in audiences:
            at = due.get(audience.zone.key)
            if at is None:
                at = due[audience.zone.key] = send_time(services, audience.zone, meeting, now)
            recipient = audience.recipient
            batch.append(
                Queued(
                    recipient,
                    self._rendered(audience, self._kind, self._minutes),
                    f"{self.broadcast}:{recipient.platform}:{recipient.chat_id}",
                    not_before=at,
                    broadcast_id=self.broadcast,
                    expires_at=expires,
                )
            )
        return await services.outbox.enqueue_many(batch)


async def _series_view(kept: MeetingRepository, meeting: Meeting, kind: str) -> SeriesView | None:
    """The series and its occurrences, for the calendar file of an occurrence."""
    if meeting.series_id is None or kind == Notice.REMIND:
        return None
    series = await kept.series(meeting.series_id)
    if series is None:
        return None
    return series, await kept.occurrences(series.id)


def reminder_times(meeting: Meeting, now: datetime) -> list[tuple[int, datetime]]:
    """(minutes before, due) of each reminder still ahead; one already due is not sent,
    since the announcement or change notice says it all."""
    due = [(m, meeting.starts_at - timedelta(minutes=m)) for m in meeting.reminder_minutes]
    return [(minutes, at) for minutes, at in due if at > now]


def announce_at(meeting: Meeting, now: datetime) -> datetime:
    """When a meeting is announced: at once, or a week ahead for an occurrence of a series."""
    if meeting.series_id is None:
        return now
    return max(now, meeting.starts_at - ANNOUNCE_AHEAD)
