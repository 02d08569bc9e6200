"""/subscribe, /unsubscribe and STOP: nobody gets broadcasts they did not ask for."""

from __future__ import annotations

import functools

from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.payloads import ButtonSpec, Key, StaleButton
from bot.core.router import Router
from bot.i18n import N_, Languages
from handlers.meetings.service import Meetings
from handlers.neighborhoods import by_short_id, short_id

router = Router("meetings.subscriptions")

SUBSCRIBE = ButtonSpec("sub", Key)
ALL = "*"


@router.command("subscribe", N_("Get meeting announcements and reminders"))
async def subscribe(ctx: Context, event: Incoming) -> None:
    tags = ctx.config.meetings.neighborhoods
    if not tags:
        await _save(ctx, ())
        return
    rows = [[SUBSCRIBE.button(ctx._("Whole city"), Key(ALL))]]
    rows.extend([SUBSCRIBE.button(tag, Key(short_id(tag)))] for tag in tags)
    await ctx.reply(ctx._("Which neighborhood do you want to hear about?"), rows)


@router.button(SUBSCRIBE)
async def subscribe_choice(ctx: Context, event: Incoming, chosen: Key) -> None:
    choice = chosen.key
    tag = by_short_id(ctx.config.meetings.neighborhoods, choice)
    if choice == ALL:
        await _save(ctx, ())
    elif tag is not None:
        current = await ctx.feature(Meetings).subscriptions.tags_of(ctx.person.id) or ()
        await _save(ctx, tuple(sorted({*current, tag})))
    else:
        raise StaleButton


async def _save(ctx: Context, tags: tuple[str, ...]) -> None:
    await ctx.feature(Meetings).subscriptions.subscribe(ctx.person.id, tags, ctx.now())
    await ctx.feature(Meetings).catch_up(ctx.person.id)
    where = ", ".join(tags) if tags else ctx._("the whole city")
    await ctx.reply(
        ctx._(
            "You will get meeting announcements and reminders for {where}. "
            "Send /unsubscribe or STOP to stop them."
        ).format(where=where)
    )
    await ctx.services.published.welcome(ctx.services, ctx.person)


@router.command("unsubscribe", N_("Stop meeting announcements"))
async def unsubscribe(ctx: Context, event: Incoming) -> None:
    await _stop(ctx)


async def _stop(ctx: Context) -> None:
    await ctx.feature(Meetings).subscriptions.unsubscribe(ctx.person.id)
    await ctx.reply(
        ctx._("You will not get any more announcements. Send /subscribe to start again.")
    )


@functools.cache
def stop_words(languages: Languages) -> frozenset[str]:
    """'stop' and its translation in every shipped language ('parar', 'arrêter', 'توقف' …),
    computed once per set of catalogs: every free-text message is checked against it."""
    words = {"stop"}
    for translator in languages.all():
        words.add(translator.pgettext("keyword to unsubscribe", "STOP").casefold())
    return frozenset(words)


@router.text()
async def stop_keyword(ctx: Context, event: Incoming) -> bool:
    """A message that is only STOP, in any shipped language, unsubscribes."""
    if not event.is_private:
        return False
    word = event.text.strip().strip("!.").casefold()
    if word not in stop_words(ctx.services.languages):
        return False
    await _stop(ctx)
    return True
