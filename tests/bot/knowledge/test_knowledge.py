"""Knowledge answers in the chat: menus, free text, choices, off-topic, triage, language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.config import load_config
from bot.core.events import Outgoing
from bot.knowledge.base import KnowledgeBase
from tests.support.app import AppFactory, make_config
from tests.support.harness import Conversation, texts


def labels(reply: Outgoing) -> list[str]:
    return [button.label for row in reply.buttons for button in row]


async def test_rights_menu_opens_a_full_answer(app: App) -> None:
    """/rights lists topics; an answer has sources, disclaimer, related, feedback, a person."""
    alice = Conversation(app)
    menu = (await alice.send("/rights"))[0]
    assert "Pulled over while driving" in " ".join(labels(menu)) or len(labels(menu)) >= 10
    answer = (await alice.press(labels(menu)[0]))[0]
    assert "General information, not legal advice. Laws differ by state, city and country." in (
        answer.text
    )
    assert "Sources:" in answer.text and "https://" in answer.text
    assert "{{" not in answer.text
    assert {"👍 Helpful", "👎 Not helpful", "Talk to a person"} <= set(labels(answer))
    assert any(label.startswith("→ ") for label in labels(answer))


async def test_complaint_menu_offers_the_navigator_and_complaint_topics(app: App) -> None:
    """/complaint opens the complaint topics with 'Help me prepare a complaint' first."""
    menu = (await Conversation(app).send("/complaint"))[0]
    assert labels(menu)[0] == "Help me prepare a complaint"
    assert len(labels(menu)) >= 9


async def test_free_text_finds_a_situation_described_in_plain_words(app: App) -> None:
    """A described situation, not a named topic, gets the matching answer."""
    reply = (await Conversation(app).send("cop took my phone and won't give it back"))[0]
    assert reply.text.startswith("GETTING BACK THINGS POLICE TOOK")


async def test_off_topic_gets_the_menu_not_a_wrong_answer(app: App) -> None:
    """Small talk or a landlord problem is not answered with a police topic."""
    for message in ("what's the weather tomorrow", "my landlord won't fix the heat"):
        reply = (await Conversation(app).send(message))[0]
        assert reply.text.startswith("I can only help with questions about the police")
        assert "Know your rights" in labels(reply)


async def test_a_message_naming_the_police_is_never_turned_away(app: App) -> None:
    """Everyday words (landlord, rent) can outweigh the police topics; a message that
    names the police still gets topics to choose from and a person, not the off-topic
    reply, and no direct answer either."""
    question = "my landlord called the cops on me about the rent"
    verdict = app.services.knowledge.search(question, "en")
    assert verdict.doubtful  # the premise: by the numbers alone it looks off-topic
    reply = (await Conversation(app).send(question))[0]
    assert "I am not sure I understood" in reply.text
    assert labels(reply)[-1] == "Talk to a person"
    unnamed = app.services.knowledge.search("my landlord called me about the rent", "en")
    assert unnamed.best is None  # the same words without the police stay off-topic


@pytest.mark.parametrize(
    "question",
    [
        "мой арендодатель вызвал ментов из-за долга по квартплате",
        "арендодатель позвал копов из-за квартплаты",
    ],
)
async def test_russian_slang_for_the_police_keeps_a_message_in_scope(
    app: App, question: str
) -> None:
    """ "Менты", "копы" name the police as whole words ("police_words"); the same letters
    inside another word ("копия", "документ") do not."""
    assert app.services.knowledge.search(question, "ru").doubtful  # off-topic by numbers
    reply = (await Conversation(app, language_hint="ru").send(question))[0]
    person = app.services.languages.translator("ru")._("Talk to a person")
    assert labels(reply)[-1] == person  # topics to choose from, then a person
    copy = app.services.knowledge.decide("где сделать копию документов", "ru")
    assert copy.reply == "offtopic"


async def test_low_confidence_offers_three_topics_and_a_person(app: App) -> None:
    """A vague question gets the three best topics as buttons plus 'Talk to a person'."""
    question = "problem with police"
    verdict = app.services.knowledge.search(question, "en")
    assert verdict.best is not None and not verdict.confident  # the premise of this test
    reply = (await Conversation(app).send(question))[0]
    assert "I am not sure I understood" in reply.text
    assert [b.arg for row in reply.buttons[:3] for b in row] == [
        m.topic_id + "@en" for m in verdict.ranked if m.topic_id != "liaison.talk_to_person"
    ][:3]
    assert labels(reply)[-1] == "Talk to a person"


async def test_choices_do_not_repeat_the_person_button(app: App) -> None:
    """When the topic about reaching a person is among the best, the choices skip it:
    the 'Talk to a person' button already does it, and the next topic takes its place."""
    question = "speak with someone about police stuff"
    verdict = app.services.knowledge.search(question, "en")
    ranked = [m.topic_id for m in verdict.ranked]
    assert "liaison.talk_to_person" in ranked[:3] and not verdict.confident  # premise
    reply = (await Conversation(app).send(question))[0]
    offered = [b.arg for row in reply.buttons[:-1] for b in row]
    assert offered == [tid + "@en" for tid in ranked if tid != "liaison.talk_to_person"][:3]
    assert labels(reply)[-1] == "Talk to a person"


async def test_an_answer_offers_a_person_once(app: App) -> None:
    """A topic related to reaching a person shows one 'Talk to a person' button, not a
    link to that topic as well."""
    reply = (await Conversation(app).press_payload("kb|safety.non_emergency@en"))[0]
    assert reply.text.startswith("REPORT SOMETHING THAT IS NOT URGENT")  # the premise
    assert labels(reply).count("Talk to a person") == 1
    assert not any("Talk to a person" in label for label in labels(reply)[:-1])


async def test_danger_now_puts_emergency_contacts_before_anything(app: App) -> None:
    """A message describing danger happening now starts with the emergency number."""
    reply = (await Conversation(app).send("a man with a gun is outside my door right now"))[0]
    assert reply.text.startswith("🚨") and "911" in reply.text.split("\n")[0]


async def test_danger_phrases_with_apostrophes_are_recognised(app: App) -> None:
    """Listed phrases are split into words as messages are: "can't" matches "can't"."""
    reply = (await Conversation(app).send("i can't breathe"))[0]
    assert reply.text.startswith("🚨")


async def test_urgent_topic_from_menu_starts_with_emergency_contacts(app: App) -> None:
    """Urgent topics show emergency contacts first even when chosen from a menu."""
    alice = Conversation(app)
    reply = (await alice.press_payload("kb|rights.arrested"))[0]
    first, _, rest = reply.text.partition("\n\n")
    assert "911" in first and "IF YOU OR A FAMILY MEMBER" in rest.upper()


async def test_question_in_another_language_is_answered_in_it_with_switch_offer(
    app: App,
) -> None:
    """An English-speaking person asking in Spanish gets Spanish plus a one-tap switch."""
    question = "la policía me paró en el carro, tengo que enseñar la licencia?"
    replies = await Conversation(app).send(question)
    assert "Información general, no asesoría legal." in replies[0].text
    assert replies[-1].buttons[0][0].label == "Español"
    assert replies[-1].buttons[0][0].payload() == "lang|es"


async def test_a_wrong_language_guess_does_not_cost_the_answer(app: App) -> None:
    """Unaccented Vietnamese full of English words reads as English to the language
    guess; the Vietnamese search matches better, so the answer stays in Vietnamese."""
    question = "bi pulled over tren freeway, phai lam gi"
    guess = app.services.knowledge.search_engine._languages.guess(question)
    assert guess is not None and guess.clear and guess.lang == "en"  # the premise
    verdict = app.services.knowledge.search(question, "vi")
    assert verdict.lang == "vi"
    assert verdict.best is not None and verdict.best.topic_id == "rights.traffic_stop"


async def test_feedback_is_counted_per_topic_and_language(app: App) -> None:
    """👍/👎 are stored per topic and language, without the person."""
    alice = Conversation(app, language_hint="es")
    await alice.press_payload("kb|rights.traffic_stop")
    await alice.press_payload("kbf|rights.traffic_stop:1")
    await alice.press_payload("kbf|rights.traffic_stop:0")
    await alice.press_payload("kbf|rights.traffic_stop:1")
    counts = await app.repos.knowledge.feedback()
    assert [(c.topic_id, c.lang, c.helpful, c.unhelpful) for c in counts] == [
        ("rights.traffic_stop", "es", 2, 1)
    ]
    stale = await Conversation(app, user="zed").press_payload("kbf|nope:1")
    assert "no longer works" in texts(stale)


async def test_local_facts_come_from_config(tmp_path: Path, make_app: AppFactory) -> None:
    """A city's own emergency number replaces the placeholder in answers."""
    app = await make_app(make_config(tmp_path, LIAISON_LOCAL_EMERGENCY_NUMBER="112"))
    reply = (await Conversation(app).press_payload("kb|safety.emergency"))[0]
    assert "112" in reply.text and "911" not in reply.text.split("\n")[0]


