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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.platforms.registry import PLATFORMS
from bot.platforms.spec import PlatformSpec
from bot.settings import (
    ConfigError as ConfigError,
)
from bot.settings import (
    StartupError as StartupError,
)
from bot.settings import (
    between,
    http_url,
    is_secret,
    not_blank,
    one_of,
    positive,
    secret_values,
    setting,
)

ENV_PREFIX = "LIAISON_"
SUPPORTED_LOCALES = ("en", "es", "fr", "ar", "zh_Hans", "vi", "ht", "ru", "pt", "so")
# Any number outside this is refused even where a key sets no range of its own: no count,
# rate or duration of this bot is that large, and times built from it must not overflow.
NUMBER_LIMIT = 1_000_000_000
# A value is quoted in an error up to this many characters (one line, however long it is).
SHOWN_VALUE_CHARS = 40
# The password of a URL such as postgresql://user:password@host/db, never quoted back.
URL_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")
# Where a database file cannot live: kernel and device views, not storage.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _phone(value: str) -> str | None:
    """A number people are told to call: an empty one would make answers say "call ."."""
    if any(char.isdigit() for char in value) and value.isprintable():
        return None
    return "must be a phone number to show in answers, such as 911"


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str | None:
    # Membership, not ZoneInfo(value): "America" is a folder of the zone database, and
    # opening it fails differently on every system.
    if value in _zone_names():
        return None
    return "must be an IANA time zone such as America/New_York or Europe/Paris"


def _locales(value: tuple[str, ...]) -> str | None:
    unknown = [code for code in value if code not in SUPPORTED_LOCALES]
    if unknown:
        return f"unsupported language(s) {', '.join(unknown)}"
    return None if value else "must name at least one language"


MIME_TYPE = re.compile(r"[a-z]+/[A-Za-z0-9.+-]+")
DOMAIN = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*")


def _domain(value: str) -> str | None:
    return None if DOMAIN.fullmatch(value) else "must be a domain name such as liaison.example.org"


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


def _cache_folder(value: str) -> str | None:
    path = Path(value).expanduser()
    if value and path.exists() and not path.is_dir():
        return "must be a folder (created if missing) or empty"
    return None


def _folder(value: str) -> str | None:
    if not value or Path(value).expanduser().is_dir():
        return None
    return "must be an existing folder (or empty)"


# An admin is named as /whoami prints it: the platform, a colon, the platform's user id
# (a @username or a display name can change hands, and would never match anyway).
ADMIN_ID = re.compile(
    "(?i)"
    + "|".join(
        f"{re.escape(spec.name)}:(?:{spec.user_id_pattern})"
        for spec in PLATFORMS
        if spec.user_id_pattern is not None
    )
)
ADMIN_FORMS = " or ".join(
    f"{spec.name}:{spec.user_id_form}" for spec in PLATFORMS if spec.user_id_pattern is not None
)


def _identities(value: tuple[str, ...]) -> str | None:
    bad = [item for item in value if ADMIN_ID.fullmatch(item.strip()) is None]
    if not bad:
        return None
    # The error line quotes the refused value itself.
    return f"must be written {ADMIN_FORMS} (as /whoami prints it)"


def _normal_identity(identity: str) -> str:
    """'Chat:123' and 'chat:123' name the same person: the platform is kept in lowercase."""
    platform, _, user_id = identity.strip().partition(":")
    return f"{platform.lower()}:{user_id}"


@dataclass(frozen=True, slots=True)
class BotSection:
    service_name: str = setting("Community Liaison Service", not_blank)
    operator: str = setting("the city's community liaison office", not_blank)
    default_locale: str = setting("en", one_of(*SUPPORTED_LOCALES))
    languages: tuple[str, ...] = setting(SUPPORTED_LOCALES, _locales)
    timezone: str = setting("America/New_York", _timezone)
    admins: tuple[str, ...] = setting((), _identities)


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

    url: str = setting(DEFAULT_STORAGE_URL, _storage_url)
    path: str = setting(DEFAULT_STORAGE_PATH, _database_path)

    @property
    def database_url(self) -> str:
        if self.url == DEFAULT_STORAGE_URL and self.path != DEFAULT_STORAGE_PATH:
            return f"sqlite:///{self.path}"
        return self.url


