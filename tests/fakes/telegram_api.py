"""A local fake of the Telegram Bot API: the real JSON over HTTP on 127.0.0.1, recorded.

The real adapter is pointed at it through `api_base_url`. It answers the methods the bot
uses with the shapes of core.telegram.org/bots/api, holds `getUpdates` as a long poll
(a second poll while one waits ends the waiting one with 409 Conflict, as Telegram does
when two processes poll with one token; `pollers()` names the clients that polled),
enforces the limits that matter (4096-character texts, valid HTML parse mode, editing an
existing message, "message is not modified"), can POST updates to a registered webhook as
Telegram does, and can be told to fail the next calls of a method (429 / 502 / 403).

Optionally (`rate_limits=RateLimits(...)`) it enforces Telegram's flood limits on sends,
answering 429 with `retry_after` beyond them, and it notes when `getUpdates` first handed
out each update; the benchmarks use both, the tests need neither.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

TOKEN = "123456:TEST-fake-bot-token"
BOT_ID = 123456
BOT_USERNAME = "LiaisonTestBot"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Liaison", "username": BOT_USERNAME}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Tags Telegram's HTML parse mode accepts; anything else is "can't parse entities".
HTML_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a"}
    | {"code", "pre", "blockquote", "tg-emoji"}
)
_TAG = re.compile(r"<[^<>]+>")
_MARKUP = re.compile(r"<(/?)([a-zA-Z-]+)(?:\s[^<>]*)?>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
JSON = dict[str, Any]


class ApiError(Exception):
    """An error answer of the Bot API: {"ok": false, "error_code": ..., "description": ...}."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class Failure:
    """A canned failing HTTP answer, as Telegram (or the proxy in front of it) sends it."""

    status: int
    body: str
    content_type: str = "application/json"


def too_many_requests(retry_after: int) -> Failure:
    return _error_failure(
        ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
    )


def bad_gateway() -> Failure:
    return Failure(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")


def blocked_by_user() -> Failure:
    return _error_failure(ApiError(403, "Forbidden: bot was blocked by the user"))


def _error_failure(error: ApiError) -> Failure:
    return Failure(error.status, json.dumps(_error_body(error)))


def _error_body(error: ApiError) -> JSON:
    body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return body


# Methods that post a message into a chat: what Telegram's flood limits count.
SENDING_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})


@dataclass(frozen=True)
class RateLimits:
    """Flood limits to enforce on sends; beyond them the answer is 429 with `retry_after`.

    Telegram documents about 30 messages/s overall, one per second per private chat and
    20 per minute per group, tolerating short bursts; the rates are settings so a benchmark
    can ask for a faster Bot API (a local server) with the same shape. Each limit is a
    bucket: overall a burst of one second's worth, a private chat one message, a group
    `group_per_min`. `grace_s` absorbs loopback jitter, so a client pacing exactly at the
    limit is not refused for a request that arrives a millisecond early.
    """

    global_per_s: float = 300.0
    chat_per_s: float = 1.0
    group_per_min: float = 20.0
    grace_s: float = 0.05


class _Bucket:
    """One limit as a generic cell rate algorithm: when the next send is on schedule."""

    def __init__(self, per_s: float, burst: float, grace_s: float) -> None:
        self.interval = 1.0 / per_s
        self.tolerance = max(burst - 1.0, 0.0) * self.interval + grace_s
        self.due = 0.0  # theoretical arrival time of the next send

    def early_by(self, now: float) -> float:
        """Seconds until a send would be within the limit (0: allowed now)."""
        return max(0.0, max(self.due, now) - now - self.tolerance)

    def take(self, now: float) -> None:
        self.due = max(self.due, now) + self.interval


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded in a multipart request."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass
class ApiCall:
    """One request the bot made; parameters as sent (JSON-encoded unless plain strings)."""

    method: str
    params: dict[str, str]
    files: dict[str, Upload] = field(default_factory=dict)
    at: float = 0.0
    failed: bool = False
    result: Any = None
    # The client's end of the connection ("host:port"): which process made the call.
    client: str = ""
    # Whether that connection is still open (a killed client's long poll is not).
    connected: Callable[[], bool] = lambda: True

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def json(self, name: str) -> Any:
        return json.loads(self.params[name]) if name in self.params else None

    def upload(self, name: str) -> Upload | None:
        """The file sent for parameter `name`, directly or through an attach:// reference."""
        value = self.params.get(name, "")
        if value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return self.files.get(name)


