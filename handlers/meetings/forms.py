"""The two meeting forms: creating a meeting, and changing one (or its whole series).

Both ask the time through `time_prompt`, so they share its step names and answer fields.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from bot.core.forms import Filled, FormData, FormSpec
from bot.i18n import N_


class Step(enum.Enum):
    """Creation asks these in order (a confirmation after the time, a preview last); a
    change asks the one field it changes, named by the same step."""

    TITLE = "title"
    WHEN = "when"
    WHEN_CONFIRM = "when_confirm"
    PLACE = "place"
    LINK = "link"
    DESCRIPTION = "description"
    AUDIENCE = "audience"
    REMINDERS = "reminders"
    REPEAT = "repeat"
    LANGUAGES = "languages"
    PREVIEW = "preview"


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeAnswer(FormData):
    """The time prompt's working fields: a day read without a time, the time read and
    waiting for "Yes", and the picker's chosen day and hour."""

    when_day: str | None = None
    when_pending: str | None = None
    pick_day: str | None = None
    pick_hour: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingDraft(TimeAnswer):
    title: str = ""
    # The confirmed start, as stored (`storage.timestamps.to_db`).
    when: str = ""
    place: str = ""
    link: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()
    reminders: tuple[int, ...] = ()
    # The series' RRULE, empty for a single meeting.
    repeat: str = ""
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class MeetingChange(TimeAnswer):
    meeting: int
    # The same change to every upcoming occurrence of the meeting's series.
    series: bool = False


EXPIRED = N_("This form is no longer open. Send /meeting new to start again.")
NEW_MEETING = FormSpec("meeting", MeetingDraft, Step, EXPIRED)
CHANGE_MEETING = FormSpec("meeting_edit", MeetingChange, Step, EXPIRED)
Drafting = Filled[MeetingDraft, Step]
Changing = Filled[MeetingChange, Step]
