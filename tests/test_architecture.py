"""The one rule of the design: features and storage never import a platform library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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


def test_storage_does_not_depend_on_the_runtime() -> None:
    """Repositories are usable without the bot runtime (clean layering)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "storage").rglob("*.py")
        if any(m.split(".")[0] in {"bot", "handlers"} for m in _imported_modules(path))
    ]
    assert offenders == []
