"""Running the WSGI app (Flask) from the event loop, on a pool of threads.

One hand-over each way for an answer of known length: the loop gives a whole request to a
thread, the thread gives back status, headers and body at once. An answer without a length
(a change stream) goes chunk by chunk, at most STREAM_AHEAD chunks ahead of the client.
a2wsgi, which we tried first, hands every start, chunk and end over separately and
waits for each: it served under half the requests a second of gunicorn's gthread worker
(bench/HISTORY.md, entry 7).
"""
from __future__ import annotations

import asyncio
import io
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterable

from .environ import wsgi_environ

STREAM_AHEAD = 16  # chunks a stream's thread may produce before the client has taken them
Scope = dict[str, Any]


class WsgiOnThreads:
    """An ASGI app that serves a WSGI app on `threads` threads. It expects the whole body
    in the first message (WholeRequests sees to that)."""

    def __init__(self, app: Callable, threads: int):
        self.app = app
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="lazyconfig-wsgi")

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        message = await receive()
        environ = wsgi_environ(scope, io.BytesIO(message.get("body", b"")))
        loop = asyncio.get_running_loop()
        answer = _Answer(loop)
        self.pool.submit(answer.produce, self.app, environ)
        status, headers, body = await answer.started
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if body is not None:
            await send({"type": "http.response.body", "body": body})
            return
        try:
            while (chunk := await answer.chunks.get()) is not None:
                answer.room.release()
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            answer.abandon()


class _Answer:
    """What one request's thread produces, handed to the loop that sends it."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.started: asyncio.Future = loop.create_future()
        self.chunks: asyncio.Queue = asyncio.Queue()
        self.room = threading.Semaphore(STREAM_AHEAD)
        self.gone = False
        self._head: tuple[int, list[tuple[bytes, bytes]]] | None = None

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], None]:
        if exc_info is not None and self._head is not None and self.started.done():
            raise exc_info[1].with_traceback(exc_info[2])
        self._head = (int(status.split(" ", 1)[0]),
                      [(name.lower().encode("latin-1"), value.encode("latin-1"))
                       for name, value in headers])
        return self._write

    def _write(self, chunk: bytes) -> None:  # PEP 3333's write(); Flask never calls it
        raise NotImplementedError("write() is not supported; return an iterable")

    def produce(self, app: Callable, environ: dict[str, Any]) -> None:
        """In a thread: run the app; give the loop the whole answer, or stream it."""
        iterable: Iterable[bytes] = ()
        try:
            iterable = app(environ, self.start_response)
            chunks = iter(iterable)
            # An app may call start_response only when asked for its first chunk.
            ahead = [next(chunks, b"")] if self._head is None else []
            if isinstance(iterable, (list, tuple)) or self._has_length():
                self._hand(self.started.set_result,
                           (*self._head, b"".join([*ahead, *chunks])))
            else:
                self._hand(self.started.set_result, (*self._head, None))
                self._stream(itertools.chain(ahead, chunks))
        except BaseException as exc:
            if not self.started.done():
                self._hand(self.started.set_exception, exc)
            self._hand(self.chunks.put_nowait, None)
        finally:
            getattr(iterable, "close", lambda: None)()

    def _stream(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            if not chunk:
                continue
            while not self.room.acquire(timeout=1.0):
                if self.gone:
                    return
            if self.gone:
                return
            self._hand(self.chunks.put_nowait, chunk)
        self._hand(self.chunks.put_nowait, None)

    def _has_length(self) -> bool:
        return any(name == b"content-length" for name, _ in self._head[1])

    def abandon(self) -> None:
        """The loop stops sending (the stream ended, the client went, or shutdown)."""
        self.gone = True
        self.room.release()

    def _hand(self, call: Callable, arg: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(call, arg)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            self.gone = True


