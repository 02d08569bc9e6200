"""Configuration: defaults, file, environment overrides and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config
from bot.platforms.discord_spec import DISCORD
from bot.platforms.telegram_spec import TELEGRAM
from tests.support.processes import BOT_PROCESS


def test_defaults_are_safe_without_a_file(tmp_path: Path) -> None:
    """With no file and no environment the bot runs on the local SQLite file."""
    config = load_config(None, env={}) if not Path("config.toml").exists() else None
    if config is None:
        pytest.skip("a developer config.toml is present in the working directory")
    assert config.storage.path == "./liaison.db"
    assert TELEGRAM.settings(config).token == "" and DISCORD.settings(config).token == ""


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
    assert TELEGRAM.settings(config).token == "123:abc"
    assert TELEGRAM.settings(config).webhook_port == 9000
    assert TELEGRAM.settings(config).api_base_url == "http://127.0.0.1:1/bot"
    assert TELEGRAM.settings(config).announcement_chat_ids == ("-1001", "-1002")


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


@BOT_PROCESS
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


# The bad settings of issue 20, each as TOML and as an environment variable.
ISSUE_CASES = [
    ("bot.timezone", '"America"', "America"),
    ("storage.path", '"/proc/liaison.db"', "/proc/liaison.db"),
    ("discord.guild_ids", '["abc"]', "abc"),
    ("discord.gateway_url", '"not a url"', "not a url"),
    ("local.emergency_number", '""', ""),
    ("escalation.remind_unclaimed_minutes", "999999999999", "999999999999"),
    ("escalation.remind_unclaimed_minutes", "100000000", "100000000"),
    ("privacy.closed_case_retention_days", "10000000", "10000000"),
    ("privacy.conversation_expiry_hours", "999999999", "999999999"),
    ("abuse.mute_seconds", "inf", "inf"),
    ("abuse.flood_seconds", "nan", "nan"),
    ("telegram.rate_private_chat_per_s", "0", "0"),
    ("telegram.rate_group_per_min", "-0.5", "-0.5"),
    ("discord.rate_channel_per_5s", "inf", "inf"),
    ("privacy.hash_key_path", '""', ""),
    ("telegram.liaison_chat_id", '"general"', "general"),
    ("telegram.api_base_url", '"not a url"', "not a url"),
]


def env_name(key: str) -> str:
    return "LIAISON_" + key.replace(".", "_").upper()


@pytest.mark.parametrize(("key", "toml_value", "env_value"), ISSUE_CASES)
def test_issue_cases_are_refused_from_file_and_environment(
    tmp_path: Path, key: str, toml_value: str, env_value: str
) -> None:
    """Each value that used to break the bot later is refused at load, naming the key."""
    section, name = key.split(".")
    path = tmp_path / "c.toml"
    path.write_text(f"[{section}]\n{name} = {toml_value}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as from_file:
        load_config(path, env={})
    assert from_file.value.key == key and "\n" not in str(from_file.value)
    path.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError) as from_env:
        load_config(path, env={env_name(key): env_value})
    assert from_env.value.key == key and env_name(key) in str(from_env.value)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"LIAISON_TELEGRAM_RATE_PRIVATE_CHAT_PER_S": "0.5"}, 0.5),
        ({"LIAISON_TELEGRAM_RATE_GROUP_PER_MIN": "0.5"}, 0.5),
        ({"LIAISON_DISCORD_RATE_CHANNEL_PER_5S": "0.25"}, 0.25),
    ],
)
def test_fractional_rates_are_accepted(
    tmp_path: Path, env: dict[str, str], expected: float
) -> None:
    """One message every two seconds is a rate, not an error (the pacing honours it)."""
    path = tmp_path / "c.toml"
    path.touch()
    config = load_config(path, env=env)
    ((name, value),) = env.items()
    section, _, key = name.removeprefix("LIAISON_").lower().partition("_")
    assert getattr(config.platforms[section], key) == expected == float(value)


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    """A config saved in Latin-1 stops start-up with the file named, not a traceback."""
    path = tmp_path / "c.toml"
    path.write_bytes('[bot]\nservice_name = "Enlace Comunitario – Ñuñoa"\n'.encode("cp1252"))
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={})
    assert raised.value.key == str(path) and "UTF-8" in str(raised.value)


def test_environment_bytes_that_are_not_utf8_are_refused(tmp_path: Path) -> None:
    """An environment value that is not UTF-8 (lone surrogates in Python) names its key."""
    path = tmp_path / "c.toml"
    path.touch()
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={"LIAISON_LOCAL_LIAISON_CONTACT": "caf\udce9"})
    assert raised.value.key == "local.liaison_contact"


def test_a_refused_secret_is_never_quoted(tmp_path: Path) -> None:
    """Other bad values are quoted to help; a secret is described, never shown."""
    path = tmp_path / "c.toml"
    path.touch()
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={"LIAISON_PRIVACY_HASH_KEY": "hunter2-too-short"})
    assert raised.value.key == "privacy.hash_key" and "hunter2" not in str(raised.value)
    with pytest.raises(ConfigError) as quoted:
        load_config(path, env={"LIAISON_BOT_TIMEZONE": "Mars/Olympus"})
    assert "'Mars/Olympus'" in str(quoted.value)


def test_storage_path_inside_a_file_is_refused(tmp_path: Path) -> None:
    """A database "inside" a regular file can never be created: said at load."""
    blocker = tmp_path / "plain-file"
    blocker.write_text("x", encoding="utf-8")
    path = tmp_path / "c.toml"
    path.touch()
    with pytest.raises(ConfigError) as raised:
        load_config(path, env={"LIAISON_STORAGE_PATH": str(blocker / "liaison.db")})
    assert raised.value.key == "storage.path"
