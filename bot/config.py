"""Configuration: frozen dataclasses read from TOML, then overridden by environment.

Every key can be set as `LIAISON_<SECTION>_<KEY>` so secrets need not sit in files.
Validation happens once at start-up; a bad value raises `ConfigError` naming the key,
which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import tomllib
import typing
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "LIAISON_"
SUPPORTED_LOCALES = ("en", "es", "fr", "ar", "zh_Hans", "vi", "ht", "ru", "pt", "so")
# Keys whose values must never be printed; ConfigError omits the value for these.
SECRET_KEYS = frozenset({"token", "webhook_secret", "hash_key"})


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config {key}: {problem}")
        self.key = key


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port between 1 and 65535"


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (use an IANA name such as America/New_York)"
    return None


def _http_url(value: str) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        return "must start with http:// or https://"
    return None


def _locales(value: tuple[str, ...]) -> str | None:
    unknown = [code for code in value if code not in SUPPORTED_LOCALES]
    if unknown:
        return f"unsupported language(s) {', '.join(unknown)}"
    return None if value else "must name at least one language"


def _setting(default: Any, check: Callable[[Any], str | None] | None = None) -> Any:
    """A config field with its validator stored beside it."""
    factory_default = default
    if isinstance(default, list | tuple):
        return field(default_factory=lambda: tuple(factory_default), metadata={"check": check})
    return field(default=default, metadata={"check": check})


# An admin is named as /whoami prints it: the platform, a colon, the numeric user id (a
# @username or a display name can change hands, and would never match anyway).
ADMIN_ID = re.compile(r"(?i)(telegram|discord):\d{1,20}")


def _identities(value: tuple[str, ...]) -> str | None:
    bad = [item for item in value if ADMIN_ID.fullmatch(item.strip()) is None]
    if not bad:
        return None
    return f"must be written telegram:<digits> or discord:<digits>, got {', '.join(bad)}"


def _normal_identity(identity: str) -> str:
    """'Telegram:123' and 'telegram:123' name the same person: platform in lowercase."""
    platform, _, user_id = identity.strip().partition(":")
    return f"{platform.lower()}:{user_id}"


@dataclass(frozen=True, slots=True)
class BotSection:
    service_name: str = _setting("Community Liaison Service")
    operator: str = _setting("the city's community liaison office")
    default_locale: str = _setting("en", _one_of(*SUPPORTED_LOCALES))
    languages: tuple[str, ...] = _setting(SUPPORTED_LOCALES, _locales)
    timezone: str = _setting("America/New_York", _timezone)
    admins: tuple[str, ...] = _setting((), _identities)


@dataclass(frozen=True, slots=True)
class StorageSection:
    path: str = _setting("./liaison.db")


@dataclass(frozen=True, slots=True)
class LoggingSection:
    level: str = _setting("INFO", _one_of("DEBUG", "INFO", "WARNING", "ERROR"))


@dataclass(frozen=True, slots=True)
class PrivacySection:
    hash_key: str = _setting("")
    hash_key_path: str = _setting("./liaison.key")
    closed_case_retention_days: int = _setting(90, _positive)
    conversation_expiry_hours: int = _setting(72, _positive)


@dataclass(frozen=True, slots=True)
class AbuseSection:
    """Flood control: more than `flood_messages` in `flood_seconds` mutes for a while."""

    flood_messages: int = _setting(8, _positive)
    flood_seconds: float = _setting(10.0, _positive)
    mute_seconds: float = _setting(60.0, _positive)
    max_text_chars: int = _setting(4000, _positive)


@dataclass(frozen=True, slots=True)
class TelegramSection:
    token: str = _setting("")
    mode: str = _setting("polling", _one_of("polling", "webhook"))
    api_base_url: str = _setting("https://api.telegram.org/bot", _http_url)
    api_file_url: str = _setting("https://api.telegram.org/file/bot", _http_url)
    webhook_url: str = _setting("", _http_url)
    webhook_listen: str = _setting("127.0.0.1")
    webhook_port: int = _setting(8443, _port)
    webhook_secret: str = _setting("")
    rate_global_per_s: float = _setting(30.0, _positive)
    rate_private_chat_per_s: float = _setting(1.0, _positive)
    rate_group_per_min: float = _setting(20.0, _positive)
    liaison_chat_id: str = _setting("")
    announcement_chat_ids: tuple[str, ...] = _setting(())


@dataclass(frozen=True, slots=True)
class DiscordSection:
    token: str = _setting("")
    api_base_url: str = _setting("", _http_url)
    gateway_url: str = _setting("")
    guild_ids: tuple[str, ...] = _setting(())
    liaison_channel_id: str = _setting("")
    announcement_channel_ids: tuple[str, ...] = _setting(())
    # Read what liaisons type in case threads: needs the privileged Message Content intent,
    # switched on for the application in Discord's developer portal first.
    message_content: bool = _setting(False)
    rate_global_per_s: float = _setting(50.0, _positive)
    rate_channel_per_5s: float = _setting(5.0, _positive)


@dataclass(frozen=True, slots=True)
class LocalSection:
    """Facts that differ per city; knowledge answers show them through placeholders."""

    emergency_number: str = _setting("911")
    non_emergency_number: str = _setting("311")
    oversight_agency: str = _setting("the civilian oversight agency")
    oversight_phone: str = _setting("311")
    oversight_url: str = _setting("https://www.nacole.org/", _http_url)
    complaint_deadline: str = _setting("as soon as possible; deadlines differ by city")
    liaison_contact: str = _setting("the community liaison office (ask for a liaison)")
    liaison_languages: str = _setting("English, Español")
    crisis_line: str = _setting("988")
    legal_aid: str = _setting("your local legal aid society or public defender")
    meetings_url: str = _setting("", _http_url)
    privacy_notice_url: str = _setting("", _http_url)


def _clock_time(value: str) -> str | None:
    hours, _, minutes = value.partition(":")
    if hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60:
        return None
    return "must be a time of day as HH:MM"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekdays(value: tuple[str, ...]) -> str | None:
    unknown = [day for day in value if day not in WEEKDAYS]
    return f"unknown day(s) {', '.join(unknown)} (use {', '.join(WEEKDAYS)})" if unknown else None


def _non_negative(value: float) -> str | None:
    return None if value >= 0 else "must not be negative"


@dataclass(frozen=True, slots=True)
class EscalationSection:
    """Talking to a person: promises made to residents and limits that protect liaisons."""

    response_hours: int = _setting(24, _positive)
    office_days: tuple[str, ...] = _setting(("mon", "tue", "wed", "thu", "fri"), _weekdays)
    office_open: str = _setting("09:00", _clock_time)
    office_close: str = _setting("17:00", _clock_time)
    remind_unclaimed_minutes: int = _setting(15, _positive)
    tell_resident_minutes: int = _setting(60, _positive)
    reopen_days: int = _setting(7, _non_negative)
    note_prefix: str = _setting("!note")
    attachment_types: tuple[str, ...] = _setting(
        ("image/jpeg", "image/png", "image/webp", "application/pdf")
    )
    attachment_max_bytes: int = _setting(10_000_000, _positive)
    max_message_chars: int = _setting(4000, _positive)


def _offsets(value: tuple[str, ...]) -> str | None:
    if all(v.isdigit() and 0 < int(v) <= 60 * 24 * 30 for v in value):
        return None
    return "must be minutes before the meeting, between 1 and 43200"


@dataclass(frozen=True, slots=True)
class MeetingsSection:
    """Announcements and reminders."""

    neighborhoods: tuple[str, ...] = _setting(())
    reminder_minutes: tuple[str, ...] = _setting(("1440", "60"), _offsets)
    # Non-urgent broadcasts wait for the morning inside these local hours.
    quiet_start: str = _setting("21:00", _clock_time)
    quiet_end: str = _setting("08:00", _clock_time)
    # Domain part of calendar UIDs, so calendars recognise an update of the same meeting.
    calendar_domain: str = _setting("liaison.invalid")


@dataclass(frozen=True, slots=True)
class KnowledgeSection:
    extra_path: str = _setting("")


@dataclass(frozen=True, slots=True)
class Config:
    bot: BotSection = field(default_factory=BotSection)
    storage: StorageSection = field(default_factory=StorageSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    privacy: PrivacySection = field(default_factory=PrivacySection)
    telegram: TelegramSection = field(default_factory=TelegramSection)
    discord: DiscordSection = field(default_factory=DiscordSection)
    local: LocalSection = field(default_factory=LocalSection)
    knowledge: KnowledgeSection = field(default_factory=KnowledgeSection)
    escalation: EscalationSection = field(default_factory=EscalationSection)
    abuse: AbuseSection = field(default_factory=AbuseSection)
    meetings: MeetingsSection = field(default_factory=MeetingsSection)


def _coerce(key: str, kind: Any, raw: Any, from_env: bool) -> Any:
    """Turn a TOML or environment value into the field's type, or say what is wrong."""
    origin = typing.get_origin(kind)
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        if from_env and str(raw).lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return str(raw).lower() in {"1", "true", "yes", "on"}
        raise ConfigError(key, "must be true or false")
    if kind is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if from_env:
            with contextlib.suppress(ValueError):
                return int(str(raw).strip())
        raise ConfigError(key, "must be a whole number")
    if kind is float:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        if from_env:
            with contextlib.suppress(ValueError):
                return float(str(raw))
        raise ConfigError(key, "must be a number")
    if kind is str:
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int) and not isinstance(raw, bool):
            return str(raw)  # chat ids are often written as bare numbers
        raise ConfigError(key, "must be text")
    if origin is tuple:
        if from_env and isinstance(raw, str) and raw.strip().startswith("["):
            # A JSON list, as orchestrators often write lists: ["a", "b"].
            try:
                raw = json.loads(raw)
            except ValueError as error:
                raise ConfigError(key, "must be a JSON list or comma-separated values") from error
        elif from_env and isinstance(raw, str):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(raw, list) and all(isinstance(item, str | int) for item in raw):
            return tuple(str(item) for item in raw)
        raise ConfigError(key, "must be a list of text values")
    raise ConfigError(key, f"unsupported setting type {kind!r}")


