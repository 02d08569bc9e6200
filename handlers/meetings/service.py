"""The meetings feature's operations, in one object wired by `bot.app`.

Announcements, change notices and reminders are each one outbox row per person, queued
with a dedupe key per (meeting, version, kind, person), so a repeated publish never sends
twice. Who hears is decided when each message is sent, not when the meeting is published:
an announcement or change goes to the subscribers of that moment (and anyone who answered
"Going"); each reminder is one *send job* — an outbox row for the `meetings`
pseudo-platform, due at the reminder's time, expiring at the start — that `SendJobs`
expands into one row per person when it falls due: subscribers and "Going" then, minus
"Can't go". A late subscriber is caught up with the announcements of upcoming meetings
(`catch_up`) and gets their reminders like everyone else. The database is still the
schedule: a restart loses nothing, and a changed meeting withdraws the old version's
pending rows and jobs and queues new ones.

The organizer's chat, the subscriptions and the send jobs reach meetings, series, RSVPs,
subscriptions and the feature's pending outbox rows only through this service
(`services.feature(Meetings)`); each operation is one transaction with the rows it queues,
so a meeting is never stored without its announcement queued. What the notices say is in
`broadcast`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.ports import Recipient
from bot.outbox import Queued
from handlers.meetings.audiences import channel_audiences, pages, person_audience
from handlers.meetings.broadcast import (
    JOBS_PLATFORM,
    Notice,
    Notices,
    announce_at,
    reminder_times,
)
from handlers.meetings.native import entry
from storage.database import Database
from storage.meetings import (
    Meeting,
    MeetingRepository,
    MeetingStatus,
    Rsvp,
    Subscriber,
    SubscriptionRepository,
)
from storage.outbox import OutboxRepository


class Meetings:
    """Meetings, their subscribers, and the rows queued about them."""

    def __init__(
        self,
        services: Services,
        db: Database,
        meetings: MeetingRepository,
        subscriptions: SubscriptionRepository,
        queued: OutboxRepository,
    ) -> None:
        self._services = services
        self._db = db
        self.meetings = meetings
        self.subscriptions = subscriptions
        # Only to withdraw a changed meeting's pending notices (by key prefix).
        self._queued = queued

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One unit of work across the feature's writes and the outbox rows they queue."""
        return self._db.transaction()

    def _notices(self, meeting: Meeting, kind: str, minutes: int = 0) -> Notices:
        return Notices(self._services, self.meetings, meeting, kind, minutes)

    async def announce(self, meeting: Meeting) -> int:
        """Tell today's subscribers in the audience and the announcement channels, then
        schedule the reminders; returns how many announcements were queued."""
        async with self.transaction():  # recipients recorded with the queued notices
            going = await self.meetings.answered(meeting.id, Rsvp.GOING)
            count = await self._notify(
                self._notices(meeting, Notice.ANNOUNCE),
                lambda after: self.subscriptions.audience(meeting.audience_tags, after),
                going,
                record=meeting,
            )
            await self._schedule_reminders(meeting)
        return count

    async def notify_change(self, meeting: Meeting) -> int:
        """Withdraw the old version's pending messages and jobs, tell everyone who was told
        or is going, and schedule the new version's reminders."""
        now = self._services.clock()
        # One transaction: the old messages are never withdrawn without the new ones queued.
        async with self.transaction():
            await self._queued.skip_pending(f"meeting:{meeting.id}:v")
            told = await self.meetings.recipients(meeting.id, limit=1)
            if announce_at(meeting, now) > now and not told:
                # An occurrence nobody has heard of yet: announce the new version in its time.
                if meeting.status is MeetingStatus.PUBLISHED:
                    await self.schedule_announcement(meeting)
                return 0
            going = await self.meetings.answered(meeting.id, Rsvp.GOING)
            kind = Notice.CANCEL if meeting.status is MeetingStatus.CANCELLED else Notice.CHANGE
            count = await self._notify(
                self._notices(meeting, kind),
                lambda after: self.meetings.recipients(meeting.id, after),
                going,
            )
            if kind == Notice.CHANGE:
                await self._schedule_reminders(meeting)
        return count

    async def remind(self, meeting: Meeting, minutes: int) -> int:
        """Queue one reminder for everyone subscribed or going now, except "Can't go"."""
        declined = {s.person_id for s in await self.meetings.answered(meeting.id, Rsvp.NO)}
        going = await self.meetings.answered(meeting.id, Rsvp.GOING)
        async with self.transaction():
            return await self._notify(
                self._notices(meeting, Notice.REMIND, minutes),
                lambda after: self.subscriptions.audience(meeting.audience_tags, after),
                going,
                declined=declined,
                channels=False,
            )

    async def catch_up(self, person_id: int) -> int:
        """A new subscriber hears about the upcoming meetings meant for them; returns how
        many."""
        config = self._services.config
        subscriber = await self.subscriptions.subscriber(person_id)
        tags = await self.subscriptions.tags_of(person_id)
        if subscriber is None or tags is None:
            return 0
        told = 0
        now = self._services.clock()
        for meeting in await self.meetings.upcoming_next(now):
            wanted = not meeting.audience_tags or not tags or set(tags) & set(meeting.audience_tags)
            if announce_at(meeting, now) > now:
                continue  # a later occurrence of a series: it will be announced in its time
            if not wanted or await self.meetings.was_told(meeting.id, person_id):
                continue
            await self.meetings.add_recipients(meeting.id, [person_id])
            told += await self._notices(meeting, Notice.ANNOUNCE).queue(
                [person_audience(config, subscriber)]
            )
        return told

    async def sync_calendars(self, meeting: Meeting) -> None:
        """Create, update or cancel the meeting's event on every platform that has events
        (platform calls: made after the commit)."""
        for platform, publisher in self._services.calendars.items():
            existing = await self.meetings.platform_events(meeting.id, platform)
            if meeting.status is MeetingStatus.CANCELLED:
                if existing:
                    await publisher.cancel(existing)
                continue
            saved = await publisher.save(entry(self._services, meeting), existing)
            if saved != existing:
                await self.meetings.set_platform_events(meeting.id, platform, saved)

    async def schedule_announcement(self, meeting: Meeting) -> None:
        """A send job announcing the meeting when its time comes (see `announce_at`)."""
        await self._jobs(meeting, [("announce", 0, announce_at(meeting, self._services.clock()))])

    async def _schedule_reminders(self, meeting: Meeting) -> None:
        """One send job per reminder, due at its time and void once the meeting starts."""
        due = reminder_times(meeting, self._services.clock())
        await self._jobs(meeting, [("remind", minutes, at) for minutes, at in due])

    async def _jobs(self, meeting: Meeting, jobs: list[tuple[str, int, datetime]]) -> None:
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
        await self._services.outbox.enqueue_many(rows)

    async def _notify(
        self,
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
        config = self._services.config
        going_ids = {s.person_id for s in going}
        skip = going_ids | (declined or set())
        count = 0
        async for page in pages(read):
            people = [s for s in page if s.person_id not in skip]
            if record is not None:
                await self.meetings.add_recipients(record.id, [s.person_id for s in people])
            count += await notices.queue([person_audience(config, s) for s in people])
        if record is not None:
            await self.meetings.add_recipients(record.id, sorted(going_ids))
        audiences = [person_audience(config, s) for s in going]
        if channels:
            audiences += channel_audiences(config, self._services.platforms)
        return count + await notices.queue(audiences)


class SendJobs:
    """The outbox sender for send jobs: expands a due announcement or reminder into
    messages per person.

    A job for an older version of the meeting, or for a meeting no longer published, does
    nothing: the change that superseded it scheduled its own.
    """

    platform = JOBS_PLATFORM

    def __init__(self, meetings: Meetings) -> None:
        self._meetings = meetings

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        job = message.extra
        meeting = await self._meetings.meetings.get(int(job.get("meeting", "0")))
        if (
            meeting is None
            or meeting.status is not MeetingStatus.PUBLISHED
            or str(meeting.version) != job.get("version")
        ):
            return
        if job.get("kind") == "announce":
            await self._meetings.announce(meeting)
            await self._meetings.sync_calendars(meeting)
        else:
            await self._meetings.remind(meeting, int(job.get("minutes", "0")))
