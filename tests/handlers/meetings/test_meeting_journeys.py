"""A meeting's whole life through the real Telegram adapter and its protocol fake.

A Spanish-speaking organizer creates the meeting by typing "martes 18:30"; an Arabic and a
French resident are subscribed, a Russian one subscribes after the announcement. Each
reads the announcement in their language; "Going", "Can't go" and the late subscription
decide who gets the reminder.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import App
from bot.core.people import Role
from tests.fakes.telegram_api import FakeTelegramAPI, person
from tests.support.app import AppFactory
from tests.support.harness import FakeClock
from tests.support.telegram_chat import MONDAY_MORNING, press, say, to

NOW = MONDAY_MORNING
START = datetime(2026, 12, 8, 23, 30, tzinfo=UTC)  # Tuesday 18:30 in New York
ORGANIZER = person(801, "Olga", "es")
AMAL = person(802, "Amal", "ar")
FLEUR = person(803, "Fleur", "fr")
LENA = person(804, "Lena", "ru")


async def test_meeting_journey_in_four_languages(
    telegram_bot: tuple[App, FakeTelegramAPI], clock: FakeClock
) -> None:
    """Typed in Spanish, announced in Arabic and French, caught up in Russian, reminded
    to whoever is coming."""
    app, api = telegram_bot
    for resident in (AMAL, FLEUR):
        await say(api, resident, "/subscribe")
    await say(api, ORGANIZER, "/start")
    found = await app.repos.people.find("telegram", str(ORGANIZER["id"]))
    assert found is not None
    await app.repos.people.set_role(found.id, Role.ORGANIZER)

    await say(api, ORGANIZER, "/meeting new")
    await say(api, ORGANIZER, "Reunión del barrio")
    assert "¿a qué hora?" in await say(api, ORGANIZER, "martes")  # a day, no time
    echo = await say(api, ORGANIZER, "18:30")
    assert "martes, 8 de diciembre de 2026, 18:30" in echo and "¿Es correcto?" in echo
    await press(api, ORGANIZER, "mtg.when_ok")
    await say(api, ORGANIZER, "Biblioteca, calle Mayor 12")
    assert "https://" in await say(api, ORGANIZER, "javascript:alert(1)")
    await press(api, ORGANIZER, "mtg.skip")
    await say(api, ORGANIZER, "Hablamos de seguridad")
    await press(api, ORGANIZER, "mtg.rem|default")
    await press(api, ORGANIZER, "mtg.repeat|none")
    preview = await press(api, ORGANIZER, "mtg.skip")
    assert "Recordatorios:" in preview and "lunes, 7 de diciembre de 2026, 18:30" in preview
    assert "2" in await press(api, ORGANIZER, "mtg.publish")

    await app.delivery.drain()
    arabic = to(api, AMAL)[-1]
    assert "الثلاثاء، 8 ديسمبر 2026" in arabic and "\u200f" in arabic  # RTL-marked
    assert "mardi 8 décembre 2026, 18:30" in to(api, FLEUR)[-1]
    ics_to = {call.get("chat_id") for call in api.sent("sendDocument")}
    assert {str(AMAL["id"]), str(FLEUR["id"])} <= ics_to

    await press(api, AMAL, "mtg.rsvp|1:going")
    await press(api, FLEUR, "mtg.rsvp|1:no")
    clock.now = NOW + timedelta(hours=2)
    await say(api, LENA, "/subscribe")
    await app.delivery.drain()
    assert "вторник, 8 декабря 2026" in to(api, LENA)[-1]

    clock.now = START - timedelta(hours=24)
    await app.delivery.drain()
    clock.now = START - timedelta(hours=1)
    await app.delivery.drain()
    assert sum("⏰" in text for text in to(api, AMAL)) == 2
    assert sum("⏰" in text for text in to(api, LENA)) == 2
    assert sum("⏰" in text for text in to(api, FLEUR)) == 0  # "Can't go"


async def test_arabic_digit_quiet_hours_do_not_break_publish(
    make_app: AppFactory, tmp_path: Path, clock: FakeClock
) -> None:
    """quiet_start written with Arabic-Indic digits passes the settings check; Publish works."""
    from tests.support.app import make_config
    from tests.support.meetings import create_meeting, meeting_people

    clock.now = NOW
    config = make_config(
        tmp_path, LIAISON_MEETINGS_QUIET_START="٢١:٠٠", LIAISON_MEETINGS_QUIET_END="٠٨:٠٠"
    )
    app = await make_app(config)
    organizer, sender = await meeting_people(app)
    await create_meeting(organizer, "12/10 6:30pm")
    await app.delivery.drain()
    assert len([r for r, _ in sender.delivered if r.chat_id == "sofia"]) == 1
