"""Secrets never reach the terminal or the log: not in messages, not in tracebacks, not in
the one line an unexpected error leaves."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from bot.config import ConfigError, load_config
from bot.logging_setup import MASK, configure_logging

TOKEN = "987654:AAE-very-secret-token-value"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers; later tests get theirs back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_logged_traceback_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    """A library exception quoting the token is masked in the printed traceback."""
    configure_logging("INFO", [TOKEN])
    try:
        raise RuntimeError(f"The token `{TOKEN}` was rejected by the server.")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("polling failed")
    err = capsys.readouterr().err
    assert "Traceback" in err and "was rejected" in err
    assert TOKEN not in err and MASK in err


def test_an_unexpected_error_is_logged_masked_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever escapes a command goes through the masking log, never Python's hook."""
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\ntoken = "{TOKEN}"\n', encoding="utf-8")

    def explode(*_: object) -> int:
        raise ValueError(f"request to https://api.telegram.org/bot{TOKEN}/getMe failed")

    monkeypatch.setattr(cli, "_command", explode)
    assert cli.main(["--config", str(config), "run"]) == 1
    captured = capsys.readouterr()
    assert TOKEN not in captured.err + captured.out
    assert "unexpected error" in captured.err


def test_a_refused_url_never_quotes_its_password(tmp_path: Path) -> None:
    """A storage URL with the wrong scheme is quoted back without its password."""
    config = tmp_path / "config.toml"
    config.write_text(
        '[storage]\nurl = "mysql://liaison:Pa55-w0rd-x@db.example.org/liaison"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError) as refused:
        load_config(config, env={})
    assert refused.value.key == "storage.url"
    assert "Pa55-w0rd-x" not in str(refused.value) and "liaison:***@" in str(refused.value)
