"""A platform as the rest of the program knows it: one spec per platform, listed in
`bot.platforms.registry`.

The spec is light on purpose: config loading, masking and `liaison doctor` read it
without importing the platform's library, which only its adapter factory loads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.core.capabilities import Capabilities

if TYPE_CHECKING:
    from bot.config import Config
    from bot.core.host import PlatformHost
    from bot.core.ports import PlatformAdapter, TerminalChat
    from bot.doctor import RoomCheck

S = TypeVar("S")


def _no_cross_checks(_section: Any) -> None:
    """Most sections have no rule that spans two of their settings."""


@dataclass(frozen=True, slots=True)
class PlatformSpec(Generic[S]):
    """Everything the program needs to know about one platform, and nothing it does not."""

    # The platform's name in events and stored identities, its config table ([name]) and
    # its environment prefix (LIAISON_NAME_KEY); never changes once people are stored.
    name: str
    # How operators call it, in start-up lines and the doctor's checklist.
    title: str
    # The config section: a frozen dataclass of `bot.settings.setting` fields.
    section: type[S]
    capabilities: Callable[[S], Capabilities]
    # Whether `liaison run` starts it (a token is set).
    enabled: Callable[[S], bool]
    # The setting naming the liaison room (a text, "" for none) and the one listing the
    # announcement rooms (a tuple of texts); "" when the platform has no such rooms.
    liaison_room_key: str = ""
    announcement_rooms_key: str = ""
    # Builds the running adapter; None for a platform `liaison run` never starts (the
    # terminal chat, opened by `liaison chat`). Imports the platform library when called.
    adapter: Callable[[PlatformHost, S], PlatformAdapter] | None = None
    # Opens a chat in this terminal for one local user (`liaison chat`); None elsewhere.
    terminal: Callable[[PlatformHost, str], TerminalChat] | None = None
    # The live check of `liaison doctor` and of start-up's liaison-room check.
    doctor: Callable[[S, bool], Awaitable[RoomCheck]] | None = None
    # Rules spanning several settings of the section; raises `ConfigError`.
    cross_checks: Callable[[S], None] = _no_cross_checks
    # What a user id looks like when an operator names an admin as "name:user_id" (as
    # /whoami prints it); None when admins cannot be named from config on this platform.
    user_id_pattern: str | None = None
    # How that user id is described in the error for a badly written admin.
    user_id_form: str = "<digits>"
    # The platform library's loggers that log each request (tokens in URLs): kept at WARNING.
    noisy_loggers: tuple[str, ...] = ()

    def liaison_room(self, config: Config) -> str:
        """The configured liaison room's id, or "" when none is set."""
        if not self.liaison_room_key:
            return ""
        return str(getattr(self.settings(config), self.liaison_room_key))

    def announcement_rooms(self, config: Config) -> tuple[str, ...]:
        if not self.announcement_rooms_key:
            return ()
        return tuple(getattr(self.settings(config), self.announcement_rooms_key))

    def settings(self, config: Config) -> S:
        """This platform's section of `config` (its defaults if the config has none)."""
        section = config.platforms.get(self.name)
        return section if isinstance(section, self.section) else self.section()

    def is_enabled(self, config: Config) -> bool:
        return self.enabled(self.settings(config))

    def capabilities_in(self, config: Config) -> Capabilities:
        return self.capabilities(self.settings(config))
