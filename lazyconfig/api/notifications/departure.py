"""Noticing that the client of a waiting request has gone, without writing to it.

A stream or blocking query that only learns of its client's departure when a write fails
holds its waiting slot until the next heartbeat (15 s): clients that open and drop streams
faster than that lock everyone else out (issue 15). Looking at the socket instead frees the
slot within CHECK_SECONDS. A client that shuts down its sending side counts as gone too, as
it does for most servers: an HTTP client does not half-close a request it still reads.
"""
from __future__ import annotations

import select
import socket
import ssl
from typing import Any, Callable, Mapping

CHECK_SECONDS = 0.5  # how often a waiting request looks at its client's socket
# The key under which lazyconfig's asyncio front (lazyconfig/serving) puts its own check in
# the request's ASGI scope, which lazyconfig/serving/environ.py hands on as environ["asgi.scope"].
CLIENT_GONE = "lazyconfig.client_gone"
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL | getattr(select, "POLLRDHUP", 0)


def never() -> bool:
    return False


def client_gone(environ: Mapping[str, Any]) -> Callable[[], bool]:
    """A check that says whether the request's client has closed its connection: the
    asyncio front's, or one that looks at the socket a WSGI server (gunicorn's sync and
    gthread workers) shows us. Elsewhere (Flask's test client) the check never says gone,
    and a failed write ends the wait as before."""
    check = environ.get("asgi.scope", {}).get(CLIENT_GONE)
    if callable(check):
        return check
    sock = environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket):
        return never
    return _SocketWatch(sock).gone


class _SocketWatch:
    def __init__(self, sock: socket.socket):
        self._sock = sock

    def gone(self) -> bool:
        """True once the peer closed or reset the connection; never blocks, never reads."""
        try:
            poller = select.poll()
            poller.register(self._sock.fileno(), select.POLLIN | _GONE)
            events = poller.poll(0)
        except (OSError, ValueError):  # already closed on our side (fileno() is -1)
            return True
        flags = events[0][1] if events else 0
        if flags & _GONE:
            return True
        return bool(flags & select.POLLIN) and self._peeked_end()

    def _peeked_end(self) -> bool:
        """Readable without POLLRDHUP (outside Linux): an empty peek is the end of the
        stream; bytes (a pipelined request) mean the client is still there."""
        if getattr(select, "POLLRDHUP", 0) or isinstance(self._sock, ssl.SSLSocket):
            return False  # Linux said no hang-up; a TLS socket cannot peek
        try:
            return self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
