"""Who the community's broadcasts reach, as one feature publishes it for the others.

Meetings keeps the subscriptions (who asked to hear about which neighbourhoods, in which
language and time zone, and their quiet hours); polls reach the same people through this
interface without importing meetings. `bot.app` wires the implementation into `Services`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.ports import Recipient


@dataclass(frozen=True, slots=True)
class Audience:
    """One place a broadcast goes, in which language and time zone (`person_id` None: an
    announcement room)."""

    person_id: int | None
    recipient: Recipient
    lang: str
    zone: ZoneInfo


class Audiences(Protocol):
    """The subscribers and announcement rooms every broadcast shares."""

    def subscribers(self, tags: tuple[str, ...]) -> AsyncIterator[list[Audience]]:
        """Reachable subscribers to any of `tags` (everyone for none), a page at a time,
        so a city-wide broadcast never holds the event loop for long."""

    def rooms(self) -> list[Audience]:
        """The announcement rooms, in the deployment's default language."""

    async def tags_of(self, person_id: int) -> tuple[str, ...] | None:
        """What the person subscribed to: None, not subscribed; (), the whole city."""

    def after_quiet_hours(self, zone: ZoneInfo, moment: datetime) -> datetime:
        """The same moment, or the end of the quiet hours in `zone` if it falls in them."""
