"""`liaison run` with a bad setting: exit 2, at most three lines naming the key, no traceback,
well within 20 seconds, whether the value comes from config.toml or a LIAISON_* variable.

These are real subprocesses (the way an operator starts the bot); they run a few at a
time so the whole table costs a few seconds.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI
from tests.support.processes import BOT_PROCESS

pytestmark = BOT_PROCESS

# The acceptance bound: an operator must not wait longer than this for the one line.
DEADLINE_S = 20.0
MAX_LINES = 3
# Subprocesses started at once (the suite shares two cores with other work).
PARALLEL = 4
WRONG_TELEGRAM_TOKEN = "654321:wrong-token-that-must-never-be-printed"
WRONG_DISCORD_TOKEN = "wrong-discord-token-that-must-never-be-printed"


@dataclass(frozen=True)
class Outcome:
    code: int | None
    output: str
    seconds: float


async def liaison_run(
    tmp_path: Path, toml: bytes = b"", env: dict[str, str] | None = None
) -> Outcome:
    """`python -m bot run` in a fresh folder with this config.toml and these variables."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "config.toml").write_bytes(toml)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    clean.update(
        LIAISON_STORAGE_PATH=str(tmp_path / "liaison.db"),
        LIAISON_PRIVACY_HASH_KEY_PATH=str(tmp_path / "liaison.key"),
    )
    for name in ("storage.path", "privacy.hash_key_path"):
        if name.split(".")[1].encode() in toml:
            clean.pop("LIAISON_" + name.replace(".", "_").upper())
    clean.update(env or {})
    loop = asyncio.get_running_loop()
    started = loop.time()
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "run"),
        cwd=tmp_path,
        env=clean,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), DEADLINE_S)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
    return Outcome(process.returncode, out.decode("utf-8", "replace"), loop.time() - started)


def assert_refused(outcome: Outcome, *names: str) -> None:
    """Exit 2, at most three lines, one of them naming the key; no traceback; in time."""
    lines = outcome.output.strip().splitlines()
    assert outcome.code == 2, outcome.output
    assert len(lines) <= MAX_LINES, outcome.output
    assert "Traceback" not in outcome.output, outcome.output
    assert any(name in lines[-1] for name in names), outcome.output
    assert outcome.seconds < DEADLINE_S


def env_name(key: str) -> str:
    return "LIAISON_" + key.replace(".", "_").upper()


# (key, TOML value, environment value): the settings issue 20 found breaking the bot.
BAD_SETTINGS = [
    ("bot.timezone", '"America"', "America"),
    ("local.emergency_number", '""', ""),
    ("storage.path", '"/proc/liaison.db"', "/proc/liaison.db"),
    ("discord.guild_ids", '["abc"]', "abc"),
    ("discord.gateway_url", '"not a url"', "not a url"),
    ("escalation.remind_unclaimed_minutes", "99999999999", "99999999999"),
    ("privacy.closed_case_retention_days", "99999999", "99999999"),
    ("abuse.mute_seconds", "inf", "inf"),
    ("telegram.rate_private_chat_per_s", "0", "0"),
    ("telegram.rate_group_per_min", "nan", "nan"),
    ("discord.rate_channel_per_5s", "-0.5", "-0.5"),
    ("privacy.hash_key_path", '""', ""),
]


async def run_all(jobs: list[tuple[Path, bytes, dict[str, str]]]) -> list[Outcome]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(folder: Path, toml: bytes, env: dict[str, str]) -> Outcome:
        async with gate:
            return await liaison_run(folder, toml, env)

    return await asyncio.gather(*(one(*job) for job in jobs))


