"""Meetings on a rhythm: every week, every two weeks, or monthly on the same weekday of
the month ("the second Tuesday").

The rule is an RFC 5545 RRULE read in the deployment's zone from the first meeting's wall
clock, so a 18:30 meeting stays at 18:30 across daylight-saving changes; the same text
goes into the calendar file. Occurrences up to a year ahead become meeting rows.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from handlers.meetings.when import HORIZON, local_time


class Repeat:
    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"


CHOICES = (Repeat.WEEKLY, Repeat.BIWEEKLY, Repeat.MONTHLY)
# A weekly series over the one-year horizon.
MAX_OCCURRENCES = 53
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def rule_for(choice: str, first: datetime, zone: ZoneInfo) -> str:
    """The RRULE for a choice, anchored on the first meeting's local date."""
    local = first.astimezone(zone)
    if choice == Repeat.WEEKLY:
        return "FREQ=WEEKLY"
    if choice == Repeat.BIWEEKLY:
        return "FREQ=WEEKLY;INTERVAL=2"
    if choice == Repeat.MONTHLY:
        nth = (local.day - 1) // 7 + 1
        return f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{_DAYS[local.weekday()]}"
    raise ValueError(f"unknown repeat choice {choice!r}")


def occurrences(rule: str, first: datetime, zone: ZoneInfo, now: datetime) -> list[datetime]:
    """Every start of the series from the first, up to a year after `now`."""
    local_first = first.astimezone(zone).replace(tzinfo=None)
    until = now + HORIZON
    found: list[datetime] = []
    for naive in rrulestr(rule, dtstart=local_first):
        moment = local_time(naive.date(), naive.hour, naive.minute, zone)
        if moment > until or len(found) >= MAX_OCCURRENCES:
            break
        found.append(moment)
    return found
