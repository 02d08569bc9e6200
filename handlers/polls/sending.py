"""What a poll looks like when it is sent, the keys its rows are queued under, and the
queueing of a poll (with each person's closing-soon reminder) to pages of audiences.

When and to whom it is sent the polls service decides (`handlers.polls.service`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.audiences import Audience
from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.payloads import ButtonSpec, Payload
from bot.core.ports import Recipient
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.polls.templates import Scale, template_for
from storage.polls import Poll

PREFER_NOT = "x"


@dataclass(frozen=True, slots=True)
class PollAnswer(Payload):
    """One answer to one poll: a scale value, an option number or PREFER_NOT."""

    poll_id: int
    value: str


ANSWER = ButtonSpec("poll.a", PollAnswer)
# After an urgent answer, polls wait this long for that person.
URGENT_QUIET = timedelta(hours=24)
# What tells a poll's closing-soon reminder (its key, its broadcast) from the poll's own.
SOON = ":soon"


def question_text(t: Translator, poll: Poll) -> str:
    template = template_for(poll.template)
    if template.question:
        return t._(template.question)
    return poll.question.get(t.locale) or next(iter(poll.question.values()), "")


def option_labels(t: Translator, poll: Poll) -> list[str]:
    template = template_for(poll.template)
    if template.scale is Scale.CHOICE and not template.labels:
        return list(poll.options.get(t.locale) or next(iter(poll.options.values()), []))
    if template.scale is Scale.ZERO_TO_TEN:
        return [str(v) for v in range(11)]
    return [t._(label) for label in template.labels]


def option_count(poll: Poll) -> int:
    return len(next(iter(poll.options.values()), [])) if poll.options else 0


def poll_message(t: Translator, poll: Poll) -> Outgoing:
    """One tap to answer: 0-10 as two rows of digits (left to right in every language)."""
    template = template_for(poll.template)
    labels = option_labels(t, poll)
    text = question_text(t, poll)
    if template.scale is Scale.ZERO_TO_TEN:
        low, _, high = (t._(label) for label in template.labels)
        text += "\n\n0 = " + low + "\n10 = " + high
        buttons = [ANSWER.button(str(v), PollAnswer(poll.id, str(v))) for v in range(11)]
        rows = [tuple(buttons[:6]), tuple(buttons[6:])]
    else:
        first = 1 if template.scale is Scale.AGREE_FIVE else 0
        rows = [
            (ANSWER.button(label, PollAnswer(poll.id, str(i + first))),)
            for i, label in enumerate(labels)
        ]
    rows.append((ANSWER.button(t._("Prefer not to answer"), PollAnswer(poll.id, PREFER_NOT)),))
    text += "\n\n" + t._("Anonymous: nobody can see who answered what.")
    return Outgoing(text, tuple(rows), rtl=t.is_rtl)


class PollQueue:
    """Queues one poll, and each person's closing-soon reminder, to pages of audiences;
    each language's message (and each language and zone's reminder) is rendered once."""

    def __init__(self, services: Services, poll: Poll) -> None:
        self._services = services
        self._poll = poll
        self._messages: dict[str, Outgoing] = {}
        self._reminders: dict[tuple[str, str], Outgoing] = {}

    async def _prepare(self, audiences: list[Audience]) -> None:
        """Render, in a worker thread, the messages these audiences need and lack: a
        language's first use loads its CLDR data, too slow to do on the event loop."""
        for audience in audiences:
            t = self._services.languages.translator(audience.lang)
            if audience.lang not in self._messages:
                self._messages[audience.lang] = await asyncio.to_thread(poll_message, t, self._poll)
            key = (audience.lang, audience.zone.key)
            if audience.person_id is not None and key not in self._reminders:
                self._reminders[key] = await asyncio.to_thread(
                    closing_soon_message, t, self._poll, audience.zone
                )

    async def add(self, audiences: list[Audience]) -> int:
        services, poll = self._services, self._poll
        await self._prepare(audiences)
        now = services.clock()
        batch: list[Queued] = []
        later: list[Queued] = []
        for audience in audiences:
            batch.append(poll_row(poll, audience.recipient, self._messages[audience.lang], now))
            if audience.person_id is None:
                continue  # channels get no reminder: nobody there can be told apart
            reminder = closing_soon(
                services,
                poll,
                audience.recipient,
                audience.zone,
                self._reminders[(audience.lang, audience.zone.key)],
            )
            if reminder is not None:
                later.append(reminder)
        return await queue_with_reminders(services, batch, later)


