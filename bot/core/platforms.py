"""The platforms as features see them: rooms and capabilities, never a platform's name.

Built once by the composition root from the config and the platform registry; features
read which rooms liaisons work in, where announcements go, and what each platform can do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.capabilities import Capabilities


@dataclass(frozen=True, slots=True)
class Room:
    """A shared chat the operator configured: a liaison room or an announcement room."""

    platform: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Platforms:
    """The running deployment's rooms, and each platform's capabilities by name."""

    liaison_rooms: tuple[Room, ...] = ()
    announcement_rooms: tuple[Room, ...] = ()
    capabilities: Mapping[str, Capabilities] = field(default_factory=dict)

    def can(self, platform: str) -> Capabilities | None:
        """What `platform` can do; None for a platform this deployment does not know."""
        return self.capabilities.get(platform)

    def is_local(self, platform: str) -> bool:
        """People there sit at the operator's own machine (their role is trusted, and staff
        there have no room: case traffic goes to each of them)."""
        capabilities = self.can(platform)
        return capabilities is not None and capabilities.local_operator
