"""Discord adapter on discord.py 2: DMs, slash commands, persistent buttons and threads.

Lifecycle: a `discord.Client` is started with `await client.start(token)` as a task in the
shared event loop (never `client.run()`, which owns the loop); `start()` returns once
discord.py reports ready (the gateway's READY and the guilds it announced). Slash commands
are synced and persistent buttons registered in `setup_hook`, after login and before the
gateway connects.

Intents — `guilds` and `dm_messages` by default, neither privileged (with
`[discord] message_content = true` also `guild_messages` and the privileged
`message_content`, so liaisons can answer by typing in a case thread; see the end).
Checked against Discord's gateway documentation ("Message Content Intent": apps without it
get empty content *except* "Content in DMs with the app", in messages the app sends or that
mention it) and discord.py's `Intents.message_content` ("...which do not meet the following
criteria: ... sent in direct messages"). So:
- `dm_messages` delivers MESSAGE_CREATE for DMs, and their text arrives without the
  privileged `message_content`: a DM conversation, "/start" typed as text included, needs
  nothing more.
- `guilds` keeps discord.py's cache of guilds, channels and threads (GUILD_CREATE): delivery
  tells a channel id from a user id with it, and case threads are opened in cached channels.
- No `guild_messages`, no `message_content`: in servers people use slash commands and buttons,
  and interactions reach a bot without any intent. Reading plain text typed in a server
  channel would need `guild_messages` and, unless the bot is mentioned, `message_content`.
  So every slash command carries its arguments in one optional `text` option: a liaison
  answers a case thread with `/reply` (text: the answer), or with the card's Reply button,
  which opens a modal (a form: no intent needed either).
- With `message_content = true` (the operator enabled the privileged intent in the
  developer portal), messages in the liaison channel and its threads are read too, and a
  liaison's plain message in a case thread answers the case. Messages anywhere else in a
  server are ignored: residents never talk to the bot in public.

Privacy in servers: an interaction's reply can be ephemeral (seen by its person alone), so
events from interactions say `private_replies`; personal replies (`Outgoing.private`) are
sent ephemeral. `/human` in a server asks for the message in a modal (`Outgoing.form`),
never as text typed in the channel.

Test servers: `api_base_url` replaces discord.py's REST base (`discord.http.Route.BASE`, e.g.
`http://127.0.0.1:8080/api/v10`) and `gateway_url` its gateway; with only `api_base_url` set,
the gateway is asked of that server (`GET /gateway/bot`). Both are process-wide class
attributes in discord.py: setting them changes where requests go, not which code runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.app_commands import TranslationContextLocation, TranslationContextTypes, locale_str
from discord.gateway import DiscordWebSocket

from bot.config import StartupError
from bot.core.context import mark_rtl
from bot.core.events import (
    Attachment,
    Button,
    ChatKind,
    EventKind,
    Form,
    Incoming,
    Outgoing,
    PayloadError,
)
from bot.core.ports import (
    CalendarEntry,
    DeliveryError,
    NotConnected,
    PermanentFailure,
    Recipient,
    Responder,
    RetryAfter,
    TemporaryFailure,
    Unreachable,
)
from bot.delivery.pacing import Pacing
from bot.i18n import N_, Languages, negotiate
from bot.platforms.discord_spec import (
    BUTTONS_PER_ROW,
    CHANNEL_RATE_PERIOD_S,
    MESSAGE_LIMIT,
    NAME,
    ROWS_PER_MESSAGE,
)
from bot.platforms.slash_names import COMMAND_NAME_CONTEXT, LOCALIZED_NAMES
from bot.platforms.stopping import bounded
from bot.platforms.text_clean import clean_incoming
from bot.platforms.text_split import split_text

if TYPE_CHECKING:
    from bot.core.host import PlatformHost
    from bot.platforms.discord_spec import DiscordSection

log = logging.getLogger(__name__)

PLATFORM = NAME
# Where operators set the token, named when Discord refuses it.
TOKEN_SETTING = "LIAISON_DISCORD_TOKEN"
# Discord's limits beyond those the spec declares as capabilities (message length, rows
# and buttons per row): label, thread name and slash command description lengths.
LABEL_LIMIT = 80
THREAD_NAME_LIMIT = 100
DESCRIPTION_LIMIT = 100
# Guild scheduled events: name, location and description limits.
EVENT_NAME_LIMIT = 100
EVENT_LOCATION_LIMIT = 100
EVENT_DESCRIPTION_LIMIT = 1000
# Slash command names: lowercase letters, digits, '-' and '_', 1 to 32 of them.
COMMAND_NAME = re.compile(r"[-_\w]{1,32}")
# Every slash command has one optional string option holding what would follow the command
# name when typed ("/reply 12 We are on it"), so commands that take arguments work too.
ARGS_OPTION = "text"
# Files a person sends are fetched up to this size (larger ones could not be relayed anyway).
MAX_DOWNLOAD_BYTES = 10 * 1024 * 1024
ARGS_DESCRIPTION = N_("What follows the command, as you would type it after its name")
# Every custom_id on our messages is a button payload; matching all of them (even malformed
# or retired ones) lets the dispatcher answer "this button no longer works" after a restart.
ANY_CUSTOM_ID = re.compile(r".+", re.DOTALL)
# Discord drops an interaction not answered within 3 s; a slow handler is deferred before that.
ACK_DEADLINE_S = 2.0
# discord.py's default wait for guilds to stream in after READY before it reports ready.
GUILD_READY_TIMEOUT_S = 2.0
# 429 waits longer than this come back to the outbox as RetryAfter instead of holding a send.
RATE_LIMIT_CEILING_S = 30.0
# A liaison case thread may wait days for its next message.
THREAD_ARCHIVE_MINUTES: Final = 10080
# Relayed and user-written text must never ping @everyone, @here, roles or users.
NO_MENTIONS = discord.AllowedMentions.none()
USER_MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)
# Modal limits: title and label 45 characters, a paragraph input up to 4000.
MODAL_TITLE_LIMIT = 45
MODAL_LABEL_LIMIT = 45
MODAL_TEXT_LIMIT = 4000
FORM_INPUT = "text"
# Staff-only slash commands are hidden from members without this permission (server
# admins can change who sees them in Server Settings > Integrations). Liaisons work in
# case threads, so "Manage Threads" is the permission their role naturally has.
STAFF_PERMISSIONS = discord.Permissions(manage_threads=True)


class TooManyButtons(ValueError):
    """More choices than one Discord message can carry (25 buttons)."""


def gateway_intents(message_content: bool = False) -> discord.Intents:
    """The minimal intents; the module docstring says why each is there and others are not."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    if message_content:
        intents.guild_messages = True
        intents.message_content = True
    return intents


