"""People: who talks to the bot, in which language, with which role."""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.core.people import Person, Role
from storage.database import Database
from storage.rows import Table
from storage.timestamps import to_db

# Per-person pseudonym salt; only needs to be unguessable, the keyed hash does the rest.
SALT_BYTES = 16


PEOPLE = Table(Person)


class PeopleRepository:
    """Reads and writes `people`; every method is one short statement."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def upsert_seen(
        self, platform: str, platform_user_id: str, locale_hint: str | None, now: datetime
    ) -> Person:
        """Create the person on first contact, else refresh last-seen and reachability.

        The platform's language hint seeds the locale of new people only: a stored
        choice always wins over the hint.
        """
        stamp = to_db(now)
        rows = await self._db.fetch(
            "INSERT INTO people (platform, platform_user_id, locale, created_at, last_seen_at, "
            "pseudonym_salt) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (platform, platform_user_id) DO UPDATE SET "
            "last_seen_at = excluded.last_seen_at, unreachable = 0, "
            "locale = CASE WHEN people.locale_chosen = 1 THEN people.locale "
            f"ELSE COALESCE(people.locale, excluded.locale) END RETURNING {PEOPLE.columns}",
            (platform, platform_user_id, locale_hint, stamp, stamp, secrets.token_hex(SALT_BYTES)),
        )
        return PEOPLE.load(rows[0])

    async def find(self, platform: str, platform_user_id: str) -> Person | None:
        rows = await self._db.fetch(
            f"SELECT {PEOPLE.columns} FROM people WHERE platform = ? AND platform_user_id = ?",
            (platform, platform_user_id),
        )
        return PEOPLE.load_first(rows)

    async def get(self, person_id: int) -> Person | None:
        rows = await self._db.fetch(
            f"SELECT {PEOPLE.columns} FROM people WHERE id = ?", (person_id,)
        )
        return PEOPLE.load_first(rows)

    async def set_locale(self, person_id: int, locale: str) -> None:
        """Store an explicit language choice; it wins over every later platform hint."""
        await self._db.execute(
            "UPDATE people SET locale = ?, locale_chosen = 1 WHERE id = ?", (locale, person_id)
        )

    async def set_role(self, person_id: int, role: Role) -> None:
        await self._db.execute("UPDATE people SET role = ? WHERE id = ?", (role.value, person_id))

    async def set_timezone(self, person_id: int, timezone: str) -> None:
        await self._db.execute("UPDATE people SET timezone = ? WHERE id = ?", (timezone, person_id))

    async def mark_unreachable(self, platform: str, platform_user_id: str) -> None:
        """The platform refused delivery (blocked bot, closed DMs): skip in broadcasts."""
        await self._db.execute(
            "UPDATE people SET unreachable = 1 WHERE platform = ? AND platform_user_id = ?",
            (platform, platform_user_id),
        )

    async def with_role(self, role: Role) -> list[Person]:
        return PEOPLE.load_all(
            await self._db.fetch(
                f"SELECT {PEOPLE.columns} FROM people WHERE role = ? ORDER BY id", (role.value,)
            )
        )

    async def set_blocked(self, person_id: int, blocked: bool) -> None:
        await self._db.execute(
            "UPDATE people SET blocked = ? WHERE id = ?", (int(blocked), person_id)
        )

    async def set_public_name(self, person_id: int, name: str | None) -> None:
        """The name a liaison chooses to show residents (None: shown as 'Liaison')."""
        await self._db.execute("UPDATE people SET public_name = ? WHERE id = ?", (name, person_id))
