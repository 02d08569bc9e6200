"""Triage in every language through the chat: urgent first, emergency-number questions,
negation, danger phrases people type, greetings, thanks and "help"."""

from __future__ import annotations

import io
import json

import pytest

from bot.app import App
from bot.ask import ask_jsonl
from bot.core.events import Outgoing
from bot.i18n import LANGUAGE_NAMES
from tests.support.harness import Conversation

KEYS = (
    "reply",
    "topic",
    "choices",
    "emergency_first",
    "lang",
    "confidence",
    "urgent",
    "small_talk",
)
LANGS = ("en", "es", "fr", "ht", "pt", "ru", "ar", "zh_Hans", "vi", "so")
EMERGENCY_NUMBER_QUESTIONS = {
    "en": "what is the emergency number",
    "es": "cual es el numero de emergencia",
    "fr": "quel est le numéro d'urgence",
    "ht": "ki nimewo ijans lan",
    "pt": "qual é o numero de emergencia",
    "ru": "какой номер экстренной помощи",
    "ar": "ما هو رقم الطوارئ",
    "zh_Hans": "紧急电话是多少",
    "vi": "số điện thoại khẩn cấp là gì",
    "so": "waa maxay lambarka degdegga",
}
NOT_AN_EMERGENCY = {
    "en": "it's not an emergency, my bike was stolen",
    "es": "no es una emergencia, me robaron la bici",
    "fr": "ce n'est pas une urgence, on m'a volé mon vélo",
    "ht": "se pa yon ijans, yo vòlè bisiklèt mwen",
    "pt": "não é uma emergência, roubaram minha bicicleta",
    "ru": "это не экстренный случай, у меня украли велосипед",
    "ar": "هذه ليست حالة طوارئ، سرقوا دراجتي",
    "zh_Hans": "不是紧急情况，我的自行车被偷了",
    "vi": "không phải trường hợp khẩn cấp, xe đạp của tôi bị trộm",
    "so": "xaalad degdeg ah maaha, baaskiilkayga waa la xaday",
}
# A negated emergency followed by another question: the negated word's character
# n-grams must not pull the danger topic close (no banner, no emergency choice).
NOT_AN_EMERGENCY_BUT = {
    "ar": "ليست حالة طارئة، كيف أقدم شكوى",
    "es": "no es una emergencia, cómo presento una queja",
    "fr": "ce n'est pas une urgence, comment porter plainte",
    "pt": "não é uma emergência, como faço uma reclamação",
    "so": "ma aha xaalad degdeg ah, sidee baan cabasho u gudbiyaa",
}
# Questions one phrasing of a topic says nearly word for word, while a sibling topic in
# the same section is close by the numbers: answered, not offered as choices.
NEARLY_A_PHRASING = {
    ("en", "how do i file a complaint"): "complaint.how_to_file",
    ("es", "quién puede presentar una queja"): "complaint.who_can_file",
    ("vi", "tôi có bắt buộc phải nói chuyện với cảnh sát không"): "rights.stopped_on_street",
}
DANGER = {
    "en": "theyre following me",
    "es": "me están siguiendo",
    "fr": "il y a un homme armé en ce moment devant chez moi",
    "ht": "gen yon nonm ak zam devan kay la kounye a",
    "pt": "tem dois caras armados na minha rua",
    "ru": "u menya doma chelovek s nozhom, chto delat",
    "ar": "fi wa7ad bara ma3o sekeen",
    "zh_Hans": "有人拿刀在我家楼下",
    "vi": "có người cầm súng ngoài cửa nhà",
    "so": "nin hub wata ayaa albaabka jooga hadda",
}
# Emergencies told as a scene (drowning, a heart attack, a missing child), no danger word.
SCENES = {
    "en": "my neighbour is having a heart attack",
    "es": "mi hijo se está ahogando en la piscina",
    "fr": "mon enfant a disparu au parc",
    "ht": "pitit mwen disparèt depi maten",
    "pt": "meu filho sumiu no shopping",
    "ru": "в реке человек тонет",
    "ar": "ابني مفقود منذ الصباح",
    "zh_Hans": "孩子不见了怎么办",
    "vi": "con tôi mất tích từ chiều",
    "so": "ilmahaygii waa lumay",
}
# Someone else about to harm themselves, told in the third person and everyday forms
# ("se quiere matar", "بدو ينتحر"): the danger lists hold the inflected forms.
SOMEONE_ELSE_SELF_HARM = {
    "en": "my roommate says he is going to kill himself tonight",
    "es": "mi hermana dice que se quiere matar",
    "fr": "mon fils dit qu'il veut se tuer",
    "ht": "frè m di li vle touye tèt li",
    "pt": "minha amiga falou que quer se matar",
    "ru": "сестра пишет что покончит с собой",
    "ar": "اخوي عم يقول بدو ينتحر",
    "zh_Hans": "我朋友说他想自杀",
    "vi": "em gái tôi nói muốn tự tử",
    "so": "walaalkay wuxuu leeyahay is dilayaa",
}
# Questions whose best matches include an urgent topic but are not clear enough to answer.
URGENT_CHOICES = {
    "en": "i have a question about my kid and the police",
    "es": "arrestaron a mi hijo de 14 años",
    "fr": "j'ai une question sur mon fils et la police",
    "ht": "yon kesyon sou pitit mwen ak polis la",
    "ru": "вопрос про сына и полицейских",
    "ar": "عندي سؤال عن ابني والشرطة",
    "zh_Hans": "我有个关于我儿子和警察的问题",
    "vi": "tôi có câu hỏi về con trai tôi và cảnh sát",
}
UNCONSCIOUS = {
    "en": "my brother took something and now he wont wake up",
    "es": "mi hermano tomó algo y no reacciona",
    "fr": "mon frère a pris quelque chose, il est inconscient",
    "ht": "frè m pran yon bagay, li pèdi konesans",
    "pt": "meu irmão tomou alguma coisa e não acorda",
    "ru": "брат что-то принял и теперь без сознания",
    "ar": "أخي أخذ شيئا وهو الآن فاقد الوعي",
    "zh_Hans": "我弟弟吃了东西现在昏迷了",
    "vi": "em trai tôi uống gì đó giờ bất tỉnh",
    "so": "walaalkay wax buu qaatay hadda miyir beelay",
}
# A non-urgent topic ranked first with an urgent one close behind: answered directly,
# the resident would not see the emergency lines.
URGENT_CLOSE_BEHIND = {
    "en": "ice is knocking, do i have to let them in",
    "fr": "l'ICE frappe, je dois les laisser entrer ?",
}
# Choices of three non-urgent topics with an urgent one ranked just below them, close:
# "they took my papers" may be an immigration or an arrest matter.
URGENT_WITHIN_REACH = {
    "en": "they searched my phone and took my papers",
    "es": "me revisaron el celular y me quitaron los papeles",
    "ar": "الشرطي أخذ تلفوني وأوراقي",
    "vi": "họ lục điện thoại và lấy giấy tờ của tôi",
}
HELP_ME_COMPLAIN = {
    "en": "could you help me file a complaint please",
    "es": "me ayudas a poner una queja?",
    "fr": "vous pouvez m'aider à porter plainte ?",
    "ht": "ou ka ede m fè yon plent?",
    "pt": "me ajuda a registrar uma reclamação",
    "ru": "помогите подать жалобу",
    "ar": "ساعدني أقدم شكوى",
    "zh_Hans": "帮我投诉警察",
    "vi": "giúp tôi khiếu nại",
    "so": "i caawi inaan cabasho gudbiyo",
}
GREETING = {
    "en": "hi there",
    "es": "hola buenas",
    "fr": "bonjour",
    "ht": "bonjou",
    "pt": "oi tudo bem",
    "ru": "привет",
    "ar": "مرحبا",
    "zh_Hans": "你好",
    "vi": "xin chào",
    "so": "iska warran",
}
THANKS = {
    "en": "thank you so much!",
    "es": "muchas gracias",
    "fr": "merci beaucoup",
    "ht": "mèsi anpil",
    "pt": "obrigada",
    "ru": "спасибо большое",
    "ar": "شكرا جزيلا",
    "zh_Hans": "谢谢你",
    "vi": "cảm ơn nhiều",
    "so": "mahadsanid",
}
HELP = {
    "en": "help",
    "es": "ayuda",
    "fr": "aide",
    "ht": "èd",
    "pt": "ajuda",
    "ru": "помощь",
    "ar": "مساعدة",
    "zh_Hans": "帮助",
    "vi": "giúp",
    "so": "caawimaad",
}


