"""Typed forms: state written by earlier releases goes on; state that cannot be read, and a
form's button pressed when the form is not open, get one clear answer."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.forms import FormExpired
from bot.core.people import Role
from handlers.meetings.forms import MeetingChange, MeetingDraft
from tests.support.harness import Conversation, staff_member, texts

EXPIRED = {
    "en": "This form is no longer open",
    "es": "Este formulario ya no está abierto",
    "ar": "هذا النموذج لم يعد مفتوحًا",
}


def test_stored_data_reads_as_the_form_or_not_at_all() -> None:
    """JSON lists become tuples; a missing required field or a wrong type is refused."""
    draft = MeetingDraft.from_stored({"title": "T", "tags": ["Eastside"], "reminders": [60]})
    assert draft.tags == ("Eastside",) and draft.reminders == (60,) and draft.place == ""
    assert MeetingDraft.from_stored(draft.stored()) == draft
    with pytest.raises(FormExpired):
        MeetingChange.from_stored({"series": True})
    with pytest.raises(FormExpired):
        MeetingDraft.from_stored({"tags": "Eastside"})
    with pytest.raises(FormExpired):
        MeetingChange.from_stored({"meeting": True})


async def _organizer(app: App, lang: str) -> tuple[Conversation, int]:
    organizer, _ = await staff_member(app, f"org-{lang}", Role.ORGANIZER)
    organizer.language_hint = lang
    await organizer.send("/language")
    await organizer.press({"en": "English", "es": "Español", "ar": "العربية"}[lang])
    person = await app.repos.people.find("console", f"org-{lang}")
    assert person is not None
    return organizer, person.id


async def test_a_form_written_by_the_previous_release_goes_on(app: App) -> None:
    """State in the shape stored before forms were typed (plain keys, step names) is read:
    the organizer mid-form across the upgrade continues where they were."""
    organizer, person_id = await _organizer(app, "en")
    await app.repos.conversations.put(
        person_id,
        "meeting",
        "place",
        {"title": "Town hall", "when": "2026-12-01T18:30:00+00:00", "tags": []},
        app.services.clock(),
    )
    replies = await organizer.send("Library, 2nd floor")
    assert "online link" in texts(replies)
    state = await app.repos.conversations.get(person_id)
    assert state is not None and state.step == "link"
    assert state.data["title"] == "Town hall" and state.data["place"] == "Library, 2nd floor"


@pytest.mark.parametrize("lang", ["en", "es", "ar"])
async def test_unreadable_state_is_dropped_with_a_clear_answer(app: App, lang: str) -> None:
    """A step or data shape no release writes any more: the form closes and says how to
    start again, in the person's language; nothing crashes."""
    organizer, person_id = await _organizer(app, lang)
    await app.repos.conversations.put(
        person_id, "meeting", "venue", {"title": "T"}, app.services.clock()
    )
    replies = await organizer.send("Library")
    assert EXPIRED[lang] in texts(replies) and "/meeting new" in texts(replies)
    assert await app.repos.conversations.get(person_id) is None
    await app.repos.conversations.put(
        person_id, "meeting", "preview", {"tags": "Eastside"}, app.services.clock()
    )
    replies = await organizer.press_payload("mtg.publish")
    assert EXPIRED[lang] in texts(replies)
    assert await app.repos.conversations.get(person_id) is None


@pytest.mark.parametrize("lang", ["en", "es", "ar"])
async def test_a_forms_button_outside_its_step_is_answered_once(app: App, lang: str) -> None:
    """Publish pressed with no form open, or at another step: one answer, nothing sent."""
    organizer, person_id = await _organizer(app, lang)
    replies = await organizer.press_payload("mtg.publish")
    assert len(replies) == 1 and EXPIRED[lang] in texts(replies)
    await organizer.send("/meeting new")
    replies = await organizer.press_payload("mtg.publish")
    assert len(replies) == 1 and EXPIRED[lang] in texts(replies)
    state = await app.repos.conversations.get(person_id)
    assert state is not None and state.step == "title"
    assert await app.repos.meetings.upcoming_next(app.services.clock()) == []


async def test_one_turn_reads_the_conversation_state_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question is routed (the state is read) and, offered choices, kept for "Talk to a
    person" (read again, then written): one read from storage, and what was written is
    what the next turn reads."""
    repository = app.services.conversations
    read = repository.get
    reads: list[int] = []

    async def counted(person_id: int) -> object:
        reads.append(person_id)
        return await read(person_id)

    monkeypatch.setattr(repository, "get", counted)
    resident = Conversation(app, user="counted")
    replies = await resident.send("i have a question about my kid and the police")
    assert "I am not sure I understood" in replies[-1].text  # choices: the question is kept
    assert len(reads) == 1
    person = await app.repos.people.find(resident.platform, "counted")
    assert person is not None
    kept = await read(person.id)
    assert kept is not None and "my kid" in str(kept.data)
