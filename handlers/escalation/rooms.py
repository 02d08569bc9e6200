"""Where liaisons work: the configured liaison rooms, and liaisons at the operator's
own terminal.

A case gets one thread per room where the platform has threads (forum topics, channel
threads); elsewhere its messages are posted in the room itself, each tagged with the case
number.
"""

from __future__ import annotations

import asyncio
import logging

from bot.core.context import Services
from bot.core.ports import Recipient
from storage.cases import CaseRoom
from storage.people import Role

log = logging.getLogger(__name__)
OPEN_THREAD_TIMEOUT_S = 10.0


async def open_case_rooms(services: Services, case_id: int, title: str) -> list[CaseRoom]:
    """Create the case's place in every room: a thread where possible, else the room."""
    rooms: list[CaseRoom] = []
    for liaison_room in services.platforms.liaison_rooms:
        platform, chat_id = liaison_room.platform, liaison_room.chat_id
        thread_id: str | None = None
        opener = services.thread_openers.get(platform)
        if opener is not None:
            try:
                # Bounded: a case opens inside a transaction that waits for this.
                thread_id = await asyncio.wait_for(opener(chat_id, title), OPEN_THREAD_TIMEOUT_S)
            except Exception as error:  # the room itself still works without a thread
                log.warning("could not open a thread on %s: %s", platform, type(error).__name__)
        room = CaseRoom(case_id, platform, chat_id, thread_id)
        await services.repos.cases.add_room(room)
        rooms.append(room)
    return rooms


async def liaison_recipients(services: Services, case_id: int) -> list[Recipient]:
    """Everyone who should see a case's traffic: its rooms, plus liaisons at the terminal."""
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
