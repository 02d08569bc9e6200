"""Configuration: frozen dataclasses read from TOML, then overridden by environment.

Every key can be set as `LIAISON_<SECTION>_<KEY>` so secrets need not sit in files.
Validation happens once at start-up; a bad value raises `ConfigError` naming the key,
which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import math
import os
import re
import tomllib
import typing
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "LIAISON_"
SUPPORTED_LOCALES = ("en", "es", "fr", "ar", "zh_Hans", "vi", "ht", "ru", "pt", "so")
# Keys whose values must never be printed; ConfigError omits the value for these.
SECRET_KEYS = frozenset({"token", "webhook_secret", "hash_key"})
# Any number outside this is refused even where a key sets no range of its own: no count,
# rate or duration of this bot is that large, and times built from it must not overflow.
NUMBER_LIMIT = 1_000_000_000
# A value is quoted in an error up to this many characters (one line, however long it is).
SHOWN_VALUE_CHARS = 40
# The password of a URL such as postgresql://user:password@host/db, never quoted back.
URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")
# Where a database file cannot live: kernel and device views, not storage.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


class StartupError(Exception):
    """Start-up cannot go on; the message is the one line the operator sees (exit code 2)."""


class ConfigError(StartupError, ValueError):
    """A configuration value that cannot be used; the message names the key."""

    def __init__(self, key: str, problem: str, env_name: str | None = None) -> None:
        where = f"{key} (from {env_name})" if env_name else key
        super().__init__(f"config {where}: {problem}")
        self.key = key
        self.problem = problem


def _between(low: float, high: float, unit: str = "") -> Callable[[float], str | None]:
    """A number from `low` to `high` inclusive; the bound keeps times built from it sane."""
    unit = f" {unit}" if unit else ""

    def check(value: float) -> str | None:
        return None if low <= value <= high else f"must be from {low:g} to {high:g}{unit}"

    return check


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _rate(high: float) -> Callable[[float], str | None]:
    """A sending rate: fractions (one message every two seconds = 0.5) are honoured."""

    def check(value: float) -> str | None:
        if 0 < value <= high:
            return None
        return f"must be a number greater than 0 and at most {high:g} (fractions allowed)"

    return check


def _not_blank(value: str) -> str | None:
    return None if value.strip() else "must not be empty"


def _phone(value: str) -> str | None:
    """A number people are told to call: an empty one would make answers say "call ."."""
    if any(char.isdigit() for char in value) and value.isprintable():
        return None
    return "must be a phone number to show in answers, such as 911"


def _single_line(value: str) -> str | None:
    """A token or secret pasted with a space or line break in it would be refused later."""
    return None if value.isprintable() and " " not in value else "must be one line, no spaces"


def _port(value: int) -> str | None:
    return None if 0 < value < 65536 else "must be a TCP port between 1 and 65535"


def _one_of(*choices: str) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in choices else f"must be one of {', '.join(choices)}"

    return check


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str | None:
    # Membership, not ZoneInfo(value): "America" is a folder of the zone database, and
    # opening it fails differently on every system.
    if value in _zone_names():
        return None
    return "must be an IANA time zone such as America/New_York or Europe/Paris"


def _url(*schemes: str) -> Callable[[str], str | None]:
    """An absolute URL with one of `schemes` and a host; empty means "not set"."""

    def check(value: str) -> str | None:
        if not value:
            return None
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - parsing the port is the check
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in schemes or not parts.hostname or " " in value:
            forms = " or ".join(f"{scheme}://" for scheme in schemes)
            return f"must be a URL starting with {forms} and naming a host"
        return None

    return check


_http_url = _url("http", "https")


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


def _ids(pattern: str, form: str) -> Callable[[tuple[str, ...]], str | None]:
    """Every item of a list of platform ids matches `pattern`; `form` says what one looks like."""
    compiled = re.compile(pattern)

    def check(value: tuple[str, ...]) -> str | None:
        bad = [item for item in value if not compiled.fullmatch(item)]
        return f"must hold only {form}" if bad else None

    return check


def _id(pattern: str, form: str) -> Callable[[str], str | None]:
    """One platform id, or empty for "none"."""
    many = _ids(pattern, form)

    def check(value: str) -> str | None:
        return many((value,)) if value else None

    return check


# Discord ids are snowflakes: unsigned 64-bit numbers.
SNOWFLAKE = r"[0-9]{1,20}"
SNOWFLAKE_FORM = "Discord ids (numbers such as 80351110224678912)"
# Telegram chat ids are (often negative) numbers, or @username for public channels.
TELEGRAM_CHAT = r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}"
TELEGRAM_CHAT_FORM = "Telegram chat ids (numbers such as -1001234567890, or @channelname)"
# Telegram's secret_token: 1-256 characters from this set.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MIME_TYPE = re.compile(r"[a-z]+/[A-Za-z0-9.+-]+")


DOMAIN = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")


def _domain(value: str) -> str | None:
    return None if DOMAIN.fullmatch(value) else "must be a domain name such as liaison.example.org"


def _webhook_secret(value: str) -> str | None:
    if not value or WEBHOOK_SECRET.fullmatch(value):
        return None
    return "must be 1-256 characters from A-Z, a-z, 0-9, _ and -"


def _mime_types(value: tuple[str, ...]) -> str | None:
    bad = [item for item in value if not MIME_TYPE.fullmatch(item)]
    return f"must be media types such as image/png, got {', '.join(bad)}" if bad else None


def _database_path(value: str) -> str | None:
    """A file SQLite can create: not empty, not a folder, not under /proc, /sys or /dev."""
    if value == ":memory:":
        return None
    if not value.strip():
        return "must name a database file such as ./liaison.db"
    path = Path(value).expanduser().absolute()
    if any(path == root or root in path.parents for root in PSEUDO_FILESYSTEMS):
        return "must be a file on disk, not under /proc, /sys or /dev"
    if path.is_dir():
        return "is a folder; name a database file inside it, such as ./liaison.db"
    existing = next(parent for parent in path.parents if parent.exists())
    if not existing.is_dir():
        return f"is inside {existing}, which is a file, not a folder"
    return None


def _key_path(value: str) -> str | None:
    if not value.strip():
        return "must name the key file, such as ./liaison.key"
    if Path(value).expanduser().is_dir():
        return "is a folder; name a key file inside it, such as ./liaison.key"
    return None


def _hash_key(value: str) -> str | None:
    """A configured key must be as hard to guess as a generated one (32 random bytes)."""
    if not value or len(value) >= MIN_KEY_CHARS:
        return None
    return f"must be at least {MIN_KEY_CHARS} characters (or empty to use the key file)"


# A configured hash_key of this many characters carries at least as much as a hex-written
# 16-byte key; shorter ones are guessable.
MIN_KEY_CHARS = 32


def _folder(value: str) -> str | None:
    if not value or Path(value).expanduser().is_dir():
        return None
    return "must be an existing folder (or empty)"


# An admin is named as /whoami prints it: the platform, a colon, the numeric user id (a
# @username or a display name can change hands, and would never match anyway).
ADMIN_ID = re.compile(r"(?i)(telegram|discord):\d{1,20}")


def _identities(value: tuple[str, ...]) -> str | None:
    bad = [item for item in value if ADMIN_ID.fullmatch(item.strip()) is None]
    if not bad:
        return None
    # The error line quotes the refused value itself.
    return "must be written telegram:<digits> or discord:<digits> (as /whoami prints it)"


def _normal_identity(identity: str) -> str:
    """'Telegram:123' and 'telegram:123' name the same person: platform in lowercase."""
    platform, _, user_id = identity.strip().partition(":")
    return f"{platform.lower()}:{user_id}"


@dataclass(frozen=True, slots=True)
class BotSection:
    service_name: str = _setting("Community Liaison Service", _not_blank)
    operator: str = _setting("the city's community liaison office", _not_blank)
    default_locale: str = _setting("en", _one_of(*SUPPORTED_LOCALES))
    languages: tuple[str, ...] = _setting(SUPPORTED_LOCALES, _locales)
    timezone: str = _setting("America/New_York", _timezone)
    admins: tuple[str, ...] = _setting((), _identities)


DEFAULT_STORAGE_PATH = "./liaison.db"
DEFAULT_STORAGE_URL = f"sqlite:///{DEFAULT_STORAGE_PATH}"


def _storage_url(value: str) -> str | None:
    if value.startswith("sqlite:///"):
        return _database_path(value.removeprefix("sqlite:///"))
    if value.startswith(("postgresql://", "postgres://")):
        return None
    return "must be sqlite:///PATH or postgresql://USER@HOST/DATABASE"


@dataclass(frozen=True, slots=True)
class StorageSection:
    """Where data lives: `url` picks the backend; `path` is the older name for an SQLite
    file and is used when `url` is left at its default."""

    url: str = _setting(DEFAULT_STORAGE_URL, _storage_url)
    path: str = _setting(DEFAULT_STORAGE_PATH, _database_path)

    @property
    def database_url(self) -> str:
        if self.url == DEFAULT_STORAGE_URL and self.path != DEFAULT_STORAGE_PATH:
            return f"sqlite:///{self.path}"
        return self.url


@dataclass(frozen=True, slots=True)
class LoggingSection:
    level: str = _setting("INFO", _one_of("DEBUG", "INFO", "WARNING", "ERROR"))
    # "json": one object per line for log collectors; "text" for people reading a terminal.
    format: str = _setting("text", _one_of("text", "json"))


def _listen_address(value: str) -> str | None:
    """Empty (off), or host:port; IPv6 hosts in brackets ([::1]:9464); port 0 = any free."""
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        return "must be host:port, e.g. 127.0.0.1:9464"
    return None


@dataclass(frozen=True, slots=True)
class OpsSection:
    """The operator's HTTP listener (/healthz, /metrics); off unless an address is given."""

    listen: str = _setting("", _listen_address)
    # Backups kept by the automatic copy taken before a schema upgrade.
    keep_backups: int = _setting(3, _positive)


