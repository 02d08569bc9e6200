"""The platform registry: each platform's spec drives config, masking, rooms and limits."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from bot.config import load_config
from bot.core.events import PAYLOAD_MAX_BYTES
from bot.platforms.registry import PLATFORMS, local_platform, platforms_view
from bot.platforms.spec import PlatformSpec
from bot.settings import is_secret

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))


def _as_toml(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("spec", PLATFORMS, ids=lambda spec: spec.name)
def test_the_example_config_documents_every_platform_setting(spec: PlatformSpec[Any]) -> None:
    """config.example.toml has the spec's table with every key at its default, no more."""
    defaults = {f.name: _as_toml(getattr(spec.section(), f.name)) for f in spec_fields(spec)}
    assert EXAMPLE.get(spec.name, {}) == defaults


@pytest.mark.parametrize("spec", PLATFORMS, ids=lambda spec: spec.name)
def test_secret_settings_are_masked_and_never_quoted(
    spec: PlatformSpec[Any], tmp_path: Path
) -> None:
    """Every setting a spec marks secret is masked, and a bad value of it is not quoted."""
    for field in (f for f in spec_fields(spec) if is_secret(f)):
        env_name = f"LIAISON_{spec.name}_{field.name}".upper()
        config = load_config(_empty(tmp_path), env={env_name: "s3cret-value"})
        assert "s3cret-value" in config.secrets()
        with pytest.raises(ValueError) as refused:
            load_config(_empty(tmp_path), env={env_name: "has a space s3cret"})
        assert "s3cret" not in str(refused.value)


def _empty(folder: Path) -> Path:
    path = folder / "config.toml"
    path.touch()
    return path


def spec_fields(spec: PlatformSpec[Any]) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(spec.section)


def test_platform_names_are_unique_config_tables() -> None:
    """A name is a TOML table and an environment prefix: lowercase, unique, not a core table."""
    names = [spec.name for spec in PLATFORMS]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z][a-z0-9]*", name) for name in names)
    core = {f.name for f in dataclasses.fields(load_config(None, env={}))}
    assert not core & set(names)


@pytest.mark.parametrize("spec", PLATFORMS, ids=lambda spec: spec.name)
def test_every_platform_carries_the_bots_button_payloads(spec: PlatformSpec[Any]) -> None:
    """The neutral payload limit fits every platform's button data."""
    capabilities = spec.capabilities(spec.section())
    assert capabilities.payload_bytes >= PAYLOAD_MAX_BYTES
    assert capabilities.buttons_per_message >= capabilities.buttons_per_row >= 1


def test_rooms_come_from_enabled_platforms_only(tmp_path: Path) -> None:
    """A liaison or announcement room of a platform with no token is not a room at all."""
    enabled, disabled = [spec for spec in PLATFORMS if spec.liaison_room_key][:2]
    env = {
        f"LIAISON_{enabled.name}_TOKEN".upper(): "1:token",
        f"LIAISON_{enabled.name}_{enabled.liaison_room_key}".upper(): "-100",
        f"LIAISON_{enabled.name}_{enabled.announcement_rooms_key}".upper(): "-200,-300",
        f"LIAISON_{disabled.name}_{disabled.liaison_room_key}".upper(): "400",
    }
    view = platforms_view(load_config(_empty(tmp_path), env=env))
    assert [(room.platform, room.chat_id) for room in view.liaison_rooms] == [
        (enabled.name, "-100")
    ]
    assert [room.chat_id for room in view.announcement_rooms] == ["-200", "-300"]


def test_only_the_local_platform_is_trusted_with_roles(tmp_path: Path) -> None:
    """Exactly one platform is the operator's own terminal; the others trust no claim."""
    view = platforms_view(load_config(_empty(tmp_path), env={}))
    local = local_platform()
    assert [spec.name for spec in PLATFORMS if view.is_local(spec.name)] == [local.name]
    assert local.terminal is not None and local.adapter is None
    assert not view.is_local("unknown")
