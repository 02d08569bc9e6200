"""Resident memory and cold start of the bot process.

Each figure comes from a fresh child process (this file run with `--child`), so nothing
this benchmark imports itself is counted:

1. After start: the app built exactly as `liaison run` builds it (configuration, logging,
   storage, all ten languages' catalogs and knowledge content, the search index) and the
   Telegram and Discord adapters constructed (both tokens set; nothing is contacted).
   RSS is VmRSS from /proc/self/status. Cold start is the wall time from spawning the
   process to the child reporting the app ready; the median of three starts.
2. Loaded: the same start on a database holding 100,000 people, 1,000 meetings and 100
   polls, the open one with 100,000 answers and each earlier one with 1,000 (written with
   executemany), then the load of a busy day through the real dispatcher: 100,000 new
   residents each send /start (people table, flood guard, welcome menu), 200 at a time,
   and typical reads: a resident's /meetings, the results of the 100,000-answer poll, and
   knowledge answers in several languages. RSS afterwards is `rss_loaded_mb` and
   `rss_after_100k_writers_mb` (the flood guard forgets people idle past its window);
   then an organizer's results chart of that poll is drawn (matplotlib is loaded only
   for that) and RSS is `rss_loaded_chart_mb`. The same database holds 100,000 cases:
   `cases_stats_ms_100k` is the wall time of the statistics behind `liaison cases stats`
   (median of three), and the SLA check's time is printed too.
3. Cold start on a slow network: `liaison run` as a real process against the fake Bot API
   (tests/fakes/telegram_api.py) answering every call after 100 ms; the seconds from
   spawning the process to the fake receiving the first getUpdates are
   `cold_start_100ms_rtt_s` (median of three).

Each series first starts once with an empty search-index cache (the first start after
installing or changing content builds the index and stores it): those starts are
`cold_start_first_s` and `cold_start_100ms_rtt_first_s`; the medians are of the starts
after it, which load the index as every later start does.

    python benchmarks/memory.py

Last line: {"rss_start_mb": …, "rss_loaded_mb": …, "rss_loaded_chart_mb": …, "cold_start_s": …,
            "rss_after_100k_writers_mb": …, "cases_stats_ms_100k": …,
            "cold_start_100ms_rtt_s": …, "cold_start_first_s": …,
            "cold_start_100ms_rtt_first_s": …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = 100_000
SUBSCRIBERS = 60_000
MEETINGS = 1_000
POLLS = 100
# The open poll's answers (its results and chart are what the loaded process reads) and
# each earlier wave's.
RESPONSES = 100_000
EARLIER_RESPONSES = 1_000
COLD_STARTS = 3
CASES = 100_000
WRITERS = 100_000
WRITERS_AT_ONCE = 200
RTT_S = 0.1
QUESTIONS = (
    ("en", "Can the police search my phone?"),
    ("es", "¿Cómo presento una queja contra un policía?"),
    ("ar", "ما هي حقوقي إذا تم القبض علي؟"),
    ("zh_Hans", "警察可以搜查我的车吗？"),
    ("so", "Sidee baan u gudbin karaa cabasho?"),
)
LOCALES = ("en", "es", "fr", "ar", "zh_Hans", "vi", "ht", "ru", "pt", "so")


def rss_mb(field: str = "VmRSS") -> float:
    """A memory figure of this process from /proc/self/status, in MB (no psutil needed)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


# ---------------------------------------------------------------- the child process


async def child(mode: str) -> dict[str, Any]:
    """Build the app as `liaison run` does; in `loaded` mode also serve typical reads."""
    from bot.app import build_app
    from bot.config import load_config
    from bot.logging_setup import configure_logging
    from bot.runner import configured_adapters

    config = load_config(None)
    configure_logging(config.logging.level, config.secrets())
    app = await build_app(config)
    try:
        adapters = configured_adapters(app)  # imports and constructs both adapters
        figures: dict[str, Any] = {
            "ready_at": time.time(),
            "adapters": [a.platform for a in adapters],
            "rss_mb": rss_mb(),
        }
        if mode == "loaded":
            figures.update(await distinct_writers(app))
            figures.update(await typical_reads(app))
            figures.update(await staff_queries(app))
        return figures
    finally:
        await app.close()


