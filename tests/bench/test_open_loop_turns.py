"""The open-loop client against two real HTTP servers on loopback: it takes the targets in
turns (A B, B A, ...), sends each the requests its rate asks for, and keeps its connections
open from one turn to the next."""
from __future__ import annotations

import pytest

import itertools
import threading
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.loadgen_python import in_turns
from bench.loadgen_types import Target

pytestmark = pytest.mark.database_independent

RATE, SECONDS, STRETCHES, CONNECTIONS = 200.0, 1.0, 4, 4


class Recorder:
    def __init__(self) -> None:
        self.arrivals: list[str] = []  # which server, in the order requests arrived
        self.connections: dict[str, int] = {}
        self.lock = threading.Lock()


@contextmanager
def server(name: str, recorder: Recorder):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers

        def setup(self) -> None:
            super().setup()
            with recorder.lock:
                recorder.connections[name] = recorder.connections.get(name, 0) + 1

        def do_GET(self) -> None:
            with recorder.lock:
                recorder.arrivals.append(name)
            body = b'{"value": 1}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Target(f"http://127.0.0.1:{httpd.server_port}/value")
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_targets_take_turns_on_connections_kept_open():
    recorder = Recorder()
    with ExitStack() as stack:
        targets = {name: stack.enter_context(server(name, recorder)) for name in ("a", "b")}
        loads = in_turns(targets, SECONDS, CONNECTIONS, RATE, STRETCHES)

    per_stretch = RATE * SECONDS / STRETCHES
    for name in ("a", "b"):
        load = loads[name]
        assert load.requests == STRETCHES * per_stretch
        assert load.socket_errors == load.non_2xx == 0
        assert load.rate == RATE
        assert 0 < load.p50_ms <= load.p99_ms
        assert SECONDS * 0.9 <= load.seconds < SECONDS * 3
        assert recorder.connections[name] <= CONNECTIONS
    # Turns a, b | b, a | a, b | b, a: runs of one server's requests, never interleaved.
    turns = [name for name, _ in itertools.groupby(recorder.arrivals)]
    assert turns == ["a", "b", "a", "b", "a"]
