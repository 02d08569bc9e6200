"""The liaison office's opening hours, as the deployment sets them: a resident who writes
outside them is told when someone will read."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import WEEKDAYS
from bot.core.context import Services


def next_office_opening(services: Services, now: datetime) -> datetime | None:
    """None when the office is open now; else the next opening time (in bot.timezone)."""
    settings = services.config.escalation
    zone = ZoneInfo(services.config.bot.timezone)
    local = now.astimezone(zone)
    open_h, open_m = (int(x) for x in settings.office_open.split(":"))
    close_h, close_m = (int(x) for x in settings.office_close.split(":"))
    days = {WEEKDAYS.index(day) for day in settings.office_days}
    if not days:
        return None
    opening = local.replace(hour=open_h, minute=open_m, second=0, microsecond=0)
    closing = local.replace(hour=close_h, minute=close_m, second=0, microsecond=0)
    if local.weekday() in days and opening <= local < closing:
        return None
    candidate = opening if local < opening else opening + timedelta(days=1)
    while candidate.weekday() not in days:
        candidate += timedelta(days=1)
    return candidate
