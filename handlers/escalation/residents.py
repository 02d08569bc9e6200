"""What reaches the resident behind a case: queued in their language, under a dedupe key
per case and message, and never to someone erased meanwhile."""

from __future__ import annotations

from bot.core.context import Services
from bot.core.events import Outgoing
from bot.core.ports import Recipient
from handlers.escalation.texts import resident_translator
from storage.cases import Case
from storage.people import PeopleRepository


class ResidentMail:
    """Queues messages for the residents behind cases."""

    def __init__(self, services: Services, people: PeopleRepository) -> None:
        self._services = services
        self._people = people

    async def send(self, case: Case, message: Outgoing, key: str) -> bool:
        """Queue `message` for the resident behind the case (False if they were erased)."""
        if case.person_id is None:
            return False
        person = await self._people.get(case.person_id)
        if person is None:
            return False
        t = resident_translator(self._services, case)
        if t.is_rtl and not message.rtl:
            message = Outgoing(message.text, message.buttons, message.attachment, rtl=True)
        recipient = Recipient(person.platform, person.platform_user_id, None, person.id)
        return await self._services.outbox.enqueue(
            recipient, message, f"case:{case.id}:{key}:resident"
        )
