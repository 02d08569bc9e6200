"""Guards that run before every handler: flood control and oversized input.

Flood control is per person and in memory: a restart forgives everyone, which is the
right failure mode for a service people reach in distress. Staff are never muted, so a
liaison answering a busy case is never slowed down. Its memory is bounded by the people
active in the last window, not by everyone who ever wrote: idle entries are evicted as the
guard runs.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.config import AbuseSection
from bot.core.context import Context
from bot.core.events import EventKind, Incoming
from bot.core.people import Role

STAFF = (Role.LIAISON, Role.ORGANIZER)


class FloodGuard:
    """More than N messages in T seconds: one notice, then silence for a while."""

    def __init__(self, settings: AbuseSection) -> None:
        self._settings = settings
        # Both maps are kept in order of last activity (least recent first), so eviction
        # only ever looks at the front: amortised O(1) per message. A person's recent
        # times are a tuple (at most flood_messages + 1 of them): a deque allocates a
        # 64-slot block, ten times the memory, for the one message most people send.
        self._recent: OrderedDict[int, tuple[float, ...]] = OrderedDict()
        self._muted_until: OrderedDict[int, float] = OrderedDict()

    def __len__(self) -> int:
        """People currently tracked; what the memory benchmark and tests watch."""
        return len(self._recent) + len(self._muted_until)

    async def __call__(self, ctx: Context, event: Incoming) -> bool:
        if ctx.person.is_at_least(*STAFF):
            return True
        now = ctx.now().timestamp()
        self._evict_idle(now)
        if self._muted_until.get(ctx.person.id, 0.0) > now:
            return False
        horizon = now - self._settings.flood_seconds
        earlier = self._recent.pop(ctx.person.id, ())
        window = (*(at for at in earlier if at > horizon), now)
        self._recent[ctx.person.id] = window
        if len(window) > self._settings.flood_messages:
            self._muted_until[ctx.person.id] = now + self._settings.mute_seconds
            self._muted_until.move_to_end(ctx.person.id)
            del self._recent[ctx.person.id]
            await ctx.reply(
                ctx._("You are sending messages very fast. Please wait a minute, then try again.")
            )
            return False
        return True

    def _evict_idle(self, now: float) -> None:
        """Forget people whose last message left the window and whose mute has ended."""
        horizon = now - self._settings.flood_seconds
        while self._recent:
            person_id, window = next(iter(self._recent.items()))
            if window and window[-1] > horizon:
                break
            del self._recent[person_id]
        # Mutes all last the same time, so insertion order is also expiry order.
        while self._muted_until:
            person_id, until = next(iter(self._muted_until.items()))
            if until > now:
                break
            del self._muted_until[person_id]


async def length_guard(ctx: Context, event: Incoming) -> bool:
    """Refuse oversized text kindly instead of searching or storing it."""
    limit = ctx.config.abuse.max_text_chars
    if event.kind is EventKind.BUTTON or len(event.text) <= limit:
        return True
    await ctx.reply(
        ctx._(
            "That message is longer than {limit} characters. Please send it in shorter parts."
        ).format(limit=limit)
    )
    return False
