"""Roles: admins from config only; grants and revokes audited; privileged actions checked."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.core.people import Role
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, texts


async def _admin_app(tmp_path: Path, make_app: AppFactory) -> App:
    # Written with a capital, as people do: the platform name is normalised.
    return await make_app(make_config(tmp_path, LIAISON_BOT_ADMINS="Telegram:1001"))


async def test_admin_comes_from_config_and_grants_roles(
    tmp_path: Path, make_app: AppFactory
) -> None:
    """The configured admin grants liaison, the change is audited, revoke undoes it."""
    app = await _admin_app(tmp_path, make_app)
    boss, lee = (
        Conversation(app, user="1001", platform="telegram"),
        Conversation(app, user="1002", platform="telegram"),
    )
    assert "telegram:1002" in texts(await lee.send("/whoami"))
    assert "liaison" in texts(await boss.send("/grant telegram:1002 liaison"))
    person = await app.repos.people.find("telegram", "1002")
    assert person is not None and person.role is Role.LIAISON
    assert "telegram:1002" in texts(await boss.send("/roles"))
    await boss.send("/revoke telegram:1002")
    person = await app.repos.people.find("telegram", "1002")
    assert person is not None and person.role is Role.RESIDENT
    actions = [a for a, *_ in await app.repos.audit.actions()]
    assert actions.count("role") == 2


async def test_non_admin_cannot_grant_or_become_admin(tmp_path: Path, make_app: AppFactory) -> None:
    """A resident's /grant is refused; an admin role in the database without config is dropped."""
    app = await _admin_app(tmp_path, make_app)
    mallory = Conversation(app, user="1003", platform="telegram")
    assert "only for the service's staff" in texts(
        await mallory.send("/grant telegram:1003 liaison")
    )
    person = await app.repos.people.find("telegram", "1003")
    assert person is not None
    await app.repos.people.set_role(person.id, Role.ADMIN)  # e.g. an old database
    await mallory.send("/start")
    person = await app.repos.people.find("telegram", "1003")
    assert person is not None and person.role is Role.RESIDENT


async def test_nobody_can_grant_admin_in_chat(tmp_path: Path, make_app: AppFactory) -> None:
    """/grant only knows liaison and organizer."""
    app = await _admin_app(tmp_path, make_app)
    boss = Conversation(app, user="1001", platform="telegram")
    await Conversation(app, user="1004", platform="telegram").send("/start")
    assert "/grant" in texts(await boss.send("/grant telegram:1004 admin"))
    person = await app.repos.people.find("telegram", "1004")
    assert person is not None and person.role is Role.RESIDENT


async def test_staff_commands_refused_for_residents(app: App) -> None:
    """Every staff command refuses a resident with a translated message."""
    carla = Conversation(app, user="carla", language_hint="es")
    for command in ("/cases", "/reply 1 hola", "/close 1 answered", "/unblock 1", "/roles"):
        refusal = texts(await carla.send(command))
        assert "personal" in refusal.lower(), command
