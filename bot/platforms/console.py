"""The terminal chat: the embedded default, usable interactively or from a script.

Buttons are shown as numbered choices (`[1] Español`) and pressed by typing the number.
Messages queued for this terminal user while they were away (a liaison's reply, a
reminder) sit in the outbox and are shown when the user next opens the chat.
"""

from __future__ import annotations

import asyncio
import io
import sys
from typing import TextIO

from bot.core.events import Button, EventKind, Incoming, Outgoing
from bot.core.host import PlatformHost
from bot.core.people import Role
from bot.core.ports import NotConnected, Recipient
from bot.platforms.console_spec import NAME
from bot.platforms.text_clean import clean_text

PLATFORM = NAME
PROMPT = "> "


class ConsoleChat:
    """One person's terminal session against the shared database."""

    platform = PLATFORM

    def __init__(self, host: PlatformHost, user: str, stdin: TextIO, stdout: TextIO) -> None:
        self._host = host
        self._user = user
        self._stdin = stdin
        self._stdout = stdout
        self._choices: list[Button] = []
        self._interactive = stdin.isatty()

    # Sender protocol: only this terminal's own user can be reached from this process.
    async def deliver(self, recipient: Recipient, message: Outgoing) -> None:
        if recipient.chat_id != self._user:
            raise NotConnected(recipient.chat_id)
        self._render(message)

    def _render(self, message: Outgoing) -> None:
        lines = [message.text]
        buttons = [button for row in message.buttons for button in row]
        if buttons:
            self._choices = buttons
            lines.extend(f"[{number}] {button.label}" for number, button in enumerate(buttons, 1))
        if message.attachment is not None:
            lines.append(f"(file: {message.attachment.filename})")
        self._stdout.write("\n".join(lines) + "\n\n")
        self._stdout.flush()

    def to_incoming(self, line: str) -> Incoming | None:
        """Map one typed line to an event: a number presses a shown button."""
        text = clean_text(line).strip()
        if not text:
            return None
        user = self._user
        # ASCII digits only: "²" and "٣" are digits to str.isdigit but not to int().
        if text.isascii() and text.isdigit() and 1 <= int(text) <= len(self._choices):
            button = self._choices[int(text) - 1]
            return Incoming(PLATFORM, user, user, EventKind.BUTTON, payload=button.payload())
        if text.startswith("/") and len(text) > 1:
            command, _, args = text[1:].partition(" ")
            return Incoming(
                PLATFORM,
                user,
                user,
                EventKind.COMMAND,
                text=text,
                command=command.lower(),
                args=args.strip(),
            )
        return Incoming(PLATFORM, user, user, EventKind.TEXT, text=text)

    async def run(self, role: Role | None = None) -> None:
        """Serve until end of input; queued messages are delivered on open and on the way."""
        host = self._host
        host.register_sender(self, None)
        await host.sign_in(PLATFORM, self._user, role)
        await host.drain()
        host.start_background()
        loop = asyncio.get_running_loop()
        while True:
            if self._interactive:
                self._stdout.write(PROMPT)
                self._stdout.flush()
            line = await loop.run_in_executor(None, self._stdin.readline)
            if not line:
                break
            event = self.to_incoming(line)
            if event is None:
                continue
            await host.feed(event, self._reply)
            await host.drain()

    async def _reply(self, message: Outgoing) -> None:
        self._render(message)


def open_console(host: PlatformHost, user: str) -> ConsoleChat:
    # Bytes the terminal's encoding cannot decode (or characters it cannot show) must not
    # end the chat: they become U+FFFD / "?" instead of raising.
    for stream in (sys.stdin, sys.stdout):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    return ConsoleChat(host, user, sys.stdin, sys.stdout)