@dataclass(frozen=True, slots=True)
class PrivacySection:
    hash_key: str = _setting("", _hash_key)
    hash_key_path: str = _setting("./liaison.key", _key_path)
    closed_case_retention_days: int = _setting(90, _between(1, 36_500, "days"))
    conversation_expiry_hours: int = _setting(72, _between(1, 87_600, "hours"))


@dataclass(frozen=True, slots=True)
class AbuseSection:
    """Flood control: more than `flood_messages` in `flood_seconds` mutes for a while."""

    flood_messages: int = _setting(8, _between(1, 10_000))
    flood_seconds: float = _setting(10.0, _between(0.001, 86_400, "seconds"))
    mute_seconds: float = _setting(60.0, _between(0.001, 604_800, "seconds"))
    max_text_chars: int = _setting(4000, _between(1, 1_000_000, "characters"))


@dataclass(frozen=True, slots=True)
class TelegramSection:
    token: str = _setting("", _single_line)
    mode: str = _setting("polling", _one_of("polling", "webhook"))
    api_base_url: str = _setting("https://api.telegram.org/bot", _http_url)
    api_file_url: str = _setting("https://api.telegram.org/file/bot", _http_url)
    webhook_url: str = _setting("", _http_url)
    webhook_listen: str = _setting("127.0.0.1", _not_blank)
    webhook_port: int = _setting(8443, _port)
    webhook_secret: str = _setting("", _webhook_secret)
    rate_global_per_s: float = _setting(30.0, _rate(10_000))
    rate_private_chat_per_s: float = _setting(1.0, _rate(10_000))
    rate_group_per_min: float = _setting(20.0, _rate(100_000))
    liaison_chat_id: str = _setting("", _id(TELEGRAM_CHAT, TELEGRAM_CHAT_FORM))
    announcement_chat_ids: tuple[str, ...] = _setting((), _ids(TELEGRAM_CHAT, TELEGRAM_CHAT_FORM))


