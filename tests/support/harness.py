"""A conversation harness: neutral events into the real dispatcher, replies recorded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.core.events import Attachment, Button, EventKind, Incoming, Outgoing
from bot.core.people import Role
from bot.core.ports import Recipient


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 21, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    async def sleep(self, seconds: float) -> None:
        """A backoff wait that moves this clock instead of passing real time."""
        self.advance(seconds=seconds)
        await asyncio.sleep(0)


@dataclass
class RecordingSender:
    """A platform that records every outbox delivery."""

    platform: str
    delivered: list[tuple[Recipient, Outgoing]] = field(default_factory=list)

    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        self.delivered.append((recipient, message))


class Conversation:
    """One person talking to the bot; `send`/`press` return the replies of that turn."""

    def __init__(
        self,
        app: App,
        user: str = "alice",
        platform: str = "test",
        language_hint: str | None = None,
    ) -> None:
        self.app = app
        self.user = user
        self.platform = platform
        self.language_hint = language_hint
        self.display_name = user.title()
        self.transcript: list[Outgoing] = []

    async def _feed(self, event: Incoming) -> list[Outgoing]:
        replies: list[Outgoing] = []

        async def responder(message: Outgoing) -> None:
            replies.append(message)

        await self.app.dispatcher.feed(event, responder)
        self.transcript.extend(replies)
        return replies

    def _event(self, **fields: object) -> Incoming:
        return Incoming(
            platform=self.platform,
            chat_id=self.user,
            user_id=self.user,
            language_hint=self.language_hint,
            display_name=self.display_name,
            **fields,  # type: ignore[arg-type]
        )

    async def send(self, text: str) -> list[Outgoing]:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            event = self._event(kind=EventKind.COMMAND, text=text, command=command, args=args)
        else:
            event = self._event(kind=EventKind.TEXT, text=text)
        return await self._feed(event)

    async def send_attachment(self, attachment: Attachment, caption: str = "") -> list[Outgoing]:
        event = self._event(kind=EventKind.TEXT, text=caption, attachments=(attachment,))
        return await self._feed(event)

    async def press_payload(self, payload: str) -> list[Outgoing]:
        return await self._feed(self._event(kind=EventKind.BUTTON, payload=payload))

    async def press(self, label: str) -> list[Outgoing]:
        """Press the button with this label on the most recent message that has one."""
        return await self.press_payload(self.button(label).payload())

    def button(self, label: str) -> Button:
        for message in reversed(self.transcript):
            for row in message.buttons:
                for button in row:
                    if button.label == label:
                        return button
        raise AssertionError(f"no button labelled {label!r} in the conversation")

    @property
    def last(self) -> Outgoing:
        return self.transcript[-1]


def texts(replies: list[Outgoing]) -> str:
    return "\n".join(reply.text for reply in replies)


async def staff_member(
    app: App, user: str, role: Role, platform: str = "console"
) -> tuple[Conversation, RecordingSender]:
    """A person given a staff role, with the platform's outbox deliveries recorded."""
    sender = RecordingSender(platform)
    app.delivery.register(sender, None)
    member = Conversation(app, user=user, platform=platform)
    await member.send("/start")
    person = await app.repos.people.find(platform, user)
    assert person is not None
    await app.repos.people.set_role(person.id, role)
    return member, sender