# --- mapping: discord.py objects -> Incoming ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """The neutral address of a Discord conversation."""

    chat_id: str
    chat_kind: ChatKind
    thread_id: str | None = None


def locate(channel: object, channel_id: int | None, guild_id: int | None, user_id: int) -> Where:
    """A thread sits in its parent channel; a DM is the person's private chat, named by them.

    Naming DMs by the user id keeps one convention with outbox recipients (a private
    recipient's chat_id is the user id) and with the other platforms.
    """
    if isinstance(channel, discord.Thread):
        return Where(str(channel.parent_id), ChatKind.GROUP, str(channel.id))
    if guild_id is None and not isinstance(channel, discord.GroupChannel):
        return Where(str(user_id), ChatKind.PRIVATE)
    return Where(str(channel_id or user_id), ChatKind.GROUP)


def _base_event(user: discord.abc.User, where: Where, hint: str | None) -> Incoming:
    return Incoming(
        platform=PLATFORM,
        chat_id=where.chat_id,
        user_id=str(user.id),
        kind=EventKind.TEXT,
        display_name=user.display_name,
        language_hint=hint,
        chat_kind=where.chat_kind,
        thread_id=where.thread_id,
    )


def message_to_incoming(message: discord.Message) -> Incoming | None:
    """A person's message as an event; bots (this one included) and system messages are not."""
    text = message.content.strip()
    if message.author.bot or message.type not in USER_MESSAGE_TYPES:
        return None
    if not text and not message.attachments:
        return None
    guild_id = message.guild.id if message.guild is not None else None
    where = locate(message.channel, message.channel.id, guild_id, message.author.id)
    reply_to = message.reference.message_id if message.reference is not None else None
    event = replace(
        _base_event(message.author, where, None),
        text=text,
        message_id=str(message.id),
        reply_to_message_id=str(reply_to) if reply_to is not None else None,
    )
    if text.startswith("/") and len(text) > 1:
        command, _, args = text[1:].partition(" ")
        return replace(event, kind=EventKind.COMMAND, command=command.lower(), args=args.strip())
    return event


