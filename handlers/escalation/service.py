"""The escalation service: every case operation of the resident side and the liaison
side, each one unit of work with the outbox rows it queues.

Every message between a resident and the liaisons is stored on the case and then goes
out through the durable outbox with a dedupe key per (message, recipient), so nothing is
lost or sent twice across crashes and restarts. Handlers ask this service
(`ctx.feature(Escalation)`) and never reach the repositories themselves, so what a case
operation writes, and in which transaction, is decided in one place. What the messages
say is in `texts`, the reminders about unclaimed cases in `sla`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.context import Services
from bot.core.events import Attachment, Outgoing
from bot.core.people import Person, Role
from bot.core.ports import Recipient
from handlers.escalation.residents import ResidentMail
from handlers.escalation.rooms import Rooms
from handlers.escalation.texts import (
    card,
    closed_notice,
    liaison_code,
    liaison_label,
    outcome_label,
    pseudonym,
    resident_translator,
    room_translator,
    who,
)
from storage.cases import (
    AuditLog,
    Case,
    CaseMessage,
    CaseRepository,
    MessageKind,
    Outcome,
    SnippetRepository,
)
from storage.database import Database
from storage.knowledge import KnowledgeRepository, TopicView
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository

# How far back viewed topics are shown to the liaison ("what they read just before").
VIEWS_WINDOW = timedelta(hours=2)


def _name(attachment: Attachment | None) -> str | None:
    return None if attachment is None else attachment.filename


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
    """Cases: opened, relayed both ways, claimed, closed, blocked."""

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
        self._resident = ResidentMail(services, people)

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
        await self._resident.send(
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
        await self._resident.send(case, closed_notice(services, case, outcome), "closed")
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


async def case_stats(services: Services) -> CaseStats:
    """For `liaison cases stats`: anonymous aggregates only."""
    return await services.feature(Escalation).stats()
