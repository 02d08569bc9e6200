"""How cases read: the codes that stand for people, the case card, and the notices
residents and rooms get, in the language each reads.

Kept apart from the case operations (`handlers.escalation.service`), which decide what is
stored and queued; these only decide what it says.
"""

from __future__ import annotations

from bot.core.context import Services
from bot.core.events import Button, Outgoing
from bot.core.payloads import Ref
from bot.core.people import Person
from bot.i18n import LANGUAGE_NAMES, Translator
from handlers.escalation.buttons import BLOCK, CLAIM, CLOSE, RATE, REOPEN, REPLY, CaseRating
from storage.cases import Case, Outcome


def pseudonym(services: Services, person: Person) -> str:
    """A stable short code for a resident that reveals nothing about who they are.

    The person's own salt is erased with them, so after /forget the same platform account
    starts over with a code that cannot be linked to the erased one.
    """
    parts: tuple[str, ...] = (person.platform, person.platform_user_id)
    if person.pseudonym_salt is not None:
        parts = (*parts, person.pseudonym_salt)
    return "R-" + services.hasher.digest("pseudonym", *parts)[:6].upper()


def liaison_code(services: Services, person: Person) -> str:
    digest = services.hasher.digest("liaison", person.platform, person.platform_user_id)
    return "L-" + digest[:4].upper()


def liaison_label(services: Services, person: Person) -> str:
    """How a liaison appears to colleagues: their chosen name, else a code."""
    return person.public_name or liaison_code(services, person)


def room_translator(services: Services) -> Translator:
    return services.languages.translator(services.config.bot.default_locale)


def resident_translator(services: Services, case: Case) -> Translator:
    return services.languages.translator(case.lang)


def who(t: Translator, case: Case) -> str:
    if case.anonymous or not case.shown_name:
        return t._("{code} (anonymous)").format(code=case.pseudonym)
    return f"{case.shown_name} ({case.pseudonym})"


def case_buttons(t: Translator, case_id: int) -> tuple[tuple[Button, ...], ...]:
    case = Ref(case_id)
    return (
        (
            CLAIM.button(t.pgettext("case", "Claim"), case),
            REPLY.button(t.pgettext("case", "Reply"), case),
            CLOSE.button(t.pgettext("case", "Close"), case),
            BLOCK.button(t.pgettext("case", "Block"), case),
        ),
    )


def outcome_label(t: Translator, outcome: Outcome) -> str:
    labels = {
        Outcome.ANSWERED: t._("answered"),
        Outcome.OVERSIGHT: t._("referred to the oversight agency"),
        Outcome.LEGAL_AID: t._("referred to legal aid"),
        Outcome.NO_RESPONSE: t._("no response from the resident"),
        Outcome.OTHER: t._("other"),
        Outcome.WITHDRAWN: t._("closed by the resident"),
    }
    return labels[outcome]


def card(services: Services, case: Case, first_message: str) -> Outgoing:
    """The case card liaisons see: never the platform name or id of an anonymous resident."""
    t = room_translator(services)
    knowledge = services.knowledge
    titles = []
    for topic_id in case.topics:
        found = knowledge.topic(topic_id, t.locale)
        titles.append(found.topic.title if found else topic_id)
    lines = [
        t._("New case #{number}").format(number=case.id),
        t._("From: {who}").format(who=who(t, case)),
        t._("Language: {language}").format(language=LANGUAGE_NAMES.get(case.lang, case.lang)),
        t._("Urgent: {answer}").format(answer=t._("yes") if case.urgent else t._("no")),
        t._("Read just before: {topics}").format(topics=", ".join(titles) or "—"),
        "",
        first_message,
        "",
        t._(
            "Answer with Reply, by writing in this thread, or with /reply {number} followed by "
            "your message."
        ).format(number=case.id),
    ]
    return Outgoing("\n".join(lines), case_buttons(t, case.id))


def closed_notice(services: Services, case: Case, outcome: Outcome) -> Outgoing:
    """What the resident is told when their case closes: the outcome, a rating asked only
    for help that was given, and Reopen while the deployment allows it."""
    t = resident_translator(services, case)
    reopen_days = services.config.escalation.reopen_days
    paragraphs = [
        t._("Your conversation #{number} is closed: {outcome}.").format(
            number=case.id, outcome=outcome_label(t, outcome)
        )
    ]
    rows: list[tuple[Button, ...]] = []
    # Nobody is asked to rate help that was never given.
    if case.first_reply_at is not None:
        paragraphs.append(
            t._("How satisfied are you with the help you got? 1 = not at all, 5 = very.")
        )
        rows.append(tuple(RATE.button(str(n), CaseRating(case.id, n)) for n in range(1, 6)))
    if reopen_days:
        rows.append((REOPEN.button(t._("Reopen"), Ref(case.id)),))
    return Outgoing("\n\n".join(paragraphs), tuple(rows))