async def typical_reads(app: Any) -> dict[str, Any]:
    """A resident's /meetings, a poll's results, knowledge answers; then a results chart."""
    from bot.core.events import EventKind, Incoming, Outgoing
    from handlers.polls.service import Polls

    replies: list[Outgoing] = []

    async def collect(message: Outgoing) -> None:
        replies.append(message)

    resident = str(PEOPLE // 2)
    await app.dispatcher.feed(
        Incoming("telegram", resident, resident, EventKind.COMMAND, command="meetings"), collect
    )
    meetings_listed = len(replies)
    poll = await app.repos.polls.get(POLLS)
    assert poll is not None
    results = await app.services.feature(Polls).results(poll)
    for lang, question in QUESTIONS:
        event = Incoming(
            "telegram", resident, resident, EventKind.TEXT, text=question, language_hint=lang
        )
        await app.dispatcher.feed(event, collect)
    loaded = rss_mb()
    translator = app.services.languages.translator("en")
    shown = await app.services.feature(Polls).results_messages(translator, poll, ZoneInfo("UTC"))
    chart = shown[-1]
    return {
        "meetings_listed": meetings_listed,
        "poll_answered": results.n_answered,
        "replies": len(replies),
        "rss_mb": loaded,
        "rss_chart_mb": rss_mb(),
        "chart_bytes": len(chart.attachment.data) if chart.attachment else 0,
        "hwm_mb": rss_mb("VmHWM"),
    }


async def staff_queries(app: Any) -> dict[str, Any]:
    """`liaison cases stats` and the minute SLA check over the 100,000 stored cases."""
    from handlers.escalation.service import case_stats
    from handlers.escalation.sla import check_sla

    stats_ms = []
    for _ in range(3):
        began = time.perf_counter()
        stats = await case_stats(app.services)
        stats_ms.append(1000 * (time.perf_counter() - began))
    sla_ms = []
    for _ in range(3):
        began = time.perf_counter()
        await check_sla(app.services)
        sla_ms.append(1000 * (time.perf_counter() - began))
    return {
        "cases_counted": stats.opened,
        "stats_ms": statistics.median(stats_ms),
        "sla_ms": statistics.median(sla_ms),
    }


async def distinct_writers(app: Any) -> dict[str, Any]:
    """WRITERS new residents, each sending /start (a Telegram chat's first message) through
    the dispatcher as a platform feeds it: person created, flood guard, welcome menu."""
    from bot.core.events import EventKind, Incoming, Outgoing

    async def ignore(message: Outgoing) -> None:
        del message

    async def write(n: int) -> None:
        user = f"w{n}"
        await app.dispatcher.feed(
            Incoming(
                "telegram", user, user, EventKind.COMMAND, command="start", language_hint="en"
            ),
            ignore,
        )

    began = time.perf_counter()
    for start in range(0, WRITERS, WRITERS_AT_ONCE):
        await asyncio.gather(*(write(n) for n in range(start, start + WRITERS_AT_ONCE)))
    return {
        "writers": WRITERS,
        "writers_s": time.perf_counter() - began,
        "rss_writers_mb": rss_mb(),
    }


# ---------------------------------------------------------------- the parent


def spawn(mode: str, folder: Path, cache: Path) -> tuple[dict[str, Any], float]:
    """Run a child; its figures and the seconds from spawn to the app being ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(
        LIAISON_KNOWLEDGE_CACHE_PATH=str(cache),
        LIAISON_STORAGE_PATH=str(folder / "liaison.db"),
        LIAISON_PRIVACY_HASH_KEY_PATH=str(folder / "liaison.key"),
        LIAISON_TELEGRAM_TOKEN="123456:TEST-fake-bot-token",
        LIAISON_TELEGRAM_API_BASE_URL="http://127.0.0.1:9/bot",
        LIAISON_TELEGRAM_API_FILE_URL="http://127.0.0.1:9/file/bot",
        LIAISON_DISCORD_TOKEN="fake-discord-token",
        LIAISON_DISCORD_API_BASE_URL="http://127.0.0.1:9/api/v10",
        LIAISON_LOGGING_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    began = time.time()
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures, figures["ready_at"] - began


def populate(database: Path) -> None:
    """Migrate through the app's own code, then bulk-insert the large tables."""
    from storage.database import open_database
    from storage.timestamps import to_db

    async def migrate() -> None:
        db = await open_database(f"sqlite:///{database}")
        await db.close()

    asyncio.run(migrate())
    rng = random.Random(5)
    now = datetime.now(UTC)
    stamp = to_db(now)
    with sqlite3.connect(database) as db:
        db.executemany(
            "INSERT INTO people (id, platform, platform_user_id, locale, created_at, "
            "last_seen_at) VALUES (?, 'telegram', ?, ?, ?, ?)",
            ((i, str(i), rng.choice(LOCALES), stamp, stamp) for i in range(1, PEOPLE + 1)),
        )
        db.executemany(
            "INSERT INTO subscribers (person_id, subscribed_at) VALUES (?, ?)",
            ((i, stamp) for i in rng.sample(range(1, PEOPLE + 1), SUBSCRIBERS)),
        )
        db.executemany(
            "INSERT INTO meetings (title, description, place, starts_at, timezone, created_at) "
            "VALUES (?, ?, ?, ?, 'America/New_York', ?)",
            meetings(now),
        )
        db.executemany(
            "INSERT INTO polls (id, template, opens_at, closes_at, status, wave) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    p,
                    ("T1", "T2", "T3")[p % 3],
                    to_db(now - timedelta(days=7 * (POLLS - p) + 7)),
                    to_db(now - timedelta(days=7 * (POLLS - p))),
                    "closed" if p < POLLS else "open",
                    p // 3 + 1,
                )
                for p in range(1, POLLS + 1)
            ),
        )
        db.executemany(
            "INSERT INTO cases (person_id, status, pseudonym, lang, opened_at, claimed_by, "
            "first_reply_at, first_reply_wait_s, room_reminded_at, resident_told_at, "
            "closed_at, outcome, satisfaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cases(rng, now),
        )
        answers = [(p, EARLIER_RESPONSES) for p in range(1, POLLS)] + [(POLLS, RESPONSES)]
        db.executemany(
            "INSERT INTO poll_responses (poll_id, voter_hash, answer, lang, neighborhood) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                (
                    poll,
                    f"{poll:08x}{i:032x}",
                    rng.randint(0, 10),
                    rng.choice(LOCALES),
                    rng.choice(("north", "south", "east", None)),
                )
                for poll, count in answers
                for i in range(count)
            ),
        )


