"""The change stream over the WebSocket endpoint (subprotocol lazyconfig.v1), on the standard
library: the client stays dependency-free, and it needs only a small part of RFC 6455 (one
text message each way at a time, ping/pong, close), which fits in this module.

It iterates, reconnects and resumes exactly like the server-sent event stream (events.py):
after any disconnect it subscribes again with `since` = the last revision it has.
"""
from __future__ import annotations

import base64
import json
import os
import struct
from typing import IO, Iterator

from .errors import ServerError, error_for
from .events import READ_TIMEOUT, ChangeStream
from .json_object import parse
from .records import Change

SUBPROTOCOL = "lazyconfig.v1"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class SocketChangeStream(ChangeStream):
    """A ChangeStream over /notifications/ws; acknowledges each change once iterated, and
    each progress."""

    def _one_connection(self) -> Iterator[Change]:
        key = base64.b64encode(os.urandom(16)).decode()
        self._conn, response = self.transport.upgrade(self.path, timeout=READ_TIMEOUT, headers={
            "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": key,
            "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": SUBPROTOCOL})
        if self.closed:
            return
        self.transport.raise_for(response)
        if response.status != 101:
            raise ServerError(f"no WebSocket: the server answered {response.status}", 502)
        self.connected.set()
        sock, frames = self._conn.sock, response.fp
        subscribe: dict[str, object] = {
            "type": "subscribe", "keys": None if self.key is None else [self.key],
            "since": self.last_event_id}
        if self.identity is not None:
            subscribe["client"] = self.identity
        send_frame(sock, TEXT, json.dumps(subscribe).encode())
        for opcode, payload in read_frames(frames):
            if opcode == PING:
                send_frame(sock, PONG, payload)
            elif opcode == CLOSE:
                raise ConnectionError(f"the server closed the WebSocket: {payload[2:]!r}")
            elif opcode == TEXT:
                yield from self._message(sock, parse(payload, "a WebSocket message"))

    def _message(self, sock: object, message: object) -> Iterator[Change]:
        if not isinstance(message, dict):
            return
        if message.get("type") == "change":
            change = Change.from_json(message["change"])
            self.last_event_id = change.revision
            yield change
            # Back here, the consumer has taken the change: acknowledge it (GET /clients).
            send_frame(sock, TEXT, json.dumps({"type": "ack",
                                               "revision": change.revision}).encode())
        elif message.get("type") == "progress":
            revision = message["revision"]
            if self.last_event_id is None or revision > self.last_event_id:
                self.last_event_id = revision
            send_frame(sock, TEXT, json.dumps({"type": "ack",
                                               "revision": self.last_event_id}).encode())
        elif message.get("type") == "error":
            raise error_for(message.get("code", 500), message, None)


def read_frames(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(opcode, payload) of each whole message the server sends (its frames are unmasked)."""
    message, first = b"", 0
    while True:
        head = _exactly(stream, 2)
        opcode, size = head[0] & 0x0F, head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", _exactly(stream, 2))[0]
        elif size == 127:
            size = struct.unpack("!Q", _exactly(stream, 8))[0]
        payload = _exactly(stream, size)
        if opcode >= CLOSE:  # control frames may come between the parts of a message
            yield opcode, payload
            continue
        message, first = message + payload, first or opcode
        if head[0] & 0x80:  # FIN
            yield first, message
            message, first = b"", 0


def send_frame(sock: object, opcode: int, payload: bytes) -> None:
    """One masked frame (RFC 6455 5.3: a client masks every frame)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    mask = os.urandom(4)
    repeated = (mask * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(
        size, "big")
    sock.sendall(head + mask + masked)  # type: ignore[attr-defined]


def _exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) < size:
        raise ConnectionError("the WebSocket closed")
    return data


__all__ = ["SocketChangeStream"]
