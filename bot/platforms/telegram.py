"""Telegram on python-telegram-bot 22: updates become neutral events, replies go out paced.

PTB's manual lifecycle (initialize / start / updater.start_* … stop / shutdown) keeps
the event loop ours, so Telegram, Discord, the outbox and the scheduler share it; the
blocking `run_polling()` is never used. Everything Telegram-shaped stays in this module:
the mapping `to_incoming` is a pure function, rendering escapes every piece of text.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import html
import logging
import re
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import telegram.error as tg_error
from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    InputFile,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, TypeHandler
from telegram.warnings import PTBDeprecationWarning, PTBUserWarning

from bot.config import StartupError
from bot.core.context import MenuEntry, mark_rtl
from bot.core.events import Attachment, Button, ChatKind, EventKind, Incoming, Outgoing
from bot.core.ports import (
    DeliveryError,
    NotConnected,
    PermanentFailure,
    Recipient,
    Responder,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.delivery import retries
from bot.delivery.pacing import Pacing
from bot.i18n import Translator
from bot.platforms.stopping import bounded
from bot.platforms.telegram_http import AiohttpRequest
from bot.platforms.telegram_spec import MESSAGE_LIMIT, NAME
from bot.platforms.text_clean import clean_incoming
from bot.platforms.text_split import split_text

if TYPE_CHECKING:
    from bot.core.host import PlatformHost
    from bot.platforms.telegram_spec import TelegramSection

log = logging.getLogger(__name__)
# Text replies and files sent again go by `do_api_request` on purpose (see `_send_part`
# and `_send_file`); PTB warns when a method it has a typed call for is used that way.
warnings.filterwarnings(
    "ignore",
    message=r"Please use 'Bot\.send(Message|Document|Photo)'",
    category=PTBUserWarning,
)
T = TypeVar("T")

PLATFORM = NAME
# Where operators set the token, named when Telegram refuses it.
TOKEN_SETTING = "LIAISON_TELEGRAM_TOKEN"
# Bot API limits beyond the message length the spec declares: captions 1024 characters
# after entity parsing, command descriptions 256, forum topic names 128.
CAPTION_LIMIT = 1024
COMMAND_DESCRIPTION_LIMIT = 256
TOPIC_NAME_LIMIT = 128
# Only what the bot acts on; everything else would be fetched just to be ignored.
ALLOWED_UPDATES = ("message", "callback_query")
# Long-poll hold time; PTB adds it to the read timeout of getUpdates.
POLL_TIMEOUT = timedelta(seconds=30)
# Request timeouts: fail a dead connection fast (and retry) rather than hang a reply.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 10.0
MEDIA_WRITE_TIMEOUT_S = 30.0
# Outbox deliveries and replies of many chats share the pool; wait for a free connection.
# Small on purpose: httpcore checks every open connection on each request, so a big pool
# costs CPU on every send, and 16 in flight already saturates Telegram's overall limit.
CONNECTION_POOL_SIZE = 16
# Uploaded files remembered by content, to re-send by file_id (oldest forgotten first).
FILE_ID_CACHE = 512
POOL_TIMEOUT_S = 10.0
# Updates of different chats handled at once, so a 429 wait in one chat stalls no other.
MAX_CONCURRENT_UPDATES = 64
# Incoming photos/documents are fetched only up to this size (the Bot API serves <= 20 MB).
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
# Telegram's wording for an edit that changes nothing: the message already says it.
NOT_MODIFIED = "message is not modified"


# ---------------------------------------------------------------- mapping (pure)


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is, to tell which group messages are addressed to it."""

    id: int
    username: str


@dataclass(frozen=True, slots=True)
class FileRef:
    """A photo or document an incoming message carries, still on Telegram's servers."""

    file_id: str
    filename: str
    mime_type: str
    is_image: bool


def to_incoming(update: Update, me: BotIdentity) -> Incoming | None:
    """Map an update to a neutral event, or None when it is not for the bot.

    Precedence: a button press; then a command (unless addressed to another bot); then
    any message in a private chat; in groups only a mention of the bot, a reply to it,
    or a message in a forum topic the bot opened (a case thread is its conversation).
    """
    if update.callback_query is not None:
        query = update.callback_query
        return _button_event(query.message, query.from_user, query.data)
    if update.message is not None:
        return _message_event(update.message, me)
    return None


