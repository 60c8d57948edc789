"""Waiting for changes over HTTP, in process: the event stream's format, resume, filter,
masking, heartbeat and limits, and the blocking query. The cross-worker behaviour is in
cluster/."""
from __future__ import annotations

import json
import threading
import time

import pytest

from lazyconfig.api.notifications import waiting
from lazyconfig.api.notifications.schemas import MAX_WAIT, NotificationQuerySchema

from .conftest import PREFIX

KEY = "load_timeout"
STREAM = f"{PREFIX}/notifications/stream"


class Stream:
    """A stream from the test client, read one block (one server write) at a time."""

    def __init__(self, client, headers, query=""):
        self.response = client.get(STREAM + query, headers=headers, buffered=False)
        self.status = self.response.status_code
        self._chunks = iter(self.response.response) if self.status == 200 else iter(())

    def block(self) -> str:
        return next(self._chunks).decode()

    def event(self) -> dict:
        """The next change event (skipping comments and the opening block)."""
        while True:
            text = self.block()
            lines = dict(line.split(": ", 1) for line in text.strip().split("\n")
                         if not line.startswith(":") and ": " in line)
            if "data" in lines:
                assert lines["event"] == "change"
                data = json.loads(lines["data"])
                assert int(lines["id"]) == data["revision"]
                return data

    def close(self):
        self.response.close()


@pytest.fixture
def streams():
    opened: list[Stream] = []
    yield opened
    for stream in opened:
        stream.close()


@pytest.fixture
def open_stream(client, as_role, streams):
    def make(headers=None, query=""):
        stream = Stream(client, headers or as_role("viewer"), query)
        streams.append(stream)
        return stream
    return make


def test_a_stream_replays_what_was_missed_then_goes_live(client, engine, as_role, open_stream):
    for value in (10.0, 20.0, 30.0):
        engine.set(KEY, value, user="alice")
    stream = open_stream({**as_role("viewer"), "Last-Event-ID": "1"})
    assert stream.status == 200
    assert stream.response.mimetype == "text/event-stream"
    assert stream.response.headers["Cache-Control"] == "no-cache"
    assert [stream.event()["new_value"] for _ in range(2)] == [20.0, 30.0]
    engine.set(KEY, 40.0, user="bob")
    live = stream.event()
    assert (live["revision"], live["new_value"], live["user"]) == (4, 40.0, "bob")
    # The data is the same JSON as GET /notifications shows for that revision.
    [listed] = client.get(f"{PREFIX}/notifications?since=3", headers=as_role("viewer")).json[
        "notifications"]
    assert live == listed


def test_without_last_event_id_a_stream_starts_now_and_says_where(engine, open_stream):
    engine.set(KEY, 10.0)
    stream = open_stream()
    opening = stream.block()
    assert "id: 1\n" in opening and "retry: " in opening and "data:" not in opening
    engine.set(KEY, 20.0)
    assert stream.event()["revision"] == 2


def test_last_event_id_in_the_query_and_zero_replays_everything(engine, as_role, open_stream):
    engine.set(KEY, 10.0)
    engine.set(KEY, 20.0)
    stream = open_stream(query="?last_event_id=0")
    assert [stream.event()["revision"] for _ in range(2)] == [1, 2]
    header_wins = open_stream({**as_role("viewer"), "Last-Event-ID": "1"},
                              query="?last_event_id=0")
    assert header_wins.event()["revision"] == 2


def test_a_long_replay_comes_in_pages_without_gaps(engine, open_stream, monkeypatch):
    monkeypatch.setattr(waiting, "CATCH_UP_PAGE", 3)
    for n in range(1, 11):
        engine.set(KEY, float(n))
    stream = open_stream(query="?last_event_id=2")
    assert [stream.event()["revision"] for _ in range(8)] == list(range(3, 11))
    engine.set(KEY, 99.0)
    assert stream.event()["revision"] == 11


def test_key_filter(engine, open_stream):
    engine.set("max_concurrent_loads", 8)
    engine.set(KEY, 10.0)
    stream = open_stream(query=f"?key={KEY}&last_event_id=0")
    assert stream.event()["key"] == KEY
    engine.set("max_concurrent_loads", 9)
    engine.set(KEY, 11.0)
    assert (stream.event()["key"], engine.revision) == (KEY, 4)