def cases(rng: random.Random, now: datetime) -> Iterator[tuple[Any, ...]]:
    """Two years of cases: most closed and rated, a few hundred open, some of those
    overdue and already reminded (what the minute SLA check must step over)."""
    from storage.timestamps import to_db

    for i in range(CASES):
        opened = now - timedelta(minutes=(CASES - i) * 10)
        wait = rng.randint(60, 3 * 86_400)
        is_open = i >= CASES - 300
        answered = not is_open or i % 3 == 0
        overdue = is_open and not answered
        yield (
            1 + i % PEOPLE,
            "open" if is_open else "closed",
            f"Case-{i}",
            rng.choice(LOCALES),
            to_db(opened),
            None if overdue else 1,
            to_db(opened + timedelta(seconds=wait)) if answered else None,
            wait if answered else None,
            to_db(now) if overdue else None,
            to_db(now) if overdue else None,
            None if is_open else to_db(opened + timedelta(days=3)),
            None if is_open else rng.choice(("answered", "oversight", "legal_aid", "other")),
            None if is_open or i % 4 else rng.randint(1, 5),
        )


def meetings(now: datetime) -> Iterator[tuple[str, str, str, str, str]]:
    """A year and a half of meetings, a few still to come."""
    from storage.timestamps import to_db

    for i in range(MEETINGS):
        starts = now + timedelta(days=(i - MEETINGS + 30) * 0.5)
        yield (
            f"Neighbourhood meeting {i}",
            "Safety, complaints and questions for the district commander.",
            f"Community centre {i % 12}",
            to_db(starts),
            to_db(now),
        )


async def cold_start_on_slow_network(folder: Path, cache: Path) -> tuple[float, float]:
    """Seconds from spawning `liaison run` to the fake Bot API receiving its first call,
    and to its first getUpdates, every call answered after RTT_S (as over a network).
    `cache` is the search index's cache folder (empty: the index is built first)."""
    from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI

    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    async with FakeTelegramAPI(delay_s=RTT_S) as api:
        env.update(
            LIAISON_KNOWLEDGE_CACHE_PATH=str(cache),
            LIAISON_STORAGE_PATH=str(folder / "liaison.db"),
            LIAISON_PRIVACY_HASH_KEY_PATH=str(folder / "liaison.key"),
            LIAISON_TELEGRAM_TOKEN=TOKEN,
            LIAISON_TELEGRAM_API_BASE_URL=api.base_url,
            LIAISON_TELEGRAM_API_FILE_URL=api.file_url,
            LIAISON_TELEGRAM_LIAISON_CHAT_ID="-100200300",  # start-up checks the room
            LIAISON_LOGGING_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        loop = asyncio.get_running_loop()
        with (folder / "bot.log").open("ab") as log:
            began = loop.time()
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=folder, env=env, stdout=log, stderr=log
            )
        try:
            while not api.attempts("getUpdates"):
                if bot.returncode is not None or loop.time() - began > 60:
                    raise RuntimeError((folder / "bot.log").read_text()[-2000:])
                await asyncio.sleep(0.005)
            return api.calls[0].at - began, api.attempts("getUpdates")[0].at - began
        finally:
            if bot.returncode is None:
                bot.terminate()
            await bot.wait()


