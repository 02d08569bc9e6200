"""Property tests over the settings: a wrong value for ANY key, from config.toml or from its
LIAISON_* variable, stops start-up with exit code 2 and one line that names the key.

The keys are read from the settings model itself, so a key added later is covered the day
it is added. Wrong values are generated per type (text where a number belongs, non-finite
and out-of-range numbers, tables where text belongs ...), plus known-bad values for keys
with a format. Validation runs in-process for speed; `tests/bot/test_bad_settings.py` starts
real `liaison run` processes for the issue's cases.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import EXIT_CONFIG, main
from bot.config import ConfigError, config_sections, load_config

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
CLI_PROPERTY = settings(PROPERTY, max_examples=25)


def all_keys() -> list[tuple[str, Any]]:
    """Every setting as ("section.key", its type), straight from the model."""
    keys = []
    for section, section_type in config_sections():
        hints = typing.get_type_hints(section_type)
        for spec in dataclasses.fields(section_type):
            keys.append((f"{section}.{spec.name}", hints[spec.name]))
    return keys


KEYS = all_keys()
NUMBER_KEYS = [(key, kind) for key, kind in KEYS if kind in (int, float)]

# Values of a key with a format that the format refuses (text keys without one accept any
# text, so for them only a wrong type is wrong).
FORMAT_ERRORS: dict[str, list[str]] = {
    "bot.service_name": ["", "   "],
    "bot.operator": [""],
    "bot.default_locale": ["xx", "EN", ""],
    "bot.admins": ["telegram:@name", "tg:1", "telegram:abc", "discord:"],
    "bot.timezone": ["America", "Mars/Olympus", "", "EST5EDT/x", "../etc/passwd"],
    "storage.path": ["", "/proc/liaison.db", "/sys/x.db", "/dev/liaison.db", "/"],
    "logging.level": ["LOUD", "info ", ""],
    "privacy.hash_key": ["short", "x" * 31],
    "privacy.hash_key_path": ["", "  ", "/"],
    "telegram.token": ["a b", "line\nbreak"],
    "telegram.mode": ["carrier-pigeon", ""],
    "telegram.api_base_url": ["not a url", "ftp://x", "http://", "https:///path"],
    "telegram.api_file_url": ["not a url", "//host"],
    "telegram.webhook_url": ["example.org/hook", "http://exa mple.org"],
    "telegram.webhook_listen": ["", " "],
    "telegram.webhook_secret": ["has space", "ü", "x" * 257],
    "telegram.liaison_chat_id": ["general", "12ab", "@x"],
    "telegram.announcement_chat_ids": ["abc", "1,two"],
    "discord.token": ["a b"],
    "discord.api_base_url": ["not a url", "ws://x"],
    "discord.gateway_url": ["not a url", "http://gateway", "wss://"],
    "discord.guild_ids": ["abc", "1,-2", "123456789012345678901"],
    "discord.liaison_channel_id": ["abc", "-1"],
    "discord.announcement_channel_ids": ["x"],
    "local.emergency_number": ["", " ", "call the police"],
    "local.non_emergency_number": [""],
    "local.oversight_phone": [""],
    "local.crisis_line": [""],
    "local.oversight_agency": [""],
    "local.complaint_deadline": [" "],
    "local.liaison_contact": [""],
    "local.liaison_languages": [""],
    "local.legal_aid": [""],
    "local.oversight_url": ["nacole.org", "javascript:alert(1)"],
    "local.meetings_url": ["www.example.org"],
    "local.privacy_notice_url": ["mailto:a@b.c"],
    "knowledge.extra_path": ["/does/not/exist/anywhere"],
    "knowledge.cache_path": ["/dev/null"],
    "escalation.office_days": ["monday", "mon,funday"],
    "escalation.office_open": ["9", "25:00", "09:60", ""],
    "escalation.office_close": ["5pm"],
    "escalation.note_prefix": ["", " "],
    "escalation.attachment_types": ["jpeg", "image/png,pdf"],
    "meetings.reminder_minutes": ["0", "-5", "soon", "99999999"],
    "meetings.quiet_start": ["late"],
    "meetings.quiet_end": ["24:00"],
    "meetings.calendar_domain": ["has space", ""],
}


def toml_value(value: Any) -> str:
    """A Python value written as TOML (JSON's strings are valid TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def wrong_for(kind: Any) -> st.SearchStrategy[Any]:
    """TOML values of the wrong type, or numbers no setting can take."""
    table = st.just({"nested": 1})
    words = st.sampled_from(["abc", "ten", "", "1 2"])
    if kind is int:
        return st.one_of(
            words,
            table,
            st.booleans(),
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(max_value=-1),
            st.integers(min_value=10**12, max_value=2**63 - 1),
        )
    if kind is float:
        return st.one_of(
            words,
            table,
            st.booleans(),
            st.sampled_from([math.inf, -math.inf, math.nan]),
            st.floats(max_value=-1e-9, allow_nan=False, allow_infinity=False),
            st.floats(min_value=1e12, allow_nan=False, allow_infinity=False),
            st.integers(min_value=10**12, max_value=2**63 - 1),
        )
    if kind is bool:
        return st.one_of(words, table, st.integers(), st.floats(allow_nan=False), st.just([True]))
    if kind is str:
        return st.one_of(table, st.booleans(), st.floats(allow_nan=False), st.just(["a", "b"]))
    return st.one_of(table, st.booleans(), st.integers(), st.just([["nested"]]), st.just([1.5]))


def wrong_env(kind: Any) -> st.SearchStrategy[str]:
    """Environment text no number setting can take."""
    if kind is int:
        values = ["abc", "1.5", "-1", "inf", "nan", "1e3x", "99999999999999", ""]
    else:
        values = ["abc", "inf", "-inf", "nan", "-0.5", "0", "1e300", "1,5", ""]
    return st.sampled_from(values)


@st.composite
def bad_setting(draw: st.DrawFn) -> tuple[str, str, dict[str, str]]:
    """(key, config.toml text, environment) with exactly one wrong value somewhere."""
    formatted = sorted(FORMAT_ERRORS)
    use_format = draw(st.booleans())
    if use_format:
        key = draw(st.sampled_from(formatted))
        value: Any = draw(st.sampled_from(FORMAT_ERRORS[key]))
        kind = dict(KEYS)[key]
        from_env = draw(st.booleans())
        if kind is not str and not from_env:
            value = value.split(",")
    else:
        key, kind = draw(st.sampled_from(KEYS))
        from_env = kind in (int, float) and draw(st.booleans())
        value = draw(wrong_env(kind) if from_env else wrong_for(kind))
    section, name = key.split(".")
    if from_env:
        return key, "", {"LIAISON_" + key.replace(".", "_").upper(): str(value)}
    return key, f"[{section}]\n{name} = {toml_value(value)}\n", {}


def test_every_formatted_key_exists() -> None:
    """The table of format errors names real keys (a renamed key must be renamed here)."""
    assert set(FORMAT_ERRORS) <= {key for key, _ in KEYS}


@PROPERTY
@given(case=bad_setting())
def test_any_wrong_value_is_refused_naming_its_key(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[str, str, dict[str, str]]
) -> None:
    """load_config refuses with ConfigError for that key; the message is one line."""
    key, toml, env = case
    path = tmp_path_factory.mktemp("cfg") / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path, env=env)
    assert refused.value.key == key
    message = str(refused.value)
    assert "\n" not in message and key in message
    for name, value in env.items():
        assert name in message
        if key.endswith(("token", "hash_key", "webhook_secret")) and len(value) > 3:
            assert value not in message


