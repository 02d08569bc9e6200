"""Telegram's part of `liaison doctor` and of the start-up room check, over the Bot API.

Plain HTTPS calls (no polling is started, so nothing is consumed): getMe (token, privacy
mode), getChat and getChatMember for the liaison group (exists, forum topics, the bot's
rights), getWebhookInfo, and getUpdates without an offset to list the chats that wrote to
the bot lately, which does not confirm (consume) those updates.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import aiohttp

from bot.doctor import Finding, RoomCheck, Status
from bot.platforms.telegram_spec import NAME, TelegramSection

SETTING = "telegram.liaison_chat_id"
TIMEOUT = aiohttp.ClientTimeout(total=15)
# Chat member statuses in which the bot is in the group and can post.
PRESENT = {"creator", "administrator", "member", "restricted"}


class ApiRefused(Exception):
    """The Bot API answered ok=false; `description` is its reason."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


async def _call(session: aiohttp.ClientSession, base: str, method: str, **params: Any) -> Any:
    async with session.post(f"{base}/{method}", json=params) as response:
        body = await response.json(content_type=None)
    if not isinstance(body, dict) or not body.get("ok"):
        description = body.get("description") if isinstance(body, dict) else None
        raise ApiRefused(str(description or f"HTTP {response.status}"))
    return body.get("result")


async def check_telegram(settings: TelegramSection, full: bool) -> RoomCheck:
    """The room check (and with `full`, the doctor's other checks) for Telegram.

    The calls go out at once: one after another they cost a round trip each, and the room
    check is on the way to the bot's first poll. The liaison group's membership is asked
    for the bot id the token starts with (`<bot id>:<secret>`), so it need not wait for
    getMe; when getMe fails the other answers are not read."""
    base = f"{settings.api_base_url}{settings.token}"
    chat_id = settings.liaison_chat_id
    bot_id = _bot_id(settings.token)
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session, asyncio.TaskGroup() as calls:
        asked = calls.create_task(_get_me(session, base))
        room = None
        if chat_id and bot_id is not None:
            room = calls.create_task(_room(session, base, chat_id, bot_id))
        extras = calls.create_task(_extras(session, base, settings)) if full else None
        me = await asked
        if isinstance(me, str):
            refused = Finding(
                Status.FAIL, f"token refused or API unreachable: {me}", "telegram.token"
            )
            return RoomCheck(NAME, bool(chat_id), False, (refused,), connected=False)
        findings = [Finding(Status.OK, f"token valid: @{me.get('username', '?')}")]
        if full:
            findings.append(_privacy(me))
        reachable = False
        if chat_id:
            found, reachable = await (room or _room(session, base, chat_id, int(me["id"])))
            findings.extend(found)
        else:
            findings.append(
                Finding(Status.WARN, f"{SETTING} is empty: no liaison group here", SETTING)
            )
        if extras is not None:
            findings.extend(await extras)
    return RoomCheck(NAME, bool(chat_id), reachable, tuple(findings))


def _bot_id(token: str) -> int | None:
    """The bot's id, which a Telegram token starts with; None for a malformed token."""
    prefix, colon, _ = token.partition(":")
    return int(prefix) if colon and prefix.isdigit() else None


async def _get_me(session: aiohttp.ClientSession, base: str) -> dict[str, Any] | str:
    """getMe's answer, or why the token was refused or the API not reached."""
    try:
        me: dict[str, Any] = await _call(session, base, "getMe")
    except (ApiRefused, aiohttp.ClientError, TimeoutError) as error:
        return _why(error)
    return me


async def _extras(
    session: aiohttp.ClientSession, base: str, settings: TelegramSection
) -> list[Finding]:
    """The doctor's checks beyond the room: the webhook and the chats the bot sees."""
    webhook, chats = await asyncio.gather(_webhook(session, base, settings), _chats(session, base))
    return webhook + chats


def _why(error: BaseException) -> str:
    return error.description if isinstance(error, ApiRefused) else type(error).__name__


def _privacy(me: dict[str, Any]) -> Finding:
    if me.get("can_read_all_group_messages"):
        return Finding(Status.INFO, "privacy mode off: the bot reads every group message")
    return Finding(
        Status.INFO,
        "privacy mode on: in groups the bot reads commands, replies to its messages and "
        "forum topic messages (enough for the liaison group; as an admin it reads all)",
    )


