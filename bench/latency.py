"""Requests to the API over one keep-alive connection, timed one by one, and percentiles."""
from __future__ import annotations

import http.client
import json
import math
import time
from typing import Any
from urllib.parse import urlsplit

PREFIX = "/api/lazy-loading-config"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was measured, never interpolated."""
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)] if ordered else float("nan")


class ApiClient:
    """One keep-alive connection, as a client library would hold; a request that fails or
    answers with an error status raises, so no error is ever timed as a success."""

    def __init__(self, url: str, token: str, timeout: float = 60.0):
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        headers = dict(self._headers)
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self._conn.request(method, PREFIX + path, body=payload, headers=headers)
        response = self._conn.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def timed(self, method: str, path: str, body: Any = None) -> float:
        """Seconds from sending the request to having read the whole response."""
        began = time.perf_counter()
        self.call(method, path, body)
        return time.perf_counter() - began

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
