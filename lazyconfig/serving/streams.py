"""Change streams, blocking queries and WebSockets served from the event loop.

The Flask view admits a stream or a blocking query first (token, role, query, resume point,
410, 503: every check and error answer as for any request, on a thread for a moment), then
hands it over (api/notifications/handover.py); from there it waits here, on the worker's
FanOut, as a socket and a small buffer. A worker therefore holds thousands of watchers,
not threads − 16 (docs/notifications.md).
"""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import Executor
from typing import Any, Callable

from ..api.blueprint import PREFIX
from ..api.metrics import EXTENSION as METRICS
from ..api.notifications.handover import FRONT, StreamPlan, WaitPlan
from ..api.notifications.waiting import (HEARTBEAT_SECONDS, RETRY_MILLISECONDS, Shown,
                                         event_text, missed_page, notification)
from ..errors import ChangeLogCompacted, FeedBusy, StorageUnavailable
from .acks import Acks
from .fanout import FanOut, Watcher
from .whole_requests import DEPARTURE, App, Message, Receive, Scope, Send

REVOKED_SWEEP = 0.5  # seconds between looks for watchers whose token was revoked
STREAM_PATHS = frozenset({f"{PREFIX}/notifications", f"{PREFIX}/notifications/stream"})
SOCKET_PATH = f"{PREFIX}/notifications/ws"


def sse_form(engine: Any, change: Any, include_sensitive: bool) -> bytes:
    """A change as a server-sent event (the fan-out's renderer)."""
    return event_text(notification(engine, change, include_sensitive)).encode()


class Streams:
    """ASGI middleware before the WSGI app: hands the waiting requests the app admits to
    the loop, and serves the WebSocket endpoint (websocket.py)."""

    def __init__(self, app: App, pool: Executor, flask_app: Any, max_watchers: int):
        self.app, self.pool, self.flask_app = app, pool, flask_app
        self.max_watchers = max_watchers
        self.metrics = flask_app.extensions[METRICS]
        self.fanout: FanOut | None = None
        self.closed = False
        self.count = 0  # watchers admitted and not yet gone, on the loop or on their way
        self._counting = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            from .websocket import serve_socket
            await serve_socket(self, scope, receive, send)
        elif (scope["type"] != "http" or scope["path"] not in STREAM_PATHS
              or scope["method"] != "GET"):  # HEAD: the app's answer, never a stream
            await self.app(scope, receive, send)
        else:
            await self._admitted(scope, receive, send)

    def fan_out(self, engine: Any) -> FanOut:
        """The worker's fan-out, made on first use (on the loop)."""
        if self.fanout is None:
            self.fanout = FanOut(engine, asyncio.get_running_loop(), self.metrics.fanned_out)
            self._sweeper = asyncio.get_running_loop().create_task(self._end_revoked())
        return self.fanout

    async def _end_revoked(self) -> None:
        """End, within REVOKED_SWEEP (plus the revocation poll) seconds, every watcher whose
        token was revoked: its stream or socket closes, its blocking query is answered."""
        loop = asyncio.get_running_loop()
        while not self.closed and self.fanout is not None:
            await asyncio.sleep(REVOKED_SWEEP)
            fanout = self.fanout
            try:
                revoked = await loop.run_in_executor(self.pool, fanout.revoked,
                                                     list(fanout.watchers))
            except RuntimeError:  # the pool has shut down: the worker is stopping
                return
            for watcher in revoked:
                watcher.end("revoked")

    def admit(self) -> None:
        """Count one more watcher, or FeedBusy when this worker holds as many as it may
        (any thread). Each admitted watcher is let go of with release()."""
        with self._counting:
            if self.closed or self.count >= self.max_watchers:
                raise FeedBusy(f"cannot wait for changes now: {self.count} clients already "
                               "watch this worker")
            self.count += 1

    def release(self) -> None:
        with self._counting:
            self.count -= 1

    def close(self) -> None:
        """At shutdown: end every watcher (clients resume on a worker that is up)."""
        self.closed = True
        if self.fanout is not None:
            self.fanout.close()

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        slot = _Slot(self)
        answer: list[Message] = []

        async def keep(message: Message) -> None:
            answer.append(message)
        await self.app({**scope, FRONT: slot}, receive, keep)
        plan = slot.plan
        try:
            if plan is None or answer[0].get("status") != 200:
                for message in answer:
                    await send(message)
            elif isinstance(plan, StreamPlan):
                await self._stream(plan, answer[0], scope, send)
            else:
                await self._wait(plan, answer, scope, send)
        finally:
            if plan is not None:
                self.release()

    async def _wait(self, plan: WaitPlan, answer: list[Message], scope: Scope,
                    send: Send) -> None:
        """A blocking query: wake on the first change (of its key) after `seen`, then let
        the app answer it again; else send the app's first (empty) answer."""
        watcher = Watcher(None if plan.key is None else frozenset([plan.key]), plan.seen,
                          valid=plan.still_valid)
        fanout = self.fan_out(plan.engine)
        with _watching(fanout, watcher, scope), self.metrics.watching("wait"):
            fanout.join(watcher, replay=True)
            try:
                async with asyncio.timeout(plan.wait):
                    await watcher.woken.wait()
            except TimeoutError:
                pass
        if watcher.ended == "gone":
            return
        if watcher.ended is None and watcher.woken.is_set():
            await self.app({**scope, FRONT: _Slot(self, waited=True)}, _no_body, send)
            return
        for message in answer:
            await send(message)

    async def _stream(self, plan: StreamPlan, head: Message, scope: Scope,
                      send: Send) -> None:
        """An event stream: the missed events from the change log, then live ones from the
        fan-out, a heartbeat when idle, until the token expires or the client goes."""
        keys = None if plan.key is None else frozenset([plan.key])
        fanout = self.fan_out(plan.engine)
        start = fanout.head
        cursor = start if plan.cursor is None else plan.cursor
        watcher = Watcher(keys, max(cursor, start), sse_form, plan.include_sensitive,
                          admits=plan.admits, valid=plan.still_valid)
        end = time.monotonic() + plan.lifetime
        acks = Acks(plan.engine, fanout, self.metrics.delivery_lag, "sse")
        acks.named(plan.client)
        with _watching(fanout, watcher, scope), self.metrics.watching("sse"):
            fanout.join(watcher)
            await send({**head, "headers": [(k, v) for k, v in head["headers"]
                                            if k != b"content-length"]})
            opening = f": lazyconfig changes\nretry: {RETRY_MILLISECONDS}\nid: {cursor}\n\n"
            await send(_chunk(opening.encode()))
            shown = Shown(plan.engine, plan.key, plan.include_sensitive, plan.admits)
            if await self._catch_up(shown, cursor, start, send):
                acks.ack(start)
                await _live(watcher, end, send, acks)
        await send({"type": "http.response.body", "body": b""})

    async def _catch_up(self, shown: Shown, cursor: int, start: int, send: Send) -> bool:
        """Send the events after `cursor` up to `start` from the change log (read on a
        thread); False when the stream must end (compacted meanwhile, storage down)."""
        loop = asyncio.get_running_loop()
        try:
            while cursor < start:
                page, cursor = await loop.run_in_executor(
                    self.pool, missed_page, shown, cursor, start)
                if page:
                    await send(_chunk("".join(event_text(item) for item in page).encode()))
        except (ChangeLogCompacted, StorageUnavailable):
            return False  # the client resumes from its last id (and hears 410 if need be)
        return True


