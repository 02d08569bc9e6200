"""Features, one module each. `ROUTERS` is the order in which they are consulted."""

from __future__ import annotations

from bot.core.router import Router
from handlers import complaint_navigator, knowledge, language, start

ROUTERS: tuple[Router, ...] = (
    start.router,
    language.router,
    complaint_navigator.router,
    # Last: its free-text search answers whatever no earlier feature claimed.
    knowledge.router,
)