def first_line_is_emergency(reply: Outgoing, app: App) -> bool:
    first = reply.text.split("\n")[0]
    return first.startswith("🚨") and app.services.config.local.emergency_number in first


def offers_a_person(reply: Outgoing, app: App, lang: str) -> bool:
    label = app.services.languages.translator(lang)._("Talk to a person")
    return any(button.label == label for row in reply.buttons for button in row)


def is_urgent(app: App, topic_id: str, lang: str) -> bool:
    found = app.services.knowledge.topic(topic_id, lang)
    assert found is not None
    return found.topic.urgent


def title(app: App, topic_id: str, lang: str) -> str:
    found = app.services.knowledge.topic(topic_id, lang)
    assert found is not None
    return found.topic.title.upper()


@pytest.mark.parametrize("lang", LANGS)
async def test_emergency_number_questions_get_the_emergency_answer(app: App, lang: str) -> None:
    """ "What is the emergency number" opens with the emergency lines and the danger topic,
    never the non-emergency number, and the urgent answer does not repeat its contacts."""
    reply = (await Conversation(app, language_hint=lang).send(EMERGENCY_NUMBER_QUESTIONS[lang]))[0]
    assert first_line_is_emergency(reply, app)
    assert title(app, "safety.emergency", lang) in reply.text
    assert offers_a_person(reply, app, lang)
    crisis = app.services.languages.translator(lang)._("Mental health crisis: {line}.")
    assert reply.text.count(crisis.split("{")[0]) == 1
    assert reply.text.count("988") == 1  # the crisis line is said once, in the block


