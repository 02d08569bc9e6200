"""Incoming text made safe at the edge, before anything is stored, relayed or matched.

Platforms deliver what clients send: Telegram can carry lone UTF-16 surrogates (broken
emoji from some clients), any client can send control characters or bidi overrides
(U+202E makes "gpj.exe" look like "exe.jpg" to a liaison). A lone surrogate cannot be
encoded as UTF-8, so it would fail the database write or the relay to liaisons; a bidi
override would change how a liaison reads a case card. Every adapter passes each
`Incoming` through `clean_incoming` so nothing downstream ever sees them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

from bot.core.events import Attachment, Incoming

REPLACEMENT = "\ufffd"
# Kept: line breaks and tabs are how people lay out a message.
KEPT_CONTROLS = frozenset("\n\t")
# Embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069) change the display
# order of what follows; the marks U+200E/U+200F/U+061C only hint and are kept.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# A zero-width no-break space (BOM) in the middle of text only hides things.
INVISIBLE = re.compile("\ufeff")


def clean_text(text: str) -> str:
    """Valid Unicode in NFC, without control characters (but line breaks and tabs) and
    without bidi embeddings, overrides or isolates."""
    if text.isascii() and text.isprintable():
        return text  # the common case, unchanged and cheap
    # A surrogate pair that arrived as two code points is joined; a lone one becomes U+FFFD.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = BIDI_CONTROLS.sub("", INVISIBLE.sub("", text))
    text = "".join(
        char for char in text if char in KEPT_CONTROLS or unicodedata.category(char) != "Cc"
    )
    return unicodedata.normalize("NFC", text)


def clean_incoming(event: Incoming) -> Incoming:
    """The event with every piece of person-written text cleaned (ids are the platform's)."""
    return replace(
        event,
        display_name=clean_text(event.display_name),
        text=clean_text(event.text),
        command=clean_text(event.command) if event.command is not None else None,
        args=clean_text(event.args),
        payload=clean_text(event.payload),
        reply_to_bot_text=clean_text(event.reply_to_bot_text),
        attachments=tuple(_clean_attachment(item) for item in event.attachments),
    )


def _clean_attachment(attachment: Attachment) -> Attachment:
    return replace(attachment, filename=clean_text(attachment.filename) or "file")