def test_sensitive_values_are_masked_below_admin(client, as_role, open_stream):
    rule = {"type": "string", "default": "", "sensitive": True}
    assert client.put(f"{PREFIX}/rules/api_token", json=rule,
                      headers=as_role("admin")).status_code == 200
    viewer = open_stream()
    admin = open_stream(as_role("admin"))
    assert client.put(f"{PREFIX}/values/api_token", json={"value": "s3cr3t"},
                      headers=as_role("admin")).status_code == 200
    assert viewer.event()["new_value"] == "***"
    assert admin.event()["new_value"] == "s3cr3t"
    replayed = open_stream(query="?last_event_id=0&key=api_token")
    assert [replayed.event()["new_value"] for _ in range(2)] == ["***", "***"]


def test_auth_and_bad_requests(client, as_role, open_stream):
    assert client.get(STREAM).status_code == 401
    assert open_stream(query="?key=no_such_key").status == 404
    assert open_stream({**as_role("viewer"), "Last-Event-ID": "abc"}).status == 422
    assert open_stream(query="?last_event_id=-1").status == 422


def test_an_idle_stream_sends_heartbeat_comments(open_stream, monkeypatch):
    monkeypatch.setattr(waiting, "HEARTBEAT_SECONDS", 0.05)
    stream = open_stream()
    stream.block()  # the opening
    assert stream.block() == ": heartbeat\n\n"


def test_a_stream_ends_when_its_token_expires(as_role, open_stream):
    stream = open_stream(as_role("viewer", expires_in=1))
    began = time.monotonic()
    with pytest.raises(StopIteration):
        while True:
            stream.block()
    assert time.monotonic() - began < 5


def test_waiters_beyond_the_limit_get_503_with_retry_after(app, client, as_role, open_stream):
    waiting.change_feed(app).max_listeners = 1  # as gunicorn.conf.py sizes it
    first = open_stream()
    full = open_stream()
    assert full.status == 503 and full.response.headers["Retry-After"]
    blocking = client.get(f"{PREFIX}/notifications?since=0&wait=1", headers=as_role("viewer"))
    assert blocking.status_code == 503
    first.close()
    assert open_stream().status == 200


def test_closing_the_feed_ends_every_stream(app, open_stream):
    stream = open_stream()
    stream.block()
    waiting.change_feed(app).close()
    with pytest.raises(StopIteration):
        stream.block()
    assert open_stream().status == 503


def later(seconds, action):
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def blocking_get(client, as_role, query):
    began = time.monotonic()
    response = client.get(f"{PREFIX}/notifications?{query}", headers=as_role("viewer"))
    assert response.status_code == 200, response.json
    return response.json["notifications"], time.monotonic() - began


def test_a_blocking_query_answers_as_soon_as_a_change_is_made(client, engine, as_role):
    engine.set(KEY, 10.0)
    timer = later(0.3, lambda: engine.set(KEY, 20.0, user="late"))
    found, took = blocking_get(client, as_role, "since=1&wait=10")
    timer.join()
    assert [(n["revision"], n["user"]) for n in found] == [(2, "late")]
    assert 0.25 < took < 5


def test_a_blocking_query_answers_at_once_when_changes_exist(client, engine, as_role):
    engine.set(KEY, 10.0)
    found, took = blocking_get(client, as_role, "since=0&wait=10")
    assert [n["revision"] for n in found] == [1] and took < 2


def test_a_blocking_query_times_out_with_an_empty_list(client, as_role):
    found, took = blocking_get(client, as_role, "since=0&wait=0.3")
    assert found == [] and 0.25 < took < 3


def test_a_blocking_query_on_one_key_ignores_changes_to_others(client, engine, as_role):
    timers = [later(0.1, lambda: engine.set("max_concurrent_loads", 8)),
              later(0.5, lambda: engine.set(KEY, 5.0))]
    found, took = blocking_get(client, as_role, f"since=0&key={KEY}&wait=10")
    for timer in timers:
        timer.join()
    assert [n["key"] for n in found] == [KEY] and took >= 0.45


def test_wait_needs_since_and_is_capped(client, as_role):
    response = client.get(f"{PREFIX}/notifications?wait=5", headers=as_role("viewer"))
    assert response.status_code == 422 and "wait" in response.json["errors"]["query"]
    assert client.get(f"{PREFIX}/notifications?since=0&wait=-1",
                      headers=as_role("viewer")).status_code == 422
    assert NotificationQuerySchema().load({"since": "0", "wait": "3600"})["wait"] == MAX_WAIT
