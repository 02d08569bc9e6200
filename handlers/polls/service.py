"""What the polls feature keeps, in one object wired by `bot.app`.

Drafting, voting, sending and closing reach polls, their anonymous answers and the
feature's pending reminders only through this service (`services.feature(Polls)`).
It also answers the one question polls ask of other features' records — is this person
in trouble right now (an open case, an urgent answer just read)? — so no poll module
reads cases or topic views itself.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from bot.core.people import Person, Role
from storage.cases import CaseRepository
from storage.database import Database
from storage.knowledge import KnowledgeRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import PollRepository


class Polls:
    """Polls, who runs them, and who must not be asked now."""

    def __init__(
        self,
        db: Database,
        polls: PollRepository,
        people: PeopleRepository,
        queued: OutboxRepository,
        cases: CaseRepository,
        views: KnowledgeRepository,
    ) -> None:
        self._db = db
        self.polls = polls
        # Only to withdraw a closing-soon reminder once its person has answered.
        self.queued = queued
        self._people = people
        self._cases = cases
        self._views = views

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One unit of work across the feature's writes and the outbox rows they queue."""
        return self._db.transaction()

    async def organizers(self) -> list[Person]:
        """Who gets a poll's results: organizers, then admins."""
        return [
            person
            for role in (Role.ORGANIZER, Role.ADMIN)
            for person in await self._people.with_role(role)
        ]

    async def in_trouble(self, since: datetime) -> set[int]:
        """Everyone with an open case or shown an urgent answer since `since`."""
        return await self._cases.people_with_open_cases() | await self._views.urgent_viewers(since)

    async def is_in_trouble(self, person_id: int, since: datetime) -> bool:
        """`in_trouble` for one person."""
        if await self._cases.open_for_person(person_id) is not None:
            return True
        return any(view.urgent for view in await self._views.recent_views(person_id, since))
