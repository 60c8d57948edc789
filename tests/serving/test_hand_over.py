"""The pieces of lazyconfig/serving without a server: the WSGI environ, the hand-over of
requests and answers between the event loop and the threads, and whole request bodies.
Plain asyncio drives them with the messages uvicorn would send."""
from __future__ import annotations

import pytest

import asyncio
import threading
import time

from lazyconfig.serving.environ import wsgi_environ
from lazyconfig.serving.threads import STREAM_AHEAD, WsgiOnThreads
from lazyconfig.serving.whole_requests import WholeRequests
from lazyconfig.api.notifications.departure import CLIENT_GONE

pytestmark = pytest.mark.database_independent


def scope(method="GET", path="/", headers=(), query=b"") -> dict:
    return {"type": "http", "method": method, "path": path, "query_string": query,
            "headers": list(headers), "http_version": "1.1", "server": ("127.0.0.1", 7000),
            "client": ("127.0.0.1", 5555), "scheme": "http", "root_path": ""}


def body_messages(*parts: bytes):
    queue = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1}
             for i, p in enumerate(parts)]

    async def receive():
        if queue:
            return queue.pop(0)
        await asyncio.sleep(3600)
    return receive


def serve(app, request_scope, receive) -> list[dict]:
    sent: list[dict] = []

    async def send(message):
        sent.append(message)
    asyncio.run(app(request_scope, receive, send))
    return sent


def test_the_environ_is_pep_3333s():
    environ = wsgi_environ(scope("PUT", "/a/é", [(b"content-type", b"application/json"),
                                                 (b"x-tag", b"a"), (b"x-tag", b"b"),
                                                 (b"content-length", b"2")], b"q=1"), None)
    assert environ["PATH_INFO"] == "/a/é".encode().decode("latin-1")
    assert (environ["REQUEST_METHOD"], environ["QUERY_STRING"]) == ("PUT", "q=1")
    assert (environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]) == ("application/json", "2")
    assert environ["HTTP_X_TAG"] == "a,b"
    assert (environ["REMOTE_ADDR"], environ["SERVER_PORT"]) == ("127.0.0.1", "7000")


def test_an_answer_of_known_length_goes_over_in_one_piece():
    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        start_response("201 Created", [("Content-Length", str(len(body) * 2))])
        return [body, body]
    sent = serve(WsgiOnThreads(app, 2), scope("POST"), body_messages(b"hey"))
    assert sent == [{"type": "http.response.start", "status": 201,
                     "headers": [(b"content-length", b"6")]},
                    {"type": "http.response.body", "body": b"heyhey"}]


def test_an_answer_without_a_length_is_streamed_chunk_by_chunk():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/event-stream")])
        return iter([b"one", b"", b"two"])
    sent = serve(WsgiOnThreads(app, 2), scope(), body_messages(b""))
    assert [m.get("body") for m in sent[1:]] == [b"one", b"two", b""]
    assert [m.get("more_body", False) for m in sent[1:]] == [True, True, False]


def test_a_stream_whose_client_stops_taking_chunks_ends_its_thread():
    produced, closed = [], threading.Event()

    class Endless:
        def __iter__(self):
            while True:
                produced.append(1)
                yield b"x"

        def close(self):
            closed.set()

    def app(environ, start_response):
        start_response("200 OK", [])
        return Endless()

    async def main():
        async def send(message):
            if message.get("body"):
                await asyncio.sleep(3600)  # a client that never reads
        task = asyncio.create_task(WsgiOnThreads(app, 1)(scope(), body_messages(b""), send))
        await asyncio.sleep(0.5)
        assert len(produced) <= STREAM_AHEAD + 2  # back-pressure: not an endless queue
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    asyncio.run(main())
    assert closed.wait(3), "the app's iterable was never closed"


def test_a_whole_body_is_handed_on_with_its_length_and_a_departure_check():
    seen = {}

    async def inner(request_scope, receive, send):
        seen["scope"], seen["first"] = request_scope, await receive()
    app = WholeRequests(inner, max_body=10, body_timeout=5)
    chunked = scope("PUT", headers=[(b"transfer-encoding", b"chunked")])
    serve(app, chunked, body_messages(b"ab", b"cd"))
    assert seen["first"] == {"type": "http.request", "body": b"abcd", "more_body": False}
    assert seen["scope"]["headers"] == [(b"content-length", b"4")]
    assert seen["scope"][CLIENT_GONE]() is False


def test_a_body_over_the_limit_is_cut_one_byte_past_it_for_the_app_to_refuse():
    seen = {}

    async def inner(request_scope, receive, send):
        seen["first"] = await receive()
    serve(WholeRequests(inner, max_body=5, body_timeout=5), scope("PUT"),
          body_messages(b"abcd", b"efgh", b"never read"))
    assert seen["first"]["body"] == b"abcdef"


def test_a_body_slower_than_the_timeout_gets_408_and_never_reaches_the_app():
    async def inner(request_scope, receive, send):
        raise AssertionError("the app was called")

    async def trickle():
        await asyncio.sleep(0.2)
        return {"type": "http.request", "body": b"a", "more_body": True}
    started = time.monotonic()
    sent = serve(WholeRequests(inner, max_body=100, body_timeout=0.5), scope("PUT"), trickle)
    assert 0.5 <= time.monotonic() - started < 2
    assert sent[0]["status"] == 408 and b"body" in sent[1]["body"]


def test_the_departure_check_turns_true_when_the_client_disconnects():
    checks = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.sleep(0.2)
        return {"type": "http.disconnect"}

    async def inner(request_scope, receive, send):
        gone = request_scope[CLIENT_GONE]
        checks.append(gone())
        await asyncio.sleep(0.5)
        checks.append(gone())
    serve(WholeRequests(inner, max_body=10, body_timeout=5), scope(), receive)
    assert checks == [False, True]