@CLI_PROPERTY
@given(case=bad_setting())
def test_liaison_run_exits_2_with_one_line(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    case: tuple[str, str, dict[str, str]],
) -> None:
    """`liaison run` in-process: exit 2, exactly one line on stderr naming the key."""
    key, toml, env = case
    folder = tmp_path_factory.mktemp("run")
    path = folder / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.chdir(folder)  # were the value accepted, nothing is written elsewhere
        for name in [name for name in os.environ if name.startswith("LIAISON_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.StringIO(""))
        err, out = io.StringIO(), io.StringIO()
        patch.setattr(sys, "stderr", err)
        patch.setattr(sys, "stdout", out)
        code = main(["--config", str(path), "run"])
    lines = (out.getvalue() + err.getvalue()).strip().splitlines()
    assert code == EXIT_CONFIG
    assert len(lines) == 1 and key in lines[0] and "Traceback" not in lines[0]


@pytest.mark.parametrize(("key", "kind"), NUMBER_KEYS)
def test_every_number_refuses_huge_negative_and_non_finite(
    tmp_path: Path, key: str, kind: Any
) -> None:
    """No number setting takes -1, 10**12, inf or nan (times built from them stay sane)."""
    path = tmp_path / "config.toml"
    path.touch()
    env_name = "LIAISON_" + key.replace(".", "_").upper()
    for value in ("-1", str(10**12), "inf", "nan"):
        with pytest.raises(ConfigError) as refused:
            load_config(path, env={env_name: value})
        assert refused.value.key == key, value


# The largest value each time setting accepts (see bot/config.py).
TIME_MAXIMA = {
    "LIAISON_ESCALATION_REMIND_UNCLAIMED_MINUTES": "525600",
    "LIAISON_ESCALATION_TELL_RESIDENT_MINUTES": "525600",
    "LIAISON_ESCALATION_RESPONSE_HOURS": "8760",
    "LIAISON_ESCALATION_REOPEN_DAYS": "3650",
    "LIAISON_PRIVACY_CLOSED_CASE_RETENTION_DAYS": "36500",
    "LIAISON_PRIVACY_CONVERSATION_EXPIRY_HOURS": "87600",
    "LIAISON_ABUSE_MUTE_SECONDS": "604800",
}


async def test_periodic_jobs_run_at_the_largest_accepted_times(
    tmp_path: Path, make_app: Any
) -> None:
    """Every job runs cleanly with each time setting at its maximum (no timedelta overflow)."""
    from handlers import JOBS
    from tests.support.app import make_config
    from tests.support.harness import Conversation

    for name, value in TIME_MAXIMA.items():
        with pytest.raises(ConfigError):
            make_config(tmp_path, **{name: str(int(value) + 1)})
    app = await make_app(make_config(tmp_path, **TIME_MAXIMA))
    resident = Conversation(app, user="maxi")
    await resident.send("/human")
    await resident.press_payload("esc.anon")
    await resident.send("Necesito hablar con alguien")
    for _name, job, _every in JOBS:
        await job(app.services)
