"""Staff queries read through indexes (migration 0070); these tests pin down that they
still answer exactly what the old whole-table versions answered.

Timing is the memory benchmark's job; here only the answers (and, on SQLite, that the
planner really takes the index rather than scanning the table) are checked.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

import pytest

from bot.app import App
from handlers.escalation.service import case_stats
from storage.cases import SLA_BATCH, Outcome, SlaStep
from storage.outbox import NewOutboxItem
from tests.support.harness import FakeClock


async def _open_cases(app: App, clock: FakeClock, langs: list[str]) -> list[int]:
    repos = app.repos
    ids = []
    for n, lang in enumerate(langs):
        person = await repos.people.upsert_seen("telegram", f"r{n}", lang, clock())
        case = await repos.cases.open(person.id, f"P{n}", lang, True, None, False, (), clock())
        ids.append(case.id)
        clock.advance(minutes=1)
    return ids


async def test_stats_count_waits_outcomes_and_ratings_like_a_full_pass(
    app: App, clock: FakeClock
) -> None:
    cases = app.repos.cases
    ids = await _open_cases(app, clock, ["en", "ar", "es", "ar", "en", "so"])
    opened = {c: (await cases.get(c)) for c in ids}
    waits_min = [3, 10, 1, 45]
    for case_id, wait in zip(ids, waits_min, strict=False):
        first = opened[case_id]
        assert first is not None
        await cases.mark_first_reply(case_id, first.opened_at + timedelta(minutes=wait))
        # A second reply never moves the first-reply time or the wait.
        await cases.mark_first_reply(case_id, first.opened_at + timedelta(minutes=wait + 99))
    await cases.close(ids[0], Outcome.ANSWERED, None, clock())
    await cases.close(ids[1], Outcome.ANSWERED, None, clock())
    await cases.close(ids[2], Outcome.LEGAL_AID, None, clock())
    await cases.rate(ids[0], 5)
    await cases.rate(ids[1], 2)

    stats = await case_stats(app.services)

    assert (stats.opened, stats.closed) == (6, 3)
    assert stats.first_reply_median_min == pytest.approx(statistics.median(waits_min))
    assert stats.first_reply_p90_min == pytest.approx(45)
    assert stats.outcomes == {"answered": 2, "legal_aid": 1}
    assert stats.satisfaction_mean == pytest.approx(3.5)
    assert stats.per_language == {"en": 2, "ar": 2, "es": 1, "so": 1}


async def test_stats_fill_in_waits_of_cases_answered_before_the_column(
    app: App, clock: FakeClock
) -> None:
    cases = app.repos.cases
    (case_id,) = await _open_cases(app, clock, ["vi"])
    case = await cases.get(case_id)
    assert case is not None
    # As a database from before migration 0070 has it: a reply time and no wait.
    await app.db.execute(
        "UPDATE cases SET first_reply_at = ? WHERE id = ?",
        ((case.opened_at + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), case_id),
    )
    assert (await case_stats(app.services)).first_reply_median_min == pytest.approx(20)
    assert (await case_stats(app.services)).first_reply_p90_min == pytest.approx(20)


async def test_no_cases_no_figures(app: App) -> None:
    stats = await case_stats(app.services)
    assert (stats.opened, stats.first_reply_median_min, stats.satisfaction_mean) == (0, None, None)


async def test_sla_lists_only_cases_still_owed_each_step_oldest_first(
    app: App, clock: FakeClock
) -> None:
    cases = app.repos.cases
    ids = await _open_cases(app, clock, ["en", "ar", "zh_Hans", "fr", "ru"])
    await cases.mark_room_reminded(ids[0], clock())
    await cases.mark_resident_told(ids[1], clock())
    await cases.claim(ids[2], ids[2], clock())
    await cases.close(ids[3], Outcome.WITHDRAWN, None, clock())
    cutoff = clock()

    room = [c.id for c in await cases.unclaimed_since(cutoff, SlaStep.ROOM_REMINDER)]
    resident = [c.id for c in await cases.unclaimed_since(cutoff, SlaStep.RESIDENT_NOTICE)]

    assert room == [ids[1], ids[4]]
    assert resident == [ids[0], ids[4]]
    # Not yet overdue: opened after the cutoff.
    early = clock() - timedelta(minutes=3)
    assert [c.id for c in await cases.unclaimed_since(early, SlaStep.ROOM_REMINDER)] == [ids[1]]


async def test_sla_takes_a_bounded_batch_and_the_rest_next_time(app: App, clock: FakeClock) -> None:
    cases = app.repos.cases
    ids = await _open_cases(app, clock, ["en"] * (SLA_BATCH + 3))
    first = await cases.unclaimed_since(clock(), SlaStep.ROOM_REMINDER)
    assert [c.id for c in first] == ids[:SLA_BATCH]
    for case in first:
        await cases.mark_room_reminded(case.id, clock())
    rest = await cases.unclaimed_since(clock(), SlaStep.ROOM_REMINDER)
    assert [c.id for c in rest] == ids[SLA_BATCH:]


async def test_forget_removes_the_persons_queued_rows_and_keeps_everyone_elses(
    app: App, clock: FakeClock
) -> None:
    repos = app.repos
    leaving = await repos.people.upsert_seen("telegram", "leaving", "ar", clock())
    staying = await repos.people.upsert_seen("telegram", "staying", "es", clock())
    liaison = await repos.people.upsert_seen("telegram", "liaison", "en", clock())
    case = await repos.cases.open(leaving.id, "P", "ar", True, None, False, (), clock())
    await repos.cases.claim(case.id, liaison.id, clock())

    def row(key: str, person: int | None, subject: int | None = None) -> NewOutboxItem:
        return NewOutboxItem(key, "telegram", key, "{}", clock(), None, person, None, None, subject)

    await repos.outbox.add_many(
        [
            row("reply-leaving", leaving.id),
            row("room-copy", None, leaving.id),  # their words in a liaison room
            row("reply-staying", staying.id),
            row("room-other", None, staying.id),
        ],
        clock(),
    )
    await repos.privacy.erase_person(leaving.id)

    left = await app.db.fetch("SELECT dedupe_key FROM outbox ORDER BY dedupe_key")
    assert [str(r[0]) for r in left] == ["reply-staying", "room-other"]
    kept = await repos.cases.get(case.id)
    assert kept is not None and kept.person_id is None and kept.claimed_by == liaison.id


async def test_retention_deletes_old_finished_rows_only(app: App, clock: FakeClock) -> None:
    repos = app.repos
    old = clock()
    await repos.outbox.add_many(
        [
            NewOutboxItem(k, "telegram", k, "{}", old)
            for k in ("old-sent", "old-pending", "old-failed")
        ],
        old,
    )
    clock.advance(days=40)
    await repos.outbox.add(NewOutboxItem("new-sent", "telegram", "n", "{}", clock()), clock())
    await app.db.execute(
        "UPDATE outbox SET status = 'sent' WHERE dedupe_key IN ('old-sent', 'new-sent')"
    )
    await app.db.execute("UPDATE outbox SET status = 'failed' WHERE dedupe_key = 'old-failed'")
    cutoff = clock() - timedelta(days=30)

    counts = await repos.privacy.apply_retention(cutoff, cutoff, cutoff, cutoff)

    left = await app.db.fetch("SELECT dedupe_key FROM outbox ORDER BY dedupe_key")
    assert counts.outbox_rows_deleted == 2
    assert [str(r[0]) for r in left] == ["new-sent", "old-pending"]


PLANS = {
    "stats": (
        "SELECT lang, status, outcome, satisfaction, COUNT(*) FROM cases "
        "GROUP BY lang, status, outcome, satisfaction",
        (),
        "cases_stats",
    ),
    "median": (
        "SELECT first_reply_wait_s FROM cases WHERE first_reply_wait_s IS NOT NULL "
        "ORDER BY first_reply_wait_s LIMIT 1 OFFSET 0",
        (),
        "cases_first_reply_wait",
    ),
    "sla": (
        "SELECT id FROM cases WHERE status = 'open' AND claimed_by IS NULL AND "
        "room_reminded_at IS NULL AND opened_at <= ? ORDER BY opened_at LIMIT 5",
        ("9",),
        "cases_owed_room_reminder",
    ),
    "forget": (
        "DELETE FROM outbox WHERE subject = ? OR person_id = ? OR (platform, chat_id) "
        "IN (SELECT platform, platform_user_id FROM people WHERE id = ?)",
        (1, 1, 1),
        "outbox_person",
    ),
    "retention": (
        "DELETE FROM outbox WHERE status <> 'pending' AND created_at < ?",
        ("9",),
        "outbox_finished",
    ),
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("query", sorted(PLANS))
async def test_sqlite_answers_staff_queries_from_their_index(app: App, query: str) -> None:
    sql, params, index = PLANS[query]
    plan = [str(r[-1]) for r in await app.db.fetch(f"EXPLAIN QUERY PLAN {sql}", params)]
    assert any(index in step for step in plan), plan
    assert not any(step.startswith("SCAN") and "INDEX" not in step for step in plan), plan
