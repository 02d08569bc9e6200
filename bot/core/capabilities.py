"""What a platform can do, in the features' words: features ask these, never a name.

Each platform's spec states its capabilities once (`bot/platforms/*_spec.py`); a feature
that would behave differently on one platform reads the capability instead, so a new
platform is described by what it can do rather than by edits to every feature.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RateLimits:
    """How fast the platform accepts messages: overall, and per chat over `chat_period_s`."""

    global_per_s: float
    chat_per_period: float
    chat_period_s: float


@dataclass(frozen=True, slots=True)
class Capabilities:
    """One platform's abilities, as the features need to know them."""

    # A reply can be shown to one person alone inside a shared room (ephemeral).
    private_replies: bool
    # A pop-up form can ask for text (a modal), for rooms where typing would not reach us.
    forms: bool
    # The bot reads what people type in shared rooms (not only commands and buttons).
    free_text_in_groups: bool
    # A case can get a thread or topic of its own in a liaison room.
    threads: bool
    # A message with buttons can be replaced in place when one is pressed.
    edit_in_place: bool
    buttons_per_row: int
    buttons_per_message: int
    # Characters per message; longer text is split by the adapter.
    text_limit: int
    # Bytes a button can carry back (action and argument together).
    payload_bytes: int
    rate: RateLimits
    # The person sits at the operator's own machine: the role they start with is trusted
    # as given, and staff there have no room, so case traffic goes to each of them.
    local_operator: bool = False
