"""Platform-neutral events and replies: the only shapes that cross the adapter seam.

Adapters build `Incoming` from platform updates and render `Outgoing`; everything
between them (router, handlers, storage) never sees a platform object.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

# Button payloads travel as "action|arg". Telegram caps callback_data at 64 bytes,
# Discord custom_id at 100 characters: the smaller limit governs.
PAYLOAD_MAX_BYTES = 64
PAYLOAD_SEPARATOR = "|"


class EventKind(enum.Enum):
    """What the person did."""

    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"


class ChatKind(enum.Enum):
    """Where it happened: a private conversation or a shared room."""

    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file travelling with a message, in either direction."""

    filename: str
    data: bytes
    mime_type: str
    is_image: bool = False


@dataclass(frozen=True, slots=True)
class Incoming:
    """One thing a person did, as every platform describes it."""

    platform: str
    chat_id: str
    user_id: str
    kind: EventKind
    display_name: str = ""
    language_hint: str | None = None
    text: str = ""
    command: str | None = None
    args: str = ""
    action: str | None = None
    payload: str = ""
    message_id: str | None = None
    chat_kind: ChatKind = ChatKind.PRIVATE
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    # Text of the bot's own message this one replies to (a liaison replying to a case card
    # in a room without threads): lets the handler find the case the card names.
    reply_to_bot_text: str = ""
    attachments: tuple[Attachment, ...] = ()
    # What the platform can do in answer to this event (the adapter knows; handlers ask):
    # show a reply to this person alone in a shared room (Discord ephemeral messages) ...
    private_replies: bool = False
    # ... and answer with a form that asks for text (Discord modals), for rooms where the
    # bot cannot read what people type, or where typing would show it to everyone.
    forms: bool = False

    @property
    def is_private(self) -> bool:
        return self.chat_kind is ChatKind.PRIVATE


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered under a reply; `action` routes it, `arg` names what it acts on."""

    label: str
    action: str
    arg: str = ""

    def payload(self) -> str:
        return encode_payload(self.action, self.arg)


@dataclass(frozen=True, slots=True)
class Form:
    """A pop-up asking for one text; the answer comes back as a button event whose
    payload is the form's and whose `text` is what the person wrote."""

    title: str
    label: str
    action: str
    arg: str = ""

    def payload(self) -> str:
        return encode_payload(self.action, self.arg)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A reply as the handler means it; the adapter decides how it looks."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    # Replace the message the pressed button sits on, where the platform can.
    edit: bool = False
    # Show only to the person who pressed (Discord ephemeral); others ignore it.
    ephemeral: bool = False
    # Right-to-left text; adapters that can mark direction do so.
    rtl: bool = False
    # Personal (their data, their case, their question): in a shared room it is shown to
    # the person alone, or not at all (see `Context.reply`).
    private: bool = False
    # Ask for text with a form instead of showing `text` (only where `Incoming.forms`).
    form: Form | None = None
    extra: dict[str, str] = field(default_factory=dict)


class PayloadError(ValueError):
    """A button payload that cannot be a payload this bot made."""


def encode_payload(action: str, arg: str = "") -> str:
    """Pack a button's action and argument into the platform's callback field."""
    if PAYLOAD_SEPARATOR in action:
        raise PayloadError("action must not contain the separator")
    payload = f"{action}{PAYLOAD_SEPARATOR}{arg}" if arg else action
    if len(payload.encode("utf-8")) > PAYLOAD_MAX_BYTES:
        raise PayloadError("payload too long for the platforms' callback limits")
    return payload


def decode_payload(payload: str) -> tuple[str, str]:
    """Split a callback payload; anything malformed is refused, never guessed at."""
    if not payload or len(payload.encode("utf-8", "surrogatepass")) > PAYLOAD_MAX_BYTES:
        raise PayloadError("empty or oversized payload")
    action, _, arg = payload.partition(PAYLOAD_SEPARATOR)
    if not action or not action.replace(".", "").replace("_", "").isalnum() or not action.isascii():
        raise PayloadError("malformed action")
    return action, arg
