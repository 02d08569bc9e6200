"""Guards that run before every handler: flood control and oversized input.

Flood control is per person and in memory: a restart forgives everyone, which is the
right failure mode for a service people reach in distress. Staff are never muted, so a
liaison answering a busy case is never slowed down.
"""

from __future__ import annotations

from collections import deque

from bot.config import AbuseSection
from bot.core.context import Context
from bot.core.events import EventKind, Incoming
from storage.people import Role

STAFF = (Role.LIAISON, Role.ORGANIZER)


class FloodGuard:
    """More than N messages in T seconds: one notice, then silence for a while."""

    def __init__(self, settings: AbuseSection) -> None:
        self._settings = settings
        self._recent: dict[int, deque[float]] = {}
        self._muted_until: dict[int, float] = {}

    async def __call__(self, ctx: Context, event: Incoming) -> bool:
        if ctx.person.is_at_least(*STAFF):
            return True
        now = ctx.now().timestamp()
        if self._muted_until.get(ctx.person.id, 0.0) > now:
            return False
        window = self._recent.setdefault(ctx.person.id, deque())
        window.append(now)
        while window and window[0] <= now - self._settings.flood_seconds:
            window.popleft()
        if len(window) > self._settings.flood_messages:
            self._muted_until[ctx.person.id] = now + self._settings.mute_seconds
            window.clear()
            await ctx.reply(
                ctx._("You are sending messages very fast. Please wait a minute, then try again.")
            )
            return False
        return True


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
