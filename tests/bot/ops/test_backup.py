"""Backups: taken beside a running bot, restored table for table, and before upgrades."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.config import Config
from bot.core.people import Role
from bot.ops.backend import Backend, BackendKind
from bot.ops.backup import AUTO_PREFIX, BACKUP_DIR, postgres_instructions
from storage.migrations_runner import available_migrations
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, RecordingSender

# Backups copy the SQLite file; PostgreSQL deployments use pg_dump.
pytestmark = pytest.mark.sqlite_only

Snapshot = dict[str, list[tuple[object, ...]]]


# Backups here go through SQLite's backup API; PostgreSQL deployments use pg_dump.
pytestmark = pytest.mark.sqlite_only


def snapshot(path: Path) -> Snapshot:
    """Every row of every table (and the schema version), read by a separate connection."""
    connection = sqlite3.connect(path)
    try:
        names = [
            str(row[0])
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        tables = {
            name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
            for name in names
        }
        tables["user_version"] = [connection.execute("PRAGMA user_version").fetchone()]
    finally:
        connection.close()
    return tables


def config_file(tmp_path: Path, config: Config) -> str:
    path = tmp_path / "backup-test.toml"
    path.write_text(
        f'[storage]\npath = "{config.storage.path}"\n'
        f'[privacy]\nhash_key_path = "{config.privacy.hash_key_path}"\n',
        encoding="utf-8",
    )
    return str(path)


async def busy_day(app: App) -> None:
    """A resident (Arabic) escalates, a liaison (Spanish) answers, an English resident asks."""
    app.delivery.register(RecordingSender("console"), None)
    liaison = Conversation(app, user="liaison-1", platform="console", language_hint="es")
    await liaison.send("/start")
    person = await app.repos.people.find("console", "liaison-1")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.LIAISON)
    resident = Conversation(app, user="resident-1", platform="console", language_hint="ar")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("they stopped me outside the school")
    await liaison.send("/reply 1 we will call you back")
    await Conversation(app, user="resident-2", platform="console").send(
        "cop took my phone and won't give it back"
    )
    await app.delivery.drain()


async def test_backup_restore_round_trip_preserves_every_table(
    app: App, config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Backed up while the bot runs, damaged, restored: every row of every table is back."""
    await busy_day(app)
    database = Path(config.storage.path)
    before = snapshot(database)
    assert before["cases"] and before["outbox"] and before["people"]
    cfg = config_file(tmp_path, config)
    target = tmp_path / "saved" / "liaison-backup.db"

    assert main(["backup", str(target), "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert str(target) in out and "liaison.key" in out
    assert snapshot(target) == before

    await app.repos.outbox.skip_pending("case:")
    await Conversation(app, user="resident-3", platform="console").send("/start")
    assert snapshot(database) != before
    assert main(["backup", str(target), "--config", cfg]) == 1  # never overwrites a backup
    await app.close()

    assert main(["restore", str(target), "--config", cfg]) == 0
    assert snapshot(database) == before
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # one file
    saved = list((database.parent / BACKUP_DIR).glob("before-restore-*.db"))
    assert len(saved) == 1 and snapshot(saved[0]) != before  # the replaced state is kept


def test_restore_refuses_what_is_not_a_backup(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A text file, or a database from a newer version, is refused and nothing changes."""
    cfg = config_file(tmp_path, config)
    junk = tmp_path / "notes.db"
    junk.write_text("not a database " * 100)
    assert main(["restore", str(junk), "--config", cfg]) == 1
    assert "not a SQLite database" in capsys.readouterr().err
    newer = tmp_path / "newer.db"
    connection = sqlite3.connect(newer)
    connection.execute(f"PRAGMA user_version = {available_migrations()[-1][0] + 1}")
    connection.close()
    assert main(["restore", str(newer), "--config", cfg]) == 1
    assert "upgrade liaison first" in capsys.readouterr().err
    assert not Path(config.storage.path).exists()


def old_database(path: Path, count: int) -> None:
    """A database as an older release left it: only its first `count` migrations, and no
    tracking table (the runner then reads `user_version`)."""
    connection = sqlite3.connect(path)
    for number, _name, sql in available_migrations()[:count]:
        connection.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version={number};\nCOMMIT;")
    connection.execute(
        "INSERT INTO people (platform, platform_user_id, locale, role, created_at, last_seen_at) "
        "VALUES ('console', 'old-timer', 'fr', 'resident', '2025-01-01T00:00:00.000000Z', "
        "'2025-01-01T00:00:00.000000Z')"
    )
    connection.commit()
    connection.close()


async def test_upgrade_takes_a_backup_first_and_keeps_the_last_few(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """An older database is copied before migrations; new or current ones are not."""
    config = make_config(tmp_path, LIAISON_OPS_KEEP_BACKUPS="2")
    database = Path(config.storage.path)
    folder = database.parent / BACKUP_DIR
    await make_app(config)  # a brand-new database: nothing to back up
    assert not folder.exists()
    await make_app(config)  # already current
    assert not folder.exists()

    database.unlink()
    shipped = available_migrations()
    old_version = shipped[-3][0]
    old_database(database, len(shipped) - 2)
    folder.mkdir()
    for stamp in ("20200101T000000000000Z", "20210101T000000000000Z"):
        (folder / f"{AUTO_PREFIX}v0001-{stamp}.db").touch()
    expected = snapshot(database)
    await make_app(config)
    kept = sorted(p.name for p in folder.glob(f"{AUTO_PREFIX}*.db"))
    assert len(kept) == 2 and kept[0].endswith("20210101T000000000000Z.db")
    newest = folder / kept[1]
    assert newest.name.startswith(f"{AUTO_PREFIX}v{old_version:04d}-")
    assert snapshot(newest) == expected  # the pre-upgrade state, exactly
    assert snapshot(database)["user_version"] == [(shipped[-1][0],)]


def test_postgres_backups_are_explained_without_the_password() -> None:
    """On PostgreSQL the command says what to run and never echoes the URL."""
    backend = Backend(BackendKind.POSTGRESQL, "postgresql://bot:hunter22@db/liaison")
    for restore in (False, True):
        text = postgres_instructions(backend, "/srv/liaison.dump", restore)
        assert ("pg_restore" if restore else "pg_dump") in text
        assert "hunter22" not in text
