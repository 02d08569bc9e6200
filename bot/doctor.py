"""`liaison doctor` and the start-up room check: the live configuration against the platforms.

Each platform's checks (in `bot/platforms/*_doctor.py`) ask its API whether the token is
valid, whether the configured liaison room exists and what the bot may do there, and what
the operator should know (privacy mode, intents, webhook), and list the chats the bot can
see so the operator can copy a room's id. Start-up runs the room part: with a platform
running and no liaison room the bot would promise residents an answer that never comes.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import Config


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the checklist; `setting` names the config key a failure is about."""

    status: Status
    text: str
    setting: str = ""


@dataclass(frozen=True, slots=True)
class RoomCheck:
    """What one platform found about its liaison room (`reachable` False: cases would not
    arrive there)."""

    platform: str
    configured: bool
    reachable: bool
    findings: tuple[Finding, ...]
    # False: the token was refused or the API could not be reached; the adapter's own
    # start-up says so more precisely, so the room check leaves that verdict to it.
    connected: bool = True


PlatformCheck = Callable[[Config, bool], Awaitable[RoomCheck]]
NO_ROOM = (
    "no liaison room is configured: set telegram.liaison_chat_id or "
    "discord.liaison_channel_id (run `liaison doctor` to list the chats the bot can see)"
)


def _platform_checks(config: Config) -> list[PlatformCheck]:
    """The checks of every platform with a token (imported only when needed)."""
    checks: list[PlatformCheck] = []
    if config.telegram.token:
        from bot.platforms.telegram_doctor import check_telegram

        checks.append(check_telegram)
    if config.discord.token:
        from bot.platforms.discord_doctor import check_discord

        checks.append(check_discord)
    return checks


async def room_problem(config: Config) -> str | None:
    """None when at least one configured liaison room is reachable; else the one line that
    says which setting is missing or wrong (start-up stops on it)."""
    checks = _platform_checks(config)
    if not checks:
        return None  # the terminal chat: liaisons are in it
    results = [await check(config, False) for check in checks]
    if any(result.reachable for result in results) or not all(r.connected for r in results):
        return None
    configured = [result for result in results if result.configured]
    if not configured:
        return NO_ROOM
    reasons = [
        f"{finding.setting}: {finding.text}"
        for result in configured
        for finding in result.findings
        if finding.status is Status.FAIL
    ]
    return "; ".join(reasons) or NO_ROOM


async def doctor(config: Config) -> tuple[list[str], bool]:
    """The checklist's lines, and whether escalation can reach somebody."""
    checks = _platform_checks(config)
    if not checks:
        return ["info  no Telegram or Discord token: only the terminal chat runs"], True
    lines: list[str] = []
    reachable = False
    for check in checks:
        result = await check(config, True)
        reachable = reachable or result.reachable
        lines.append(f"[{result.platform}]")
        lines.extend(f"{finding.status.value:<5} {finding.text}" for finding in result.findings)
    if not reachable:
        lines.append(f"FAIL  {NO_ROOM}")
    return lines, reachable
