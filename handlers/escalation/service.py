"""The escalation service: every case operation of the resident side, the liaison side
and the SLA job, each one unit of work with the outbox rows it queues.

Every message between a resident and the liaisons is stored on the case and then goes
out through the durable outbox with a dedupe key per (message, recipient), so nothing is
lost or sent twice across crashes and restarts. Handlers ask this service
(`ctx.feature(Escalation)`) and never reach the repositories themselves, so what a case
operation writes, and in which transaction, is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.context import Services
from bot.core.events import Attachment, Button, Outgoing
from bot.core.payloads import Ref
from bot.core.people import Person, Role
from bot.core.ports import Recipient
from bot.i18n import LANGUAGE_NAMES, Translator
from handlers.escalation.buttons import BLOCK, CLAIM, CLOSE, RATE, REOPEN, REPLY, CaseRating
from handlers.escalation.rooms import Rooms
from storage.cases import (
    AuditLog,
    Case,
    CaseMessage,
    CaseRepository,
    MessageKind,
    Outcome,
    SlaStep,
    SnippetRepository,
)
from storage.database import Database
from storage.knowledge import KnowledgeRepository, TopicView
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository

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


@dataclass(frozen=True, slots=True)
class NewCase:
    """What a resident opens a case with: who, in which language, how they appear, and
    their first message."""

    person: Person
    lang: str
    anonymous: bool
    shown_name: str | None
    text: str
    attachment: Attachment | None


@dataclass(frozen=True, slots=True)
class CaseStats:
    opened: int
    closed: int
    first_reply_median_min: float | None
    first_reply_p90_min: float | None
    outcomes: dict[str, int]
    satisfaction_mean: float | None
    per_language: dict[str, int]


class Escalation:
    """Cases: opened, relayed both ways, claimed, closed, blocked, reminded about."""

    def __init__(
        self,
        services: Services,
        db: Database,
        cases: CaseRepository,
        audit: AuditLog,
        snippets: SnippetRepository,
        people: PeopleRepository,
        views: KnowledgeRepository,
        queued: OutboxRepository,
    ) -> None:
        self._services = services
        self._db = db
        self._cases = cases
        self._audit = audit
        self._snippets = snippets
        self._people = people
        self._views = views
        self._rooms = Rooms(services, db, cases, people, queued)

    # ----------------------------------------------------------------------- reading

    async def get(self, case_id: int) -> Case | None:
        return await self._cases.get(case_id)

    async def open_for(self, person_id: int) -> Case | None:
        """The person's open case, if they have one (at most one is open at a time)."""
        return await self._cases.open_for_person(person_id)

    async def people_with_open_cases(self) -> set[int]:
        return await self._cases.people_with_open_cases()

    async def of_person(self, person_id: int) -> list[Case]:
        return await self._cases.of_person(person_id)

    async def messages(self, case_id: int) -> list[CaseMessage]:
        return await self._cases.messages(case_id)

    async def in_thread(self, platform: str, chat_id: str, thread_id: str) -> Case | None:
        """The case a room's thread belongs to."""
        case_id = await self._cases.case_for_thread(platform, chat_id, thread_id)
        return None if case_id is None else await self._cases.get(case_id)

    async def open_cases(self) -> list[Case]:
        return await self._cases.list_open()

    async def claimant(self, case: Case) -> str | None:
        """How the liaison who claimed the case appears (None: unclaimed, or gone)."""
        owner = None if case.claimed_by is None else await self._people.get(case.claimed_by)
        return None if owner is None else liaison_label(self._services, owner)

    async def liaison_by_code(self, wanted: str) -> Person | None:
        """The liaison or admin with that code or public name (upper case)."""
        for role in (Role.LIAISON, Role.ADMIN):
            for person in await self._people.with_role(role):
                names = {liaison_code(self._services, person), (person.public_name or "").upper()}
                if wanted in names:
                    return person
        return None

    async def snippet_names(self) -> list[str]:
        return await self._snippets.names()

    async def snippet(self, name: str, lang: str) -> str | None:
        """A saved reply in `lang`, else in the deployment's default language."""
        return await self._snippets.get(name, lang, self._services.config.bot.default_locale)

    async def stats(self) -> CaseStats:
        """Anonymous aggregates only: counts, durations, outcomes, satisfaction."""
        counts = await self._cases.stats()
        return CaseStats(
            opened=counts.opened,
            closed=counts.closed,
            first_reply_median_min=(
                None if counts.wait_median_s is None else counts.wait_median_s / 60
            ),
            first_reply_p90_min=None if counts.wait_p90_s is None else counts.wait_p90_s / 60,
            outcomes=dict(counts.outcomes),
            satisfaction_mean=counts.rating_sum / counts.ratings if counts.ratings else None,
            per_language=dict(counts.per_language),
        )

    # ------------------------------------------------------------ the resident's side

    async def open(self, new: NewCase) -> Case:
        """Open a case with the resident's first message and put its card in every room.

        One transaction: the case, its audit line, rooms, first message and every card row
        in the outbox are stored together or not at all, so liaisons never get a case
        without its card, nor a card for a case that does not exist. The platform opens the
        case's threads after the commit: cards for those rooms wait for them (bounded), and
        go to the room itself if no thread comes, even if this process dies in between.
        """
        now = self._services.clock()
        views = await self._views.recent_views(new.person.id, now - VIEWS_WINDOW)
        async with self._db.transaction():
            case = await self._open(new, views, now)
        title = room_translator(self._services)._("Case #{number}").format(number=case.id)
        await self._rooms.open_threads(case.id, title)
        return case

    async def _open(self, new: NewCase, views: list[TopicView], now: datetime) -> Case:
        services, person = self._services, new.person
        case = await self._cases.open(
            person.id,
            pseudonym(services, person),
            new.lang,
            new.anonymous,
            new.shown_name,
            urgent=any(view.urgent for view in views),
            topics=tuple(dict.fromkeys(view.topic_id for view in views)),
            now=now,
        )
        await self._audit.record(person.id, "opened", case.id, now)
        services.metrics.cases_opened.inc()
        await self._rooms.add(case.id)
        await self._rooms.tell(
            case, card(services, case, new.text), "card", threads_until=self._rooms.thread_wait()
        )
        if new.attachment is not None:
            await self._relay_from_resident(case, "", new.attachment, stored=False)
        await self._cases.add_message(
            case.id, MessageKind.RESIDENT, person.id, new.text, _name(new.attachment), now
        )
        return case

    async def relay_from_resident(
        self, case: Case, text: str, attachment: Attachment | None
    ) -> None:
        """A resident's message: stored on the case and queued for the liaisons, together."""
        async with self._db.transaction():
            await self._relay_from_resident(case, text, attachment, stored=True)

    async def _relay_from_resident(
        self, case: Case, text: str, attachment: Attachment | None, stored: bool
    ) -> None:
        now = self._services.clock()
        message_id = (
            await self._cases.add_message(
                case.id, MessageKind.RESIDENT, case.person_id, text or None, _name(attachment), now
            )
            if stored
            else 0
        )
        t = room_translator(self._services)
        header = t._("Case #{number} · {who}:").format(number=case.id, who=who(t, case))
        body = f"{header}\n{text}" if text else header
        key = f"in:{message_id}" if stored else "in:first-attachment"
        await self._rooms.tell(case, Outgoing(body, attachment=attachment), key)

    async def show_name(self, case: Case, resident: Person, name: str) -> None:
        """The resident who defaulted to anonymous lets the liaisons see their name."""
        now = self._services.clock()
        async with self._db.transaction():
            await self._cases.set_appearance(case.id, anonymous=False, shown_name=name)
            await self._audit.record(resident.id, "shown name", case.id, now)
            changed = await self._cases.get(case.id)
            assert changed is not None
            room = room_translator(self._services)
            notice = room._("Case #{number}: the resident now shows their name: {who}.").format(
                number=case.id, who=who(room, changed)
            )
            await self._rooms.tell(changed, Outgoing(notice), "shown-name")

    async def reopen(self, case: Case, resident: Person) -> None:
        """The resident opens their closed case again; the liaisons are told."""
        now = self._services.clock()
        async with self._db.transaction():
            await self._cases.reopen(case.id)
            await self._audit.record(resident.id, "reopened", case.id, now)
            reopened = await self._cases.get(case.id)
            assert reopened is not None
            room = room_translator(self._services)
            await self._rooms.tell(
                reopened,
                Outgoing(
                    room._("Case #{number} was reopened by the resident.").format(number=case.id)
                ),
                f"reopened:{now.timestamp()}",
            )

    async def rate(self, case: Case, score: int) -> None:
        await self._cases.rate(case.id, score)

    # ------------------------------------------------------------- the liaisons' side

    async def answer(
        self,
        case: Case,
        liaison: Person,
        text: str,
        attachment: Attachment | None,
        typed_in: Recipient | None = None,
    ) -> None:
        """A liaison's answer: stored, audited, and queued for the resident in their
        language (one transaction). The first answer to an unclaimed case claims it, so a
        busy room never leaves a case answered but "unclaimed" for the SLA job."""
        now = self._services.clock()
        async with self._db.transaction():
            if case.claimed_by is None:
                await self._cases.claim(case.id, liaison.id, now)
                await self._audit.record(liaison.id, "claimed", case.id, now, "by reply")
            await self._relay_from_liaison(case, liaison, text, attachment, typed_in, now)

    async def _relay_from_liaison(
        self,
        case: Case,
        liaison: Person,
        text: str,
        attachment: Attachment | None,
        typed_in: Recipient | None,
        now: datetime,
    ) -> None:
        services = self._services
        message_id = await self._cases.add_message(
            case.id, MessageKind.LIAISON, liaison.id, text or None, _name(attachment), now
        )
        await self._cases.mark_first_reply(case.id, now)
        await self._audit.record(liaison.id, "replied", case.id, now)
        t = resident_translator(services, case)
        sender = liaison.public_name or t._("Liaison")
        body = t._("{sender} (case #{number}):").format(sender=sender, number=case.id)
        await self._to_resident(
            case,
            Outgoing(f"{body}\n{text}" if text else body, attachment=attachment),
            f"out:{message_id}",
        )
        room_t = room_translator(services)
        echo = room_t._("{liaison} answered case #{number}:").format(
            liaison=liaison_label(services, liaison), number=case.id
        )
        await self._rooms.tell(
            case, Outgoing(f"{echo}\n{text}"), f"echo:{message_id}", already_there=typed_in
        )

    async def note(self, case: Case, author: Person, text: str) -> None:
        """An internal note on the case: never sent to the resident."""
        now = self._services.clock()
        async with self._db.transaction():
            await self._cases.add_message(case.id, MessageKind.NOTE, author.id, text, None, now)
            await self._audit.record(author.id, "noted", case.id, now)

    async def closing_note(self, case: Case, author: Person, text: str) -> None:
        """A note written with /close, kept at once whichever outcome is then chosen (the
        closing itself is what the audit records)."""
        now = self._services.clock()
        await self._cases.add_message(case.id, MessageKind.NOTE, author.id, text, None, now)

    async def assign(self, case: Case, actor: Person, liaison: Person | None) -> str:
        """Give the case to `liaison`, or back to everyone (None); returns the notice the
        rooms get, in the rooms' language."""
        services = self._services
        now = services.clock()
        action = "claimed" if liaison else "released"
        t = room_translator(services)
        if liaison is None:
            text = t._("Case #{number} was released: any liaison can claim it.").format(
                number=case.id
            )
        else:
            text = t._("Case #{number} claimed by {liaison}.").format(
                number=case.id, liaison=liaison_label(services, liaison)
            )
        async with self._db.transaction():
            await self._cases.claim(case.id, liaison.id if liaison else None, now)
            await self._audit.record(
                actor.id, action, case.id, now, "" if liaison is None else str(liaison.id)
            )
            await self._rooms.tell(case, Outgoing(text), f"{action}:{now.timestamp()}")
        return text

    async def close(
        self, case: Case, actor: Person | None, outcome: Outcome, note: str | None
    ) -> bool:
        """Close once; tell the rooms and the resident, and ask the resident how it went
        (one transaction: a closed case always has its notices queued)."""
        async with self._db.transaction():
            return await self._close(case, actor, outcome, note)

    async def _close(
        self, case: Case, actor: Person | None, outcome: Outcome, note: str | None
    ) -> bool:
        services = self._services
        now = services.clock()
        if not await self._cases.close(case.id, outcome, note, now):
            return False
        await self._audit.record(actor.id if actor else None, "closed", case.id, now, outcome.value)
        services.metrics.cases_closed.inc()
        room_t = room_translator(services)
        closer = (
            liaison_label(services, actor)
            if actor and actor.id != case.person_id
            else who(room_t, case)
        )
        await self._rooms.tell(
            case,
            Outgoing(
                room_t._("Case #{number} closed by {who}: {outcome}.").format(
                    number=case.id, who=closer, outcome=outcome_label(room_t, outcome)
                )
            ),
            "closed",
        )
        await self._to_resident(case, _closed_notice(services, case, outcome), "closed")
        return True

    async def block(self, case: Case, resident_id: int, actor: Person) -> None:
        """Cut the resident behind a case off, without anyone learning who they are:
        blocked, audited (naming who had claimed it) and the case closed, together."""
        now = self._services.clock()
        claimant = "" if case.claimed_by is None else str(case.claimed_by)
        async with self._db.transaction():
            await self._people.set_blocked(resident_id, True)
            await self._audit.record(actor.id, "blocked", case.id, now, claimant)
            if case.is_open:
                await self._close(case, actor, Outcome.OTHER, "blocked")

    async def unblock(self, case: Case, resident_id: int, actor: Person) -> None:
        now = self._services.clock()
        async with self._db.transaction():
            await self._people.set_blocked(resident_id, False)
            await self._audit.record(actor.id, "unblocked", case.id, now)

    async def save_snippet(self, author: Person, name: str, lang: str, text: str) -> None:
        """Add or change one language of a saved reply (audited by name)."""
        now = self._services.clock()
        async with self._db.transaction():
            await self._snippets.put(name, lang, text)
            await self._audit.record(author.id, "snippet", None, now, name)

    async def set_public_name(self, liaison: Person, name: str | None) -> None:
        """The name residents see on this liaison's answers (None: 'Liaison')."""
        await self._people.set_public_name(liaison.id, name)

    # ------------------------------------------------------------------- the SLA job

    async def check_sla(self) -> tuple[int, int]:
        """Remind rooms about unclaimed cases, then tell residents honestly it takes
        longer; returns (rooms reminded, residents told)."""
        now = self._services.clock()
        settings = self._services.config.escalation
        reminded = told = 0
        for case in await self._cases.unclaimed_since(
            now - timedelta(minutes=settings.remind_unclaimed_minutes), SlaStep.ROOM_REMINDER
        ):
            if case.room_reminded_at is None:
                await self._remind_rooms(case, now)
                reminded += 1
        for case in await self._cases.unclaimed_since(
            now - timedelta(minutes=settings.tell_resident_minutes), SlaStep.RESIDENT_NOTICE
        ):
            if case.resident_told_at is None:
                await self._tell_resident_it_takes_longer(case, now)
                told += 1
        return reminded, told

    async def _remind_rooms(self, case: Case, now: datetime) -> None:
        room_t = room_translator(self._services)
        minutes = int((now - case.opened_at).total_seconds() // 60)
        text = room_t.ngettext(
            "Case #{number} has waited {minutes} minute without a liaison.",
            "Case #{number} has waited {minutes} minutes without a liaison.",
            minutes,
        ).format(number=case.id, minutes=minutes)
        async with self._db.transaction():
            await self._rooms.tell(case, Outgoing(text, case_buttons(room_t, case.id)), "sla-room")
            await self._cases.mark_room_reminded(case.id, now)

    async def _tell_resident_it_takes_longer(self, case: Case, now: datetime) -> None:
        t = resident_translator(self._services, case)
        local = self._services.config.local
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
        async with self._db.transaction():
            await self._to_resident(case, Outgoing(text), "sla-resident")
            await self._cases.mark_resident_told(case.id, now)

    # ------------------------------------------------------------------------ helpers

    async def _to_resident(self, case: Case, message: Outgoing, key: str) -> bool:
        """Queue `message` for the resident behind the case (False if they were erased)."""
        if case.person_id is None:
            return False
        person = await self._people.get(case.person_id)
        if person is None:
            return False
        t = resident_translator(self._services, case)
        if t.is_rtl and not message.rtl:
            message = Outgoing(message.text, message.buttons, message.attachment, rtl=True)
        recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
        return await self._services.outbox.enqueue(
            recipient, message, f"case:{case.id}:{key}:resident"
        )


def _closed_notice(services: Services, case: Case, outcome: Outcome) -> Outgoing:
    """What the resident is told when their case closes: the outcome, a rating asked only
    for help that was given, and Reopen while the deployment allows it."""
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
    return Outgoing("\n\n".join(paragraphs), tuple(rows))


async def check_sla(services: Services) -> tuple[int, int]:
    """The minute job (see `handlers.JOBS`)."""
    return await services.feature(Escalation).check_sla()


async def case_stats(services: Services) -> CaseStats:
    """For `liaison cases stats`: anonymous aggregates only."""
    return await services.feature(Escalation).stats()