async def test_each_bad_setting_stops_run_with_one_line(tmp_path: Path) -> None:
    """Every listed bad value, from config.toml and from the environment, is refused."""
    jobs: list[tuple[Path, bytes, dict[str, str]]] = []
    for number, (key, toml_value, env_value) in enumerate(BAD_SETTINGS):
        section, name = key.split(".")
        toml = f"[{section}]\n{name} = {toml_value}\n".encode()
        jobs.append((tmp_path / f"file-{number}", toml, {}))
        jobs.append((tmp_path / f"env-{number}", b"", {env_name(key): env_value}))
    outcomes = await run_all(jobs)
    for index, outcome in enumerate(outcomes):
        key = BAD_SETTINGS[index // 2][0]
        assert_refused(outcome, key)
        if index % 2:
            assert env_name(key) in outcome.output


async def test_files_the_bot_cannot_use_stop_run_with_one_line(tmp_path: Path) -> None:
    """A config that is not UTF-8, an empty or short key file: one line each, exit 2."""
    latin1 = '[bot]\noperator = "Oficina de Enlace – Ñuñoa"\n'.encode("cp1252")
    empty_key, short_key = tmp_path / "empty.key", tmp_path / "short.key"
    empty_key.touch()
    short_key.write_text("00ff00ff", encoding="ascii")
    jobs: list[tuple[Path, bytes, dict[str, str]]] = [
        (tmp_path / "latin1", latin1, {}),
        (tmp_path / "empty-env", b"", {"LIAISON_PRIVACY_HASH_KEY_PATH": str(empty_key)}),
        (tmp_path / "short-env", b"", {"LIAISON_PRIVACY_HASH_KEY_PATH": str(short_key)}),
        (tmp_path / "empty-file", f'[privacy]\nhash_key_path = "{empty_key}"\n'.encode(), {}),
    ]
    latin, *keys = await run_all(jobs)
    assert_refused(latin, "config.toml")
    for outcome in keys:
        assert_refused(outcome, "privacy.hash_key_path")
    assert empty_key.read_bytes() == b"" and short_key.read_text(encoding="ascii") == "00ff00ff"


@pytest.fixture
async def telegram_api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


def as_toml(section: str, settings: dict[str, str]) -> bytes:
    lines = [f"[{section}]"] + [f'{key} = "{value}"' for key, value in settings.items()]
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("source", ["env", "toml"])
async def test_a_token_telegram_rejects_is_one_line_without_the_token(
    tmp_path: Path, telegram_api: FakeTelegramAPI, source: str
) -> None:
    """The fake answers getMe with 401 for any other token: one line, token never shown."""
    assert WRONG_TELEGRAM_TOKEN != TOKEN
    settings = {
        "token": WRONG_TELEGRAM_TOKEN,
        "api_base_url": telegram_api.base_url,
        "api_file_url": telegram_api.file_url,
    }
    if source == "env":
        env = {f"LIAISON_TELEGRAM_{key.upper()}": value for key, value in settings.items()}
        outcome = await liaison_run(tmp_path, env=env)
    else:
        outcome = await liaison_run(tmp_path, as_toml("telegram", settings))
    assert_refused(outcome, "LIAISON_TELEGRAM_TOKEN")
    assert "Telegram rejected the token (401): check LIAISON_TELEGRAM_TOKEN" in outcome.output
    assert WRONG_TELEGRAM_TOKEN not in outcome.output
    assert WRONG_TELEGRAM_TOKEN.split(":")[1] not in outcome.output


@pytest.mark.parametrize("source", ["env", "toml"])
async def test_a_token_discord_rejects_is_one_line_without_the_token(
    tmp_path: Path, source: str
) -> None:
    """Discord answering the login with 401: one line naming LIAISON_DISCORD_TOKEN."""
    fake = FakeDiscord()
    await fake.start()
    try:
        fake.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
        settings = {"token": WRONG_DISCORD_TOKEN, "api_base_url": fake.api_base_url}
        if source == "env":
            env = {f"LIAISON_DISCORD_{key.upper()}": value for key, value in settings.items()}
            outcome = await liaison_run(tmp_path, env=env)
        else:
            outcome = await liaison_run(tmp_path, as_toml("discord", settings))
    finally:
        await fake.close()
    assert_refused(outcome, "LIAISON_DISCORD_TOKEN")
    assert "Discord rejected the token (401): check LIAISON_DISCORD_TOKEN" in outcome.output
    assert WRONG_DISCORD_TOKEN not in outcome.output


async def test_environment_text_that_is_not_utf8_stops_run(tmp_path: Path) -> None:
    """A LIAISON_* value holding bytes that are not UTF-8 names its key, exit 2."""
    outcome = await liaison_run(
        tmp_path, env={"LIAISON_LOCAL_LIAISON_CONTACT": os.fsdecode(b"Oficina \xd1u\xf1oa")}
    )
    assert_refused(outcome, "local.liaison_contact")
