"""What the announcement benchmarks share: the subscribers' database, the bot's settings
against the fake Bot API, the organizer who announces, and the count of what arrived.

`broadcast.py` (one instance on SQLite) and `scaleout.py` (two on PostgreSQL) both fill a
database with subscribers in ten languages, run `liaison run` against the fake Bot API
paced at its limits, and count deliveries from the fake's call log.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.fakes is not part of the installed package

from bot.config import SUPPORTED_LOCALES  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.timestamps import to_db  # noqa: E402
from tests.fakes.telegram_api import (  # noqa: E402
    SENDING_METHODS,
    TOKEN,
    ApiCall,
    FakeTelegramAPI,
    RateLimits,
    button_press,
    person,
)
from tests.support.telegram_chat import press, say  # noqa: E402

FIRST_CHAT_ID = 10_000_000
# Same start and end: quiet hours never apply, so every announcement is due at once.
NO_QUIET_HOURS = "00:00"
# The organizer who announces, an English speaker on Telegram (not a subscriber).
ORGANIZER = person(9_000_001, "Olive", "en")
# Rows per statement when writing subscribers (a multi-row insert each).
SETUP_CHUNK = 10_000
# Publish is answered once the whole audience is queued.
PUBLISH_TIMEOUT_S = 600.0
MEETING_TITLE = "Community safety meeting"
STEP_PAUSE_S = 1.1


async def add_subscribers(db: Database, count: int, now: datetime) -> None:
    """`count` subscribed Telegram people in the ten languages (chats FIRST_CHAT_ID…), and
    the organizer with the organizer role."""
    stamp = to_db(now)
    rng = random.Random(11)
    async with db.transaction():
        for start in range(0, count, SETUP_CHUNK):
            ids = range(start + 1, min(count, start + SETUP_CHUNK) + 1)
            await db.executemany(
                "INSERT INTO people (id, platform, platform_user_id, locale, created_at, "
                "last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        i,
                        "telegram",
                        str(FIRST_CHAT_ID + i - 1),
                        rng.choice(SUPPORTED_LOCALES),
                        stamp,
                        stamp,
                    )
                    for i in ids
                ],
            )
            await db.executemany(
                "INSERT INTO subscribers (person_id, subscribed_at) VALUES (?, ?)",
                [(i, stamp) for i in ids],
            )
        await db.execute(
            "INSERT INTO people (id, platform, platform_user_id, locale, locale_chosen, role, "
            "created_at, last_seen_at) VALUES (?, 'telegram', ?, 'en', 1, 'organizer', ?, ?)",
            (count + 1, str(ORGANIZER["id"]), stamp, stamp),
        )


def bot_env(settings: dict[str, str], api: FakeTelegramAPI, limits: RateLimits) -> dict[str, str]:
    """`liaison run` with `settings` (storage, key), paced exactly at the fake's limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(settings)
    env.update(
        LIAISON_TELEGRAM_TOKEN=TOKEN,
        LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
        LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
        LIAISON_TELEGRAM_LIAISON_CHAT_ID="-100200300",  # start-up needs a liaison room
        LIAISON_TELEGRAM_RATE_GLOBAL_PER_S=str(limits.global_per_s),
        LIAISON_TELEGRAM_RATE_PRIVATE_CHAT_PER_S=str(limits.chat_per_s),
        LIAISON_MEETINGS_QUIET_START=NO_QUIET_HOURS,
        LIAISON_MEETINGS_QUIET_END=NO_QUIET_HOURS,
        LIAISON_LOGGING_LEVEL="WARNING",
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def organizer_announces(api: FakeTelegramAPI, starts: datetime) -> str:
    """The organizer's /meeting new through the fake Bot API, as a person types it, up to
    Publish: the running bot announces with the code a real confirmation runs. Returns
    the bot's answer to Publish."""
    steps: list[tuple[str, str]] = [
        ("say", "/meeting new"),
        ("say", MEETING_TITLE),
        ("say", f"{starts:%m/%d} 6:30pm"),
        ("press", "mtg.when_ok"),
        ("say", "Central Library, 12 Main St"),
        ("press", "mtg.skip"),  # no link
        ("say", "Meet the district commander and the civilian oversight board."),
        ("press", "mtg.rem|default"),
        ("press", "mtg.repeat|none"),
        ("press", "mtg.skip"),  # no other languages
    ]
    for kind, text in steps:
        answer = await (say if kind == "say" else press)(api, ORGANIZER, text)
        if text.endswith("6:30pm") and "Is that right?" not in answer:
            raise RuntimeError(f"the bot did not read the meeting time: {answer!r}")
        # A person takes a moment per step; faster would exceed Telegram's one message per
        # second in their chat, and the 429s would be the benchmark's, not the broadcast's.
        await asyncio.sleep(STEP_PAUSE_S)
    return await _publish(api)


async def _publish(api: FakeTelegramAPI) -> str:
    """Press Publish and wait for the bot's answer to the organizer (announcements to
    subscribers start going out before it, so any send will not do)."""
    chat = str(ORGANIZER["id"])

    def to_organizer() -> list[ApiCall]:
        return [c for c in api.sent("sendMessage") if c.get("chat_id") == chat]

    before = to_organizer()
    await api.push_update(button_press(ORGANIZER, before[-1].result, "mtg.publish"))
    async with asyncio.timeout(PUBLISH_TIMEOUT_S):
        while len(to_organizer()) == len(before):
            await asyncio.sleep(0.01)
    return to_organizer()[-1].get("text") or ""


def meeting_day(now: datetime) -> datetime:
    """Three days ahead: both default reminders (a day and an hour before) are still due."""
    return now + timedelta(days=3)


def _content(call: ApiCall) -> str:
    """What a send carried, so the same message twice in one chat is seen as a duplicate."""
    parts: list[Any] = [call.method.lower(), call.get("text") or call.get("caption") or ""]
    for name in ("document", "photo"):
        upload = call.upload(name)
        if upload is not None:
            parts.append(hashlib.sha256(upload.data).hexdigest())
        elif call.get(name):
            parts.append(call.get(name))  # a file id the bot reuses for the same file
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass
class Deliveries:
    """What reached the fake: successful sends per chat and content, and when, read from
    its call log. A chat is reached when the announcement's `.ics` (its last part) arrived;
    a duplicate is any message arriving in a chat a second time, by content."""

    api: FakeTelegramAPI
    chats: Counter[str] = field(default_factory=Counter)
    contents: Counter[tuple[str, str]] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    _read: int = 0
    _unfinished: list[ApiCall] = field(default_factory=list)

    def refresh(self) -> None:
        """Fold in calls that finished since the last look (calls finish out of order)."""
        new = self.api.calls[self._read :]
        self._read += len(new)
        waiting = self._unfinished + [c for c in new if c.method.lower() in SENDING_METHODS]
        self._unfinished = []
        for call in waiting:
            if call.failed:
                continue
            if call.result is None:
                self._unfinished.append(call)
                continue
            chat = call.get("chat_id") or ""
            if chat == str(ORGANIZER["id"]):
                continue  # the organizer's conversation, not the broadcast
            self.times.append(call.at)
            self.contents[(chat, _content(call))] += 1
            if call.method.lower() == "senddocument":
                self.chats[chat] += 1

    @property
    def reached(self) -> int:
        return len(self.chats)

    @property
    def duplicates(self) -> int:
        return sum(count - 1 for count in self.contents.values() if count > 1)

    def rate(self) -> float:
        """Sends per second from the first to the last one."""
        if len(self.times) < 2:
            return 0.0
        ordered = sorted(self.times)
        return (len(ordered) - 1) / (ordered[-1] - ordered[0])
