"""/language: each language in its own name; the choice is stored and always wins."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.context import Context
from bot.core.events import Button, Incoming
from bot.core.payloads import ButtonSpec, Key
from bot.core.router import Router
from bot.i18n import LANGUAGE_NAMES, N_
from handlers.profiles import Profiles

router = Router("language")

CHOOSE_LANGUAGE = ButtonSpec("lang", Key)


def language_buttons(codes: tuple[str, ...]) -> list[list[Button]]:
    """Two languages per row keeps ten choices on one phone screen."""
    buttons = [CHOOSE_LANGUAGE.button(LANGUAGE_NAMES[code], Key(code)) for code in codes]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


@router.command("language", N_("Choose your language"))
async def choose_language(ctx: Context, event: Incoming) -> None:
    await ctx.reply(ctx._("Choose your language:"), language_buttons(ctx.services.languages.codes))


@router.button(CHOOSE_LANGUAGE)
async def language_chosen(ctx: Context, event: Incoming, chosen: Key) -> None:
    code = chosen.key
    if code not in ctx.services.languages.codes:
        await ctx.reply(ctx._("That language is not available. Send /language to choose again."))
        return
    await ctx.feature(Profiles).set_locale(ctx.person, code)
    ctx.t = ctx.services.languages.translator(code)
    await ctx.reply(
        ctx._("Done: I will speak {language} with you. Send /help to see what I can do.").format(
            language=LANGUAGE_NAMES[code]
        ),
        edit=True,
    )


@router.command("timezone", N_("Set your time zone, e.g. /timezone America/Chicago"))
async def set_timezone(ctx: Context, event: Incoming) -> None:
    """Meeting times and reminders are shown in each person's own time zone."""
    name = event.args.strip()
    if not _is_timezone(name):
        current = ctx.person.timezone or ctx.config.bot.timezone
        await ctx.reply(
            ctx._(
                "Your time zone is {zone}. To change it, write for example "
                "/timezone America/Chicago."
            ).format(zone=current)
        )
        return
    await ctx.feature(Profiles).set_timezone(ctx.person, name)
    await ctx.reply(ctx._("Done: times will be shown in {zone}.").format(zone=name))


def _is_timezone(name: str) -> bool:
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
