"""GET /api/lazy-loading-config/notifications/ws: change notifications over a WebSocket
(subprotocol lazyconfig.v1), from the worker's fan-out like the event stream.

The client sends JSON messages `hello {client}`, `subscribe {keys?, since?, client?}`,
`unsubscribe`, `ping` and `ack {revision}` (recorded for a named client, acks.py); the server sends `change {change}` (the event stream's data), `progress
{revision}` (every change up to it has been sent: after a catch-up, on `ping`, and every
heartbeat), and `error {code, status, message[, errors]}` for a message it refuses.
docs/notifications.md lists the close codes.
"""
from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

from ..api.errors import answer, configuration_error
from ..api.notifications.handover import Admission, admit_watcher
from ..api.notifications.waiting import HEARTBEAT_SECONDS, Shown, change_data, missed_page
from ..api.notifications.waiting import notification
from ..errors import ConfigurationError, FeedBusy
from ..service.clients import client_name
from .acks import Acks
from .fanout import Watcher
from .streams import SOCKET_PATH, Streams
from .whole_requests import Receive, Scope, Send

SUBPROTOCOL = "lazyconfig.v1"
NEVER_SECONDS = 10 * 365 * 86400.0  # a token without expiry: the timer is only a formality
CLOSE_CODES = {"shutdown": 1001,  # going away: reconnect (to a worker that is up)
               "expired": 4001,  # the token expired: reconnect with a fresh one
               "behind": 4002,  # over 1 MiB unsent: reconnect and resubscribe with since
               "revoked": 4003}  # the token was revoked: reconnect with another
MAX_KEYS = 1000


def ws_form(engine: Any, change: Any, include_sensitive: bool) -> bytes:
    """A change as a WebSocket `change` message (the fan-out's renderer)."""
    item = change_data(notification(engine, change, include_sensitive))
    return _json({"type": "change", "change": item})


async def serve_socket(streams: Streams, scope: Scope, receive: Receive, send: Send) -> None:
    """Admit the WebSocket (404, 400, 401, 403, 503 as HTTP answers), then serve it."""
    if (await receive())["type"] != "websocket.connect":
        return
    refusal = _refusal(scope)
    admission = None
    if refusal is None:
        admission = await asyncio.get_running_loop().run_in_executor(
            streams.pool, admit_watcher, streams.flask_app, scope["path"], _authorization(scope))
        if admission.status != 200:
            refusal = admission
    if refusal is None:
        try:
            streams.admit()
        except FeedBusy as exc:
            refusal = _error_admission(*configuration_error(exc))
    if refusal is not None:
        await send({"type": "websocket.http.response.start", "status": refusal.status,
                    "headers": refusal.headers})
        await send({"type": "websocket.http.response.body", "body": refusal.body})
        return
    try:
        await send({"type": "websocket.accept", "subprotocol": SUBPROTOCOL})
        with streams.metrics.watching("websocket"):
            await _Session(streams, admission, send).run(receive)
    finally:
        streams.release()


def _refusal(scope: Scope) -> Admission | None:
    if scope["path"] != SOCKET_PATH:
        return _error_admission(*answer(404, "no WebSocket here; see /api/lazy-loading-config"
                                             "/notifications/ws"))
    if SUBPROTOCOL not in scope.get("subprotocols", ()):
        return _error_admission(*answer(400, f"ask for the WebSocket subprotocol {SUBPROTOCOL}"))
    return None


