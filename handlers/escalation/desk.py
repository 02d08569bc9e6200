"""What every part of the escalation service shares: the cases, their audit, the rooms
the liaisons work in and the mail to the residents behind the cases.

`Escalation` is put together from one part per job (`lookup`, `relaying`, `staff`,
`closing`), each a subclass of this desk, so a part reads in one file yet every operation
still answers to `ctx.feature(Escalation)` and commits in one place.
"""

from __future__ import annotations

from bot.core.context import Services
from handlers.escalation.residents import ResidentMail
from handlers.escalation.rooms import Rooms
from storage.cases import AuditLog, CaseRepository, SnippetRepository
from storage.database import Database
from storage.knowledge import KnowledgeRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository


class CaseDesk:
    """The collaborators of the escalation service, built once when it is wired."""

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
