"""`liaison doctor` and the start-up room check, against the Telegram and Discord fakes."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.doctor import doctor, no_room, room_problem
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import TOKEN, FakeTelegramAPI, group_chat, message, person
from tests.support.app import make_config
from tests.support.processes import BOT_PROCESS

DISCORD_TOKEN = "fake-discord-token-0123456789"
FORUM = "-1001777"
# Discord permission bits (docs: "Permissions"): view, send, read history, public
# threads, send in threads.
NEEDED_BITS = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 35) | (1 << 38)


def _telegram(tmp_path: Path, api: FakeTelegramAPI, **env: str) -> dict[str, str]:
    return {
        "LIAISON_TELEGRAM_TOKEN": TOKEN,
        "LIAISON_TELEGRAM_API_BASE_URL": api.base_url,
        "LIAISON_TELEGRAM_API_FILE_URL": api.file_url,
        **env,
    }


def _discord(fake: FakeDiscord, **env: str) -> dict[str, str]:
    return {
        "LIAISON_DISCORD_TOKEN": DISCORD_TOKEN,
        "LIAISON_DISCORD_API_BASE_URL": fake.api_base_url,
        **env,
    }


async def test_telegram_forum_group_checklist_lists_the_chats_the_bot_sees(
    tmp_path: Path, api: FakeTelegramAPI
) -> None:
    """Token, privacy mode, the forum group with Manage Topics, and the group's id listed."""
    api.forums.add(FORUM)
    api.make_admin(FORUM, can_manage_topics=True)
    await api.push_update(message(person(7001, "Lia"), "hello", group_chat(int(FORUM), True)))
    config = make_config(
        tmp_path, **_telegram(tmp_path, api, LIAISON_TELEGRAM_LIAISON_CHAT_ID=FORUM)
    )
    lines, reachable = await doctor(config)
    text = "\n".join(lines)
    assert reachable, text
    assert "ok    token valid: @LiaisonTestBot" in text
    assert "privacy mode on" in text
    assert "forum topics on; the bot may manage topics" in text
    assert f"chat the bot sees: {FORUM}" in text
    assert not any(line.startswith("FAIL") for line in lines)


async def test_a_forum_without_the_manage_topics_right_is_flagged(
    tmp_path: Path, api: FakeTelegramAPI
) -> None:
    """A forum where the bot is a plain member: reachable, but told to grant Manage Topics."""
    api.forums.add(FORUM)
    config = make_config(
        tmp_path, **_telegram(tmp_path, api, LIAISON_TELEGRAM_LIAISON_CHAT_ID=FORUM)
    )
    lines, reachable = await doctor(config)
    assert reachable
    assert any(line.startswith("warn") and "Manage Topics" in line for line in lines)


async def test_discord_checklist_names_missing_permissions_and_intent(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """The bot can post but not open threads: named; message_content set without the portal
    switch: FAIL; the channels it sees are listed; with a role giving the rights, all ok."""
    env = _discord(
        fake,
        LIAISON_DISCORD_LIAISON_CHANNEL_ID=fake.LIAISON_CHANNEL_ID,
        LIAISON_DISCORD_MESSAGE_CONTENT="true",
    )
    config = make_config(tmp_path, **env)
    lines, _ = await doctor(config)
    text = "\n".join(lines)
    assert "FAIL  message_content = true, but the Message Content Intent is off" in text
    assert "Create Public Threads" in text and "Send Messages In Threads" in text
    assert f"channel the bot sees: {fake.LIAISON_CHANNEL_ID} #liaisons" in text

    fake.application_flags = 1 << 19
    fake.give_bot_role("liaison bot", NEEDED_BITS)
    lines, reachable = await doctor(config)
    assert reachable and not any(line.startswith("FAIL") for line in lines), lines
    assert any("may post and open threads" in line for line in lines)


async def test_start_needs_one_reachable_room_on_any_platform(
    tmp_path: Path, api: FakeTelegramAPI, fake: FakeDiscord
) -> None:
    """No room anywhere: the missing settings are named. A Telegram group that does not
    exist: named with the reason. Only a Discord room: enough (cases from Telegram go to it)."""
    both = {**_telegram(tmp_path, api), **_discord(fake)}
    assert await room_problem(make_config(tmp_path, **both)) == no_room()

    api.missing_chats.add("-100999")
    missing = make_config(tmp_path, **both, LIAISON_TELEGRAM_LIAISON_CHAT_ID="-100999")
    problem = await room_problem(missing)
    assert problem is not None and problem.startswith("telegram.liaison_chat_id: chat -100999")
    assert "chat not found" in problem

    discord_room = {**both, "LIAISON_DISCORD_LIAISON_CHANNEL_ID": fake.LIAISON_CHANNEL_ID}
    assert await room_problem(make_config(tmp_path, **discord_room)) is None


@BOT_PROCESS
async def test_liaison_run_without_a_room_stops_with_one_line(
    tmp_path: Path, api: FakeTelegramAPI
) -> None:
    """`liaison run` with a token and the default empty room: exit 2, one line, no start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env.update(_telegram(tmp_path, api))
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", "run"),
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2
    assert lines == [f"liaison: {no_room()}"]
    assert TOKEN not in stderr.decode()
    assert api.sent("sendMessage") == [] and api.sent("getUpdates") == []


async def test_a_refused_token_is_left_to_the_adapter_and_shown_by_doctor(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """With the token refused the room cannot be judged: start-up leaves the verdict to the
    adapter's own token message; doctor shows it as a failure naming discord.token."""
    fake.refuse("GET", "/users/@me", 401, 0, "401: Unauthorized")
    config = make_config(tmp_path, **_discord(fake))
    assert await room_problem(config) is None
    lines, reachable = await doctor(config)
    assert not reachable
    assert any(line.startswith("FAIL") and "401: Unauthorized" in line for line in lines)
