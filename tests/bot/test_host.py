"""The adapters' host: a role is taken as given only at the operator's own machine."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.people import Role
from bot.host import AppHost
from bot.platforms.registry import PLATFORMS, local_platform


async def test_the_local_operator_signs_in_with_the_role_they_give(app: App) -> None:
    """The terminal's --role becomes the person's role."""
    local = local_platform().name
    await AppHost(app).sign_in(local, "ops", Role.ORGANIZER)
    person = await app.repos.people.find(local, "ops")
    assert person is not None and person.role is Role.ORGANIZER


async def test_a_role_claimed_from_a_remote_platform_is_refused(app: App) -> None:
    """An adapter of a platform whose people are not local cannot hand out roles."""
    remote = next(spec.name for spec in PLATFORMS if spec.adapter is not None)
    with pytest.raises(PermissionError):
        await AppHost(app).sign_in(remote, "42", Role.ADMIN)
    assert await app.repos.people.find(remote, "42") is None
