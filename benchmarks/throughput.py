"""Answering residents' questions: throughput and latency against a bare echo bot.

The real bot (`python -m bot run`: Telegram adapter, SQLite storage, knowledge search) runs
as its own process against the local fake Bot API served here; residents' free-text
questions (32 of them, ten languages, written for this benchmark) arrive by `getUpdates`.
Each message comes from a distinct resident, so Telegram's per-chat pacing is never what
is measured.

The bot is measured twice: unpaced (its overall pacing set far above the offered load,
which measures how fast it works) and with the shipped pacing (Telegram's 30 messages/s,
which is what residents get: at most 30 answers a second however fast the bot is).

1. Throughput: 2,000 questions queued at once; answered messages per second from the
   first hand-out by `getUpdates` to the last first reply.
2. Latency at 200 messages/s offered for 10 s: from the moment `getUpdates` hands an
   update out to the moment the reply's `sendMessage` reaches the fake; p50 and p99.
3. The shipped pacing: 300 questions at once (answered/s, capped at 30), then 20/s offered
   for 10 s (within the cap): p50 and p99.
4. The reference: a minimal python-telegram-bot echo bot (an `Application` with one
   `MessageHandler` replying with the text, the same manual lifecycle, PTB's defaults)
   measured the same way, and the echo bot with our adapter's concurrency (64 updates at
   once). The comparison is CPU per answered message during the flood, which is steady
   from run to run where answers per second swing with whatever else the machine runs:
   `cpu_ratio` is the cheaper echo bot's CPU per message ÷ ours (≥ 0.7 wanted). The
   answers-per-second ratio against the faster echo bot is printed too. Each bot gets a
   fresh instance of the same fake, so no update or connection is left over.

    python benchmarks/throughput.py [--messages N] [--rate R] [--seconds S]

5. The same bot on PostgreSQL (a fresh database on `--postgres`, default the local
   server; '' skips it): its answered/s and ratio to the same reference.

Last line: {"cpu_ratio": …, "cpu_ms_per_msg": …, "echo_cpu_ms_per_msg": …,
            "throughput_ratio": …, "msgs_per_s": …, "echo_msgs_per_s": …, "p99_ms": …,
            "paced_msgs_per_s": …, "paced_p50_ms": …, "paced_p99_ms": …,
            "pg_cpu_ratio": …, "pg_throughput_ratio": …, "pg_msgs_per_s": …, "pg_p99_ms": …}
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.fakes is not part of the installed package

from benchmarks.child_process import ChildProcess  # noqa: E402
from tests.fakes.telegram_api import TOKEN, ApiCall, FakeTelegramAPI, message, person  # noqa: E402

# (Telegram language_code of the sender, question). Written for this benchmark: rights,
# complaints, meetings, a person, danger now, and off-topic, in all ten languages.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("en", "Can the police search my car without a warrant?"),
    ("en", "How do I file a complaint about an officer who was rude to me?"),
    ("en", "Am I allowed to film the police with my phone?"),
    ("en", "What should I do if I get arrested?"),
    ("en", "When is the next community meeting?"),
    ("en", "Do I have to show ID if an officer stops me on the street?"),
    ("en", "Someone is breaking into my house right now"),
    ("en", "What's the weather going to be like tomorrow?"),
    ("es", "¿Puede la policía revisar mi teléfono?"),
    ("es", "¿Cómo presento una queja contra un policía?"),
    ("es", "¿Tengo que abrir la puerta si la policía no tiene una orden?"),
    ("es", "Quiero hablar con una persona"),
    ("fr", "Est-ce que je peux filmer la police pendant une intervention ?"),
    ("fr", "Comment porter plainte contre un agent de police ?"),
    ("fr", "La police peut-elle fouiller mon sac sans mon accord ?"),
    ("ar", "كيف أقدم شكوى ضد ضابط شرطة؟"),
    ("ar", "هل يحق للشرطة تفتيش هاتفي؟"),
    ("ar", "ما هي حقوقي إذا تم القبض علي؟"),
    ("zh-hans", "警察可以搜查我的手机吗？"),
    ("zh-hans", "我怎样投诉警察？"),
    ("zh-hans", "如果警察在街上拦住我，我有什么权利？"),
    ("vi", "Cảnh sát có được khám xe của tôi không?"),
    ("vi", "Làm sao để khiếu nại một cảnh sát?"),
    ("ht", "Kijan pou m pote plent kont yon polisye?"),
    ("ht", "Èske lapolis ka fouye telefòn mwen?"),
    ("ru", "Может ли полиция обыскать мою машину без ордера?"),
    ("ru", "Как подать жалобу на полицейского?"),
    ("pt", "A polícia pode revistar minha casa sem mandado?"),
    ("pt", "Como faço uma reclamação contra um policial?"),
    ("pt", "Meu filho de 15 anos foi parado pela polícia, quais são os direitos dele?"),
    ("so", "Sidee baan u gudbin karaa cabasho ku saabsan booliska?"),
    ("so", "Booliska ma baari karaan taleefankayga?"),
)
MESSAGES = 2_000
WARM_UP = 64
OFFERED_PER_S = 200.0
OFFERED_SECONDS = 10.0
# Our adapter serves this many updates at once (bot.platforms.telegram.MAX_CONCURRENT_UPDATES).
ADAPTER_CONCURRENCY = 64
REPLY_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 60.0
POLL_S = 0.02
# Pacing far above any offered load: throughput, not Telegram's limits, is measured.
UNPACED_PER_S = "10000"  # the highest rate the settings accept
# With the shipped pacing (30/s): a flood a few seconds long, and a load within the cap.
PACED_MESSAGES = 300
PACED_OFFERED_PER_S = 20.0
# Stands for the fake's address in a child's command line.
BASE_URL = "{base_url}"
_residents = itertools.count(20_000_000)


@dataclass
class Replies:
    """The first reply each chat got, read incrementally from the fake's call log."""

    api: FakeTelegramAPI
    first: dict[str, float] = field(default_factory=dict)
    _read: int = 0
    _unfinished: list[ApiCall] = field(default_factory=list)

    def refresh(self) -> None:
        new = self.api.calls[self._read :]
        self._read += len(new)
        waiting = self._unfinished + [c for c in new if c.method.lower() == "sendmessage"]
        self._unfinished = []
        for call in waiting:
            if call.failed:
                continue
            if call.result is None:  # still being answered
                self._unfinished.append(call)
                continue
            chat = call.get("chat_id") or ""
            self.first[chat] = min(call.at, self.first.get(chat, call.at))


