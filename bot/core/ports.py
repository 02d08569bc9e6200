"""What the core needs from the outside world, stated as small protocols."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from bot.core.events import Outgoing
from bot.core.people import Role

# Sends a reply into the conversation the event came from (adapters bind it per event).
Responder = Callable[[Outgoing], Awaitable[None]]
# Opens a thread titled `title` in room `chat_id`; returns its id, or None if the room
# cannot have threads (a Telegram group without topics).
ThreadOpener = Callable[[str, str], Awaitable[str | None]]


@dataclass(frozen=True, slots=True)
class Recipient:
    """Where a proactive message goes: a person's private chat, or a room/thread."""

    platform: str
    chat_id: str
    thread_id: str | None = None
    person_id: int | None = None


class DeliveryError(Exception):
    """Base of the outcomes a sender reports instead of a successful delivery."""


class RetryAfter(DeliveryError):
    """The platform said 'too many requests': wait exactly this long, then retry."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class TemporaryFailure(DeliveryError):
    """A timeout or 5xx: retry with backoff."""


class Unreachable(DeliveryError):
    """The person blocked the bot or closed DMs: never retry, skip in broadcasts."""


class PermanentFailure(DeliveryError):
    """The platform refused this message for good (bad chat id, message rejected)."""


class NotConnected(DeliveryError):
    """The recipient cannot be reached from this process right now (terminal chat closed)."""


class Sender(Protocol):
    """One platform's way of delivering an outbox message."""

    platform: str

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        """Deliver or raise a `DeliveryError` subclass saying why not."""


class PlatformAdapter(Protocol):
    """A running connection to one platform; also the `Sender` for its outbox rows."""

    platform: str

    async def start(self) -> None:
        """Connect and begin receiving; returns once the platform is serving."""

    async def stop(self) -> None:
        """Stop receiving and release connections; pending outbox rows stay pending."""

    @property
    def connected(self) -> bool:
        """True while the platform connection is up (the health check reports it)."""


@runtime_checkable
class ExclusiveReceiver(Protocol):
    """An adapter whose receiving side one instance at a time may run (Telegram long
    polling, the Discord gateway): with several instances on one database, each starts
    its sending side and only the leader receives."""

    platform: str

    @property
    def exclusive(self) -> bool:
        """True when receiving needs the leader (webhook mode does not)."""

    async def start_sending(self) -> None:
        """Connect for sending (outbox rows, thread openers) without receiving."""

    async def start_receiving(self) -> None:
        """Begin receiving; `start_sending` has run."""

    async def stop_receiving(self) -> None:
        """Stop receiving at once; sending goes on."""


class TerminalChat(Protocol):
    """A chat with the person at this terminal, served until their input ends."""

    async def run(self, role: Role | None = None) -> None:
        """Serve until end of input; `role` is what the local operator says they are."""


@dataclass(frozen=True, slots=True)
class CalendarEntry:
    """A meeting as a platform's own calendar shows it (Discord's scheduled events)."""

    title: str
    description: str
    location: str
    start: datetime
    end: datetime


class CalendarPublisher(Protocol):
    """Native calendar events on one platform, where the bot is allowed to manage them.

    Event references are the platform's own opaque strings, kept by the feature so the
    same event is updated or cancelled later. Neither method raises: a refusal (no
    permission, an outage) is logged and the meeting goes on with its .ics file alone.
    """

    async def save(self, entry: CalendarEntry, existing: tuple[str, ...]) -> tuple[str, ...]:
        """Create the event (no references yet) or update it; the references now valid."""

    async def cancel(self, existing: tuple[str, ...]) -> None:
        """Mark the events cancelled."""
