"""Roles: admins (from config) grant and revoke the liaison and organizer roles.

People are named by `platform:user_id`, which each person can read with /whoami; every
change lands in the audit log.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.events import Incoming
from bot.core.people import Role
from bot.core.router import Router
from bot.i18n import N_
from handlers.common import ROLE_NAMES
from handlers.profiles import Profiles

router = Router("admin")


@router.command("whoami", N_("Show your account id (to give to an admin)"))
async def whoami(ctx: Context, event: Incoming) -> None:
    await ctx.reply(
        ctx._("Your id: {identity}. Your role: {role}.").format(
            identity=f"{ctx.person.platform}:{ctx.person.platform_user_id}",
            role=ctx._(ROLE_NAMES[ctx.person.role]),
        ),
        private=True,
    )


async def _grant_or_revoke(ctx: Context, event: Incoming, grant: bool) -> None:
    parts = event.args.split()
    wanted = parts[1].lower() if len(parts) > 1 else ""
    role = next((r for r in (Role.LIAISON, Role.ORGANIZER) if r.value == wanted), None)
    if not parts or (grant and role is None):
        await ctx.reply(
            ctx._("Write /grant or /revoke, then platform:id, then liaison or organizer.")
        )
        return
    target = role if grant and role is not None else Role.RESIDENT
    person = await ctx.feature(Profiles).change_role(ctx.person.id, parts[0], target)
    if person is None:
        await ctx.reply(
            ctx._("Nobody with that id has written to the bot yet (or it is an admin).")
        )
        return
    await ctx.reply(
        ctx._("Done: {identity} is now {role}.").format(identity=parts[0], role=target.value)
    )


@router.command("grant", roles=(Role.ADMIN,))
async def grant(ctx: Context, event: Incoming) -> None:
    await _grant_or_revoke(ctx, event, grant=True)


@router.command("revoke", roles=(Role.ADMIN,))
async def revoke(ctx: Context, event: Incoming) -> None:
    await _grant_or_revoke(ctx, event, grant=False)


@router.command("roles", N_("Who has which role (admins)"), roles=(Role.ADMIN,))
async def roles(ctx: Context, event: Incoming) -> None:
    lines = [ctx._("Staff:")]
    for role in (Role.ADMIN, Role.ORGANIZER, Role.LIAISON):
        for person in await ctx.feature(Profiles).with_role(role):
            lines.append(f"{role.value}: {person.platform}:{person.platform_user_id}")
    await ctx.reply("\n".join(lines), private=True)