@pytest.mark.parametrize("lang", LANGS)
async def test_a_negated_emergency_is_no_banner_and_finds_the_non_emergency_topic(
    app: App, lang: str
) -> None:
    """ "It's not an emergency, …": the danger banner is not raised by the negated word and
    the non-emergency topic comes first (the banner stays only when an urgent topic is
    among the choices offered: urgent is never behind a tap)."""
    question = NOT_AN_EMERGENCY[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert not verdict.danger
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    non_emergency = title(app, "safety.non_emergency", lang)
    if verdict.reply == "answer":
        assert not reply.text.startswith("🚨")
        assert non_emergency in reply.text
    else:
        assert reply.buttons[0][0].label.upper() == non_emergency


@pytest.mark.parametrize("lang", sorted(NOT_AN_EMERGENCY_BUT))
async def test_a_negated_emergency_does_not_pull_the_danger_topic_close(
    app: App, lang: str
) -> None:
    """ "It is not an emergency, how do I complain": no emergency lines, and the danger
    topic is neither answered nor offered (it was, through the n-grams of the negated
    word)."""
    question = NOT_AN_EMERGENCY_BUT[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert not verdict.emergency_first
    assert "safety.emergency" not in (verdict.topic, *verdict.choices)
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    assert not reply.text.startswith("🚨")
    # Offered topics (related-topic links under an answer start with an arrow, "→").
    offered = [button.label.upper() for row in reply.buttons for button in row]
    assert title(app, "safety.emergency", lang) not in offered
    non_emergency = title(app, "safety.non_emergency", lang)
    assert non_emergency in reply.text or non_emergency in offered


@pytest.mark.parametrize(("lang", "question"), sorted(NEARLY_A_PHRASING))
async def test_a_question_a_phrasing_says_nearly_whole_is_answered(
    app: App, lang: str, question: str
) -> None:
    """Most of the question's words are one phrasing's and most of that phrasing's words
    are the question's: the topic is answered although a sibling topic scores close."""
    wanted = NEARLY_A_PHRASING[(lang, question)]
    verdict = app.services.knowledge.decide(question, lang)
    assert (verdict.reply, verdict.topic) == ("answer", wanted)
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    assert title(app, wanted, lang) in reply.text  # the article, not a list of buttons


@pytest.mark.parametrize("lang", LANGS)
async def test_danger_as_people_type_it_puts_the_emergency_lines_first(app: App, lang: str) -> None:
    """Plurals, weapons, 'right now' forms, Russian translit and Arabizi: 🚨 first."""
    replies = await Conversation(app, language_hint=lang).send(DANGER[lang])
    assert first_line_is_emergency(replies[0], app)
    assert any(offers_a_person(replies[0], app, code) for code in LANGS)


@pytest.mark.parametrize("lang", LANGS)
async def test_an_emergency_told_as_a_scene_puts_the_emergency_lines_first(
    app: App, lang: str
) -> None:
    """Drowning, a heart attack, a missing child: the danger lists know the scene."""
    assert app.services.knowledge.decide(SCENES[lang], lang).danger
    replies = await Conversation(app, language_hint=lang).send(SCENES[lang])
    assert first_line_is_emergency(replies[0], app)


@pytest.mark.parametrize("lang", LANGS)
async def test_someone_else_about_to_harm_themselves_is_danger(app: App, lang: str) -> None:
    """Danger by the lists, not only by the ranking: the emergency lines come first."""
    assert app.services.knowledge.decide(SOMEONE_ELSE_SELF_HARM[lang], lang).danger
    replies = await Conversation(app, language_hint=lang).send(SOMEONE_ELSE_SELF_HARM[lang])
    assert first_line_is_emergency(replies[0], app)
    assert any(offers_a_person(replies[0], app, code) for code in LANGS)


@pytest.mark.parametrize("lang", LANGS)
async def test_asking_for_help_with_a_complaint_is_not_danger(app: App, lang: str) -> None:
    """ "Help me file a complaint" is no danger: the complaint topic, no banner of its own."""
    question = HELP_ME_COMPLAIN[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert not verdict.danger
    assert verdict.topic == "complaint.how_to_file"
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    if verdict.reply == "answer":
        assert not reply.text.startswith("🚨")
        assert title(app, "complaint.how_to_file", lang) in reply.text


async def test_an_everyday_keeps_doing_is_not_being_followed(app: App) -> None:
    """Spanish "me sigue cobrando" is "they keep charging me"; "alguien me sigue" is danger."""
    knowledge = app.services.knowledge
    assert not knowledge.decide("la compañia me sigue cobrando una linea", "es").danger
    assert knowledge.decide("alguien me sigue desde el metro", "es").danger


async def test_longer_forms_of_a_listed_danger_phrase_count(app: App) -> None:
    """Listed "kick in my door" finds "kicking in my door"; a negation before it does not."""
    kicking = (await Conversation(app).send("two guys kicking in my door"))[0]
    assert first_line_is_emergency(kicking, app)
    assert app.services.knowledge.decide("they are kicking in my door", "en").danger
    assert not app.services.knowledge.decide("they are not kicking in my door", "en").danger


async def test_a_danger_phrase_late_in_a_long_message_still_counts(app: App) -> None:
    """A long story full of the common words danger phrases start with ("me", "con")
    still finds the phrase near its end, through the chat."""
    story = "me dijo que me fuera con mi hermana y me quede con ella un rato. " * 12
    replies = await Conversation(app, language_hint="es").send(story + "ahora me estan siguiendo")
    assert first_line_is_emergency(replies[0], app)
    assert not app.services.knowledge.decide(story + "ya no me estan siguiendo", "es").danger


@pytest.mark.parametrize("lang", LANGS)
async def test_someone_unconscious_puts_the_emergency_lines_first(app: App, lang: str) -> None:
    """An overdose or someone who will not wake up is danger now, in every language."""
    replies = await Conversation(app, language_hint=lang).send(UNCONSCIOUS[lang])
    assert first_line_is_emergency(replies[0], app)
    assert app.services.knowledge.decide(UNCONSCIOUS[lang], lang).danger


@pytest.mark.parametrize("lang", sorted(URGENT_CLOSE_BEHIND))
async def test_an_urgent_topic_close_behind_is_offered_below_the_emergency_lines(
    app: App, lang: str
) -> None:
    """ICE at the door ranked as the police at the door, immigration just behind: no direct
    answer without the emergency lines, but choices that start with them and offer both."""
    question = URGENT_CLOSE_BEHIND[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert verdict.reply == "choices"
    assert "rights.immigration_status" in verdict.choices
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    assert first_line_is_emergency(reply, app)
    labels = [button.label.upper() for row in reply.buttons for button in row]
    assert title(app, "rights.immigration_status", lang) in labels
    assert offers_a_person(reply, app, lang)


async def test_romanized_russian_is_answered_in_russian(app: App) -> None:
    """A Latin-letter Russian message is Russian, not Haitian Creole: Cyrillic answer."""
    replies = await Conversation(app, language_hint="ht").send("u dveri muzhik s nozhom")
    assert first_line_is_emergency(replies[0], app)
    assert "Если вы в опасности" in replies[0].text or "сейчас" in replies[0].text
    assert replies[-1].buttons[0][0].label == LANGUAGE_NAMES["ru"]


# Russian with the English terms people mix in: the Latin words stay as typed (the
# content holds them in Latin letters too) rather than being spelled in Cyrillic. A
# message wholly in Latin letters is spelled back into Cyrillic, all but the words the
# Russian content holds as typed and not in Cyrillic ("ICE", not "ице"); it is asked from
# an English chat.
RUSSIAN_WITH_ENGLISH = {
    "у меня спросили green card, я обязан показать?": "rights.immigration_status",
    "как подать complaint на офицера": "complaint.how_to_file",
    "где найти legal aid бесплатно": "help.legal_aid",
    "ICE prishli k muzhu na rabotu, chto delat": "rights.immigration_status",
    "kak podat complaint na ofitsera": "complaint.how_to_file",
    "menya sprosili green card, ya obyazan pokazat?": "rights.immigration_status",
}


@pytest.mark.parametrize("question", sorted(RUSSIAN_WITH_ENGLISH))
async def test_english_terms_in_a_russian_message_are_read_as_typed(
    app: App, question: str
) -> None:
    """The answer, or the first choice, is the topic in Russian, with the emergency
    lines first when it is urgent."""
    wanted = RUSSIAN_WITH_ENGLISH[question]
    hint = "en" if question.isascii() else "ru"
    replies = await Conversation(app, language_hint=hint).send(question)
    first_button = replies[0].buttons[0][0].label.removeprefix("→ ").upper()
    assert title(app, wanted, "ru") in replies[0].text or first_button == title(app, wanted, "ru")
    assert first_line_is_emergency(replies[0], app) == is_urgent(app, wanted, "ru")
    if hint != "ru":
        assert replies[-1].buttons[0][0].label == LANGUAGE_NAMES["ru"]


@pytest.mark.parametrize("lang", sorted(URGENT_CHOICES))
async def test_urgent_choices_are_never_behind_a_tap(app: App, lang: str) -> None:
    """Choices that include an urgent topic open with the emergency lines and a person."""
    question = URGENT_CHOICES[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert verdict.reply == "choices"  # the premise
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    assert first_line_is_emergency(reply, app)
    assert offers_a_person(reply, app, lang)
    assert verdict.emergency_first


@pytest.mark.parametrize("lang", sorted(URGENT_WITHIN_REACH))
async def test_an_urgent_topic_within_reach_puts_the_emergency_lines_first(
    app: App, lang: str
) -> None:
    """No urgent topic among the three offered, but one ranked just below them, close to
    the best: the choices still open with the emergency lines and offer a person."""
    question = URGENT_WITHIN_REACH[lang]
    knowledge = app.services.knowledge
    verdict = knowledge.decide(question, lang)
    ranked = knowledge.search(question, lang).ranked
    # The premise: choices without an urgent topic, an urgent one ranked within reach.
    assert verdict.reply == "choices"
    assert not any(is_urgent(app, topic_id, lang) for topic_id in verdict.choices)
    assert any(is_urgent(app, match.topic_id, lang) for match in ranked[3:])
    reply = (await Conversation(app, language_hint=lang).send(question))[0]
    assert first_line_is_emergency(reply, app)
    assert offers_a_person(reply, app, lang)
    assert verdict.emergency_first


@pytest.mark.parametrize("lang", LANGS)
async def test_greeting_thanks_and_help_in_every_language(app: App, lang: str) -> None:
    """A greeting gets the friendly menu, thanks a short reply and the menu, 'help' /help."""
    t = app.services.languages.translator(lang)
    alice = Conversation(app, language_hint=lang)
    greeting = (await alice.send(GREETING[lang]))[0]
    assert greeting.text == t._(
        "Hello! I can tell you your rights with the police, help you make a complaint, "
        "tell you about community meetings, and put you in touch with a person. Choose "
        "below or write your question in your own words."
    )
    assert offers_a_person(greeting, app, lang)
    thanks = (await alice.send(THANKS[lang]))[0]
    assert thanks.text == t._("You're welcome! Is there anything else I can help with?")
    assert thanks.buttons
    help_reply = (await alice.send(HELP[lang]))[0]
    assert help_reply.text.startswith(t._("Here is what you can send me:"))
    assert "/rights" in help_reply.text


async def test_a_topic_button_keeps_the_language_it_was_offered_in(app: App) -> None:
    """A Spanish question on an English chat offers Spanish topics; pressing one shows
    the Spanish article although her language is still English."""
    ana = Conversation(app)
    choices = (await ana.send("arrestaron a mi hijo de 14 años"))[0]
    first_topic = choices.buttons[0][0]
    assert first_topic.arg.endswith("@es")
    answer = (await ana.press_payload(first_topic.payload()))[0]
    assert "Información general, no asesoría legal." in answer.text
    person = await app.repos.people.find("test", "alice")
    assert person is not None and person.locale != "es"


async def test_liaison_ask_jsonl_prints_what_the_chat_shows(app: App) -> None:
    """Every JSON line's reply, choices and emergency_first match the chat's first message."""
    questions = [
        (EMERGENCY_NUMBER_QUESTIONS["ar"], "ar"),
        (URGENT_CHOICES["es"], "en"),
        (NOT_AN_EMERGENCY["zh_Hans"], "zh_Hans"),
        ("my landlord won't fix the heat", "en"),
        (GREETING["vi"], "vi"),
    ]
    lines = "".join(json.dumps({"q": q, "lang": lang}) + "\n" for q, lang in questions)
    out = io.StringIO()
    assert ask_jsonl(app.services.config, io.StringIO(lines), out) == 0
    verdicts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [set(v) for v in verdicts] == [set(KEYS)] * len(questions)
    for (question, lang), verdict in zip(questions, verdicts, strict=True):
        first = (await Conversation(app, user=f"u{lang}", language_hint=lang).send(question))[0]
        assert first.text.startswith("🚨") == verdict["emergency_first"]
        assert verdict["urgent"] == verdict["emergency_first"]
        offered = [
            b.arg.partition("@")[0] for row in first.buttons for b in row if b.action == "kb"
        ]
        if verdict["reply"] == "choices":
            assert offered == verdict["choices"]
        elif verdict["reply"] == "answer":
            assert title(app, verdict["topic"], verdict["lang"]) in first.text
        else:
            assert verdict["topic"] is None and not offered


# Direct answers whose next topics score close behind: the answer may be the wrong one.
CLOSE_ALTERNATIVES = {
    "en": "how do i file a complaint about an officer",
    "es": "como pongo una queja contra un policia",
    "ar": "كيف اقدم شكوى ضد شرطي",
}


@pytest.mark.parametrize("lang", sorted(CLOSE_ALTERNATIVES))
async def test_a_direct_answer_offers_the_next_topics_first(app: App, lang: str) -> None:
    """A direct answer puts the topics the search ranked close behind it first among its
    buttons, in the chat's language; pressing one opens that article, in that language,
    and `liaison ask` lists the same topics as the answer's choices."""
    question = CLOSE_ALTERNATIVES[lang]
    verdict = app.services.knowledge.decide(question, lang)
    assert verdict.reply == "answer" and verdict.choices  # the premise
    resident = Conversation(app, user=f"resident-{lang}", language_hint=lang)
    answer = (await resident.send(question))[0]
    knowledge = app.services.knowledge
    titles = []
    for topic_id in verdict.choices:
        offered = knowledge.topic(topic_id, lang)
        assert offered is not None
        titles.append(offered.topic.title)
    topic_labels = [
        button.label for row in answer.buttons for button in row if button.label.startswith("→ ")
    ]
    assert topic_labels[: len(titles)] == ["→ " + title for title in titles]
    assert len(topic_labels) <= 4
    opened = (await resident.press("→ " + titles[0]))[0]
    assert opened.text.startswith(titles[0].upper())
    assert opened.rtl == (lang == "ar")
    found = knowledge.topic(verdict.choices[0], lang)
    assert found is not None and found.topic.lang == lang
    printed = io.StringIO()
    ask_jsonl(
        app.services.config, io.StringIO(json.dumps({"q": question, "lang": lang}) + "\n"), printed
    )
    assert json.loads(printed.getvalue())["choices"] == list(verdict.choices)


def test_a_calm_answer_never_offers_an_urgent_topic_without_the_lines(app: App) -> None:
    """Urgent is never behind a tap: over every example phrasing of every language, an
    answer that does not start with the emergency lines offers no urgent topic."""
    knowledge = app.services.knowledge
    checked = 0
    for lang in LANGS:
        for topic_id in knowledge.order:
            found = knowledge.topic(topic_id, lang)
            assert found is not None
            for question in found.topic.examples:
                verdict = knowledge.decide(question, lang)
                if verdict.reply != "answer" or verdict.emergency_first:
                    continue
                checked += 1
                for topic_id in verdict.choices:
                    offered = knowledge.topic(topic_id, verdict.lang)
                    assert offered is not None and not offered.topic.urgent, (lang, question)
    assert checked > 1000


# Everyday questions that share words with the content ("complain", "report", "officer"
# in another sense): the off-topic gate weighs how much of the question the topics'
# terms hold, not only how close the nearest off-topic example is.
EVERYDAY_QUESTIONS = {
    "en": "how do i ask my boss for a raise",
    "es": "como le pido un aumento a mi jefe",
    "ar": "بدي اشتكي على شركة الموبايل",
}


@pytest.mark.parametrize("lang", sorted(EVERYDAY_QUESTIONS))
async def test_an_everyday_question_gets_the_offtopic_menu(app: App, lang: str) -> None:
    """Not an answer about praising an officer or a phone search: the menu of what the
    bot does, in the person's language, right to left in Arabic."""
    resident = Conversation(app, user=f"resident-{lang}", language_hint=lang)
    reply = (await resident.send(EVERYDAY_QUESTIONS[lang]))[-1]
    t = app.services.languages.translator(lang)
    assert reply.text == t._(
        "I can only help with questions about the police: your rights, complaints, "
        "community meetings, and reaching a person. Here is what I can help with:"
    )
    assert reply.rtl == (lang == "ar")
    assert not first_line_is_emergency(reply, app)


# Not wanting to live, said with a word between the listed phrase's words or with
# another negation cue than the list's ("больше", "anymore", "isnt").
NOT_WANTING_TO_LIVE = {
    "en": "i do not want to live anymore",
    "es": "ya no quiero seguir viviendo",
    "fr": "je ne veux plus vivre",
    "ht": "mwen pa vle viv ankò",
    "pt": "eu nao quero mais viver",
    "ru": "я не хочу больше жить",
    "ar": "ما بدي عيش بعد اليوم",
    "zh_Hans": "我真的不想活了",
    "vi": "tôi không muốn sống nữa",
    "so": "ma rabo inaan noolaado",
}


@pytest.mark.parametrize("lang", LANGS)
async def test_not_wanting_to_live_puts_the_emergency_lines_first(app: App, lang: str) -> None:
    """Crisis, said as people say it: the 🚨 lines (with the crisis line) first, never
    the off-topic menu, in every language."""
    question = NOT_WANTING_TO_LIVE[lang]
    assert app.services.knowledge.decide(question, lang).danger
    replies = await Conversation(app, user=f"resident-{lang}", language_hint=lang).send(question)
    assert first_line_is_emergency(replies[0], app)
    assert replies[0].rtl == (lang == "ar")


def test_a_danger_phrase_is_found_across_a_word_and_any_negation_cue(app: App) -> None:
    """The method, not the list: a listed phrase with one extra word inside it, or with
    another of the language's negation cues, is still that phrase; a negated one is not."""
    knowledge = app.services.knowledge
    assert knowledge.decide("the baby isnt breathing", "en").danger  # listed: "not breathing"
    assert knowledge.decide("she is not really breathing", "en").danger
    assert knowledge.decide("не хочу больше жить", "ru").danger  # listed: "не хочу жить"
    assert not knowledge.decide("he is not going to kill me, it's fine", "en").danger
    # The word between may not be a negation cue: "its not an emergency" is negated.
    assert not knowledge.decide("its not an emergency", "en").danger


# Asking for the police to come now, in the words people type (not the lists' own).
SEND_THE_POLICE = {
    "en": "please send the police here",
    "es": "manden a la policia rapido",
    "fr": "envoyez la police vite",
    "ht": "voye lapolis vit",
    "pt": "mandem a policia aqui",
    "ru": "пришлите полицию быстрее",
    "ar": "ارسلوا الشرطة بسرعة",
    "zh_Hans": "快派警察来",
    "vi": "cần cảnh sát tới ngay",
    "so": "booliska ii soo dira hadda",
}


@pytest.mark.parametrize("lang", LANGS)
async def test_asking_for_the_police_now_puts_the_emergency_lines_first(
    app: App, lang: str
) -> None:
    """Someone who wants the police sent now is told the emergency number first: this
    service cannot dispatch anyone."""
    question = SEND_THE_POLICE[lang]
    assert app.services.knowledge.decide(question, lang).danger
    replies = await Conversation(app, user=f"resident-{lang}", language_hint=lang).send(question)
    assert first_line_is_emergency(replies[0], app)
