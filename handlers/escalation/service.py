"""Case operations shared by the resident side, the liaison side and the SLA job.

Every message between a resident and the liaisons is stored on the case and then goes
out through the durable outbox with a dedupe key per (message, recipient), so nothing is
lost or sent twice across crashes and restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.payloads import Ref
from bot.core.ports import Recipient
from bot.i18n import LANGUAGE_NAMES, Translator
from handlers.escalation.buttons import BLOCK, CLAIM, CLOSE, RATE, REOPEN, REPLY, CaseRating
from handlers.escalation.rooms import (
    add_case_rooms,
    liaison_recipients,
    open_case_threads,
    thread_wait,
)
from storage.cases import Case, MessageKind, Outcome, SlaStep
from storage.knowledge import TopicView
from storage.people import Person

# How far back viewed topics are shown to the liaison ("what they read just before").
VIEWS_WINDOW = timedelta(hours=2)


def pseudonym(services: Services, person: Person) -> str:
    """A stable short code for a resident that reveals nothing about who they are.

    The person's own salt is erased with them, so after /forget the same platform account
    starts over with a code that cannot be linked to the erased one.
    """
    parts: tuple[str, ...] = (person.platform, person.platform_user_id)
    if person.pseudonym_salt is not None:
        parts = (*parts, person.pseudonym_salt)
    return "R-" + services.hasher.digest("pseudonym", *parts)[:6].upper()


def liaison_code(services: Services, person: Person) -> str:
    digest = services.hasher.digest("liaison", person.platform, person.platform_user_id)
    return "L-" + digest[:4].upper()


def liaison_label(services: Services, person: Person) -> str:
    """How a liaison appears to colleagues: their chosen name, else a code."""
    return person.public_name or liaison_code(services, person)


def room_translator(services: Services) -> Translator:
    return services.languages.translator(services.config.bot.default_locale)


def resident_translator(services: Services, case: Case) -> Translator:
    return services.languages.translator(case.lang)


def who(t: Translator, case: Case) -> str:
    if case.anonymous or not case.shown_name:
        return t._("{code} (anonymous)").format(code=case.pseudonym)
    return f"{case.shown_name} ({case.pseudonym})"


def case_buttons(t: Translator, case_id: int) -> tuple[tuple[Button, ...], ...]:
    case = Ref(case_id)
    return (
        (
            CLAIM.button(t.pgettext("case", "Claim"), case),
            REPLY.button(t.pgettext("case", "Reply"), case),
            CLOSE.button(t.pgettext("case", "Close"), case),
            BLOCK.button(t.pgettext("case", "Block"), case),
        ),
    )


def outcome_label(t: Translator, outcome: Outcome) -> str:
    labels = {
        Outcome.ANSWERED: t._("answered"),
        Outcome.OVERSIGHT: t._("referred to the oversight agency"),
        Outcome.LEGAL_AID: t._("referred to legal aid"),
        Outcome.NO_RESPONSE: t._("no response from the resident"),
        Outcome.OTHER: t._("other"),
        Outcome.WITHDRAWN: t._("closed by the resident"),
    }
    return labels[outcome]


async def to_liaisons(
    services: Services,
    case: Case,
    message: Outgoing,
    key: str,
    already_there: Recipient | None = None,
    threads_until: datetime | None = None,
) -> None:
    """Queue `message` for every place the case's liaisons look, except `already_there`
    (the thread where what it reports was typed: everyone there has seen it). The rows
    name the resident as their subject: /forget removes their words from the rooms' queue
    too. `threads_until`: the case is opening, and rows for rooms that get a thread wait
    for it until then."""
    for recipient in await liaison_recipients(services, case.id):
        if already_there is not None and (
            recipient.platform,
            recipient.chat_id,
            recipient.thread_id,
        ) == (already_there.platform, already_there.chat_id, already_there.thread_id):
            continue
        dedupe = f"case:{case.id}:{key}:{recipient.platform}:{recipient.chat_id}"
        await services.outbox.enqueue(
            recipient,
            message,
            dedupe,
            not_before=await _thread_wait(services, case, recipient, threads_until),
            subject=case.person_id,
        )


async def _thread_wait(
    services: Services, case: Case, recipient: Recipient, threads_until: datetime | None
) -> datetime | None:
    """When a row for a room may go (None: now). While the case's thread is being opened,
    rows for its room wait with the card, so they reach the thread in order with it."""
    if recipient.thread_id is not None or recipient.person_id is not None:
        return None  # a thread already, or a terminal liaison
    if threads_until is not None:
        return threads_until if recipient.platform in services.thread_openers else None
    card_key = f"case:{case.id}:card:{recipient.platform}:{recipient.chat_id}"
    held = await services.repos.outbox.pending_not_before(card_key)
    return held if held is not None and held > services.clock() else None


async def to_resident(services: Services, case: Case, message: Outgoing, key: str) -> bool:
    """Queue `message` for the resident behind the case (False if they were erased)."""
    if case.person_id is None:
        return False
    person = await services.repos.people.get(case.person_id)
    if person is None:
        return False
    t = resident_translator(services, case)
    if t.is_rtl and not message.rtl:
        message = Outgoing(message.text, message.buttons, message.attachment, rtl=True)
    recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
    return await services.outbox.enqueue(recipient, message, f"case:{case.id}:{key}:resident")


async def open_case(
    services: Services,
    person: Person,
    lang: str,
    anonymous: bool,
    shown_name: str | None,
    text: str,
    attachment: Attachment | None,
) -> Case:
    """Open a case with the resident's first message and put its card in every room.

    One transaction: the case, its audit line, rooms, first message and every card row
    in the outbox are stored together or not at all, so liaisons never get a case
    without its card, nor a card for a case that does not exist. The platform opens the
    case's threads after the commit: cards for those rooms wait for them (bounded), and
    go to the room itself if no thread comes, even if this process dies in between.
    """
    now = services.clock()
    views = await services.repos.knowledge.recent_views(person.id, now - VIEWS_WINDOW)
    topics = tuple(dict.fromkeys(view.topic_id for view in views))
    async with services.db.transaction():
        case = await _open_case(
            services, person, lang, anonymous, shown_name, text, attachment, topics, views, now
        )
    title = room_translator(services)._("Case #{number}").format(number=case.id)
    await open_case_threads(services, case.id, title)
    return case


async def _open_case(
    services: Services,
    person: Person,
    lang: str,
    anonymous: bool,
    shown_name: str | None,
    text: str,
    attachment: Attachment | None,
    topics: tuple[str, ...],
    views: list[TopicView],
    now: datetime,
) -> Case:
    case = await services.repos.cases.open(
        person.id,
        pseudonym(services, person),
        lang,
        anonymous,
        shown_name,
        urgent=any(view.urgent for view in views),
        topics=topics,
        now=now,
    )
    await services.repos.audit.record(person.id, "opened", case.id, now)
    services.metrics.cases_opened.inc()
    await add_case_rooms(services, case.id)
    await to_liaisons(
        services, case, card(services, case, text), "card", threads_until=thread_wait(services)
    )
    if attachment is not None:
        await relay_from_resident(services, case, "", attachment, stored=False)
    await services.repos.cases.add_message(
        case.id, MessageKind.RESIDENT, person.id, text, _name(attachment), now
    )
    return case


def card(services: Services, case: Case, first_message: str) -> Outgoing:
    """The case card liaisons see: never the platform name or id of an anonymous resident."""
    t = room_translator(services)
    knowledge = services.knowledge
    titles = []
    for topic_id in case.topics:
        found = knowledge.topic(topic_id, t.locale)
        titles.append(found.topic.title if found else topic_id)
    lines = [
        t._("New case #{number}").format(number=case.id),
        t._("From: {who}").format(who=who(t, case)),
        t._("Language: {language}").format(language=LANGUAGE_NAMES.get(case.lang, case.lang)),
        t._("Urgent: {answer}").format(answer=t._("yes") if case.urgent else t._("no")),
        t._("Read just before: {topics}").format(topics=", ".join(titles) or "—"),
        "",
        first_message,
        "",
        t._(
            "Answer with Reply, by writing in this thread, or with /reply {number} followed by "
            "your message."
        ).format(number=case.id),
    ]
    return Outgoing("\n".join(lines), case_buttons(t, case.id))


def _name(attachment: Attachment | None) -> str | None:
    return None if attachment is None else attachment.filename


async def relay_from_resident(
    services: Services, case: Case, text: str, attachment: Attachment | None, stored: bool = True
) -> None:
    """A resident's message: stored on the case and queued for the liaisons, together."""
    async with services.db.transaction():
        await _relay_from_resident(services, case, text, attachment, stored)


