"""Every platform the bot speaks, in start-up order: one line per platform.

Config loading, `liaison run`, `liaison doctor`, `liaison chat` and the features' view of
rooms and capabilities all iterate this tuple; nothing outside `bot/platforms/` names a
platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.core.platforms import Platforms, Room
from bot.platforms.console_spec import CONSOLE
from bot.platforms.discord_spec import DISCORD
from bot.platforms.spec import PlatformSpec
from bot.platforms.telegram_spec import TELEGRAM

if TYPE_CHECKING:
    from bot.config import Config

PLATFORMS: tuple[PlatformSpec[Any], ...] = (TELEGRAM, DISCORD, CONSOLE)


def local_platform(platforms: Sequence[PlatformSpec[Any]] = PLATFORMS) -> PlatformSpec[Any]:
    """The platform of the operator's own terminal (`liaison chat`)."""
    for spec in platforms:
        if spec.capabilities(spec.section()).local_operator:
            return spec
    raise LookupError("no local platform is registered")


def platforms_view(config: Config) -> Platforms:
    """Rooms of the enabled platforms and every platform's capabilities, for features."""
    enabled = [spec for spec in config.platform_specs if spec.is_enabled(config)]
    liaison = [
        Room(spec.name, spec.liaison_room(config)) for spec in enabled if spec.liaison_room(config)
    ]
    announcements = [
        Room(spec.name, chat_id) for spec in enabled for chat_id in spec.announcement_rooms(config)
    ]
    return Platforms(
        tuple(liaison),
        tuple(announcements),
        {spec.name: spec.capabilities_in(config) for spec in config.platform_specs},
    )
