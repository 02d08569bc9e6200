"""Logs of a whole conversation contain no message text and no platform ids."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.people import Role
from bot.core.router import Router
from bot.logging_setup import SecretMaskingFilter, quiet_noisy_libraries
from tests.support.harness import Conversation, RecordingSender

SECRET_TEXT = "my address is 42 Quiet Lane and the officer hit me"
RESIDENT_ID = "987654321"
LIAISON_ID = "123123123"


async def test_full_conversation_logs_no_text_or_ids(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """Search, escalation, relay, a failing handler: none of it logs text or ids."""
    quiet_noisy_libraries()  # exactly what the CLI does at start
    caplog.set_level(logging.DEBUG)
    app.delivery.register(RecordingSender("console"), None)
    broken = Router("broken")

    @broken.command("boom")
    async def boom(ctx: Context, event: Incoming) -> None:
        raise RuntimeError(event.text)

    app.dispatcher.include(broken)
    resident = Conversation(app, user=RESIDENT_ID, platform="console")
    liaison = Conversation(app, user=LIAISON_ID, platform="console")
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
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "handler failed" in logged  # the failure itself is logged...
    for secret in (SECRET_TEXT, "Quiet Lane", RESIDENT_ID, LIAISON_ID):
        assert secret not in logged  # ...without what was said or who said it


def test_secret_masking_filter_hides_tokens_in_library_logs() -> None:
    """A library logging a URL with the bot token shows it masked."""
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "POST %s",
        ("https://x/bot123:ABCDEF/sendMessage",),
        None,
    )
    SecretMaskingFilter(["123:ABCDEF"]).filter(record)
    assert "123:ABCDEF" not in record.getMessage() and "[secret]" in record.getMessage()
