"""The five default poll templates (shared/polls/TRUST_POLLS.md §2), word for word.

The wording of T1-T3 follows the Sentiment Meter so results compare across waves and
cities; it is translated once in the catalogs and never edited per poll.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.i18n import N_


class Scale(enum.Enum):
    ZERO_TO_TEN = "0-10"
    AGREE_FIVE = "1-5"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    question: str
    scale: Scale
    labels: tuple[str, ...]  # endpoint (and middle) labels, or the choices
    score_name: str | None  # "Safety score" / "Trust score" for 0-10 items
    # What the organizer's picker shows: T2-T4 all begin "How much do you agree: The police
    # in my neighborhood …", so their questions cut short look identical.
    name: str = ""

    def values(self, custom_options: int = 0) -> range:
        if self.scale is Scale.ZERO_TO_TEN:
            return range(0, 11)
        if self.scale is Scale.AGREE_FIVE:
            return range(1, 6)
        return range(0, custom_options or len(self.labels))


AGREE_LABELS = (N_("Strongly disagree"), N_("Neutral"), N_("Strongly agree"))

TEMPLATES: dict[str, Template] = {
    t.id: t
    for t in (
        Template(
            "T1",
            N_("When it comes to the threat of crime, how safe do you feel in your neighborhood?"),
            Scale.ZERO_TO_TEN,
            (N_("Not at all safe"), N_("Neither"), N_("Completely safe")),
            N_("Safety score"),
            N_("Safety: how safe you feel in your neighborhood"),
        ),
        Template(
            "T2",
            N_(
                "How much do you agree: The police in my neighborhood treat local residents "
                "with respect."
            ),
            Scale.ZERO_TO_TEN,
            AGREE_LABELS,
            N_("Trust score (respect)"),
            N_("Respect: police treat residents with respect"),
        ),
        Template(
            "T3",
            N_(
                "How much do you agree: The police in my neighborhood listen to and take into "
                "account the concerns of local residents."
            ),
            Scale.ZERO_TO_TEN,
            AGREE_LABELS,
            N_("Trust score (listening)"),
            N_("Listening: police listen to residents' concerns"),
        ),
        Template(
            "T4",
            N_(
                "How much do you agree: Police in my neighborhood treat people fairly, no matter "
                "who they are."
            ),
            Scale.AGREE_FIVE,
            (
                N_("Strongly disagree"),
                N_("Disagree"),
                N_("Neither agree nor disagree"),
                N_("Agree"),
                N_("Strongly agree"),
            ),
            None,
            N_("Fairness: police treat everyone fairly"),
        ),
        Template(
            "T5",
            N_(
                "What is the number one issue on your block or in your neighborhood you'd like "
                "police or the city to deal with?"
            ),
            Scale.CHOICE,
            (
                N_("Violence/guns"),
                N_("Theft/break-ins"),
                N_("Traffic/speeding"),
                N_("Drugs"),
                N_("Noise/quality of life"),
                N_("How police treat people"),
                N_("Other"),
            ),
            None,
            N_("Top issue on your block or in your neighborhood"),
        ),
    )
}
CUSTOM = "custom"
CUSTOM_TEMPLATE = Template(CUSTOM, "", Scale.CHOICE, (), None)


def template_for(template_id: str) -> Template:
    return TEMPLATES.get(template_id, CUSTOM_TEMPLATE)
