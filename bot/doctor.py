"""`liaison doctor` and the start-up room check: the live configuration against the platforms.

Each platform's checks (in `bot/platforms/*_doctor.py`) ask its API whether the token is
valid, whether the configured liaison room exists and what the bot may do there, and what
the operator should know (privacy mode, intents, webhook), and list the chats the bot can
see so the operator can copy a room's id. Start-up runs the room part: with a platform
running and no liaison room the bot would promise residents an answer that never comes.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.platforms.registry import PLATFORMS
from bot.platforms.spec import PlatformSpec


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


# One enabled platform's check, bound to its settings; True asks for the full checklist.
PlatformCheck = Callable[[bool], Awaitable[RoomCheck]]


def no_room(platforms: Sequence[PlatformSpec[Any]] = PLATFORMS) -> str:
    """The line that says no liaison room is set, naming each platform's setting."""
    settings = " or ".join(
        f"{spec.name}.{spec.liaison_room_key}" for spec in platforms if spec.liaison_room_key
    )
    return (
        f"no liaison room is configured: set {settings} "
        "(run `liaison doctor` to list the chats the bot can see)"
    )


def _platform_checks(config: Config) -> list[PlatformCheck]:
    """The checks of every enabled platform (their libraries imported only when run)."""
    checks: list[PlatformCheck] = []
    for spec in config.platform_specs:
        check = spec.doctor
        if check is not None and spec.is_enabled(config):
            section = spec.settings(config)
            checks.append(functools.partial(check, section))
    return checks


async def room_problem(config: Config) -> str | None:
    """None when at least one configured liaison room is reachable; else the one line that
    says which setting is missing or wrong (start-up stops on it)."""
    checks = _platform_checks(config)
    if not checks:
        return None  # the terminal chat: liaisons are in it
    results = [await check(False) for check in checks]
    if any(result.reachable for result in results) or not all(r.connected for r in results):
        return None
    configured = [result for result in results if result.configured]
    if not configured:
        return no_room(config.platform_specs)
    reasons = [
        f"{finding.setting}: {finding.text}"
        for result in configured
        for finding in result.findings
        if finding.status is Status.FAIL
    ]
    return "; ".join(reasons) or no_room(config.platform_specs)


async def doctor(config: Config) -> tuple[list[str], bool]:
    """The checklist's lines, and whether escalation can reach somebody."""
    checks = _platform_checks(config)
    if not checks:
        return ["info  no platform token is set: only the terminal chat runs"], True
    lines: list[str] = []
    reachable = False
    for check in checks:
        result = await check(True)
        reachable = reachable or result.reachable
        lines.append(f"[{result.platform}]")
        lines.extend(f"{finding.status.value:<5} {finding.text}" for finding in result.findings)
    if not reachable:
        lines.append(f"FAIL  {no_room(config.platform_specs)}")
    return lines, reachable