def interaction_to_incoming(interaction: discord.Interaction[Any]) -> Incoming | None:
    """A slash command or a button press as an event; the locale is the language hint."""
    data: Mapping[str, object] = interaction.data or {}
    where = locate(
        interaction.channel, interaction.channel_id, interaction.guild_id, interaction.user.id
    )
    event = replace(
        _base_event(interaction.user, where, interaction.locale.value), private_replies=True
    )
    match interaction.type, data.get("name"), data.get("custom_id"):
        case discord.InteractionType.application_command, str(name), _:
            args = _command_args(data)
            text = f"/{name} {args}" if args else f"/{name}"
            return replace(
                event, kind=EventKind.COMMAND, command=name, text=text, args=args, forms=True
            )
        case discord.InteractionType.component, _, str(custom_id):
            message_id = str(interaction.message.id) if interaction.message else None
            return replace(
                event, kind=EventKind.BUTTON, payload=custom_id, message_id=message_id, forms=True
            )
        case discord.InteractionType.modal_submit, _, str(custom_id):
            # A submitted form is the press of its button, carrying what was written.
            text = _form_value(data.get("components"))
            return replace(event, kind=EventKind.BUTTON, payload=custom_id, text=text.strip())
        case _:
            return None


def _form_value(components: object) -> str:
    """The text typed in a submitted modal (its input may sit in a row or a label)."""
    if isinstance(components, list):
        return "".join(_form_value(component) for component in components)
    if not isinstance(components, Mapping):
        return ""
    if components.get("custom_id") == FORM_INPUT and isinstance(components.get("value"), str):
        return str(components["value"])
    return _form_value(components.get("components")) + _form_value(components.get("component"))


def _command_args(data: Mapping[str, object]) -> str:
    """The slash command's arguments: the value of its text option, as typed."""
    options = data.get("options")
    if not isinstance(options, list):
        return ""
    for option in options:
        if isinstance(option, Mapping) and option.get("name") == ARGS_OPTION:
            return str(option.get("value") or "").strip()
    return ""


# --- rendering: Outgoing -> what discord.py sends ------------------------------------------


def _utf16_length(text: str) -> int:
    """Length as Discord's JavaScript counts it (emoji count twice): never under the real one."""
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_text(text: str, rtl: bool) -> str:
    """Plain text that Discord shows literally: markdown and mentions escaped, RTL marked."""
    escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(text, ignore_links=True))
    return mark_rtl(escaped) if rtl else escaped


def message_contents(message: Outgoing) -> list[str]:
    """The text as contents of at most 2000 characters each, measured after escaping."""

    def rendered_length(piece: str) -> int:
        return _utf16_length(render_text(piece, message.rtl))

    pieces = split_text(message.text, MESSAGE_LIMIT, rendered_length)
    return [render_text(piece, message.rtl) for piece in pieces]


def fit_rows(rows: tuple[tuple[Button, ...], ...]) -> list[tuple[Button, ...]]:
    """The handler's rows when Discord can show them; else reflowed five to a row."""
    if len(rows) <= ROWS_PER_MESSAGE and all(len(row) <= BUTTONS_PER_ROW for row in rows):
        return list(rows)
    buttons = [button for row in rows for button in row]
    if len(buttons) > ROWS_PER_MESSAGE * BUTTONS_PER_ROW:
        raise TooManyButtons(f"{len(buttons)} buttons; Discord shows at most 25")
    return [
        tuple(buttons[i : i + BUTTONS_PER_ROW]) for i in range(0, len(buttons), BUTTONS_PER_ROW)
    ]


class PayloadButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=ANY_CUSTOM_ID
):
    """A button whose custom_id is the neutral payload.

    Registered once per client as a dynamic item, so discord.py routes a click by pattern,
    not by a view kept in memory: a button on a week-old message works after a restart.
    """

    def __init__(self, label: str, payload: str, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label, custom_id=payload, row=row, style=discord.ButtonStyle.secondary
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PayloadButton:
        return cls(str(getattr(item, "label", "") or ""), match.group(0))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await adapter_of(interaction).handle_interaction(interaction)


def build_view(rows: tuple[tuple[Button, ...], ...]) -> discord.ui.View | None:
    """Buttons as a view of payload buttons (no timeout: the payload carries all state)."""
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for index, row in enumerate(fit_rows(rows)):
        for button in row:
            view.add_item(PayloadButton(_clip(button.label, LABEL_LIMIT), button.payload(), index))
    return view


class FormModal(discord.ui.Modal):
    """A form as a modal with one paragraph input; its custom_id is the form's payload.

    It is stopped before it is sent, so discord.py does not keep it in memory: the
    submission is routed by `LiaisonClient.on_interaction` like any other interaction, and a
    form opened before a restart is still answered after it.
    """

    def __init__(self, form: Form) -> None:
        super().__init__(title=_clip(form.title, MODAL_TITLE_LIMIT), custom_id=form.payload())
        text_input: discord.ui.TextInput[FormModal] = discord.ui.TextInput(
            custom_id=FORM_INPUT, style=discord.TextStyle.paragraph, max_length=MODAL_TEXT_LIMIT
        )
        self.add_item(
            discord.ui.Label(text=_clip(form.label, MODAL_LABEL_LIMIT), component=text_input)
        )
        self.stop()


def to_file(attachment: Attachment) -> discord.File:
    return discord.File(io.BytesIO(attachment.data), filename=attachment.filename)


def _extras(message: Outgoing) -> dict[str, Any]:
    """Buttons and file for the last piece of a message (only those present: discord.py's
    interaction methods take 'missing', not None)."""
    extras: dict[str, Any] = {}
    view = build_view(message.buttons)
    if view is not None:
        extras["view"] = view
    if message.attachment is not None:
        extras["file"] = to_file(message.attachment)
    return extras


def _pieces(message: Outgoing) -> list[tuple[str, dict[str, Any]]]:
    """Each content piece with what travels with it; buttons and file ride on the last."""
    contents = message_contents(message)
    last = len(contents) - 1
    return [(content, _extras(message) if i == last else {}) for i, content in enumerate(contents)]


async def send_message(channel: discord.abc.Messageable, message: Outgoing) -> None:
    for content, extras in _pieces(message):
        await channel.send(content, allowed_mentions=NO_MENTIONS, **extras)


# --- delivery errors -----------------------------------------------------------------------

# What a send can fail with that is the platform's answer rather than a bug here.
SEND_FAILURES = (discord.HTTPException, discord.RateLimited, aiohttp.ClientError, TimeoutError)


def delivery_error(error: BaseException, private: bool) -> DeliveryError:
    """The outbox's reading of a failed send; 403 in a DM means the person closed DMs."""
    match error:
        case discord.RateLimited():
            return RetryAfter(error.retry_after)
        case discord.Forbidden() if private:
            return Unreachable(str(error))
        case discord.Forbidden() | discord.NotFound():
            return PermanentFailure(str(error))
        case discord.DiscordServerError():
            return TemporaryFailure(str(error))
        case discord.HTTPException():
            return PermanentFailure(str(error))
        case _:
            return TemporaryFailure(type(error).__name__)


def _snowflake(value: str) -> int:
    if not value.isdigit():
        raise PermanentFailure("not a Discord id")
    return int(value)


# --- slash command localization ------------------------------------------------------------


class CatalogTranslator(app_commands.Translator):
    """Slash command names and descriptions from the gettext catalogs the replies use."""

    def __init__(self, languages: Languages) -> None:
        super().__init__()
        self._languages = languages

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: TranslationContextTypes
    ) -> str | None:
        code = negotiate(locale.value, self._languages.codes)
        if code is None:
            return None
        translator = self._languages.translator(code)
        if context.location is TranslationContextLocation.command_name:
            if string.message not in LOCALIZED_NAMES:
                return None
            text = translator.pgettext(COMMAND_NAME_CONTEXT, string.message)
            valid = COMMAND_NAME.fullmatch(text) is not None and text == text.lower()
        elif context.location in (
            TranslationContextLocation.command_description,
            TranslationContextLocation.parameter_description,
        ):
            text = _clip(translator._(string.message), DESCRIPTION_LIMIT)
            valid = bool(text)
        else:
            return None
        return text if valid and text != string.message else None


@app_commands.describe(text=ARGS_DESCRIPTION)
async def _on_slash_command(interaction: discord.Interaction[Any], text: str | None = None) -> None:
    """Every slash command lands here; the dispatcher routes by the command's name (the
    `text` option reaches it through `interaction_to_incoming`, which reads the raw data)."""
    await adapter_of(interaction).handle_interaction(interaction)


# --- answering an interaction --------------------------------------------------------------


