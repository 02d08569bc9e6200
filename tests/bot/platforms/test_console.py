"""`liaison chat` driven through piped stdin in a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import BOT_PROCESS

pytestmark = BOT_PROCESS


def _chat(cwd: Path, stdin: str, *args: str) -> str:
    env = dict(os.environ)
    env.pop("LIAISON_TELEGRAM_TOKEN", None)
    env.pop("LIAISON_DISCORD_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_piped_chat_greets_lists_languages_and_remembers_choice(tmp_path: Path) -> None:
    """/start and /language over stdin; Español by number; the choice survives a restart."""
    output = _chat(tmp_path, "/start\n/language\n", "--user", "ana")
    assert "Hello" in output
    for name in ("English", "Español", "العربية", "简体中文", "Soomaali"):
        assert name in output
    output = _chat(tmp_path, "/language\n2\n/help\n", "--user", "ana")
    assert "Esto es lo que puede enviarme" in output
    assert (tmp_path / "liaison.db").exists()
    output = _chat(tmp_path, "/help\n", "--user", "ana")
    assert "Esto es lo que puede enviarme" in output


def test_messages_queued_while_away_are_shown_on_open(tmp_path: Path) -> None:
    """A message queued for a terminal user appears when that user next opens the chat."""
    script = (
        "import asyncio\n"
        "from bot.config import load_config\n"
        "from bot.app import build_app\n"
        "from bot.core.events import Outgoing\n"
        "from bot.core.ports import Recipient\n"
        "async def main():\n"
        "    app = await build_app(load_config(None))\n"
        "    await app.services.outbox.enqueue(Recipient('console', 'bob'),"
        " Outgoing('A liaison answered your message.'), 'test-1')\n"
        "    await app.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True, timeout=60)
    output = _chat(tmp_path, "", "--user", "bob")
    assert "A liaison answered your message." in output
    assert "A liaison answered" not in _chat(tmp_path, "", "--user", "bob")
