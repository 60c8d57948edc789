"""A body sent without a Content-Length (chunked) is held to the same limit as one with it.

werkzeug reads such a stream only up to the limit and stops there without an error, so a
chunked body over the limit reached the JSON parser cut short and was answered "not valid
JSON" (422), where a body that declares its length is answered 413.
"""
from __future__ import annotations

import io
from typing import Any, Callable, Iterable

from werkzeug.http import parse_set_header

CHUNK = 64 * 1024


class ChunkedBodyLimit:
    """WSGI middleware: read a chunked body (up to `limit` + 1 bytes, never more) and hand it
    on as a body of the length it turned out to have. werkzeug then treats it as any sized
    body: one over the limit is 413 (through api/errors.py) when a view reads it."""

    def __init__(self, app: Callable, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        # Only a server that ends the stream itself (gunicorn does) may be read to its end;
        # without that werkzeug reads nothing of a body without a length, which stays so.
        chunked = "chunked" in parse_set_header(environ.get("HTTP_TRANSFER_ENCODING"))
        if chunked and environ.get("wsgi.input_terminated"):
            body = _read_at_most(environ["wsgi.input"], self.limit + 1)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            del environ["HTTP_TRANSFER_ENCODING"]  # werkzeug ignores a length beside it
        return self.app(environ, start_response)


def _read_at_most(stream, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = stream.read(min(CHUNK, size - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data)
