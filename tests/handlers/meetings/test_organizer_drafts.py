"""An organizer's second thoughts: a time read wrong, a draft dropped, who is coming.

Organizers write in their own language (Spanish, Arabic, Chinese); every answer they get
is checked against that language's catalog, and residents must see nothing of a draft.
"""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.people import Role
from tests.support.app import languages
from tests.support.harness import Conversation, FakeClock, RecordingSender, staff_member, texts
from tests.support.meetings import BEFORE_DST_END, create_meeting, inbox, meeting_people

ORGANIZER_LANGUAGES = ["es", "ar", "zh_Hans"]


async def _organizer(app: App, lang: str) -> tuple[Conversation, RecordingSender]:
    organizer, sender = await staff_member(app, f"org-{lang}", Role.ORGANIZER)
    organizer.language_hint = lang
    await organizer.send("/language")
    await organizer.press_payload(f"lang|{lang}")
    return organizer, sender


@pytest.mark.parametrize("lang", ORGANIZER_LANGUAGES)
async def test_a_time_read_wrong_is_written_again_then_the_draft_is_dropped(
    app: App, clock: FakeClock, lang: str
) -> None:
    """'No, write it again' asks the time afresh; 'Cancel' drops the draft: nothing sent."""
    clock.now = BEFORE_DST_END
    said = languages().translator(lang)
    organizer, sender = await _organizer(app, lang)
    resident = Conversation(app, user="sofia", platform="console", language_hint="es")
    await resident.send("/subscribe")
    await organizer.send("/meeting new")
    await organizer.send("Reunión de vecinos")
    echo = texts(await organizer.send("11/5 6:30pm"))
    assert said._("I understood: {when}. Is that right?").split("{when}")[0] in echo
    asked_again = await organizer.press(said._("No, write it again"))
    question = said._("When is it? Write the date and time, for example {example}.")
    assert question.split("{example}")[0] in texts(asked_again)
    echo = texts(await organizer.send("11/6 7pm"))
    assert said._("I understood: {when}. Is that right?").split("{when}")[0] in echo
    await organizer.press(said._("Yes"))
    dropped = await organizer.press(said._("Cancel"))
    assert texts(dropped) == said._("Cancelled. Nothing was sent.")
    assert texts(await organizer.send("Biblioteca")) != said._("Where is it? (address or place)")
    await app.delivery.drain()
    assert inbox(sender, "sofia") == []
    assert await app.repos.meetings.upcoming_next(clock()) == []


@pytest.mark.parametrize("lang", ORGANIZER_LANGUAGES)
async def test_answers_button_counts_who_is_coming(app: App, clock: FakeClock, lang: str) -> None:
    """Residents answer the announcement; the organizer's Answers button shows the tally."""
    clock.now = BEFORE_DST_END
    olga, sender = await meeting_people(app)
    await create_meeting(olga)
    await app.delivery.drain()
    for user, answer in (("sofia", "going"), ("amal", "no")):
        (announcement,) = inbox(sender, user)
        payload = next(
            b.payload() for row in announcement.buttons for b in row if b.arg == f"1:{answer}"
        )
        await Conversation(app, user=user, platform="console").press_payload(payload)
    said = languages().translator(lang)
    organizer, _ = await _organizer(app, lang)
    listing = await organizer.send("/meetings")
    tally = await organizer.press(said._("Answers"))
    expected = said._("Meeting #{number}: going {going}, maybe {maybe}, can't go {no}.")
    assert texts(tally) == expected.format(number=1, going=1, maybe=0, no=1)
    assert expected.format(number=1, going=1, maybe=0, no=1) in texts(listing)
    resident = Conversation(app, user="sofia", platform="console")
    await resident.send("/meetings")
    with pytest.raises(AssertionError, match="no button"):
        resident.button(languages().translator("es")._("Answers"))
    forged = texts(await resident.press_payload("mtg.counts|1"))
    spanish = languages().translator("es")
    assert forged == spanish._("Sorry, this button is only for the service's staff.")
