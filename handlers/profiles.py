"""The people feature: a person's own settings, and the staff roles admins hand out.

`/language`, `/timezone`, `/grant`, `/revoke`, `/roles` and `liaison roles` write people
only through this service, so every role change is audited in the same transaction.
"""

from __future__ import annotations

from bot.core.context import Services
from bot.core.people import Person, Role
from storage.cases import AuditLog
from storage.database import Database
from storage.people import PeopleRepository

# Admins come from config only; everything else can be granted or taken back.
GRANTABLE = (Role.LIAISON, Role.ORGANIZER, Role.RESIDENT)


class Profiles:
    """People's settings and staff roles."""

    def __init__(
        self, services: Services, db: Database, people: PeopleRepository, audit: AuditLog
    ) -> None:
        self._services = services
        self._db = db
        self._people = people
        self._audit = audit

    async def find(self, identity: str) -> Person | None:
        """The person named `platform:user_id` (as /whoami shows it), if they wrote."""
        platform, _, user_id = identity.strip().partition(":")
        if not platform or not user_id:
            return None
        return await self._people.find(platform.lower(), user_id)

    async def change_role(self, actor_id: int | None, identity: str, role: Role) -> Person | None:
        """Set a person's role (never admin: admins come from config), audited; None if
        unknown or an admin."""
        if role not in GRANTABLE:
            return None
        person = await self.find(identity)
        if person is None or person.role is Role.ADMIN:
            return None
        async with self._db.transaction():
            await self._people.set_role(person.id, role)
            await self._audit.record(
                actor_id, "role", None, self._services.clock(), f"{person.id}:{role.value}"
            )
        return person

    async def with_role(self, role: Role) -> list[Person]:
        return await self._people.with_role(role)

    async def set_locale(self, person: Person, code: str) -> None:
        """An explicit language choice: it wins over every later platform hint."""
        await self._people.set_locale(person.id, code)

    async def set_timezone(self, person: Person, name: str) -> None:
        await self._people.set_timezone(person.id, name)
