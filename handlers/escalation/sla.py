"""The SLA job: a case nobody has claimed is brought back to the rooms, and then its
resident is told honestly that the answer takes longer (with the emergency numbers).

Each step is done once per case (the case remembers it), each in one transaction with the
rows it queues, so a crash between two cases repeats nothing and loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Services
from bot.core.events import Outgoing
from handlers.escalation.residents import ResidentMail
from handlers.escalation.rooms import Rooms
from handlers.escalation.texts import case_buttons, resident_translator, room_translator
from storage.cases import Case, CaseRepository, SlaStep
from storage.database import Database


class Sla:
    """Reminders about unclaimed cases, for the rooms first and then the resident; made
    by `Escalation.sla()` over the service's own cases, rooms and resident mail (one of
    each per app), and wired by `bot.app` beside it."""

    def __init__(
        self,
        services: Services,
        db: Database,
        cases: CaseRepository,
        rooms: Rooms,
        resident: ResidentMail,
    ) -> None:
        self._services = services
        self._db = db
        self._cases = cases
        self._rooms = rooms
        self._resident = resident

    async def check(self) -> tuple[int, int]:
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
            await self._resident.send(case, Outgoing(text), "sla-resident")
            await self._cases.mark_resident_told(case.id, now)


async def check_sla(services: Services) -> tuple[int, int]:
    """The minute job (see `handlers.JOBS`)."""
    return await services.feature(Sla).check()
