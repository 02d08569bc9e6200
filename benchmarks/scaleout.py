"""Two bot instances on one PostgreSQL database deliver a 10,000-subscriber announcement;
one is SIGKILLed half-way and the other takes its work over.

Both instances are the real bot (`python -m bot run`, separate processes) talking to the
local fake Bot API served by this process, which enforces Telegram-shaped flood limits
(default 300 sends/s overall, 1/s per private chat) and answers 429 beyond them. The
instances lease each chat's rows before sending (no row goes out twice, chats stay in
order) and share the global rate through presence leases (each paces at the limit divided
by the live instances). When one is killed, its presence lapses within seconds (the
survivor speeds up to the whole rate) and its leased chats are taken over when their
leases run out.

The database is a fresh one on the PostgreSQL server (`--server`, default
postgresql://postgres@127.0.0.1:5432), created for the run and dropped after it, with
10,000 subscribers and one meeting. The announcement is queued as an organizer's Publish
does (`Meetings.announce`) once both instances are up, as it would be in service.

The first instance is started alone until it long-polls, so it is the leader (the one
instance that polls Telegram), and it is the one killed: the survivor must take over the
polling as well as the delivery.

Figures: delivered (distinct subscribers reached), duplicates (subscribers reached more
than once: a send the fake answered but the killed instance had not recorded as sent),
lost, rate_ratio (sends/s from first to last ÷ the enforced rate, the takeover included),
takeover_s (from the kill until every row the killed instance held was delivered by
the survivor), poll_takeover_s (from the kill until the survivor's first getUpdates) and
cpu_ms_per_send (both processes' CPU over the sends: the cost, steadier than the rate on
a busy machine).

    python benchmarks/scaleout.py [--subscribers N] [--rate R] [--server URL] [--budget S]

Last line: {"instances": 2, "delivered": …, "duplicates": …, "lost": …,
            "rate_ratio": …, "takeover_s": …, "poll_takeover_s": …, "cpu_ms_per_send": …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.fakes is not part of the installed package

from benchmarks.child_process import ChildProcess  # noqa: E402
from benchmarks.shared import (  # noqa: E402
    NO_QUIET_HOURS,
    Deliveries,
    add_subscribers,
    bot_env,
    meeting_day,
)
from bot.app import build_app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.outbox import INSTANCE_PREFIX  # noqa: E402
from handlers.meetings.service import Meetings  # noqa: E402
from storage.meetings import Meeting  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, RateLimits  # noqa: E402

SUBSCRIBERS = 10_000
INSTANCES = 2
KILL_AT = 0.5
SETTLE_S = 3.0
POLL_S = 0.05
BUDGET_S = 180.0
SERVER = "postgresql://postgres@127.0.0.1:5432"


def settings(folder: Path, url: str) -> dict[str, str]:
    return {
        "LIAISON_STORAGE_URL": url,
        "LIAISON_PRIVACY_HASH_KEY_PATH": str(folder / "liaison.key"),
        "LIAISON_MEETINGS_QUIET_START": NO_QUIET_HOURS,
        "LIAISON_MEETINGS_QUIET_END": NO_QUIET_HOURS,
    }


async def prepare(folder: Path, url: str, subscribers: int) -> Meeting:
    """Subscribers and the meeting to announce, in the fresh database."""
    app = await build_app(load_config(None, env=settings(folder, url)))
    try:
        now = app.services.clock()
        await add_subscribers(app.db, subscribers, now)
        return await app.repos.meetings.create(
            Meeting(
                0,
                "Community safety meeting",
                "Meet the district commander and the civilian oversight board.",
                "Central Library, 12 Main St",
                "",
                meeting_day(now),
                app.services.config.bot.timezone,
                (),
                (1440, 60),
            ),
            None,
            now,
        )
    finally:
        await app.close()


async def announce_to_running_instances(
    folder: Path, url: str, meeting: Meeting, subscribers: int, deadline: float
) -> float:
    """Once both instances are up (each renews its presence), queue the announcement as an
    organizer's Publish does; seconds the queueing took."""
    app = await build_app(load_config(None, env=settings(folder, url)))
    try:
        while await app.repos.leases.holders(INSTANCE_PREFIX, app.services.clock()) < INSTANCES:
            if time.monotonic() > deadline:
                raise RuntimeError("the instances never both came up")
            await asyncio.sleep(POLL_S)
        started = time.perf_counter()
        queued = await app.services.feature(Meetings).announce(meeting)
        assert queued == subscribers, f"announce queued {queued}"
        return time.perf_counter() - started
    finally:
        await app.close()


def instance(
    folder: Path, url: str, api: FakeTelegramAPI, limits: RateLimits, n: int
) -> ChildProcess:
    env = bot_env(settings(folder, url), api, limits)
    return ChildProcess([sys.executable, "-m", "bot", "run"], env, folder, f"bot{n}.log")


