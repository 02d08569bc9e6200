"""Pieces several features show: the main menu and the emergency contacts."""

from __future__ import annotations

from bot.config import LocalSection
from bot.core.dispatcher import COMMAND_BUTTON, CommandName
from bot.core.events import Button
from bot.core.people import Role
from bot.i18n import N_, Translator
from bot.local_defaults import localized

# Shown under every knowledge answer and in /about, word for word the same everywhere.
DISCLAIMER = N_("General information, not legal advice. Laws differ by state, city and country.")
# How a role is named to the person who has it.
ROLE_NAMES = {
    Role.RESIDENT: N_("resident"),
    Role.LIAISON: N_("community liaison"),
    Role.ORGANIZER: N_("organizer"),
    Role.ADMIN: N_("administrator"),
}


def main_menu(t: Translator) -> list[list[Button]]:
    """What the bot can do, as buttons that run the matching command."""
    return [
        [COMMAND_BUTTON.button(t._("Know your rights"), CommandName("rights"))],
        [COMMAND_BUTTON.button(t._("Complaints about police"), CommandName("complaint"))],
        [
            COMMAND_BUTTON.button(t._("Meetings"), CommandName("meetings")),
            COMMAND_BUTTON.button(t._("Polls"), CommandName("poll")),
        ],
        [COMMAND_BUTTON.button(t._("Talk to a person"), CommandName("human"))],
        [COMMAND_BUTTON.button(t._("Language"), CommandName("language"))],
    ]


def emergency_lines(t: Translator, local: LocalSection) -> str:
    """Emergency contacts, shown before anything else when someone may be in danger."""
    local = localized(local, t.locale)
    return "\n".join(
        [
            "🚨 "
            + t._("If you are in danger now, call {number}.").format(number=local.emergency_number),
            t._("Mental health crisis: {line}.").format(line=local.crisis_line),
            t._("To reach a person from our service: {contact}.").format(
                contact=local.liaison_contact
            ),
        ]
    )
