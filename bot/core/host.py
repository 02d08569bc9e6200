"""What a platform adapter may ask of the bot: the narrow side of the adapter seam.

An adapter feeds the events it receives, registers itself as its platform's sender, offers
what its platform has (threads for cases, a calendar), and reads what it needs to render
(menus, languages, capabilities, the clock). It never holds the application, the
repositories or the outbox, so an adapter cannot reach past the seam.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from bot.core.capabilities import Capabilities
from bot.core.clock import Clock
from bot.core.context import MenuEntry
from bot.core.events import Incoming, Outgoing
from bot.core.people import Role
from bot.core.ports import CalendarPublisher, Recipient, Responder, Sender, ThreadOpener
from bot.i18n import Languages

if TYPE_CHECKING:
    from bot.delivery.pacing import Pacing
    from bot.delivery.service import SendPart


class PlatformHost(Protocol):
    """The bot as one platform's adapter sees it."""

    @property
    def languages(self) -> Languages:
        """Every language the bot speaks (menus and command names are published in each)."""

    @property
    def menu(self) -> Sequence[MenuEntry]:
        """The commands people can use, for the platform's own command menu."""

    @property
    def clock(self) -> Clock: ...

    def capabilities(self, platform: str) -> Capabilities | None:
        """What `platform` can do, as the features read it."""

    async def feed(self, event: Incoming, responder: Responder) -> None:
        """Handle one incoming event; `responder` sends the replies back where it came from."""

    def register_sender(self, sender: Sender, pacing: Pacing | None) -> None:
        """Deliver this platform's outbox rows through `sender`, within `pacing`."""

    def unregister_sender(self, platform: str) -> None:
        """Another instance took the platform's connection: stop delivering its rows here."""

    async def reply(self, recipient: Recipient, parts: Sequence[Outgoing], send: SendPart) -> None:
        """Send a direct reply now, paced with everything else the platform sends; what
        cannot go now is handed to the outbox, so no reply vanishes."""

    def offer_threads(self, platform: str, opener: ThreadOpener | None) -> None:
        """Cases may open threads through `opener` (None: not any more)."""

    def offer_calendar(self, platform: str, publisher: CalendarPublisher | None) -> None:
        """Meetings may appear in the platform's calendar through `publisher` (None: stop)."""

    def log_id(self, platform: str, user_id: str) -> str:
        """A person's id as logs may show it (keyed hash, never the id itself)."""

    async def sign_in(self, platform: str, user_id: str, role: Role | None) -> None:
        """A person at the operator's own machine starts a session, as `role` if given
        (refused for a platform whose people are not local)."""

    async def drain(self) -> None:
        """Deliver what is due now (the terminal shows queued messages before its prompt)."""

    def start_background(self) -> None:
        """Start outbox delivery and timed jobs (the terminal chat runs them itself)."""
