"""HTTP for the client on the standard library: JSON calls, and a streamed response whose
socket another thread can shut to end a blocking read."""
from __future__ import annotations

import http.client
import json
import socket
from typing import Any, Mapping
from urllib.parse import urlencode, urlsplit

from .errors import ApiError, ServiceUnavailable, error_for
from .json_object import parse


class Transport:
    def __init__(self, base_url: str, token: str, timeout: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port], not {base_url!r}")
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname, parts.port
        self._root = parts.path.rstrip("/")
        self._token = token
        self.timeout = timeout

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        return kind(self._host, self._port, timeout=timeout)

    def send(self, method: str, path: str, *, body: Any = None,
             params: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None,
             timeout: float | None = None) -> tuple[http.client.HTTPConnection,
                                                    http.client.HTTPResponse]:
        """Send a request; returns the open connection and its response (the caller reads
        and closes). ServiceUnavailable when the server cannot be reached."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self._root + path + ("?" + urlencode(query, doseq=True) if query else "")
        head = {"Authorization": f"Bearer {self._token}", "Accept": "application/json",
                **(headers or {})}
        payload: bytes | None = None
        if isinstance(body, bytes):  # a file sent as it is (an import of another format)
            payload = body
            head["Content-Type"] = "text/plain; charset=utf-8"
        elif body is not None:
            payload = json.dumps(body).encode()
            head["Content-Type"] = "application/json"
        conn = self.connect(self.timeout if timeout is None else timeout)
        try:
            conn.request(method, url, body=payload, headers=head)
            return conn, conn.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ServiceUnavailable(f"cannot reach {self._host}:{self._port}: {exc}") from exc

    def call(self, method: str, path: str,
             **kwargs: Any) -> tuple[Any, http.client.HTTPMessage]:
        """A JSON call: (decoded body or None, headers); an ApiError for 4xx/5xx."""
        conn, response = self.send(method, path, **kwargs)
        try:
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ServiceUnavailable(f"the connection broke during the answer: {exc}") from exc
        finally:
            conn.close()
        if response.status >= 400:
            raise self.error(response, raw)
        if not raw or "json" not in response.getheader("Content-Type", ""):
            return None, response.headers
        return parse(raw, f"the answer to {method} {path}"), response.headers

    def raise_for(self, response: http.client.HTTPResponse) -> None:
        """The ApiError of a 4xx/5xx streamed response; nothing for another status."""
        if response.status >= 400:
            raise self.error(response, response.read())

    @staticmethod
    def error(response: http.client.HTTPResponse, raw: bytes) -> ApiError:
        """The exception for an error answer; a body that is not JSON (a proxy's page)
        leaves only the status to go by."""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        return error_for(response.status, body, response.getheader("X-Request-ID"))


def shut(conn: http.client.HTTPConnection | None) -> None:
    """End a blocking read on `conn` from another thread."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

