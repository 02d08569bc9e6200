"""A pytest plugin: every registered command, button action and flow must be exercised.

At start it wraps each handler registered on the feature routers (`handlers.ROUTERS`) so
that a call is recorded; when the whole suite has run and passed, any command, button or
flow that no test reached fails the run with a list of them. A feature added without a
test that drives it through the dispatcher is caught here, not by a reader.
Handlers that run only inside bot processes started by tests (the terminal chat) are not
seen by this recorder; each of those is also driven in-process somewhere.
Under pytest-xdist each worker records what its own tests reached and hands the set to the
controller when it finishes; only the controller, which saw the whole run, judges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

_REGISTERED: set[str] = set()
_REACHED: set[str] = set()
# The key under which an xdist worker reports its reached labels to the controller.
_OUTPUT_KEY = "exercised_handlers"


def _recording(label: str, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Any]:
    async def recorded(*args: Any, **kwargs: Any) -> Any:
        _REACHED.add(label)
        return await handler(*args, **kwargs)

    recorded.__wrapped__ = handler  # type: ignore[attr-defined]
    return recorded


def pytest_configure(config: pytest.Config) -> None:
    from handlers import ROUTERS

    for router in ROUTERS:
        for kind, entries, key in (
            ("command", router.commands, "name"),
            ("button", router.buttons, "action"),
            ("flow", router.flows, "name"),
        ):
            for index, entry in enumerate(entries):
                label = f"{kind} {getattr(entry, key)}"
                _REGISTERED.add(label)
                entries[index] = dataclasses.replace(  # type: ignore[call-overload]
                    entry, handler=_recording(label, entry.handler)
                )


def _whole_suite(session: pytest.Session) -> bool:
    """Only a full, unfiltered run can say that something is never exercised."""
    config = session.config
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
        and not session.shouldfail
        and not session.shouldstop
    )


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """In the xdist controller: add what a finished worker's tests reached."""
    _REACHED.update(getattr(node, "workeroutput", {}).get(_OUTPUT_KEY, []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    workeroutput: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: its tests are only part of the run
        workeroutput[_OUTPUT_KEY] = sorted(_REACHED)
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED or not _whole_suite(session):
        return
    missing = sorted(_REGISTERED - _REACHED)
    if not missing:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("registered but exercised by no test: " + ", ".join(missing), red=True)
    if exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
