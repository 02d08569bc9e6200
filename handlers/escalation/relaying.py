"""Opening a case and relaying it both ways: the resident's first and later messages to
the rooms, a liaison's answer to the resident (and its echo to the other rooms), and the
resident showing their name. Each is one unit of work with the outbox rows it queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.events import Attachment, Outgoing
from bot.core.people import Person
from bot.core.ports import Recipient
from handlers.escalation.desk import CaseDesk
from handlers.escalation.texts import (
    card,
    liaison_label,
    pseudonym,
    resident_translator,
    room_translator,
    who,
)
from storage.cases import Case, MessageKind
from storage.knowledge import TopicView

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


class Relaying(CaseDesk):
    """Cases opened, and messages carried between the resident and the liaisons."""

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
