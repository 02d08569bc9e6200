"""The slash command names that have translations (Discord shows them in each person's
language; the command a person runs still arrives under its English name).

Each name is written as a literal `pgettext` call (context included, as extraction needs
literals) so catalog extraction finds it; the catalogs hold the localized names under
`COMMAND_NAME_CONTEXT`. Discord accepts a localized
name only if it is lowercase letters, digits, '-' and '_' (at most 32), unique per language.
Discord has no Arabic, Haitian Creole or Somali locale: those catalogs carry the names for
the day it does, and for the other platforms' menus.
"""

from __future__ import annotations

# Catalog context, so a name never collides with a sentence that is the same word.
COMMAND_NAME_CONTEXT = "slash command name"


def pgettext(context: str, message: str) -> str:
    """Marks a name for extraction under `context`; the translation is looked up later."""
    return message


LOCALIZED_NAMES = frozenset(
    {
        pgettext("slash command name", "start"),
        pgettext("slash command name", "help"),
        pgettext("slash command name", "about"),
        pgettext("slash command name", "cancel"),
        pgettext("slash command name", "language"),
        pgettext("slash command name", "timezone"),
        pgettext("slash command name", "whoami"),
        pgettext("slash command name", "roles"),
        pgettext("slash command name", "mydata"),
        pgettext("slash command name", "forget"),
        pgettext("slash command name", "meeting"),
        pgettext("slash command name", "meetings"),
        pgettext("slash command name", "poll"),
        pgettext("slash command name", "release"),
        pgettext("slash command name", "assign"),
        pgettext("slash command name", "close"),
        pgettext("slash command name", "unblock"),
        pgettext("slash command name", "reply"),
        pgettext("slash command name", "case"),
        pgettext("slash command name", "snippet"),
        pgettext("slash command name", "snippet_set"),
        pgettext("slash command name", "cases"),
        pgettext("slash command name", "showname"),
        pgettext("slash command name", "human"),
        pgettext("slash command name", "subscribe"),
        pgettext("slash command name", "unsubscribe"),
        pgettext("slash command name", "rights"),
        pgettext("slash command name", "complaint"),
    }
)
