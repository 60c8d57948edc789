"""Fans an engine's changes out to threads that wait for them (event streams, blocking
queries), so a waiting client costs a thread and a small queue, never a database connection
or a poll of its own.

The feed subscribes to the engine once; the engine calls it for every change, made in this
process or any other, in revision order and once each. A listener queues the changes that
arrive after it registered; everything up to its `start` revision is already committed and
can be read from the change log.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Iterable

from ..domain import Change
from ..errors import FeedBusy, FeedClosed

DEFAULT_BACKLOG = 10_000  # changes a listener may fall behind by before it is cut off


class Listener:
    def __init__(self, feed: "ChangeFeed", keys: frozenset[str] | None, backlog: int):
        self._feed = feed
        self._keys = keys
        self._backlog = backlog
        self._pending: deque[Change] = deque()
        self._overflowed = False
        self._closed = False
        self.start = 0  # set by ChangeFeed.listen

    def _push(self, change: Change) -> None:  # under the feed's lock
        if self._keys is not None and change.key not in self._keys:
            return
        if len(self._pending) >= self._backlog:
            self._overflowed = True
        else:
            self._pending.append(change)

    def wait(self, timeout: float) -> list[Change]:
        """The changes after `start` that arrived since the last call, in revision order;
        waits up to `timeout` seconds for one ([] when none came). Raises FeedClosed when the
        feed closes or this listener fell more than its backlog behind."""
        cond = self._feed._cond
        deadline = time.monotonic() + max(timeout, 0.0)
        with cond:
            while True:
                if self._closed or self._feed._closed or self._overflowed:
                    raise FeedClosed()
                fresh = [c for c in self._pending if c.revision > self.start]
                self._pending.clear()
                remaining = deadline - time.monotonic()
                if fresh or remaining <= 0:
                    return fresh
                cond.wait(remaining)

    def close(self) -> None:
        with self._feed._cond:
            self._closed = True
            self._feed._listeners.discard(self)
            self._feed._cond.notify_all()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class ChangeFeed:
    def __init__(self, engine, max_listeners: int | None = None,
                 backlog: int = DEFAULT_BACKLOG):
        self._engine = engine
        self.max_listeners = max_listeners
        self._backlog = backlog
        self._cond = threading.Condition()
        self._listeners: set[Listener] = set()
        self._closed = False
        self._subscription = engine.subscribe(self._publish)

    @property
    def listener_count(self) -> int:
        return len(self._listeners)

    def listen(self, keys: Iterable[str] | None = None) -> Listener:
        """Register a listener for the changes (of `keys`, or all) after its `start`.
        FeedBusy when max_listeners are already registered, FeedClosed after close()."""
        listener = Listener(self, None if keys is None else frozenset(keys), self._backlog)
        with self._cond:
            if self._closed:
                raise FeedClosed()
            if self.max_listeners is not None and len(self._listeners) >= self.max_listeners:
                raise FeedBusy(f"cannot wait for changes now: {len(self._listeners)} "
                               "listeners already wait for changes")
            self._listeners.add(listener)
        # Read after registering: a change the engine applied before this line has a revision
        # up to `start` (the engine swaps its state before it publishes), and one applied
        # after it reaches the listener. Changes may reach it twice; wait() drops those.
        listener.start = self._engine.revision
        return listener

    def close(self) -> None:
        """End every listener's wait and refuse new ones (at shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._engine.unsubscribe(self._subscription)

    def _publish(self, change: Change) -> None:
        # Called by the engine's notifier with its lock held: only queue and wake.
        with self._cond:
            for listener in self._listeners:
                listener._push(change)
            self._cond.notify_all()