class FakeTelegramAPI:
    """Serve `/bot<token>/<method>` and `/file/bot<token>/<path>` on a free loopback port."""

    def __init__(
        self, token: str = TOKEN, rate_limits: RateLimits | None = None, delay_s: float = 0.0
    ) -> None:
        self.token = token
        self.rate_limits = rate_limits
        # Seconds before every answer: a round trip to the real API, for start-up timing.
        self.delay_s = delay_s
        # Sends refused with 429 by `rate_limits` (they are also in `calls`, failed).
        self.rate_limited = 0
        # update_id -> loop time at which getUpdates first handed the update out.
        self.handed_out: dict[int, float] = {}
        self._global_bucket: _Bucket | None = None
        self._chat_buckets: dict[str, _Bucket] = {}
        if rate_limits is not None:
            limit = rate_limits.global_per_s
            self._global_bucket = _Bucket(limit, limit, rate_limits.grace_s)
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.forums: set[str] = set()
        # The bot's membership per group (getChatMember); a plain member unless set here.
        self.bot_members: dict[str, JSON] = {}
        # Group ids Telegram does not know (or the bot was never added to).
        self.missing_chats: set[str] = set()
        self.port = 0
        # getUpdates answered 409 because a newer one came while it was waiting, as
        # Telegram does when two processes poll with one token.
        self.conflicts = 0
        self._poll_generation = 0
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._thread_ids = itertools.count(70)
        self._messages: dict[tuple[str, int], JSON] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        # Files the bot uploaded, by the file_id handed back; and how often one was re-sent.
        self.sent_files: dict[str, str] = {}
        self.resends = 0
        self._failures: dict[str, deque[Failure | None]] = {}
        self._changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[ApiCall], Any]] = {
            "getme": lambda call: BOT_USER,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
            "getchat": self._get_chat,
            "getchatmember": self._get_chat_member,
            "getwebhookinfo": self._get_webhook_info,
            "createforumtopic": self._create_forum_topic,
            "getfile": self._get_file,
        }

    # -- lifecycle

    async def __aenter__(self) -> FakeTelegramAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Release held long polls first, so shutdown does not wait out their timeout."""
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- what tests do

    async def push_update(self, update: JSON) -> JSON:
        """Queue an update for getUpdates (numbered like Telegram does)."""
        numbered = {"update_id": next(self._update_ids), **update}
        self._updates.append(numbered)
        await self._notify()
        return numbered

    async def post_webhook(self, update: JSON, secret: str | None = "registered") -> int:
        """Deliver an update to the registered webhook as Telegram would; the HTTP status.

        `secret` defaults to the registered secret token; None sends no header at all.
        """
        assert self.webhook is not None, "no webhook registered"
        numbered = {"update_id": next(self._update_ids), **update}
        headers = {}
        token = self.webhook.get("secret_token") if secret == "registered" else secret
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook["url"], json=numbered, headers=headers) as response,
        ):
            return response.status

    def fail_next(self, method: str, failure: Failure, times: int = 1, after: int = 0) -> None:
        """Let `after` calls of `method` through, then fail the next `times` with `failure`."""
        plan = self._failures.setdefault(method.lower(), deque())
        plan.extend([None] * after + [failure] * times)

    def add_file(self, data: bytes, file_path: str) -> str:
        """A file Telegram holds (a photo a person sent); returns its file_id."""
        file_id = f"file-{len(self._files) + 1}"
        self._files[file_id] = (file_path, data)
        return file_id

    def pollers(self) -> list[str]:
        """The clients that called getUpdates, in the order they first did."""
        return list(dict.fromkeys(c.client for c in self.calls if c.method == "getUpdates"))

    def sent(self, method: str) -> list[ApiCall]:
        """Successful calls of `method`, in order."""
        return [c for c in self.calls if c.method.lower() == method.lower() and not c.failed]

    def attempts(self, method: str) -> list[ApiCall]:
        """Every call of `method`, the refused ones included."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 30.0) -> list[ApiCall]:
        """Wait until `method` succeeded `count` times; its successful calls."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.sent(method)) >= count)
        return self.sent(method)

    # -- HTTP

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        params, files = await _read_params(request)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        call = ApiCall(
            request.match_info["method"],
            params,
            files,
            asyncio.get_running_loop().time(),
            client=f"{peer[0]}:{peer[1]}" if peer else "",
            connected=lambda: request.transport is not None and not request.transport.is_closing(),
        )
        self.calls.append(call)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        planned = self._failures.get(call.method.lower())
        failure = planned.popleft() if planned else None
        try:
            if failure is not None:
                call.failed = True
                return web.Response(
                    status=failure.status, text=failure.body, content_type=failure.content_type
                )
            self._enforce_rate_limits(call)
            handler = self._methods.get(call.method.lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(call)
            if asyncio.iscoroutine(result):
                result = await result
            call.result = result
            return web.json_response({"ok": True, "result": result})
        except ApiError as error:
            call.failed = True
            return _error_response(error)
        finally:
            await self._notify()

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        for path, data in self._files.values():
            if path == request.match_info["path"]:
                return web.Response(body=data, content_type="application/octet-stream")
        return web.Response(status=404)

    def _enforce_rate_limits(self, call: ApiCall) -> None:
        """Refuse a send beyond the flood limits with 429 and the whole seconds to wait."""
        limits, overall = self.rate_limits, self._global_bucket
        if limits is None or overall is None or call.method.lower() not in SENDING_METHODS:
            return
        chat_id = call.get("chat_id") or ""
        chat = self._chat_buckets.get(chat_id)
        if chat is None:
            if chat_id.startswith("-"):
                per_s, burst = limits.group_per_min / 60.0, limits.group_per_min
            else:
                per_s, burst = limits.chat_per_s, 1.0
            chat = self._chat_buckets[chat_id] = _Bucket(per_s, burst, limits.grace_s)
        now = call.at
        wait = max(overall.early_by(now), chat.early_by(now))
        if wait > 0:
            self.rate_limited += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        overall.take(now)
        chat.take(now)

    # -- methods

    async def _get_updates(self, call: ApiCall) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(call.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(call.get("timeout") or 0)
        self._poll_generation += 1
        mine = self._poll_generation
        async with self._changed:
            self._changed.notify_all()  # a poll still waiting is superseded by this one
            waiting = self._changed.wait_for(
                lambda: bool(self._updates) or self._closing or self._poll_generation != mine
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiting, timeout)
        if self._poll_generation != mine:
            if not call.connected():
                return []  # its process is gone: nobody to tell
            self.conflicts += 1
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        handed = self._updates[: int(call.get("limit") or 100)]
        now = asyncio.get_running_loop().time()
        for update in handed:
            self.handed_out.setdefault(update["update_id"], now)
        return handed

    def _delete_webhook(self, call: ApiCall) -> bool:
        self.webhook = None
        return True

    def _set_webhook(self, call: ApiCall) -> bool:
        url = call.get("url") or ""
        if not url:
            return self._delete_webhook(call)
        self.webhook = {"url": url, "secret_token": call.get("secret_token")}
        return True

    def _send_message(self, call: ApiCall) -> JSON:
        text = _plain_text(call, "text", TEXT_LIMIT, "message is too long")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        return self._new_message(call, {"text": text})

    def _edit_message_text(self, call: ApiCall) -> JSON:
        key = (self._chat_id(call), int(call.get("message_id") or 0))
        stored = self._messages.get(key)
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = _plain_text(call, "text", TEXT_LIMIT, "message is too long")
        markup = call.json("reply_markup")
        if stored.get("text") == text and stored.get("reply_markup") == markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        edited = {**stored, "text": text, "edit_date": int(time.time())}
        edited.pop("reply_markup", None)
        if markup:
            edited["reply_markup"] = markup
        self._messages[key] = edited
        return edited

    def _answer_callback_query(self, call: ApiCall) -> bool:
        if not call.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired")
        return True

    def _set_my_commands(self, call: ApiCall) -> bool:
        commands = call.json("commands")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command["command"]):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(call)] = commands
        return True

    def _get_my_commands(self, call: ApiCall) -> list[JSON]:
        return self.commands.get(self._commands_key(call), [])

    @staticmethod
    def _commands_key(call: ApiCall) -> tuple[str, str]:
        scope = call.json("scope") or {"type": "default"}
        return scope["type"], call.get("language_code") or ""

    def _send_photo(self, call: ApiCall) -> JSON:
        file_id, _ = self._uploaded_or_known(call, "photo")
        sizes = [{"file_id": file_id, "file_unique_id": file_id + "-u", "width": 1, "height": 1}]
        return self._new_message(call, {"photo": sizes, **self._caption(call)})

    def _send_document(self, call: ApiCall) -> JSON:
        file_id, filename = self._uploaded_or_known(call, "document")
        document = {"file_id": file_id, "file_unique_id": file_id + "-u", "file_name": filename}
        return self._new_message(call, {"document": document, **self._caption(call)})

    def _uploaded_or_known(self, call: ApiCall, name: str) -> tuple[str, str]:
        """A new upload gets a fresh file_id; a file_id this server issued may be sent again
        without uploading (Telegram's way of re-sending the same file)."""
        reference = call.get(name)
        if call.upload(name) is None and reference in self.sent_files:
            self.resends += 1
            return reference, self.sent_files[reference]
        upload = self._require_upload(call, name)
        file_id = f"sent-{len(self.sent_files) + 1}"
        self.sent_files[file_id] = upload.filename
        return file_id, upload.filename

    def _get_chat(self, call: ApiCall) -> JSON:
        if self._chat_id(call) in self.missing_chats:
            raise ApiError(400, "Bad Request: chat not found")
        chat = self._chat_json(self._chat_id(call))
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def make_admin(self, chat_id: str, **rights: bool) -> None:
        """The bot becomes an administrator of a group, with these rights (docs:
        ChatMemberAdministrator; `can_manage_topics` is the forum topics right)."""
        self.bot_members[chat_id] = {"status": "administrator", "user": BOT_USER, **rights}

    def _get_chat_member(self, call: ApiCall) -> JSON:
        chat_id = self._chat_id(call)
        if chat_id in self.missing_chats:
            raise ApiError(400, "Bad Request: chat not found")
        if call.get("user_id") != str(BOT_ID):
            return {"status": "left", "user": {"id": int(call.get("user_id") or 0)}}
        return self.bot_members.get(chat_id, {"status": "member", "user": BOT_USER})

    def _get_webhook_info(self, call: ApiCall) -> JSON:
        url = self.webhook["url"] if self.webhook else ""
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    def _create_forum_topic(self, call: ApiCall) -> JSON:
        if self._chat_id(call) not in self.forums:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        name = call.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY")
        return {"message_thread_id": next(self._thread_ids), "name": name, "icon_color": 7322096}

    def _get_file(self, call: ApiCall) -> JSON:
        file_id = call.get("file_id") or ""
        if file_id not in self._files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_size": len(data),
            "file_path": path,
        }

    # -- helpers

    def _chat_id(self, call: ApiCall) -> str:
        chat_id = call.get("chat_id") or ""
        if not re.fullmatch(r"-?\d+", chat_id):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _chat_json(self, chat_id: str) -> JSON:
        if int(chat_id) > 0:
            return {"id": int(chat_id), "type": "private", "first_name": "Person"}
        return {
            "id": int(chat_id),
            "type": "supergroup",
            "title": "Neighbourhood group",
            "is_forum": chat_id in self.forums,
        }

    def _new_message(self, call: ApiCall, content: JSON) -> JSON:
        chat_id = self._chat_id(call)
        message: JSON = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat_json(chat_id),
            "from": BOT_USER,
            **content,
        }
        thread = call.get("message_thread_id")
        if thread:
            message["message_thread_id"] = int(thread)
            message["is_topic_message"] = True
        markup = call.json("reply_markup")
        if markup:
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return message

    @staticmethod
    def _caption(call: ApiCall) -> JSON:
        caption = _plain_text(call, "caption", CAPTION_LIMIT, "message caption is too long")
        return {"caption": caption} if caption else {}

    @staticmethod
    def _require_upload(call: ApiCall, name: str) -> Upload:
        upload = call.upload(name)
        if upload is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        return upload


