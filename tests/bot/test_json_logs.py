"""JSON logs: one object per line, the usual fields, and never what anyone wrote."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.people import Role
from bot.core.router import Router
from bot.logging_setup import configure_logging
from tests.support.harness import Conversation, RecordingSender

SECRET_TEXT = "my address is 42 Quiet Lane and the officer hit me"
TOKEN = "123456:secret-token-value"
RESIDENT_ID = "987654321"
LIAISON_ID = "123123123"


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_json_logs_parse_line_by_line_without_text_or_ids(
    app: App, capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    """Search, escalation, relay and a failing handler, logged as JSON at DEBUG."""
    configure_logging("DEBUG", [TOKEN], fmt="json")
    app.delivery.register(RecordingSender("console"), None)
    broken = Router("broken")

    @broken.command("boom")
    async def boom(ctx: Context, event: Incoming) -> None:
        raise RuntimeError(event.text)

    app.dispatcher.include(broken)
    resident = Conversation(app, user=RESIDENT_ID, platform="console", language_hint="ar")
    liaison = Conversation(app, user=LIAISON_ID, platform="console", language_hint="es")
    await liaison.send("/start")
    person = await app.repos.people.find("console", LIAISON_ID)
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)
    await resident.send(SECRET_TEXT)
    await resident.send("/boom " + SECRET_TEXT)
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send(SECRET_TEXT)
    await liaison.send("/reply 1 " + SECRET_TEXT)
    await app.delivery.drain()
    logging.getLogger("httpx").warning("GET https://api.telegram.org/bot%s/getMe", TOKEN)

    output = capsys.readouterr().err
    entries = [json.loads(line) for line in output.splitlines()]
    assert entries, "nothing was logged"
    for entry in entries:
        assert {"time", "level", "logger", "event", "message"} <= set(entry)
    failure = next(e for e in entries if e["event"] == "handler failed")
    assert failure["level"] == "ERROR"
    assert failure["logger"] == "bot.core.dispatcher"
    assert failure["exc_type"] == "RuntimeError"
    assert failure["command"] == "boom"
    assert len(failure["person"]) >= 6  # the pseudonymous log id, as in text logs
    assert "Quiet Lane" not in failure["stack"]
    for secret in (SECRET_TEXT, "Quiet Lane", RESIDENT_ID, LIAISON_ID, TOKEN):
        assert secret not in output
    assert any("[secret]" in e["message"] for e in entries)


def test_text_format_is_the_default(capsys: pytest.CaptureFixture[str], root_logging: None) -> None:
    """Without format = "json" a line is the familiar text, not JSON."""
    configure_logging("INFO", [])
    logging.getLogger("bot.test").info("started")
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO bot.test: started")
