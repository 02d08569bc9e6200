"""How a call someone is waiting on is retried: 429s waited out, timeouts and 5xx backed off.

Platform adapters translate their library's errors into `DeliveryError`s; the policy of
what to retry, how often and for how long lives here, once for every platform.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.core.ports import DeliveryError, RetryAfter, TemporaryFailure

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

# Attempts per call, backoff 0.5 s, 1 s, 2 s … for timeouts/5xx, and the longest 429 wait
# spent inline; past these a reply is handed to the durable outbox.
ATTEMPTS = 5
BACKOFF_S = 0.5
MAX_INLINE_WAIT_S = 30.0


def retry_delay(error: DeliveryError, attempt: int) -> float | None:
    """How long to wait before attempt `attempt + 1`, or None to give up."""
    if attempt >= ATTEMPTS:
        return None
    if isinstance(error, RetryAfter):
        return error.seconds if error.seconds <= MAX_INLINE_WAIT_S else None
    if isinstance(error, TemporaryFailure):
        return float(BACKOFF_S * 2 ** (attempt - 1))
    return None


async def with_retries(
    call: Callable[[], Awaitable[T]],
    on_error: Callable[[DeliveryError], None] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run a call that raises `DeliveryError`s, retrying what may succeed later, and raise
    the error that remains. `on_error` sees each failed attempt (metrics count them)."""
    attempt = 0
    while True:
        try:
            return await call()
        except DeliveryError as error:
            if on_error is not None:
                on_error(error)
            attempt += 1
            delay = retry_delay(error, attempt)
            if delay is None:
                raise
            await sleep(delay)
