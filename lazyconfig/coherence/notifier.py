"""Subscriber callbacks, called in revision order and once per change."""
from __future__ import annotations

import itertools
import logging
import threading
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from ..domain import Change

log = logging.getLogger(__name__)
Callback = Callable[[Change], object]


@dataclass(frozen=True)
class Subscription:
    id: int
    callback: Callback
    keys: frozenset[str] | None

    def wants(self, change: Change) -> bool:
        return self.keys is None or change.key in self.keys


class Notifier:
    """Queues published changes and delivers them one at a time. A callback that writes
    to the engine publishes more changes; they join the queue instead of jumping it."""

    def __init__(self) -> None:
        self._subscriptions: dict[int, Subscription] = {}
        self._ids = itertools.count(1)
        self._queue: deque[Change] = deque()
        self._lock = threading.RLock()
        self._delivering = False

    def subscribe(self, callback: Callback, keys: Iterable[str] | None = None) -> Subscription:
        sub = Subscription(next(self._ids), callback, frozenset(keys) if keys is not None else None)
        with self._lock:
            self._subscriptions[sub.id] = sub
        return sub

    def unsubscribe(self, subscription: Subscription | int) -> bool:
        sub_id = subscription if isinstance(subscription, int) else subscription.id
        with self._lock:
            return self._subscriptions.pop(sub_id, None) is not None

    def publish(self, changes: Iterable[Change]) -> None:
        with self._lock:
            self._queue.extend(changes)
            if self._delivering:
                return
            self._delivering = True
            try:
                while self._queue:
                    change = self._queue.popleft()
                    for sub in list(self._subscriptions.values()):
                        if sub.wants(change):
                            self._call(sub, change)
            finally:
                self._delivering = False

    @staticmethod
    def _call(sub: Subscription, change: Change) -> None:
        try:
            sub.callback(change)
        except Exception:  # one broken subscriber must not stop the others
            log.exception("subscriber %s failed on revision %s", sub.id, change.revision)
