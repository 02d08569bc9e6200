"""What the polls feature keeps, in one object wired by `bot.app`.

Drafting, voting, sending and closing reach polls, their anonymous answers and the
feature's pending reminders only through this service (`services.feature(Polls)`). Who is
in trouble now (and so not asked) other features publish (`bot.core.hooks.DoNotDisturb`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from bot.core.people import Person, Role
from storage.database import Database
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import PollRepository


class Polls:
    """Polls, their answers, and who gets their results."""

    def __init__(
        self,
        db: Database,
        polls: PollRepository,
        people: PeopleRepository,
        queued: OutboxRepository,
    ) -> None:
        self._db = db
        self.polls = polls
        # Only to withdraw a closing-soon reminder once its person has answered.
        self.queued = queued
        self._people = people

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