def _button_event(
    message: MaybeInaccessibleMessage | None, presser: User, data: str | None
) -> Incoming | None:
    if message is None or data is None:
        return None  # an inline-mode or game button: the bot never sends those
    return Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(presser.id),
        kind=EventKind.BUTTON,
        display_name=presser.full_name,
        language_hint=presser.language_code,
        payload=data,
        message_id=str(message.message_id),
        chat_kind=_chat_kind(message.chat),
        thread_id=_thread_id(message),
    )


def _message_event(message: Message, me: BotIdentity) -> Incoming | None:
    sender = message.from_user
    if sender is None or sender.is_bot:
        return None  # channel posts, anonymous admins, other bots
    text = _text(message)
    if not text and not file_refs(message):
        return None  # stickers, locations, service messages: nothing to answer
    command = _command(text) if _starts_with_command(message) else None
    if command is not None:
        name, target, args = command
        if target and target.lower() != me.username.lower():
            return None  # "/start@OtherBot" in a shared room
        return _event(message, sender, EventKind.COMMAND, text, name.lower(), args, me=me)
    if message.chat.type == ChatType.PRIVATE:
        return _event(message, sender, EventKind.TEXT, text)
    if _mentions(message, me) or _replies_to(message, me) or _in_topic_of(message, me):
        return _event(message, sender, EventKind.TEXT, _without_mention(text, me), me=me)
    return None  # group conversation not addressed to the bot


def _event(
    message: Message,
    sender: User,
    kind: EventKind,
    text: str,
    command: str | None = None,
    args: str = "",
    me: BotIdentity | None = None,
) -> Incoming:
    reply = _explicit_reply(message)
    return Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(sender.id),
        kind=kind,
        display_name=sender.full_name,
        language_hint=sender.language_code,
        text=text,
        command=command,
        args=args,
        message_id=str(message.message_id),
        chat_kind=_chat_kind(message.chat),
        thread_id=_thread_id(message),
        reply_to_message_id=_reply_to(message),
        reply_to_bot_text=(reply.text or "")
        if reply is not None and me is not None and _replies_to(message, me)
        else "",
    )


def _text(message: Message) -> str:
    """The words of a message: its text, or the caption of a photo or document."""
    return message.text if message.text is not None else message.caption or ""


def _entities(message: Message, *types: str) -> list[str]:
    """The text of the entities of these types, from the text or else the caption."""
    if message.text is not None:
        return list(message.parse_entities(list(types)).values())
    return list(message.parse_caption_entities(list(types)).values())


def _starts_with_command(message: Message) -> bool:
    entities: Sequence[MessageEntity] = message.entities or message.caption_entities
    return any(e.type == MessageEntityType.BOT_COMMAND and e.offset == 0 for e in entities)


def _command(text: str) -> tuple[str, str, str]:
    """'/name@target args' -> (name, target, args); target is '' when not given."""
    token, *rest = text.split(maxsplit=1)
    name, _, target = token[1:].partition("@")
    return name, target, rest[0].strip() if rest else ""


def _mentions(message: Message, me: BotIdentity) -> bool:
    handle = f"@{me.username}".lower()
    if any(text.lower() == handle for text in _entities(message, MessageEntityType.MENTION)):
        return True
    entities = message.entities or message.caption_entities
    return any(
        e.type == MessageEntityType.TEXT_MENTION and e.user is not None and e.user.id == me.id
        for e in entities
    )


def _replies_to(message: Message, me: BotIdentity) -> bool:
    reply = _explicit_reply(message)
    return reply is not None and reply.from_user is not None and reply.from_user.id == me.id


def _in_topic_of(message: Message, me: BotIdentity) -> bool:
    """In a forum topic, messages point at the topic's creation notice: was it the bot's?"""
    notice = message.reply_to_message
    return (
        notice is not None
        and notice.forum_topic_created is not None
        and notice.from_user is not None
        and notice.from_user.id == me.id
    )


