"""A platform added as docs/DESIGN.md describes, and nothing else: its module (here, this
test's adapter and spec), its config section and one registry entry. The bot then loads its
settings, masks its secret, starts its adapter, opens cases in its liaison room and relays
between people on it, with no other file knowing it exists."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.config import Config, load_config
from bot.core.capabilities import Capabilities, RateLimits
from bot.core.events import ChatKind, EventKind, Incoming, Outgoing
from bot.core.host import PlatformHost
from bot.core.people import Role
from bot.core.ports import PlatformAdapter, Recipient
from bot.platforms.registry import PLATFORMS
from bot.platforms.spec import PlatformSpec
from bot.runner import configured_adapters
from bot.settings import setting, single_line
from tests.support.app import AppFactory

NAME = "loop"
STAFF_ROOM = "staff-room"
TOKEN = "loop-token-never-shown"


@dataclass(frozen=True, slots=True)
class LoopSection:
    token: str = setting("", single_line, secret=True)
    liaison_room: str = setting("")


class LoopNetwork:
    """The chat service itself: what each chat's screen shows, in order."""

    def __init__(self) -> None:
        self.screens: dict[str, list[Outgoing]] = defaultdict(list)

    def text(self, chat_id: str) -> str:
        return "\n".join(message.text for message in self.screens[chat_id])

    def button(self, chat_id: str, action: str) -> str:
        """The payload of the newest button with `action` on a chat's screen."""
        for message in reversed(self.screens[chat_id]):
            for row in message.buttons:
                for button in row:
                    if button.action == action:
                        return button.payload()
        raise AssertionError(f"no {action} button in {chat_id}")


class LoopAdapter:
    """The adapter: typed lines and presses become neutral events; replies and outbox rows
    land on the network's screens."""

    platform = NAME

    def __init__(self, host: PlatformHost, section: LoopSection, network: LoopNetwork) -> None:
        self._host = host
        self._network = network
        self._running = False
        assert section.token == TOKEN

    async def start(self) -> None:
        self._host.register_sender(self, None)
        self._running = True

    async def stop(self) -> None:
        self._running = False

    @property
    def connected(self) -> bool:
        return self._running

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        self._network.screens[recipient.chat_id].append(message)

    async def type(self, user: str, text: str, chat_id: str = "", language: str = "") -> None:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            await self._feed(user, chat_id, language, EventKind.COMMAND, text, command, args)
        else:
            await self._feed(user, chat_id, language, EventKind.TEXT, text)

    async def press(self, user: str, payload: str, chat_id: str = "") -> None:
        await self._feed(user, chat_id, "", EventKind.BUTTON, payload=payload)

    async def _feed(
        self,
        user: str,
        chat_id: str,
        language: str,
        kind: EventKind,
        text: str = "",
        command: str | None = None,
        args: str = "",
        payload: str = "",
    ) -> None:
        chat = chat_id or user
        event = Incoming(
            NAME,
            chat,
            user,
            kind,
            language_hint=language or None,
            text=text,
            command=command,
            args=args,
            payload=payload,
            chat_kind=ChatKind.PRIVATE if chat == user else ChatKind.GROUP,
        )

        async def respond(message: Outgoing) -> None:
            self._network.screens[chat].append(message)

        await self._host.feed(event, respond)


def loop_spec(network: LoopNetwork) -> PlatformSpec[LoopSection]:
    """The spec the platform's module would declare, and the registry would list."""

    def adapter(host: PlatformHost, section: LoopSection) -> PlatformAdapter:
        return LoopAdapter(host, section, network)

    return PlatformSpec(
        name=NAME,
        title="Loop",
        section=LoopSection,
        capabilities=lambda _section: Capabilities(
            private_replies=False,
            forms=False,
            free_text_in_groups=True,
            threads=False,
            edit_in_place=False,
            buttons_per_row=4,
            buttons_per_message=12,
            text_limit=4000,
            payload_bytes=64,
            rate=RateLimits(10.0, 1.0, 1.0),
        ),
        enabled=lambda section: bool(section.token),
        liaison_room_key="liaison_room",
        adapter=adapter,
    )


def loop_config(tmp_path: Path, storage_url: str, spec: PlatformSpec[LoopSection]) -> Config:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[{NAME}]\ntoken = "{TOKEN}"\nliaison_room = "{STAFF_ROOM}"\n', encoding="utf-8"
    )
    env = {
        "LIAISON_STORAGE_URL": storage_url,
        "LIAISON_PRIVACY_HASH_KEY_PATH": str(tmp_path / "liaison.key"),
    }
    return load_config(path, env=env, platforms=(*PLATFORMS, spec))


async def test_a_new_platform_runs_a_case_through_the_dispatcher(
    tmp_path: Path, storage_url: str, make_app: AppFactory
) -> None:
    """Amal (Arabic) opens a case on the new platform, Lee answers it from its liaison room,
    Sofía (Spanish) is greeted in her language on it; the token is masked throughout."""
    network = LoopNetwork()
    config = loop_config(tmp_path, storage_url, loop_spec(network))
    assert TOKEN in config.secrets()
    app = await make_app(config)
    (adapter,) = configured_adapters(app)
    assert isinstance(adapter, LoopAdapter)
    await adapter.start()

    await adapter.type("amal", "/start", language="ar")
    greeting = network.screens["amal"][0]
    assert greeting.rtl and any("\u0600" <= char <= "\u06ff" for char in greeting.text)
    await adapter.type("amal", "/human")
    await adapter.press("amal", network.button("amal", "esc.anon"))
    await adapter.type("amal", "أوقفني شرطي وفتش حقيبتي")
    assert "#1" in network.screens["amal"][-1].text
    await app.delivery.drain()
    card = network.screens[STAFF_ROOM][-1]
    assert "#1" in card.text and "أوقفني شرطي" in card.text
    assert "amal" not in network.text(STAFF_ROOM)

    lee = await app.repos.people.upsert_seen(NAME, "lee", "en", app.services.clock())
    await app.repos.people.set_role(lee.id, Role.LIAISON)
    await adapter.press("lee", network.button(STAFF_ROOM, "esc.claim"), chat_id=STAFF_ROOM)
    await adapter.type("lee", "/reply 1 We are looking into it", chat_id=STAFF_ROOM)
    await app.delivery.drain()
    assert "claimed by" in network.text(STAFF_ROOM)
    assert "We are looking into it" in network.screens["amal"][-1].text

    await adapter.type("sofia", "/start", language="es")
    assert "Hola" in network.text("sofia") and not network.screens["sofia"][0].rtl
    await adapter.stop()