def main() -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="liaison-memory-") as tmp:
        empty, full = Path(tmp) / "empty", Path(tmp) / "full"
        empty.mkdir()
        full.mkdir()
        # The first start after installing (or changing content) builds the search index
        # and caches it; the starts measured after it load it, as every later start does.
        cache = Path(tmp) / "cache"
        _, first = spawn("start", empty, cache)
        starts = [spawn("start", empty, cache) for _ in range(COLD_STARTS)]
        cold = statistics.median(seconds for _, seconds in starts)
        started = statistics.median(figures["rss_mb"] for figures, _ in starts)
        print(
            f"after start ({', '.join(starts[0][0]['adapters'])} adapters, 10 languages): "
            f"RSS {started:.1f} MB; cold start {cold:.2f} s "
            f"(starts: {', '.join(f'{s:.2f}' for _, s in starts)} s; the first, building "
            f"the search index: {first:.2f} s)"
        )
        began = time.perf_counter()
        populate(full / "liaison.db")
        print(
            f"populated {PEOPLE} people, {CASES} cases, {MEETINGS} meetings, {POLLS} polls "
            f"(the open one with {RESPONSES} answers) in {time.perf_counter() - began:.1f} s "
            f"({(full / 'liaison.db').stat().st_size / 2**20:.0f} MB file)"
        )
        _, slow_first = asyncio.run(cold_start_on_slow_network(empty, Path(tmp) / "cache2"))
        runs = [
            asyncio.run(cold_start_on_slow_network(empty, Path(tmp) / "cache2"))
            for _ in range(COLD_STARTS)
        ]
        slow = [polling for _, polling in runs]
        print(
            f"cold start to the first getUpdates at {1000 * RTT_S:.0f} ms per Bot API round "
            f"trip: {statistics.median(slow):.2f} s (starts: "
            f"{', '.join(f'{s:.2f}' for s in slow)} s; of which before the first API call: "
            f"{', '.join(f'{first:.2f}' for first, _ in runs)} s; the first, building the "
            f"search index: {slow_first:.2f} s)"
        )
        loaded, _ = spawn("loaded", full, cache)
        print(
            f"loaded: {loaded['writers']} new residents, one /start each, in "
            f"{loaded['writers_s']:.0f} s: RSS {loaded['rss_writers_mb']:.1f} MB; "
            f"{loaded['rss_mb']:.1f} MB after also /meetings ({loaded['meetings_listed']} "
            f"listed), the open poll's results ({loaded['poll_answered']} answers) and "
            f"{len(QUESTIONS)} knowledge answers; {loaded['rss_chart_mb']:.1f} MB after "
            f"drawing its results chart (peak {loaded['hwm_mb']:.1f} MB)"
        )
        print(
            f"staff queries over {loaded['cases_counted']} cases: cases stats "
            f"{loaded['stats_ms']:.1f} ms, SLA check {loaded['sla_ms']:.1f} ms (medians of 3)"
        )
    return {
        "rss_start_mb": round(started, 1),
        "rss_loaded_mb": round(loaded["rss_mb"], 1),
        "rss_loaded_chart_mb": round(loaded["rss_chart_mb"], 1),
        "cold_start_s": round(cold, 2),
        "rss_after_100k_writers_mb": round(loaded["rss_writers_mb"], 1),
        "cases_stats_ms_100k": round(loaded["stats_ms"], 1),
        "cold_start_100ms_rtt_s": round(statistics.median(slow), 2),
        "cold_start_first_s": round(first, 2),
        "cold_start_100ms_rtt_first_s": round(slow_first, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", choices=["start", "loaded"], help=argparse.SUPPRESS)
    chosen = parser.parse_args().child
    print(json.dumps(asyncio.run(child(chosen)) if chosen else main()))
