"""Where liaisons work: the configured liaison rooms, and liaisons at the operator's
own terminal.

A case gets one thread per room where the platform has threads (forum topics, channel
threads); elsewhere its messages are posted in the room itself, each tagged with the case
number.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient
from storage.cases import Case, CaseRepository, CaseRoom
from storage.database import Database
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository

log = logging.getLogger(__name__)
OPEN_THREAD_TIMEOUT_S = 10.0
# A little longer than the bound above, so rows are held until the opener has answered.
THREAD_WAIT = timedelta(seconds=OPEN_THREAD_TIMEOUT_S + 5)


class Rooms:
    """A case's places among the liaisons, and the messages queued for them."""

    def __init__(
        self,
        services: Services,
        db: Database,
        cases: CaseRepository,
        people: PeopleRepository,
        queued: OutboxRepository,
    ) -> None:
        self._services = services
        self._db = db
        self._cases = cases
        self._people = people
        self._queued = queued

    async def add(self, case_id: int) -> None:
        """Give the case a place in every room (inside the transaction that opens it); the
        threads come after the commit, from `open_threads`."""
        for room in self._services.platforms.liaison_rooms:
            await self._cases.add_room(CaseRoom(case_id, room.platform, room.chat_id, None))

    def thread_wait(self) -> datetime:
        """Until when a new case's rows for a room wait for its thread: past this, they go
        to the room itself (the thread could not be opened, or the process died meanwhile)."""
        return self._services.clock() + THREAD_WAIT

    async def open_threads(self, case_id: int, title: str) -> None:
        """Open the case's threads, after the case is committed, and release the rows held
        for them: into the thread where one opened, into the room where none did.

        Called outside any transaction: a platform that is slow or down delays only this
        case's threads, never other people's writes (on SQLite a transaction holds the
        whole database)."""
        rooms = await self._cases.rooms(case_id)
        threads = await asyncio.gather(*(self._open_thread(room, title) for room in rooms))
        async with self._db.transaction():
            for room, thread_id in zip(rooms, threads, strict=True):
                if thread_id is not None:
                    await self._cases.add_room(replace(room, thread_id=thread_id))
                await self._queued.release_held(
                    f"case:{case_id}:",
                    room.platform,
                    room.chat_id,
                    thread_id,
                    self._services.clock(),
                )
            self._db.after_commit(self._services.outbox.wakeup.set)

    async def _open_thread(self, room: CaseRoom, title: str) -> str | None:
        """The new thread's id; None where the room has none (no opener, refused, too slow)."""
        opener = self._services.thread_openers.get(room.platform)
        if opener is None or room.thread_id is not None:
            return None
        try:
            return await asyncio.wait_for(opener(room.chat_id, title), OPEN_THREAD_TIMEOUT_S)
        except Exception as error:  # the room itself still works without a thread
            log.warning("could not open a thread on %s: %s", room.platform, type(error).__name__)
            return None

    async def recipients(self, case_id: int) -> list[Recipient]:
        """Everyone who should see a case's traffic: its rooms, plus terminal liaisons."""
        recipients = [
            Recipient(room.platform, room.chat_id, room.thread_id)
            for room in await self._cases.rooms(case_id)
        ]
        for role in (Role.LIAISON, Role.ADMIN):
            for person in await self._people.with_role(role):
                if self._services.platforms.is_local(person.platform):
                    recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
                    recipients.append(recipient)
        return recipients

    async def tell(
        self,
        case: Case,
        message: Outgoing,
        key: str,
        already_there: Recipient | None = None,
        threads_until: datetime | None = None,
    ) -> None:
        """Queue `message` for every place the case's liaisons look, except `already_there`
        (the thread where what it reports was typed: everyone there has seen it). The rows
        name the resident as their subject: /forget removes their words from the rooms'
        queue too. `threads_until`: the case is opening, and rows for rooms that get a
        thread wait for it until then."""
        for recipient in await self.recipients(case.id):
            if already_there is not None and (
                recipient.platform,
                recipient.chat_id,
                recipient.thread_id,
            ) == (already_there.platform, already_there.chat_id, already_there.thread_id):
                continue
            dedupe = f"case:{case.id}:{key}:{recipient.platform}:{recipient.chat_id}"
            await self._services.outbox.enqueue(
                recipient,
                message,
                dedupe,
                not_before=await self._held_until(case, recipient, threads_until),
                subject=case.person_id,
            )

    async def _held_until(
        self, case: Case, recipient: Recipient, threads_until: datetime | None
    ) -> datetime | None:
        """When a row for a room may go (None: now). While the case's thread is being
        opened, rows for its room wait with the card, so they reach the thread in order."""
        if recipient.thread_id is not None or recipient.person_id is not None:
            return None  # a thread already, or a terminal liaison
        if threads_until is not None:
            return threads_until if recipient.platform in self._services.thread_openers else None
        card_key = f"case:{case.id}:card:{recipient.platform}:{recipient.chat_id}"
        held = await self._queued.pending_not_before(card_key)
        return held if held is not None and held > self._services.clock() else None
