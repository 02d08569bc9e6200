"""Trust polls in the chat: create, answer, change, close, results, anonymity."""

from __future__ import annotations

from bot.app import App
from handlers.polls.delivery import close_due_polls, results_message
from storage.people import Role
from storage.polls import Poll
from tests.harness import Conversation, FakeClock, RecordingSender, staff_member, texts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def _organizer(app: App) -> tuple[Conversation, RecordingSender]:
    return await staff_member(app, "olga", Role.ORGANIZER)


async def _subscriber(app: App, user: str, hint: str = "en") -> Conversation:
    resident = Conversation(app, user=user, platform="console", language_hint=hint)
    await resident.send("/subscribe")
    return resident


async def _create_t1(organizer: Conversation) -> None:
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|T1")
    await organizer.press_payload("poll.w|1w")
    preview = texts(await organizer.press_payload("poll.aud|*"))
    assert "how safe do you feel" in preview
    assert "sent to" in texts(await organizer.press_payload("poll.send"))


async def test_poll_reaches_subscribers_as_one_tap_scale(app: App) -> None:
    """An 11-point scale in two rows, labelled endpoints, prefer-not; digits left to right."""
    organizer, sender = await _organizer(app)
    await _subscriber(app, "sam")
    await _subscriber(app, "amal", "ar")
    await _create_t1(organizer)
    await app.delivery.drain()
    message = next(m for r, m in sender.delivered if r.chat_id == "sam")
    rows = [[b.label for b in row] for row in message.buttons]
    assert rows[0] == ["0", "1", "2", "3", "4", "5"] and rows[1] == ["6", "7", "8", "9", "10"]
    assert "Not at all safe" in message.text and "Completely safe" in message.text
    arabic = next(m for r, m in sender.delivered if r.chat_id == "amal")
    assert [b.label for b in arabic.buttons[0]] == ["0", "1", "2", "3", "4", "5"]


async def test_changing_an_answer_keeps_one_response(app: App) -> None:
    """The last tap counts; still one row for that person."""
    organizer, _ = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _create_t1(organizer)
    await sam.press_payload("poll.a|1:3")
    await sam.press_payload("poll.a|1:9")
    responses = await app.services.repos.polls.responses(1)
    assert [r.answer for r in responses] == [9]


async def test_closed_poll_refuses_answers_even_forged(app: App, clock: FakeClock) -> None:
    """After its window (or with an out-of-range value) nothing is recorded."""
    organizer, _ = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _create_t1(organizer)
    assert "no longer works" in texts(await sam.press_payload("poll.a|1:42"))
    clock.advance(days=8)
    assert await close_due_polls(app.services) == 1
    assert "closed" in texts(await sam.press_payload("poll.a|1:5"))
    assert "closed" in texts(await sam.press_payload("poll.a|999:5"))
    assert await app.services.repos.polls.responses(1) == []


async def test_responses_hold_no_identity(app: App) -> None:
    """The response row has a keyed hash only: not the id, not a plain hash of it."""
    import hashlib

    organizer, _ = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _create_t1(organizer)
    await sam.press_payload("poll.a|1:7")
    row = " ".join(str(v) for v in (await app.db.fetchone("SELECT * FROM poll_responses") or ()))
    person = await app.services.repos.people.find("console", "sam")
    assert person is not None
    for identity in ("sam", str(person.id), hashlib.sha256(b"sam").hexdigest()):
        assert identity not in row.split()
    assert "anonym" in texts(await sam.send("/mydata")).lower()


async def test_not_pushed_to_open_case_or_after_urgent_answer(app: App) -> None:
    """Someone talking to a liaison, or just shown an urgent answer, is not asked."""
    organizer, sender = await _organizer(app)
    await _subscriber(app, "calm")
    busy = await _subscriber(app, "busy")
    await busy.send("/human")
    await busy.press_payload("esc.anon")
    await busy.send("I need help")
    urgent = await _subscriber(app, "urgent")
    await urgent.press_payload("kb|rights.arrested")
    await _create_t1(organizer)
    await app.delivery.drain()
    asked = {r.chat_id for r, m in sender.delivered if m.text.startswith("When it comes")}
    assert asked == {"calm"}


async def _answers(app: App, poll_id: int, values: list[int], lang: str = "en") -> None:
    for number, value in enumerate(values):
        await app.services.repos.polls.answer(poll_id, f"h{lang}{number}", value, lang)


async def test_results_in_two_languages_with_chart_and_disclosure(app: App) -> None:
    """n, mean, 0-100 score labelled 'not a percentage', disclosure, PNG, in en and es."""
    organizer, _ = await _organizer(app)
    await _create_t1(organizer)
    await _answers(app, 1, [6, 7, 8] * 12)
    reply = (await organizer.send("/poll results 1"))[0]
    assert "n = 36" in reply.text and "not a percentage" in reply.text
    assert "not a random sample" in reply.text
    assert reply.attachment is not None and reply.attachment.data.startswith(PNG_MAGIC)
    poll = await app.services.repos.polls.get(1)
    assert poll is not None
    spanish = await results_message(app.services, app.services.languages.translator("es"), poll)
    assert "n = 36" in spanish.text and spanish.text != reply.text


async def test_trend_across_waves_of_one_template(app: App, clock: FakeClock) -> None:
    """Waves of T1 line up; a wave with too few answers is a gap, not a zero."""
    organizer, _ = await _organizer(app)
    for values in ([5] * 30, [6] * 5, [8] * 30):
        await _create_t1(organizer)
        latest = (await app.services.repos.polls.latest(1))[0]
        await _answers(app, latest.id, values)
        clock.advance(days=8)
        await close_due_polls(app.services)
    poll = (await app.services.repos.polls.latest(1))[0]
    assert isinstance(poll, Poll) and poll.wave == 3
    text = texts(await organizer.send(f"/poll results {poll.id}"))
    assert "Wave 1: 50" in text and "Wave 3: 80" in text
    assert "Wave 2: not enough responses yet" in text


async def test_poll_closes_by_itself_and_results_go_to_organizers(
    app: App, clock: FakeClock
) -> None:
    """The close job sends results to organizers, once."""
    organizer, sender = await _organizer(app)
    await _create_t1(organizer)
    clock.advance(days=7, seconds=1)
    assert await close_due_polls(app.services) == 1
    assert await close_due_polls(app.services) == 0
    await app.delivery.drain()
    results = [m for r, m in sender.delivered if r.chat_id == "olga"]
    assert len(results) == 1 and "Results of poll #1" in results[0].text


async def test_custom_poll_with_options_per_language(app: App) -> None:
    """A custom question with the same options in two languages."""
    organizer, sender = await _organizer(app)
    await _subscriber(app, "sofia", "es")
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|custom")
    await organizer.send(
        "en: Do you feel safe at the bus stop?\nes: ¿Se siente seguro en la parada?"
    )
    await organizer.send("en: Yes | No | Sometimes\nes: Sí | No | A veces")
    await organizer.press_payload("poll.w|1d")
    await organizer.press_payload("poll.aud|*")
    await organizer.press_payload("poll.send")
    await app.delivery.drain()
    message = next(m for r, m in sender.delivered if r.chat_id == "sofia")
    assert "¿Se siente seguro" in message.text
    assert [row[0].label for row in message.buttons][:3] == ["Sí", "No", "A veces"]
