"""Watchers on the event loop against a real two-worker server (issue 17): the WebSocket's
resume, auth and masking; SSE, blocking queries and WebSockets agreeing event for event; a
client that stops reading cut off without holding memory; no event lost for clients that
resume after a worker is SIGKILLed. Small on purpose (a few clients); the 10,000-watcher
run is bench/scenarios/fanout.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import threading
import time
from urllib.parse import quote

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.coherence.servers import EventStream, serving_pid
from tests.e2e.conftest import server_database
from tests.support.servers import server_env, serving

from lazyconfig.auth import create_token
from lazyconfig.client import ConfigClient, LiveConfig

pytestmark = pytest.mark.slow
SECRET = "watchers-secret-that-is-long-enough-0123456789"
PREFIX = "/api/lazy-loading-config"
KEY, OTHER = "load_timeout", "max_concurrent_loads"
READ_TIMEOUT = 10.0


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    workdir, url = server_database(tmp_path_factory, postgres_url, "watchers")
    with serving(server_env(url, workdir / "instance", SECRET),
                 workdir / "gunicorn.log") as gunicorn:
        yield gunicorn


def token(role: str = "viewer", ttl: int = 3600) -> str:
    return create_token(SECRET, f"a-{role}", role, ttl)


def call(server, method: str, path: str, body=None, role: str = "admin"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=READ_TIMEOUT)
    try:
        conn.request(method, PREFIX + path, None if body is None else json.dumps(body),
                     {"Authorization": f"Bearer {token(role)}",
                      "Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def put(server, key: str, value) -> int:
    status, _ = call(server, "PUT", f"/values/{key}", {"value": value})
    assert status == 200
    return head(server)


def head(server) -> int:
    _, body = call(server, "GET", "/notifications?limit=1")
    return body["notifications"][-1]["revision"] if body["notifications"] else 0


def socket_to(server, role: str = "viewer", *, query: str = "", headers=None, sock=None,
              subprotocols=("lazyconfig.v1",)):
    wanted = {"Authorization": f"Bearer {token(role)}"} if headers is None else headers
    return connect(f"ws://127.0.0.1:{server.port}{PREFIX}/notifications/ws{query}",
                   subprotocols=list(subprotocols) or None, additional_headers=wanted, sock=sock,
                   open_timeout=READ_TIMEOUT, max_size=None)


def subscribe(ws, **fields) -> int:
    """Subscribe; returns the revision of the progress that ends the catch-up."""
    return catch_up(ws, **fields)[1]


def catch_up(ws, **fields) -> tuple[list[int], int]:
    """Subscribe; the revisions of the catch-up, and that of the progress that ends it."""
    ws.send(json.dumps({"type": "subscribe", **fields}))
    got = list(messages(ws, until="progress"))
    assert all(m["type"] == "change" for m in got[:-1]), got
    return [m["change"]["revision"] for m in got[:-1]], got[-1]["revision"]


def messages(ws, until: str | None = None, count: int | None = None):
    """Messages as they come: up to the first of type `until`, or `count` changes."""
    seen = 0
    while True:
        message = json.loads(ws.recv(timeout=READ_TIMEOUT))
        if message["type"] == "progress" and until != "progress":
            continue
        yield message
        seen += message["type"] == "change"
        if message["type"] in (until, "error") or (count is not None and seen == count):
            return


def changes(ws, count: int) -> list[dict]:
    return [m["change"] for m in messages(ws, count=count) if m["type"] == "change"]


def metrics(server) -> dict[str, float]:
    """GET /metrics as {series: value}."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=READ_TIMEOUT)
    try:
        conn.request("GET", "/metrics")
        lines = conn.getresponse().read().decode().splitlines()
    finally:
        conn.close()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in lines if line and not line.startswith("#")}


def test_a_websocket_resumes_with_exactly_the_revisions_it_missed(server):
    with socket_to(server) as ws:
        start = subscribe(ws)
        written = [put(server, KEY, 40.0 + n) for n in range(3)]
        assert [c["revision"] for c in changes(ws, 3)] == written
    missed = [put(server, KEY, 50.0 + n) for n in range(4)]
    with socket_to(server) as ws:
        assert subscribe(ws, since=written[-1]) == missed[-1]
        live = put(server, OTHER, 7)
        [change] = changes(ws, 1)
        assert (change["revision"], change["key"], change["new_value"]) == (live, OTHER, 7)
    with socket_to(server) as ws:  # the catch-up itself, as the change log has it
        ws.send(json.dumps({"type": "subscribe", "since": written[-1], "keys": [KEY]}))
        got = [m for m in messages(ws, until="progress")]
    assert [m["change"]["revision"] for m in got[:-1]] == missed
    assert [m["change"]["new_value"] for m in got[:-1]] == [50.0, 51.0, 52.0, 53.0]
    assert start < written[0]


def test_sse_blocking_queries_and_websockets_deliver_the_same_events_in_order(server):
    start = head(server)
    stream = EventStream(server, token(), last_event_id=start)
    polled: list[dict] = []

    def poll():
        since = start
        while len(polled) < 10:
            status, body = call(server, "GET", f"/notifications?since={since}&wait=5",
                                role="viewer")
            assert status == 200
            polled.extend(body["notifications"])
            since = polled[-1]["revision"] if polled else since
    with socket_to(server) as ws:
        subscribe(ws, since=start)
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        for n in range(10):
            put(server, (KEY, OTHER)[n % 2], 60.0 + n if n % 2 == 0 else n + 1)
        over_ws = changes(ws, 10)
        gauges = metrics(server)
        assert gauges['lazyconfig_watchers{transport="websocket"}'] >= 1
        assert gauges["lazyconfig_fanout_lag_seconds_count"] >= 10
    poller.join(READ_TIMEOUT)
    over_sse = [stream.next_event().data for _ in range(10)]
    stream.close()
    assert [c["revision"] for c in over_ws] == list(range(start + 1, start + 11))
    assert over_ws == over_sse == polled[:10]


