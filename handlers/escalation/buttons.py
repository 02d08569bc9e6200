"""The buttons of a case, for residents and liaisons alike, with what each one names.

Case cards, closing notices and the resident's own messages carry these; the handlers
re-check what a pressed one names (the case exists, is open, is the presser's to act on).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.core.payloads import ButtonSpec, NoPayload, Payload, Ref
from storage.cases import Outcome


@dataclass(frozen=True, slots=True)
class CaseOutcome(Payload):
    case_id: int
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class CaseRating(Payload):
    case_id: int
    score: int


@dataclass(frozen=True, slots=True)
class MaybeCase(Payload):
    """A case, or none yet (0) while the resident has not written anything."""

    case_id: int = 0


class Appearance(enum.Enum):
    ANONYMOUS = "anon"
    NAMED = "named"


@dataclass(frozen=True, slots=True)
class StoryForm(Payload):
    """A shared room's form for the first message says how its writer chose to appear."""

    appearance: Appearance


# Staff, on case cards.
CLAIM = ButtonSpec("esc.claim", Ref)
CLOSE = ButtonSpec("esc.close", Ref)
BLOCK = ButtonSpec("esc.block", Ref)
BLOCK_YES = ButtonSpec("esc.block_yes", Ref)
# "Reply" opens a form where the platform has them; its answer comes back as REPLY_SENT.
REPLY = ButtonSpec("esc.reply", Ref)
REPLY_SENT = ButtonSpec("esc.replied", Ref)
OUTCOME = ButtonSpec("esc.outcome", CaseOutcome)
# Residents.
RATE = ButtonSpec("esc.rate", CaseRating)
REOPEN = ButtonSpec("esc.reopen", Ref)
ANONYMOUS = ButtonSpec("esc.anon", NoPayload)
NAMED = ButtonSpec("esc.named", NoPayload)
WITHDRAW = ButtonSpec("esc.withdraw", MaybeCase)
WITHDRAW_YES = ButtonSpec("esc.withdraw_yes", Ref)
KEEP_OPEN = ButtonSpec("esc.keep_open", Ref)
STORY = ButtonSpec("esc.story", StoryForm)
SEND_STORY = ButtonSpec("esc.send_story", NoPayload)
SHOW_NAME = ButtonSpec("esc.showname", Ref)
