"""Announcements, reminders and change notices, each one an outbox row per person.

Every message is queued with a dedupe key per (meeting, version, kind, person), so a
repeated publish never sends twice. Who hears is decided when each message is sent, not
when the meeting is published: an announcement or change goes to the subscribers of that
moment (and anyone who answered "Going"); each reminder is one *send job* — an outbox row
for the `meetings` pseudo-platform, due at the reminder's time, expiring at the start —
that `ReminderJobs` expands into one row per person when it falls due: subscribers and
"Going" then, minus "Can't go". A late subscriber is caught up with the announcements of
upcoming meetings (`catch_up`) and gets their reminders like everyone else. The database
is still the schedule: a restart loses nothing, and a changed meeting withdraws the old
version's pending rows and jobs and queues new ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.audiences import Audience
from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.payloads import ButtonSpec, Payload
from bot.core.ports import Recipient
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.meetings import native
from handlers.meetings.audiences import (
    after_quiet_hours,
    channel_audiences,
    pages,
    person_audience,
)
from handlers.meetings.calendar import meeting_ics
from handlers.meetings.service import Meetings
from storage.meetings import Meeting, MeetingStatus, Rsvp, Series, Subscriber


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

    def __init__(self, services: Services, meeting: Meeting, kind: str, minutes: int = 0) -> None:
        self._services = services
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
            series = await _series_view(services, meeting, self._kind)
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


async def queue(
    services: Services, audiences: list[Audience], meeting: Meeting, kind: str, minutes: int = 0
) -> int:
    """Queue one notice per audience in one transaction; returns how many were new."""
    return await Notices(services, meeting, kind, minutes).queue(audiences)


async def _series_view(services: Services, meeting: Meeting, kind: str) -> SeriesView | None:
    """The series and its occurrences, for the calendar file of an occurrence."""
    if meeting.series_id is None or kind == Notice.REMIND:
        return None
    kept = services.feature(Meetings).meetings
    series = await kept.series(meeting.series_id)
    if series is None:
        return None
    return series, await kept.occurrences(series.id)


async def _notify(
    services: Services,
    notices: Notices,
    read: Callable[[int], Awaitable[list[Subscriber]]],
    going: list[Subscriber],
    declined: set[int] | None = None,
    record: Meeting | None = None,
    channels: bool = True,
) -> int:
    """Queue `notices` to everyone `read` pages through and everyone going (each person
    once, nobody `declined`), then to the announcement channels; `record` notes who was
    told. Returns how many were new."""
    kept = services.feature(Meetings).meetings
    going_ids = {s.person_id for s in going}
    skip = going_ids | (declined or set())
    count = 0
    async for page in pages(read):
        people = [s for s in page if s.person_id not in skip]
        if record is not None:
            await kept.add_recipients(record.id, [s.person_id for s in people])
        count += await notices.queue([person_audience(services.config, s) for s in people])
    if record is not None:
        await kept.add_recipients(record.id, sorted(going_ids))
    audiences = [person_audience(services.config, s) for s in going]
    if channels:
        audiences += channel_audiences(services.config, services.platforms)
    return count + await notices.queue(audiences)


async def announce(services: Services, meeting: Meeting) -> int:
    """Tell today's subscribers in the audience and the announcement channels, then
    schedule the reminders; returns how many announcements were queued."""
    store = services.feature(Meetings)
    async with services.feature(
        Meetings
    ).transaction():  # recipients recorded with the queued notices
        going = await store.meetings.answered(meeting.id, Rsvp.GOING)
        count = await _notify(
            services,
            Notices(services, meeting, Notice.ANNOUNCE),
            lambda after: store.subscriptions.audience(meeting.audience_tags, after),
            going,
            record=meeting,
        )
        await schedule_reminders(services, meeting)
    return count


async def notify_change(services: Services, meeting: Meeting) -> int:
    """Withdraw the old version's pending messages and jobs, tell everyone who was told or
    is going, and schedule the new version's reminders."""
    store = services.feature(Meetings)
    # One transaction: the old messages are never withdrawn without the new ones queued.
    async with store.transaction():
        await store.queued.skip_pending(f"meeting:{meeting.id}:v")
        told = await store.meetings.recipients(meeting.id, limit=1)
        if announce_at(meeting, services.clock()) > services.clock() and not told:
            # An occurrence nobody has heard of yet: announce the new version in its time.
            if meeting.status is MeetingStatus.PUBLISHED:
                await schedule_announcement(services, meeting)
            return 0
        going = await store.meetings.answered(meeting.id, Rsvp.GOING)
        kind = Notice.CANCEL if meeting.status is MeetingStatus.CANCELLED else Notice.CHANGE
        count = await _notify(
            services,
            Notices(services, meeting, kind),
            lambda after: store.meetings.recipients(meeting.id, after),
            going,
        )
        if kind == Notice.CHANGE:
            await schedule_reminders(services, meeting)
    return count


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


