"""What features publish for one another, so that none imports another.

/cancel asks every "on cancel" hook (escalation offers to close an open case); /mydata and
/forget ask every `PersonalData` what it stores about the person and let it act before the
person's rows are erased; polls ask every `DoNotDisturb` who must not be sent a survey now;
/start and /subscribe run every "on welcome" hook (polls offer the open polls); a question
a resident just asked goes to every "on question" hook (escalation keeps it, so "Talk to a
person" right after carries it along). Routers register them; the dispatcher collects
them here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.core.context import Context, Services
    from bot.core.people import Person

# Runs on /cancel after the person's form is closed; True: it answered the person.
CancelHook = Callable[["Context"], Awaitable[bool]]
# Runs when a person starts a private chat or subscribes: what is open for them now.
WelcomeHook = Callable[["Services", "Person"], Awaitable[object]]
# Runs when a resident asks something in free text ("": what they asked was answered, or
# was not a question), so a feature can carry the question along later.
QuestionHook = Callable[["Context", str], Awaitable[None]]


class PersonalData(Protocol):
    """One feature's part of "what do you store about me" and of erasing it."""

    async def describe(self, ctx: Context) -> list[str]:
        """Lines for /mydata, in the person's language."""

    async def before_erase(self, ctx: Context) -> None:
        """Inside /forget's transaction, before the person's rows are erased."""


class DoNotDisturb(Protocol):
    """One feature's people in trouble now (an open case, an urgent answer just read): a
    trust survey is the wrong thing to send them."""

    async def people(self, services: Services, since: datetime) -> set[int]:
        """Everyone this feature knows to be in trouble, counting from `since`."""

    async def includes(self, services: Services, person_id: int, since: datetime) -> bool:
        """Whether this one person is among `people`."""


@dataclass(slots=True)
class Published:
    """Everything the included routers published, in their order."""

    on_cancel: list[CancelHook] = field(default_factory=list)
    personal_data: list[PersonalData] = field(default_factory=list)
    do_not_disturb: list[DoNotDisturb] = field(default_factory=list)
    on_welcome: list[WelcomeHook] = field(default_factory=list)
    on_question: list[QuestionHook] = field(default_factory=list)
    # Names of the forms someone can be filling in (those with a text handler).
    forms: set[str] = field(default_factory=set)

    async def welcome(self, services: Services, person: Person) -> None:
        """Run every "on welcome" hook for a person who just arrived or subscribed."""
        for hook in self.on_welcome:
            await hook(services, person)

    async def asked(self, ctx: Context, question: str) -> None:
        """Run every "on question" hook for what the person just asked ("" forgets it)."""
        for hook in self.on_question:
            await hook(ctx, question)
