"""Organizers watch a broadcast's delivery in the chat: one message, edited in place.

"Show delivery progress" (under the "Published" confirmation) posts the progress; its
"Refresh" button replaces that same message with the current figures (the neutral
`Outgoing.edit`), so the chat does not fill up with progress reports. Only counts are
shown: never who received what.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Button, Incoming, Outgoing, PayloadError
from bot.core.payloads import ButtonSpec, Key
from bot.core.people import Role
from bot.core.router import Router
from bot.i18n import Translator
from bot.ops.progress import BroadcastProgress
from storage.outbox import OutboxRepository

SHOW = ButtonSpec("bcast.show", Key)
REFRESH = ButtonSpec("bcast.refresh", Key)
# Cells of the progress bar: short enough for one line on a phone.
BAR_WIDTH = 10

router = Router("broadcast_progress")


class DeliveryCounts:
    """How far a broadcast's delivery has come, read from the outbox (counts only)."""

    def __init__(self, queued: OutboxRepository) -> None:
        self._queued = queued

    async def progress(self, broadcast_id: str) -> BroadcastProgress:
        return BroadcastProgress.of(await self._queued.counts_by_status(broadcast_id))


def progress_buttons(t: Translator, broadcast_id: str) -> list[list[Button]]:
    """The button to put under a broadcast's confirmation (none if the id cannot fit)."""
    try:
        return [[SHOW.button(t._("Show delivery progress"), Key(broadcast_id))]]
    except PayloadError:
        return []


def progress_message(t: Translator, broadcast_id: str, progress: BroadcastProgress) -> Outgoing:
    lines = [
        f"{progress.bar(BAR_WIDTH)} "
        + t._("{percent}% delivered").format(percent=t.number(progress.percent)),
        t._("Sent: {sent} · waiting: {pending} · failed: {failed} · skipped: {skipped}").format(
            sent=t.number(progress.sent),
            pending=t.number(progress.pending),
            failed=t.number(progress.failed),
            skipped=t.number(progress.skipped),
        ),
    ]
    if progress.finished:
        lines.append(t._("Delivery finished."))
    return Outgoing(
        text="\n".join(lines),
        buttons=((REFRESH.button(t._("Refresh"), Key(broadcast_id)),),),
    )


async def _show(ctx: Context, broadcast: Key, edit: bool) -> None:
    broadcast_id = broadcast.key
    progress = await ctx.feature(DeliveryCounts).progress(broadcast_id)
    if not broadcast_id or progress.total == 0:
        await ctx.reply(ctx._("Nothing has been queued for this announcement."))
        return
    message = progress_message(ctx.t, broadcast_id, progress)
    await ctx.reply(Outgoing(message.text, message.buttons, edit=edit))


@router.button(SHOW, roles=(Role.ORGANIZER,))
async def show(ctx: Context, event: Incoming, broadcast: Key) -> None:
    """A new message under the confirmation, which stays as it was."""
    await _show(ctx, broadcast, edit=False)


@router.button(REFRESH, roles=(Role.ORGANIZER,))
async def refresh(ctx: Context, event: Incoming, broadcast: Key) -> None:
    """The same message, now with the current figures."""
    await _show(ctx, broadcast, edit=True)
