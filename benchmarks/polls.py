"""Poll answering under load, and the cost of computing results.

10,000 distinct people answer one poll concurrently through the real dispatcher and SQLite
storage, then 2,000 of them change their answer. Every answer must be counted exactly once
(the last one). Then 100,000 responses are stored and the results computed.

    python benchmarks/polls.py

Last line: {"lost": …, "double_counted": …, "answers_per_s": …, "results_ms_100k": …}
"""

from __future__ import annotations

import asyncio
import json
import random
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.app import App, build_app
from bot.config import load_config
from bot.core.events import EventKind, Incoming, Outgoing
from handlers.polls.service import Polls
from storage.polls import Poll

PEOPLE = 10_000
CHANGERS = 2_000
CONCURRENCY = 200
LARGE = 100_000


async def main() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        config = load_config(
            None,
            env={
                "LIAISON_STORAGE_PATH": str(Path(folder) / "bench.db"),
                "LIAISON_PRIVACY_HASH_KEY_PATH": str(Path(folder) / "bench.key"),
                # Thousands of answers from one machine are not a flood here.
                "LIAISON_ABUSE_FLOOD_MESSAGES": "10000",
            },
        )
        app = await build_app(config)
        try:
            return await run(app)
        finally:
            await app.close()


async def run(app: App) -> dict[str, float]:
    services = app.services
    now = services.clock()
    poll = await app.repos.polls.create(
        Poll(0, "T1", now - timedelta(minutes=1), now + timedelta(days=7)), None
    )
    rng = random.Random(7)
    final: dict[int, int] = {}
    gate = asyncio.Semaphore(CONCURRENCY)

    async def ignore(_: Outgoing) -> None:
        return None

    async def answer(person: int, value: int) -> None:
        event = Incoming(
            "bench", str(person), str(person), EventKind.BUTTON, payload=f"poll.a|{poll.id}:{value}"
        )
        async with gate:
            await app.dispatcher.feed(event, ignore)
        final[person] = value

    started = time.perf_counter()
    await asyncio.gather(*(answer(p, rng.randint(0, 10)) for p in range(PEOPLE)))
    changers = rng.sample(range(PEOPLE), CHANGERS)
    await asyncio.gather(*(answer(p, (final[p] + 1) % 11) for p in changers))
    elapsed = time.perf_counter() - started

    responses = await app.repos.polls.responses(poll.id)
    stored = sum(r.count for r in responses)
    expected: dict[int, int] = {}
    for value in final.values():
        expected[value] = expected.get(value, 0) + 1
    counted = {r.answer: r.count for r in responses if r.answer is not None}
    lost = max(0, PEOPLE - stored)
    double = (
        max(0, stored - PEOPLE) + sum(abs(counted.get(v, 0) - n) for v, n in expected.items()) // 2
    )

    large = await app.repos.polls.create(
        Poll(0, "T1", now - timedelta(minutes=1), now + timedelta(days=7)), None
    )
    rows = [
        (
            large.id,
            f"h{i}",
            rng.randint(0, 10),
            rng.choice(["en", "es", "zh_Hans"]),
            rng.choice(["north", "south", None]),
        )
        for i in range(LARGE)
    ]
    async with app.db.transaction():
        await app.db.executemany(
            "INSERT INTO poll_responses (poll_id, voter_hash, answer, lang, neighborhood) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        results = await services.feature(Polls).results(large)
        timings.append((time.perf_counter() - began) * 1000)
    assert results.n_answered == LARGE
    figures = {
        "lost": float(lost),
        "double_counted": float(double),
        "answers_per_s": round((PEOPLE + CHANGERS) / elapsed, 1),
        "results_ms_100k": round(sorted(timings)[len(timings) // 2], 2),
    }
    print(
        f"{PEOPLE} people + {CHANGERS} changes in {elapsed:.2f} s "
        f"({figures['answers_per_s']} answers/s); lost {lost}, double-counted {double}"
    )
    print(f"results for {LARGE} responses: {figures['results_ms_100k']} ms (median of 5)")
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
