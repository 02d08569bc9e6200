"""The polls feature's operations, in one object wired by `bot.app`.

Drafting, voting, sending and closing reach polls, their anonymous answers and the
feature's pending reminders only through this service (`services.feature(Polls)`). A poll
is never pushed to someone another feature knows to be in trouble (an open escalation
case, an urgent answer just read: `bot.core.hooks.DoNotDisturb`): a trust survey is the
wrong thing to send them. What a sent poll looks like is in `sending`; its results are
counted here and shown by `delivery` (in the chat) and `export` (as CSV), which are given
the figures and so never reach back into the service.
"""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.people import Person, Role
from bot.core.ports import Recipient
from bot.i18n import Translator
from bot.outbox import Queued
from handlers.polls.delivery import TRACKED, Waves, results_messages
from handlers.polls.export import csv_message, results_csv
from handlers.polls.results import PollResults, SecondaryRule, Suppression, summarize
from handlers.polls.sending import (
    URGENT_QUIET,
    PollQueue,
    closing_soon,
    closing_soon_message,
    option_count,
    person_zone,
    poll_message,
    poll_row,
    queue_with_reminders,
    reaches,
    voter_hash,
)
from handlers.polls.templates import template_for
from storage.database import Database
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.polls import Poll, PollRepository

log = logging.getLogger(__name__)
# `liaison polls export` without a poll number: every poll, up to this many.
EXPORT_LIMIT = 10_000


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

    async def results(self, poll: Poll) -> PollResults:
        """The poll's figures, with the deployment's small-group suppression applied."""
        settings = self._services.config.polls
        suppression = Suppression(
            settings.min_group_size, SecondaryRule(settings.secondary_suppression)
        )
        responses = await self.polls.responses(poll.id)
        return summarize(responses, template_for(poll.template), option_count(poll), suppression)

    async def results_messages(self, t: Translator, poll: Poll, zone: ZoneInfo) -> list[Outgoing]:
        """The results as a reader gets them: text, then a chart of the answers or of the
        trend across the template's waves."""
        return await results_messages(
            t, poll, await self.results(poll), await self._waves(poll), zone, self._services.clock()
        )

    async def csv_message(self, t: Translator, poll: Poll) -> Outgoing:
        """The poll's results as a CSV file in the chat."""
        return csv_message(t, poll, await self.results(poll))

    async def export_csv(self, poll_id: int | None) -> str:
        """For `liaison polls export`: that poll's results as CSV, or every poll's."""
        polls = sorted(await self.polls.latest(EXPORT_LIMIT), key=lambda poll: poll.id)
        return results_csv(
            [(poll, await self.results(poll)) for poll in polls if poll_id in (None, poll.id)]
        )

    async def close_due(self) -> int:
        """Close polls at the end of their window and send the results to the organizers.

        Results are drawn first; closing and queueing them is then one short transaction
        (a closed poll always has its results on the way)."""
        services = self._services
        closed = 0
        for poll in await self.polls.due_to_close(services.clock()):
            results, waves = await self.results(poll), await self._waves(poll)
            prepared: list[tuple[Recipient, int, list[Outgoing]]] = []
            for person in await self.organizers():
                t = services.languages.translator(person.locale)
                zone = person_zone(services, person.timezone)
                recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
                messages = await results_messages(t, poll, results, waves, zone, services.clock())
                messages.append(csv_message(t, poll, results))
                prepared.append((recipient, person.id, messages))
            async with self.transaction():
                if not await self.polls.close(poll.id):
                    continue
                for recipient, person_id, messages in prepared:
                    for part, message in enumerate(messages):
                        await services.outbox.enqueue(
                            recipient, message, f"poll:{poll.id}:results:{person_id}:{part}"
                        )
            closed += 1
            log.info("poll closed and results sent")
        return closed

    async def _waves(self, poll: Poll) -> Waves:
        """Every wave of a tracked template with its results (none for other polls)."""
        if poll.template not in TRACKED:
            return []
        return [(wave, await self.results(wave)) for wave in await self.polls.waves(poll.template)]

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


async def close_due_polls(services: Services) -> int:
    """The minute job (see `handlers.JOBS`)."""
    return await services.feature(Polls).close_due()


async def offer_open_polls(services: Services, person: Person) -> int:
    """The "on welcome" hook: whoever starts a private chat or subscribes is offered the
    open polls at once."""
    return await services.feature(Polls).offer_open(person)
