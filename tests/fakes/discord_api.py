"""A local stand-in for Discord: the REST routes and the gateway the adapter uses.

An aiohttp server on 127.0.0.1 with `/api/v10/...` REST routes and a `/gateway` websocket
that speaks the real protocol: HELLO (op 10), IDENTIFY (op 2) answered by READY and one
GUILD_CREATE per guild, HEARTBEAT (op 1) / ACK (op 11), RESUME (op 6) answered by replaying
missed dispatches and RESUMED, and dispatches (op 0) with sequence numbers. discord.py asks
for `compress=zlib-stream` but reads text frames as plain JSON, so the fake answers
uncompressed. JSON shapes follow discord.com/developers/docs; only the fields discord.py
reads are filled.

Everything the bot sent is recorded: REST calls in `calls`, gateway payloads in `received`,
and every gateway connection in `connections` (when it opened, identified or resumed, and
closed, and which dispatches went through it).

Several sessions at once: Discord lets one bot token hold several gateway sessions (its
limits are on how many sessions start a day and how many IDENTIFYs per 5 s,
`session_start_limit` in `GET /gateway/bot`, not on how many are open), and without
sharding every session receives every event. The fake does the same: each identified
session gets each dispatch, with its own sequence numbers. So two bot processes both
connected would both handle every DM and interaction; nothing refuses the second one,
which is why the bot must not open it (`max_identified_at_once` tells a test whether it did).
A session ends when its client closes the socket (Discord invalidates a session closed
with 1000/1001); one the fake drops (`drop_connection`) stays resumable.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
HEARTBEAT_INTERVAL_MS = 41250
EPHEMERAL_FLAG = 1 << 6
# Interaction callback types (docs: "Interaction Response Type").
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
UPDATE_MESSAGE = 7
MODAL = 9
# Interaction types (docs: "Interaction Type").
APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 2, 3, 5
TIMESTAMP = "2026-11-21T15:00:00.000000+00:00"


@dataclass
class Call:
    """One REST request the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)

    @property
    def content(self) -> str:
        """The message text of a send, a followup or an interaction response."""
        data = self.body.get("data", self.body) if isinstance(self.body, dict) else {}
        return str(data.get("content") or "")

    def custom_ids(self) -> list[str]:
        data = self.body.get("data", self.body) if isinstance(self.body, dict) else {}
        return [
            button["custom_id"]
            for row in data.get("components") or []
            for button in row.get("components", [])
        ]


@dataclass
class GatewayConnection:
    """One websocket to the gateway, as Discord would see it: open from `opened_at`,
    identified (READY or RESUMED sent) from `identified_at`, until `closed_at`
    (monotonic seconds). `dispatched` names every dispatch sent through it, in order."""

    number: int
    opened_at: float
    identified_at: float | None = None
    closed_at: float | None = None
    session_id: str = ""
    dispatched: list[str] = field(default_factory=list)

    @property
    def identified(self) -> bool:
        """Receiving events now: identified and not closed."""
        return self.identified_at is not None and self.closed_at is None

    def count(self, event: str) -> int:
        """How many `event` dispatches (e.g. "INTERACTION_CREATE") this connection got."""
        return self.dispatched.count(event)


@dataclass
class GatewaySession:
    """A gateway session: its sequence and history (for resumes), and the connection
    that receives it now (None while dropped and waiting for a resume)."""

    session_id: str
    connection: GatewayConnection | None
    socket: web.WebSocketResponse | None
    sequence: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Refusal:
    """An error the fake returns for matching requests: every one, or the next `times`."""

    method: str
    path: re.Pattern[str]
    status: int
    code: int
    message: str
    times: int | None = None


def json_reply(data: Any, status: int = 200) -> web.Response:
    """JSON as Discord sends it: discord.py parses bodies typed exactly `application/json`."""
    return web.Response(
        body=json.dumps(data).encode("utf-8"), status=status, content_type="application/json"
    )


