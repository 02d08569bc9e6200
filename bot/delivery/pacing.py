"""One pacing authority per platform: people's answers first, bulk with what is left.

Direct replies and outbox rows of a platform ask the same `Pacer` for a slot, so their sum
keeps to the platform's limits (overall and per chat) however the traffic mixes. Whenever
a slot comes free it goes to a waiting interactive send (an answer, a case relay, a staff
reply) whose chat may send now; bulk sends (announcements, reminders, polls) only get the
slots nobody interactive is waiting for. A 429 pauses the whole platform for its
`retry_after`, as the platform does not say which limit was hit.

`Schedule` is the decision alone, on plain numbers, so it is tested without a clock;
`Pacer` drives it on the event loop with one timer, not a task per waiter.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# How far behind schedule the overall rate may catch up at once, in seconds of sends: a
# timer fires a millisecond or two late, and without this the lost time would lower the
# rate. Well under the platforms' own burst allowance (Telegram's is about a second).
CATCH_UP_S = 0.1
# Chats whose schedule is behind them are forgotten this often (a new one behaves the
# same), so 100,000 chats reached once cost no memory.
FORGET_EVERY_S = 60.0


class Priority(enum.IntEnum):
    """Who a send is for; lower goes first (the outbox stores the number)."""

    INTERACTIVE = 0  # someone is waiting for it: answers, case relays, staff replies
    BULK = 1  # announcements, reminders, polls: the capacity left over


@dataclass(frozen=True, slots=True)
class Pacing:
    """A platform's sending limits: overall, and per chat (private and group differ).

    `shared` False: one instance at a time sends on the platform (the leader), so its
    overall rate is not divided among the live instances."""

    global_per_s: float
    chat_rate: Callable[[str], tuple[float, float]]  # chat id -> (messages, per seconds)
    shared: bool = True


class _Cell:
    """One limit as a generic cell rate algorithm: `due` is when the next send is on time,
    and a send may go up to `tolerance` earlier (the limit's burst)."""

    __slots__ = ("due", "interval", "tolerance")

    def __init__(self, count: float, period: float) -> None:
        self.interval = period / count
        # A bucket of `count` allows that many at once; a fraction (0.5 per second) none.
        self.tolerance = max(count - 1.0, 0.0) * self.interval
        self.due = 0.0

    def ready_at(self) -> float:
        return self.due - self.tolerance

    def take(self, now: float) -> None:
        self.due = max(self.due, now) + self.interval


@dataclass(eq=False, slots=True)
class Ticket:
    """One send waiting for its slot."""

    chat_id: str
    priority: Priority


class Schedule:
    """Which waiting sends may go at a given instant, and when to look again."""

    def __init__(self, pacing: Pacing) -> None:
        self._pacing = pacing
        self._instances = 1
        self._global = self._global_cell()
        self._paused_until = 0.0
        self._chats: dict[str, _Cell] = {}
        self._waiting: tuple[deque[Ticket], ...] = tuple(deque() for _ in Priority)
        self._forgotten_at = 0.0

    def _global_cell(self) -> _Cell:
        rate = self._pacing.global_per_s / self._instances
        cell = _Cell(1.0, 1.0 / rate)
        cell.tolerance = CATCH_UP_S
        return cell

    def share(self, instances: int) -> None:
        """Several instances send as one bot: each paces at its share of the overall rate
        (unless only one of them sends on the platform)."""
        if self._pacing.shared and instances != self._instances:
            self._instances = max(1, instances)
            due = self._global.due
            self._global = self._global_cell()
            self._global.due = due

    def pause(self, until: float) -> None:
        """Nothing is sent before `until` (the platform answered 429)."""
        self._paused_until = max(self._paused_until, until)

    def add(self, ticket: Ticket) -> None:
        self._waiting[ticket.priority].append(ticket)

    def discard(self, ticket: Ticket) -> None:
        """A waiter that gave up (its task was cancelled)."""
        queue = self._waiting[ticket.priority]
        if ticket in queue:
            queue.remove(ticket)

    def waiting(self) -> int:
        return sum(len(queue) for queue in self._waiting)

    def grant(self, now: float) -> tuple[list[Ticket], float | None]:
        """The tickets that may send at `now`, in order, and when the next one may (None
        when nobody waits). Interactive tickets whose chat is ready go before any bulk."""
        self._forget_idle_chats(now)
        granted: list[Ticket] = []
        while self.waiting():
            opens = max(self._paused_until, self._global.ready_at())
            if now < opens:
                return granted, opens
            ticket = self._first_ready(now)
            if ticket is None:
                return granted, min(self._chat(t.chat_id).ready_at() for t in self._all())
            self._waiting[ticket.priority].remove(ticket)
            self._global.take(now)
            self._chat(ticket.chat_id).take(now)
            granted.append(ticket)
        return granted, None

    def _first_ready(self, now: float) -> Ticket | None:
        for ticket in self._all():
            if self._chat(ticket.chat_id).ready_at() <= now:
                return ticket
        return None

    def _all(self) -> list[Ticket]:
        return [ticket for queue in self._waiting for ticket in queue]

    def _chat(self, chat_id: str) -> _Cell:
        cell = self._chats.get(chat_id)
        if cell is None:
            cell = self._chats[chat_id] = _Cell(*self._pacing.chat_rate(chat_id))
        return cell

    def _forget_idle_chats(self, now: float) -> None:
        if now - self._forgotten_at < FORGET_EVERY_S:
            return
        self._forgotten_at = now
        for chat_id in [c for c, cell in self._chats.items() if cell.due <= now]:
            del self._chats[chat_id]

    def chats_known(self) -> int:
        return len(self._chats)


class Pacer:
    """A platform's `Schedule` on the event loop: `acquire` returns when the send may go."""

    def __init__(self, pacing: Pacing) -> None:
        self._schedule = Schedule(pacing)
        self._waiters: dict[int, tuple[Ticket, asyncio.Future[None]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    async def acquire(self, chat_id: str, priority: Priority) -> None:
        loop = asyncio.get_running_loop()
        ticket = Ticket(chat_id, priority)
        granted: asyncio.Future[None] = loop.create_future()
        self._waiters[id(ticket)] = (ticket, granted)
        self._schedule.add(ticket)
        self._run()
        try:
            await granted
        finally:
            if self._waiters.pop(id(ticket), None) is not None:
                self._schedule.discard(ticket)  # cancelled before its turn

    def pause(self, seconds: float) -> None:
        """Hold every send of the platform for `seconds` (a 429's retry_after)."""
        self._schedule.pause(asyncio.get_running_loop().time() + seconds)
        self._run()

    def share(self, instances: int) -> None:
        self._schedule.share(instances)

    def _run(self) -> None:
        loop = asyncio.get_running_loop()
        granted, next_at = self._schedule.grant(loop.time())
        for ticket in granted:
            _, future = self._waiters.pop(id(ticket))
            if not future.done():
                future.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if next_at is not None:
            self._timer = loop.call_at(next_at, self._run)