async def _room(
    session: aiohttp.ClientSession, base: str, chat_id: str, bot_id: int
) -> tuple[list[Finding], bool]:
    """The liaison group: it exists, the bot is in it and may post, topics and their right."""
    answers = await asyncio.gather(
        _call(session, base, "getChat", chat_id=chat_id),
        _call(session, base, "getChatMember", chat_id=chat_id, user_id=bot_id),
        return_exceptions=True,
    )
    failed = next((answer for answer in answers if isinstance(answer, BaseException)), None)
    if failed is not None:
        if not isinstance(failed, ApiRefused | aiohttp.ClientError | TimeoutError):
            raise failed
        return [
            Finding(Status.FAIL, f"chat {chat_id} not reachable: {_why(failed)}", SETTING)
        ], False
    chat, member = cast(list[dict[str, Any]], answers)
    title = chat.get("title") or chat_id
    status = member.get("status", "")
    if status not in PRESENT or member.get("can_send_messages") is False:
        text = f"the bot cannot post in “{title}” (status {status or '?'}): add it to the group"
        return [Finding(Status.FAIL, text, SETTING)], False
    findings = [Finding(Status.OK, f"liaison group “{title}” ({chat_id}) reachable")]
    is_admin = status in {"creator", "administrator"}
    if chat.get("is_forum"):
        if is_admin and member.get("can_manage_topics", status == "creator"):
            findings.append(Finding(Status.OK, "forum topics on; the bot may manage topics"))
        else:
            findings.append(
                Finding(
                    Status.WARN,
                    "forum topics on, but the bot lacks the Manage Topics admin right: cases will "
                    "not get a topic each (make the bot an admin with Manage Topics)",
                    SETTING,
                )
            )
    else:
        findings.append(
            Finding(
                Status.WARN,
                "forum topics off: cases are posted in the group itself and liaisons answer by "
                "replying to the case card (turn on Topics in the group settings)",
            )
        )
    if not is_admin:
        findings.append(Finding(Status.INFO, "the bot is not an admin of the liaison group"))
    return findings, True


async def _webhook(
    session: aiohttp.ClientSession, base: str, settings: TelegramSection
) -> list[Finding]:
    try:
        info = await _call(session, base, "getWebhookInfo")
    except (ApiRefused, aiohttp.ClientError, TimeoutError) as error:
        return [Finding(Status.WARN, f"webhook info not available: {_why(error)}")]
    url = info.get("url") or ""
    if settings.mode != "webhook":
        if url:
            return [Finding(Status.WARN, "a webhook is set; polling mode removes it at start")]
        return [Finding(Status.OK, "polling mode, no webhook set")]
    findings = []
    if url and url != settings.webhook_url:
        findings.append(
            Finding(Status.WARN, "the webhook set is another URL than telegram.webhook_url")
        )
    if info.get("last_error_message"):
        findings.append(
            Finding(
                Status.FAIL,
                f"Telegram cannot reach the webhook: {info['last_error_message']}",
                "telegram.webhook_url",
            )
        )
    elif url:
        findings.append(Finding(Status.OK, "webhook reachable by Telegram (no recent error)"))
    return findings


async def _chats(session: aiohttp.ClientSession, base: str) -> list[Finding]:
    """Chats that wrote to the bot lately (an update is consumed only when a later call sends
    an offset past it, which this never does)."""
    try:
        updates = await _call(session, base, "getUpdates", timeout=0, limit=100)
    except (ApiRefused, aiohttp.ClientError, TimeoutError) as error:
        return [
            Finding(
                Status.INFO,
                f"chats the bot sees: not listed ({_why(error)}; stop the "
                "bot or its webhook, write in the group, run doctor again)",
            )
        ]
    chats: dict[int, str] = {}
    for update in updates:
        for key in ("message", "edited_message", "my_chat_member", "channel_post"):
            chat = (update.get(key) or {}).get("chat")
            if chat and chat.get("type") != "private":
                chats[int(chat["id"])] = f"{chat.get('title', '?')} ({chat.get('type')})"
    if not chats:
        return [
            Finding(
                Status.INFO,
                "chats the bot sees: none yet (write in the group, then run doctor again)",
            )
        ]
    return [
        Finding(Status.INFO, f"chat the bot sees: {chat_id} {name}")
        for chat_id, name in sorted(chats.items())
    ]
