"""Server-sent events and blocking queries against real gunicorn: a change made through one
worker (on PostgreSQL: one instance) reaches streams and waiting queries on the others."""
from __future__ import annotations

import threading
import time

import pytest

from ..servers import EventStream, start, token

pytestmark = pytest.mark.slow
KEY = "reloading_check_interval"
STREAMS = 50


def put(client, value: float) -> tuple[int, float]:
    """PUT through `client`; returns the change's revision and when it was acknowledged."""
    reply = client.request("PUT", f"/values/{KEY}", {"value": value})
    assert reply.status == 200, reply.body
    return reply.body["version"], time.monotonic()


def test_a_stream_on_one_worker_gets_writes_made_through_another(cluster):
    watcher, writer = cluster.clients(2)
    stream = cluster.stream(via=watcher)
    assert stream.status == 200
    stream.opened()
    assert (writer.instance.port, writer.pid) != (stream.instance.port, stream.pid)
    latencies = []
    for n in range(10):
        revision, acknowledged = put(writer, 10.0 + n)
        event = stream.next_event()
        latencies.append(time.monotonic() - acknowledged)
        assert (event.id, event.event, event.data["new_value"]) == (revision, "change", 10.0 + n)
        assert event.data["user"] == "tester"
    print(f"\nSSE latency after the write's acknowledgement: max {max(latencies) * 1000:.0f} ms, "
          f"median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms")
    assert max(latencies) < 3


def test_a_reconnect_with_last_event_id_gets_exactly_the_missed_changes(cluster):
    clients = cluster.clients(4)
    first = cluster.stream(via=clients[0], key=KEY)
    first.opened()
    seen = [put(clients[1], 1.0 + n)[0] for n in range(3)]
    assert [first.next_event().id for _ in seen] == seen
    first.close()
    missed = [put(clients[2], 5.0 + n)[0] for n in range(7)]
    again = cluster.stream(via=clients[3], key=KEY, last_event_id=seen[-1])
    assert [again.next_event().id for _ in missed] == missed
    # Nothing more was replayed: the next event is a change made after the reconnect.
    sentinel, _ = put(clients[1], 99.0)
    assert again.next_event().id == sentinel


def test_fifty_streams_all_receive_a_write(cluster):
    streams = [cluster.stream() for _ in range(STREAMS)]
    assert {s.status for s in streams} == {200}
    for stream in streams:
        stream.opened()
    [writer] = cluster.clients(1)
    revision, acknowledged = put(writer, 42.0)
    received = [stream.next_event() for stream in streams]
    took = time.monotonic() - acknowledged
    assert {event.id for event in received} == {revision}
    assert {event.data["new_value"] for event in received} == {42.0}
    workers = {(stream.instance.port, stream.pid) for stream in streams}
    print(f"\n{STREAMS} streams on {len(workers)} workers all had the write "
          f"{took * 1000:.0f} ms after its acknowledgement")
    assert len(workers) > 1


def test_a_blocking_query_on_one_worker_returns_on_a_write_through_another(cluster):
    waiter, writer = cluster.clients(2)
    head = waiter.request("GET", "/notifications", query={"limit": 1}).body["notifications"]
    since = head[-1]["revision"] if head else 0
    answer = {}

    def wait():
        began = time.monotonic()
        answer["reply"] = waiter.request("GET", "/notifications",
                                         query={"since": since, "wait": 20, "key": KEY})
        answer["took"] = time.monotonic() - began

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.5)
    revision, _ = put(writer, 7.0)
    thread.join(25)
    reply = answer["reply"]
    assert reply.status == 200
    assert [n["revision"] for n in reply.body["notifications"]] == [revision]
    assert 0.4 < answer["took"] < 5
    quiet = waiter.request("GET", "/notifications",
                           query={"since": revision, "wait": 0.5, "key": KEY})
    assert quiet.body["notifications"] == []


def test_a_graceful_stop_ends_open_streams_at_once(cluster, tmp_path):
    database_url = cluster.engine.settings.database_url
    instance = start(database_url, tmp_path, 1, "draining")
    try:
        streams = [EventStream(instance, token("watcher", "viewer")) for _ in range(3)]
        for stream in streams:
            stream.opened()
    finally:
        instance.stop()
    try:
        for stream in streams:
            with pytest.raises(EOFError):
                stream.next_event()
    finally:
        for stream in streams:
            stream.close()
    assert instance.stop_seconds < 5
    assert "Traceback" not in instance.log()
