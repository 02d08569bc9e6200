"""The escalation service: every case operation of the resident side and the liaison
side, each one unit of work with the outbox rows it queues.

Every message between a resident and the liaisons is stored on the case and then goes
out through the durable outbox with a dedupe key per (message, recipient), so nothing is
lost or sent twice across crashes and restarts. Handlers ask this service
(`ctx.feature(Escalation)`) and never reach the repositories themselves, so what a case
operation writes, and in which transaction, is decided in one place. The operations live
in one module per job: reading cases (`lookup`), opening and relaying (`relaying`), staff
actions (`staff`), closing, rating and reopening (`closing`). What the messages say is in
`texts`, the reminders about unclaimed cases in `sla`.
"""

from __future__ import annotations

from bot.core.context import Services
from handlers.escalation.closing import Closing
from handlers.escalation.lookup import CaseLookup, CaseStats
from handlers.escalation.relaying import Relaying
from handlers.escalation.sla import Sla
from handlers.escalation.staff import StaffOperations


class Escalation(CaseLookup, Relaying, StaffOperations, Closing):
    """Cases: opened, relayed both ways, claimed, closed, blocked."""

    def sla(self) -> Sla:
        """The timed reminders about these cases, over the same rooms and resident mail."""
        return Sla(self._services, self._db, self._cases, self._rooms, self._resident)


async def case_stats(services: Services) -> CaseStats:
    """For `liaison cases stats`: anonymous aggregates only."""
    return await services.feature(Escalation).stats()
