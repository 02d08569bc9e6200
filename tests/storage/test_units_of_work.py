"""Units of work: a feature operation is stored whole or not at all, on both backends.

A fault injected before the N-th statement of a transaction stands for a crash or an
error at that point; whatever N, the database must show the operation complete or absent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.core.events import Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient
from handlers.escalation import rooms
from storage.database import Database
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, FakeClock, RecordingSender

TABLES = ("cases", "case_messages", "case_rooms", "audit_log", "outbox")


class Crash(Exception):
    """The simulated failure."""


class FaultyStatements:
    """Counts statements run inside transactions; raises `Crash` before number `fail_at`
    (0: never) and lets other tasks run between statements (`yield_between`)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.count = 0
        self.fail_at = 0
        self.armed = False
        self.yield_between = False
        for name in ("execute", "fetch", "executemany"):
            setattr(db, name, self._wrap(getattr(db, name)))

    def _wrap(self, call: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def statement(*args: Any) -> Any:
            if self.armed and self.db.in_transaction:
                self.count += 1
                if self.yield_between:
                    for _ in range(5):
                        await asyncio.sleep(0)
                if self.count == self.fail_at:
                    raise Crash(f"statement {self.count}")
            return await call(*args)

        return statement


async def _counts(db: Database) -> dict[str, int]:
    return {table: int(await db.fetchval(f"SELECT count(*) FROM {table}")) for table in TABLES}


async def _liaison(app: App) -> None:
    app.delivery.register(RecordingSender("console"), None)
    lee = Conversation(app, user="lee", platform="console")
    await lee.send("/start")
    person = await app.repos.people.find("console", "lee")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)


async def _start_case(app: App, user: str, faults: FaultyStatements, fail_at: int) -> None:
    """A resident asks for a person and writes; the fault is armed for the last step."""
    resident = Conversation(app, user=user, platform="console", language_hint="ar")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    faults.count, faults.fail_at, faults.armed = 0, fail_at, True
    try:
        await resident.send("الشرطة أوقفتني بدون سبب")
    finally:
        faults.armed = False


async def test_a_crash_at_any_step_of_opening_a_case_leaves_none_or_a_whole_one(
    app: App,
) -> None:
    await _liaison(app)
    faults = FaultyStatements(app.db)
    await _start_case(app, "dry-run", faults, fail_at=0)
    steps = faults.count
    assert steps >= 5  # case, audit, message, card row(s), ...
    for fail_at in range(1, steps + 1):
        before = await _counts(app.db)
        await _start_case(app, f"r{fail_at}", faults, fail_at)
        assert await _counts(app.db) == before, f"partial case after a crash at {fail_at}"
        person = await app.repos.people.find("console", f"r{fail_at}")
        assert person is not None
        assert await app.repos.cases.open_for_person(person.id) is None
    # Without a fault the case is complete: row, first message, audit, card for the liaison.
    await _start_case(app, "whole", faults, fail_at=0)
    person = await app.repos.people.find("console", "whole")
    assert person is not None
    case = await app.repos.cases.open_for_person(person.id)
    assert case is not None
    assert [m.body for m in await app.repos.cases.messages(case.id)] == ["الشرطة أوقفتني بدون سبب"]
    assert ("opened", person.id) in await app.repos.audit.for_case(case.id)
    cards = await app.db.fetch(
        "SELECT chat_id, subject FROM outbox WHERE dedupe_key LIKE ?", (f"case:{case.id}:card:%",)
    )
    assert [(str(r[0]), r[1]) for r in cards] == [("lee", person.id)]


async def _resident_with_case(app: App, user: str) -> int:
    faults = FaultyStatements(app.db)
    await _start_case(app, user, faults, fail_at=0)
    person = await app.repos.people.find("console", user)
    assert person is not None
    return person.id


@pytest.mark.parametrize("fail", [True, False])
async def test_erasure_is_all_or_nothing_beside_a_concurrent_writer(app: App, fail: bool) -> None:
    """While /forget erases, another task keeps writing and committing. A failure late in
    the erasure leaves everything as it was; a whole erasure leaves nothing of the
    person, while the other writer's work is kept either way."""
    await _liaison(app)
    rita = await _resident_with_case(app, "rita")
    other = await _resident_with_case(app, "omar")
    faults = FaultyStatements(app.db)
    steps = 4  # case text, outbox rows, case link, person row
    faults.count, faults.fail_at, faults.armed = 0, steps if fail else 0, True
    faults.yield_between = True
    stop = asyncio.Event()

    async def writer() -> int:
        written = 0
        while not stop.is_set():
            await app.repos.knowledge.record_view(other, "t", False, app.services.clock())
            written += 1
            await asyncio.sleep(0)
        return written

    task = asyncio.create_task(writer())
    try:
        await app.repos.privacy.erase_person(rita)
    except Crash:
        assert fail
    finally:
        stop.set()
        written = await task
        faults.armed = False
    assert written > 0
    views = await app.db.fetchval("SELECT count(*) FROM topic_views WHERE person_id = ?", (other,))
    assert views == written
    person = await app.repos.people.get(rita)
    bodies = await app.db.fetch(
        "SELECT m.body FROM case_messages m JOIN cases c ON c.id = m.case_id "
        "WHERE m.body = 'الشرطة أوقفتني بدون سبب'"
    )
    rows = await app.db.fetchval("SELECT count(*) FROM outbox WHERE subject = ?", (rita,))
    if fail:
        assert person is not None and len(bodies) == 2 and rows > 0
    else:
        assert person is None and len(bodies) == 1 and rows == 0  # only omar's remains


