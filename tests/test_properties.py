"""Property tests: arbitrary input never escapes a handler and always gets a deliberate result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.config import ConfigError, load_config
from bot.core.events import PayloadError, decode_payload, encode_payload
from bot.knowledge.search import SearchResult
from tests.support.app import knowledge, make_config
from tests.support.harness import Conversation

# Everything a platform can deliver: any code point, RTL and zero-width marks, emoji,
# control characters, lone surrogates (Telegram can send broken UTF-16), very long text.
HOSTILE = st.one_of(
    st.text(max_size=300),
    st.text(
        alphabet=st.sampled_from("\u200f\u200e\u200b\u202e\ufeff\x00\x1b🚓👮🏽‍♀️٣中é"), max_size=50
    ),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), max_size=5),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=5), st.integers(500, 3000)),
)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY_SETTINGS
@given(text=HOSTILE)
def test_search_never_raises(text: str) -> None:
    """The knowledge search returns a verdict for any input."""
    kb = knowledge(load_config(None, env={}))
    result = kb.search(text, "en")
    assert isinstance(result, SearchResult)


@PROPERTY_SETTINGS
@given(payload=st.text(max_size=80))
def test_payload_parser_refuses_or_round_trips(payload: str) -> None:
    """A payload is either refused with PayloadError or parsed to an ASCII action."""
    try:
        action, arg = decode_payload(payload)
    except PayloadError:
        return
    assert action.isascii() and payload.startswith(action)
    assert encode_payload(action, arg) == payload or arg == ""


@PROPERTY_SETTINGS
@given(text=HOSTILE, kind=st.sampled_from(["text", "command", "button"]))
def test_dispatcher_answers_or_stays_silent_on_purpose(app: App, text: str, kind: str) -> None:
    """Any text, command or button gets a reply (never an exception out of feed)."""
    person = Conversation(app, user="fuzz")
    message = {"text": text, "command": "/" + text, "button": text}[kind]

    async def run() -> None:
        if kind == "button":
            replies = await person.press_payload(message)
        else:
            replies = await person.send(message)
        assert all(isinstance(r.text, str) for r in replies)

    asyncio.run(run())


@PROPERTY_SETTINGS
@given(
    value=st.text(max_size=40),
    key=st.sampled_from(
        ["TELEGRAM_WEBHOOK_PORT", "BOT_TIMEZONE", "ABUSE_FLOOD_SECONDS", "BOT_LANGUAGES"]
    ),
)
def test_config_loader_refuses_cleanly(
    tmp_path_factory: pytest.TempPathFactory, value: str, key: str
) -> None:
    """Any environment value either loads or raises ConfigError naming its key."""
    tmp: Path = tmp_path_factory.mktemp("cfg")
    try:
        make_config(tmp, **{f"LIAISON_{key}": value})
    except ConfigError as error:
        assert error.key.replace(".", "_").upper() == key
