"""Configuration: defaults, file, environment overrides and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def test_defaults_are_safe_without_a_file(tmp_path: Path) -> None:
    """With no file and no environment the bot runs on the local SQLite file."""
    config = load_config(None, env={}) if not Path("config.toml").exists() else None
    if config is None:
        pytest.skip("a developer config.toml is present in the working directory")
    assert config.storage.path == "./liaison.db"
    assert config.telegram.token == "" and config.discord.token == ""


def test_environment_overrides_file(tmp_path: Path) -> None:
    """LIAISON_<SECTION>_<KEY> wins over the file, with the field's type."""
    path = tmp_path / "c.toml"
    path.write_text('[telegram]\nmode = "polling"\nwebhook_port = 8000\n', encoding="utf-8")
    config = load_config(
        path,
        env={
            "LIAISON_TELEGRAM_TOKEN": "123:abc",
            "LIAISON_TELEGRAM_WEBHOOK_PORT": "9000",
            "LIAISON_TELEGRAM_API_BASE_URL": "http://127.0.0.1:1/bot",
            "LIAISON_TELEGRAM_ANNOUNCEMENT_CHAT_IDS": "-1001, -1002",
        },
    )
    assert config.telegram.token == "123:abc"
    assert config.telegram.webhook_port == 9000
    assert config.telegram.api_base_url == "http://127.0.0.1:1/bot"
    assert config.telegram.announcement_chat_ids == ("-1001", "-1002")


@pytest.mark.parametrize(
    ("toml", "env", "key"),
    [
        ("[telegram]\nwebhook_port = 70000\n", {}, "telegram.webhook_port"),
        ('[bot]\ntimezone = "Mars/Olympus"\n', {}, "bot.timezone"),
        ('[bot]\ndefault_locale = "xx"\n', {}, "bot.default_locale"),
        ('[telegram]\nmode = "carrier-pigeon"\n', {}, "telegram.mode"),
        ("[nonsense]\n", {}, "nonsense"),
        ('[storage]\npaht = "x"\n', {}, "storage.paht"),
        ("", {"LIAISON_TELEGRAM_RATE_GLOBAL_PER_S": "fast"}, "telegram.rate_global_per_s"),
    ],
)
def test_bad_value_names_the_key(tmp_path: Path, toml: str, env: dict[str, str], key: str) -> None:
    """Each bad value is refused with the key named."""
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, env=env)
    assert raised.value.key == key


def test_cli_exits_2_with_one_line_and_never_prints_the_token(tmp_path: Path) -> None:
    """A bad value stops start-up: exit code 2, one line naming the key, no secret shown."""
    path = tmp_path / "c.toml"
    path.write_text("[telegram]\nwebhook_port = -1\n", encoding="utf-8")
    env = dict(os.environ, LIAISON_TELEGRAM_TOKEN="999:supersecret-token-value")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(path), "i18n", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "telegram.webhook_port" in lines[0]
    assert "supersecret" not in result.stderr + result.stdout
