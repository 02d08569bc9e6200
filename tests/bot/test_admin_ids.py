"""Admin ids in the config: one accepted form, normalised; anything else stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load_config
from tests.support.processes import BOT_PROCESS


def _load(tmp_path: Path, admins: str) -> Config:
    empty = tmp_path / "config.toml"
    empty.touch()
    return load_config(empty, env={"LIAISON_BOT_ADMINS": admins})


@pytest.mark.parametrize(
    "value", ["telegram:@name", "tg:1", "telegram:abc", "discord:", "1234", "telegram:12 34"]
)
def test_a_wrong_admin_id_names_the_key_and_the_expected_form(tmp_path: Path, value: str) -> None:
    """Each of these would never match anyone: refused, saying what would."""
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, value)
    assert raised.value.key == "bot.admins"
    assert "telegram:<digits> or discord:<digits>" in str(raised.value)


def test_admin_lists_from_the_environment_as_json_or_commas_are_normalised(
    tmp_path: Path,
) -> None:
    """A JSON list and a comma list give the same admins; the platform name is lowercased."""
    as_json = _load(tmp_path, '["Telegram:1", "discord:22"]')
    as_commas = _load(tmp_path, "TELEGRAM:1, discord:22")
    assert as_json.bot.admins == as_commas.bot.admins == ("telegram:1", "discord:22")


def test_a_broken_json_list_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        _load(tmp_path, '["telegram:1",')
    assert raised.value.key == "bot.admins" and "JSON list" in str(raised.value)


@BOT_PROCESS
def test_the_cli_stops_with_one_line_for_a_bad_admin(tmp_path: Path) -> None:
    """`liaison run` with telegram:@name: exit 2 and one line naming bot.admins."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIAISON_")}
    env["LIAISON_BOT_ADMINS"] = "telegram:@boss"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bot.admins" in lines[0] and "telegram:<digits>" in lines[0]
