"""The limits the asyncio front puts on a client before its request reaches a thread
(lazyconfig/serving), against a real `gunicorn -c gunicorn.conf.py` on loopback: headers
too slow or too long, a connection that never speaks, a body that trickles, and a client
that hangs up while its stream waits. Raw sockets, because an HTTP library would not
misbehave on purpose."""
from __future__ import annotations

import json
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lazyconfig.auth import create_token
from tests.e2e.conftest import server_database
from tests.support.servers import GunicornServer, server_env

pytestmark = [pytest.mark.slow, pytest.mark.database_independent]
SECRET = "serving-limits-secret-that-is-long-enough-0123456789"
PREFIX = "/api/lazy-loading-config"
HEADER_TIMEOUT, BODY_TIMEOUT = 1.0, 1.5


@pytest.fixture(scope="module")
def server(tmp_path_factory, postgres_url):
    workdir, url = server_database(tmp_path_factory, postgres_url, "serving")
    env = server_env(url, workdir / "instance", SECRET,
                     LAZYCONFIG_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
                     LAZYCONFIG_BODY_TIMEOUT=str(BODY_TIMEOUT))
    gunicorn = GunicornServer(env, workdir / "gunicorn.log", workers=1).start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()
    assert "Traceback" not in gunicorn.log(), gunicorn.log()


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_answer(sock: socket.socket) -> bytes:
    """One whole answer (its headers and Content-Length bytes of body), read piece by piece:
    the server may close, even reset, the connection right after it."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def editor() -> str:
    return create_token(SECRET, "ed", "editor", 3600)


def test_headers_sent_too_slowly_get_408_and_the_connection_closes(server):
    started = time.monotonic()  # before connecting: the server's clock starts at its accept
    with connect(server) as sock:
        sock.sendall(f"GET {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n".encode())
        for _ in range(4):  # a line every half second: each arrives, the whole never does
            time.sleep(0.5)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        answer = read_all(sock)
        took = time.monotonic() - started
        assert status_and_body(answer) == (408, {
            "code": 408, "status": "Request Timeout",
            "message": f"request headers not received within {HEADER_TIMEOUT:g} s"})
        assert HEADER_TIMEOUT <= took < HEADER_TIMEOUT + 2


def test_headers_over_64_kib_get_431(server):
    with connect(server) as sock:
        sock.sendall(f"GET {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n".encode())
        sock.sendall(b"X-Big: " + b"a" * 70_000)  # one header that never ends
        code, body = status_and_body(read_all(sock))
        assert (code, body["status"]) == (431, "Request Header Fields Too Large")


def test_a_connection_that_never_speaks_is_closed_without_an_answer(server):
    started = time.monotonic()  # before connecting: the server's clock starts at its accept
    with connect(server) as sock:
        assert read_all(sock) == b""
        assert HEADER_TIMEOUT <= time.monotonic() - started < HEADER_TIMEOUT + 2


def test_a_trickling_body_gets_408_and_changes_nothing(server):
    before = _value(server)
    with connect(server) as sock:
        body = json.dumps({"value": 99.0}).encode()
        sock.sendall((f"PUT {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {editor()}\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode())
        started = time.monotonic()
        for byte in body[:-1]:  # all but the last byte, slowly
            sock.sendall(bytes([byte]))
            time.sleep(0.1)
            if time.monotonic() - started > BODY_TIMEOUT + 1:
                break
        code, answer = status_and_body(read_all(sock))
        assert code == 408 and "body" in answer["message"]
        assert _value(server) == before


def test_a_whole_request_sent_slowly_within_the_limits_is_served(server):
    with connect(server) as sock:
        request = (f"GET {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
                   f"Authorization: Bearer {editor()}\r\nConnection: close\r\n\r\n").encode()
        for start in range(0, len(request), 40):  # in pieces, well within the header timeout
            sock.sendall(request[start:start + 40])
            time.sleep(0.02)
        code, body = status_and_body(read_all(sock))
        assert code == 200 and body["key"] == "load_timeout"


def test_a_chunked_body_over_the_limit_is_413_before_it_is_all_sent(server):
    with connect(server) as sock:
        sock.sendall((f"PUT {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {editor()}\r\nContent-Type: application/json\r\n"
                      f"Transfer-Encoding: chunked\r\n\r\n").encode())
        chunk = b"a" * 65536
        try:
            for _ in range(40):  # 2.5 MiB offered; the server stops reading after 1 MiB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # it answered and closed while we were still sending
        code, _ = status_and_body(read_answer(sock))
        assert code == 413


LINE = st.binary(max_size=200).filter(lambda b: b"\r\n\r\n" not in b)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request_line=LINE, header_lines=st.lists(LINE, max_size=8))
def test_any_bytes_before_the_end_of_the_headers_get_an_answer_and_never_a_5xx(
        server, request_line, header_lines):
    with connect(server) as sock:
        sock.sendall(request_line + b"\r\n" + b"".join(h + b"\r\n" for h in header_lines) +
                     b"\r\n")
        started = time.monotonic()
        answer = read_until_answer_or_close(sock)
        assert time.monotonic() - started < HEADER_TIMEOUT + 3
        if answer:
            assert not answer.startswith(b"HTTP/1.1 5"), answer[:200]


def read_until_answer_or_close(sock: socket.socket) -> bytes:
    sock.settimeout(HEADER_TIMEOUT + 3)
    try:
        return sock.recv(65536)
    except ConnectionResetError:
        return b""


def _value(server) -> float:
    with connect(server) as sock:
        sock.sendall((f"GET {PREFIX}/values/load_timeout HTTP/1.1\r\nHost: x\r\n"
                      f"Authorization: Bearer {editor()}\r\nConnection: close\r\n\r\n").encode())
        return status_and_body(read_all(sock))[1]["value"]