@dataclass(frozen=True, slots=True)
class DiscordSection:
    token: str = _setting("", _single_line)
    api_base_url: str = _setting("", _http_url)
    gateway_url: str = _setting("", _url("ws", "wss"))
    guild_ids: tuple[str, ...] = _setting((), _ids(SNOWFLAKE, SNOWFLAKE_FORM))
    liaison_channel_id: str = _setting("", _id(SNOWFLAKE, SNOWFLAKE_FORM))
    announcement_channel_ids: tuple[str, ...] = _setting((), _ids(SNOWFLAKE, SNOWFLAKE_FORM))
    # Read what liaisons type in case threads: needs the privileged Message Content intent,
    # switched on for the application in Discord's developer portal first.
    message_content: bool = _setting(False)
    rate_global_per_s: float = _setting(50.0, _rate(10_000))
    rate_channel_per_5s: float = _setting(5.0, _rate(10_000))


@dataclass(frozen=True, slots=True)
class LocalSection:
    """Facts that differ per city; knowledge answers show them through placeholders."""

    emergency_number: str = _setting("911", _phone)
    non_emergency_number: str = _setting("311", _phone)
    oversight_agency: str = _setting("the civilian oversight agency", _not_blank)
    oversight_phone: str = _setting("311", _phone)
    oversight_url: str = _setting("https://www.nacole.org/", _http_url)
    complaint_deadline: str = _setting("as soon as possible; deadlines differ by city", _not_blank)
    liaison_contact: str = _setting("the community liaison office (ask for a liaison)", _not_blank)
    liaison_languages: str = _setting("English, Español", _not_blank)
    crisis_line: str = _setting("988", _phone)
    legal_aid: str = _setting("your local legal aid society or public defender", _not_blank)
    # Left at the default, answers about immigration show `legal_aid` if the city set it.
    immigration_legal_aid: str = _setting("a nonprofit immigration legal service near you")
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

    response_hours: int = _setting(24, _between(1, 8_760, "hours"))
    office_days: tuple[str, ...] = _setting(("mon", "tue", "wed", "thu", "fri"), _weekdays)
    office_open: str = _setting("09:00", _clock_time)
    office_close: str = _setting("17:00", _clock_time)
    remind_unclaimed_minutes: int = _setting(15, _between(1, 525_600, "minutes"))
    tell_resident_minutes: int = _setting(60, _between(1, 525_600, "minutes"))
    reopen_days: int = _setting(7, _between(0, 3_650, "days"))
    note_prefix: str = _setting("!note", _not_blank)
    attachment_types: tuple[str, ...] = _setting(
        ("image/jpeg", "image/png", "image/webp", "application/pdf"), _mime_types
    )
    attachment_max_bytes: int = _setting(10_000_000, _between(1, 100_000_000, "bytes"))
    max_message_chars: int = _setting(4000, _between(1, 1_000_000, "characters"))


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
    calendar_domain: str = _setting("liaison.invalid", _domain)


