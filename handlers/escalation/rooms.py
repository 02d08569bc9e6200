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
from bot.core.ports import Recipient
from storage.cases import CaseRoom
from storage.people import Role

log = logging.getLogger(__name__)
OPEN_THREAD_TIMEOUT_S = 10.0
# A little longer than the bound above, so rows are held until the opener has answered.
THREAD_WAIT = timedelta(seconds=OPEN_THREAD_TIMEOUT_S + 5)


async def add_case_rooms(services: Services, case_id: int) -> None:
    """Give the case a place in every room (inside the transaction that opens it); the
    threads come after the commit, from `open_case_threads`."""
    for room in services.platforms.liaison_rooms:
        await services.repos.cases.add_room(CaseRoom(case_id, room.platform, room.chat_id, None))


def thread_wait(services: Services) -> datetime:
    """Until when a new case's rows for a room wait for its thread: past this, they go to
    the room itself (the thread could not be opened, or the process died meanwhile)."""
    return services.clock() + THREAD_WAIT


async def open_case_threads(services: Services, case_id: int, title: str) -> None:
    """Open the case's threads, after the case is committed, and release the rows held
    for them: into the thread where one opened, into the room where none did.

    Called outside any transaction: a platform that is slow or down delays only this
    case's threads, never other people's writes (on SQLite a transaction holds the
    whole database)."""
    rooms = await services.repos.cases.rooms(case_id)
    threads = await asyncio.gather(*(_open_thread(services, room, title) for room in rooms))
    async with services.db.transaction():
        for room, thread_id in zip(rooms, threads, strict=True):
            if thread_id is not None:
                await services.repos.cases.add_room(replace(room, thread_id=thread_id))
            await services.repos.outbox.release_held(
                f"case:{case_id}:", room.platform, room.chat_id, thread_id, services.clock()
            )
        services.db.after_commit(services.outbox.wakeup.set)


async def _open_thread(services: Services, room: CaseRoom, title: str) -> str | None:
    """The new thread's id; None where the room has none (no opener, refused, too slow)."""
    opener = services.thread_openers.get(room.platform)
    if opener is None or room.thread_id is not None:
        return None
    try:
        return await asyncio.wait_for(opener(room.chat_id, title), OPEN_THREAD_TIMEOUT_S)
    except Exception as error:  # the room itself still works without a thread
        log.warning("could not open a thread on %s: %s", room.platform, type(error).__name__)
        return None


async def liaison_recipients(services: Services, case_id: int) -> list[Recipient]:
    """Everyone who should see a case's traffic: its rooms, plus terminal liaisons."""
    recipients = [
        Recipient(room.platform, room.chat_id, room.thread_id)
        for room in await services.repos.cases.rooms(case_id)
    ]
    for role in (Role.LIAISON, Role.ADMIN):
        for person in await services.repos.people.with_role(role):
            if services.platforms.is_local(person.platform):
                recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
                recipients.append(recipient)
    return recipients
