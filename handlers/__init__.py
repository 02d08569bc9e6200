"""Features, one module each. `ROUTERS` is the order in which they are consulted."""

from __future__ import annotations

from bot.core.router import Router
from handlers import language, start

ROUTERS: tuple[Router, ...] = (
    start.router,
    language.router,
)
