"""Durable outbox: enqueue proactive messages as rows, deliver them paced and resumable.

Every broadcast, reminder and relay is written first and sent second, so a crash between
the two loses nothing: the dispatcher picks up pending rows at start. Within one chat rows
are delivered strictly in id order (a relay conversation stays in sequence); across chats
they go out concurrently under each platform's global and per-chat rates.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiolimiter import AsyncLimiter

from bot.core.clock import Clock
from bot.core.events import Attachment, Button, Outgoing
from bot.core.ports import (
    NotConnected,
    PermanentFailure,
    Recipient,
    RetryAfter,
    Sender,
    TemporaryFailure,
    Unreachable,
)
from storage.outbox import NewOutboxItem, OutboxItem, OutboxRepository, OutboxStatus
from storage.people import PeopleRepository

log = logging.getLogger(__name__)

# Backoff for timeouts/5xx: 1 s, 2 s, 4 s ... capped, so an outage of minutes is ridden out.
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
# After this many failed attempts a message is marked failed and reported, not retried forever.
MAX_ATTEMPTS = 12
# How long the dispatcher sleeps when nothing is due; new rows also wake it at once.
IDLE_POLL_S = 1.0
BATCH = 200


def serialize(message: Outgoing) -> str:
    """Outgoing -> JSON text for the outbox row (attachments base64-encoded)."""
    data: dict[str, Any] = {
        "text": message.text,
        "buttons": [[[b.label, b.action, b.arg] for b in row] for row in message.buttons],
        "rtl": message.rtl,
    }
    if message.attachment is not None:
        data["attachment"] = {
            "filename": message.attachment.filename,
            "mime_type": message.attachment.mime_type,
            "is_image": message.attachment.is_image,
            "data": base64.b64encode(message.attachment.data).decode("ascii"),
        }
    if message.extra:
        data["extra"] = message.extra
    return json.dumps(data, ensure_ascii=False)


def deserialize(payload: str) -> Outgoing:
    data = json.loads(payload)
    attachment = None
    if "attachment" in data:
        raw = data["attachment"]
        attachment = Attachment(
            filename=raw["filename"],
            data=base64.b64decode(raw["data"]),
            mime_type=raw["mime_type"],
            is_image=raw["is_image"],
        )
    return Outgoing(
        text=data["text"],
        buttons=tuple(tuple(Button(*b) for b in row) for row in data["buttons"]),
        attachment=attachment,
        rtl=data.get("rtl", False),
        extra=data.get("extra", {}),
    )


@dataclass(frozen=True, slots=True)
class Pacing:
    """A platform's sending limits: overall, and per chat (private and group differ)."""

    global_per_s: float
    chat_rate: Callable[[str], tuple[float, float]]  # chat id -> (messages, per seconds)