@pytest.fixture
def secret_rule(server):
    rule = {"type": "string", "default": "", "sensitive": True}
    assert call(server, "PUT", "/rules/api_token", rule)[0] == 200
    return "api_token"


def test_websocket_auth_subprotocol_and_masking(server, secret_rule):
    refusals = {"no token": dict(headers={}), "bad token": dict(headers={
        "Authorization": "Bearer not-a-token"}), "no subprotocol": dict(subprotocols=())}
    statuses = {}
    for name, options in refusals.items():
        with pytest.raises(InvalidStatus) as refused:
            socket_to(server, **options)
        body = json.loads(refused.value.response.body)
        statuses[name] = (refused.value.response.status_code, body["code"])
    assert statuses == {"no token": (401, 401), "bad token": (401, 401),
                        "no subprotocol": (400, 400)}
    with socket_to(server, "viewer") as viewer, socket_to(
            server, headers={}, query=f"?token={quote(token('admin'))}") as admin:
        for ws in (viewer, admin):
            subscribe(ws, keys=["api_token"])
        put(server, "api_token", "s3cr3t")
        assert changes(viewer, 1)[0]["new_value"] == "***"
        assert changes(admin, 1)[0]["new_value"] == "s3cr3t"
        viewer.send(json.dumps({"type": "subscribe", "keys": ["no_such_key"]}))
        assert next(messages(viewer))["code"] == 404
        viewer.send("not json")
        assert next(messages(viewer))["code"] == 400


def test_a_websocket_whose_token_expires_is_closed_with_4001(server):
    with socket_to(server, headers={"Authorization": f"Bearer {token(ttl=2)}"}) as ws:
        subscribe(ws)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=READ_TIMEOUT)
    assert closed.value.rcvd.code == 4001


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def stalled_subscriber(server) -> socket.socket:
    """A WebSocket subscribed to every change that never reads again: the handshake and
    one masked frame by hand, on a socket with a small receive window."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)  # no autotuning
    sock.connect(("127.0.0.1", server.port))
    sock.sendall((f"GET {PREFIX}/notifications/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Protocol: lazyconfig.v1\r\n"
                  f"Authorization: Bearer {token()}\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    payload = json.dumps({"type": "subscribe"}).encode()
    mask = os.urandom(4)
    sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask
                 + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    return sock


def close_code(sock: socket.socket) -> int | None:
    """Read what the server sent up to its close frame; that frame's code."""
    sock.settimeout(READ_TIMEOUT)
    data = b""
    while chunk := sock.recv(1 << 20):
        data += chunk
        while len(data) >= 2:  # frames from the server are unmasked
            opcode, size, at = data[0] & 0x0F, data[1] & 0x7F, 2
            if size == 126:
                size, at = int.from_bytes(data[2:4], "big"), 4
            elif size == 127:
                size, at = int.from_bytes(data[2:10], "big"), 10
            if len(data) < at + size:
                break
            if opcode == 0x8:
                return int.from_bytes(data[at:at + 2], "big")
            data = data[at + size:]
    return None


def test_a_client_that_stops_reading_is_cut_off_and_its_memory_returns(server):
    assert call(server, "PUT", "/rules/release_notes", {"type": "string", "default": ""})[0] == 200
    big = 60  # events of 128 KiB: more than the kernel's buffers and the 1 MiB cut-off

    def write_big(reader) -> int:
        """The writes, while `reader` reads them as a client that keeps up does."""
        got: list[dict] = []
        reading = threading.Thread(target=lambda: got.extend(changes(reader, big)))
        reading.start()
        for n in range(big):
            put(server, "release_notes", f"{n % 10}" * (64 * 1024))
        reading.join(timeout=60)
        return len(got)
    with socket_to(server) as fast:
        subscribe(fast)
        assert write_big(fast) == big  # the same work once without the stalled client
        slow = stalled_subscriber(server)
        pid = serving_pid(server, slow.getsockname()[1])
        before = rss_kib(pid)
        assert write_big(fast) == big  # the others are not held back
        assert close_code(slow) == 4002
        slow.close()
    time.sleep(1.0)
    assert rss_kib(pid) <= before * 1.10


def test_clients_that_resume_after_a_sigkilled_worker_lose_no_event(server):
    with socket_to(server) as ws:
        last = subscribe(ws)
        pid = serving_pid(server, ws.socket.getsockname()[1])
        stream = EventStream(server, token(), last_event_id=last)
        os.kill(pid, signal.SIGKILL)
        written = [put(server, KEY, 70.0 + n) for n in range(5)]
        with pytest.raises((ConnectionClosed, OSError)):
            ws.recv(timeout=READ_TIMEOUT)
    stream.close()
    with socket_to(server) as ws:
        assert catch_up(ws, since=last) == (written, written[-1])
    resumed = EventStream(server, token(), last_event_id=last)
    assert [resumed.next_event().id for _ in written] == written
    resumed.close()


def test_the_python_client_follows_changes_over_the_websocket(server):
    client = ConfigClient(f"http://127.0.0.1:{server.port}", token("viewer"))
    with LiveConfig(client, transport="websocket") as live:
        revision = put(server, KEY, 91.0)
        assert live.wait_for(revision, READ_TIMEOUT)
        assert live.get(KEY) == 91.0
    stream = client.watch(last_event_id=revision - 1, transport="websocket")
    try:
        first = next(iter(stream))
        assert (first.revision, first.new_value) == (revision, 91.0)
    finally:
        stream.close()
