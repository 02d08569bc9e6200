"""The staff commands as their users live them: a Spanish-speaking resident on Telegram,
two liaisons (English and Arabic) and a Spanish-speaking admin, all on Telegram, one
database. /assign, /release, /showname, /snippet_set, /snippet and /unblock, asserting
what each person is shown."""

from __future__ import annotations

import pytest

from bot.i18n import RLM
from tests.fakes.telegram_api import FakeTelegramAPI, button_press, message, person
from tests.support.platforms import (
    RESIDENT_TG_CHAT,
    Bot,
    StartBot,
    drained_until,
    grant_liaison,
    sent_to,
    telegram_resident_opens_case,
    text_of,
    wait_sent_to,
)

# PTB's own RetryAfter constructor reads its deprecated int `retry_after`; not our code.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

LIA = person(7101, "Lia", "en")
OMAR = person(7102, "Omar", "ar")
ANA = person(7103, "Ana", "es")


async def _say(api: FakeTelegramAPI, user: dict[str, object], text: str) -> str:
    """Send a message in the bot's private chat; the one answer it gets there."""
    chat = str(user["id"])
    seen = len(sent_to(api, chat))
    await api.push_update(message(user, text))
    return text_of((await wait_sent_to(api, chat, seen + 1))[-1])


async def _staff(bot: Bot) -> None:
    for user in (LIA, OMAR):
        await grant_liaison(bot.app, "telegram", str(user["id"]))


async def _claimed_by(bot: Bot) -> int | None:
    case = await bot.app.repos.cases.get(1)
    assert case is not None
    return case.claimed_by


async def test_assign_release_and_showname_between_two_liaisons(start_bot: StartBot) -> None:
    """Omar takes the case, Lia cannot give it away, Omar names himself and lets it go,
    Lia hands it back to him by that name; each reads the outcome in their own language."""
    bot = await start_bot()
    api, people = bot.api, bot.app.repos.people
    await _staff(bot)
    await telegram_resident_opens_case(bot, "Me pararon en la calle sin motivo.")
    omar = await people.find("telegram", str(OMAR["id"]))
    assert omar is not None

    assert "#1" in await _say(api, OMAR, "/assign 1")
    assert await _claimed_by(bot) == omar.id
    refused = await _say(api, LIA, "/release 1")
    assert refused == "Only the liaison who claimed this case or an admin can do that."
    assert await _claimed_by(bot) == omar.id

    shown = await _say(api, OMAR, "/showname عمر")
    assert shown == RLM + "سيرى السكان ردودك باسم عمر."
    # Room notices are in the service's language, marked right-to-left for Omar's chat.
    released = await _say(api, OMAR, "/release 1")
    assert released == RLM + "Case #1 was released: any liaison can claim it."
    assert await _claimed_by(bot) is None

    handed = await _say(api, LIA, "/assign 1 عمر")
    assert "#1" in handed and "عمر" in handed
    assert await _claimed_by(bot) == omar.id
    unknown = await _say(api, LIA, "/assign 1 nobody")
    assert unknown.startswith("Only the liaison who claimed")
    assert await _claimed_by(bot) == omar.id

    # The resident is told nothing about who holds the case, until an answer names Omar.
    before = len(sent_to(api, RESIDENT_TG_CHAT))
    await api.push_update(message(OMAR, "/reply 1 مرحبا"))
    answers = await drained_until(bot, lambda: sent_to(api, RESIDENT_TG_CHAT)[before:], 1)
    assert text_of(answers[0]) == "عمر (caso #1):\nمرحبا"


async def test_snippets_written_once_and_sent_in_the_residents_language(
    start_bot: StartBot,
) -> None:
    """The admin saves a Spanish reply; Omar sends it by name to the Spanish resident, who
    reads the Spanish text; a name nobody saved is refused in Omar's language."""
    bot = await start_bot(LIAISON_BOT_ADMINS=f"telegram:{ANA['id']}")
    api = bot.api
    await _staff(bot)
    await telegram_resident_opens_case(bot, "¿Cuándo abren la oficina?")

    assert await _say(api, ANA, "/snippet_set horario es Abrimos de 9 a 17 h.") == "Guardado."
    assert await _say(api, ANA, "/snippet_set horario en We open 9 to 5.") == "Guardado."
    usage = await _say(api, LIA, "/snippet_set horario")
    assert usage == "Write /snippet_set, a name, a language code, then the text."
    listed = await _say(api, OMAR, "/snippet")
    assert listed == RLM + "الردود المحفوظة: horario"
    assert await _say(api, OMAR, "/snippet 1 nada") == RLM + "لا يوجد رد محفوظ بهذا الاسم."

    before = len(sent_to(api, RESIDENT_TG_CHAT))
    await api.push_update(message(OMAR, "/snippet 1 horario"))
    answers = await drained_until(bot, lambda: sent_to(api, RESIDENT_TG_CHAT)[before:], 1)
    assert text_of(answers[0]).endswith("(caso #1):\nAbrimos de 9 a 17 h.")
    notes = await bot.app.repos.cases.messages(1)
    assert notes[-1].body == "Abrimos de 9 a 17 h."


async def test_unblock_is_the_admins_alone(start_bot: StartBot) -> None:
    """Omar blocks the resident behind case #1; Lia may not unblock, the admin may, and
    the resident can write again."""
    bot = await start_bot(LIAISON_BOT_ADMINS=f"telegram:{ANA['id']}")
    api, people = bot.api, bot.app.repos.people
    await _staff(bot)
    await telegram_resident_opens_case(bot, "Necesito ayuda.")
    await _say(api, OMAR, "/cases")
    last = sent_to(api, str(OMAR["id"]))[-1].result
    chat = str(OMAR["id"])
    seen = len(sent_to(api, chat))
    await api.push_update(button_press(OMAR, last, "esc.block_yes|1"))
    blocked = text_of((await wait_sent_to(api, chat, seen + 1))[-1])
    assert "/unblock 1" in blocked
    resident = await people.find("telegram", RESIDENT_TG_CHAT)
    assert resident is not None and resident.blocked

    assert await _say(api, LIA, "/unblock 1") == (
        "Sorry, this command is only for the service's staff."
    )
    assert await _say(api, ANA, "/unblock 1") == "La persona del caso #1 ya no está bloqueada."
    resident = await people.find("telegram", RESIDENT_TG_CHAT)
    assert resident is not None and not resident.blocked
    assert await _say(api, ANA, "/unblock 99") == "Ese caso no existe."
