"""What staff do to a case besides answering it: notes, assigning and releasing,
blocking and unblocking its resident, and their saved replies and public names. Each is
audited, and one unit of work with the notices it queues."""

from __future__ import annotations

from bot.core.events import Outgoing
from bot.core.people import Person
from handlers.escalation.closing import Closing
from handlers.escalation.texts import liaison_label, room_translator
from storage.cases import Case, MessageKind, Outcome


class StaffOperations(Closing):
    """Staff actions on cases (blocking closes the case, hence `Closing`)."""

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