@dataclass(frozen=True, slots=True)
class LoggingSection:
    level: str = setting("INFO", one_of("DEBUG", "INFO", "WARNING", "ERROR"))
    # "json": one object per line for log collectors; "text" for people reading a terminal.
    format: str = setting("text", one_of("text", "json"))


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

    listen: str = setting("", _listen_address)
    # Backups kept by the automatic copy taken before a schema upgrade.
    keep_backups: int = setting(3, positive)


@dataclass(frozen=True, slots=True)
class PrivacySection:
    hash_key: str = setting("", _hash_key, secret=True)
    hash_key_path: str = setting("./liaison.key", _key_path)
    closed_case_retention_days: int = setting(90, between(1, 36_500, "days"))
    conversation_expiry_hours: int = setting(72, between(1, 87_600, "hours"))


@dataclass(frozen=True, slots=True)
class AbuseSection:
    """Flood control: more than `flood_messages` in `flood_seconds` mutes for a while."""

    flood_messages: int = setting(8, between(1, 10_000))
    flood_seconds: float = setting(10.0, between(0.001, 86_400, "seconds"))
    mute_seconds: float = setting(60.0, between(0.001, 604_800, "seconds"))
    max_text_chars: int = setting(4000, between(1, 1_000_000, "characters"))


@dataclass(frozen=True, slots=True)
class LocalSection:
    """Facts that differ per city; knowledge answers show them through placeholders."""

    emergency_number: str = setting("911", _phone)
    non_emergency_number: str = setting("311", _phone)
    oversight_agency: str = setting("the civilian oversight agency", not_blank)
    oversight_phone: str = setting("311", _phone)
    oversight_url: str = setting("https://www.nacole.org/", http_url)
    complaint_deadline: str = setting("as soon as possible; deadlines differ by city", not_blank)
    liaison_contact: str = setting("the community liaison office (ask for a liaison)", not_blank)
    liaison_languages: str = setting("English, Español", not_blank)
    crisis_line: str = setting("988", _phone)
    legal_aid: str = setting("your local legal aid society or public defender", not_blank)
    # Left at the default, answers about immigration show `legal_aid` if the city set it.
    immigration_legal_aid: str = setting("a nonprofit immigration legal service near you")
    meetings_url: str = setting("", http_url)
    privacy_notice_url: str = setting("", http_url)


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

    response_hours: int = setting(24, between(1, 8_760, "hours"))
    office_days: tuple[str, ...] = setting(("mon", "tue", "wed", "thu", "fri"), _weekdays)
    office_open: str = setting("09:00", _clock_time)
    office_close: str = setting("17:00", _clock_time)
    remind_unclaimed_minutes: int = setting(15, between(1, 525_600, "minutes"))
    tell_resident_minutes: int = setting(60, between(1, 525_600, "minutes"))
    reopen_days: int = setting(7, between(0, 3_650, "days"))
    note_prefix: str = setting("!note", not_blank)
    attachment_types: tuple[str, ...] = setting(
        ("image/jpeg", "image/png", "image/webp", "application/pdf"), _mime_types
    )
    attachment_max_bytes: int = setting(10_000_000, between(1, 100_000_000, "bytes"))
    max_message_chars: int = setting(4000, between(1, 1_000_000, "characters"))


def _offsets(value: tuple[str, ...]) -> str | None:
    if all(v.isdigit() and 0 < int(v) <= 60 * 24 * 30 for v in value):
        return None
    return "must be minutes before the meeting, between 1 and 43200"


@dataclass(frozen=True, slots=True)
class MeetingsSection:
    """Announcements and reminders."""

    neighborhoods: tuple[str, ...] = setting(())
    reminder_minutes: tuple[str, ...] = setting(("1440", "60"), _offsets)
    # Non-urgent broadcasts wait for the morning inside these local hours.
    quiet_start: str = setting("21:00", _clock_time)
    quiet_end: str = setting("08:00", _clock_time)
    # Domain part of calendar UIDs, so calendars recognise an update of the same meeting.
    calendar_domain: str = setting("liaison.invalid", _domain)


def _at_least(floor: int) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if value >= floor else f"must be at least {floor}"

    return check


