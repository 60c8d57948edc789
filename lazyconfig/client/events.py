"""The change stream as an iterator: server-sent events parsed into Change records, resumed
with Last-Event-ID after any disconnect, so no change is missed or seen twice."""
from __future__ import annotations

import http.client
import os
import socket
import threading
import uuid
from importlib import metadata
from typing import Iterator

from .errors import ServiceUnavailable, ServerError
from .json_object import parse
from .records import Change
from .transport import Transport, shut

READ_TIMEOUT = 45.0  # the server sends a heartbeat every 15 s; silence this long is a dead link
MAX_BACKOFF = 2.0
RETRYABLE = (ServiceUnavailable, ServerError, OSError, http.client.HTTPException)


def client_identity(client_id: str | None = None) -> dict[str, str]:
    """Who this watcher is for GET /clients: `client_id` (default: host, process id and a
    random part), this host's name and the package's version."""
    host = socket.gethostname()[:200]
    try:
        version = metadata.version("lazyconfig")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"id": client_id or f"{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"[:200],
            "host": host, "version": version}


def client_header(identity: dict[str, str]) -> str:
    """The X-Lazyconfig-Client header naming a stream's or blocking query's watcher."""
    return "; ".join(f"{name}={identity[name]}" for name in ("id", "host", "version"))


def parse_events(lines: Iterator[bytes]) -> Iterator[dict[str, str]]:
    """SSE framing: `field: value` lines, blank line ends an event, `:` starts a comment."""
    event: dict[str, str] = {}
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if not line:
            if event:
                yield event
            event = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            event[name] = event[name] + "\n" + value if name == "data" and name in event else value
    if event:
        yield event


class ChangeStream:
    """Iterate for Change records; `close()` (from any thread) ends the iteration."""

    def __init__(self, transport: Transport, path: str, last_event_id: int | None = None,
                 key: str | None = None, identity: dict[str, str] | None = None):
        self.transport, self.path, self.key = transport, path, key
        self.identity = identity  # who the stream says it is (client_identity)
        self.last_event_id = last_event_id  # the revision we have everything up to
        self.connected = threading.Event()  # set while a connection is open
        self._closed = threading.Event()
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        self._closed.set()
        shut(self._conn)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def __iter__(self) -> Iterator[Change]:
        backoff = 0.1
        while not self.closed:
            try:
                for change in self._one_connection():
                    backoff = 0.1
                    yield change
            except RETRYABLE:
                pass  # the server went away or is busy: resume from last_event_id
            finally:
                self.connected.clear()
                shut(self._conn)
                if self._conn is not None:
                    self._conn.close()
            self._closed.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _one_connection(self) -> Iterator[Change]:
        headers = {"Accept": "text/event-stream"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        if self.identity is not None:
            headers["X-Lazyconfig-Client"] = client_header(self.identity)
        self._conn, response = self.transport.send(
            "GET", self.path, params={"key": self.key}, headers=headers, timeout=READ_TIMEOUT)
        if self.closed:
            return
        self.transport.raise_for(response)
        self.connected.set()
        for event in parse_events(iter(response.readline, b"")):
            if event.get("id", "").isdigit():
                self.last_event_id = int(event["id"])
            if event.get("event") == "change" and "data" in event:
                yield Change.from_json(parse(event["data"], "a change event"))


__all__ = ["ChangeStream", "client_identity", "parse_events"]
