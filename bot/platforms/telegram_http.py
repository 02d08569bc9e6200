"""The HTTP client python-telegram-bot talks to the Bot API through: aiohttp.

PTB's default client is httpx. Under a bot serving many chats at once, httpcore's
connection pool re-examines every pooled connection on every request (a readability
syscall and several attribute look-ups each) and re-assigns every waiting request
whenever one finishes; the throughput benchmark's profile showed 40 % of the event
loop in that pool at 64 concurrent updates. aiohttp, already installed for discord.py,
keeps idle connections in a queue and parses HTTP in C. PTB supports exactly this seam:
a `BaseRequest` subclass given to the `ApplicationBuilder`.

Bodies are JSON, which the Bot API accepts for every method, or multipart with form
fields holding JSON values (as PTB's own client sends them) when a file is attached.
"""

from __future__ import annotations

import json

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, made in `initialize`.

    aiohttp has no separate write timeout: the time to acquire a pooled connection and
    connect is bounded by `pool + connect`, reading by `read`, and the whole request by
    the sum of all four, so an upload stalled on a full socket still ends.
    """

    def __init__(
        self,
        connection_pool_size: int,
        connect_timeout: float,
        read_timeout: float,
        write_timeout: float,
        pool_timeout: float,
        media_write_timeout: float,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect = connect_timeout
        self._read = read_timeout
        self._write = write_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._read)
        write = _given(write_timeout, self._media_write if files else self._write)
        connect = _given(connect_timeout, self._connect)
        pool = _given(pool_timeout, self._pool)
        timeout = aiohttp.ClientTimeout(
            total=_sum(read, write, connect, pool),
            connect=_sum(pool, connect),
            sock_connect=connect,
            sock_read=read,
        )
        body = _body(request_data)
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as error:  # aiohttp's own timeouts subclass it too
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error


def _given(value: object, default: float) -> float | None:
    """A timeout PTB passed for this call (a number, or None for no limit), else the
    client's default (PTB passes a `DefaultValue` marker when the caller gave none)."""
    if value is None or isinstance(value, int | float):
        return value
    return default


def _sum(*parts: float | None) -> float | None:
    """The sum of timeouts, or no limit when any part has none."""
    return None if any(part is None for part in parts) else sum(p for p in parts if p)


def _body(request_data: RequestData | None) -> aiohttp.FormData | aiohttp.BytesPayload | None:
    """A JSON body, or multipart (form fields holding JSON values) when there are files.

    The Bot API takes both; JSON is encoded in C where aiohttp's form encoding quotes a
    reply of 2 KB in non-Latin script byte by byte in Python (~13 % of the event loop)."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        payload = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        return aiohttp.BytesPayload(payload, content_type="application/json")
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
