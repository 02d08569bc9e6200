"""Tests that start the bot as a separate process (`python -m bot ...`) run alone.

Such a process builds the whole application, search index included, before it answers,
and these tests assert how soon it does (`tests/bot/test_bad_settings.py`: the operator's
one line well within 20 s; the greeting within 30 s). On two cores, a second xdist worker
building search indexes beside it would halve the CPU the bot process gets, and those
bounds would measure the neighbour instead of the bot. So, as a pytest plugin, under
xdist (`-n N`):

- every test marked `BOT_PROCESS` goes to one worker (`--dist loadgroup`, pyproject.toml),
  so bot-process tests run one after the other, as in a single-process run;
- each of them holds an exclusive lock while it runs and every other test a shared one,
  so the other worker waits meanwhile: a bot process competes with no test of this run,
  as without xdist.

Without xdist nothing is locked (a single process runs one test at a time anyway).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

_GROUP = "bot_process"
BOT_PROCESS = pytest.mark.xdist_group(_GROUP)


def _alone(item: pytest.Item) -> bool:
    return any(mark.args[:1] == (_GROUP,) for mark in item.iter_markers("xdist_group"))


def _lock(path: Path, mode: int) -> int:
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, mode)
    return handle


@pytest.fixture(autouse=True)
def _bot_process_lock(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Each test, from its first fixture to its last teardown, under the run's lock.

    Only in xdist workers. The lock files sit in the run's base temporary folder, which
    the workers share. A test about to run alone first takes the turnstile, so tests that
    arrive after it queue behind it instead of keeping the shared lock held for ever.
    """
    if not hasattr(request.config, "workerinput"):
        yield
        return
    shared = tmp_path_factory.getbasetemp().parent
    turnstile = _lock(shared / "bot-process.turnstile", fcntl.LOCK_EX)
    try:
        mode = fcntl.LOCK_EX if _alone(request.node) else fcntl.LOCK_SH
        held = _lock(shared / "bot-process.lock", mode)
    finally:
        os.close(turnstile)
    try:
        yield
    finally:
        os.close(held)