@dataclass(frozen=True, slots=True)
class PollsSection:
    """Reporting thresholds for poll results (shared/polls/TRUST_POLLS.md §3) and reminders."""

    # Smallest group (overall, language, neighbourhood) whose figures are shown; 10 is the
    # disclosure floor below which no count is ever published.
    min_group_size: int = setting(30, _at_least(10))
    secondary_suppression: str = setting("next_smallest", one_of("next_smallest", "totals_only"))
    closing_soon_hours: int = setting(24, positive)


@dataclass(frozen=True, slots=True)
class KnowledgeSection:
    extra_path: str = setting("", _folder)
    cache_path: str = setting("", _cache_folder)


@dataclass(frozen=True, slots=True)
class Config:
    bot: BotSection = field(default_factory=BotSection)
    storage: StorageSection = field(default_factory=StorageSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    privacy: PrivacySection = field(default_factory=PrivacySection)
    local: LocalSection = field(default_factory=LocalSection)
    knowledge: KnowledgeSection = field(default_factory=KnowledgeSection)
    escalation: EscalationSection = field(default_factory=EscalationSection)
    abuse: AbuseSection = field(default_factory=AbuseSection)
    meetings: MeetingsSection = field(default_factory=MeetingsSection)
    polls: PollsSection = field(default_factory=PollsSection)
    ops: OpsSection = field(default_factory=OpsSection)
    # The platforms this deployment knows (the registry's, unless a test adds its own),
    # and each one's section by platform name, read through `spec.settings(config)`.
    platform_specs: tuple[PlatformSpec[Any], ...] = PLATFORMS
    platforms: Mapping[str, object] = field(default_factory=dict)

    def secrets(self) -> list[str]:
        """Every secret value set, for masking in logs and output."""
        sections = [getattr(self, name) for name in _CORE_SECTIONS] + list(self.platforms.values())
        return [value for section in sections for value in secret_values(section) if value]


# The sections every deployment has, by table name (platform tables come from the registry).
_CORE_SECTIONS = tuple(
    spec.name
    for spec in dataclasses.fields(Config)
    if spec.name not in {"platforms", "platform_specs"}
)


def config_sections(
    platforms: Sequence[PlatformSpec[Any]] = PLATFORMS,
) -> list[tuple[str, type[Any]]]:
    """Every config table and its section type: the core ones, then one per platform."""
    hints = typing.get_type_hints(Config)
    core = [(name, hints[name]) for name in _CORE_SECTIONS]
    return core + [(spec.name, spec.section) for spec in platforms]


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
            if not is_secret(spec):
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


def load_config(
    path: Path | None,
    env: Mapping[str, str] | None = None,
    platforms: Sequence[PlatformSpec[Any]] = PLATFORMS,
) -> Config:
    """Read `path` (if it exists) and the environment into a validated `Config`.

    `path=None` means the default `./config.toml`, silently skipped when absent so a
    fresh checkout runs on built-in defaults; an explicitly named missing file is an error.
    Each platform of `platforms` gets its own table, `[name]`.
    """
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    explicit = path is not None
    path = path or Path("config.toml")
    if path.exists():
        data = _read_toml(path)
    elif explicit:
        raise ConfigError(str(path), "file not found")
    tables = config_sections(platforms)
    for unknown in sorted(set(data) - {name for name, _ in tables}):
        raise ConfigError(unknown, "unknown section (check the spelling)")
    sections: dict[str, Any] = {}
    for name, section_type in tables:
        values = data.get(name, {})
        if not isinstance(values, dict):
            raise ConfigError(name, "must be a table ([section])")
        sections[name] = _build_section(name, section_type, values, env)
    platform_sections = {spec.name: sections.pop(spec.name) for spec in platforms}
    config = Config(**sections, platform_specs=tuple(platforms), platforms=platform_sections)
    admins = tuple(_normal_identity(identity) for identity in config.bot.admins)
    config = dataclasses.replace(config, bot=dataclasses.replace(config.bot, admins=admins))
    if config.bot.default_locale not in config.bot.languages:
        raise ConfigError("bot.default_locale", "must be one of bot.languages")
    for spec in platforms:
        spec.cross_checks(spec.settings(config))
    return config