def _at_least(floor: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if value >= floor else f"must be at least {floor}"

    return check


@dataclass(frozen=True, slots=True)
class PollsSection:
    """Reporting thresholds for poll results (shared/polls/TRUST_POLLS.md §3) and reminders."""

    # Smallest group (overall, language, neighbourhood) whose figures are shown; 10 is the
    # disclosure floor below which no count is ever published.
    min_group_size: int = _setting(30, _at_least(10))
    secondary_suppression: str = _setting("next_smallest", _one_of("next_smallest", "totals_only"))
    closing_soon_hours: int = _setting(24, _positive)


@dataclass(frozen=True, slots=True)
class KnowledgeSection:
    extra_path: str = _setting("", _folder)


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
    polls: PollsSection = field(default_factory=PollsSection)
    ops: OpsSection = field(default_factory=OpsSection)


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
        value: Any = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif from_env:
            with contextlib.suppress(ValueError):
                value = int(str(raw).strip())
        if value is None:
            raise ConfigError(key, "must be a whole number")
        return _within_limit(key, value)
    if kind is float:
        number: float | None = None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number = float(raw)
        elif from_env:
            with contextlib.suppress(ValueError):
                number = float(str(raw))
        if number is None:
            raise ConfigError(key, "must be a number")
        if not math.isfinite(number):
            raise ConfigError(key, "must be a finite number (not inf or nan)")
        return _within_limit(key, number)
    if kind is str:
        if isinstance(raw, str):
            return _valid_text(key, raw)
        if isinstance(raw, int) and not isinstance(raw, bool):
            return str(raw)  # chat ids are often written as bare numbers
        raise ConfigError(key, 'must be text in quotes, such as "value"')
    if origin is tuple:
        if from_env and isinstance(raw, str) and raw.strip().startswith("["):
            # A JSON list, as orchestrators often write lists: ["a", "b"].
            text = _valid_text(key, raw)
            try:
                raw = json.loads(text)
            except ValueError as error:
                raise ConfigError(key, "must be a JSON list or comma-separated values") from error
        elif from_env and isinstance(raw, str):
            raw = _valid_text(key, raw)
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(raw, list) and all(
            isinstance(item, str) or (isinstance(item, int) and not isinstance(item, bool))
            for item in raw
        ):
            return tuple(_valid_text(key, str(item)) for item in raw)
        raise ConfigError(key, 'must be a list of text values, such as ["a", "b"]')
    raise ConfigError(key, f"unsupported setting type {kind!r}")


def _valid_text(key: str, value: str) -> str:
    """Environment bytes that are not UTF-8 arrive as lone surrogates, which no message,
    database row or log line can carry."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(key, "must be valid UTF-8 text") from None
    return value


def _within_limit(key: str, value: float) -> Any:
    if abs(value) > NUMBER_LIMIT:
        raise ConfigError(key, f"must be at most {NUMBER_LIMIT:,} in size")
    return value


def _shown(value: Any) -> str:
    """A refused value as the error quotes it: one line, cut short, no URL password."""
    text = URL_PASSWORD.sub(r"\1:***@", repr(list(value) if isinstance(value, tuple) else value))
    return text if len(text) <= SHOWN_VALUE_CHARS else text[: SHOWN_VALUE_CHARS - 1] + "…"


def _build_section(name: str, cls: Any, values: Mapping[str, Any], env: Mapping[str, str]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    for unknown in sorted(set(values) - known):
        raise ConfigError(f"{name}.{unknown}", "unknown setting (check the spelling)")
    kwargs: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        key = f"{name}.{spec.name}"
        env_name = f"{ENV_PREFIX}{name}_{spec.name}".upper()
        source = env_name if env_name in env else None
        try:
            if source is not None:
                value = _coerce(key, hints[spec.name], env[env_name], from_env=True)
            elif spec.name in values:
                value = _coerce(key, hints[spec.name], values[spec.name], from_env=False)
            else:
                continue
        except ConfigError as error:
            raise ConfigError(key, error.problem, source) from None
        check = spec.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            if spec.name not in SECRET_KEYS:
                problem = f"{problem}; got {_shown(value)}"
            raise ConfigError(key, problem, source)
        kwargs[spec.name] = value
    return cls(**kwargs)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), f"is not valid TOML ({error})") from None
    except UnicodeDecodeError as error:
        problem = f"is not UTF-8 text (byte {error.start}); save it as UTF-8"
        raise ConfigError(str(path), problem) from None
    except OSError as error:
        raise ConfigError(str(path), f"cannot be read ({error.strerror})") from None


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
        data = _read_toml(path)
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
    if config.telegram.mode == "webhook":
        if not config.telegram.webhook_url:
            raise ConfigError("telegram.webhook_url", "is required in webhook mode")
        if not config.telegram.webhook_secret:
            raise ConfigError("telegram.webhook_secret", "is required in webhook mode")
    return config