def test_deployment_topic_falls_back_to_default_language(tmp_path: Path) -> None:
    """A topic a city added only in English is shown in English to a Spanish speaker."""
    extra = tmp_path / "extra" / "en"
    extra.mkdir(parents=True)
    shipped = Path(__file__).resolve().parents[3] / "locales/en/knowledge/safety.non_emergency.toml"
    text = shipped.read_text("utf-8").replace('id = "safety.non_emergency"', 'id = "local.parking"')
    (extra / "local.parking.toml").write_text(text, "utf-8")
    config = load_config(None, env={"LIAISON_KNOWLEDGE_EXTRA_PATH": str(tmp_path / "extra")})
    kb = KnowledgeBase(config)
    found = kb.topic("local.parking", "es")
    assert found is not None and found.fallback and found.topic.lang == "en"
    assert "local.parking" in kb.order


async def test_a_clear_guess_wins_a_near_tie_with_the_persons_language(app: App) -> None:
    """Spanish slang the English content also knows ("la migra") matches both languages
    about as well; the clearly Spanish question is answered in Spanish, urgent lines first."""
    question = "me detuvo la migra y me pide papeles"
    replies = await Conversation(app, language_hint="en").send(question)
    assert replies[0].text.startswith("🚨 Si está en peligro")
    assert "ICE" in replies[0].text and "If you are in danger" not in texts(replies)
