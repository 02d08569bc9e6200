"""Residents' answers while an announcement goes out: people before bulk, within the limits.

The real bot (`python -m bot run`, a separate process) delivers a meeting announcement to
10,000 subscribers through the local fake Bot API served here, which enforces Telegram's
flood limits (default 300 sends/s overall, 1/s per private chat) and answers 429 beyond
them; the bot is configured with the same limits. While the announcement is being sent,
residents (a new one each time) ask questions at `--ask-rate` per second (default 10)
through `getUpdates`, from the throughput benchmark's questions in ten languages.

Measured:
- reply latency: from the moment `getUpdates` hands a question out to the moment the
  first reply's send reaches the fake (p50, p99, max, and the share within one second);
- sends the fake refused with 429 (answers and announcement together);
- the announcement's rate against the capacity the answers left it: announcement sends
  per second over the window in which questions were asked, divided by the enforced rate
  minus the answers' sends per second in that window.

The database, the bot's settings and the announcement are those of
`benchmarks/broadcast.py` (subscribers in ten languages; the organizer announces through
the bot's own conversation, up to Publish).

    python benchmarks/contention.py [--subscribers N] [--rate R] [--ask-rate Q] [--seconds S]

Last line: {"reply_p99_ms": …, "replies_within_1s": …, "http_429": …,
            "broadcast_rate_ratio": …}
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.fakes is not part of the installed package

from benchmarks.broadcast import (  # noqa: E402
    announce,
    bot_process,
    free_port,
    prepare,
    settings,
    started,
)
from benchmarks.shared import FIRST_CHAT_ID, bot_env  # noqa: E402
from benchmarks.throughput import QUESTIONS  # noqa: E402
from tests.fakes.telegram_api import (  # noqa: E402
    SENDING_METHODS,
    ApiCall,
    FakeTelegramAPI,
    RateLimits,
    message,
    person,
)

SUBSCRIBERS = 10_000
# Residents' chat ids: far from the subscribers', so every send is told apart by its chat.
FIRST_RESIDENT = 90_000_000
# How long residents keep asking once the announcement is under way (it must still be
# going when they stop: 10,000 subscribers at 300/s take over 30 s).
ASK_SECONDS = 25.0
# Announcement sends seen before the first question: the broadcast is in full flow.
WARM_UP_SENDS = 600
# After the last question, how long its answer may take before it counts as lost.
ANSWER_GRACE_S = 10.0
POLL_S = 0.05


@dataclass(frozen=True)
class Asked:
    """One question: its update and the resident's chat."""

    update_id: int
    chat_id: str


def sends(api: FakeTelegramAPI) -> list[ApiCall]:
    """Sends the fake accepted and answered, in the order they reached it."""
    return [
        c
        for c in api.calls
        if c.method.lower() in SENDING_METHODS and not c.failed and c.result is not None
    ]


def is_resident(call: ApiCall) -> bool:
    return int(call.get("chat_id") or 0) >= FIRST_RESIDENT


def is_subscriber(call: ApiCall) -> bool:
    return FIRST_CHAT_ID <= int(call.get("chat_id") or 0) < FIRST_RESIDENT


async def ask(api: FakeTelegramAPI, rate: float, seconds: float) -> list[Asked]:
    """New residents ask at `rate` per second for `seconds`, on a fixed schedule."""
    asked: list[Asked] = []
    ids = itertools.count(FIRST_RESIDENT)
    start = time.monotonic()
    for index in itertools.count():
        due = start + index / rate
        if due - start >= seconds:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        lang, text = QUESTIONS[index % len(QUESTIONS)]
        user_id = next(ids)
        update = await api.push_update(message(person(user_id, "Resident", lang), text))
        asked.append(Asked(int(update["update_id"]), str(user_id)))
    return asked