def poll_row(
    poll: Poll, recipient: Recipient, message: Outgoing, at: datetime, part: str = ""
) -> Queued:
    """The poll itself (`part` SOON: its closing-soon reminder) for one chat, due `at` and
    void once the poll closes."""
    return Queued(
        recipient,
        message,
        poll_dedupe_key(poll, recipient) + part,
        not_before=at,
        broadcast_id=f"poll:{poll.id}{part}",
        expires_at=poll.closes_at,
    )


async def queue_with_reminders(services: Services, polls: list[Queued], later: list[Queued]) -> int:
    """Queue polls and their closing-soon reminders; how many polls were new (a reminder's
    row is never counted as a poll sent)."""
    sent = await services.outbox.enqueue_many(polls)
    await services.outbox.enqueue_many(later)
    return sent


def voter_hash(services: Services, poll_id: int, platform: str, platform_user_id: str) -> str:
    """The only link between a response and a person: a keyed hash nobody can reverse."""
    return services.hasher.digest("poll", str(poll_id), platform, platform_user_id)


def poll_dedupe_key(poll: Poll, recipient: Recipient) -> str:
    """One key per (poll, chat): the first sending and any later offer share it, so nobody
    is ever sent the same poll twice."""
    return f"poll:{poll.id}:{recipient.platform}:{recipient.chat_id}"


def reminder_key(poll: Poll, recipient: Recipient) -> str:
    """The closing-soon reminder's key; withdrawn by exactly this key when they answer."""
    return poll_dedupe_key(poll, recipient) + SOON


def closing_soon_message(t: Translator, poll: Poll, zone: ZoneInfo) -> Outgoing:
    """The poll again, one tap to answer, headed by when it closes."""
    poll_part = poll_message(t, poll)
    heading = t._("⏰ This poll closes on {when} and you have not answered yet.").format(
        when=t.moment(poll.closes_at, zone)
    )
    return Outgoing(heading + "\n\n" + poll_part.text, poll_part.buttons, rtl=t.is_rtl)


def closing_soon(
    services: Services, poll: Poll, recipient: Recipient, zone: ZoneInfo, message: Outgoing
) -> Queued | None:
    """The one reminder, queued with the poll itself for `closing_soon_hours` before it
    closes (the database is the schedule, as for meeting reminders), moved past the person's
    quiet hours; answering withdraws it. None if it would come too late to be of use."""
    now = services.clock()
    due = poll.closes_at - timedelta(hours=services.config.polls.closing_soon_hours)
    if due <= now:
        return None  # the poll itself has only just arrived: no reminder needed
    send_at = services.audiences.after_quiet_hours(zone, due)
    if send_at >= poll.closes_at:
        return None
    return poll_row(poll, recipient, message, send_at, SOON)


def reaches(poll: Poll, tags: tuple[str, ...] | None) -> bool:
    """Whether a person with these subscription tags (None: not subscribed, (): the whole
    city) is in the poll's audience. A city-wide poll reaches anyone who asks for it."""
    if not poll.audience_tags:
        return True
    return tags is not None and (not tags or bool(set(tags) & set(poll.audience_tags)))


def person_zone(services: Services, timezone: str | None) -> ZoneInfo:
    """The person's own time zone, else the deployment's (a stale name falls back too)."""
    try:
        return ZoneInfo(timezone or services.config.bot.timezone)
    except (KeyError, ValueError):
        return ZoneInfo(services.config.bot.timezone)
