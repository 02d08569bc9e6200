"""Pieces several features show: the main menu and the emergency contacts."""

from __future__ import annotations

from bot.config import LocalSection
from bot.core.dispatcher import COMMAND_BUTTON
from bot.core.events import Button
from bot.i18n import N_, Translator
from bot.local_defaults import localized
from storage.people import Role

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
        [Button(t._("Know your rights"), COMMAND_BUTTON, "rights")],
        [Button(t._("Complaints about police"), COMMAND_BUTTON, "complaint")],
        [
            Button(t._("Meetings"), COMMAND_BUTTON, "meetings"),
            Button(t._("Polls"), COMMAND_BUTTON, "poll"),
        ],
        [Button(t._("Talk to a person"), COMMAND_BUTTON, "human")],
        [Button(t._("Language"), COMMAND_BUTTON, "language")],
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
