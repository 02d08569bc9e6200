"""The delivery component: every message a platform sends passes through here.

Per platform there is one `Pacer`, shared by direct replies and outbox rows, so together
they keep to the platform's limits and a person's answer goes before queued bulk. A
direct reply is paced as interactive and retried briefly; what still fails for a reason
that passes (a timeout, a 5xx, a long 429) is handed to the durable outbox with
interactive priority, so it is delivered later ahead of any broadcast, on every platform
alike. Adapters only render and send one part and say how a send failed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.events import Outgoing
from bot.core.ports import (
    DeliveryError,
    NotConnected,
    PermanentFailure,
    Recipient,
    RetryAfter,
    Sender,
    TemporaryFailure,
    Unreachable,
)
from bot.delivery.pacing import Pacer, Pacing, Priority
from bot.delivery.retries import Sleep, retry_delay
from bot.ops.metrics import Metrics, error_kind
from bot.outbox import Outbox, OutboxDispatcher
from bot.privacy import Hasher
from storage.people import PeopleRepository

log = logging.getLogger(__name__)

# Sends one part of a reply (rendered by the adapter) or raises the `DeliveryError` why not.
SendPart = Callable[[Outgoing], Awaitable[None]]


class Delivery:
    """Pacing per platform, direct replies, and the outbox dispatcher that uses the same
    pacers; the app holds one and adapters register with it as they start."""

    def __init__(
        self,
        dispatcher: OutboxDispatcher,
        outbox: Outbox,
        people: PeopleRepository,
        metrics: Metrics,
        hasher: Hasher,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._dispatcher = dispatcher
        self._outbox = outbox
        self._people = people
        self._metrics = metrics
        self._hasher = hasher
        self._clock = clock
        self._sleep = sleep
        self._pacers: dict[str, Pacer] = {}

    def register(self, sender: Sender, pacing: Pacing | None) -> None:
        """A platform ready to send; `pacing` None for one without limits (the terminal)."""
        pacer = None if pacing is None else Pacer(pacing)
        if pacer is None:
            self._pacers.pop(sender.platform, None)
        else:
            self._pacers[sender.platform] = pacer
        self._dispatcher.register(sender, pacer)

    def unregister(self, platform: str) -> None:
        """Another instance took the platform's connection: its rows are sent there now,
        and this instance's replies on it stop being paced here."""
        self._pacers.pop(platform, None)
        self._dispatcher.unregister(platform)

    def start(self) -> None:
        self._dispatcher.start()

    async def stop(self) -> None:
        await self._dispatcher.stop()

    async def drain(self, timeout: float = 10.0) -> None:
        """Deliver every outbox row due now and wait for it (tests, the terminal chat)."""
        await self._dispatcher.drain(timeout)

    async def reply(self, recipient: Recipient, parts: Sequence[Outgoing], send: SendPart) -> None:
        """Send a reply's parts in order, now. A blocked chat is marked unreachable, a
        refused part is logged, and what must wait goes to the outbox: no reply vanishes."""
        for index, part in enumerate(parts):
            try:
                await self._send_now(recipient, part, send)
            except Unreachable:
                await self._people.mark_unreachable(recipient.platform, recipient.chat_id)
                log.info("%s chat %s is unreachable", recipient.platform, self._log_id(recipient))
                return
            except (RetryAfter, TemporaryFailure, NotConnected) as error:
                await self._hand_to_outbox(recipient, parts[index:], error)
                return
            except PermanentFailure:
                log.error("%s refused a reply to %s", recipient.platform, self._log_id(recipient))

    async def _send_now(self, recipient: Recipient, part: Outgoing, send: SendPart) -> None:
        """One part, paced as interactive; 429s wait (the whole platform pauses), timeouts
        and 5xx back off, a few times before the error is raised."""
        pacer = self._pacers.get(recipient.platform)
        attempt = 0
        while True:
            if pacer is not None:
                await pacer.acquire(recipient.chat_id, Priority.INTERACTIVE)
            try:
                await send(part)
            except DeliveryError as error:
                self._metrics.delivery_failed(recipient.platform, error_kind(error))
                if isinstance(error, RetryAfter) and pacer is not None:
                    pacer.pause(error.seconds)
                attempt += 1
                delay = retry_delay(error, attempt)
                if delay is None:
                    raise
                if not isinstance(error, RetryAfter) or pacer is None:
                    await self._sleep(delay)
                continue
            return

    async def _hand_to_outbox(
        self, recipient: Recipient, parts: Sequence[Outgoing], error: DeliveryError
    ) -> None:
        not_before = None
        if isinstance(error, RetryAfter):
            not_before = self._clock() + timedelta(seconds=error.seconds)
        for part in parts:
            key = f"reply:{recipient.platform}:{uuid.uuid4().hex}"
            await self._outbox.enqueue(
                recipient, part, key, not_before=not_before, priority=Priority.INTERACTIVE
            )
        log.warning(
            "reply to %s handed to the outbox after %s",
            self._log_id(recipient),
            type(error).__name__,
        )

    def _log_id(self, recipient: Recipient) -> str:
        return self._hasher.log_id(recipient.platform, recipient.chat_id)
