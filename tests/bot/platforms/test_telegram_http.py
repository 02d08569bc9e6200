"""The Bot API client: requests encoded as PTB encodes them, failures mapped to PTB's
errors (which the adapter turns into retries or the outbox). Local server only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.platforms.telegram_http import AiohttpRequest


def _client(read_timeout: float = 2.0) -> AiohttpRequest:
    return AiohttpRequest(
        connection_pool_size=2,
        connect_timeout=1.0,
        read_timeout=read_timeout,
        write_timeout=1.0,
        pool_timeout=1.0,
        media_write_timeout=2.0,
    )


@contextlib.asynccontextmanager
async def started(read_timeout: float = 2.0) -> AsyncIterator[AiohttpRequest]:
    """A client between PTB's initialize and shutdown calls."""
    client = _client(read_timeout)
    await client.initialize()
    try:
        yield client
    finally:
        await client.shutdown()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """Echoes what it received; /slow answers after two seconds."""
    seen: list[dict[str, object]] = []

    async def echo(request: web.Request) -> web.Response:
        if request.path.endswith("/slow"):
            await asyncio.sleep(2)
        if request.content_type == "application/json":
            seen.append({"content_type": request.content_type, "json": await request.json()})
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        seen.append(
            {
                "content_type": request.content_type,
                "fields": {k: v for k, v in form.items() if isinstance(v, str)},
                "files": {
                    k: (v.filename, v.file.read())
                    for k, v in form.items()
                    if not isinstance(v, str)
                },
            }
        )
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_parameters_go_as_a_json_body(
    server: tuple[str, list[dict[str, object]]],
) -> None:
    base, seen = server
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 42),
            RequestParameter.from_input("reply_markup", {"inline_keyboard": [[{"text": "é"}]]}),
        ]
    )
    async with started() as client:
        status, body = await client.do_request(f"{base}/sendMessage", "POST", data)
    assert status == 200 and json.loads(body)["ok"] is True
    assert seen[0] == {
        "content_type": "application/json",
        "json": {"chat_id": 42, "reply_markup": {"inline_keyboard": [[{"text": "é"}]]}},
    }


async def test_files_go_as_multipart_with_their_names(
    server: tuple[str, list[dict[str, object]]],
) -> None:
    base, seen = server
    document = InputFile(b"BEGIN:VCALENDAR", filename="meeting.ics", attach=True)
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", 7),
            RequestParameter.from_input("document", document),
            RequestParameter.from_input("reply_markup", {"inline_keyboard": []}),
        ]
    )
    async with started() as client:
        await client.do_request(f"{base}/sendDocument", "POST", data)
    assert seen[0]["content_type"] == "multipart/form-data"
    files = seen[0]["files"]
    assert isinstance(files, dict)
    assert list(files.values()) == [("meeting.ics", b"BEGIN:VCALENDAR")]
    fields = seen[0]["fields"]
    assert isinstance(fields, dict)
    assert fields["chat_id"] == "7"
    assert json.loads(fields["reply_markup"]) == {"inline_keyboard": []}


async def test_a_slow_answer_is_a_timeout(server: tuple[str, list[dict[str, object]]]) -> None:
    base, _ = server
    async with started(read_timeout=0.2) as client:
        with pytest.raises(TimedOut):
            await client.do_request(f"{base}/slow", "POST", RequestData([]))


async def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with started() as client:
        with pytest.raises(NetworkError):
            await client.do_request(f"http://127.0.0.1:{port}/getMe", "POST", RequestData([]))


async def test_requests_before_initialize_are_refused() -> None:
    with pytest.raises(RuntimeError):
        await _client().do_request("http://127.0.0.1:9/getMe", "POST", None)