class Outbox:
    """The write side: features call `enqueue`; the dispatcher is woken."""

    def __init__(self, repo: OutboxRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self.wakeup = asyncio.Event()

    async def enqueue(
        self,
        recipient: Recipient,
        message: Outgoing,
        dedupe_key: str,
        not_before: datetime | None = None,
        broadcast_id: str | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        now = self._clock()
        added = await self._repo.add(
            NewOutboxItem(
                dedupe_key=dedupe_key,
                platform=recipient.platform,
                chat_id=recipient.chat_id,
                thread_id=recipient.thread_id,
                person_id=recipient.person_id,
                payload=serialize(message),
                not_before=not_before or now,
                broadcast_id=broadcast_id,
                expires_at=expires_at,
            ),
            now,
        )
        if added:
            self.wakeup.set()
        return added


class OutboxDispatcher:
    """The read side: delivers due rows through the registered senders."""

    def __init__(
        self,
        repo: OutboxRepository,
        people: PeopleRepository,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._repo = repo
        self._people = people
        self._outbox = outbox
        self._clock = clock
        self._senders: dict[str, tuple[Sender, Pacing | None]] = {}
        self._global: dict[str, AsyncLimiter] = {}
        self._per_chat: dict[tuple[str, str], AsyncLimiter] = {}
        self._busy_chats: set[tuple[str, str]] = set()
        # Chats whose first row waits for a retry, until when: later rows are due but must
        # not go first, so the chat is not started (and re-started, in a busy loop) before.
        self._held_chats: dict[tuple[str, str], datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def register(self, sender: Sender, pacing: Pacing | None) -> None:
        self._senders[sender.platform] = (sender, pacing)
        if pacing is not None:
            self._global[sender.platform] = AsyncLimiter(pacing.global_per_s, 1.0)

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                started = await self.pump()
            except Exception:
                log.exception("outbox pump failed; retrying")
                started = 0
            if started == 0:
                self._outbox.wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._outbox.wakeup.wait(), IDLE_POLL_S)

    async def pump(self) -> int:
        """Start delivery of every due row whose chat is idle; returns how many started."""
        started = 0
        await self._repo.skip_expired(self._clock())
        for platform in self._senders:
            now = self._clock()
            for item in await self._repo.due(platform, now, BATCH):
                chat = (item.platform, item.chat_id)
                if chat in self._busy_chats or self._held_chats.get(chat, now) > now:
                    continue
                self._busy_chats.add(chat)
                task = asyncio.create_task(self._deliver_chat(chat))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                started += 1
        return started

    async def drain(self, timeout: float = 10.0) -> None:
        """Deliver everything due now and wait for it (tests, the terminal chat)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            started = await self.pump()
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif started == 0:
                return

    async def _deliver_chat(self, chat: tuple[str, str]) -> None:
        """Deliver one chat's due rows in order; stop at the first that must wait."""
        self._held_chats.pop(chat, None)
        try:
            while True:
                delivered_any = False
                for item in await self._repo.pending_for_chat(*chat):
                    if item.not_before > self._clock():
                        if item.attempts > 0:
                            # A retry is pending: later rows wait to keep order.
                            self._held_chats[chat] = item.not_before
                            return
                        continue  # scheduled for later (a reminder): does not block others
                    if not await self._deliver_one(item):
                        return
                    delivered_any = True
                if not delivered_any:
                    return
        finally:
            self._busy_chats.discard(chat)

    async def _deliver_one(self, item: OutboxItem) -> bool:
        """True when the row is settled (sent or given up), False when it must wait."""
        sender, pacing = self._senders[item.platform]
        recipient = Recipient(item.platform, item.chat_id, item.thread_id, item.person_id)
        if pacing is not None:
            await self._global[item.platform].acquire()
            await self._chat_limiter(item, pacing).acquire()
        try:
            await sender.deliver(recipient, deserialize(item.payload))
        except RetryAfter as wait:
            await self._repo.retry_later(
                item.id, self._clock() + timedelta(seconds=wait.seconds), "rate limited"
            )
            return False
        except (TemporaryFailure, TimeoutError, OSError) as error:
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self._repo.mark_final(item.id, OutboxStatus.FAILED, type(error).__name__)
                log.error("outbox row %s failed after %s attempts", item.id, item.attempts + 1)
                return True
            delay = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**item.attempts)
            await self._repo.retry_later(
                item.id, self._clock() + timedelta(seconds=delay), type(error).__name__
            )
            return False
        except NotConnected:
            # Nobody to deliver to from this process right now (a terminal user who is
            # away): look again a little later instead of retrying in a busy loop.
            chat = (item.platform, item.chat_id)
            self._held_chats[chat] = self._clock() + timedelta(seconds=IDLE_POLL_S)
            return False
        except Unreachable:
            await self._repo.mark_final(item.id, OutboxStatus.SKIPPED, "unreachable")
            await self._people.mark_unreachable(item.platform, item.chat_id)
            return True
        except PermanentFailure as error:
            await self._repo.mark_final(item.id, OutboxStatus.FAILED, str(error)[:200])
            log.error("outbox row %s refused by %s", item.id, item.platform)
            return True
        await self._repo.mark_sent(item.id, self._clock())
        return True

    def _chat_limiter(self, item: OutboxItem, pacing: Pacing) -> AsyncLimiter:
        key = (item.platform, item.chat_id)
        limiter = self._per_chat.get(key)
        if limiter is None:
            count, period = pacing.chat_rate(item.chat_id)
            limiter = AsyncLimiter(count, period)
            self._per_chat[key] = limiter
        return limiter