def _explicit_reply(message: Message) -> Message | None:
    """The message replied to; in forum topics every message 'replies' to the topic's
    creation notice, which is not a reply the person chose."""
    reply = message.reply_to_message
    if reply is None or reply.forum_topic_created is not None:
        return None
    return reply


def _reply_to(message: Message) -> str | None:
    reply = _explicit_reply(message)
    return None if reply is None else str(reply.message_id)


def _without_mention(text: str, me: BotIdentity) -> str:
    return re.sub(rf"@{re.escape(me.username)}\b", "", text, flags=re.IGNORECASE).strip()


def _chat_kind(chat: Chat) -> ChatKind:
    return ChatKind.PRIVATE if chat.type == ChatType.PRIVATE else ChatKind.GROUP


def _thread_id(message: MaybeInaccessibleMessage) -> str | None:
    """The forum topic a message sits in (reply threads of plain groups are not topics)."""
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        return str(message.message_thread_id)
    return None


def file_refs(message: Message) -> tuple[FileRef, ...]:
    """The photo (largest size that may be fetched) or document a message carries."""
    if message.photo:
        fitting = [p for p in message.photo if (p.file_size or 0) <= MAX_DOWNLOAD_BYTES]
        if not fitting:
            return ()
        photo = fitting[-1]  # sizes come smallest first
        name = f"photo_{photo.file_unique_id}.jpg"
        return (FileRef(photo.file_id, name, "image/jpeg", is_image=True),)
    document = message.document
    if document is not None and (document.file_size or 0) <= MAX_DOWNLOAD_BYTES:
        mime = document.mime_type or "application/octet-stream"
        name = document.file_name or f"document_{document.file_unique_id}"
        return (FileRef(document.file_id, name, mime, is_image=mime.startswith("image/")),)
    return ()


# ---------------------------------------------------------------- rendering (pure)


def utf16_length(text: str) -> int:
    """Telegram counts text in UTF-16 code units (an emoji may count twice)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """All neutral text is plain: escape it for HTML parse mode (quotes need no escaping
    outside attributes, and Telegram's HTML knows only a few named entities)."""
    return html.escape(text, quote=False)


def message_parts(message: Outgoing) -> list[Outgoing]:
    """One part per Bot API call, in order: text split to the limit, the attachment with
    its caption when the text fits one, buttons under the last part, `edit` on the first."""
    text = mark_rtl(message.text) if message.rtl else message.text
    attachment = message.attachment
    if attachment is not None and utf16_length(text) <= CAPTION_LIMIT:
        parts = [Outgoing(text, attachment=attachment)]
    else:
        parts = [Outgoing(chunk) for chunk in split_text(text, MESSAGE_LIMIT, utf16_length)]
        if attachment is not None:
            parts.append(Outgoing("", attachment=attachment))
    parts[-1] = replace(parts[-1], buttons=message.buttons)
    parts[0] = replace(parts[0], edit=message.edit)
    return parts


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any] | None:
    """An inline keyboard as the Bot API's JSON. Built as plain data, not PTB's
    InlineKeyboardMarkup objects, which every reply would build and serialise again
    (~10 % of the event loop in the throughput benchmark); calls take it as an API
    argument."""
    if not rows:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.payload()} for b in row] for row in rows
        ]
    }


def menu_commands(menu: Sequence[MenuEntry], translator: Translator) -> list[BotCommand]:
    """The public commands (staff-only ones stay out of everyone's menu), translated."""
    return [
        BotCommand(entry.name, translator._(entry.description)[:COMMAND_DESCRIPTION_LIMIT])
        for entry in menu
        if not entry.roles
    ]


def telegram_language_code(locale: str) -> str:
    """Telegram scopes menus by two-letter ISO 639-1 code (zh_Hans -> zh)."""
    return locale.split("_", 1)[0].lower()


def is_group_chat(chat_id: str) -> bool:
    """Group, supergroup and channel ids are negative (or @names); people's are positive."""
    return chat_id.startswith("-") or not chat_id.isdigit()


# ---------------------------------------------------------------- errors (pure)


