"""Discord as the program knows it: its `[discord]` settings, what it can do, and how its
adapter and doctor check are built (discord.py is imported only by those)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.capabilities import Capabilities, RateLimits
from bot.platforms.spec import PlatformSpec
from bot.settings import http_url, ids, one_id, rate, setting, single_line, url

if TYPE_CHECKING:
    from bot.core.host import PlatformHost
    from bot.core.ports import PlatformAdapter
    from bot.doctor import RoomCheck

NAME = "discord"
# Discord ids are snowflakes: unsigned 64-bit numbers.
SNOWFLAKE = r"[0-9]{1,20}"
SNOWFLAKE_FORM = "Discord ids (numbers such as 80351110224678912)"
# Discord's limits: message content, buttons per action row, action rows per message,
# custom_id length (payloads are ASCII-safe bytes within it).
MESSAGE_LIMIT = 2000
BUTTONS_PER_ROW = 5
ROWS_PER_MESSAGE = 5
CUSTOM_ID_BYTES = 100
# The per-channel rate is counted over this window (Discord's buckets are 5 s).
CHANNEL_RATE_PERIOD_S = 5.0


@dataclass(frozen=True, slots=True)
class DiscordSection:
    token: str = setting("", single_line, secret=True)
    api_base_url: str = setting("", http_url)
    gateway_url: str = setting("", url("ws", "wss"))
    guild_ids: tuple[str, ...] = setting((), ids(SNOWFLAKE, SNOWFLAKE_FORM))
    liaison_channel_id: str = setting("", one_id(SNOWFLAKE, SNOWFLAKE_FORM))
    announcement_channel_ids: tuple[str, ...] = setting((), ids(SNOWFLAKE, SNOWFLAKE_FORM))
    # Read what liaisons type in case threads: needs the privileged Message Content intent,
    # switched on for the application in Discord's developer portal first.
    message_content: bool = setting(False)
    rate_global_per_s: float = setting(50.0, rate(10_000))
    rate_channel_per_5s: float = setting(5.0, rate(10_000))


def _capabilities(section: DiscordSection) -> Capabilities:
    return Capabilities(
        private_replies=True,  # ephemeral interaction replies
        forms=True,  # modals
        free_text_in_groups=section.message_content,
        threads=True,
        edit_in_place=True,
        buttons_per_row=BUTTONS_PER_ROW,
        buttons_per_message=BUTTONS_PER_ROW * ROWS_PER_MESSAGE,
        text_limit=MESSAGE_LIMIT,
        payload_bytes=CUSTOM_ID_BYTES,
        rate=RateLimits(
            section.rate_global_per_s, section.rate_channel_per_5s, CHANNEL_RATE_PERIOD_S
        ),
    )


def _adapter(host: PlatformHost, section: DiscordSection) -> PlatformAdapter:
    from bot.platforms.discord import DiscordAdapter

    return DiscordAdapter(host, section)


async def _doctor(section: DiscordSection, full: bool) -> RoomCheck:
    from bot.platforms.discord_doctor import check_discord

    return await check_discord(section, full)


DISCORD = PlatformSpec(
    name=NAME,
    title="Discord",
    section=DiscordSection,
    capabilities=_capabilities,
    enabled=lambda section: bool(section.token),
    liaison_room_key="liaison_channel_id",
    announcement_rooms_key="announcement_channel_ids",
    adapter=_adapter,
    doctor=_doctor,
    user_id_pattern=SNOWFLAKE,
    noisy_loggers=("discord.http", "discord.gateway"),
)
