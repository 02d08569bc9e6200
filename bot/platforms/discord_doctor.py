"""Discord's part of `liaison doctor` and of the start-up room check, over the REST API.

No gateway connection is opened: GET /users/@me (token), /oauth2/applications/@me (the
Message Content intent switched on in the portal), the liaison channel, the bot's
permissions there (its roles and the channel's overwrites, as Discord computes them), and
the servers and text channels the bot can see, so the operator can copy a channel id.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import discord

from bot.doctor import Finding, RoomCheck, Status
from bot.platforms.discord_spec import NAME, DiscordSection

SETTING = "discord.liaison_channel_id"
DEFAULT_API = "https://discord.com/api/v10"
TIMEOUT = aiohttp.ClientTimeout(total=15)
TEXT_CHANNEL = 0
# Application flags: the Message Content intent, for verified and for smaller apps.
MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)
# What the bot needs in the liaison channel: see it, post, open a thread per case, post
# in threads, and read the history a liaison replies to.
NEEDED = discord.Permissions(
    view_channel=True,
    send_messages=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    read_message_history=True,
)


class ApiRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Api:
    """GETs with the bot's token against the configured (or Discord's) REST base."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self._session = session
        self._base = base.rstrip("/")
        self._headers = {"Authorization": f"Bot {token}"}

    async def get(self, path: str) -> Any:
        async with self._session.get(self._base + path, headers=self._headers) as response:
            body = await response.json(content_type=None)
        if response.status >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            raise ApiRefused(response.status, str(message or f"HTTP {response.status}"))
        return body


def _why(error: BaseException) -> str:
    return error.message if isinstance(error, ApiRefused) else type(error).__name__


FAILURES = (ApiRefused, aiohttp.ClientError, TimeoutError)


async def check_discord(settings: DiscordSection, full: bool) -> RoomCheck:
    """The room check (and with `full`, the doctor's other checks) for Discord."""
    configured = bool(settings.liaison_channel_id)
    findings: list[Finding] = []
    reachable = False
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        api = Api(session, settings.api_base_url or DEFAULT_API, settings.token)
        try:
            me = await api.get("/users/@me")
        except FAILURES as error:
            findings.append(
                Finding(
                    Status.FAIL, f"token refused or API unreachable: {_why(error)}", "discord.token"
                )
            )
            return RoomCheck(NAME, configured, False, tuple(findings), connected=False)
        findings.append(Finding(Status.OK, f"token valid: {me.get('username', '?')}"))
        if full:
            findings.append(await _intents(api, settings))
        if configured:
            room, reachable = await _room(api, settings.liaison_channel_id, str(me["id"]))
            findings.extend(room)
        else:
            findings.append(
                Finding(Status.WARN, f"{SETTING} is empty: no liaison channel here", SETTING)
            )
        if full:
            findings.extend(await _visible_channels(api))
    return RoomCheck(NAME, configured, reachable, tuple(findings))


async def _intents(api: Api, settings: DiscordSection) -> Finding:
    try:
        application = await api.get("/oauth2/applications/@me")
    except FAILURES as error:
        return Finding(Status.WARN, f"application settings not readable: {_why(error)}")
    enabled = bool(int(application.get("flags") or 0) & MESSAGE_CONTENT_FLAGS)
    if settings.message_content and not enabled:
        return Finding(
            Status.FAIL,
            "message_content = true, but the Message Content Intent is off in the developer "
            "portal (Bot page): the gateway will refuse to connect",
            "discord.message_content",
        )
    if settings.message_content:
        return Finding(Status.OK, "Message Content Intent on: liaisons can type in case threads")
    return Finding(
        Status.INFO,
        "message_content off: liaisons answer with the Reply button or /reply",
    )


