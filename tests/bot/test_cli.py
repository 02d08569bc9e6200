"""The command line: read commands never create files, --config anywhere, help examples."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from bot.cli import _parser, main
from bot.config import Config
from storage.database import open_database

READ_COMMANDS = (
    ["cases", "stats"],
    ["polls", "export"],
    ["broadcast", "status"],
    ["roles", "list"],
)


@pytest.fixture(autouse=True)
def _no_env_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's own LIAISON_* variables must not steer these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("LIAISON_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_read_command_in_empty_directory_creates_nothing(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`liaison cases stats` in the wrong directory says so and leaves no database or key."""
    monkeypatch.chdir(tmp_path)
    assert main(command) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(tmp_path / "liaison.db") in err[0]
    assert list(tmp_path.iterdir()) == []


async def _create_database(config: Config) -> None:
    """A migrated, empty database (without building a whole app)."""
    db = await open_database(config.storage.database_url)
    await db.close()


def _config_file(tmp_path: Path, config: Config) -> Path:
    path = tmp_path / "elsewhere.toml"
    path.write_text(
        f'[storage]\nurl = "{config.storage.database_url}"\n'
        f'[privacy]\nhash_key_path = "{config.privacy.hash_key_path}"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.sqlite_only  # the config file written here names a SQLite path
@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
def test_config_is_accepted_before_or_after_the_subcommand(
    before: bool,
    config: Config,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Both spellings read the named database rather than ./liaison.db."""
    asyncio.run(_create_database(config))
    cfg = _config_file(tmp_path, config)
    run_dir = tmp_path / "cwd"
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    argv = (
        ["--config", str(cfg), "cases", "stats"]
        if before
        else ["cases", "stats", "--config", str(cfg)]
    )
    assert main(argv) == 0
    assert "cases opened: 0" in capsys.readouterr().out
    assert list(run_dir.iterdir()) == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`liaison --version` names the installed version."""
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("liaison 0.")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    for action in _parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("the parser has no subcommands")


def test_every_subcommand_help_gives_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    """Each `liaison X --help` ends with a runnable example of X."""
    subcommands = _subcommands()
    assert {"run", "cases", "polls", "broadcast", "roles"} <= set(subcommands)
    for name in subcommands:
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        assert "example:" in out, name
        assert f"liaison {name}" in out.split("example:")[1], name