async def test_forget_erases_queued_replies_without_a_person_link(app: App) -> None:
    """A reply handed to the outbox after a rate limit names only the chat; /forget
    still removes it (and whatever names the person as its subject)."""
    rita = await _resident_with_case(app, "rita")
    await app.services.outbox.enqueue(
        Recipient("console", "rita"), Outgoing("ردّ مؤجل: لقد أوقفوك أمام المدرسة"), "reply-1"
    )
    await app.services.outbox.enqueue(
        Recipient("console", "lee"), Outgoing("her words"), "room-1", subject=rita
    )
    resident = Conversation(app, user="rita", platform="console")
    await resident.send("/forget")
    await resident.press_payload("forget.yes")
    keys = {str(row[0]) for row in await app.db.fetch("SELECT dedupe_key FROM outbox")}
    assert not keys & {"reply-1", "room-1"}


# ------------------------------------------------- case threads are opened after the commit

ROOM = "-100777"


class ThreadOpener:
    """A platform's thread opener that answers only when the test lets it."""

    def __init__(self, outcome: str | None) -> None:
        self.outcome = outcome  # the thread id it returns; None: it fails
        self.called = asyncio.Event()
        self.answer = asyncio.Event()

    async def __call__(self, chat_id: str, title: str) -> str | None:
        self.called.set()
        await self.answer.wait()
        if self.outcome is None:
            raise ConnectionError("the platform is down")
        return self.outcome


async def _app_with_room(
    make_app: AppFactory, tmp_path: Path, storage_url: str
) -> tuple[App, RecordingSender]:
    """An app whose config names a Telegram liaison room; delivery is recorded."""
    config = make_config(
        tmp_path,
        LIAISON_STORAGE_URL=storage_url,
        LIAISON_TELEGRAM_TOKEN="123:fake",
        LIAISON_TELEGRAM_LIAISON_CHAT_ID=ROOM,
    )
    app = await make_app(config)
    sender = RecordingSender("telegram")
    app.delivery.register(sender, None)
    return app, sender


def _room_traffic(sender: RecordingSender) -> list[tuple[str | None, str]]:
    return [(r.thread_id, m.text.splitlines()[0]) for r, m in sender.delivered]


async def _opening(app: App, user: str) -> Conversation:
    resident = Conversation(app, user=user, platform="console", language_hint="ar")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    return resident


async def test_a_hanging_thread_blocks_nobody_and_the_card_still_reaches_the_room(
    make_app: AppFactory, tmp_path: Path, storage_url: str
) -> None:
    """While the platform sits on a thread request, other residents are answered; when
    it fails, the card (and what the resident added meanwhile) goes to the room."""
    app, room = await _app_with_room(make_app, tmp_path, storage_url)
    opener = ThreadOpener(outcome=None)
    app.services.thread_openers["telegram"] = opener
    resident = await _opening(app, "rania")
    opening = asyncio.create_task(resident.send("الشرطة أوقفتني بدون سبب"))
    await asyncio.wait_for(opener.called.wait(), 10)
    other = Conversation(app, user="sofia", platform="console", language_hint="es")
    answered = await asyncio.wait_for(other.send("/help"), 10)
    assert answered and not opening.done()
    await asyncio.wait_for(resident.send("كان ذلك أمام المدرسة"), 10)
    assert not opening.done()
    await app.delivery.drain()
    assert _room_traffic(room) == []  # held for the thread, in order
    opener.answer.set()
    await asyncio.wait_for(opening, 10)
    await app.delivery.drain()
    traffic = _room_traffic(room)
    assert [thread for thread, _ in traffic] == [None, None]
    assert traffic[0][1].startswith("New case #") and traffic[1][1].startswith("Case #")


async def test_the_card_and_follow_ups_go_into_the_thread_once_it_opens(
    make_app: AppFactory, tmp_path: Path, storage_url: str
) -> None:
    """Rows held while the thread opens are moved into it, in the order written."""
    app, room = await _app_with_room(make_app, tmp_path, storage_url)
    opener = ThreadOpener(outcome="4242")
    app.services.thread_openers["telegram"] = opener
    resident = await _opening(app, "rania")
    opening = asyncio.create_task(resident.send("الشرطة أوقفتني بدون سبب"))
    await asyncio.wait_for(opener.called.wait(), 10)
    await resident.send("كان ذلك أمام المدرسة")
    opener.answer.set()
    await asyncio.wait_for(opening, 10)
    await resident.send("وكان معي أخي")
    await app.delivery.drain()
    traffic = _room_traffic(room)
    assert [thread for thread, _ in traffic] == ["4242"] * 3
    assert traffic[0][1].startswith("New case #")


async def test_a_crash_after_the_commit_leaves_a_whole_case_whose_card_reaches_the_room(
    make_app: AppFactory,
    tmp_path: Path,
    storage_url: str,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process dies after the case is stored, before any thread: the case is whole,
    and its card goes to the room itself once the wait for a thread is over."""
    app, room = await _app_with_room(make_app, tmp_path, storage_url)
    app.services.thread_openers["telegram"] = ThreadOpener(outcome="4242")

    async def crash(*args: object) -> None:
        raise Crash("after the commit")

    monkeypatch.setattr(rooms.Rooms, "open_threads", crash)
    resident = await _opening(app, "rania")
    await resident.send("الشرطة أوقفتني بدون سبب")
    person = await app.repos.people.find("console", "rania")
    assert person is not None
    case = await app.repos.cases.open_for_person(person.id)
    assert case is not None
    assert len(await app.repos.cases.messages(case.id)) == 1
    await app.delivery.drain()
    assert _room_traffic(room) == []
    clock.advance(seconds=rooms.THREAD_WAIT.total_seconds() + 1)
    await app.delivery.drain()
    assert _room_traffic(room) == [(None, f"New case #{case.id}")]
