"""The dispatcher: one neutral event in, the right handler run, the bot never dies.

Each event passes three steps in order: the error boundary (outermost), identify (upsert
the person), localize (pick their translator); then guards (flood control and the like)
and finally the route to a command, button action, active flow or free-text handler.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.core.context import Context, MenuEntry, Services
from bot.core.events import EventKind, Incoming, Outgoing, PayloadError, decode_payload
from bot.core.forms import Filled, FormExpired, FormSpec
from bot.core.payloads import ButtonSpec, Payload, StaleButton
from bot.core.people import Person, Role
from bot.core.ports import Responder
from bot.core.router import ButtonAction, Command, Flow, Refused, Router, TextHandler
from bot.i18n import negotiate

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommandName(Payload):
    name: str


# Buttons with this action run the command named by their argument (menus on /start).
COMMAND_BUTTON = ButtonSpec("cmd", CommandName)
# A guard sees every event after the person is known; returning False stops the event.
Guard = Callable[[Context, Incoming], Awaitable[bool]]


class Dispatcher:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.commands: dict[str, Command] = {}
        self.buttons: dict[str, ButtonAction] = {}
        self.flows: dict[str, Flow] = {}
        self.text_handlers: list[TextHandler] = []
        self.guards: list[Guard] = []

    def include(self, *routers: Router) -> None:
        """Add routers in priority order; a duplicate registration is a programming error."""
        published = self.services.published
        for router in routers:
            for command in router.commands:
                if command.name in self.commands:
                    raise ValueError(f"command /{command.name} registered twice")
                self.commands[command.name] = command
                if command.description is not None:
                    self.services.menu.append(
                        MenuEntry(command.name, command.description, command.roles)
                    )
            for button in router.buttons:
                action = button.spec.action
                if action in self.buttons or action == COMMAND_BUTTON.action:
                    raise ValueError(f"button action {action} registered twice")
                self.buttons[action] = button
            for flow in router.flows:
                if flow.form.flow in self.flows:
                    raise ValueError(f"flow {flow.form.flow} registered twice")
                self.flows[flow.form.flow] = flow
                published.forms.add(flow.form.flow)
            self.text_handlers.extend(router.text_handlers)
            published.on_cancel.extend(router.cancel_hooks)
            published.personal_data.extend(router.personal_data)
            published.do_not_disturb.extend(router.do_not_disturb)
            published.on_welcome.extend(router.welcome_hooks)
            published.on_question.extend(router.question_hooks)

    async def feed(self, event: Incoming, responder: Responder) -> None:
        """Handle one event, counted and timed for the operator's metrics."""
        metrics = self.services.metrics
        with metrics.handling(event.platform, event.kind.value):
            await self._feed(event, metrics.counting_replies(responder, event.platform))

    async def _feed(self, event: Incoming, responder: Responder) -> None:
        """Exceptions end here, logged without any message text."""
        ctx: Context | None = None
        try:
            event = _with_action(event)
            ctx = await self._context(event, responder)
            for guard in self.guards:
                if not await guard(ctx, event):
                    return
            await self._route(ctx, event)
        except Refused as refusal:
            if ctx is not None:
                await ctx.reply(refusal.text, ephemeral=True)
        except Exception as error:
            who = self.services.hasher.log_id(event.platform, event.user_id)
            log.error(
                "handler failed: kind=%s command=%s action=%s person=%s error=%s",
                event.kind.value,
                event.command,
                event.action,
                who,
                type(error).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            await self._apologize(ctx, event, responder)

    async def _context(self, event: Incoming, responder: Responder) -> Context:
        """Identify the person (upsert) and localize (their stored choice, else the hint)."""
        services = self.services
        hint = negotiate(event.language_hint, services.languages.codes)
        person = await services.people.upsert_seen(
            event.platform, event.user_id, hint, services.clock()
        )
        person = await self._sync_admin(person)
        translator = services.languages.translator(person.locale)
        return Context(person, event, translator, services, responder)

    async def _sync_admin(self, person: Person) -> Person:
        """Admins come only from the config (a local operator's own --role excepted)."""
        configured = (
            f"{person.platform}:{person.platform_user_id}" in self.services.config.bot.admins
        )
        role = person.role
        if configured and role is not Role.ADMIN:
            role = Role.ADMIN
        elif (
            not configured
            and role is Role.ADMIN
            and not self.services.platforms.is_local(person.platform)
        ):
            role = Role.RESIDENT
        if role is person.role:
            return person
        await self.services.people.set_role(person.id, role)
        return replace(person, role=role)

    async def _route(self, ctx: Context, event: Incoming) -> None:
        if event.kind is EventKind.COMMAND:
            await self._route_command(ctx, event)
        elif event.kind is EventKind.BUTTON:
            await self._route_button(ctx, event)
        else:
            await self._route_text(ctx, event)

    async def _route_command(self, ctx: Context, event: Incoming) -> None:
        command = self.commands.get((event.command or "").lower())
        if command is None:
            await ctx.reply(ctx._("I don't know that command. Send /help to see what I can do."))
            return
        if command.roles and not ctx.person.is_at_least(*command.roles):
            await ctx.reply(ctx._("Sorry, this command is only for the service's staff."))
            return
        await command.handler(ctx, event)

    async def _route_button(self, ctx: Context, event: Incoming) -> None:
        """Unpack once; a payload that does not parse, and a handler finding what it names
        gone (`StaleButton`), get the same one answer."""
        try:
            if event.action == COMMAND_BUTTON.action:
                command = COMMAND_BUTTON.payload.unpack(_arg(event.payload))
                await self._route_menu_button(ctx, event, command.name)
                return
            button = self.buttons.get(event.action or "")
            if button is None:
                raise StaleButton
            if button.roles and not ctx.person.is_at_least(*button.roles):
                await ctx.reply(ctx._("Sorry, this button is only for the service's staff."))
                return
            payload = button.spec.payload.unpack(_arg(event.payload))
            if not button.forms:
                await button.handler(ctx, event, payload)
                return
            filled = await self._open_form(ctx, button.forms, button.steps)
            if filled is not None:
                await button.handler(ctx, event, payload, filled)
        except (PayloadError, StaleButton):
            await ctx.reply(
                ctx._("This button no longer works. Send /start to begin again."), ephemeral=True
            )

    async def _route_menu_button(self, ctx: Context, event: Incoming, name: str) -> None:
        """A menu button that runs a command, checked exactly as if it were typed."""
        if name not in self.commands:
            await ctx.reply(
                ctx._("This part of the service is not available yet. Send /help to see what is.")
            )
            return
        await self._route_command(ctx, replace(event, kind=EventKind.COMMAND, command=name))

    async def _open_form(
        self, ctx: Context, forms: tuple[FormSpec[Any, Any], ...], steps: tuple[enum.Enum, ...]
    ) -> Filled[Any, Any] | None:
        """The form a button belongs to, open at one of its steps; else the person is told
        it is no longer open (and state that no longer reads as the form is dropped)."""
        state = await ctx.state()
        form = next((f for f in forms if state is not None and f.flow == state.flow), None)
        if state is not None and form is not None:
            try:
                filled = form.read(state.step, state.data)
            except FormExpired:
                await ctx.clear_state()
            else:
                if not steps or filled.step in steps:
                    return filled
        await ctx.reply(ctx._((form or forms[0]).expired), ephemeral=True)
        return None

    async def _route_text(self, ctx: Context, event: Incoming) -> None:
        state = await ctx.state()
        flow = self.flows.get(state.flow) if state is not None else None
        if state is not None and flow is not None:
            if not flow.roles or ctx.person.is_at_least(*flow.roles):
                try:
                    filled = flow.form.read(state.step, state.data)
                except FormExpired:
                    await ctx.clear_state()
                    await ctx.reply(ctx._(flow.form.expired))
                    return
                await flow.handler(ctx, event, filled)
                return
            await ctx.clear_state()
        for handler in self.text_handlers:
            if await handler(ctx, event):
                return

    async def _apologize(self, ctx: Context | None, event: Incoming, responder: Responder) -> None:
        languages = self.services.languages
        translator = ctx.t if ctx else languages.translator(negotiate(event.language_hint))
        text = translator._(
            "Sorry, something went wrong on our side. Please try again in a moment."
        )
        try:
            await responder(Outgoing(text=text, rtl=translator.is_rtl))
        except Exception as error:  # the apology itself failed: log, never raise
            log.error("could not send apology: %s", type(error).__name__)


def _with_action(event: Incoming) -> Incoming:
    """A pressed button's event names its action (for routing and the error log); a
    payload that is not one this bot made names none."""
    if event.kind is not EventKind.BUTTON:
        return event
    try:
        action, _ = decode_payload(event.payload)
    except PayloadError:
        return event
    return replace(event, action=action)


def _arg(payload: str) -> str:
    return decode_payload(payload)[1]
