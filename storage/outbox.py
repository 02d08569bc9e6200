"""The durable outbox: every proactive message is a row before it is a send.

A unique dedupe key makes enqueueing idempotent (a retried broadcast or a replayed
relay cannot produce a second row); the status column makes delivery resumable.
"""

from __future__ import annotations

import enum
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

from storage.database import Database
from storage.rows import Table
from storage.timestamps import from_db, to_db


class OutboxStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    dedupe_key: str
    platform: str
    chat_id: str
    thread_id: str | None
    person_id: int | None
    payload: str
    status: OutboxStatus
    attempts: int
    not_before: datetime
    created_at: datetime
    broadcast_id: str | None
    expires_at: datetime | None = None
    subject: int | None = None
    # The shared body the row's message is read from (a broadcast); `payload` is then
    # filled from it when the row is read, and is empty on disk.
    body_id: int | None = None
    priority: int = 1


ITEMS = Table(OutboxItem)
_INSERT_COLUMNS = (
    "dedupe_key, platform, chat_id, thread_id, person_id, payload, not_before, created_at, "
    "broadcast_id, expires_at, subject, body_id, priority"
)
# Rows per INSERT statement: 13 parameters each stays under both engines' limits.
_INSERT_CHUNK = 500
# Bodies are immutable (keyed by their digest), so delivery keeps the last few read: a
# broadcast has a handful of distinct messages, sent to thousands of chats.
_BODY_CACHE = 64


@dataclass(frozen=True, slots=True)
class NewOutboxItem:
    """What a feature asks to send; the row gets its id and status on insert."""

    dedupe_key: str
    platform: str
    chat_id: str
    payload: str  # empty when `body_id` names a stored body
    not_before: datetime
    thread_id: str | None = None
    person_id: int | None = None
    broadcast_id: str | None = None
    # After this instant the message is pointless (a reminder for a started meeting).
    expires_at: datetime | None = None
    # The person whose chat id or words the row carries (default: `person_id`); /forget
    # deletes by it. A liaison room's copy of a resident's message names the resident.
    subject: int | None = None
    body_id: int | None = None
    # Lower goes first: 0 a person waits for it, 1 bulk (`bot.delivery.pacing.Priority`).
    priority: int = 1


def _delivery_order(item: OutboxItem) -> tuple[int, int]:
    return item.priority, item.id


class OutboxRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._bodies: OrderedDict[int, str] = OrderedDict()

    async def store_body(self, payload: str, now: datetime) -> int:
        """The id of the stored body holding `payload`, stored now if it is new.

        Touching `created_at` of a body that already exists keeps retention (which removes
        old bodies no row points at) from deleting it under the rows about to point at it.
        """
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        return int(
            await self._db.fetchval(
                "INSERT INTO outbox_bodies (digest, payload, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (digest) DO UPDATE SET created_at = excluded.created_at "
                "RETURNING id",
                (digest, payload, to_db(now)),
            )
        )

    async def _with_bodies(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Rows with their shared bodies filled into `payload`."""
        wanted = {i.body_id for i in items if i.body_id is not None} - self._bodies.keys()
        if wanted:
            marks = ", ".join("?" for _ in wanted)
            rows = await self._db.fetch(
                f"SELECT id, payload FROM outbox_bodies WHERE id IN ({marks})", tuple(wanted)
            )
            for body_id, payload in rows:
                self._bodies[int(body_id)] = str(payload)
        filled = []
        for item in items:
            if item.body_id is not None:
                self._bodies.move_to_end(item.body_id)
                item = replace(item, payload=self._bodies[item.body_id])
            filled.append(item)
        while len(self._bodies) > _BODY_CACHE:
            self._bodies.popitem(last=False)
        return filled

    async def add(self, item: NewOutboxItem, now: datetime) -> bool:
        """Insert unless the dedupe key exists; True when a new row was written."""
        return await self.add_many([item], now) == 1

    async def add_many(self, items: list[NewOutboxItem], now: datetime) -> int:
        """Insert many rows (a broadcast); returns how many were new. Call it inside a
        transaction for all-or-nothing."""
        added = 0
        # A broadcast's rows share a handful of instants: each is formatted once.
        stamps: dict[datetime, str] = {}

        def stamp(moment: datetime) -> str:
            text = stamps.get(moment)
            if text is None:
                text = stamps[moment] = to_db(moment)
            return text

        for start in range(0, len(items), _INSERT_CHUNK):
            chunk = items[start : start + _INSERT_CHUNK]
            marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            params: list[object] = []
            for item in chunk:
                params += (
                    item.dedupe_key,
                    item.platform,
                    item.chat_id,
                    item.thread_id,
                    item.person_id,
                    item.payload,
                    stamp(item.not_before),
                    stamp(now),
                    item.broadcast_id,
                    None if item.expires_at is None else stamp(item.expires_at),
                    item.person_id if item.subject is None else item.subject,
                    item.body_id,
                    item.priority,
                )
            rows = await self._db.fetch(
                f"INSERT INTO outbox ({_INSERT_COLUMNS}) VALUES {marks} "
                "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
                params,
            )
            added += len(rows)
        return added

    async def due_chats(
        self, platform: str, now: datetime, limit: int, holder: str = ""
    ) -> list[tuple[str, int]]:
        """Chats with a pending row whose time has come and that no other instance holds,
        with the most urgent priority among their due rows: people first, then by due time
        (only ids: payloads stay on disk)."""
        rows = await self._db.fetch(
            "SELECT chat_id, priority FROM outbox WHERE platform = ? AND status = 'pending' "
            "AND not_before <= ? AND (leased_by IS NULL OR leased_by = ? OR lease_until <= ?) "
            "ORDER BY priority, not_before LIMIT ?",
            (platform, to_db(now), holder, to_db(now), limit * 4),
        )
        chats: dict[str, int] = {}
        for chat_id, priority in rows:
            chats.setdefault(str(chat_id), int(priority))
        return list(chats.items())[:limit]

    async def claim_chat(
        self, platform: str, chat_id: str, holder: str, now: datetime, until: datetime
    ) -> list[OutboxItem]:
        """Lease every pending row of one chat to `holder` (see `claim_chats`); renewing a
        lease is claiming again."""
        return (await self.claim_chats(platform, [chat_id], holder, now, until)).get(chat_id, [])

    async def claim_chats(
        self, platform: str, chat_ids: list[str], holder: str, now: datetime, until: datetime
    ) -> dict[str, list[OutboxItem]]:
        """Lease every pending row of these chats to `holder` until `until`, in one
        transaction; returns each claimed chat's rows in delivery order. A chat another
        instance holds (a live lease on any of its pending rows, or a claim of it under
        way) is left out.

        A chat belongs to one instance at a time, which keeps its messages in order
        across instances. Claims of one chat are serialized: on PostgreSQL by a
        transaction-scoped advisory lock per chat, tried rather than waited for (a chat
        being claimed elsewhere is that instance's), and taken before the statement that
        reads the leases, so it sees a lease the other claim committed. An expired lease
        (its instance died) no longer counts, so the chat is taken over. Many chats per
        transaction keep a broadcast's claims to a few round trips per batch rather than
        per chat.
        """
        if not chat_ids:
            return {}
        async with self._db.transaction():
            chats = list(dict.fromkeys(chat_ids))
            if self._db.dialect == "postgresql":
                rows = await self._db.fetch(
                    f"SELECT chat_id FROM (VALUES {', '.join('(?)' for _ in chats)}) "
                    "AS wanted (chat_id) "
                    "WHERE pg_try_advisory_xact_lock(hashtext('outbox:' || ? || ':' || chat_id))",
                    (*chats, platform),
                )
                chats = [str(row[0]) for row in rows]
                if not chats:
                    return {}
            marks = ", ".join("?" for _ in chats)
            lock = " FOR UPDATE SKIP LOCKED" if self._db.dialect == "postgresql" else ""
            rows = await self._db.fetch(
                f"UPDATE outbox SET leased_by = ?, lease_until = ? WHERE id IN ("
                f"SELECT id FROM outbox AS mine WHERE platform = ? AND chat_id IN ({marks}) "
                "AND status = 'pending' AND NOT EXISTS ("
                "SELECT 1 FROM outbox AS theirs WHERE theirs.platform = mine.platform "
                "AND theirs.chat_id = mine.chat_id AND theirs.status = 'pending' "
                f"AND theirs.leased_by <> ? AND theirs.lease_until > ?){lock}"
                f") RETURNING {ITEMS.columns}",
                (holder, to_db(until), platform, *chats, holder, to_db(now)),
            )
        claimed: dict[str, list[OutboxItem]] = {}
        # People's messages first; within a priority, the order they were queued in.
        for item in sorted(await self._with_bodies(ITEMS.load_all(rows)), key=_delivery_order):
            claimed.setdefault(item.chat_id, []).append(item)
        return claimed

    async def release_chats(self, holder: str) -> int:
        """Give up every lease `holder` has: an instance stopping cleanly lets the next one
        deliver its chats at once instead of after the lease runs out."""
        return await self._db.execute(
            "UPDATE outbox SET leased_by = NULL, lease_until = NULL "
            "WHERE leased_by = ? AND status = 'pending'",
            (holder,),
        )

    async def pending_for_chat(self, platform: str, chat_id: str) -> list[OutboxItem]:
        """A chat's pending rows in order (what is queued for someone; no lease taken)."""
        rows = await self._db.fetch(
            f"SELECT {ITEMS.columns} FROM outbox WHERE platform = ? AND chat_id = ? "
            "AND status = 'pending' ORDER BY id",
            (platform, chat_id),
        )
        return await self._with_bodies(ITEMS.load_all(rows))

    async def skip_expired(self, now: datetime) -> int:
        """Pending rows past their expiry are skipped, never sent late."""
        return await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = 'expired' "
            "WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= ?",
            (to_db(now),),
        )

    async def skip_pending(self, key_prefix: str) -> int:
        """Withdraw queued messages whose dedupe key starts with `key_prefix` (a moved meeting)."""
        # substr rather than a range or LIKE: PostgreSQL collations may not sort U+FFFF
        # last, and LIKE would read `_` and `%` in a key as wildcards.
        return await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = 'withdrawn' "
            "WHERE status = 'pending' AND substr(dedupe_key, 1, ?) = ?",
            (len(key_prefix), key_prefix),
        )

    async def pending_not_before(self, dedupe_key: str) -> datetime | None:
        """When the row with this key is due, while it is still pending (else None)."""
        value = await self._db.fetchval(
            "SELECT not_before FROM outbox WHERE dedupe_key = ? AND status = 'pending'",
            (dedupe_key,),
        )
        return None if value is None else from_db(str(value))

    async def release_held(
        self,
        key_prefix: str,
        platform: str,
        chat_id: str,
        thread_id: str | None,
        now: datetime,
    ) -> int:
        """Rows held back for a room (keys starting with `key_prefix`, not yet tried) go
        out now, into `thread_id` when given: a case's thread now exists, or never will."""
        return await self._db.execute(
            "UPDATE outbox SET not_before = ?, thread_id = COALESCE(?, thread_id) "
            "WHERE status = 'pending' AND platform = ? AND chat_id = ? AND thread_id IS NULL "
            "AND attempts = 0 AND not_before > ? AND substr(dedupe_key, 1, ?) = ?",
            (to_db(now), thread_id, platform, chat_id, to_db(now), len(key_prefix), key_prefix),
        )

    async def broadcasts(self) -> list[tuple[str, dict[OutboxStatus, int]]]:
        """Progress of every broadcast: counts per status."""
        rows = await self._db.fetch(
            "SELECT broadcast_id, status, COUNT(*) FROM outbox WHERE broadcast_id IS NOT NULL "
            "GROUP BY broadcast_id, status ORDER BY broadcast_id"
        )
        progress: dict[str, dict[OutboxStatus, int]] = {}
        for broadcast_id, status, count in rows:
            counts = progress.setdefault(str(broadcast_id), {s: 0 for s in OutboxStatus})
            counts[OutboxStatus(str(status))] = int(count)
        return list(progress.items())

    async def mark_sent_many(self, item_ids: list[int], now: datetime) -> None:
        """Rows delivered (a group of them: see `bot.outbox.SentMarks`)."""
        for start in range(0, len(item_ids), _INSERT_CHUNK):
            chunk = item_ids[start : start + _INSERT_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            await self._db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1 "
                f"WHERE id IN ({marks})",
                (to_db(now), *chunk),
            )

    async def mark_final(self, item_id: int, status: OutboxStatus, error: str) -> None:
        """A row that will never be delivered: failed (gave up) or skipped (unreachable)."""
        await self._db.execute(
            "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1 WHERE id = ?",
            (status.value, error, item_id),
        )

    async def retry_later(self, item_id: int, not_before: datetime, error: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ? "
            "WHERE id = ?",
            (to_db(not_before), error, item_id),
        )

    async def pending_summary(self, now: datetime) -> tuple[int, datetime | None]:
        """How many rows wait, and since when the oldest due one has (for monitoring)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*), MIN(CASE WHEN not_before <= ? THEN not_before END) "
            "FROM outbox WHERE status = 'pending'",
            (to_db(now),),
        )
        count, oldest = row if row is not None else (0, None)
        return int(count), None if oldest is None else from_db(str(oldest))

    async def counts_by_status(self, broadcast_id: str | None = None) -> dict[OutboxStatus, int]:
        sql = "SELECT status, COUNT(*) FROM outbox"
        params: tuple[str, ...] = ()
        if broadcast_id is not None:
            sql += " WHERE broadcast_id = ?"
            params = (broadcast_id,)
        rows = await self._db.fetch(sql + " GROUP BY status", params)
        counts = {status: 0 for status in OutboxStatus}
        for status, count in rows:
            counts[OutboxStatus(str(status))] = int(count)
        return counts
