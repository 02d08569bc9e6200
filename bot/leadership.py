"""One leader among the instances sharing a database receives from Telegram (long
polling) and Discord (the gateway); every instance sends.

Telegram answers 409 Conflict when two processes poll with one token, and two Discord
gateway sessions would both receive (and handle) every interaction. So the receiving side
of those adapters runs only on the instance holding the leader lock
(`storage/leader.py`); the others keep trying and take over when the leader dies. A
leader whose lock connection stops answering steps down at once, and a new leader waits
`GRACE_S` before it starts receiving: by then a former leader that merely lost its
connection has noticed and stopped, so two instances never receive at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from bot.core.ports import ExclusiveReceiver
from bot.ops.metrics import Metrics
from storage.leader import PROBE_TIMEOUT_S, LeaderLock, SoleInstance, close_quietly

log = logging.getLogger(__name__)

RETRY_S = 2.0  # a follower tries the lock this often
PROBE_S = 2.0  # the leader checks its lock connection this often
STOP_TIMEOUT_S = 5.0  # stopping a receiver that hangs is not waited for longer
# A leader that lost its connection notices within PROBE_S + PROBE_TIMEOUT_S and then
# stops its receivers; a new leader waits that long (and a little) before receiving.
GRACE_S = PROBE_S + PROBE_TIMEOUT_S + 1.0


class Leadership:
    """Holds or waits for the leader lock and turns the receivers on and off with it."""

    def __init__(
        self,
        lock: LeaderLock,
        receivers: Sequence[ExclusiveReceiver],
        metrics: Metrics,
        grace_s: float = GRACE_S,
    ) -> None:
        self._lock = lock
        self._receivers = list(receivers)
        self._metrics = metrics
        # Nobody else can hold a sole instance's lock, so there is no one to wait for.
        self._grace_s = 0.0 if isinstance(lock, SoleInstance) else grace_s
        self._task: asyncio.Task[None] | None = None
        self.leading = False

    async def start(self) -> None:
        """Try once now, so a failure to start receiving stops start-up as before; then
        keep watching (leader) or trying (follower) in the background."""
        await self._attempt()
        if not self.leading:
            log.info("follower: another instance receives from %s; sending only", self._names())
        self._task = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        """Stop receiving before the lock goes, so the next leader never overlaps."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.leading:
            await self._stop_receivers()
            self._set(False)
        await close_quietly(self._lock)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(PROBE_S if self.leading else RETRY_S)
            try:
                if not self.leading:
                    await self._attempt()
                elif not await self._lock.still_held():
                    await self._step_down("its database connection was lost")
            except Exception as error:  # the loop must outlive any one failure
                log.error("leadership: %s; trying again", type(error).__name__)
                if self.leading:
                    await self._step_down("of an error")

    async def _attempt(self) -> None:
        """Become the leader if the lock is free, and start receiving."""
        if not await self._lock.try_acquire():
            return
        if self._grace_s:
            await asyncio.sleep(self._grace_s)
            if not await self._lock.still_held():
                return
        started: list[ExclusiveReceiver] = []
        try:
            for receiver in self._receivers:
                await receiver.start_receiving()
                started.append(receiver)
        except BaseException:
            await self._stop_receivers(started)
            await close_quietly(self._lock)
            raise
        self._set(True)
        log.info("leader: this instance now receives from %s", self._names())

    async def _step_down(self, reason: str) -> None:
        await self._stop_receivers()
        await close_quietly(self._lock)
        self._set(False)
        log.warning("stepped down as leader because %s: receiving stopped", reason)

    async def _stop_receivers(self, receivers: Sequence[ExclusiveReceiver] | None = None) -> None:
        for receiver in reversed(self._receivers if receivers is None else receivers):
            try:
                await asyncio.wait_for(receiver.stop_receiving(), STOP_TIMEOUT_S)
            except Exception as error:  # stop the others all the same
                name = type(error).__name__
                log.error("could not stop receiving from %s: %s", receiver.platform, name)

    def _set(self, leading: bool) -> None:
        self.leading = leading
        self._metrics.leader.set(1 if leading else 0)

    def _names(self) -> str:
        return ", ".join(receiver.platform for receiver in self._receivers)
