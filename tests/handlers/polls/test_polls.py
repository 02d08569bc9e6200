"""Trust polls in the chat: create, answer, change, close, results, anonymity."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.config import SUPPORTED_LOCALES
from bot.core.events import PAYLOAD_MAX_BYTES, Outgoing
from bot.core.people import Role
from handlers.polls.service import Polls
from storage.polls import Poll
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, FakeClock, RecordingSender, staff_member, texts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# 73 bytes in UTF-8: with an action and a poll number it cannot be a button payload itself.
LONG = "حي الشيخ جراح والمصرارة الشرقية الجديدة"


def payloads(message: Outgoing) -> list[str]:
    return [button.payload() for row in message.buttons for button in row]


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
    responses = await app.repos.polls.responses(1)
    assert [r.answer for r in responses] == [9]


async def test_closed_poll_refuses_answers_even_forged(app: App, clock: FakeClock) -> None:
    """After its window (or with an out-of-range value) nothing is recorded."""
    organizer, _ = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _create_t1(organizer)
    assert "no longer works" in texts(await sam.press_payload("poll.a|1:42"))
    clock.advance(days=8)
    assert await app.services.feature(Polls).close_due() == 1
    assert "closed" in texts(await sam.press_payload("poll.a|1:5"))
    assert "closed" in texts(await sam.press_payload("poll.a|999:5"))
    assert await app.repos.polls.responses(1) == []


async def test_responses_hold_no_identity(app: App) -> None:
    """The response row has a keyed hash only: not the id, not a plain hash of it."""
    import hashlib

    organizer, _ = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _create_t1(organizer)
    await sam.press_payload("poll.a|1:7")
    row = " ".join(str(v) for v in (await app.db.fetchone("SELECT * FROM poll_responses") or ()))
    person = await app.repos.people.find("console", "sam")
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
        await app.repos.polls.answer(poll_id, f"h{lang}{number}", value, lang)


async def test_results_in_two_languages_with_chart_and_disclosure(app: App) -> None:
    """n, mean, 0-100 score labelled 'not a percentage', disclosure, rule; then the PNG with
    the same numbers as its caption, in en and es."""
    organizer, _ = await _organizer(app)
    await _create_t1(organizer)
    await _answers(app, 1, [6, 7, 8] * 12)
    reply, chart = await organizer.send("/poll results 1")
    assert "n = 36" in reply.text and "not a percentage" in reply.text
    assert "not a random sample" in reply.text
    assert "fewer than 30 answers are not shown" in reply.text
    assert chart.attachment is not None and chart.attachment.data.startswith(PNG_MAGIC)
    assert chart.text.startswith("Chart: When it comes to the threat of crime")
    assert "Safety score: 70 (a 0–100 score, not a percentage)" in chart.text
    assert "6: 12" in chart.text and "7: 12" in chart.text and "8: 12" in chart.text
    poll = await app.repos.polls.get(1)
    assert poll is not None
    spanish, spanish_chart = await app.services.feature(Polls).results_messages(
        app.services.languages.translator("es"), poll, ZoneInfo("UTC")
    )
    assert "n = 36" in spanish.text and spanish.text != reply.text
    assert spanish_chart.text.startswith("Gráfico:")


async def test_trend_across_waves_of_one_template(app: App, clock: FakeClock) -> None:
    """Waves of T1 line up; a wave with too few answers is a gap, not a zero."""
    organizer, _ = await _organizer(app)
    for values in ([5] * 30, [6] * 5, [8] * 30):
        await _create_t1(organizer)
        latest = (await app.repos.polls.latest(1))[0]
        await _answers(app, latest.id, values)
        clock.advance(days=8)
        await app.services.feature(Polls).close_due()
    poll = (await app.repos.polls.latest(1))[0]
    assert isinstance(poll, Poll) and poll.wave == 3
    text = texts(await organizer.send(f"/poll results {poll.id}"))
    assert "Wave 1: 50" in text and "Wave 3: 80" in text
    assert "Wave 2: not enough responses yet" in text


async def test_poll_closes_by_itself_and_results_go_to_organizers(
    app: App, clock: FakeClock
) -> None:
    """The close job sends results and the CSV file to organizers, once."""
    organizer, sender = await _organizer(app)
    await _create_t1(organizer)
    clock.advance(days=7, seconds=1)
    assert await app.services.feature(Polls).close_due() == 1
    assert await app.services.feature(Polls).close_due() == 0
    await app.delivery.drain()
    results = [m for r, m in sender.delivered if r.chat_id == "olga"]
    assert len(results) == 2 and "Results of poll #1" in results[0].text
    assert "Not enough responses yet." in results[0].text
    csv_file = results[1].attachment
    assert csv_file is not None and csv_file.filename == "poll-1.csv"
    assert csv_file.data.decode().startswith("poll,template,wave")


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


async def test_late_subscriber_and_start_get_the_open_poll_once(app: App) -> None:
    """Subscribing or /start while a poll is open offers it, once; /poll lists it again."""
    organizer, sender = await _organizer(app)
    await _subscriber(app, "early")
    await _create_t1(organizer)
    late = await _subscriber(app, "nadia", "ar")
    await late.send("/start")
    await late.send("/subscribe")
    walker = Conversation(app, user="wei", platform="console", language_hint="zh_Hans")
    await walker.send("/start")
    await walker.send("/start")
    await app.delivery.drain()
    polls = [r.chat_id for r, m in sender.delivered if "poll.a|1:0" in payloads(m)]
    assert sorted(polls) == ["early", "nadia", "wei"], "each asked exactly once"
    arabic = next(m for r, m in sender.delivered if r.chat_id == "nadia")
    assert arabic.rtl and "بالأمان" in arabic.text
    listed = await late.send("/poll")
    assert [b.payload() for b in listed[0].buttons[0]][:2] == ["poll.a|1:0", "poll.a|1:1"]
    await late.press_payload("poll.a|1:4")
    again = texts(await late.send("/poll"))
    assert "تحل محل إجابتك" in again, "told they answered; a tap replaces"


async def test_neighbourhood_poll_is_not_offered_outside_its_audience(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """A poll for one neighbourhood reaches its subscribers and the whole-city ones only."""
    app = await make_app(make_config(tmp_path, LIAISON_MEETINGS_NEIGHBORHOODS=f"{LONG},Centre"))
    organizer, sender = await _organizer(app)
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|T2")
    await organizer.press_payload("poll.w|1w")
    await organizer.press(LONG)
    await organizer.press("No")
    await organizer.press("Send")
    centre = Conversation(app, user="carl", platform="console", language_hint="fr")
    await centre.send("/subscribe")
    await centre.press("Centre")
    hood = Conversation(app, user="hala", platform="console", language_hint="ar")
    await hood.send("/subscribe")
    await hood.press(LONG)
    await app.delivery.drain()
    asked = {r.chat_id for r, m in sender.delivered if "poll.a|1:0" in payloads(m)}
    assert asked == {"hala"}
    assert "Aucun sondage" in texts(await centre.send("/poll"))


async def test_organizer_sees_progress_but_no_breakdown_below_threshold(app: App) -> None:
    """While open: 'N answers so far', no groups, the rule stated; the CSV as a file."""
    organizer, _ = await _organizer(app)
    await _create_t1(organizer)
    await _answers(app, 1, [3, 5, 8] * 4, lang="es")
    progress = texts(await organizer.send("/poll"))
    assert "Poll #1 is open until" in progress and "12 answers so far" in progress
    results = texts(await organizer.send("/poll results 1"))
    assert "12 answers so far" in results and "By language" not in results
    assert "fewer than 30 answers are not shown" in results
    (csv_reply,) = await organizer.send("/poll csv 1")
    assert csv_reply.attachment is not None and csv_reply.attachment.mime_type == "text/csv"
    rows = csv_reply.attachment.data.decode().splitlines()
    assert rows[1].startswith("1,T1,1,") and ",open,all,,12,,,30,next_smallest" in rows[1]


async def test_closing_soon_reminds_only_those_who_have_not_answered(
    app: App, clock: FakeClock
) -> None:
    """One reminder 24 h before closing, after quiet hours; answering withdraws it."""
    organizer, sender = await _organizer(app)
    sam = await _subscriber(app, "sam")
    await _subscriber(app, "sofia", "es")
    await _subscriber(app, "amal", "ar")
    await _create_t1(organizer)  # closes in 7 days, at 15:00 UTC = 10:00 in New York
    await sam.press_payload("poll.a|1:6")
    await app.delivery.drain()
    clock.advance(days=6, minutes=1)
    await app.delivery.drain()
    reminded = {
        r.chat_id: m for r, m in sender.delivered if "closes on" in m.text or "⏰" in m.text
    }
    assert set(reminded) == {"sofia", "amal"}
    assert reminded["sofia"].text.startswith("⏰ Esta encuesta cierra el")
    assert reminded["amal"].rtl and reminded["amal"].buttons, "one tap from the reminder"
    clock.advance(hours=1)
    await app.delivery.drain()
    assert len([m for r, m in sender.delivered if "⏰" in m.text]) == 2, "once"


async def test_reminder_waits_out_quiet_hours(app: App, clock: FakeClock) -> None:
    """Due at 03:00 in the person's zone: held until the end of quiet hours, 08:00."""
    organizer, _ = await _organizer(app)
    await _subscriber(app, "sofia", "es")
    clock.now = clock.now.replace(hour=8)  # 03:00 in New York: the reminder falls at night
    await _create_t1(organizer)
    rows = await app.repos.outbox.pending_for_chat("console", "sofia")
    reminders = [r for r in rows if r.dedupe_key.endswith(":soon")]
    assert [r.not_before.astimezone(UTC).hour for r in reminders] == [13], "08:00 in New York"


