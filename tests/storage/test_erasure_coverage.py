"""/forget against the schema itself: every column that points at a person, found by
reading the database's own catalogue on each backend, holds nothing of the erased person.
A table added later with a person column is checked without this test changing."""

from __future__ import annotations

from bot.app import App
from bot.core.people import Role
from storage.database import Database
from tests.support.harness import Conversation, FakeClock, staff_member
from tests.support.meetings import BEFORE_DST_END, create_meeting

# Columns that name a person without a foreign key (queued messages about them).
PERSON_COLUMNS_BY_NAME = ("person_id", "subject")


async def person_columns(db: Database) -> set[tuple[str, str]]:
    """(table, column) pairs that hold a people.id: by foreign key, or by name."""
    if db.dialect == "sqlite":
        tables = [
            str(row[0])
            for row in await db.fetch(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        found: set[tuple[str, str]] = set()
        for table in tables:
            for key in await db.fetch(f"PRAGMA foreign_key_list('{table}')"):
                if key[2] == "people":
                    found.add((table, str(key[3])))
            for column in await db.fetch(f"PRAGMA table_info('{table}')"):
                if column[1] in PERSON_COLUMNS_BY_NAME:
                    found.add((table, str(column[1])))
        return found
    keys = await db.fetch(
        "SELECT kcu.table_name, kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu ON tc.constraint_name = "
        "kcu.constraint_name AND tc.table_schema = kcu.table_schema "
        "JOIN information_schema.constraint_column_usage ccu ON tc.constraint_name = "
        "ccu.constraint_name AND tc.table_schema = ccu.table_schema "
        "WHERE tc.constraint_type = 'FOREIGN KEY' AND ccu.table_name = 'people' "
        "AND tc.table_schema = current_schema()"
    )
    named = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND column_name IN ('person_id', 'subject')"
    )
    return {(str(row[0]), str(row[1])) for row in [*keys, *named]}


async def _referencing(db: Database, columns: set[tuple[str, str]], person_id: int) -> set[str]:
    held = set()
    for table, column in sorted(columns):
        if await db.fetchval(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (person_id,)):
            held.add(f"{table}.{column}")
    return held


async def test_forget_leaves_no_person_column_pointing_at_the_person(
    app: App, clock: FakeClock
) -> None:
    """A resident who subscribed, read topics, answered a meeting, opened a case and got an
    answer is referenced from many tables; after /forget, from none."""
    clock.now = BEFORE_DST_END
    organizer, _ = await staff_member(app, "olga", Role.ORGANIZER)
    liaison, _ = await staff_member(app, "lia", Role.LIAISON)
    await create_meeting(organizer)
    nadia = Conversation(app, user="nadia", platform="console", language_hint="ar")
    await nadia.send("/subscribe")
    await nadia.send("Can the police search my phone?")
    await nadia.press_payload("mtg.rsvp|1:going")
    await nadia.send("/human")
    await nadia.press_payload("esc.anon")
    await nadia.send("They took my phone at the stop.")
    await liaison.send("/reply 1 We are looking into it.")
    found = await app.repos.people.find("console", "nadia")
    assert found is not None

    columns = await person_columns(app.db)
    assert ("cases", "person_id") in columns and ("outbox", "subject") in columns
    before = await _referencing(app.db, columns, found.id)
    assert {"cases.person_id", "subscribers.person_id", "topic_views.person_id"} <= before
    assert len(before) >= 5, before

    await nadia.send("/forget")
    await nadia.press_payload("forget.yes")
    assert await _referencing(app.db, columns, found.id) == set()
    assert await app.repos.people.find("console", "nadia") is None
