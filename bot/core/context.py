"""The context handed to every handler: who is speaking, in which language, and tools."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.core.audiences import Audiences
from bot.core.clock import Clock
from bot.core.conversations import Conversations, ConversationState
from bot.core.events import Button, Incoming, Outgoing
from bot.core.features import Features
from bot.core.forms import Filled, FormData, FormExpired, FormSpec
from bot.core.hooks import Published
from bot.core.people import Identities, Person, Role
from bot.core.platforms import Platforms
from bot.core.ports import CalendarPublisher, Responder, ThreadOpener
from bot.i18n import RLM, Languages, Translator
from bot.ops.metrics import Metrics

D = TypeVar("D", bound=FormData)
F = TypeVar("F")
S = TypeVar("S", bound=enum.Enum)

if TYPE_CHECKING:
    from bot.config import Config
    from bot.knowledge.base import KnowledgeBase
    from bot.outbox import Outbox
    from bot.privacy import Hasher


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A command as menus list it: name, untranslated description, who may use it."""

    name: str
    description: str
    roles: tuple[Role, ...]

    def visible_to(self, person: Person) -> bool:
        return not self.roles or person.is_at_least(*self.roles)


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived collaborators shared by all handlers (built in `bot.app`)."""

    config: Config
    languages: Languages
    # Who is speaking, and the forms people are filling in: what the core itself stores.
    people: Identities
    conversations: Conversations
    outbox: Outbox
    hasher: Hasher
    clock: Clock
    knowledge: KnowledgeBase
    # Who broadcasts reach (meetings keeps the subscriptions; polls reach the same people).
    audiences: Audiences
    # Filled by the dispatcher as routers are included; read by /help and platform menus.
    menu: list[MenuEntry] = field(default_factory=list)
    # Rooms and capabilities of the platforms, by the neutral names features use.
    platforms: Platforms = field(default_factory=Platforms)
    # Filled by adapters that can open a thread in a room (escalation: one per case).
    thread_openers: dict[str, ThreadOpener] = field(default_factory=dict)
    # Filled by adapters whose platform has native calendar events (meetings).
    calendars: dict[str, CalendarPublisher] = field(default_factory=dict)
    # What features publish for each other (cancel hooks, personal data), from routers.
    published: Published = field(default_factory=Published)
    # Counters and gauges for the ops listener; one registry per app.
    metrics: Metrics = field(default_factory=Metrics)
    # Each feature's service (its repositories and operations), added by `bot.app`.
    features: Features = field(default_factory=Features)

    def feature(self, kind: type[F]) -> F:
        """A feature's service, as wired by the composition root."""
        return self.features.get(kind)


@dataclass(slots=True)
class Context:
    """One turn of conversation: the person, their translator, and how to answer."""

    person: Person
    event: Incoming
    t: Translator
    services: Services
    _responder: Responder
    # The person's conversation state as read in this turn (several steps of one turn
    # ask for it: the dispatcher's routing, then a question remembered after the answer).
    # Any write through this context forgets it, so a later read sees the store again.
    _state: ConversationState | None = None
    _state_read: bool = False

    # Shortcuts read as the gettext functions they are, so extraction finds the strings.
    def _(self, message: str) -> str:
        return self.t._(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.t.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return self.t.pgettext(context, message)

    @property
    def config(self) -> Config:
        return self.services.config

    def now(self) -> datetime:
        return self.services.clock()

    def feature(self, kind: type[F]) -> F:
        """The service of the feature handling this turn (see `bot.core.features`)."""
        return self.services.feature(kind)

    async def reply(
        self,
        text: str | Outgoing,
        buttons: tuple[tuple[Button, ...], ...] | list[list[Button]] = (),
        **options: Any,
    ) -> None:
        """Answer in the chat the event came from, marking RTL text for the adapter."""
        if isinstance(text, Outgoing):
            message = text
        else:
            rows = tuple(tuple(row) for row in buttons)
            message = Outgoing(text=text, buttons=rows, **options)
        if message.form is not None and not self.event.forms:
            raise ValueError("a form was asked for where the platform cannot show one")
        if message.private and not self.event.is_private:
            message = self._kept_private(message)
        if self.t.is_rtl and not message.rtl:
            message = replace(message, rtl=True)
        await self._responder(message)

    @property
    def private_here(self) -> bool:
        """Whether a personal reply can be shown to this person alone, here."""
        return self.event.is_private or self.event.private_replies

    def privacy_pointer(self) -> Outgoing:
        """What a shared room is told instead of something personal it must not show."""
        return Outgoing(
            self._(
                "For your privacy I answer this only in a private chat. Please write to me "
                "directly."
            )
        )

    def _kept_private(self, message: Outgoing) -> Outgoing:
        """A personal reply asked for in a shared room: for the person's eyes only where the
        platform can do that, else withheld, with a pointer to the private chat."""
        if self.event.private_replies:
            return replace(message, ephemeral=True)
        return self.privacy_pointer()

    async def state(self) -> ConversationState | None:
        if not self._state_read:
            self._state = await self.services.conversations.get(self.person.id)
            self._state_read = True
        return self._state

    async def form(self, form: FormSpec[D, S]) -> Filled[D, S] | None:
        """The person's `form` if they are in it (outside the dispatcher's checks)."""
        state = await self.state()
        if state is None or state.flow != form.flow:
            return None
        try:
            return form.read(state.step, state.data)
        except FormExpired:
            return None

    async def set_form(self, form: FormSpec[D, S], step: S, data: D) -> None:
        """Keep the person in `form` at `step` with `data` (stored, so a restart loses
        nothing)."""
        self._state_read = False
        await self.services.conversations.put(
            self.person.id, form.flow, str(step.value), data.stored(), self.now()
        )

    async def clear_state(self) -> None:
        self._state_read = False
        await self.services.conversations.clear(self.person.id)


def mark_rtl(text: str) -> str:
    """Prefix every line with RLM so Arabic lines starting with digits or Latin stay RTL."""
    return "\n".join(RLM + line if line else line for line in text.split("\n"))
