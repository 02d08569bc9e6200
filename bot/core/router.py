"""Routers: each feature registers its commands, button actions, flows and text handlers.

The dispatcher includes routers in an explicit order (see `handlers/__init__.py`), so
which handler wins is visible in one place rather than decided by import order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.payloads import ButtonHandler, ButtonSpec, Payload
from storage.people import Role

Handler = Callable[[Context, Incoming], Awaitable[None]]
# A text handler may decline (return False) so the next one in order is tried.
TextHandler = Callable[[Context, Incoming], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class Command:
    """A slash command; `description` is an untranslated msgid shown in platform menus."""

    name: str
    handler: Handler
    description: str | None
    roles: tuple[Role, ...]


P = TypeVar("P", bound=Payload)


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """A button's action, the payload it must carry, and who may press it."""

    spec: ButtonSpec[Any]
    handler: ButtonHandler[Any]
    roles: tuple[Role, ...]

    @property
    def action(self) -> str:
        return self.spec.action


@dataclass(frozen=True, slots=True)
class Flow:
    """Free text while a person is in a guided flow; `roles` as for commands."""

    name: str
    handler: Handler
    roles: tuple[Role, ...]


class Router:
    """One feature's registrations."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.buttons: list[ButtonAction] = []
        self.flows: list[Flow] = []
        self.text_handlers: list[TextHandler] = []

    def command(
        self, name: str, description: str | None = None, roles: tuple[Role, ...] = ()
    ) -> Callable[[Handler], Handler]:
        """Register `/name`. `roles` empty means anyone; otherwise admins and these roles."""

        def register(handler: Handler) -> Handler:
            self.commands.append(Command(name, handler, description, roles))
            return handler

        return register

    def button(
        self, spec: ButtonSpec[P], roles: tuple[Role, ...] = ()
    ) -> Callable[[ButtonHandler[P]], ButtonHandler[P]]:
        """Register presses of `spec`'s buttons; the handler gets the unpacked payload."""

        def register(handler: ButtonHandler[P]) -> ButtonHandler[P]:
            self.buttons.append(ButtonAction(spec, handler, roles))
            return handler

        return register

    def flow(self, flow: str, roles: tuple[Role, ...] = ()) -> Callable[[Handler], Handler]:
        """Register the handler for free text while a person is in `flow`. With `roles`, a
        person who lost the role meanwhile leaves the flow and is answered as anyone else."""

        def register(handler: Handler) -> Handler:
            self.flows.append(Flow(flow, handler, roles))
            return handler

        return register

    def text(self) -> Callable[[TextHandler], TextHandler]:
        def register(handler: TextHandler) -> TextHandler:
            self.text_handlers.append(handler)
            return handler

        return register
