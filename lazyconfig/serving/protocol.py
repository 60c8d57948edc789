"""uvicorn's HTTP protocol with the two limits it lacks: the time and the bytes a client may
take to send a request's headers.

Without them a client that sends one header line every few seconds, or one endless header,
holds its connection (and a growing buffer) for ever. The time counts from the connection's
first byte (or its opening) to the end of the headers; idle keep-alive time between requests
is uvicorn's own `timeout_keep_alive`.
"""
from __future__ import annotations

import asyncio
import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


def refusal(code: int, message: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, in the API's error shape."""
    # Imported when first needed, in a worker: gunicorn's master imports this module with
    # the worker class, before on_starting gives prometheus_client (which the api package
    # imports) its multiprocess directory.
    from ..api.errors import answer
    payload, code, _ = answer(code, message)
    body = json.dumps(payload).encode()
    head = (f"HTTP/1.1 {code} {payload['status']}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("latin-1") + body


class GuardedHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that answers 408 to headers slower than `header_timeout` seconds
    and 431 to headers longer than `max_header_bytes`, then closes the connection."""

    header_timeout = 10.0
    max_header_bytes = 64 * 1024

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_bytes = 0
        self._reading_headers = True
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._reading_headers:
            super().data_received(data)
            return
        self._header_bytes += len(data)
        if self._header_timer is None:
            self._arm()
        super().data_received(data)
        # Counted before parsing, judged after: body bytes that came in the same read as
        # the end of the headers do not count.
        if self._reading_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(431, f"request headers over {self.max_header_bytes} bytes")

    def on_headers_complete(self) -> None:
        self._reading_headers = False
        self._header_bytes = 0
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_headers = True  # the next bytes start the next request

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to bytes that are not HTTP, in the API's error shape."""
        self._refuse(400, msg)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_late)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        busy = self.cycle is not None and not self.cycle.response_complete
        if self._reading_headers and not busy:
            if self._header_bytes:
                self._refuse(408, f"request headers not received within "
                                  f"{self.header_timeout:g} s")
            elif not self.transport.is_closing():
                self.transport.close()  # opened and never used: nothing to answer

    def _refuse(self, code: int, message: str) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(refusal(code, message))
            self.transport.close()
