"""Durable outbox: enqueue proactive messages as rows, deliver them paced and resumable.

Every broadcast, reminder and relay is written first and sent second, so a crash between
the two loses nothing: the dispatcher picks up pending rows at start. Within one chat rows
are delivered strictly in id order (a relay conversation stays in sequence); across chats
they go out concurrently, each send waiting for its slot from the platform's `Pacer`
(shared with direct replies). Rows carry a priority: chats with a row someone waits for
are started first, and their sends take the pacer's slots before bulk.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
from bot.delivery.pacing import Pacer, Priority
from bot.ops.metrics import Metrics
from storage.database import Database
from storage.leases import LeaseRepository
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
# Chats being delivered at once. Kept small so their database reads do not queue ahead of
# the "sent" marks of messages already on the wire; finished chats make room for more.
MAX_ACTIVE_CHATS = 64
# Of those, kept free of bulk for chats with a message someone waits for, so a handed-over
# reply starts at once even while a broadcast fills every other place.
INTERACTIVE_ROOM = 8
BULK_ROOM = MAX_ACTIVE_CHATS - INTERACTIVE_ROOM
# Stopping waits this long at most for the "sent" marks on their way to be recorded.
SETTLE_TIMEOUT_S = 5.0
# Instances pick due chats in the same order, so a claim may find some taken: the pump
# looks again (the winner's leases then show) this many times at most.
CLAIM_ROUNDS = 3
# Finished chats are replaced in batches of at least this many (or when all are done).
REFILL_BATCH = 16
# Sends on the wire at once: enough to fill Telegram's 30/s (or a fake's 300/s) without
# making the HTTP client juggle hundreds of connections.
MAX_IN_FLIGHT = 24
# Expired rows are also caught one by one at delivery; the sweep only tidies up.
EXPIRY_SWEEP = timedelta(seconds=5)
# How long a chat's rows stay leased to the instance delivering them (renewed at half
# time): when an instance dies, another takes its chats over within this.
LEASE = timedelta(seconds=10)
# Instances share each platform's global rate: every instance renews a presence lease
# this often, lasting INSTANCE_TTL, and paces at the rate divided by the live count. A
# dead instance's share comes back to the others within TTL + HEARTBEAT; the margin of
# TTL over the idle poll lets an idle instance renew in time.
HEARTBEAT = timedelta(seconds=0.5)
INSTANCE_TTL = timedelta(seconds=2.5)
INSTANCE_PREFIX = "instance:"


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
class Queued:
    """One message of a broadcast, for `Outbox.enqueue_many`."""

    recipient: Recipient
    message: Outgoing
    dedupe_key: str
    not_before: datetime
    broadcast_id: str | None = None
    expires_at: datetime | None = None
    subject: int | None = None
    priority: Priority = Priority.BULK


class Outbox:
    """The write side: features call `enqueue`; the dispatcher is woken once the rows
    are committed (inside a feature's transaction, when it commits)."""

    def __init__(self, repo: OutboxRepository, db: Database, clock: Clock) -> None:
        self._repo = repo
        self._db = db
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
        subject: int | None = None,
        priority: Priority = Priority.INTERACTIVE,
    ) -> bool:
        """Queue one message. `subject` names the person whose words or chat the row
        carries when that is not the recipient (a resident's message in a liaison room).
        One message is usually for someone waiting (a relay, a staff answer): interactive
        unless said otherwise; broadcasts come through `enqueue_many` as bulk."""
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
                subject=subject,
                priority=int(priority),
            ),
            now,
        )
        if added:
            self._db.after_commit(self.wakeup.set)
        return added

    async def enqueue_many(self, batch: list[Queued]) -> int:
        """Queue part or all of a broadcast in one transaction; returns how many rows were
        new. Each distinct message (same language, zone and kind) is stored once as a
        body the rows point at, so a row costs its chat and keys, not its text and
        attachment. Large audiences are queued page by page by the caller, yielding the
        loop in between."""
        if not batch:
            return 0
        now = self._clock()
        items = []
        async with self._db.transaction():
            bodies: dict[int, int] = {}
            for queued in batch:
                body_id = bodies.get(id(queued.message))
                if body_id is None:
                    body_id = await self._repo.store_body(serialize(queued.message), now)
                    bodies[id(queued.message)] = body_id
                items.append(
                    NewOutboxItem(
                        dedupe_key=queued.dedupe_key,
                        platform=queued.recipient.platform,
                        chat_id=queued.recipient.chat_id,
                        thread_id=queued.recipient.thread_id,
                        person_id=queued.recipient.person_id,
                        payload="",
                        not_before=queued.not_before,
                        broadcast_id=queued.broadcast_id,
                        expires_at=queued.expires_at,
                        subject=queued.subject,
                        body_id=body_id,
                        priority=int(queued.priority),
                    )
                )
            added = await self._repo.add_many(items, now)
        if added:
            self._db.after_commit(self.wakeup.set)
        return added


