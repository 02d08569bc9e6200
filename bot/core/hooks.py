"""What features publish for one another, so that none imports another.

/cancel asks every "on cancel" hook (escalation offers to close an open case); /mydata and
/forget ask every `PersonalData` what it stores about the person and let it act before the
person's rows are erased. Routers register them; the dispatcher collects them here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.context import Context

# Runs on /cancel after the person's form is closed; True: it answered the person.
CancelHook = Callable[["Context"], Awaitable[bool]]


class PersonalData(Protocol):
    """One feature's part of "what do you store about me" and of erasing it."""

    async def describe(self, ctx: Context) -> list[str]:
        """Lines for /mydata, in the person's language."""

    async def before_erase(self, ctx: Context) -> None:
        """Inside /forget's transaction, before the person's rows are erased."""


@dataclass(slots=True)
class Published:
    """Everything the included routers published, in their order."""

    on_cancel: list[CancelHook] = field(default_factory=list)
    personal_data: list[PersonalData] = field(default_factory=list)
    # Names of the forms someone can be filling in (those with a text handler).
    forms: set[str] = field(default_factory=set)
