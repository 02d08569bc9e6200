"""The first conversation through the real dispatcher and a real SQLite file."""

from __future__ import annotations

from bot.app import App
from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.router import Router
from bot.i18n import LANGUAGE_NAMES
from tests.support.app import AppFactory
from tests.support.harness import Conversation, texts


async def test_start_greets_and_offers_the_main_menu(app: App) -> None:
    """/start greets and shows what the bot can do as buttons."""
    alice = Conversation(app)
    replies = await alice.send("/start")
    assert "Hello" in replies[0].text
    labels = [b.label for row in replies[0].buttons for b in row]
    assert "Know your rights" in labels and "Talk to a person" in labels


async def test_language_menu_lists_every_language_in_its_own_name(app: App) -> None:
    """/language shows the ten languages, each in its own script."""
    replies = await Conversation(app).send("/language")
    labels = [b.label for row in replies[0].buttons for b in row]
    assert labels == list(LANGUAGE_NAMES.values())


async def test_choice_of_spanish_is_used_and_survives_restart(make_app: AppFactory) -> None:
    """Choosing Español makes /help Spanish, also after the bot restarts."""
    first = await make_app()
    alice = Conversation(first)
    await alice.send("/language")
    await alice.press("Español")
    assert "/help" in texts(await alice.send("/help"))
    assert "Esto es lo que puede enviarme" in texts(await alice.send("/help"))
    restarted = Conversation(await make_app(), user="alice")
    assert "Esto es lo que puede enviarme" in texts(await restarted.send("/help"))


async def test_platform_hint_sets_language_of_new_people_only(app: App) -> None:
    """A new person with a pt-BR hint gets Portuguese; a stored choice beats the hint."""
    bruno = Conversation(app, user="bruno", language_hint="pt-BR")
    assert "Olá" in texts(await bruno.send("/start"))
    await bruno.send("/language")
    await bruno.press("Français")
    assert "Bonjour" in texts(await bruno.send("/start"))


async def test_unknown_command_and_forged_button_get_translated_answers(app: App) -> None:
    """Bad input gets a clear answer in the person's language, and changes nothing."""
    carla = Conversation(app, user="carla", language_hint="es")
    assert "/help" in texts(await carla.send("/nonsense"))
    replies = await carla.press_payload("lang|xx")
    assert "idioma" in texts(replies).lower()
    person = await app.repos.people.find("test", "carla")
    assert person is not None and person.locale == "es" and not person.locale_chosen
    assert texts(await carla.press_payload("\x00garbage|||")) != ""


async def test_handler_exception_gives_translated_apology_and_bot_continues(app: App) -> None:
    """An exception inside a handler yields an apology; the next message is answered."""
    broken = Router("broken")

    @broken.command("boom")
    async def boom(ctx: Context, event: Incoming) -> None:
        raise RuntimeError("secret text that must not be logged")

    app.dispatcher.include(broken)
    dmitri = Conversation(app, user="dmitri", language_hint="ru")
    apology = texts(await dmitri.send("/boom"))
    assert "Извините" in apology
    assert "Здравствуйте" in texts(await dmitri.send("/start"))


async def test_menu_button_for_feature_not_built_is_polite(app: App) -> None:
    """A main-menu button whose feature is missing says so instead of failing."""
    erin = Conversation(app, user="erin")
    await erin.send("/start")
    replies = await erin.press_payload("cmd|does_not_exist")
    assert "not available yet" in texts(replies)