def _authorization(scope: Scope) -> str:
    """The Authorization header, else `?token=` (browsers cannot set headers on a WebSocket)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")
    tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return f"Bearer {tokens[0]}" if tokens else ""


def _error_admission(payload: dict, code: int, headers: Any) -> Admission:
    pairs = [(b"content-type", b"application/json")]
    pairs += [(k.lower().encode(), str(v).encode()) for k, v in dict(headers).items()]
    return Admission(code, pairs, json.dumps(payload).encode())


class _Session:
    """One accepted WebSocket: its watcher (joined to the fan-out while subscribed), a
    writer task that sends what the watcher holds, and the reader (run)."""

    def __init__(self, streams: Streams, admission: Admission, send: Send):
        self.streams, self.send, self.engine = streams, send, admission.engine
        self.fanout = streams.fan_out(self.engine)
        self.watcher = Watcher(None, 0, ws_form, admission.include_sensitive,
                               admits=admission.admits, valid=admission.still_valid)
        self.sending = asyncio.Lock()  # held by a catch-up, so live changes wait behind it
        self.acks = Acks(self.engine, self.fanout, streams.metrics.delivery_lag, "websocket")
        lifetime = max(admission.expires - time.time(), 0.0)  # inf: a token that never expires
        self.expiry = asyncio.get_running_loop().call_later(
            min(lifetime, NEVER_SECONDS), self.watcher.end, "expired")

    async def run(self, receive: Receive) -> None:
        writer = asyncio.create_task(self._write())
        try:
            while not writer.done():
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    break
                await self._handle(message.get("text") or message.get("bytes") or "")
        finally:
            self.expiry.cancel()
            self.fanout.leave(self.watcher)
            self.watcher.end("gone")
            await asyncio.gather(writer, return_exceptions=True)

    async def _write(self) -> None:
        beat = time.monotonic() + HEARTBEAT_SECONDS
        while (ended := self.watcher.ended) is None or self.watcher.unsent:
            if ended is None and not self.watcher.unsent:
                try:
                    async with asyncio.timeout(beat - time.monotonic()):
                        await self.watcher.woken.wait()
                except TimeoutError:
                    self._progress()
                    self.acks.seen()
                    beat = time.monotonic() + HEARTBEAT_SECONDS
                continue
            async with self.sending:
                for data in self.watcher.take():
                    await self._send_text(data)
                    self.watcher.sent(data)
            beat = time.monotonic() + HEARTBEAT_SECONDS
        if ended in CLOSE_CODES:
            await self._close(CLOSE_CODES[ended], ended)

    async def _handle(self, text: str | bytes) -> None:
        try:
            message = json.loads(text)
            kind = message["type"]
        except (ValueError, TypeError, KeyError):
            return self._refuse(400, 'a message is a JSON object with a "type"')
        if kind in ("hello", "subscribe") and isinstance(message.get("client"), dict):
            self.acks.named(client_name(message["client"]))
        if kind == "hello":
            return None
        if kind == "subscribe":
            await self._subscribe(message)
        elif kind == "unsubscribe":
            self.fanout.leave(self.watcher)
        elif kind == "ping":
            self._progress()
        elif kind == "ack" and _revision(message.get("revision")):
            self.acks.ack(message["revision"])
        else:
            self._refuse(400, f"unknown message {kind!r} (or a bad revision): send "
                              "hello, subscribe, unsubscribe, ping or ack")

    async def _subscribe(self, message: dict) -> None:
        keys, since = message.get("keys"), message.get("since")
        if not (keys is None or (isinstance(keys, list) and len(keys) <= MAX_KEYS
                                 and all(isinstance(k, str) for k in keys))):
            return self._refuse(400, f"keys is a list of at most {MAX_KEYS} key names")
        if not (since is None or _revision(since)):
            return self._refuse(400, "since is a revision: a whole number, 0 or more")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.streams.pool, self._check, keys, since)
        except ConfigurationError as exc:
            return self._refuse(*configuration_error(exc)[1::-1])
        self.fanout.leave(self.watcher)
        async with self.sending:
            self.watcher.take()  # what the last subscription left unsent is not this one's
            self.watcher.keys = None if keys is None else frozenset(keys)
            start = self.fanout.head
            cursor = start if since is None else since
            self.watcher.cursor = max(cursor, start)
            self.fanout.join(self.watcher)
            if await self._catch_up(cursor, start):
                await self._send_text(_json({"type": "progress", "revision": start}))

    def _check(self, keys: list[str] | None, since: int | None) -> None:
        self.engine.catch_up()  # as before an API read: a rule made anywhere just now counts
        for key in keys or ():
            self.engine.get_rule(key)
        if since is not None:
            self.engine.change_log.check_kept(since)

    async def _catch_up(self, cursor: int, start: int) -> bool:
        keys = self.watcher.keys
        shown = Shown(self.engine, next(iter(keys)) if keys and len(keys) == 1 else None,
                      self.watcher.include_sensitive, self.watcher.admits or (lambda _key: True))
        loop = asyncio.get_running_loop()
        try:
            while cursor < start:
                page, cursor = await loop.run_in_executor(
                    self.streams.pool, missed_page, shown, cursor, start)
                for item in page:
                    if keys is None or item["key"] in keys:
                        await self._send_text(_json({"type": "change",
                                                     "change": change_data(item)}))
        except ConfigurationError as exc:  # compacted meanwhile, storage down
            self._refuse(*configuration_error(exc)[1::-1])
            self.fanout.leave(self.watcher)
            return False
        return True

    def _progress(self) -> None:
        self.watcher.put(_json({"type": "progress", "revision": self.fanout.head}))

    def _refuse(self, code: int, payload: Any) -> None:
        body = payload if isinstance(payload, dict) else answer(code, payload)[0]
        self.watcher.put(_json({"type": "error", **body}))

    async def _send_text(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "text": data.decode()})

    async def _close(self, code: int, reason: str) -> None:
        await self.send({"type": "websocket.close", "code": code, "reason": reason})


def _revision(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _json(message: dict) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()
