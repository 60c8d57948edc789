"""A token revoked while it holds open change streams and blocking queries on served
instances: how long until every stream has closed and every instance refuses the token.
The suite runs it with a few streams (tests/serving/test_revocation_served.py); the bench
with the issue's hundred (bench/revocation.py)."""
from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PREFIX = "/api/lazy-loading-config"
DEADLINE = 10.0  # seconds any one step may take before the scenario gives up


def request(base_url: str, method: str, path: str, token: str, body=None) -> tuple[int, dict]:
    """One request on a fresh connection (so successive ones spread over the workers)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=DEADLINE)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, PREFIX + path, body=None if body is None else json.dumps(body),
                     headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
    finally:
        conn.close()


@dataclass
class Held:
    """Streams and blocking queries open with one token, and when each ended."""

    opened: int = 0
    ended: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ready: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def hold(self, base_url: str, path: str, token: str) -> threading.Thread:
        thread = threading.Thread(target=self._read, args=(base_url, path, token), daemon=True)
        self.opened += 1
        thread.start()
        return thread

    def _read(self, base_url: str, path: str, token: str) -> None:
        parts = urlsplit(base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=DEADLINE * 3)
        try:
            conn.request("GET", PREFIX + path, headers={"Authorization": f"Bearer {token}"})
            if "stream" not in path:
                self.ready.release()  # a blocking query answers only when it ends
            response = conn.getresponse()
            if response.status != 200:
                self.failures.append(f"{path}: {response.status} {response.read()[:200]!r}")
            if "stream" in path:
                response.readline()  # the stream's first comment: it is open
                self.ready.release()
            while response.read1(65536):
                pass
        except Exception as exc:  # noqa: BLE001  (reported by wait_open and run)
            self.failures.append(f"{path}: {exc!r}")
        finally:
            with self.lock:
                self.ended.append(time.monotonic())
            conn.close()

    def wait_open(self) -> None:
        for _ in range(self.opened):
            assert self.ready.acquire(timeout=DEADLINE), f"a stream did not open {self.failures}"


def refused_everywhere(urls: list[str], token: str, since: float, tries: int = 10) -> float:
    """Seconds from `since` until `tries` fresh requests on every instance are all 401."""
    pending = {url: tries for url in urls}
    while pending:
        assert time.monotonic() - since < DEADLINE, "the token is still accepted"
        for url in list(pending):
            if request(url, "GET", "/auth/whoami", token)[0] == 401:
                pending[url] -= 1
                if not pending[url]:
                    del pending[url]
            else:
                pending[url] = tries
    return time.monotonic() - since


def run(urls: list[str], admin_token: str, streams: int, queries: int = 2) -> dict:
    """Issue a service token, hold `streams` streams and `queries` blocking queries with it
    spread over `urls`, revoke it on the first, and time the closing and refusing."""
    status, issued = request(urls[0], "POST", "/tokens", admin_token,
                             {"name": "held", "role": "viewer"})
    assert status == 201, issued
    token, held = issued["token"], Held()
    revision = request(urls[0], "GET", "/status", admin_token)[1]["revision"]
    threads = [held.hold(urls[i % len(urls)], "/notifications/stream", token)
               for i in range(streams)]
    threads += [held.hold(urls[i % len(urls)], f"/notifications?wait=25&since={revision}", token)
                for i in range(queries)]
    held.wait_open()
    time.sleep(0.3)  # the blocking queries are waiting by now too
    status, _ = request(urls[0], "DELETE", f"/tokens/{issued['id']}", admin_token)
    revoked = time.monotonic()
    assert status == 200
    refused = refused_everywhere(urls, token, revoked)
    for thread in threads:
        thread.join(timeout=DEADLINE)
    assert len(held.ended) == held.opened, "a stream is still open"
    assert not held.failures, held.failures
    closing = sorted(t - revoked for t in held.ended)
    return {"held": held.opened, "closed_max_s": closing[-1],
            "closed_median_s": closing[len(closing) // 2], "refused_after_s": refused}