async def _read_params(request: web.Request) -> tuple[dict[str, str], dict[str, Upload]]:
    """Parameters from the query string and a JSON, form or multipart body (all accepted)."""
    params: dict[str, str] = dict(request.query)
    files: dict[str, Upload] = {}
    if request.content_type == "application/json":
        body = await request.json()
        params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
    elif request.can_read_body:
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = str(value)
    return params, files


def _plain_text(call: ApiCall, name: str, limit: int, too_long: str) -> str:
    """The text as a client shows it: HTML parse mode checked and unescaped, limit enforced."""
    text = call.get(name) or ""
    if call.get("parse_mode") == "HTML":
        text = _parse_html(text)
    if len(text.encode("utf-16-le")) // 2 > limit:
        raise ApiError(400, f"Bad Request: {too_long}")
    return text


def _parse_html(text: str) -> str:
    """Strip Telegram's HTML; raw '<' or '&' outside markup is refused, as Telegram does."""
    position = 0
    for match in _MARKUP.finditer(text):
        _check_raw(text[position : match.start()], position)
        tag = match.group(2)
        if tag is not None and tag.lower() not in HTML_TAGS:
            raise ApiError(
                400, f"Bad Request: can't parse entities: unsupported start tag at {match.start()}"
            )
        position = match.end()
    _check_raw(text[position:], position)
    return html.unescape(_TAG.sub("", text))