async def leading(api: FakeTelegramAPI, bot: ChildProcess, deadline: float) -> None:
    """Until the instance started alone polls: it holds the leadership."""
    while not any(call.method == "getUpdates" for call in api.calls):
        if time.monotonic() > deadline:
            raise RuntimeError("the first instance never started polling")
        bot.check_alive()
        await asyncio.sleep(POLL_S)


async def orphaned_rows(url: str, pid: int) -> list[int]:
    """Pending rows the instance with this pid held when it died."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT id FROM outbox WHERE status = 'pending' AND leased_by LIKE $1",
            f"%:{pid}:%",
        )
    finally:
        await conn.close()
    return [int(row["id"]) for row in rows]


async def all_sent(url: str, ids: list[int]) -> bool:
    conn = await asyncpg.connect(url)
    try:
        left = await conn.fetchval(
            "SELECT COUNT(*) FROM outbox WHERE id = ANY($1::int[]) AND status = 'pending'", ids
        )
    finally:
        await conn.close()
    return int(left) == 0


async def run(
    folder: Path,
    url: str,
    limits: RateLimits,
    meeting: Meeting,
    subscribers: int,
    deadline: float,
) -> dict[str, float]:
    async with FakeTelegramAPI(rate_limits=limits) as api:
        bots = [instance(folder, url, api, limits, n) for n in range(INSTANCES)]
        deliveries = Deliveries(api)
        victim, survivor = bots
        await victim.start()
        await leading(api, victim, deadline)
        await survivor.start()
        try:
            seconds = await announce_to_running_instances(
                folder, url, meeting, subscribers, deadline
            )
            print(f"announce: {subscribers} subscribers queued on PostgreSQL in {seconds:.1f} s")
            while deliveries.reached < subscribers * KILL_AT:
                if time.monotonic() > deadline:
                    raise RuntimeError("the instances never got half-way")
                for bot in bots:
                    bot.check_alive()
                deliveries.refresh()
                await asyncio.sleep(POLL_S)
            assert victim.process is not None
            pid = victim.process.pid
            victim_cpu = victim.cpu_seconds()
            await victim.kill()
            killed_at = time.monotonic()
            deliveries.refresh()
            print(f"killed instance 1 (pid {pid}) after {deliveries.reached} subscribers reached")
            orphans = await orphaned_rows(url, pid)
            takeover = 0.0
            taken = not orphans
            while time.monotonic() < deadline:
                deliveries.refresh()
                if not taken and await all_sent(url, orphans):
                    takeover, taken = time.monotonic() - killed_at, True
                if taken and deliveries.reached >= subscribers:
                    break
                survivor.check_alive()
                await asyncio.sleep(POLL_S * 4)
            await asyncio.sleep(SETTLE_S)
            deliveries.refresh()
            cpu = victim_cpu + survivor.cpu_seconds()
            polled = [c.at for c in api.calls if c.method == "getUpdates" and c.at > killed_at]
        finally:
            for bot in bots:
                await bot.stop()
        rate = deliveries.rate()
        print(
            f"{len(orphans)} rows were leased to the killed instance; "
            + (
                f"all delivered by the survivor {takeover:.1f} s after the kill"
                if taken
                else "not all taken over in time"
            )
        )
        print(
            f"{deliveries.reached}/{subscribers} subscribers reached, "
            f"{deliveries.duplicates} twice, {api.rate_limited} answers 429; "
            f"{rate:.1f} sends/s against {limits.global_per_s:g}/s enforced"
        )
        poll_takeover = min(polled) - killed_at if polled else -1.0
        cpu_ms = 1000 * cpu / max(len(deliveries.times), 1)
        print(
            f"the survivor polled {poll_takeover:.1f} s after the kill; "
            f"{cpu_ms:.2f} ms of CPU per send (both instances)"
        )
        return {
            "instances": INSTANCES,
            "delivered": deliveries.reached,
            "duplicates": deliveries.duplicates,
            "lost": subscribers - deliveries.reached,
            "rate_ratio": round(rate / limits.global_per_s, 3),
            "takeover_s": round(takeover, 1) if taken else -1.0,
            "poll_takeover_s": round(poll_takeover, 1),
            "cpu_ms_per_send": round(cpu_ms, 2),
        }


async def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--rate", type=float, default=300.0, help="enforced sends/s overall")
    parser.add_argument("--server", default=os.environ.get("LIAISON_BENCH_POSTGRES", SERVER))
    parser.add_argument("--budget", type=float, default=BUDGET_S, help="seconds for it all")
    args = parser.parse_args()
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + args.budget
    name = f"liaison_scaleout_{os.getpid()}"
    admin = await asyncpg.connect(f"{args.server}/postgres")
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        url = f"{args.server}/{name}"
        with TemporaryDirectory(prefix="liaison-scaleout-") as tmp:
            meeting = await prepare(Path(tmp), url, args.subscribers)
            limits = RateLimits(global_per_s=args.rate, chat_per_s=1.0)
            return await run(Path(tmp), url, limits, meeting, args.subscribers, deadline)
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
