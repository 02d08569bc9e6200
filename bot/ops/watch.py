"""`liaison broadcast status --watch`: a live progress bar per broadcast being delivered.

It reads the outbox the running bot writes (another process, same database), so it works
beside the bot and changes nothing. It stops by itself once every broadcast it shows is
settled, or on Ctrl-C (scheduled reminders keep their broadcast pending until they are due).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from bot.ops.progress import BroadcastProgress
from storage.outbox import OutboxRepository

Wait = Callable[[float], Awaitable[None]]


def _detail(progress: BroadcastProgress) -> str:
    return (
        f"sent {progress.sent}, pending {progress.pending}, "
        f"failed {progress.failed}, skipped {progress.skipped}"
    )


async def watch_broadcasts(
    repo: OutboxRepository, console: Console, interval: float, wait: Wait = asyncio.sleep
) -> int:
    """Bars for broadcasts with rows still pending (and any that start meanwhile); returns
    how many were shown."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
    )
    bars: dict[str, TaskID] = {}
    earlier: set[str] = set()  # finished before the watch began: `status` lists those
    first = True
    with Progress(*columns, console=console) as live:
        while True:
            for broadcast_id, counts in await repo.broadcasts():
                progress = BroadcastProgress.of(counts)
                if broadcast_id in earlier:
                    continue
                if broadcast_id not in bars:
                    if first and progress.finished:
                        earlier.add(broadcast_id)
                        continue
                    bars[broadcast_id] = live.add_task(broadcast_id, detail="")
                live.update(
                    bars[broadcast_id],
                    total=progress.total,
                    completed=progress.settled,
                    detail=_detail(progress),
                )
            if first and not bars:
                break
            first = False
            if all(live.tasks[bars[b]].finished for b in bars):
                break
            await wait(interval)
    if not bars:
        console.print("no broadcast is being delivered")
    return len(bars)