def _check_raw(segment: str, offset: int) -> None:
    for char in "<&":
        if char in segment:
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: unexpected '{char}' at byte offset "
                f"{offset + segment.index(char)}",
            )


def _error_response(error: ApiError) -> web.Response:
    return web.json_response(_error_body(error), status=error.status)


# ---------------------------------------------------------------- update builders


def person(user_id: int, first_name: str = "Ana", language_code: str | None = "en") -> JSON:
    """A Telegram user as updates describe them."""
    user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def private_chat(user: JSON) -> JSON:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def group_chat(chat_id: int = -100200300, forum: bool = False) -> JSON:
    chat: JSON = {"id": chat_id, "type": "supergroup", "title": "Neighbourhood group"}
    if forum:
        chat["is_forum"] = True
    return chat


_incoming_ids = itertools.count(1)


def message(user: JSON, text: str, chat: JSON | None = None, **extra: Any) -> JSON:
    """A message update; a leading /command gets its bot_command entity, as Telegram adds."""
    body: JSON = {
        "message_id": next(_incoming_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(user),
        "from": user,
        "text": text,
        **extra,
    }
    if text.startswith("/"):
        length = len(text.split(maxsplit=1)[0])
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": body}


def button_press(user: JSON, bot_message: JSON, data: str) -> JSON:
    """A callback query: `user` pressed the button with `data` under `bot_message`."""
    return {
        "callback_query": {
            "id": f"cb-{next(_incoming_ids)}",
            "from": user,
            "chat_instance": "fake-chat-instance",
            "message": bot_message,
            "data": data,
        }
    }
