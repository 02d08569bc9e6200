"""Stopping an adapter step by step, each step bounded.

A platform library's shutdown waits for what it has in hand: an update whose handler
never returns, a request the server never answers. One such wait must not keep the
process (or a test run) alive for ever, so every adapter awaits its steps through
`bounded`: a step that overruns is logged by name and stopping goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger(__name__)
# The longest one step of stopping may take (the updates in hand finish well within it).
STOP_STEP_S = 10.0


async def bounded(platform: str, step: str, action: Awaitable[object]) -> None:
    """Await one step of stopping `platform` for at most STOP_STEP_S."""
    try:
        async with asyncio.timeout(STOP_STEP_S):
            await action
    except TimeoutError:
        log.warning("%s: stopping (%s) took over %.0f s; going on", platform, step, STOP_STEP_S)
