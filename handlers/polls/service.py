"""The polls feature's operations, in one object wired by `bot.app`.

Drafting, voting, sending and closing reach polls, their anonymous answers and the
feature's pending reminders only through this service (`services.feature(Polls)`). A poll
is never pushed to someone another feature knows to be in trouble (an open escalation
case, an urgent answer just read: `bot.core.hooks.DoNotDisturb`): a trust survey is the
wrong thing to send them. What a sent poll looks like is in `sending`.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime

from bot.core.context import Services
from bot.core.people import Person, Role
from bot.core.ports import Recipient
from bot.outbox import Queued
from handlers.polls.sending import (
    URGENT_QUIET,
    PollQueue,
    closing_soon,
    closing_soon_message,
    person_zone,
    poll_message,
    poll_row,
    queue_with_reminders,
    reaches,
    voter_hash,
)
from storage.database import Database
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import Poll, PollRepository


class Polls:
    """Polls, their answers, who is asked and who gets their results."""

    def __init__(
        self,
        services: Services,
        db: Database,
        polls: PollRepository,
        people: PeopleRepository,
        queued: OutboxRepository,
    ) -> None:
        self._services = services
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

    async def send(self, poll: Poll, to_channels: bool) -> int:
        """Queue the poll for its audience, skipping people it would be wrong to ask now.

        The audience is walked a page at a time (`bot.core.audiences.Audiences`) in one
        transaction; who must not be asked is read once for the whole poll, not per person.
        """
        services = self._services
        quiet = await self._in_trouble(services.clock() - URGENT_QUIET)
        queue = PollQueue(services, poll)
        sent = 0
        async with self.transaction():
            async for page in services.audiences.subscribers(poll.audience_tags):
                sent += await queue.add([a for a in page if a.person_id not in quiet])
            if to_channels:
                sent += await queue.add(services.audiences.rooms())
        return sent

    async def open_for(self, person: Person) -> list[Poll]:
        """Open polls this person may answer now."""
        services = self._services
        tags = await services.audiences.tags_of(person.id)
        return [p for p in await self.polls.open_at(services.clock()) if reaches(p, tags)]

    async def offer_open(self, person: Person) -> int:
        """Late voters: queue each open poll this person may answer, has not answered and
        was never sent (the shared dedupe key makes it once), unless it is the wrong moment
        to ask."""
        if person.blocked:
            return 0
        services = self._services
        polls = await self.open_for(person)
        if not polls or await self._should_not_ask(person.id):
            return 0
        t = services.languages.translator(person.locale or services.config.bot.default_locale)
        zone = person_zone(services, person.timezone)
        recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
        batch: list[Queued] = []
        later: list[Queued] = []
        for poll in polls:
            digest = voter_hash(services, poll.id, person.platform, person.platform_user_id)
            if await self.polls.has_answered(poll.id, digest):
                continue
            reminder = closing_soon(
                services, poll, recipient, zone, closing_soon_message(t, poll, zone)
            )
            later.extend([reminder] if reminder is not None else [])
            batch.append(poll_row(poll, recipient, poll_message(t, poll), services.clock()))
        return await queue_with_reminders(services, batch, later)

    async def _in_trouble(self, since: datetime) -> set[int]:
        """Everyone another feature knows to be in trouble."""
        quiet: set[int] = set()
        for feature in self._services.published.do_not_disturb:
            quiet |= await feature.people(self._services, since)
        return quiet

    async def _should_not_ask(self, person_id: int) -> bool:
        """A trust survey is the wrong thing to send a person in trouble."""
        since = self._services.clock() - URGENT_QUIET
        for feature in self._services.published.do_not_disturb:
            if await feature.includes(self._services, person_id, since):
                return True
        return False


async def offer_open_polls(services: Services, person: Person) -> int:
    """The "on welcome" hook: whoever starts a private chat or subscribes is offered the
    open polls at once."""
    return await services.feature(Polls).offer_open(person)