def _build_section(name: str, cls: Any, values: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for unknown in sorted(set(values) - known):
        raise ConfigError(f"{name}.{unknown}", "unknown setting (check the spelling)")
    kwargs: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        key = f"{name}.{spec.name}"
        env_name = f"{ENV_PREFIX}{name}_{spec.name}".upper()
        if env_name in env:
            value = _coerce(key, hints[spec.name], env[env_name], from_env=True)
        elif spec.name in values:
            value = _coerce(key, hints[spec.name], values[spec.name], from_env=False)
        else:
            continue
        check = spec.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            raise ConfigError(key, problem)
        kwargs[spec.name] = value
    return cls(**kwargs)


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> Config:
    """Read `path` (if it exists) and the environment into a validated `Config`.

    `path=None` means the default `./config.toml`, silently skipped when absent so a
    fresh checkout runs on built-in defaults; an explicitly named missing file is an error.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    explicit = path is not None
    path = path or Path("config.toml")
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(str(path), f"is not valid TOML ({error})") from error
        except OSError as error:
            raise ConfigError(str(path), f"cannot be read ({error.strerror})") from error
    elif explicit:
        raise ConfigError(str(path), "file not found")
    hints = typing.get_type_hints(Config)
    for unknown in sorted(set(data) - set(hints)):
        raise ConfigError(unknown, "unknown section (check the spelling)")
    sections: dict[str, Any] = {}
    for name, section_type in hints.items():
        values = data.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(name, "must be a table ([section])")
        sections[name] = _build_section(name, section_type, values, env)
    config = Config(**sections)
    admins = tuple(_normal_identity(identity) for identity in config.bot.admins)
    config = dataclasses.replace(config, bot=dataclasses.replace(config.bot, admins=admins))
    if config.bot.default_locale not in config.bot.languages:
        raise ConfigError("bot.default_locale", "must be one of bot.languages")
    if config.telegram.mode == "webhook" and config.telegram.token:
        if not config.telegram.webhook_url:
            raise ConfigError("telegram.webhook_url", "is required in webhook mode")
        if not config.telegram.webhook_secret:
            raise ConfigError("telegram.webhook_secret", "is required in webhook mode")
    return config