async def _relay_from_resident(
    services: Services, case: Case, text: str, attachment: Attachment | None, stored: bool
) -> None:
    now = services.clock()
    message_id = (
        await services.repos.cases.add_message(
            case.id, MessageKind.RESIDENT, case.person_id, text or None, _name(attachment), now
        )
        if stored
        else 0
    )
    t = room_translator(services)
    header = t._("Case #{number} · {who}:").format(number=case.id, who=who(t, case))
    body = f"{header}\n{text}" if text else header
    key = f"in:{message_id}" if stored else "in:first-attachment"
    await to_liaisons(services, case, Outgoing(body, attachment=attachment), key)


async def relay_from_liaison(
    services: Services,
    case: Case,
    liaison: Person,
    text: str,
    attachment: Attachment | None,
    typed_in: Recipient | None = None,
) -> None:
    """A liaison's answer: stored, audited, and queued for the resident in their language
    (one transaction)."""
    async with services.db.transaction():
        await _relay_from_liaison(services, case, liaison, text, attachment, typed_in)


async def _relay_from_liaison(
    services: Services,
    case: Case,
    liaison: Person,
    text: str,
    attachment: Attachment | None,
    typed_in: Recipient | None,
) -> None:
    now = services.clock()
    message_id = await services.repos.cases.add_message(
        case.id, MessageKind.LIAISON, liaison.id, text or None, _name(attachment), now
    )
    await services.repos.cases.mark_first_reply(case.id, now)
    await services.repos.audit.record(liaison.id, "replied", case.id, now)
    t = resident_translator(services, case)
    sender = liaison.public_name or t._("Liaison")
    body = t._("{sender} (case #{number}):").format(sender=sender, number=case.id)
    await to_resident(
        services,
        case,
        Outgoing(f"{body}\n{text}" if text else body, attachment=attachment),
        f"out:{message_id}",
    )
    room_t = room_translator(services)
    echo = room_t._("{liaison} answered case #{number}:").format(
        liaison=liaison_label(services, liaison), number=case.id
    )
    await to_liaisons(
        services, case, Outgoing(f"{echo}\n{text}"), f"echo:{message_id}", already_there=typed_in
    )


