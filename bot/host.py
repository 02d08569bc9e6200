"""The application as platform adapters see it: `PlatformHost` over a built `App`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.capabilities import Capabilities
from bot.core.clock import Clock
from bot.core.context import MenuEntry
from bot.core.events import Incoming, Outgoing
from bot.core.people import Role
from bot.core.ports import CalendarPublisher, Recipient, Responder, Sender, ThreadOpener
from bot.i18n import Languages

if TYPE_CHECKING:
    from bot.app import App
    from bot.delivery.pacing import Pacing
    from bot.delivery.service import SendPart


class AppHost:
    """Adapters' narrow view of `App`: each method is one thing a platform may ask."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._services = app.services

    @property
    def languages(self) -> Languages:
        return self._services.languages

    @property
    def menu(self) -> Sequence[MenuEntry]:
        return self._services.menu

    @property
    def clock(self) -> Clock:
        return self._services.clock

    def capabilities(self, platform: str) -> Capabilities | None:
        return self._services.platforms.can(platform)

    async def feed(self, event: Incoming, responder: Responder) -> None:
        await self._app.dispatcher.feed(event, responder)

    def register_sender(self, sender: Sender, pacing: Pacing | None) -> None:
        self._app.delivery.register(sender, pacing)

    def unregister_sender(self, platform: str) -> None:
        self._app.delivery.unregister(platform)

    async def reply(self, recipient: Recipient, parts: Sequence[Outgoing], send: SendPart) -> None:
        await self._app.delivery.reply(recipient, parts, send)

    def offer_threads(self, platform: str, opener: ThreadOpener | None) -> None:
        if opener is None:
            self._services.thread_openers.pop(platform, None)
        else:
            self._services.thread_openers[platform] = opener

    def offer_calendar(self, platform: str, publisher: CalendarPublisher | None) -> None:
        if publisher is None:
            self._services.calendars.pop(platform, None)
        else:
            self._services.calendars[platform] = publisher

    def log_id(self, platform: str, user_id: str) -> str:
        return self._services.hasher.log_id(platform, user_id)

    async def sign_in(self, platform: str, user_id: str, role: Role | None) -> None:
        if role is not None and not self._services.platforms.is_local(platform):
            raise PermissionError("a role is only taken as given at the operator's machine")
        people = self._services.people
        person = await people.upsert_seen(platform, user_id, None, self._services.clock())
        if role is not None and person.role is not role:
            await people.set_role(person.id, role)

    async def drain(self) -> None:
        await self._app.delivery.drain()

    def start_background(self) -> None:
        self._app.start_background()
