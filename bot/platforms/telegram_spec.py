"""Telegram as the program knows it: its `[telegram]` settings, what it can do, and how
its adapter and doctor check are built (python-telegram-bot is imported only by those)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.capabilities import Capabilities, RateLimits
from bot.platforms.spec import PlatformSpec
from bot.settings import (
    ConfigError,
    http_url,
    ids,
    not_blank,
    one_id,
    one_of,
    port,
    rate,
    setting,
    single_line,
)

if TYPE_CHECKING:
    from bot.core.host import PlatformHost
    from bot.core.ports import PlatformAdapter
    from bot.doctor import RoomCheck

NAME = "telegram"
# Telegram chat ids are (often negative) numbers, or @username for public channels.
TELEGRAM_CHAT = r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}"
TELEGRAM_CHAT_FORM = "Telegram chat ids (numbers such as -1001234567890, or @channelname)"
# Telegram's secret_token: 1-256 characters from this set.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Bot API limits: message text, callback_data, inline keyboard width (8 per row is what
# every client shows), buttons per keyboard.
MESSAGE_LIMIT = 4096
CALLBACK_DATA_BYTES = 64
BUTTONS_PER_ROW = 8
BUTTONS_PER_MESSAGE = 100


def _webhook_secret(value: str) -> str | None:
    if not value or WEBHOOK_SECRET.fullmatch(value):
        return None
    return "must be 1-256 characters from A-Z, a-z, 0-9, _ and -"


@dataclass(frozen=True, slots=True)
class TelegramSection:
    token: str = setting("", single_line, secret=True)
    mode: str = setting("polling", one_of("polling", "webhook"))
    api_base_url: str = setting("https://api.telegram.org/bot", http_url)
    api_file_url: str = setting("https://api.telegram.org/file/bot", http_url)
    webhook_url: str = setting("", http_url)
    webhook_listen: str = setting("127.0.0.1", not_blank)
    webhook_port: int = setting(8443, port)
    webhook_secret: str = setting("", _webhook_secret, secret=True)
    rate_global_per_s: float = setting(30.0, rate(10_000))
    rate_private_chat_per_s: float = setting(1.0, rate(10_000))
    rate_group_per_min: float = setting(20.0, rate(100_000))
    liaison_chat_id: str = setting("", one_id(TELEGRAM_CHAT, TELEGRAM_CHAT_FORM))
    announcement_chat_ids: tuple[str, ...] = setting((), ids(TELEGRAM_CHAT, TELEGRAM_CHAT_FORM))


def _cross_checks(section: TelegramSection) -> None:
    if section.mode == "webhook":
        if not section.webhook_url:
            raise ConfigError("telegram.webhook_url", "is required in webhook mode")
        if not section.webhook_secret:
            raise ConfigError("telegram.webhook_secret", "is required in webhook mode")


def _capabilities(section: TelegramSection) -> Capabilities:
    return Capabilities(
        private_replies=False,
        forms=False,
        # Mentions, replies to the bot and messages in the bot's own forum topics.
        free_text_in_groups=True,
        threads=True,  # forum topics, where the liaison group has them
        edit_in_place=True,
        buttons_per_row=BUTTONS_PER_ROW,
        buttons_per_message=BUTTONS_PER_MESSAGE,
        text_limit=MESSAGE_LIMIT,
        payload_bytes=CALLBACK_DATA_BYTES,
        rate=RateLimits(section.rate_global_per_s, section.rate_private_chat_per_s, 1.0),
    )


def _adapter(host: PlatformHost, section: TelegramSection) -> PlatformAdapter:
    from bot.platforms.telegram import TelegramAdapter

    return TelegramAdapter(host, section)


async def _doctor(section: TelegramSection, full: bool) -> RoomCheck:
    from bot.platforms.telegram_doctor import check_telegram

    return await check_telegram(section, full)


TELEGRAM = PlatformSpec(
    name=NAME,
    title="Telegram",
    section=TelegramSection,
    capabilities=_capabilities,
    enabled=lambda section: bool(section.token),
    liaison_room_key="liaison_chat_id",
    announcement_rooms_key="announcement_chat_ids",
    adapter=_adapter,
    doctor=_doctor,
    cross_checks=_cross_checks,
    user_id_pattern=r"\d{1,20}",
    noisy_loggers=("telegram.ext.Updater",),
)