class SentMarks:
    """Records rows as sent in groups: while one UPDATE is on its way, the rows sent
    meanwhile wait for the next, so a broadcast costs a round trip per group rather than
    per message. Each caller returns only once its row is recorded, so the dispatcher's
    in-flight bound still caps what a crash can send twice."""

    def __init__(self, repo: OutboxRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def mark(self, item_id: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((item_id, future))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="outbox-sent-marks")
        await future

    async def settle(self, timeout: float) -> None:
        """Wait for the group on its way, `timeout` seconds at most (stopping: rows
        already sent get recorded, unless the database does not answer)."""
        if self._flusher is not None:
            await asyncio.wait_for(asyncio.shield(self._flusher), timeout)

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    await self._repo.mark_sent_many(
                        [item_id for item_id, _ in batch], self._clock()
                    )
                except Exception as error:  # every waiter learns it, as a lone UPDATE would
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(error)
                else:
                    for _, future in batch:
                        if not future.done():
                            future.set_result(None)
        finally:
            self._flusher = None


class OutboxDispatcher:
    """The read side: delivers due rows through the registered senders.

    Each chat with due rows gets one task that sends its rows in order. At most
    `MAX_IN_FLIGHT` sends are on the wire at once (the pacing waits happen outside that
    bound), and a finishing task wakes the loop, so a backlog drains at the platform's
    pace rather than at the idle poll's.
    """

    def __init__(
        self,
        repo: OutboxRepository,
        people: PeopleRepository,
        outbox: Outbox,
        clock: Clock,
        metrics: Metrics | None = None,
        holder: str = "",
        leases: LeaseRepository | None = None,
    ) -> None:
        self._metrics = metrics or Metrics()
        # This instance's name on leased rows (several instances may share one database).
        self._holder = holder
        self._leases = leases
        self._instances = 1
        self._last_heartbeat: datetime | None = None
        self._repo = repo
        self._people = people
        self._outbox = outbox
        self._clock = clock
        self._senders: dict[str, tuple[Sender, Pacer | None]] = {}
        self._last_sweep: datetime | None = None
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._sent = SentMarks(repo, clock)
        self._busy_chats: set[tuple[str, str]] = set()
        # Chats whose first row waits for a retry, until when: later rows are due but must
        # not go first, so the chat is not started (and re-started, in a busy loop) before.
        self._held_chats: dict[tuple[str, str], datetime] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    def register(self, sender: Sender, pacer: Pacer | None) -> None:
        """Deliver `sender`'s platform rows, each send paced by `pacer` (None: unpaced)."""
        self._senders[sender.platform] = (sender, pacer)
        if pacer is not None:
            pacer.share(self._instances)

    def unregister(self, platform: str) -> None:
        """Stop delivering `platform`'s rows here (another instance took its connection):
        chats in hand stop after their current row and their leases lapse."""
        self._senders.pop(platform, None)

    async def _heartbeat(self, now: datetime) -> None:
        """Renew this instance's presence and share the platforms' global rates among the
        live instances (a platform's limit is per bot, not per process)."""
        if self._leases is None or not self._holder:
            return
        if self._last_heartbeat is not None and now - self._last_heartbeat < HEARTBEAT:
            return
        self._last_heartbeat = now
        await self._leases.acquire(INSTANCE_PREFIX + self._holder, self._holder, now, INSTANCE_TTL)
        live = max(1, await self._leases.holders(INSTANCE_PREFIX, now))
        if live != self._instances:
            self._instances = live
            for _, pacer in self._senders.values():
                if pacer is not None:
                    pacer.share(live)

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
        with contextlib.suppress(Exception):
            await self._sent.settle(SETTLE_TIMEOUT_S)
        if self._holder:
            # Leaving cleanly: the others take this instance's chats and its share of the
            # rate at once, not when the leases run out.
            with contextlib.suppress(Exception):
                await self._repo.release_chats(self._holder)
                if self._leases is not None:
                    await self._leases.release(INSTANCE_PREFIX + self._holder, self._holder)

    async def _run(self) -> None:
        while True:
            self._outbox.wakeup.clear()
            try:
                await self.pump()
            except Exception:
                log.exception("outbox pump failed; retrying")
            # New rows and finished chats set the event; the timeout catches rows that
            # become due by time (reminders, retries).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox.wakeup.wait(), IDLE_POLL_S)

    async def pump(self) -> int:
        """Start delivery for every chat with due rows that is idle; returns how many.

        The chats picked are claimed together (one transaction for the batch), and each
        claimed chat gets a task that sends its rows in order."""
        now = self._clock()
        await self._heartbeat(now)
        await self._sweep_expired(now)
        # Chats held only until a moment now past: keeping them would widen every
        # due-chats query (they are skipped over) for chats another instance delivered.
        self._held_chats = {chat: until for chat, until in self._held_chats.items() if until > now}
        started = 0
        for platform in list(self._senders):
            for _ in range(CLAIM_ROUNDS):
                room = MAX_ACTIVE_CHATS - len(self._busy_chats)
                if room <= 0:
                    return started
                count, contended = await self._claim_and_start(platform, room, now)
                started += count
                if not contended:
                    break  # otherwise look again: the other instance's leases now show
        return started

    async def _claim_and_start(self, platform: str, room: int, now: datetime) -> tuple[int, bool]:
        """Claim a batch of due chats and start a task for each; returns how many started
        and whether another instance held some of those picked."""
        skip = len(self._busy_chats) + len(self._held_chats)  # may be among the first ids
        candidates = await self._repo.due_chats(platform, now, room + skip, self._holder)
        wanted = self._pick(platform, candidates, room, now)
        if not wanted:
            return 0, False
        # Busy before the claim's await, so a concurrent pump (drain) cannot pick them.
        self._busy_chats.update((platform, chat_id) for chat_id in wanted)
        try:
            claimed = await self._repo.claim_chats(platform, wanted, self._holder, now, now + LEASE)
        except BaseException:
            self._busy_chats.difference_update((platform, chat_id) for chat_id in wanted)
            raise
        for chat_id in wanted:
            chat = (platform, chat_id)
            items = claimed.get(chat_id)
            if not items:
                self._busy_chats.discard(chat)
                self._held_chats[chat] = now + LEASE / 4  # another instance has it
                continue
            self._held_chats.pop(chat, None)
            task = asyncio.create_task(self._deliver_chat(chat, items, now + LEASE / 2))
            self._tasks.add(task)
            task.add_done_callback(self._chat_done)
        return len(claimed), len(claimed) < len(wanted)

    def _pick(
        self, platform: str, candidates: list[tuple[str, int]], room: int, now: datetime
    ) -> list[str]:
        """The due chats to start now: idle ones, most urgent first, bulk only while it
        leaves the interactive room free."""
        wanted: list[str] = []
        bulk_room = BULK_ROOM - len(self._busy_chats)
        for chat_id, priority in candidates:
            if len(wanted) >= room:
                break
            chat = (platform, chat_id)
            if chat in self._busy_chats or self._held_chats.get(chat, now) > now:
                continue
            if priority >= Priority.BULK:
                if bulk_room <= 0:
                    break  # candidates come most urgent first: only bulk is left
                bulk_room -= 1
            wanted.append(chat_id)
        return wanted

    def _chat_done(self, task: asyncio.Task[None]) -> None:
        """A chat finished: make room for the next ones, a batch at a time (each pump
        costs a query and a claim, so refilling after every single chat would cost them
        per message during a broadcast)."""
        self._tasks.discard(task)
        if len(self._busy_chats) <= MAX_ACTIVE_CHATS - REFILL_BATCH:
            self._outbox.wakeup.set()

    async def drain(self, timeout: float = 10.0) -> None:
        """Deliver everything due now and wait for it (tests, the terminal chat)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            started = await self.pump()
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            elif started == 0:
                return

    async def _sweep_expired(self, now: datetime) -> None:
        """Mark expired rows skipped now and then (delivery also checks each row)."""
        if self._last_sweep is None or now - self._last_sweep >= EXPIRY_SWEEP:
            self._last_sweep = now
            await self._repo.skip_expired(now)

    async def _deliver_chat(
        self, chat: tuple[str, str], items: list[OutboxItem], renew_at: datetime
    ) -> None:
        """One pass over a chat's claimed rows, in order; stop at the first that must wait.

        The lease is renewed (claimed again) while a long backlog drains; if another
        instance took the chat over meanwhile, it is theirs."""
        try:
            for item in items:
                now = self._clock()
                if now >= renew_at:
                    if not await self._repo.claim_chat(*chat, self._holder, now, now + LEASE):
                        return  # taken over while this instance stalled: theirs now
                    renew_at = now + LEASE / 2
                if item.expires_at is not None and item.expires_at <= now:
                    await self._repo.mark_final(item.id, OutboxStatus.SKIPPED, "expired")
                    continue
                if item.not_before > now:
                    if item.attempts > 0:
                        # A retry is pending: later rows wait to keep order.
                        self._held_chats[chat] = item.not_before
                        return
                    continue  # scheduled for later (a reminder): does not block others
                if not await self._deliver_one(item):
                    return
        finally:
            self._busy_chats.discard(chat)

    async def _deliver_one(self, item: OutboxItem) -> bool:
        """True when the row is settled (sent or given up), False when it must wait."""
        entry = self._senders.get(item.platform)
        if entry is None:
            return False  # unregistered meanwhile: the platform's new holder sends it
        sender, pacer = entry
        recipient = Recipient(item.platform, item.chat_id, item.thread_id, item.person_id)
        if pacer is not None:
            await pacer.acquire(item.chat_id, Priority(item.priority))
        try:
            # The row is marked sent inside the in-flight bound, so a crash can re-send at
            # most MAX_IN_FLIGHT messages that went out but were not yet recorded.
            async with self._in_flight:
                await sender.deliver(recipient, deserialize(item.payload))
                await self._sent.mark(item.id)
            self._metrics.delivered(item.platform)
        except RetryAfter as wait:
            self._metrics.delivery_failed(item.platform, "rate_limited")
            if pacer is not None:
                pacer.pause(wait.seconds)  # the platform's limit, for every chat
            await self._repo.retry_later(
                item.id, self._clock() + timedelta(seconds=wait.seconds), "rate limited"
            )
            self._held_chats[(item.platform, item.chat_id)] = self._clock() + timedelta(
                seconds=wait.seconds
            )
            return False
        except (TemporaryFailure, TimeoutError, OSError) as error:
            self._metrics.delivery_failed(item.platform, "temporary")
            if item.attempts + 1 >= MAX_ATTEMPTS:
                await self._repo.mark_final(item.id, OutboxStatus.FAILED, type(error).__name__)
                log.error("outbox row %s failed after %s attempts", item.id, item.attempts + 1)
                return True
            retry_at = self._clock() + timedelta(
                seconds=min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**item.attempts)
            )
            await self._repo.retry_later(item.id, retry_at, type(error).__name__)
            self._held_chats[(item.platform, item.chat_id)] = retry_at
            return False
        except NotConnected:
            self._metrics.delivery_failed(item.platform, "not_connected")
            # Nobody to deliver to from this process right now (a terminal user who is
            # away): look again a little later instead of retrying in a busy loop.
            chat = (item.platform, item.chat_id)
            self._held_chats[chat] = self._clock() + timedelta(seconds=IDLE_POLL_S)
            return False
        except Unreachable:
            self._metrics.delivery_failed(item.platform, "unreachable")
            await self._repo.mark_final(item.id, OutboxStatus.SKIPPED, "unreachable")
            await self._people.mark_unreachable(item.platform, item.chat_id)
            return True
        except PermanentFailure as error:
            self._metrics.delivery_failed(item.platform, "permanent")
            await self._repo.mark_final(item.id, OutboxStatus.FAILED, str(error)[:200])
            log.error("outbox row %s refused by %s", item.id, item.platform)
            return True
        return True
