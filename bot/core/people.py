"""People as the core knows them: who is speaking, with which role.

These are domain types, not storage: the repositories in `storage.people` read and write
them, and the core (dispatcher, routers, context) uses them without importing storage.
This module imports nothing of the bot, so storage may depend on it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class Role(enum.Enum):
    """What a person may do; ordered from least to most privileged."""

    RESIDENT = "resident"
    LIAISON = "liaison"
    ORGANIZER = "organizer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    platform: str
    platform_user_id: str
    locale: str | None
    locale_chosen: bool
    role: Role
    timezone: str | None
    unreachable: bool
    created_at: datetime
    last_seen_at: datetime
    blocked: bool = False
    public_name: str | None = None
    # Random per person, erased with them: a returning person gets a new pseudonym.
    pseudonym_salt: str | None = None

    def is_at_least(self, *roles: Role) -> bool:
        """True when the person holds one of `roles` or is an admin (admins may do all)."""
        return self.role is Role.ADMIN or self.role in roles


class Identities(Protocol):
    """What the core needs of the people store: to know who is speaking and keep the
    roles that come from config in step."""

    async def upsert_seen(
        self, platform: str, platform_user_id: str, locale_hint: str | None, now: datetime
    ) -> Person:
        """The person behind an event, created on first contact."""

    async def set_role(self, person_id: int, role: Role) -> None: ...
