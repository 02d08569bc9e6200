"""Fail when any package's line coverage is under its floor.

Reads the coverage data the README's test command leaves in `.coverage` (the suite and
the bot processes it starts). A package is a folder of source: its own modules, not its
subpackages, which have floors of their own. Prints one line per package.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import coverage

FLOOR_PERCENT = 85.0
SOURCES = ("bot", "handlers", "storage")
ROOT = Path(__file__).resolve().parent.parent


def package_of(path: Path) -> str:
    return ".".join(path.resolve().relative_to(ROOT).parent.parts)


def main() -> int:
    data = coverage.Coverage(data_file=str(ROOT / ".coverage"))
    data.load()
    statements: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    # Every source file, so a module no test imports counts as uncovered, not as absent.
    for path in sorted(p for name in SOURCES for p in (ROOT / name).rglob("*.py")):
        _, executable, _, not_run, _ = data.analysis2(str(path))
        package = package_of(path)
        statements[package] += len(executable)
        missing[package] += len(not_run)
    failed = False
    for package in sorted(statements):
        covered = 100.0 * (statements[package] - missing[package]) / max(statements[package], 1)
        ok = covered >= FLOOR_PERCENT
        failed |= not ok
        verdict = "ok " if ok else "LOW"
        print(f"{verdict} {package:<24} {covered:5.1f} %  (floor {FLOOR_PERCENT:.0f} %)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