async def wait_until(check: Callable[[], bool], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(POLL_S)
    return False


def latencies_ms(api: FakeTelegramAPI, asked: list[Asked]) -> list[float]:
    """Per question, hand-out to first reply in milliseconds (inf when never answered)."""
    first: dict[str, float] = {}
    for call in sends(api):
        chat = call.get("chat_id") or ""
        if is_resident(call) and chat not in first:
            first[chat] = call.at
    result = []
    for question in asked:
        handed = api.handed_out.get(question.update_id)
        answered = first.get(question.chat_id)
        if handed is None or answered is None:
            result.append(float("inf"))
        else:
            result.append(1000 * (answered - handed))
    return result


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(
    folder: Path, limits: RateLimits, subscribers: int, ask_rate: float, seconds: float
) -> dict[str, float]:
    """Start the bot on the announced database, ask while it sends, and measure."""
    async with FakeTelegramAPI(rate_limits=limits) as api:
        bot = bot_process(folder, bot_env(settings(folder, free_port()), api, limits))
        await bot.start()
        try:
            await started(api, bot)
            await announce(api, folder, subscribers)
            warmed = await wait_until(
                lambda: sum(map(is_subscriber, sends(api))) >= min(WARM_UP_SENDS, subscribers // 2),
                time.monotonic() + 120.0,
            )
            if not warmed:
                raise RuntimeError("the announcement never got under way")
            loop = asyncio.get_running_loop()  # the fake stamps calls with the loop's time
            window_start = loop.time()
            asked = await ask(api, ask_rate, seconds)
            window_end = loop.time()
            answered_chats = {q.chat_id for q in asked}
            await wait_until(
                lambda: answered_chats <= {c.get("chat_id") for c in sends(api) if is_resident(c)},
                time.monotonic() + ANSWER_GRACE_S,
            )
            bot.check_alive()
        finally:
            await bot.stop()
        in_window = [c for c in sends(api) if window_start <= c.at <= window_end]
        duration = window_end - window_start
        bulk = [c for c in in_window if is_subscriber(c)]
        answers = [c for c in in_window if is_resident(c)]
        bulk_rate = len(bulk) / duration
        answer_rate = len(answers) / duration
        left = limits.global_per_s - answer_rate
        waits = latencies_ms(api, asked)
        within = sum(1 for w in waits if w <= 1000) / len(waits)
        reached = len({c.get("chat_id") for c in sends(api) if is_subscriber(c)})
        print(
            f"{len(asked)} questions at {ask_rate:g}/s over {duration:.1f} s of the announcement "
            f"({reached}/{subscribers} subscribers reached by the end)"
        )
        print(
            f"replies: p50 {percentile(waits, 0.5):.0f} ms, p99 {percentile(waits, 0.99):.0f} ms, "
            f"max {max(waits):.0f} ms, {100 * within:.1f} % within 1 s"
        )
        print(
            f"sends/s in the window: announcement {bulk_rate:.1f}, answers {answer_rate:.1f}, "
            f"enforced {limits.global_per_s:g} (left for the announcement {left:.1f}); "
            f"answers 429: {api.rate_limited}"
        )
        return {
            "reply_p99_ms": round(percentile(waits, 0.99), 1),
            "replies_within_1s": round(within, 4),
            "http_429": float(api.rate_limited),
            "broadcast_rate_ratio": round(bulk_rate / left, 3),
        }


async def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=SUBSCRIBERS)
    parser.add_argument("--rate", type=float, default=300.0, help="enforced sends/s overall")
    parser.add_argument("--chat-rate", type=float, default=1.0, help="enforced sends/s per chat")
    parser.add_argument("--ask-rate", type=float, default=10.0, help="questions per second")
    parser.add_argument("--seconds", type=float, default=ASK_SECONDS, help="how long they ask")
    args = parser.parse_args()
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    limits = RateLimits(global_per_s=args.rate, chat_per_s=args.chat_rate)
    assert FIRST_CHAT_ID + args.subscribers < FIRST_RESIDENT, "subscriber and resident ids overlap"
    with tempfile.TemporaryDirectory(prefix="liaison-contention-") as tmp:
        folder = Path(tmp)
        await prepare(folder, args.subscribers)
        return await run(folder, limits, args.subscribers, args.ask_rate, args.seconds)


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