class InteractionReply:
    """The responder of one interaction: the first reply is the interaction's response,
    later ones are followups, and an unanswered interaction is still acknowledged in time."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        self._interaction = interaction
        self._lock = asyncio.Lock()
        self._finished = False

    async def __call__(self, message: Outgoing) -> None:
        async with self._lock:
            if message.form is not None:
                # A modal can only be the first answer to a command or a button press.
                if self._interaction.response.is_done():
                    raise PermanentFailure("a form must be the first reply to an interaction")
                await self._interaction.response.send_modal(FormModal(message.form))
                return
            for index, (content, extras) in enumerate(_pieces(message)):
                if index == 0 and message.edit and self._can_edit():
                    await self._edit(content, extras)
                elif not self._interaction.response.is_done():
                    await self._interaction.response.send_message(
                        content, ephemeral=message.ephemeral, allowed_mentions=NO_MENTIONS, **extras
                    )
                else:
                    await self._interaction.followup.send(
                        content, ephemeral=message.ephemeral, allowed_mentions=NO_MENTIONS, **extras
                    )

    def _can_edit(self) -> bool:
        """Only a pressed button's own message is replaced, and before anything else is said."""
        response = self._interaction.response
        return self._interaction.type is discord.InteractionType.component and (
            not response.is_done()
            or response.type is discord.InteractionResponseType.deferred_message_update
        )

    async def _edit(self, content: str, extras: dict[str, Any]) -> None:
        file = extras.get("file")
        changes: dict[str, Any] = {
            "content": content,
            "view": extras.get("view"),
            "attachments": [file] if file is not None else [],
            "allowed_mentions": NO_MENTIONS,
        }
        if not self._interaction.response.is_done():
            await self._interaction.response.edit_message(**changes)
        else:
            await self._interaction.edit_original_response(**changes)

    async def acknowledge_after(self, delay: float) -> None:
        """Defer a handler still working near Discord's deadline; its replies follow up.

        In a server the deferral is ephemeral: the first followup replaces the "thinking…"
        placeholder and keeps its visibility, so a slow /mydata must not defer publicly."""
        await asyncio.sleep(delay)
        async with self._lock:
            if self._finished or self._interaction.response.is_done():
                return
            try:
                await self._interaction.response.defer(
                    ephemeral=self._interaction.guild_id is not None
                )
            except discord.HTTPException as error:
                log.warning("could not defer an interaction: status=%s", error.status)

    async def finish(self) -> None:
        """Acknowledge an interaction the handler left unanswered, or Discord reports failure."""
        async with self._lock:
            self._finished = True
            if self._interaction.response.is_done():
                return
            await self._interaction.response.defer()
            if self._interaction.type is discord.InteractionType.application_command:
                await self._interaction.delete_original_response()  # no empty "thinking…"


# --- the client and the adapter ------------------------------------------------------------


class LiaisonTree(app_commands.CommandTree[Any]):
    """The command tree; a command it does not know (stale registration) still gets an answer."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            await adapter_of(interaction).handle_interaction(interaction)
        else:
            await super().on_error(interaction, error)


class LiaisonClient(discord.Client):
    """A discord.py client that hands everything to its adapter."""

    def __init__(
        self, adapter: DiscordAdapter, guild_ready_timeout: float, message_content: bool
    ) -> None:
        # The bot never joins voice: the warnings about missing voice libraries are noise
        # in the few lines an operator reads at start-up, as is "logging in" at INFO.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        logging.getLogger("discord.client").setLevel(logging.WARNING)
        super().__init__(
            intents=gateway_intents(message_content),
            allowed_mentions=NO_MENTIONS,
            guild_ready_timeout=guild_ready_timeout,
            max_ratelimit_timeout=RATE_LIMIT_CEILING_S,
        )
        self.adapter = adapter
        self.tree = LiaisonTree(self)
        self.ready = asyncio.Event()

    async def setup_hook(self) -> None:
        await self.adapter.prepare(self)

    async def on_ready(self) -> None:
        self.ready.set()

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.handle_message(message)

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Submitted forms (modals) are never kept by discord.py (see `FormModal`)."""
        if interaction.type is discord.InteractionType.modal_submit:
            await self.adapter.handle_interaction(interaction)


def adapter_of(interaction: discord.Interaction[Any]) -> DiscordAdapter:
    client = interaction.client
    if not isinstance(client, LiaisonClient):
        raise TypeError("interaction from a client this adapter did not start")
    return client.adapter