def user_payload(user_id: str, name: str, bot: bool = False) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


class FakeDiscord:
    """Discord as far as the adapter can tell, with handles for tests to act as people."""

    APP_ID = "1100000000000000001"
    BOT_ID = "1100000000000000002"
    GUILD_ID = "1100000000000000003"
    LIAISON_CHANNEL_ID = "1100000000000000004"
    ANNOUNCE_CHANNEL_ID = "1100000000000000005"

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.received: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.channels: dict[str, dict[str, Any]] = {
            self.LIAISON_CHANNEL_ID: self._text_channel(self.LIAISON_CHANNEL_ID, "liaisons"),
            self.ANNOUNCE_CHANNEL_ID: self._text_channel(self.ANNOUNCE_CHANNEL_ID, "meetings"),
        }
        self._dm_channels: dict[str, str] = {}
        # Application flags (the Message Content intent switches: 1 << 18, 1 << 19).
        self.application_flags = 0
        # The guild's roles, and which of them the bot has (permissions as Discord sends
        # them: a decimal string). @everyone (id = guild id) may view and post by default.
        self.roles: list[dict[str, Any]] = [
            {"id": self.GUILD_ID, "name": "@everyone", "permissions": str((1 << 10) | (1 << 11))}
        ]
        self.bot_roles: list[str] = []
        self._interactions: dict[str, dict[str, Any]] = {}
        # Modals the bot opened, by the id of the interaction they answered.
        self.modals: dict[str, dict[str, Any]] = {}
        self._refusals: list[Refusal] = []
        self._ids = itertools.count(1200000000000000000)
        # Every gateway connection ever opened, and the live sessions by session id.
        self.connections: list[GatewayConnection] = []
        self._sessions: dict[str, GatewaySession] = {}
        # Dispatches go out one at a time, so a resume's replay keeps sequence order.
        self._send_lock = asyncio.Lock()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Guild scheduled events the bot created, by id, as Discord stores them.
        self.scheduled_events: dict[str, dict[str, Any]] = {}
        # Files people attach to their messages, served at /attachments/<name> like the CDN.
        self.uploads: dict[str, tuple[bytes, str]] = {}

    # -- server lifecycle --

    async def start(self) -> None:
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{name}", self._attachment)
        app.router.add_route("*", API + "/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            if session.socket is not None:
                await session.socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- what tests inspect --

    def posts_to(self, channel_id: str) -> list[Call]:
        path = f"/channels/{channel_id}/messages"
        return [c for c in self.calls if c.method == "POST" and c.path == path]

    def interaction_calls(self, interaction_id: str) -> list[Call]:
        """The callback and the followups/edits made with one interaction's token."""
        token = self._interactions[interaction_id]["token"]
        return [
            c
            for c in self.calls
            if c.path.startswith(f"/interactions/{interaction_id}/")
            or c.path.startswith(f"/webhooks/{self.APP_ID}/{token}")
        ]

    def is_ephemeral(self, call: Call) -> bool:
        """Whether a send was shown to its person alone (flags has EPHEMERAL)."""
        data = call.body.get("data", call.body) if isinstance(call.body, dict) else {}
        return bool(int(data.get("flags") or 0) & EPHEMERAL_FLAG)

    def public_server_messages(self) -> list[dict[str, Any]]:
        """Every message anyone in the server could read: not in a DM, not ephemeral."""
        return [
            message
            for message in self.messages.values()
            if self.channels.get(message["channel_id"], {}).get("type") != 1
            and not int(message.get("flags") or 0) & EPHEMERAL_FLAG
        ]

    def last_message(self, channel_id: str) -> dict[str, Any]:
        """The latest message stored in a channel (what a person would click on)."""
        return [m for m in self.messages.values() if m["channel_id"] == channel_id][-1]

    def gateway_ops(self, op: int) -> list[dict[str, Any]]:
        return [payload for payload in self.received if payload.get("op") == op]

    def identified_connections(self) -> list[GatewayConnection]:
        """The connections receiving events now."""
        return [connection for connection in self.connections if connection.identified]

    def max_identified_at_once(self) -> int:
        """The most connections that were identified at the same moment, ever: 1 when
        the bot never held two sessions at once. A close and an identify at the same
        instant count as one after the other."""
        changes: list[tuple[float, int]] = []
        for connection in self.connections:
            if connection.identified_at is None:
                continue
            changes.append((connection.identified_at, 1))
            if connection.closed_at is not None:
                changes.append((connection.closed_at, -1))
        most = current = 0
        for _, change in sorted(changes):  # at one instant, -1 sorts before +1
            current += change
            most = max(most, current)
        return most

    async def wait_for(self, check: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Wait until `check()` returns something truthy (re-checked on every change)."""

        async def settled() -> Any:
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(settled(), timeout)

    # -- what tests control --

    def refuse(
        self,
        method: str,
        path: str,
        status: int,
        code: int = 0,
        message: str = "refused",
        times: int | None = None,
    ) -> None:
        """Answer requests whose path (after /api/v10) fully matches `path` with an error:
        all of them, or only the next `times` (an outage that ends)."""
        self._refusals.append(Refusal(method, re.compile(path), status, code, message, times))

    def dm_channel_id(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            channel_id = self._snowflake()
            self._dm_channels[user_id] = channel_id
            self.channels[channel_id] = {
                "id": channel_id,
                "type": 1,
                "last_message_id": None,
                "recipients": [user_payload(user_id, f"user{user_id[-4:]}")],
            }
        return self._dm_channels[user_id]

    async def drop_connection(self) -> None:
        """Close the live session's socket as Discord does before asking for a resume;
        the session stays, collecting what it misses."""
        live = [session for session in self._sessions.values() if session.socket is not None]
        assert len(live) == 1, f"{len(live)} gateway sessions live; expected one to drop"
        session = live[0]
        socket, session.socket, session.connection = session.socket, None, None
        assert socket is not None
        await socket.close(code=4000, message=b"fake: reconnect and resume")

    # -- people acting on Discord --

    async def send_dm(
        self,
        user_id: str,
        content: str,
        name: str = "resident",
        files: list[tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """A person writes to the bot in a DM (MESSAGE_CREATE), maybe with files attached."""
        message = self.message_payload(
            self.dm_channel_id(user_id), user_payload(user_id, name), content
        )
        for filename, data, content_type in files or []:
            self.uploads[filename] = (data, content_type)
            url = f"http://127.0.0.1:{self.port}/attachments/{filename}"
            message["attachments"].append(
                {
                    "id": self._snowflake(),
                    "filename": filename,
                    "size": len(data),
                    "content_type": content_type,
                    "url": url,
                    "proxy_url": url,
                }
            )
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def _attachment(self, request: web.Request) -> web.Response:
        data, content_type = self.uploads[request.match_info["name"]]
        return web.Response(body=data, content_type=content_type)

    async def slash(
        self,
        user_id: str,
        name: str,
        locale: str = "en-US",
        channel_id: str | None = None,
        options: dict[str, str] | None = None,
    ) -> str:
        """A person runs a slash command, in a guild channel by default; the interaction id.

        `options` are the string options the person filled in, by option name.
        """
        data: dict[str, Any] = {"id": self._snowflake(), "name": name, "type": 1}
        if options:
            data["options"] = [
                {"name": key, "type": 3, "value": value} for key, value in options.items()
            ]
        registered = [c for c in self.commands.get(self.GUILD_ID, []) if c["name"] == name]
        if registered:  # a guild command's interaction names its guild
            data.update(id=registered[0]["id"], guild_id=self.GUILD_ID)
        return await self._interact(
            APPLICATION_COMMAND, data, user_id, locale, channel_id or self.ANNOUNCE_CHANNEL_ID
        )

    async def click(
        self, user_id: str, message_id: str, custom_id: str, locale: str = "en-US"
    ) -> str:
        """A person presses a button on a message the bot sent; the interaction id."""
        message = self.messages[message_id]
        data = {"custom_id": custom_id, "component_type": 2}
        channel_id = message["channel_id"]
        return await self._interact(MESSAGE_COMPONENT, data, user_id, locale, channel_id, message)

    async def submit_modal(
        self, user_id: str, opened_by: str, values: dict[str, str], locale: str = "en-US"
    ) -> str:
        """A person fills in and submits the modal the bot answered `opened_by` with.

        The submission echoes the modal's custom_id and each text input's custom_id with
        the value typed, inside the label or action row that held it (docs: "Modal Submit").
        """
        modal = self.modals[opened_by]

        def filled(component: dict[str, Any]) -> dict[str, Any]:
            if component.get("type") == 4:
                custom_id = component["custom_id"]
                return {"type": 4, "custom_id": custom_id, "value": values[custom_id]}
            copy: dict[str, Any] = {"type": component["type"]}
            if "component" in component:
                copy["component"] = filled(component["component"])
            if "components" in component:
                copy["components"] = [filled(child) for child in component["components"]]
            return copy

        data = {
            "custom_id": modal["custom_id"],
            "components": [filled(component) for component in modal["components"]],
        }
        channel_id = self._interactions[opened_by]["channel_id"]
        return await self._interact(MODAL_SUBMIT, data, user_id, locale, channel_id)

    async def post_in_channel(
        self, user_id: str, channel_id: str, content: str, name: str = "member"
    ) -> dict[str, Any]:
        """A person writes in a server channel or thread (MESSAGE_CREATE with guild_id)."""
        message = self.message_payload(channel_id, user_payload(user_id, name), content)
        message["member"] = self._member(user_payload(user_id, name))
        self.messages[message["id"]] = message
        await self.dispatch("MESSAGE_CREATE", message)
        return message

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a dispatch (op 0) to every session, each with its own sequence number;
        kept in each session's history for replay on resume."""
        async with self._send_lock:
            for session in list(self._sessions.values()):
                await self._dispatch_locked(session, event, data)

    async def _dispatch_locked(
        self, session: GatewaySession, event: str, data: dict[str, Any]
    ) -> None:
        session.sequence += 1
        payload = {"op": 0, "t": event, "s": session.sequence, "d": data}
        session.history.append(payload)
        await self._send_dispatch(session, payload)

    async def _send_dispatch(self, session: GatewaySession, payload: dict[str, Any]) -> None:
        socket, connection = session.socket, session.connection
        if socket is None or socket.closed or connection is None:
            return
        await socket.send_json(payload)
        await self._record(lambda: connection.dispatched.append(payload["t"]))

    # -- gateway --

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.gateway_queries.append(dict(request.query))
        connection = GatewayConnection(len(self.connections) + 1, time.monotonic())
        await self._record(lambda: self.connections.append(connection))
        try:
            await socket.send_json({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            async for frame in socket:
                if frame.type is WSMsgType.TEXT:
                    await self._on_gateway_payload(socket, connection, json.loads(frame.data))
        finally:
            await self._closed(socket, connection)
        return socket

    async def _closed(self, socket: web.WebSocketResponse, connection: GatewayConnection) -> None:
        """The socket is gone. A session whose client closed it ends; one the fake
        dropped was detached already and waits for its resume."""
        async with self._send_lock:
            session = self._sessions.get(connection.session_id)
            if session is not None and session.socket is socket:
                del self._sessions[connection.session_id]

            def close() -> None:
                connection.closed_at = time.monotonic()

            await self._record(close)

    async def _on_gateway_payload(
        self,
        socket: web.WebSocketResponse,
        connection: GatewayConnection,
        payload: dict[str, Any],
    ) -> None:
        await self._record(lambda: self.received.append(payload))
        op = payload.get("op")
        if op == 1:
            await socket.send_json({"op": 11})
        elif op == 2:
            await self._identify(socket, connection)
        elif op == 6:
            await self._resume(socket, connection, payload["d"])

    async def _identify(self, socket: web.WebSocketResponse, connection: GatewayConnection) -> None:
        """A new session: READY, then the guild (it was listed as unavailable in READY).
        Sessions already open keep theirs: Discord does not close them."""
        async with self._send_lock:
            session = GatewaySession(f"session-{self._snowflake()}", connection, socket)
            self._sessions[session.session_id] = session
            connection.session_id = session.session_id
            await self._identified(connection)
            ready = {
                "v": 10,
                "user": user_payload(self.BOT_ID, "liaison-bot", bot=True),
                "guilds": [{"id": self.GUILD_ID, "unavailable": True}],
                "session_id": session.session_id,
                "resume_gateway_url": self.gateway_url,
                "application": {"id": self.APP_ID, "flags": 0},
            }
            await self._dispatch_locked(session, "READY", ready)
            await self._dispatch_locked(session, "GUILD_CREATE", self._guild())

    async def _resume(
        self, socket: web.WebSocketResponse, connection: GatewayConnection, data: dict[str, Any]
    ) -> None:
        """Replay what the session missed, in order, then RESUMED; an unknown session is
        invalidated (op 9) so the client identifies afresh."""
        session = self._sessions.get(str(data.get("session_id")))
        if session is None or session.socket is not None:
            await socket.send_json({"op": 9, "d": False})
            return
        async with self._send_lock:
            session.socket, session.connection = socket, connection
            connection.session_id = session.session_id
            await self._identified(connection)
            for payload in session.history:
                if payload["s"] > (data.get("seq") or 0):
                    await self._send_dispatch(session, payload)
            await self._dispatch_locked(session, "RESUMED", {})

    async def _identified(self, connection: GatewayConnection) -> None:
        def mark() -> None:
            connection.identified_at = time.monotonic()

        await self._record(mark)

    # -- REST --

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        call = await self._read_call(request, path)
        await self._record(lambda: self.calls.append(call))
        refusal = self._refusal(call)
        if refusal is not None:
            body = {"message": refusal.message, "code": refusal.code}
            return json_reply(body, status=refusal.status)
        for method, pattern, handler in self._routes():
            match = re.fullmatch(pattern, path)
            if method == call.method and match:
                return await handler(call, *match.groups())
        return json_reply({"message": "404: Not Found", "code": 0}, status=404)

    def _routes(self) -> list[tuple[str, str, Callable[..., Awaitable[web.StreamResponse]]]]:
        app = self.APP_ID
        return [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway/bot", self._get_gateway),
            ("PUT", rf"/applications/{app}/commands", self._put_commands),
            ("PUT", rf"/applications/{app}/guilds/(\d+)/commands", self._put_commands),
            ("GET", rf"/applications/{app}/commands", self._get_commands),
            ("GET", rf"/applications/{app}/guilds/(\d+)/commands", self._get_commands),
            ("POST", "/users/@me/channels", self._create_dm),
            ("GET", "/users/@me/guilds", self._get_my_guilds),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/roles", self._get_roles),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._edit_message),
            ("POST", r"/channels/(\d+)/threads", self._create_thread),
            ("POST", r"/guilds/(\d+)/scheduled-events", self._create_event),
            ("GET", r"/guilds/(\d+)/scheduled-events/(\d+)", self._get_event),
            ("PATCH", r"/guilds/(\d+)/scheduled-events/(\d+)", self._edit_event),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("POST", rf"/webhooks/{app}/([^/]+)", self._followup),
            ("PATCH", rf"/webhooks/{app}/([^/]+)/messages/@original", self._edit_original),
            ("DELETE", rf"/webhooks/{app}/([^/]+)/messages/@original", self._delete_original),
        ]

    async def _get_me(self, call: Call) -> web.Response:
        return json_reply(user_payload(self.BOT_ID, "liaison-bot", bot=True))

    async def _get_application(self, call: Call) -> web.Response:
        return json_reply(
            {
                "id": self.APP_ID,
                "name": "Liaison",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user_payload("1100000000000000099", "owner"),
                "verify_key": "0" * 64,
                "flags": self.application_flags,
            }
        )

    async def _get_gateway(self, call: Call) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_reply({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _put_commands(self, call: Call, guild_id: str | None = None) -> web.Response:
        scope = guild_id or "global"
        stored = [
            {
                **command,
                "id": self._snowflake(),
                "application_id": self.APP_ID,
                "version": "1",
                **({"guild_id": guild_id} if guild_id else {}),
            }
            for command in call.body
        ]
        self.commands[scope] = stored
        return json_reply(stored)

    async def _get_commands(self, call: Call, guild_id: str | None = None) -> web.Response:
        return json_reply(self.commands.get(guild_id or "global", []))

    def give_bot_role(self, name: str, permissions: int) -> None:
        """A role with these permissions, given to the bot."""
        role_id = self._snowflake()
        self.roles.append({"id": role_id, "name": name, "permissions": str(permissions)})
        self.bot_roles.append(role_id)

    async def _get_my_guilds(self, call: Call) -> web.Response:
        return json_reply([{"id": self.GUILD_ID, "name": "City liaison", "owner": False}])

    async def _get_guild(self, call: Call, guild_id: str) -> web.Response:
        guild = {k: v for k, v in self._guild().items() if k not in ("channels", "threads")}
        return json_reply(guild)

    async def _get_roles(self, call: Call, guild_id: str) -> web.Response:
        return json_reply(self.roles)

    async def _get_guild_channels(self, call: Call, guild_id: str) -> web.Response:
        return json_reply([c for c in self.channels.values() if c.get("type") == 0])

    async def _get_member(self, call: Call, guild_id: str, user_id: str) -> web.Response:
        member = self._member(user_payload(user_id, "liaison-bot", bot=True))
        return json_reply({**member, "roles": self.bot_roles if user_id == self.BOT_ID else []})

    async def _create_dm(self, call: Call) -> web.Response:
        return json_reply(self.channels[self.dm_channel_id(str(call.body["recipient_id"]))])

    async def _get_channel(self, call: Call, channel_id: str) -> web.Response:
        if channel_id not in self.channels:
            return json_reply({"message": "Unknown Channel", "code": 10003}, status=404)
        return json_reply(self.channels[channel_id])

    async def _post_message(self, call: Call, channel_id: str) -> web.Response:
        if channel_id not in self.channels:
            return json_reply({"message": "Unknown Channel", "code": 10003}, status=404)
        bot = user_payload(self.BOT_ID, "liaison-bot", bot=True)
        return json_reply(self._store(channel_id, bot, call.body, call.files))

    async def _edit_message(self, call: Call, channel_id: str, message_id: str) -> web.Response:
        message = self.messages[message_id]
        message.update({k: v for k, v in call.body.items() if k in ("content", "components")})
        return json_reply(message)

    async def _create_thread(self, call: Call, channel_id: str) -> web.Response:
        thread_id = self._snowflake()
        archive = call.body.get("auto_archive_duration", 4320)
        thread = self._thread(thread_id, channel_id, call.body["name"], archive)
        self.channels[thread_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return json_reply(thread, status=201)

    async def _create_event(self, call: Call, guild_id: str) -> web.Response:
        event_id = self._snowflake()
        event = {
            "id": event_id,
            "guild_id": guild_id,
            "channel_id": None,
            "creator_id": self.BOT_ID,
            "entity_id": None,
            "user_count": 0,
            "image": None,
            "status": 1,  # scheduled
            **{k: v for k, v in call.body.items() if k != "channel_id"},
        }
        self.scheduled_events[event_id] = event
        return json_reply(event)

    async def _get_event(self, call: Call, guild_id: str, event_id: str) -> web.Response:
        event = self.scheduled_events.get(event_id)
        if event is None or event["guild_id"] != guild_id:
            return json_reply({"message": "Unknown Guild Scheduled Event", "code": 10070}, 404)
        return json_reply(event)

    async def _edit_event(self, call: Call, guild_id: str, event_id: str) -> web.Response:
        event = self.scheduled_events.get(event_id)
        if event is None or event["guild_id"] != guild_id:
            return json_reply({"message": "Unknown Guild Scheduled Event", "code": 10070}, 404)
        event.update({k: v for k, v in call.body.items() if k != "channel_id"})
        return json_reply(event)

    async def _interaction_callback(
        self, call: Call, interaction_id: str, token: str
    ) -> web.Response:
        interaction = self._interactions[interaction_id]
        kind = call.body["type"]
        data = call.body.get("data") or {}
        message: dict[str, Any] | None = None
        if kind == CHANNEL_MESSAGE:
            message = self._store(
                interaction["channel_id"], self._webhook_author(), data, call.files
            )
        elif kind == UPDATE_MESSAGE:
            message = self.messages[interaction["message"]["id"]]
            message.update({k: v for k, v in data.items() if k in ("content", "components")})
        elif kind == MODAL:
            if interaction["type"] == MODAL_SUBMIT:
                body = {"message": "Invalid interaction application command", "code": 50035}
                return json_reply(body, status=400)
            self.modals[interaction_id] = data
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            resource["message"] = message
        response = {
            "interaction": {
                "id": interaction_id,
                "type": interaction["type"],
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                "response_message_ephemeral": bool(data.get("flags", 0) & EPHEMERAL_FLAG),
            },
            "resource": resource,
        }
        return json_reply(response)

    async def _followup(self, call: Call, token: str) -> web.Response:
        interaction = self._by_token(token)
        message = self._store(
            interaction["channel_id"], self._webhook_author(), call.body, call.files
        )
        return json_reply(message)

    async def _edit_original(self, call: Call, token: str) -> web.Response:
        interaction = self._by_token(token)
        source = interaction.get("message") or {"id": self._snowflake()}
        message = self.messages.setdefault(
            source["id"],
            self.message_payload(interaction["channel_id"], self._webhook_author(), ""),
        )
        message.update({k: v for k, v in call.body.items() if k in ("content", "components")})
        return json_reply(message)

    async def _delete_original(self, call: Call, token: str) -> web.Response:
        return web.Response(status=204)

    # -- helpers --

    async def _interact(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: str,
        locale: str,
        channel_id: str,
        message: dict[str, Any] | None = None,
    ) -> str:
        interaction = self.interaction_payload(kind, data, user_id, locale, channel_id, message)
        self._interactions[interaction["id"]] = interaction
        await self.dispatch("INTERACTION_CREATE", interaction)
        return str(interaction["id"])

    def interaction_payload(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: str,
        locale: str,
        channel_id: str,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE body: `user` in a DM, `member` and `guild_id` in a guild."""
        interaction_id = self._snowflake()
        channel = self.channels[channel_id]
        user = user_payload(user_id, f"user{user_id[-4:]}")
        interaction: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.APP_ID,
            "type": kind,
            "data": data,
            "channel": {k: v for k, v in channel.items() if k != "recipients"},
            "channel_id": channel_id,
            "token": f"token-{interaction_id}",
            "version": 1,
            "locale": locale,
            "app_permissions": "0",
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": self.GUILD_ID},
        }
        if channel["type"] == 1:
            interaction.update(user=user, context=1)
        else:
            interaction.update(
                guild_id=self.GUILD_ID, guild_locale="en-US", context=0, member=self._member(user)
            )
        if message is not None:
            interaction["message"] = message
        return interaction

    def add_thread(self, parent_id: str, name: str) -> str:
        """A thread that already exists in a guild channel (for events that happen in it)."""
        thread_id = self._snowflake()
        self.channels[thread_id] = self._thread(thread_id, parent_id, name, 4320)
        return thread_id

    def _store(
        self,
        channel_id: str,
        author: dict[str, Any],
        data: dict[str, Any],
        files: list[tuple[str, bytes]],
    ) -> dict[str, Any]:
        message = self.message_payload(channel_id, author, data.get("content") or "")
        message["components"] = data.get("components") or []
        message["flags"] = data.get("flags", 0)
        message["attachments"] = [
            {
                "id": self._snowflake(),
                "filename": name,
                "size": len(content),
                "url": f"http://127.0.0.1:{self.port}/files/{name}",
                "proxy_url": f"http://127.0.0.1:{self.port}/files/{name}",
            }
            for name, content in files
        ]
        self.messages[message["id"]] = message
        return message

    def message_payload(
        self, channel_id: str, author: dict[str, Any], content: str
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self._snowflake(),
            "channel_id": channel_id,
            "author": author,
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }
        if self.channels.get(channel_id, {}).get("type") != 1:
            message["guild_id"] = self.GUILD_ID
        return message

    def _webhook_author(self) -> dict[str, Any]:
        return user_payload(self.BOT_ID, "liaison-bot", bot=True)

    def _by_token(self, token: str) -> dict[str, Any]:
        return next(i for i in self._interactions.values() if i["token"] == token)

    def _member(self, user: dict[str, Any]) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [],
            "joined_at": TIMESTAMP,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "0",
        }

    def _guild(self) -> dict[str, Any]:
        return {
            "id": self.GUILD_ID,
            "name": "City liaison",
            "owner_id": "1100000000000000099",
            "member_count": 2,
            "roles": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "channels": [
                {k: v for k, v in channel.items() if k != "guild_id"}
                for channel in self.channels.values()
                if channel.get("type") == 0
            ],
            "threads": [
                {k: v for k, v in channel.items() if k != "guild_id"}
                for channel in self.channels.values()
                if channel.get("type") == 11
            ],
            "members": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "unavailable": False,
        }

    def _thread(self, thread_id: str, parent_id: str, name: str, archive: int) -> dict[str, Any]:
        return {
            "id": thread_id,
            "type": 11,
            "guild_id": self.GUILD_ID,
            "parent_id": parent_id,
            "owner_id": self.BOT_ID,
            "name": name,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "message_count": 0,
            "member_count": 1,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": archive,
                "archive_timestamp": TIMESTAMP,
                "locked": False,
            },
        }

    def _text_channel(self, channel_id: str, name: str) -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.GUILD_ID,
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }

    def _refusal(self, call: Call) -> Refusal | None:
        for refusal in self._refusals:
            if refusal.method == call.method and refusal.path.fullmatch(call.path):
                if refusal.times is not None:
                    refusal.times -= 1
                    if refusal.times <= 0:
                        self._refusals.remove(refusal)
                return refusal
        return None

    async def _read_call(self, request: web.Request, path: str) -> Call:
        query = dict(request.query)
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            files = [
                (part.filename, part.file.read())
                for name, part in form.items()
                if isinstance(part, web.FileField)
            ]
            return Call(request.method, path, query, json.loads(str(form["payload_json"])), files)
        raw = await request.read()
        return Call(request.method, path, query, json.loads(raw) if raw else None)

    async def _record(self, append: Callable[[], None]) -> None:
        async with self._changed:
            append()
            self._changed.notify_all()

    def _snowflake(self) -> str:
        return str(next(self._ids))
