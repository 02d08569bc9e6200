"""Start-up that fails clearly: one line naming the problem, exit code 2, never a hang;
and one bot process per SQLite file, with read-only commands still working beside it."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage.database import open_database
from tests.support.processes import BOT_PROCESS


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "{url}"\n[privacy]\nhash_key_path = "{tmp_path / "k.key"}"\n',
        encoding="utf-8",
    )
    return path


def _start(
    tmp_path: Path,
    url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str]:
    """`liaison chat` as a person would start it; returns (exit code, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for key in ("LIAISON_TELEGRAM_TOKEN", "LIAISON_DISCORD_TOKEN", "LIAISON_STORAGE_PATH"):
        monkeypatch.delenv(key, raising=False)
    code = main(["--config", str(_config(tmp_path, url)), "chat", "--user", "ana"])
    return code, capsys.readouterr().err.strip()


def test_garbage_database_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "liaison.db"
    garbage.write_bytes(b"this is not a database, just bytes\n" * 200)
    code, err = _start(tmp_path, f"sqlite:///{garbage}", monkeypatch, capsys)
    assert code == 2
    assert "\n" not in err and str(garbage) in err and "cannot be used" in err


def test_database_newer_than_the_program_stops_start_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"

    async def from_the_future() -> None:
        db = await open_database(url)
        await db.execute("INSERT INTO schema_migrations (number, name) VALUES (9999, 'x')")
        await db.close()

    asyncio.run(from_the_future())
    code, err = _start(tmp_path, url, monkeypatch, capsys)
    assert code == 2
    assert "\n" not in err and "newer than this program" in err and "liaison.db" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write read-only files")
def test_read_only_database_is_named_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "liaison.db"
    asyncio.run(_touch(f"sqlite:///{path}"))
    path.chmod(0o400)
    code, err = _start(tmp_path, f"sqlite:///{path}", monkeypatch, capsys)
    assert code == 2 and "\n" not in err and str(path) in err


async def _touch(url: str) -> None:
    db = await open_database(url)
    await db.close()


def test_empty_storage_path_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _start(tmp_path, "sqlite:///", monkeypatch, capsys)
    assert code == 2 and "\n" not in err and "storage.url" in err


def test_unreachable_postgresql_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _start(tmp_path, "postgresql://nobody:secret@127.0.0.1:1/x", monkeypatch, capsys)
    assert code == 2 and "\n" not in err and "cannot be reached" in err
    assert "secret" not in err


def _liaison(cwd: Path, *args: str, stdin: int | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    for key in ("LIAISON_TELEGRAM_TOKEN", "LIAISON_DISCORD_TOKEN", "LIAISON_STORAGE_URL"):
        env.pop(key, None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env=env,
    )


@BOT_PROCESS
def test_second_bot_on_one_sqlite_file_is_refused_while_reads_work(tmp_path: Path) -> None:
    """Two bots on one file would both deliver every queued message: the second is
    refused at start; statistics still work beside the running bot."""
    first = _liaison(tmp_path, "chat", "--user", "ana", stdin=subprocess.PIPE)
    try:
        assert first.stdin is not None and first.stdout is not None
        first.stdin.write("/start\n")
        first.stdin.flush()
        assert "Hello" in first.stdout.readline() + first.stdout.readline()
        second = _liaison(tmp_path, "chat", "--user", "bob", stdin=subprocess.DEVNULL)
        _, err = second.communicate(timeout=60)
        assert second.returncode == 2
        assert err.strip().count("\n") == 0 and "liaison.db" in err and "in use" in err
        stats = _liaison(tmp_path, "cases", "stats")
        out, err = stats.communicate(timeout=60)
        assert stats.returncode == 0, err
        assert "cases opened: 0" in out
    finally:
        if first.stdin is not None:
            first.stdin.close()
        first.wait(timeout=60)
    assert first.returncode == 0