def apply_endpoints(config: DiscordSection) -> None:
    """Point discord.py at a compatible server when configured (see the module docstring)."""
    if config.api_base_url:
        discord.http.Route.BASE = config.api_base_url.rstrip("/")
    if config.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class DiscordAdapter:
    """The Discord connection: turns gateway events into neutral events and sends replies.

    Also the outbox's `Sender` for platform "discord" rows, and it opens case threads.
    """

    platform = PLATFORM

    def __init__(
        self,
        host: PlatformHost,
        config: DiscordSection,
        *,
        guild_ready_timeout: float = GUILD_READY_TIMEOUT_S,
    ) -> None:
        self._host = host
        self._config = config
        self._guild_ready_timeout = guild_ready_timeout
        self._client: LiaisonClient | None = None
        self._runner: asyncio.Task[None] | None = None
        self._standby = False  # started as a follower: another instance holds the gateway

    # -- lifecycle --

    async def start(self) -> None:
        """Log in, sync commands, connect; return once READY, raise if the client gave up."""
        apply_endpoints(self._config)
        client = LiaisonClient(self, self._guild_ready_timeout, self._config.message_content)
        self._client = client
        runner = asyncio.create_task(client.start(self._config.token), name="discord-client")
        self._runner = runner
        ready = asyncio.create_task(client.ready.wait())
        await asyncio.wait({runner, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            await client.close()
            _raise_start_failure(runner)
        runner.add_done_callback(_report_exit)
        self._host.register_sender(self, self._pacing())
        self._host.offer_threads(PLATFORM, self.open_thread)
        self._host.offer_calendar(PLATFORM, ScheduledEvents(client, self._config))

    @property
    def exclusive(self) -> bool:
        """Two gateway sessions would both receive every interaction; and without one
        the client knows no channels to send to, so Discord is the leader's alone."""
        return True

    async def start_sending(self) -> None:
        """Nothing without the gateway: Discord's rows wait in the outbox for the leader."""
        self._standby = True

    async def start_receiving(self) -> None:
        self._standby = False
        await self.start()

    async def stop_receiving(self) -> None:
        """Close the gateway and hand Discord's rows to the next leader."""
        self._standby = True
        self._host.unregister_sender(PLATFORM)
        await self.stop()

    @property
    def connected(self) -> bool:
        """The gateway socket is open on a READY session (false while reconnecting), or
        this instance is on standby while another one leads."""
        if self._standby:
            return True
        client = self._client
        if client is None or client.is_closed() or not client.is_ready():
            return False
        socket = client.ws
        return socket is not None and socket.open

    async def stop(self) -> None:
        """Close the gateway and HTTP session (each step bounded); outbox rows for Discord
        stay pending."""
        self._host.offer_threads(PLATFORM, None)
        self._host.offer_calendar(PLATFORM, None)
        if self._client is not None:
            await bounded(PLATFORM, "gateway and HTTP session", self._client.close())
        if self._runner is not None:
            await bounded(
                PLATFORM, "client task", asyncio.gather(self._runner, return_exceptions=True)
            )

    async def prepare(self, client: LiaisonClient) -> None:
        """After login, before the gateway: find the gateway, register buttons and commands."""
        if self._config.api_base_url and not self._config.gateway_url:
            _, url, _ = await client.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        client.add_dynamic_items(PayloadButton)
        await client.tree.set_translator(CatalogTranslator(self._host.languages))
        await self._sync_commands(client)

    async def _sync_commands(self, client: LiaisonClient) -> None:
        """One slash command per menu entry, to the configured guilds or else globally."""
        guilds = [discord.Object(int(guild_id)) for guild_id in self._config.guild_ids]
        for entry in self._host.menu:
            command: app_commands.Command[Any, ..., None] = app_commands.Command(
                name=locale_str(entry.name),
                description=locale_str(entry.description),
                callback=_on_slash_command,
            )
            if entry.roles:
                command.default_permissions = STAFF_PERMISSIONS
            if guilds:
                client.tree.add_command(command, guilds=guilds)
            else:
                client.tree.add_command(command)
        for guild in guilds:
            await client.tree.sync(guild=guild)
        if not guilds:
            await client.tree.sync()

    def _pacing(self) -> Pacing:
        """Only the leader sends on Discord (see `exclusive`): it keeps the whole rate."""
        per_channel = (self._config.rate_channel_per_5s, CHANNEL_RATE_PERIOD_S)
        return Pacing(self._config.rate_global_per_s, lambda _chat_id: per_channel, shared=False)

    # -- incoming --

    async def handle_message(self, message: discord.Message) -> None:
        """A DM: replies go back to the same channel, as plain channel messages."""
        event = message_to_incoming(message)
        if event is None or not (event.is_private or self._in_liaison_room(event)):
            return
        event = clean_incoming(await self._with_files(event, message))
        if not event.text and not event.attachments:
            return  # only files too large to fetch: nothing to answer
        await self._host.feed(event, self._channel_responder(message.channel, event))

    async def _with_files(self, event: Incoming, message: discord.Message) -> Incoming:
        """Fetch the photos and documents a DM carries (a resident's evidence for a case)."""
        files: list[Attachment] = []
        for item in message.attachments:
            if item.size > MAX_DOWNLOAD_BYTES:
                continue
            try:
                data = await item.read()
            except (discord.HTTPException, discord.NotFound) as error:
                log.warning("could not fetch an incoming file: %s", type(error).__name__)
                continue
            mime = (item.content_type or "application/octet-stream").split(";")[0]
            files.append(Attachment(item.filename, data, mime, mime.startswith("image/")))
        return replace(event, attachments=tuple(files)) if files else event

    async def handle_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A slash command or button press, answered through the interaction within 3 s."""
        event = interaction_to_incoming(interaction)
        if event is None:
            return
        event = clean_incoming(event)
        reply = InteractionReply(interaction)
        watchdog = asyncio.create_task(reply.acknowledge_after(ACK_DEADLINE_S))
        try:
            await self._host.feed(event, reply)
            await reply.finish()
        except discord.HTTPException as error:
            log.warning(
                "could not answer an interaction: person=%s status=%s",
                self._log_id(event.user_id),
                error.status,
            )
        finally:
            watchdog.cancel()

    def _in_liaison_room(self, event: Incoming) -> bool:
        """Server messages are read only where liaisons work (the channel and its threads)."""
        return bool(self._config.liaison_channel_id) and (
            event.chat_id == self._config.liaison_channel_id
        )

    def _channel_responder(self, channel: discord.abc.Messageable, event: Incoming) -> Responder:
        """Replies in the channel the message came from, through the delivery component:
        paced with the outbox, retried, and handed to the outbox when Discord fails."""
        recipient = Recipient(PLATFORM, event.chat_id, event.thread_id)

        async def send(message: Outgoing) -> None:
            try:
                await send_message(channel, message)
            except SEND_FAILURES as error:
                raise delivery_error(error, private=event.is_private) from error
            except (TooManyButtons, PayloadError) as error:  # retrying cannot make it fit
                raise PermanentFailure(str(error)) from error

        async def respond(message: Outgoing) -> None:
            await self._host.reply(recipient, [message], send)

        return respond

    def _log_id(self, user_id: str) -> str:
        return self._host.log_id(PLATFORM, user_id)

    # -- outgoing --

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        """Send one outbox message, or raise the `DeliveryError` that says why not.

        `thread_id` set: post in that thread. Otherwise `chat_id` is a channel the bot can
        see (in its guild cache), or else a user id, whose DM channel is opened.
        """
        client = self._running_client()
        known = _known_channel(client, recipient)
        try:
            channel = known if known is not None else await _open_dm(client, recipient.chat_id)
            await send_message(channel, message)
        except SEND_FAILURES as error:
            raise delivery_error(error, private=known is None) from error
        except (TooManyButtons, PayloadError) as error:  # retrying cannot make it fit
            raise PermanentFailure(str(error)) from error

    async def open_thread(self, chat_id: str, title: str) -> str | None:
        """Open a public thread (a liaison case) in a configured channel; its id, or None."""
        if chat_id not in self._thread_channels():
            log.warning("thread not opened: the channel is not configured for threads")
            return None
        client = self._client
        if client is None or client.is_closed():
            return None
        try:
            channel = client.get_channel(int(chat_id)) or await client.fetch_channel(int(chat_id))
            if not isinstance(channel, discord.TextChannel):
                log.warning("thread not opened: the configured channel is not a text channel")
                return None
            thread = await channel.create_thread(
                name=_clip(title, THREAD_NAME_LIMIT),
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        except discord.HTTPException as error:
            log.warning("thread not opened: status=%s", error.status)
            return None
        return str(thread.id)

    def _thread_channels(self) -> set[str]:
        config = self._config
        return {config.liaison_channel_id, *config.announcement_channel_ids} - {""}

    def _running_client(self) -> LiaisonClient:
        if self._client is None or self._client.is_closed():
            raise NotConnected("the Discord client is not running")
        return self._client


def _known_channel(client: LiaisonClient, recipient: Recipient) -> discord.abc.Messageable | None:
    """The thread or visible channel a recipient names; None when its chat_id is a user."""
    if recipient.thread_id:
        return client.get_partial_messageable(_snowflake(recipient.thread_id))
    channel = client.get_channel(_snowflake(recipient.chat_id))
    return channel if isinstance(channel, discord.abc.Messageable) else None


async def _open_dm(client: LiaisonClient, user_id: str) -> discord.DMChannel:
    """The person's DM channel (cached by discord.py after the first time)."""
    return await client.create_dm(discord.Object(_snowflake(user_id)))


def _raise_start_failure(runner: asyncio.Task[None]) -> None:
    """Why the client stopped before READY, as one line for the operator (exit code 2)."""
    try:
        runner.result()
    except discord.LoginFailure:
        raise StartupError(f"Discord rejected the token (401): check {TOKEN_SETTING}") from None
    except discord.PrivilegedIntentsRequired:
        raise StartupError(
            "Discord refused the gateway intents: enable them for the bot in the "
            "Discord developer portal"
        ) from None
    except (OSError, aiohttp.ClientError, discord.DiscordException) as error:
        raise StartupError(
            f"could not connect to Discord ({type(error).__name__}): "
            "check discord.api_base_url, discord.gateway_url and the network"
        ) from None
    raise StartupError("the Discord client stopped before it was ready")


def _report_exit(task: asyncio.Task[None]) -> None:
    """The client task ending on its own (not via stop) means Discord is gone: say so."""
    with contextlib.suppress(asyncio.CancelledError):
        error = task.exception()
        if error is not None:
            log.error("the Discord client stopped: %s", type(error).__name__)


class ScheduledEvents:
    """Meetings as guild scheduled events, in the guilds that hold an announcement channel
    (or the configured guilds). A guild where the bot lacks Manage Events answers 403: the
    event is skipped there, quietly, and the meeting keeps its .ics file."""

    def __init__(self, client: LiaisonClient, config: DiscordSection) -> None:
        self._client = client
        self._config = config

    def _guilds(self) -> list[discord.Guild]:
        ids = {int(g) for g in self._config.guild_ids}
        for entry in self._config.announcement_channel_ids:
            channel = self._client.get_channel(int(entry.rpartition(":")[2]))
            guild = getattr(channel, "guild", None)
            if isinstance(guild, discord.Guild):
                ids.add(guild.id)
        return [g for g in (self._client.get_guild(i) for i in sorted(ids)) if g is not None]

    async def save(self, entry: CalendarEntry, existing: tuple[str, ...]) -> tuple[str, ...]:
        if self._client.is_closed():
            return existing
        refs: list[str] = []
        for guild in self._guilds():
            known = next((r for r in existing if r.startswith(f"{guild.id}:")), None)
            fields: dict[str, Any] = {
                "name": _clip(entry.title, EVENT_NAME_LIMIT),
                "description": _clip(entry.description, EVENT_DESCRIPTION_LIMIT),
                "start_time": entry.start,
                "end_time": entry.end,
                "location": _clip(entry.location, EVENT_LOCATION_LIMIT) or "-",
                "entity_type": discord.EntityType.external,
                "privacy_level": discord.PrivacyLevel.guild_only,
            }
            try:
                if known is None:
                    event = await guild.create_scheduled_event(**fields)
                else:
                    event = await guild.fetch_scheduled_event(int(known.partition(":")[2]))
                    event = await event.edit(**fields)
            except discord.Forbidden:
                log.info("scheduled event skipped: no Manage Events permission in a guild")
                continue
            except discord.HTTPException as error:
                log.warning("scheduled event not saved: status=%s", error.status)
                refs.extend([known] if known else [])
                continue
            refs.append(f"{guild.id}:{event.id}")
        return tuple(refs)

    async def cancel(self, existing: tuple[str, ...]) -> None:
        for ref in existing:
            guild_id, _, event_id = ref.partition(":")
            guild = self._client.get_guild(int(guild_id))
            if guild is None:
                continue
            try:
                event = await guild.fetch_scheduled_event(int(event_id))
                await event.cancel()
            except discord.HTTPException as error:
                log.warning("scheduled event not cancelled: status=%s", error.status)
