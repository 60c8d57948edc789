"""Real gunicorn servers for the coherence scenarios, and HTTP clients that know which worker
answers them.

A WorkerClient keeps one keep-alive connection to one worker process and knows which: it
finds the worker that accepted its connection through /proc (the server-side socket's
inode, in that worker's file descriptors). That lets a test write through one worker and
read through another, on purpose, every time.
"""
from __future__ import annotations

import http.client
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lazyconfig.auth import create_token
from tests.support.servers import GunicornServer, server_env

SECRET = "coherence-gunicorn-secret-that-is-long-enough-0123"
PREFIX = "/api/lazy-loading-config"
TIMEOUT = 15.0

Instance = GunicornServer


def token(user: str, role: str) -> str:
    return create_token(SECRET, user, role, 3600)


def start(database_url: str, workdir: Path, workers: int, name: str) -> Instance:
    """gunicorn -c gunicorn.conf.py with `workers` workers; returns once every worker answers."""
    env = server_env(database_url, workdir / f"instance-{name}", SECRET)
    # A run directory per instance: two instances are two machines, each with its own
    # host head, and the read leases must keep read-your-writes between them.
    env["LAZYCONFIG_RUN_DIR"] = str(workdir / f"run-{name}")
    return GunicornServer(env, workdir / f"gunicorn-{name}.log", workers=workers,
                          extra_args=("--access-logfile", "/dev/null")).start()


def _socket_inode(local_port: int, remote_port: int) -> int | None:
    """The inode of the TCP socket 127.0.0.1:local_port <-> 127.0.0.1:remote_port."""
    wanted = (f"{local_port:04X}", f"{remote_port:04X}")
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if (parts[1].rsplit(":", 1)[1], parts[2].rsplit(":", 1)[1]) == wanted:
                return int(parts[9])
    return None


def serving_pid(instance: Instance, client_port: int) -> int | None:
    """The worker whose accepted socket is the other end of our connection from client_port."""
    inode = _socket_inode(instance.port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in instance.worker_pids():
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class WorkerClient:
    """Requests over one keep-alive connection; `pid` is the worker that serves it."""

    def __init__(self, instance: Instance, conn: http.client.HTTPConnection, bearer: str):
        self.instance = instance
        self.bearer = bearer
        self._conn: http.client.HTTPConnection | None = conn
        self.pid = serving_pid(instance, conn.sock.getsockname()[1])

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None, query: dict | None = None) -> Reply:
        url = PREFIX + path + (f"?{urlencode(query)}" if query else "")
        sent = {"Authorization": f"Bearer {self.bearer}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            sent["Content-Type"] = "application/json"
        for attempt in range(3):
            if self._conn is None:  # the server closed the last one: whoever accepts now
                self._conn = opened(self.instance)
                self.pid = serving_pid(self.instance, self._conn.sock.getsockname()[1])
            try:
                self._conn.request(method, url, body=payload, headers=sent)
                response = self._conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionError, http.client.BadStatusLine):
                # A kept-alive connection the server closed meanwhile; nothing was applied.
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return Reply(response.status, response.headers, json.loads(data) if data else None)
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def hand_over_connection(self) -> http.client.HTTPConnection | None:
        """Give this client's open connection (and its worker) to someone else."""
        conn, self._conn = self._conn, None
        return conn


def opened(instance: Instance) -> http.client.HTTPConnection:
    """A keep-alive connection some worker has accepted (it answered a health check)."""
    conn = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=TIMEOUT)
    conn.request("GET", "/api/health")
    conn.getresponse().read()
    return conn


def spread_connections(instance: Instance, count: int,
                       bursts: int = 30) -> dict[int, list[http.client.HTTPConnection]]:
    """At least `count` connections as {pid: connections}, spread over as many workers as
    bursts of parallel connections reach. The kernel hands a new connection to whichever
    worker accepts first, which favours some workers heavily; bursts reach the others too,
    usually all of them."""
    found: dict[int, list[http.client.HTTPConnection]] = {}
    fair_share = -(-count // instance.workers)
    for attempt in range(bursts):
        with ThreadPoolExecutor(max_workers=16) as pool:
            burst = list(pool.map(lambda _: opened(instance), range(16)))
        for conn in burst:
            pid = serving_pid(instance, conn.sock.getsockname()[1])
            held = found.setdefault(pid, []) if pid is not None else None
            if held is not None and len(held) < count:
                held.append(conn)
            else:
                conn.close()
        everywhere = (len(found) == instance.workers and
                      all(len(c) >= fair_share for c in found.values()))
        enough = (len(found) >= min(count, instance.workers) and
                  sum(len(c) for c in found.values()) >= count)
        if everywhere or (attempt >= 2 and enough):
            break
    return found


@dataclass
class Event:
    id: int
    event: str | None
    data: dict[str, Any]


class EventStream:
    """GET /notifications/stream, read block by block. Every read has a deadline: a stream
    that stays silent too long fails the test instead of hanging it."""

    def __init__(self, instance: Instance, bearer: str, *,
                 conn: http.client.HTTPConnection | None = None, key: str | None = None,
                 last_event_id: int | None = None, timeout: float = TIMEOUT):
        self.instance = instance
        self._conn = conn or http.client.HTTPConnection("127.0.0.1", instance.port,
                                                        timeout=timeout)
        headers = {"Authorization": f"Bearer {bearer}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        query = f"?{urlencode({'key': key})}" if key else ""
        self._conn.request("GET", f"{PREFIX}/notifications/stream{query}", headers=headers)
        self._conn.sock.settimeout(timeout)
        self.response = self._conn.getresponse()
        self.status = self.response.status
        self.pid = serving_pid(instance, self._conn.sock.getsockname()[1])
        self.last_id: int | None = None

    def _block(self) -> list[str]:
        lines: list[str] = []
        while True:
            raw = self.response.readline()
            if not raw:
                raise EOFError("the stream ended")
            line = raw.decode().rstrip("\r\n")
            if line:
                lines.append(line)
            elif lines:
                return lines

    def next_event(self) -> Event:
        """The next `change` event (comments and id-only blocks are taken in passing)."""
        while True:
            fields: dict[str, str] = {}
            for line in self._block():
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
            if "id" in fields:
                self.last_id = int(fields["id"])
            if "data" in fields:
                return Event(int(fields["id"]), fields.get("event"), json.loads(fields["data"]))

    def opened(self) -> int:
        """Read the opening block; returns the resume point it announced."""
        while self.last_id is None:
            self._block_into_last_id()
        return self.last_id

    def _block_into_last_id(self) -> None:
        for line in self._block():
            if line.startswith("id:"):
                self.last_id = int(line[3:].strip())

    def close(self) -> None:
        self._conn.close()