async def _english_picker_text(app: App) -> str:
    english, _ = await staff_member(app, "org-english", Role.ORGANIZER)
    return (await english.send("/poll new"))[0].text


@pytest.mark.parametrize("lang", SUPPORTED_LOCALES)
async def test_template_picker_names_are_distinct_in_every_language(app: App, lang: str) -> None:
    """The five standard questions read differently in the picker, whole, in each language."""
    organizer, _ = await staff_member(app, f"org-{lang}", Role.ORGANIZER)
    await organizer.press_payload(f"lang|{lang}")
    picker = (await organizer.send("/poll new"))[0]
    assert picker.text != (await _english_picker_text(app)) or lang == "en"
    names = [row[0].label.split(": ", 1)[1] for row in picker.buttons[:5]]
    assert len(set(names)) == 5, names
    assert all(len(name) <= 75 and not name.endswith("…") for name in names), names
    assert all(len(p.encode()) <= PAYLOAD_MAX_BYTES for p in payloads(picker))


# 20 Chinese characters: 60 bytes, one payload too many with any action in front.
LONG_ZH = "朝阳区望京街道花家地北里社区居民委员会辖区"


async def test_long_neighbourhood_names_fit_every_button(
    make_app: AppFactory, tmp_path: Path
) -> None:
    """Arabic and Chinese names past 55 bytes: /subscribe, the meeting and poll audiences
    and the poll's neighbourhood question all work, every payload within 64 bytes."""
    app = await make_app(make_config(tmp_path, LIAISON_MEETINGS_NEIGHBORHOODS=f"{LONG},{LONG_ZH}"))
    organizer, sender = await _organizer(app)
    resident = Conversation(app, user="li", platform="console", language_hint="zh_Hans")
    menu = (await resident.send("/subscribe"))[0]
    assert all(len(p.encode()) <= PAYLOAD_MAX_BYTES for p in payloads(menu))
    assert LONG_ZH in texts(await resident.press(LONG_ZH))
    person = await app.repos.people.find("console", "li")
    assert person is not None
    assert await app.repos.subscriptions.tags_of(person.id) == (LONG_ZH,)

    await organizer.send("/meeting new")
    await organizer.send("Neighborhood safety meeting")
    await organizer.send("11/5 6:30pm")
    await organizer.press_payload("mtg.when_ok")
    await organizer.send("Library, 12 Main St")
    await organizer.press_payload("mtg.skip")
    audience = (await organizer.send("About traffic stops"))[0]
    assert all(len(p.encode()) <= PAYLOAD_MAX_BYTES for p in payloads(audience))
    chosen = (await organizer.press(LONG_ZH))[0]
    assert any(b.label == "✓ " + LONG_ZH for row in chosen.buttons for b in row)

    await organizer.send("/cancel")
    await organizer.send("/poll new")
    await organizer.press_payload("poll.t|T5")
    await organizer.press_payload("poll.w|1w")
    await organizer.press(LONG_ZH)
    await organizer.press("Yes")
    await organizer.press("Send")
    await app.delivery.drain()
    (poll,) = [m for r, m in sender.delivered if r.chat_id == "li" and "poll.a|1:0" in payloads(m)]
    thanks = (await resident.press_payload(poll.buttons[0][0].payload()))[0]
    assert all(len(p.encode()) <= PAYLOAD_MAX_BYTES for p in payloads(thanks))
    await resident.press(LONG_ZH)
    responses = await app.repos.polls.responses(1)
    assert [(r.answer, r.neighborhood) for r in responses] == [(0, LONG_ZH)]


async def test_export_gives_the_named_poll_or_every_poll_in_order(app: App) -> None:
    """`liaison polls export`: one poll's rows with --poll, every poll's otherwise, oldest
    first, with the same figures as the chat's CSV."""
    organizer, _ = await _organizer(app)
    await _create_t1(organizer)
    await _create_t1(organizer)
    await _answers(app, 2, [4] * 12)
    polls = app.services.feature(Polls)
    header, *every = (await polls.export_csv(None)).splitlines()
    assert list(dict.fromkeys(row.split(",")[0] for row in every)) == ["1", "2"]
    second = [row for row in every if row.startswith("2,")]
    assert (await polls.export_csv(2)).splitlines() == [header, *second]
    assert ",open,all,,12,,,30,next_smallest" in second[0]
    assert (await polls.export_csv(3)).splitlines() == [header]