def delivery_error(error: tg_error.TelegramError) -> DeliveryError:
    """PTB's exception as the outcome the outbox understands.

    Order matters: BadRequest and TimedOut are both NetworkError subclasses in PTB.
    """
    match error:
        case tg_error.RetryAfter():
            return RetryAfter(retry_seconds(error))
        case tg_error.Forbidden():
            return Unreachable(error.message)
        case tg_error.BadRequest() | tg_error.ChatMigrated() | tg_error.EndPointNotFound():
            return PermanentFailure(error.message)
        case _:
            # Timeouts, 5xx (NetworkError), a 409 or a revoked token: retrying with backoff
            # costs little, and an operator fixing the token saves the pending rows.
            return TemporaryFailure(type(error).__name__)


def retry_seconds(error: tg_error.RetryAfter) -> float:
    """`retry_after` is an int or a timedelta depending on PTB_TIMEDELTA; accept both."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _mapped(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except tg_error.TelegramError as error:
        raise delivery_error(error) from error


async def with_retries(call: Callable[[], Awaitable[T]]) -> T:
    """A Bot API call someone is waiting on (a button's answer, a menu, a file), retried
    by the delivery policy; raises the `DeliveryError` that remains."""
    return await retries.with_retries(partial(_mapped, call))


# ---------------------------------------------------------------- update processing


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Different chats are served concurrently; one chat's updates strictly in order.

    Concurrency keeps a 429 wait in one chat from stalling every other; per-chat order
    keeps a quick "/language" and the button press after it from racing each other.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._holders[chat.id] += 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[chat.id] -= 1
            if not self._holders[chat.id]:
                del self._holders[chat.id], self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made per chat when its first update arrives."""

    async def shutdown(self) -> None:
        """Nothing to release: the Application waits for running updates itself."""


def _http_client(pool_size: int) -> AiohttpRequest:
    return AiohttpRequest(
        connection_pool_size=pool_size,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
        write_timeout=WRITE_TIMEOUT_S,
        pool_timeout=POOL_TIMEOUT_S,
        media_write_timeout=MEDIA_WRITE_TIMEOUT_S,
    )


def _webhook_path(webhook_url: str) -> str:
    """The local path to serve is the path of the public webhook URL."""
    return urlsplit(webhook_url).path.lstrip("/")


# ---------------------------------------------------------------- the adapter


class TelegramAdapter:
    """A running Telegram bot; also the `Sender` of the outbox's Telegram rows."""

    platform = PLATFORM

    def __init__(self, host: PlatformHost, section: TelegramSection) -> None:
        self._host = host
        self._section = section
        self._application = self._build_application()
        self._me = BotIdentity(0, "")
        self._receiving = False  # whether this instance should be receiving now
        # Parts of a split outbox message already delivered, so a retry sends only the rest.
        self._progress: dict[tuple[str, str, str], int] = {}
        self._file_ids: dict[str, str] = {}
        self._menus: asyncio.Task[None] | None = None

    def _build_application(self) -> Application[Any, Any, Any, Any, Any, Any]:
        section = self._section
        # Kept to close them when getMe fails: PTB shuts down only what it initialized.
        self._requests = (_http_client(CONNECTION_POOL_SIZE), _http_client(1))
        application = (
            ApplicationBuilder()
            .token(section.token)
            .base_url(section.api_base_url)
            .base_file_url(section.api_file_url)
            .request(self._requests[0])
            .get_updates_request(self._requests[1])  # one long poll at a time
            .concurrent_updates(ChatOrderedProcessor(MAX_CONCURRENT_UPDATES))
            .job_queue(None)  # the bot has its own scheduler
            .build()
        )
        application.add_handler(TypeHandler(Update, self._on_update))
        application.add_error_handler(self._on_error)
        return application

    # -- lifecycle

    async def start(self) -> None:
        """Connect (getMe), publish the menus, then receive by long polling or webhook."""
        await self.start_sending()
        await self.start_receiving()

    @property
    def exclusive(self) -> bool:
        """Long polling is one process's at a time (Telegram answers 409 to a second);
        a webhook's updates can go to any instance behind it."""
        return self._section.mode != "webhook"

    async def start_sending(self) -> None:
        """Connect (getMe), publish the menus and deliver outbox rows; nothing received.

        The menus are published meanwhile, not first: they are cosmetic, and waiting for
        them put a round trip between start-up and the first poll."""
        _quiet_library_debug_logs()
        application = self._application
        try:
            await self._connect()
            bot = application.bot
            self._me = BotIdentity(bot.id, bot.username)
            self._host.register_sender(self, self._pacing())
            self._host.offer_threads(PLATFORM, self.open_thread)
            self._menus = asyncio.create_task(self._publish_menus(), name="telegram menus")
            await application.start()
        except BaseException:
            await self.stop()
            raise

    async def start_receiving(self) -> None:
        """Receive by long polling or webhook (this instance leads, or needs no leader)."""
        self._receiving = True
        try:
            await self._start_receiving()
        except BaseException:
            await self.stop()
            raise

    async def stop_receiving(self) -> None:
        """Stop polling at once; sending and the updates in hand go on."""
        self._receiving = False
        updater = self._application.updater
        if updater is not None and updater.running:
            await updater.stop()

    async def _connect(self) -> None:
        """getMe; a refused token or an unreachable API is one line for the operator.

        PTB's own error quotes the token ("The token `123:…` was rejected"): it is replaced,
        not chained, so no traceback or log line can carry it.
        """
        try:
            await self._application.initialize()
        except tg_error.InvalidToken as error:
            if "not found" in str(error.__cause__ or "").lower():
                # Telegram's answer to a malformed token, and any server's to a wrong URL.
                raise StartupError(
                    f"Telegram rejected the token (404): check {TOKEN_SETTING} "
                    "and telegram.api_base_url"
                ) from None
            refused = f"Telegram rejected the token (401): check {TOKEN_SETTING}"
            raise StartupError(refused) from None
        except tg_error.NetworkError as error:  # TimedOut included
            host = urlsplit(self._section.api_base_url).hostname
            raise StartupError(
                f"could not reach Telegram at {host} ({type(error).__name__}): "
                "check telegram.api_base_url and the network"
            ) from None

    async def _start_receiving(self) -> None:
        updater = self._application.updater
        assert updater is not None  # the builder always makes one
        section = self._section
        if section.mode == "webhook":
            await updater.start_webhook(
                listen=section.webhook_listen,
                port=section.webhook_port,
                url_path=_webhook_path(section.webhook_url),
                webhook_url=section.webhook_url,
                secret_token=section.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            await updater.start_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                error_callback=_on_polling_error,
            )

    @property
    def connected(self) -> bool:
        """Started, and receiving (polling or webhook) unless another instance leads."""
        updater = self._application.updater
        receiving = updater is not None and updater.running
        return self._application.running and (receiving or not self._receiving)

    async def stop(self) -> None:
        """Stop receiving, finish the updates in hand, close connections.

        Each step is bounded: one that hangs (a request that never returns, an update
        stuck behind it) is logged and left, so stopping always ends, well inside the
        time a service manager gives before it kills the process."""
        self._host.offer_threads(PLATFORM, None)
        application = self._application
        await bounded(PLATFORM, "command menus", self._cancel_menus())
        if application.updater is not None and application.updater.running:
            await bounded(PLATFORM, "polling", application.updater.stop())
        if application.running:
            await bounded(PLATFORM, "updates in hand", application.stop())
        await bounded(PLATFORM, "shutdown", application.shutdown())
        for request in self._requests:
            await bounded(PLATFORM, "connections", request.shutdown())

    async def _cancel_menus(self) -> None:
        if self._menus is not None:
            self._menus.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._menus

    def _pacing(self) -> Pacing:
        section = self._section

        def chat_rate(chat_id: str) -> tuple[float, float]:
            if is_group_chat(chat_id):
                return section.rate_group_per_min, 60.0
            return section.rate_private_chat_per_s, 1.0

        return Pacing(section.rate_global_per_s, chat_rate)

    async def _publish_menus(self) -> None:
        """setMyCommands per language, and the default language for everyone else.

        The calls go out together: one after another they cost a round trip each. A menu
        that cannot be published is cosmetic: logged, and the bot runs on.
        """
        languages = self._host.languages
        bot = self._application.bot
        default = menu_commands(self._host.menu, languages.translator(None))
        calls = [with_retries(partial(bot.set_my_commands, default))]
        for translator in languages.all():
            commands = menu_commands(self._host.menu, translator)
            code = telegram_language_code(translator.locale)
            calls.append(with_retries(partial(bot.set_my_commands, commands, language_code=code)))
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        failures = {type(error).__name__ for error in outcomes if isinstance(error, Exception)}
        if failures:
            log.warning("could not publish some Telegram command menus: %s", ", ".join(failures))

    # -- incoming

    async def _on_update(self, update: Update, _context: object) -> None:
        if update.callback_query is not None:
            await self._answer_button(update.callback_query)
        event = to_incoming(update, self._me)
        if event is None:
            return
        if update.message is not None:
            event = await self._with_files(event, update.message)
        event = clean_incoming(event)
        await self._host.feed(event, self._responder(event))

    async def _answer_button(self, query: CallbackQuery) -> None:
        """Answer every press at once, so no client shows an endless spinner."""
        try:
            await with_retries(query.answer)
        except DeliveryError as error:
            log.warning("could not answer a button press: %s", type(error).__name__)

    async def _with_files(self, event: Incoming, message: Message) -> Incoming:
        """Fetch the photo or document an addressed message carries."""
        attachments: list[Attachment] = []
        for ref in file_refs(message):
            try:
                data = await with_retries(partial(self._download, ref.file_id))
            except DeliveryError as error:
                log.warning("could not fetch an incoming file: %s", type(error).__name__)
                continue
            attachments.append(Attachment(ref.filename, data, ref.mime_type, ref.is_image))
        return replace(event, attachments=tuple(attachments)) if attachments else event

    async def _download(self, file_id: str) -> bytes:
        file = await self._application.bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    async def _on_error(self, update: object, context: Any) -> None:
        """PTB would log the whole update; log only what failed."""
        log.error("telegram update failed: %s", type(context.error).__name__)

    # -- direct replies

    def _responder(self, event: Incoming) -> Responder:
        recipient = Recipient(PLATFORM, event.chat_id, event.thread_id)
        pressed_on = event.message_id if event.kind is EventKind.BUTTON else None

        async def respond(message: Outgoing) -> None:
            await self._reply(recipient, message, pressed_on)

        return respond

    async def _reply(self, recipient: Recipient, message: Outgoing, pressed_on: str | None) -> None:
        """Send a reply now through the delivery component (pacing, retries, hand-off);
        the first part may edit the pressed message in place."""

        async def send(part: Outgoing) -> None:
            edit_target = pressed_on if part.edit else None
            await _mapped(partial(self._send_part, recipient, part, edit_target))

        await self._host.reply(recipient, message_parts(message), send)

    # -- sending (shared by replies and the outbox)

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        """Sender protocol: deliver an outbox row or raise the `DeliveryError` saying why not."""
        if not self._application.running:
            raise NotConnected(PLATFORM)  # shutting down: the row waits for the next start
        parts = message_parts(message)
        key = (recipient.chat_id, recipient.thread_id or "", message.text)
        for index in range(self._progress.get(key, 0), len(parts)):
            try:
                await _mapped(partial(self._send_part, recipient, parts[index], None))
            except (RetryAfter, TemporaryFailure):
                if index:
                    self._progress[key] = index
                raise
        self._progress.pop(key, None)

    async def _send_part(
        self, recipient: Recipient, part: Outgoing, edit_target: str | None
    ) -> None:
        bot = self._application.bot
        markup = keyboard(part.buttons)
        if part.attachment is not None:
            await self._send_file(recipient, part.attachment, part.text, markup)
            return
        if edit_target is not None and await self._edited(recipient, part, edit_target):
            return
        # sendMessage through the generic call: the typed `send_message` parses the
        # returned message and its keyboard into objects nobody reads, 14 % of the event
        # loop's time in the throughput benchmark's profile.
        await bot.do_api_request(
            "sendMessage",
            api_kwargs={
                "chat_id": recipient.chat_id,
                "text": escape(part.text),
                "parse_mode": ParseMode.HTML,
                "reply_markup": markup,
                "message_thread_id": _thread(recipient),
            },
        )

    async def _edited(self, recipient: Recipient, part: Outgoing, message_id: str) -> bool:
        """Edit the pressed message in place; False when it cannot be (then send anew)."""
        try:
            await self._application.bot.edit_message_text(
                escape(part.text),
                chat_id=recipient.chat_id,
                message_id=int(message_id),
                parse_mode=ParseMode.HTML,
                api_kwargs={"reply_markup": keyboard(part.buttons)},
            )
        except tg_error.BadRequest as error:
            # Pressed twice: the message already reads this way. Too old or gone: send anew.
            return NOT_MODIFIED in error.message.lower()
        return True

    async def _send_file(
        self,
        recipient: Recipient,
        attachment: Attachment,
        caption: str,
        markup: dict[str, Any] | None,
    ) -> None:
        """Images as photos (shown inline), anything else as a document.

        A file already uploaded once (the same meeting's .ics for ten thousand people) is
        sent again by the file_id Telegram gave it, as Telegram recommends, instead of
        being uploaded every time.
        """
        bot = self._application.bot
        options: dict[str, Any] = {
            "caption": escape(caption) if caption else None,
            "parse_mode": ParseMode.HTML,
            "message_thread_id": _thread(recipient),
        }
        kind = "photo" if attachment.is_image else "document"
        digest = hashlib.sha256(attachment.data).hexdigest()
        known = self._file_ids.get(digest)
        if known is not None:
            # By the generic call, like text: the typed one would parse the returned
            # message into objects nobody reads, for every one of ten thousand chats.
            try:
                await bot.do_api_request(
                    "sendPhoto" if attachment.is_image else "sendDocument",
                    api_kwargs={
                        "chat_id": recipient.chat_id,
                        kind: known,
                        "reply_markup": markup,
                        **options,
                    },
                )
                return
            except tg_error.BadRequest:
                self._file_ids.pop(digest, None)  # forgotten by Telegram: upload again
        send = bot.send_photo if attachment.is_image else bot.send_document
        options["api_kwargs"] = {"reply_markup": markup}
        sent = await send(
            recipient.chat_id, InputFile(attachment.data, filename=attachment.filename), **options
        )
        file_id = (
            sent.photo[-1].file_id
            if sent.photo
            else (sent.document.file_id if sent.document else None)
        )
        if file_id is not None:
            if len(self._file_ids) >= FILE_ID_CACHE:
                self._file_ids.pop(next(iter(self._file_ids)))
            self._file_ids[digest] = file_id

    # -- capabilities for other features

    async def open_thread(self, chat_id: str, title: str) -> str | None:
        """A forum topic for a conversation of its own (escalations), as its thread id;
        None when the chat is not a forum. Failures raise a `DeliveryError`."""
        bot = self._application.bot
        chat = await with_retries(partial(bot.get_chat, chat_id))
        if not chat.is_forum:
            return None
        name = title[:TOPIC_NAME_LIMIT]
        topic = await with_retries(partial(bot.create_forum_topic, chat_id, name))
        return str(topic.message_thread_id)


def _thread(recipient: Recipient) -> int | None:
    return int(recipient.thread_id) if recipient.thread_id else None


def _on_polling_error(error: tg_error.TelegramError) -> None:
    """PTB retries polling by itself; say that it failed without its URL-bearing detail."""
    if isinstance(error, tg_error.Conflict):
        # Another process polls with this token (a second deployment, or a former
        # leader not yet stopped): Telegram serves one of them; retrying is right.
        log.warning("telegram polling: another process polls with this token; retrying")
        return
    log.warning("telegram polling failed, retrying: %s", type(error).__name__)


def _quiet_library_debug_logs() -> None:
    """PTB logs whole updates and request parameters (message text) at DEBUG: never that."""
    library = logging.getLogger("telegram")
    if library.getEffectiveLevel() < logging.INFO:
        library.setLevel(logging.INFO)
    # A body that is not JSON (a wrong api_base_url) is logged with a traceback, then
    # raised; the raised error is what the operator is told about, in one line.
    logging.getLogger("telegram.request.BaseRequest").setLevel(logging.CRITICAL)
