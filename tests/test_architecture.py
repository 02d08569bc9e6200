"""The one rule of the design: only bot/platforms/ knows which platforms exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.platforms.registry import PLATFORMS

ROOT = Path(__file__).resolve().parent.parent
NEUTRAL_PACKAGES = ("handlers", "storage", "bot/core")
PLATFORM_LIBRARIES = ("telegram", "discord")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", NEUTRAL_PACKAGES)
def test_neutral_code_imports_no_platform_library(package: str) -> None:
    """handlers/, storage/ and bot/core/ stay platform-neutral."""
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}"
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if module.split(".")[0] in PLATFORM_LIBRARIES or module.startswith("bot.platforms")
    ]
    assert offenders == []


# The core's domain types that repositories read and write: leaf modules that import
# nothing of the bot, so storage depends on the core's types and never on the runtime.
CORE_DOMAIN_TYPES = frozenset({"bot.core.people", "bot.core.conversations"})


def test_storage_does_not_depend_on_the_runtime() -> None:
    """Repositories are usable without the bot runtime (clean layering): the core's
    domain types are all storage may import of the bot."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in (ROOT / "storage").rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in {"bot", "handlers"} and module not in CORE_DOMAIN_TYPES
    ]
    assert offenders == []


@pytest.mark.parametrize("module", sorted(CORE_DOMAIN_TYPES))
def test_the_core_domain_types_import_nothing_of_the_bot(module: str) -> None:
    """What storage may import stays a leaf, so storage never reaches the runtime."""
    path = ROOT.joinpath(*module.split(".")).with_suffix(".py")
    imported = _imported_modules(path)
    assert not {m for m in imported if m.split(".")[0] in {"bot", "handlers", "storage"}}


def test_the_core_imports_no_storage() -> None:
    """The core holds no repository: it states what it needs as protocols (who is
    speaking, form state, audiences) and `bot.app` wires the repositories in. No
    exception is allowed: the domain types live in the core and storage imports them."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "bot" / "core").rglob("*.py"))
        for module in _imported_modules(path)
        if module == "storage" or module.startswith("storage.")
    ]
    assert offenders == []


# Shipped code outside bot/platforms/ that must not name a platform (tests and benchmarks
# drive the platforms' fakes, so they name them by necessity).
SHIPPED_PACKAGES = ("bot", "handlers", "storage")
PLATFORM_PACKAGE = ROOT / "bot" / "platforms"
# The seam itself: the registry and the spec type, which name no platform of their own.
SEAM_MODULES = frozenset({"bot.platforms.registry", "bot.platforms.spec"})
PLATFORM_WORDS = re.compile(
    r"(?i)\b("
    + "|".join(sorted({spec.name for spec in PLATFORMS} | set(PLATFORM_LIBRARIES)))
    + r")\b"
)


def _outside_platforms() -> list[Path]:
    return sorted(
        path
        for package in SHIPPED_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if PLATFORM_PACKAGE not in path.parents
    )


def _docstrings(tree: ast.Module) -> set[int]:
    """Docstrings explain why (a limit, a platform's quirk); they are not behaviour."""
    owners = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, owners)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def _names_a_platform(module: str) -> bool:
    """An import of a platform library, or of a platform's own module."""
    parts = module.split(".")
    if parts[0] in PLATFORM_LIBRARIES:
        return True
    return module.startswith("bot.platforms.") and module not in SEAM_MODULES


def test_no_module_outside_the_platforms_names_a_platform() -> None:
    """Outside bot/platforms/ no text in code and no import names a platform: features read
    capabilities and neutral rooms, and a new platform is a module plus one registry line."""
    offenders = []
    for path in _outside_platforms():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        docstrings = _docstrings(tree)
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and PLATFORM_WORDS.search(node.value)
            ):
                offenders.append(f"{where}:{node.lineno} {node.value[:60]!r}")
        offenders.extend(
            f"{where} imports {module}"
            for module in _imported_modules(path)
            if _names_a_platform(module)
        )
    assert offenders == []


def test_the_check_would_see_a_platform_name() -> None:
    """The scan above finds what it looks for: a literal, and both kinds of import."""
    assert PLATFORM_WORDS.search(f"{PLATFORMS[0].name}:123")
    assert _names_a_platform(f"bot.platforms.{PLATFORMS[0].name}")
    assert _names_a_platform(f"{PLATFORM_LIBRARIES[0]}.ext")
    assert not _names_a_platform("bot.platforms.registry")
    assert not _names_a_platform("rich.console")


# What a platform module may import of the bot: the neutral core (events, ports, the host
# protocol, capabilities), settings, i18n and text helpers; never the application, the
# features, the outbox or the repositories, which it reaches only through `PlatformHost`.
FORBIDDEN_TO_PLATFORMS = ("bot.app", "bot.outbox", "bot.delivery", "handlers", "storage.")


def test_platform_modules_reach_the_bot_only_through_the_host() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted(PLATFORM_PACKAGE.glob("*.py"))
        for module in _imported_modules(path)
        if module.startswith(FORBIDDEN_TO_PLATFORMS) and not _allowed(path, module)
    ]
    assert offenders == []


def _allowed(path: Path, module: str) -> bool:
    """The adapters declare their pacing with the delivery component's `Pacing` type,
    and Telegram retries its start-up calls with its retry helper."""
    return (path.name, module) in {
        ("telegram.py", "bot.delivery.pacing"),
        ("telegram.py", "bot.delivery"),
        ("discord.py", "bot.delivery.pacing"),
    }


# Features reach each other only through what `bot/core` publishes (audiences; cancel,
# welcome, question and do-not-disturb hooks; personal data), so each can change alone.
# A feature is a package or a module (with its own satellites) under handlers/.
FEATURES: dict[str, tuple[str, ...]] = {
    "escalation": ("escalation",),
    "meetings": ("meetings",),
    "polls": ("polls",),
    # The complaint navigator walks through knowledge topics: part of that feature.
    "knowledge": ("knowledge", "complaint_navigator"),
    "privacy": ("privacy",),
    "admin": ("admin",),
}
# Building blocks every feature may use; they import no feature themselves.
SHARED = (
    "common",
    "neighborhoods",
    "language",
    "profiles",
    "reading",
    "start",
    "abuse",
    "broadcast_progress",
)


def _handler_module(path: Path) -> str:
    """The top-level name under handlers/ a file belongs to ("meetings", "knowledge")."""
    return path.relative_to(ROOT / "handlers").parts[0].removesuffix(".py")


def _handler_files() -> list[Path]:
    """Every module under handlers/ but the package's own `__init__` (the routing table,
    which includes every feature on purpose)."""
    return [
        path
        for path in sorted((ROOT / "handlers").rglob("*.py"))
        if path != ROOT / "handlers" / "__init__.py"
    ]


def test_every_handler_module_is_a_feature_or_shared() -> None:
    """A new module is placed on purpose, so the next test cannot miss it."""
    known = {name for names in FEATURES.values() for name in names} | set(SHARED)
    assert sorted({_handler_module(path) for path in _handler_files()} - known) == []


def test_features_do_not_import_each_other() -> None:
    """Polls reach the subscribers through `bot.core.audiences`, not through meetings; a
    new subscriber is offered the open polls through an "on welcome" hook; knowledge hands
    the question just asked to escalation through an "on question" hook. Shared modules
    import no feature either."""
    owner = {name: feature for feature, names in FEATURES.items() for name in names}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _handler_files()
        for module in _imported_modules(path)
        if module.startswith("handlers.")
        and (target := owner.get(module.split(".")[1])) is not None
        and target != owner.get(_handler_module(path))
    ]
    assert offenders == []
