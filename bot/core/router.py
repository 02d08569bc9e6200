"""Routers: each feature registers its commands, button actions, flows and text handlers.

The dispatcher includes routers in an explicit order (see `handlers/__init__.py`), so
which handler wins is visible in one place rather than decided by import order.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.forms import Filled, FormData, FormSpec
from bot.core.hooks import CancelHook, DoNotDisturb, PersonalData, QuestionHook, WelcomeHook
from bot.core.payloads import ButtonHandler, ButtonSpec, Payload
from bot.core.people import Role

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
D = TypeVar("D", bound=FormData)
S = TypeVar("S", bound=enum.Enum)
# Typed text in a form, and a press of one of its buttons: the form comes filled in.
FlowHandler = Callable[[Context, Incoming, Filled[D, S]], Awaitable[None]]
FormButtonHandler = Callable[[Context, Incoming, P, Filled[D, S]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ButtonAction:
    """A button's action, the payload it must carry, and who may press it. A form's
    button (`forms`) is pressed only while one of them is open at one of `steps` (any
    step when empty), and its handler is also given the form."""

    spec: ButtonSpec[Any]
    handler: Callable[..., Awaitable[None]]
    roles: tuple[Role, ...]
    forms: tuple[FormSpec[Any, Any], ...] = ()
    steps: tuple[enum.Enum, ...] = ()

    @property
    def action(self) -> str:
        return self.spec.action


@dataclass(frozen=True, slots=True)
class Flow:
    """Free text while a person is in a form; `roles` as for commands."""

    form: FormSpec[Any, Any]
    handler: FlowHandler[Any, Any]
    roles: tuple[Role, ...]

    @property
    def name(self) -> str:
        return self.form.flow


class Refused(Exception):
    """A handler's translated refusal (no such case, not yours to close): the dispatcher
    shows it to the person alone, so handlers say no in one line."""

    def __init__(self, text: str) -> None:
        super().__init__("refused")
        self.text = text


class Router:
    """One feature's registrations."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[Command] = []
        self.buttons: list[ButtonAction] = []
        self.flows: list[Flow] = []
        self.text_handlers: list[TextHandler] = []
        self.cancel_hooks: list[CancelHook] = []
        self.personal_data: list[PersonalData] = []
        self.do_not_disturb: list[DoNotDisturb] = []
        self.welcome_hooks: list[WelcomeHook] = []
        self.question_hooks: list[QuestionHook] = []

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

    def form_button(
        self,
        spec: ButtonSpec[P],
        forms: tuple[FormSpec[D, S], ...],
        steps: tuple[S, ...] = (),
        roles: tuple[Role, ...] = (),
    ) -> Callable[[FormButtonHandler[P, D, S]], FormButtonHandler[P, D, S]]:
        """Register presses of a form's button; the dispatcher checks the form is open at
        one of `steps` and answers the form's `expired` text otherwise."""

        def register(handler: FormButtonHandler[P, D, S]) -> FormButtonHandler[P, D, S]:
            self.buttons.append(ButtonAction(spec, handler, roles, forms, steps))
            return handler

        return register

    def flow(
        self, form: FormSpec[D, S], roles: tuple[Role, ...] = ()
    ) -> Callable[[FlowHandler[D, S]], FlowHandler[D, S]]:
        """Register the handler for free text while a person is in `form`. With `roles`, a
        person who lost the role meanwhile leaves the form and is answered as anyone else."""

        def register(handler: FlowHandler[D, S]) -> FlowHandler[D, S]:
            self.flows.append(Flow(form, handler, roles))
            return handler

        return register

    def on_cancel(self) -> Callable[[CancelHook], CancelHook]:
        """Register what /cancel should also stop (see `bot.core.hooks`)."""

        def register(hook: CancelHook) -> CancelHook:
            self.cancel_hooks.append(hook)
            return hook

        return register

    def stores(self, data: PersonalData) -> None:
        """Declare what this feature stores about a person, for /mydata and /forget."""
        self.personal_data.append(data)

    def keeps_undisturbed(self, people: DoNotDisturb) -> None:
        """Declare who, by this feature's records, must not be sent a survey now."""
        self.do_not_disturb.append(people)

    def on_welcome(self, hook: WelcomeHook) -> None:
        """Register what a person who starts a private chat or subscribes is offered."""
        self.welcome_hooks.append(hook)

    def on_question(self, hook: QuestionHook) -> None:
        """Register what should keep a question a person just asked in free text."""
        self.question_hooks.append(hook)

    def text(self) -> Callable[[TextHandler], TextHandler]:
        def register(handler: TextHandler) -> TextHandler:
            self.text_handlers.append(handler)
            return handler

        return register
