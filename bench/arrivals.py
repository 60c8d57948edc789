"""Clients that note when each change reaches them: a reader of the SSE change stream, and a
subscriber in another Python process holding its own ConfigurationEngine. Every time is
time.monotonic(), which on Linux is CLOCK_MONOTONIC, one clock for all processes.

`python -m bench.arrivals` is that subscriber: it prints "ready" once subscribed, then
"<revision> <time>" for each change, until its stdin closes.
"""
from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from .latency import PREFIX

ROOT = Path(__file__).resolve().parents[1]


class Arrivals:
    """revision -> when it arrived, filled by one thread and awaited by another."""

    def __init__(self) -> None:
        self._times: dict[int, float] = {}
        self._arrived = threading.Condition()

    def record(self, revision: int, at: float) -> None:
        with self._arrived:
            self._times[revision] = at
            self._arrived.notify_all()

    def wait_for(self, revision: int, timeout: float) -> float | None:
        """When `revision` arrived, or None if it has not within `timeout` seconds."""
        with self._arrived:
            self._arrived.wait_for(lambda: revision in self._times, timeout)
            return self._times.get(revision)


class ChangeStream:
    """GET /notifications/stream, read on a thread of its own; a change's time is taken when
    the block that carries it ends."""

    def __init__(self, url: str, token: str, timeout: float = 60.0):
        self.arrivals = Arrivals()
        parts = urlsplit(url)
        self._conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        self._conn.request("GET", f"{PREFIX}/notifications/stream",
                           headers={"Authorization": f"Bearer {token}",
                                    "Accept": "text/event-stream"})
        self._response = self._conn.getresponse()
        self._closing = False
        if self._response.status != 200:
            raise RuntimeError(f"the change stream answered {self._response.status}")
        self._thread = threading.Thread(target=self._read, name="bench-sse", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        revision, has_data = None, False
        try:
            while raw := self._response.readline():
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    revision = int(line[3:])
                elif line.startswith("data:"):
                    has_data = True
                elif not line and has_data:  # comments and the opening id-only block skip
                    self.arrivals.record(revision, time.monotonic())
                    has_data = False
        except (OSError, http.client.HTTPException):
            if not self._closing:  # a stream that dies on its own must not go unnoticed
                raise

    def close(self) -> None:
        self._closing = True
        try:
            self._conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the reader's blocked recv
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._conn.close()

    def __enter__(self) -> "ChangeStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Subscriber:
    """`python -m bench.arrivals` with `env` (LAZYCONFIG_DATABASE_URL and the rest)."""

    def __init__(self, env: Mapping[str, str], log_path: Path, timeout: float = 60.0):
        self.arrivals = Arrivals()
        with open(log_path, "ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "bench.arrivals"], cwd=ROOT, env=dict(env), text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            self.close()
            raise RuntimeError(f"the subscriber did not start; see {log_path}")

    def _read(self, ready: threading.Event) -> None:
        for line in self._process.stdout:
            if line.startswith("ready"):
                ready.set()
                continue
            revision, at = line.split()
            self.arrivals.record(int(revision), float(at))

    def close(self) -> None:
        self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> "Subscriber":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def report_changes() -> None:
    """The subscriber process: an engine on the configured database, reporting each change."""
    from lazyconfig import ConfigurationEngine, bootstrap
    engine = bootstrap()
    engine.subscribe(lambda change: print(change.revision, time.monotonic(), flush=True))
    print("ready", flush=True)
    sys.stdin.read()
    engine.close()


if __name__ == "__main__":
    report_changes()