async def _live(watcher: Watcher, end: float, send: Send, acks: Acks) -> None:
    """Send what the watcher holds, a heartbeat when idle; each send acknowledges, for a
    named client, every revision the fan-out had when it was taken."""
    beat = time.monotonic() + HEARTBEAT_SECONDS
    while watcher.ended is None:
        if watcher.unsent:
            head = acks.fanout.head
            data = b"".join(watcher.take())
            await send(_chunk(data))
            watcher.sent(data)
            acks.ack(head)
            beat = time.monotonic() + HEARTBEAT_SECONDS
            continue
        now = time.monotonic()
        if now >= end:
            return
        try:
            async with asyncio.timeout(min(beat, end) - now):
                await watcher.woken.wait()
        except TimeoutError:
            if time.monotonic() >= beat:
                await send(_chunk(b": heartbeat\n\n"))
                acks.ack(acks.fanout.head)
                beat = time.monotonic() + HEARTBEAT_SECONDS


class _watching:
    """While in the block: the watcher leaves the fan-out when the client hangs up."""

    def __init__(self, fanout: FanOut, watcher: Watcher, scope: Scope):
        self.fanout, self.watcher = fanout, watcher
        self.departure = scope.get(DEPARTURE)
        self.gone: Callable[[], None] = lambda: watcher.end("gone")

    def __enter__(self) -> None:
        if self.departure is not None:
            self.departure.callbacks.append(self.gone)
            if self.departure.is_set():
                self.gone()

    def __exit__(self, *exc_info: Any) -> None:
        self.fanout.leave(self.watcher)
        if self.departure is not None:
            self.departure.callbacks.remove(self.gone)


class _Slot:
    """The front as the view sees it (handover.Front)."""

    def __init__(self, streams: Streams, waited: bool = False):
        self.streams, self.waited = streams, waited
        self.plan: StreamPlan | WaitPlan | None = None

    def take(self, plan: StreamPlan | WaitPlan) -> None:
        self.streams.admit()
        self.plan = plan

    def drop(self) -> None:
        if self.plan is not None:
            self.plan = None
            self.streams.release()


def _chunk(data: bytes) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": True}


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