async def close_case(
    services: Services, case: Case, actor: Person | None, outcome: Outcome, note: str | None
) -> bool:
    """Close once; tell the rooms and the resident, and ask the resident how it went
    (one transaction: a closed case always has its notices queued)."""
    async with services.db.transaction():
        return await _close_case(services, case, actor, outcome, note)


async def _close_case(
    services: Services, case: Case, actor: Person | None, outcome: Outcome, note: str | None
) -> bool:
    now = services.clock()
    if not await services.repos.cases.close(case.id, outcome, note, now):
        return False
    await services.repos.audit.record(
        actor.id if actor else None, "closed", case.id, now, outcome.value
    )
    services.metrics.cases_closed.inc()
    room_t = room_translator(services)
    closer = (
        liaison_label(services, actor)
        if actor and actor.id != case.person_id
        else who(room_t, case)
    )
    await to_liaisons(
        services,
        case,
        Outgoing(
            room_t._("Case #{number} closed by {who}: {outcome}.").format(
                number=case.id, who=closer, outcome=outcome_label(room_t, outcome)
            )
        ),
        "closed",
    )
    t = resident_translator(services, case)
    reopen_days = services.config.escalation.reopen_days
    paragraphs = [
        t._("Your conversation #{number} is closed: {outcome}.").format(
            number=case.id, outcome=outcome_label(t, outcome)
        )
    ]
    rows: list[tuple[Button, ...]] = []
    # Nobody is asked to rate help that was never given.
    if case.first_reply_at is not None:
        paragraphs.append(
            t._("How satisfied are you with the help you got? 1 = not at all, 5 = very.")
        )
        rows.append(tuple(RATE.button(str(n), CaseRating(case.id, n)) for n in range(1, 6)))
    if reopen_days:
        rows.append((REOPEN.button(t._("Reopen"), Ref(case.id)),))
    text = "\n\n".join(paragraphs)
    await to_resident(services, case, Outgoing(text, tuple(rows)), "closed")
    return True