@dataclass(frozen=True)
class Sent:
    """One question pushed: its update id and its resident's chat."""

    update_id: int
    chat_id: str


async def ask(api: FakeTelegramAPI, index: int) -> Sent:
    """A new resident asks the next question (a new chat each, so none waits on another)."""
    lang, text = QUESTIONS[index % len(QUESTIONS)]
    user_id = next(_residents)
    update = await api.push_update(message(person(user_id, "Resident", lang), text))
    return Sent(int(update["update_id"]), str(user_id))


async def wait_for_replies(replies: Replies, sent: Sequence[Sent], timeout: float) -> int:
    """Until every question has a reply (or the timeout); how many were answered."""
    deadline = time.monotonic() + timeout
    while True:
        replies.refresh()
        answered = sum(1 for s in sent if s.chat_id in replies.first)
        if answered == len(sent) or time.monotonic() > deadline:
            return answered
        await asyncio.sleep(POLL_S)


async def flood(api: FakeTelegramAPI, replies: Replies, count: int) -> tuple[float, int]:
    """`count` questions queued at once: answered per second, and how many were answered."""
    sent = [await ask(api, i) for i in range(count)]
    answered = await wait_for_replies(replies, sent, REPLY_TIMEOUT_S)
    start = min(api.handed_out[s.update_id] for s in sent if s.update_id in api.handed_out)
    end = max(replies.first[s.chat_id] for s in sent if s.chat_id in replies.first)
    return answered / (end - start), answered


async def offered_load(
    api: FakeTelegramAPI, replies: Replies, per_s: float, seconds: float
) -> tuple[list[float], float]:
    """Questions at a steady `per_s`: latencies (ms) and answered per second."""
    loop = asyncio.get_running_loop()
    total = int(per_s * seconds)
    began = loop.time()
    sent: list[Sent] = []
    for i in range(total):
        delay = began + i / per_s - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        sent.append(await ask(api, i))
    answered = await wait_for_replies(replies, sent, REPLY_TIMEOUT_S)
    latencies = [
        1000 * (replies.first[s.chat_id] - api.handed_out[s.update_id])
        for s in sent
        if s.chat_id in replies.first
    ]
    span = max(replies.first[s.chat_id] for s in sent if s.chat_id in replies.first) - began
    return latencies, answered / span


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the same definition as benchmarks/kb_accuracy.py)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def start_polling_bot(child: ChildProcess, api: FakeTelegramAPI) -> None:
    """Start the bot and wait until it polls the fake for updates."""
    await child.start()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not any(c.method.lower() == "getupdates" for c in api.calls):
        child.check_alive()
        if time.monotonic() > deadline:
            raise RuntimeError(f"bot did not start:\n{child.log.read_text()[-2000:]}")
        await asyncio.sleep(POLL_S)


