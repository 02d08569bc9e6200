"""The end of a case and what may follow it: closing once (the rooms and the resident
are told, the resident asked how it went), the resident's rating, and reopening."""

from __future__ import annotations

from bot.core.events import Outgoing
from bot.core.people import Person
from handlers.escalation.desk import CaseDesk
from handlers.escalation.texts import (
    closed_notice,
    liaison_label,
    outcome_label,
    room_translator,
    who,
)
from storage.cases import Case, Outcome


class Closing(CaseDesk):
    """Closing, rating and reopening cases."""

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
