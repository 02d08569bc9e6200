"""A person chatting with the bot through the fake Bot API: what they say, press and read.

Shared by journey tests and the broadcast benchmark, which drives an organizer's
/meeting new exactly as a person would.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from tests.fakes.telegram_api import ApiCall, FakeTelegramAPI, button_press, message

# When the Telegram journeys happen: a Monday, 09:00 in New York.
MONDAY_MORNING = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
# How long a press waits for the bot to answer it.
PRESS_TIMEOUT_S = 5.0


def _calls(api: FakeTelegramAPI, user: dict[str, Any]) -> list[ApiCall]:
    """What the person received, in order: messages, and files with their captions."""
    calls = api.sent("sendMessage") + api.sent("sendDocument")
    return sorted((c for c in calls if c.get("chat_id") == str(user["id"])), key=lambda c: c.at)


def to(api: FakeTelegramAPI, user: dict[str, Any]) -> list[str]:
    """The texts (and file captions) the person received, oldest first."""
    return [call.get("text") or call.get("caption") or "" for call in _calls(api, user)]


async def say(api: FakeTelegramAPI, user: dict[str, Any], text: str, timeout: float = 30.0) -> str:
    """Send a message and return the bot's newest reply to that person."""
    before = len(api.sent("sendMessage"))
    await api.push_update(message(user, text))
    await api.wait_for("sendMessage", before + 1, timeout)
    return to(api, user)[-1]


async def press(
    api: FakeTelegramAPI, user: dict[str, Any], data: str, timeout: float = PRESS_TIMEOUT_S
) -> str:
    """Press a button under the person's newest bot message; the reply or edit it causes."""
    last = _calls(api, user)[-1]
    sent, edits = len(api.sent("sendMessage")), len(api.sent("editMessageText"))
    await api.push_update(button_press(user, last.result, data))
    async with asyncio.timeout(timeout):
        while len(api.sent("sendMessage")) == sent and len(api.sent("editMessageText")) == edits:
            await asyncio.sleep(0.01)
    return to(api, user)[-1]