@dataclass
class Measured:
    """One bot's figures: flood throughput, its CPU cost, and the steady-load latencies."""

    name: str
    msgs_per_s: float
    answered: int
    cpu_ms_per_msg: float
    latencies: list[float]
    offered_answered_per_s: float


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without any LIAISON_ setting of the caller's, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


async def measure(name: str, argv: list[str], extra_env: dict[str, str], args: Args) -> Measured:
    """Warm up, flood, then the steady offered load, against a fresh fake Bot API."""
    with tempfile.TemporaryDirectory(prefix="liaison-throughput-") as tmp:
        async with FakeTelegramAPI() as api:
            env = child_env(
                {
                    "LIAISON_TELEGRAM_API_BASE_URL": api.base_url,
                    "LIAISON_TELEGRAM_API_FILE_URL": api.file_url,
                    "LIAISON_STORAGE_PATH": str(Path(tmp) / "liaison.db"),
                    "LIAISON_PRIVACY_HASH_KEY_PATH": str(Path(tmp) / "liaison.key"),
                    **extra_env,
                }
            )
            argv = [api.base_url if part == BASE_URL else part for part in argv]
            child = ChildProcess(argv, env, Path(tmp), "child.log")
            replies = Replies(api)
            await start_polling_bot(child, api)
            try:
                await wait_for_replies(
                    replies, [await ask(api, i) for i in range(WARM_UP)], REPLY_TIMEOUT_S
                )
                cpu_before = child.cpu_seconds()
                rate, answered = await flood(api, replies, args.messages)
                cpu = child.cpu_seconds() - cpu_before
                latencies, steady = await offered_load(api, replies, args.rate, args.seconds)
            finally:
                await child.stop()
    result = Measured(name, rate, answered, 1000 * cpu / max(answered, 1), latencies, steady)
    print(
        f"{name}: {rate:.0f} answered/s ({answered}/{args.messages} answered, "
        f"{result.cpu_ms_per_msg:.2f} ms CPU per message); at {args.rate:g}/s offered: "
        f"p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"{steady:.0f} answered/s"
    )
    return result


@dataclass(frozen=True)
class Args:
    """The command line's sizes: flood size, offered rate and how long it is offered."""

    messages: int
    rate: float
    seconds: float