def next_office_opening(services: Services, now: datetime) -> datetime | None:
    """None when the office is open now; else the next opening time (in bot.timezone)."""
    from zoneinfo import ZoneInfo

    from bot.config import WEEKDAYS

    settings = services.config.escalation
    zone = ZoneInfo(services.config.bot.timezone)
    local = now.astimezone(zone)
    open_h, open_m = (int(x) for x in settings.office_open.split(":"))
    close_h, close_m = (int(x) for x in settings.office_close.split(":"))
    days = {WEEKDAYS.index(day) for day in settings.office_days}
    if not days:
        return None
    opening = local.replace(hour=open_h, minute=open_m, second=0, microsecond=0)
    closing = local.replace(hour=close_h, minute=close_m, second=0, microsecond=0)
    if local.weekday() in days and opening <= local < closing:
        return None
    candidate = opening if local < opening else opening + timedelta(days=1)
    while candidate.weekday() not in days:
        candidate += timedelta(days=1)
    return candidate


async def check_sla(services: Services) -> tuple[int, int]:
    """Remind rooms about unclaimed cases, then tell residents honestly it takes longer."""
    now = services.clock()
    settings = services.config.escalation
    reminded = told = 0
    room_t = room_translator(services)
    for case in await services.repos.cases.unclaimed_since(
        now - timedelta(minutes=settings.remind_unclaimed_minutes), SlaStep.ROOM_REMINDER
    ):
        if case.room_reminded_at is None:
            minutes = int((now - case.opened_at).total_seconds() // 60)
            text = room_t.ngettext(
                "Case #{number} has waited {minutes} minute without a liaison.",
                "Case #{number} has waited {minutes} minutes without a liaison.",
                minutes,
            ).format(number=case.id, minutes=minutes)
            async with services.db.transaction():
                await to_liaisons(
                    services, case, Outgoing(text, case_buttons(room_t, case.id)), "sla-room"
                )
                await services.repos.cases.mark_room_reminded(case.id, now)
            reminded += 1
    for case in await services.repos.cases.unclaimed_since(
        now - timedelta(minutes=settings.tell_resident_minutes), SlaStep.RESIDENT_NOTICE
    ):
        if case.resident_told_at is None:
            t = resident_translator(services, case)
            local = services.config.local
            text = "\n".join(
                [
                    t._(
                        "It is taking longer than usual for a liaison to answer. Your message "
                        "is safe with us and someone will reply."
                    ),
                    t._("If you are in danger now, call {number}.").format(
                        number=local.emergency_number
                    ),
                    t._("Mental health crisis: {line}.").format(line=local.crisis_line),
                ]
            )
            async with services.db.transaction():
                await to_resident(services, case, Outgoing(text), "sla-resident")
                await services.repos.cases.mark_resident_told(case.id, now)
            told += 1
    return reminded, told


@dataclass(frozen=True, slots=True)
class CaseStats:
    opened: int
    closed: int
    first_reply_median_min: float | None
    first_reply_p90_min: float | None
    outcomes: dict[str, int]
    satisfaction_mean: float | None
    per_language: dict[str, int]


async def case_stats(services: Services) -> CaseStats:
    """Anonymous aggregates only: counts, durations, outcomes, satisfaction."""
    counts = await services.repos.cases.stats()
    return CaseStats(
        opened=counts.opened,
        closed=counts.closed,
        first_reply_median_min=None if counts.wait_median_s is None else counts.wait_median_s / 60,
        first_reply_p90_min=None if counts.wait_p90_s is None else counts.wait_p90_s / 60,
        outcomes=dict(counts.outcomes),
        satisfaction_mean=counts.rating_sum / counts.ratings if counts.ratings else None,
        per_language=dict(counts.per_language),
    )
