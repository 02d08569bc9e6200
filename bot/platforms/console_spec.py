"""The terminal chat as the program knows it: no settings, no network, a trusted operator.

`liaison run` never starts it as an adapter; `liaison chat` opens it (and `liaison run`
does when no other platform is enabled).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.capabilities import Capabilities, RateLimits
from bot.platforms.spec import PlatformSpec

if TYPE_CHECKING:
    from bot.core.host import PlatformHost
    from bot.core.ports import TerminalChat

NAME = "console"
# A terminal shows any length, as many numbered choices as offered, at any pace.
UNLIMITED = sys.maxsize


@dataclass(frozen=True, slots=True)
class ConsoleSection:
    """The terminal chat has nothing to configure."""


def _capabilities(_section: ConsoleSection) -> Capabilities:
    return Capabilities(
        private_replies=False,  # every terminal chat is already private
        forms=False,
        free_text_in_groups=False,  # there are no shared rooms
        threads=False,
        edit_in_place=False,
        buttons_per_row=UNLIMITED,
        buttons_per_message=UNLIMITED,
        text_limit=UNLIMITED,
        payload_bytes=UNLIMITED,
        rate=RateLimits(float(UNLIMITED), float(UNLIMITED), 1.0),
        local_operator=True,
    )


def _terminal(host: PlatformHost, user: str) -> TerminalChat:
    from bot.platforms.console import open_console

    return open_console(host, user)


CONSOLE = PlatformSpec(
    name=NAME,
    title="terminal chat",
    section=ConsoleSection,
    capabilities=_capabilities,
    enabled=lambda _section: False,
    terminal=_terminal,
)