async def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--rate", type=float, default=OFFERED_PER_S)
    parser.add_argument("--seconds", type=float, default=OFFERED_SECONDS)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("LIAISON_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server for the second run of the bot ('' to skip it)",
    )
    parsed = parser.parse_args()
    args = Args(parsed.messages, parsed.rate, parsed.seconds)
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)
    bot_settings = {
        "LIAISON_TELEGRAM_TOKEN": TOKEN,
        "LIAISON_TELEGRAM_LIAISON_CHAT_ID": "-100200300",  # start-up needs a liaison room
        "LIAISON_LOGGING_LEVEL": "WARNING",
    }
    ours = await measure(
        "liaison bot, unpaced",
        [sys.executable, "-m", "bot", "run"],
        {**bot_settings, "LIAISON_TELEGRAM_RATE_GLOBAL_PER_S": UNPACED_PER_S},
        args,
    )
    paced = await measure(
        "liaison bot, shipped pacing",
        [sys.executable, "-m", "bot", "run"],
        bot_settings,
        Args(PACED_MESSAGES, PACED_OFFERED_PER_S, args.seconds),
    )
    on_postgres = (
        await measure_on_postgres(parsed.postgres, bot_settings, args) if parsed.postgres else None
    )
    echo_script = [sys.executable, str(Path(__file__).resolve()), "--echo-bot", BASE_URL]
    echoes = [
        await measure(f"echo bot ({label})", [*echo_script, "--concurrent", str(n)], {}, args)
        for label, n in (
            ("PTB defaults", 0),
            (f"{ADAPTER_CONCURRENCY} updates at once", ADAPTER_CONCURRENCY),
        )
    ]
    reference = max(echoes, key=lambda m: m.msgs_per_s)
    cheapest = min(echoes, key=lambda m: m.cpu_ms_per_msg)
    ratio = ours.msgs_per_s / reference.msgs_per_s
    cpu_ratio = cheapest.cpu_ms_per_msg / ours.cpu_ms_per_msg
    print(
        f"CPU ratio {cpu_ratio:.2f} ({cheapest.name} {cheapest.cpu_ms_per_msg:.2f} ms per "
        f"message ÷ ours {ours.cpu_ms_per_msg:.2f} ms); throughput ratio {ratio:.2f} "
        f"(ours ÷ {reference.name}); p99 at {args.rate:g}/s: "
        f"{percentile(ours.latencies, 0.99):.1f} ms unpaced; with the shipped pacing "
        f"{paced.msgs_per_s:.0f} answered/s, p99 {percentile(paced.latencies, 0.99):.1f} ms "
        f"at {PACED_OFFERED_PER_S:g}/s offered"
    )
    figures = {
        "cpu_ratio": round(cpu_ratio, 3),
        "cpu_ms_per_msg": round(ours.cpu_ms_per_msg, 3),
        "echo_cpu_ms_per_msg": round(cheapest.cpu_ms_per_msg, 3),
        "throughput_ratio": round(ratio, 3),
        "msgs_per_s": round(ours.msgs_per_s, 1),
        "echo_msgs_per_s": round(reference.msgs_per_s, 1),
        "p99_ms": round(percentile(ours.latencies, 0.99), 2),
        "paced_msgs_per_s": round(paced.msgs_per_s, 1),
        "paced_p50_ms": round(statistics.median(paced.latencies), 2),
        "paced_p99_ms": round(percentile(paced.latencies, 0.99), 2),
    }
    if on_postgres is not None:
        pg_ratio = on_postgres.msgs_per_s / reference.msgs_per_s
        pg_cpu = cheapest.cpu_ms_per_msg / on_postgres.cpu_ms_per_msg
        print(
            f"on PostgreSQL: CPU ratio {pg_cpu:.2f}, throughput ratio {pg_ratio:.2f} "
            f"(ours ÷ {reference.name})"
        )
        figures["pg_cpu_ratio"] = round(pg_cpu, 3)
        figures["pg_throughput_ratio"] = round(pg_ratio, 3)
        figures["pg_msgs_per_s"] = round(on_postgres.msgs_per_s, 1)
        figures["pg_p99_ms"] = round(percentile(on_postgres.latencies, 0.99), 2)
    return figures


async def measure_on_postgres(server: str, bot_settings: dict[str, str], args: Args) -> Measured:
    """The same unpaced bot on a fresh PostgreSQL database (created here, dropped after)."""
    import asyncpg

    name = f"liaison_throughput_{os.getpid()}"
    admin = await asyncpg.connect(f"{server}/postgres")
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        return await measure(
            "liaison bot on PostgreSQL",
            [sys.executable, "-m", "bot", "run"],
            {
                **bot_settings,
                "LIAISON_TELEGRAM_RATE_GLOBAL_PER_S": UNPACED_PER_S,
                "LIAISON_STORAGE_URL": f"{server}/{name}",
            },
            args,
        )
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


# ---------------------------------------------------------------- the reference echo bot


def echo_bot(base_url: str, concurrent: int) -> None:
    """A minimal PTB echo bot, run with the manual lifecycle until SIGTERM."""
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_message is not None and update.effective_message.text:
            await update.effective_message.reply_text(update.effective_message.text)

    async def serve() -> None:
        builder = ApplicationBuilder().token(TOKEN).base_url(base_url)
        if concurrent:
            builder = builder.concurrent_updates(concurrent)
        application = builder.build()
        application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        await stop.wait()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    if "--echo-bot" in sys.argv:
        echo_parser = argparse.ArgumentParser()
        echo_parser.add_argument("--echo-bot", required=True)
        echo_parser.add_argument("--concurrent", type=int, default=0)
        echo_args = echo_parser.parse_args()
        echo_bot(echo_args.echo_bot, echo_args.concurrent)
    else:
        print(json.dumps(asyncio.run(main())))
