"""Clients that open a change stream or a blocking query and go away at once give their
waiting slot back within a second, against a real gunicorn (issue 15, finding 3): opening
and dropping streams faster than heartbeats fail must not lock everyone else out."""
from __future__ import annotations

import http.client
import time

import pytest

from tests.e2e.conftest import server_database
from tests.support.servers import GunicornServer, server_env, serving

from .servers import PREFIX, SECRET, EventStream, token

pytestmark = pytest.mark.slow
LIMIT = 50  # waiting clients the worker lets in (LAZYCONFIG_MAX_WAITING_CLIENTS)
FREED_WITHIN = 1.0  # seconds after its client closed, a slot is free again


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    workdir, url = server_database(tmp_path_factory, postgres_url, "abandoned")
    env = server_env(url, workdir / "instance", SECRET,
                     LAZYCONFIG_MAX_WAITING_CLIENTS=str(LIMIT))
    # One worker, so that the limit is the limit of the worker every client reaches.
    with serving(env, workdir / "gunicorn.log", workers=1) as gunicorn:
        yield gunicorn


def stream_clients(server: GunicornServer) -> float:
    """The lazyconfig_stream_clients gauge that GET /metrics shows."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    [line] = [line for line in text.splitlines()
              if line.startswith("lazyconfig_stream_clients ")]
    return float(line.split()[1])


def waiting_within(server: GunicornServer, count: int, seconds: float) -> bool:
    """Whether `count` blocking queries wait (the lazyconfig_watchers gauge) within `seconds`."""
    until = time.monotonic() + seconds
    wanted = f'lazyconfig_watchers{{transport="wait"}} {float(count)}'
    while time.monotonic() < until:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            if wanted in conn.getresponse().read().decode().splitlines():
                return True
        finally:
            conn.close()
        time.sleep(0.1)
    return False


def stream(server: GunicornServer) -> EventStream:
    return EventStream(server, token("watcher", "viewer"), timeout=10)


def open_streams(server: GunicornServer, count: int) -> list[EventStream]:
    """`count` streams opened one after another, each with its answer's status."""
    opened = [stream(server) for _ in range(count)]
    for each in opened:
        if each.status == 200:
            each.opened()
    return opened


def blocking_query(server: GunicornServer) -> http.client.HTTPConnection:
    """A blocking query sent and left waiting: its answer is never read."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", f"{PREFIX}/notifications?since=1000000&wait=60",
                 headers={"Authorization": f"Bearer {token('watcher', 'viewer')}"})
    return conn


def refused_within(server: GunicornServer, seconds: float) -> bool:
    """Whether a new stream is refused (503) within `seconds`."""
    until = time.monotonic() + seconds
    while True:
        probe = stream(server)
        probe.close()
        if probe.status == 503:
            return True
        if time.monotonic() >= until:
            return False
        time.sleep(0.1)


def close_all(clients) -> None:
    for client in clients:
        client.close()


def assert_every_slot_is_free(server: GunicornServer) -> None:
    """LIMIT new streams are each accepted at the first try, and the next one is not."""
    again = open_streams(server, LIMIT + 1)
    try:
        statuses = [each.status for each in again]
        assert statuses == [200] * LIMIT + [503], (
            f"{statuses.count(200)} of {LIMIT} new streams accepted")
    finally:
        close_all(again)


def test_streams_dropped_at_once_give_their_slots_back_within_a_second(server):
    dropped = open_streams(server, LIMIT)
    assert [each.status for each in dropped] == [200] * LIMIT
    assert stream_clients(server) == LIMIT and refused_within(server, 0)
    close_all(dropped)
    time.sleep(FREED_WITHIN)
    assert stream_clients(server) == 0, "closed streams still hold their slots"
    assert_every_slot_is_free(server)


def test_blocking_queries_dropped_at_once_give_their_slots_back_within_a_second(server):
    time.sleep(FREED_WITHIN)  # the last test's streams are gone
    dropped = [blocking_query(server) for _ in range(LIMIT)]
    # Each is admitted on a thread of its own: a probe sent meanwhile could take a place.
    assert waiting_within(server, LIMIT, 10), "the blocking queries never filled the worker"
    assert refused_within(server, 0)
    close_all(dropped)
    time.sleep(FREED_WITHIN)
    assert_every_slot_is_free(server)
