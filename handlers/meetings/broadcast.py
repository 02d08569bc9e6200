"""Announcements, reminders and change notices, each one an outbox row per person.

Every message is queued with a dedupe key per (meeting, version, kind, person), so a
repeated publish never sends twice. Reminders are rows whose `not_before` is their time
and whose expiry is the meeting's start: the database is the schedule, so a restart loses
nothing, and a reminder missed while the bot was down goes out late only if the meeting
has not started yet. A changed meeting withdraws the old version's pending reminders and
queues new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.ports import Recipient
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.meetings.calendar import meeting_ics
from storage.meetings import Meeting, MeetingStatus, Subscriber

RSVP = "mtg.rsvp"


class Notice:
    ANNOUNCE = "announce"
    REMIND = "remind"
    CHANGE = "change"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who hears about a meeting, in which language and time zone."""

    person_id: int | None
    recipient: Recipient
    lang: str
    zone: ZoneInfo


def _zone(services: Services, subscriber_zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(subscriber_zone or services.config.bot.timezone)
    except (KeyError, ValueError):
        return ZoneInfo(services.config.bot.timezone)


def person_audience(services: Services, subscriber: Subscriber) -> Audience:
    lang = subscriber.locale or services.config.bot.default_locale
    return Audience(
        subscriber.person_id,
        Recipient(subscriber.platform, subscriber.platform_user_id, None, subscriber.person_id),
        lang,
        _zone(services, subscriber.timezone),
    )


def channel_audiences(services: Services) -> list[Audience]:
    """Announcement chats/channels; `lang:chat_id` entries get that language."""
    config = services.config
    zone = ZoneInfo(config.bot.timezone)
    found: list[Audience] = []
    for platform, entries, enabled in (
        ("telegram", config.telegram.announcement_chat_ids, bool(config.telegram.token)),
        ("discord", config.discord.announcement_channel_ids, bool(config.discord.token)),
    ):
        if not enabled:
            continue
        for entry in entries:
            lang, _, chat_id = entry.rpartition(":")
            if lang not in services.languages.codes:
                lang, chat_id = config.bot.default_locale, entry
            found.append(Audience(None, Recipient(platform, chat_id), lang, zone))
    return found


def meeting_text(t: Translator, meeting: Meeting, zone: ZoneInfo, heading: str) -> str:
    title, description = meeting.text_in(t.locale)
    lines = [heading, "", title, "🗓 " + t.datetime(meeting.starts_at, zone, "full")]
    if meeting.place:
        lines.append("📍 " + meeting.place)
    if meeting.link:
        lines.append("🔗 " + meeting.link)
    if description:
        lines.extend(["", description])
    return "\n".join(lines)


def rsvp_buttons(t: Translator, meeting_id: int) -> tuple[tuple[Button, ...], ...]:
    arg = str(meeting_id)
    return (
        (
            Button(t._("Going"), RSVP, f"{arg}:going"),
            Button(t._("Maybe"), RSVP, f"{arg}:maybe"),
            Button(t._("Can't go"), RSVP, f"{arg}:no"),
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


def render(
    services: Services, audience: Audience, meeting: Meeting, kind: str, minutes: int = 0
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
                meeting, t.locale, services.config.meetings.calendar_domain, services.clock()
            ),
            mime_type="text/calendar",
        )
    return Outgoing(text, buttons, ics, rtl=t.is_rtl)


def after_quiet_hours(services: Services, zone: ZoneInfo, moment: datetime) -> datetime:
    """The same moment, or the end of the person's quiet hours if it falls inside them."""
    settings = services.config.meetings
    start = time.fromisoformat(settings.quiet_start)
    end = time.fromisoformat(settings.quiet_end)
    local = moment.astimezone(zone)
    now_t = local.time()
    inside = (start <= now_t or now_t < end) if start > end else (start <= now_t < end)
    if not inside:
        return moment
    morning = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if morning <= local:
        morning += timedelta(days=1)
    return morning


def _send_time(services: Services, audience: Audience, meeting: Meeting, at: datetime) -> datetime:
    """Quiet hours delay a non-urgent message, unless the meeting would have begun by then."""
    delayed = after_quiet_hours(services, audience.zone, at)
    return at if delayed >= meeting.starts_at else delayed


class _Renderer:
    """Renders each distinct message once: a city-wide announcement has ten languages and
    a few time zones, not ten thousand different texts."""

    def __init__(self, services: Services, meeting: Meeting) -> None:
        self._services = services
        self._meeting = meeting
        self._cache: dict[tuple[str, str, str, int, bool], Outgoing] = {}

    def __call__(self, audience: Audience, kind: str, minutes: int = 0) -> Outgoing:
        key = (audience.lang, audience.zone.key, kind, minutes, audience.person_id is None)
        message = self._cache.get(key)
        if message is None:
            message = render(self._services, audience, self._meeting, kind, minutes)
            self._cache[key] = message
        return message


def broadcast_id(meeting: Meeting, kind: str) -> str:
    """The outbox broadcast id of one kind of notice for one version of a meeting."""
    return f"meeting:{meeting.id}:v{meeting.version}:{kind}"


async def queue(
    services: Services,
    audiences: list[Audience],
    meeting: Meeting,
    kind: str,
) -> int:
    """Queue one kind of notice (and, for announcements and changes, the reminders),
    in one transaction."""
    now = services.clock()
    rendered = _Renderer(services, meeting)
    broadcast = broadcast_id(meeting, kind)
    notices: list[Queued] = []
    reminders: list[Queued] = []
    for audience in audiences:
        where = f"{audience.recipient.platform}:{audience.recipient.chat_id}"
        notices.append(
            Queued(
                audience.recipient,
                rendered(audience, kind),
                f"{broadcast}:{where}",
                not_before=_send_time(services, audience, meeting, now),
                broadcast_id=broadcast,
                expires_at=meeting.starts_at if kind != Notice.CANCEL else None,
            )
        )
        if kind in (Notice.ANNOUNCE, Notice.CHANGE) and audience.person_id is not None:
            reminders.extend(_reminders(services, rendered, audience, meeting, now))
    queued = await services.outbox.enqueue_many(notices)
    await services.outbox.enqueue_many(reminders)
    return queued


def _reminders(
    services: Services, rendered: _Renderer, audience: Audience, meeting: Meeting, now: datetime
) -> list[Queued]:
    found = []
    where = f"{audience.recipient.platform}:{audience.recipient.chat_id}"
    for minutes in meeting.reminder_minutes:
        due = meeting.starts_at - timedelta(minutes=minutes)
        if due <= now:
            continue  # announced too late for this reminder: the announcement says it all
        broadcast = f"meeting:{meeting.id}:v{meeting.version}:remind{minutes}"
        found.append(
            Queued(
                audience.recipient,
                rendered(audience, Notice.REMIND, minutes),
                f"{broadcast}:{where}",
                not_before=_send_time(services, audience, meeting, due),
                broadcast_id=broadcast,
                expires_at=meeting.starts_at,
            )
        )
    return found


async def announce(services: Services, meeting: Meeting) -> int:
    """Tell every subscriber in the audience, and post in the announcement channels."""
    subscribers = await services.repos.subscriptions.audience(meeting.audience_tags)
    await services.repos.meetings.add_recipients(meeting.id, [s.person_id for s in subscribers])
    people = [person_audience(services, s) for s in subscribers]
    return await queue(services, people + channel_audiences(services), meeting, Notice.ANNOUNCE)


async def notify_change(services: Services, meeting: Meeting) -> int:
    """Withdraw the old version's pending messages, then tell everyone who was told."""
    await services.repos.outbox.skip_pending(f"meeting:{meeting.id}:v")
    recipients = await services.repos.meetings.recipients(meeting.id)
    people = [person_audience(services, s) for s in recipients]
    kind = Notice.CANCEL if meeting.status is MeetingStatus.CANCELLED else Notice.CHANGE
    return await queue(services, people + channel_audiences(services), meeting, kind)