def permissions_in(
    channel: dict[str, Any],
    guild: dict[str, Any],
    roles: list[dict[str, Any]],
    member: dict[str, Any],
) -> discord.Permissions:
    """Discord's permission computation: base from @everyone and the member's roles (all
    with Administrator or as the owner), then the channel's @everyone, role and member
    overwrites in that order."""
    user_id = str(member["user"]["id"])
    if str(guild.get("owner_id")) == user_id:
        return discord.Permissions.all()
    by_id = {str(role["id"]): int(role.get("permissions") or 0) for role in roles}
    guild_id = str(guild["id"])
    member_roles = {str(role_id) for role_id in member.get("roles", [])}
    value = by_id.get(guild_id, 0)
    for role_id in member_roles:
        value |= by_id.get(role_id, 0)
    if value & discord.Permissions(administrator=True).value:
        return discord.Permissions.all()
    overwrites = {str(o["id"]): o for o in channel.get("permission_overwrites") or []}

    def apply(value: int, overwrite: dict[str, Any] | None) -> int:
        if overwrite is None:
            return value
        return (value & ~int(overwrite.get("deny") or 0)) | int(overwrite.get("allow") or 0)

    value = apply(value, overwrites.get(guild_id))
    allow = deny = 0
    for role_id in member_roles:
        if role_id in overwrites:
            allow |= int(overwrites[role_id].get("allow") or 0)
            deny |= int(overwrites[role_id].get("deny") or 0)
    value = (value & ~deny) | allow
    value = apply(value, overwrites.get(user_id))
    return discord.Permissions(value)


async def _room(api: Api, channel_id: str, bot_id: str) -> tuple[list[Finding], bool]:
    """The liaison channel exists, is a text channel, and the bot has what it needs there."""
    try:
        channel = await api.get(f"/channels/{channel_id}")
    except FAILURES as error:
        text = f"channel {channel_id} not reachable: {_why(error)}"
        return [Finding(Status.FAIL, text, SETTING)], False
    name = channel.get("name") or channel_id
    if channel.get("type") != TEXT_CHANNEL:
        text = f"“{name}” is not a text channel: cases need one to open threads in"
        return [Finding(Status.FAIL, text, SETTING)], False
    findings = [Finding(Status.OK, f"liaison channel #{name} ({channel_id}) reachable")]
    guild_id = str(channel.get("guild_id"))
    try:
        guild = await api.get(f"/guilds/{guild_id}")
        roles = await api.get(f"/guilds/{guild_id}/roles")
        member = await api.get(f"/guilds/{guild_id}/members/{bot_id}")
    except FAILURES as error:
        findings.append(Finding(Status.WARN, f"the bot's permissions not readable: {_why(error)}"))
        return findings, True
    have = permissions_in(channel, guild, roles, member)
    missing = [name for name, needed in NEEDED if needed and not getattr(have, name)]
    if missing:
        wanted = ", ".join(permission.replace("_", " ").title() for permission in missing)
        text = f"the bot lacks in #{name}: {wanted} (give its role these permissions there)"
        findings.append(Finding(Status.FAIL, text, SETTING))
        return findings, "view_channel" not in missing and "send_messages" not in missing
    findings.append(Finding(Status.OK, "the bot may post and open threads there"))
    return findings, True


async def _visible_channels(api: Api) -> list[Finding]:
    try:
        guilds = await api.get("/users/@me/guilds")
    except FAILURES as error:
        return [Finding(Status.INFO, f"servers not listed: {_why(error)}")]
    if not guilds:
        return [Finding(Status.WARN, "the bot is in no server yet: invite it (see README)")]
    findings: list[Finding] = []
    for guild in guilds:
        try:
            channels = await api.get(f"/guilds/{guild['id']}/channels")
        except FAILURES as error:
            findings.append(Finding(Status.INFO, f"server {guild.get('name')}: {_why(error)}"))
            continue
        for channel in channels:
            if channel.get("type") == TEXT_CHANNEL:
                findings.append(
                    Finding(
                        Status.INFO,
                        f"channel the bot sees: {channel['id']} #{channel.get('name')} "
                        f"in {guild.get('name')}",
                    )
                )
    return findings