async def schedule_announcement(services: Services, meeting: Meeting) -> None:
    """A send job announcing the meeting when its time comes (see `announce_at`)."""
    await _jobs(services, meeting, [("announce", 0, announce_at(meeting, services.clock()))])


async def schedule_reminders(services: Services, meeting: Meeting) -> None:
    """One send job per reminder, due at its time and void once the meeting starts."""
    due = reminder_times(meeting, services.clock())
    await _jobs(services, meeting, [("remind", minutes, at) for minutes, at in due])


async def _jobs(
    services: Services, meeting: Meeting, jobs: list[tuple[str, int, datetime]]
) -> None:
    rows = []
    for kind, minutes, at in jobs:
        name = f"meeting:{meeting.id}:v{meeting.version}:job:{kind}{minutes or ''}"
        job = {
            "meeting": str(meeting.id),
            "version": str(meeting.version),
            "kind": kind,
            "minutes": str(minutes),
        }
        rows.append(
            Queued(
                Recipient(JOBS_PLATFORM, str(meeting.id)),
                Outgoing(name, extra=job),
                name,
                not_before=at,
                broadcast_id=f"meeting:{meeting.id}:v{meeting.version}:jobs",
                expires_at=meeting.starts_at,
            )
        )
    await services.outbox.enqueue_many(rows)


async def remind(services: Services, meeting: Meeting, minutes: int) -> int:
    """Queue one reminder for everyone subscribed or going now, except "Can't go"."""
    store = services.feature(Meetings)
    declined = {s.person_id for s in await store.meetings.answered(meeting.id, Rsvp.NO)}
    going = await store.meetings.answered(meeting.id, Rsvp.GOING)
    async with store.transaction():
        return await _notify(
            services,
            Notices(services, meeting, Notice.REMIND, minutes),
            lambda after: store.subscriptions.audience(meeting.audience_tags, after),
            going,
            declined=declined,
            channels=False,
        )


class SendJobs:
    """The outbox sender for send jobs: expands a due announcement or reminder into
    messages per person.

    A job for an older version of the meeting, or for a meeting no longer published, does
    nothing: the change that superseded it scheduled its own.
    """

    platform = JOBS_PLATFORM

    def __init__(self, services: Services) -> None:
        self._services = services

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        job = message.extra
        kept = self._services.feature(Meetings).meetings
        meeting = await kept.get(int(job.get("meeting", "0")))
        if (
            meeting is None
            or meeting.status is not MeetingStatus.PUBLISHED
            or str(meeting.version) != job.get("version")
        ):
            return
        if job.get("kind") == "announce":
            await announce(self._services, meeting)
            await native.sync(self._services, meeting)
        else:
            await remind(self._services, meeting, int(job.get("minutes", "0")))


async def catch_up(services: Services, person_id: int) -> int:
    """A new subscriber hears about the upcoming meetings meant for them; returns how many."""
    store = services.feature(Meetings)
    subscriber = await store.subscriptions.subscriber(person_id)
    tags = await store.subscriptions.tags_of(person_id)
    if subscriber is None or tags is None:
        return 0
    told = 0
    now = services.clock()
    for meeting in await store.meetings.upcoming_next(now):
        wanted = not meeting.audience_tags or not tags or set(tags) & set(meeting.audience_tags)
        if announce_at(meeting, now) > now:
            continue  # a later occurrence of a series: it will be announced in its time
        if not wanted or await store.meetings.was_told(meeting.id, person_id):
            continue
        await store.meetings.add_recipients(meeting.id, [person_id])
        told += await queue(
            services, [person_audience(services.config, subscriber)], meeting, Notice.ANNOUNCE
        )
    return told
