"""Typed button payloads: packed as before, unpacked once, refused in one place."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import pytest

from bot.app import App
from bot.core.events import PAYLOAD_MAX_BYTES, PayloadError
from bot.core.payloads import ButtonSpec, Key, NoPayload, Payload, Ref
from bot.core.router import ButtonAction
from handlers.escalation.buttons import OUTCOME, CaseOutcome, MaybeCase
from handlers.knowledge import SHOW_TOPIC, TopicRef
from storage.cases import Outcome
from tests.support.harness import Conversation, texts


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True, slots=True)
class Sample(Payload):
    number: int
    colour: Colour
    flag: bool
    rest: str = ""


def test_payload_round_trips_in_the_wire_format_buttons_already_carry() -> None:
    """Fields join with ':' after the action; a trailing default is left out."""
    button = OUTCOME.button("Answered", CaseOutcome(12, Outcome.ANSWERED))
    assert button.payload() == "esc.outcome|12:answered"
    assert CaseOutcome.unpack("12:answered") == CaseOutcome(12, Outcome.ANSWERED)
    assert Sample.unpack("7:red:1:a:b") == Sample(7, Colour.RED, True, "a:b")
    assert Sample(7, Colour.RED, False).pack() == "7:red:0"
    assert MaybeCase.unpack("") == MaybeCase() and MaybeCase(3).pack() == "3"
    assert SHOW_TOPIC.button("t", TopicRef("rights.stop", "es")).payload() == "kb|rights.stop@es"
    assert TopicRef.unpack("complaint.anonymous") == TopicRef("complaint.anonymous")


@pytest.mark.parametrize(
    "arg",
    ["", "x:red:1", "7:blue:1", "7:red:yes", "-1:red:1", "1234567890:red:1", "٣:red:1"],
)
def test_forged_arguments_are_refused_never_guessed(arg: str) -> None:
    """Missing fields, non-numbers (Arabic-Indic digits too), unknown values: refused."""
    with pytest.raises(PayloadError):
        Sample.unpack(arg)


def test_a_button_that_names_nothing_carries_nothing() -> None:
    with pytest.raises(PayloadError):
        NoPayload.unpack("1")


def test_payloads_are_checked_against_the_platform_limit_when_made() -> None:
    """A button the platforms could not carry fails where it is made, not when sent."""
    spec = ButtonSpec("t", Key)
    spec.button("ok", Key("a" * (PAYLOAD_MAX_BYTES - 2)))
    with pytest.raises(PayloadError):
        spec.button("too long", Key("é" * PAYLOAD_MAX_BYTES))


def test_only_the_last_field_may_hold_the_separator() -> None:
    with pytest.raises(PayloadError):
        ButtonSpec("t", TopicRef).button("x", TopicRef("a@b", "es"))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "no longer works"), ("es", "ya no funciona"), ("ar", "لم يعد")],
)
async def test_stale_and_forged_buttons_get_one_translated_answer(
    app: App, lang: str, expected: str
) -> None:
    """Unknown action, a payload that does not parse and a case that is not yours: the
    same answer, in the presser's language, shown to them alone."""
    person = Conversation(app, user=f"p-{lang}", language_hint=lang)
    await person.send("/start")
    for payload in ("nope|1", "esc.rate|x:5", "esc.rate|1:9", "esc.showname|42", "lang"):
        replies = await person.press_payload(payload)
        assert len(replies) == 1 and expected in texts(replies), payload
        assert replies[0].ephemeral


async def test_error_log_names_the_pressed_action(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing button handler is logged with its action, never its argument."""

    async def broken(*_: object) -> None:
        raise RuntimeError("boom")

    app.dispatcher.buttons["esc.reopen"] = ButtonAction(ButtonSpec("esc.reopen", Ref), broken, ())
    with caplog.at_level(logging.ERROR):
        await Conversation(app, user="dora").press_payload("esc.reopen|31337")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "action=esc.reopen" in logged and "31337" not in logged
