"""ASGI middleware: a request reaches the WSGI app only once its body is whole.

The app runs on a thread of a fixed pool (threads.py), and a thread reading a body that
trickles in is a thread lost to everyone else. So the event loop reads the body first — at
most `max_body` + 1 bytes, within `body_timeout` seconds, else 408 — and hands it over with
its length; werkzeug answers 413 to one over the limit, chunked or not.

It also tells the app when the client hangs up, for requests that wait (a change stream, a
blocking query): `scope[CLIENT_GONE]` is a check any thread may call, and
`scope[DEPARTURE]` calls back on the loop (lazyconfig/serving/streams.py).
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable

from ..api.notifications.departure import CLIENT_GONE
from .protocol import refusal

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
_FRAMING = (b"content-length", b"transfer-encoding")
DEPARTURE = "lazyconfig.departure"


class Departure:
    """That the client hung up: a flag any thread may read, and callbacks on the loop."""

    def __init__(self) -> None:
        self._gone = threading.Event()
        self.callbacks: list[Callable[[], None]] = []

    def is_set(self) -> bool:
        return self._gone.is_set()

    def set(self) -> None:
        self._gone.set()
        for callback in list(self.callbacks):
            callback()


class ClientGone(Exception):
    """The client closed its connection before its body was whole."""


class WholeRequests:
    def __init__(self, app: App, max_body: int, body_timeout: float):
        self.app, self.max_body, self.body_timeout = app, max_body, body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await asyncio.wait_for(self._body(receive), self.body_timeout)
        except ClientGone:
            return
        except asyncio.TimeoutError:
            await _refuse(send, 408, f"request body not received within "
                                     f"{self.body_timeout:g} s")
            return
        gone = Departure()
        watch = asyncio.create_task(_watch_departure(receive, gone))
        try:
            await self.app(_with_body(scope, len(body), gone), _replay(body, gone), send)
        finally:
            watch.cancel()

    async def _body(self, receive: Receive) -> bytes:
        body = bytearray()
        while len(body) <= self.max_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        return bytes(body[:self.max_body + 1])  # enough to know it is too long


def _with_body(scope: Scope, length: int, gone: Departure) -> Scope:
    headers = [(name, value) for name, value in scope["headers"] if name not in _FRAMING]
    if length or scope["method"] not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        headers.append((b"content-length", str(length).encode()))
    return {**scope, "headers": headers, CLIENT_GONE: gone.is_set, DEPARTURE: gone}


async def _watch_departure(receive: Receive, gone: Departure) -> None:
    """After the body, the server's next message is the disconnect (or the end of the
    response, which reads the same and no longer matters)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    gone.set()


def _replay(body: bytes, gone: Departure) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        while not gone.is_set():  # WsgiOnThreads does not ask again; this is for completeness
            await asyncio.sleep(0.5)
        return {"type": "http.disconnect"}
    return receive


async def _refuse(send: Send, code: int, message: str) -> None:
    head, _, body = refusal(code, message).partition(b"\r\n\r\n")
    await send({"type": "http.response.start", "status": code,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
