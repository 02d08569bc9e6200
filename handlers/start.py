"""First conversation: /start, /help and /about."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.router import Router
from bot.i18n import N_
from handlers.common import DISCLAIMER, main_menu

router = Router("start")


@router.command("start", N_("Start over and see what I can do"))
async def start(ctx: Context, event: Incoming) -> None:
    await ctx.clear_state()
    greeting = ctx._(
        "Hello! I am the assistant of {service}. I can tell you your rights with the police, "
        "help you make a complaint, tell you about community meetings, and put you in touch "
        "with a person. What do you need?"
    ).format(service=ctx.config.bot.service_name)
    await ctx.reply(greeting, main_menu(ctx.t))
    if event.is_private:
        await ctx.services.published.welcome(ctx.services, ctx.person)


@router.command("help", N_("What I can do and how to use me"))
async def help_command(ctx: Context, event: Incoming) -> None:
    lines = [ctx._("Here is what you can send me:")]
    for entry in ctx.services.menu:
        if entry.visible_to(ctx.person):
            lines.append(f"/{entry.name} — {ctx._(entry.description)}")
    lines.append("")
    lines.append(ctx._("You can also just write your question in your own words."))
    await ctx.reply("\n".join(lines))


@router.command("about", N_("Who runs this service, and your privacy"))
async def about(ctx: Context, event: Incoming) -> None:
    local = ctx.config.local
    lines = [
        ctx._("{service} is run by {operator}.").format(
            service=ctx.config.bot.service_name, operator=ctx.config.bot.operator
        ),
        ctx._(DISCLAIMER),
        ctx._(
            "Privacy: we keep only what we need to answer you. Staff never see your name "
            "unless you choose to share it. Send /mydata to see what is stored, /forget to "
            "erase it."
        ),
        ctx._("In an emergency, call {number}.").format(number=local.emergency_number),
    ]
    if local.privacy_notice_url:
        lines.append(ctx._("Privacy notice: {url}").format(url=local.privacy_notice_url))
    await ctx.reply("\n\n".join(lines))


@router.command("cancel", N_("Stop what you are doing"))
async def cancel(ctx: Context, event: Incoming) -> None:
    """Leave any multi-step form; nothing half-typed is kept."""
    state = await ctx.state()
    had_form = state is not None and state.flow in ctx.services.published.forms
    await ctx.clear_state()
    for hook in ctx.services.published.on_cancel:
        if await hook(ctx):
            return
    if had_form:
        await ctx.reply(ctx._("Cancelled. Send /start to see what I can do."))
    else:
        await ctx.reply(ctx._("There is nothing to cancel. Send /start to see what I can do."))
