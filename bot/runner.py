"""Runs the configured platforms side by side in one event loop."""

from __future__ import annotations

from bot.config import Config


async def run_platforms(config: Config) -> int:
    raise SystemExit("liaison: platform adapters are not installed in this build")
