"""One call shared by the threads that need it at the same moment, without serving any of
them an answer older than its own arrival."""
from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class CoalescedCall(Generic[T]):
    """Calls `function` for many threads, one call at a time. A thread gets the result of a
    call that started after the thread arrived: the one it starts itself, or one that
    another thread started after it began waiting. So every caller still learns of
    everything that happened before it asked, while concurrent callers share one call
    (before every API request, the change log's head: one query per round trip of the
    database instead of one per request)."""

    def __init__(self, function: Callable[[], T]):
        self._function = function
        self._changed = threading.Condition()
        self._started = 0  # calls begun so far; a call's number is the count when it began
        self._finished = 0  # number of the newest call that has returned or raised
        self._outcome: tuple[T | None, BaseException | None] = (None, None)
        self._running = False

    def __call__(self) -> T:
        with self._changed:
            needed = self._started + 1  # a call in progress began before we arrived
            while self._finished < needed:
                if not self._running:
                    self._running = True
                    self._started += 1
                    number = self._started
                    break
                self._changed.wait()
            else:
                return self._unpack(self._outcome)
        try:
            outcome = (self._function(), None)
        except BaseException as exc:  # every waiter for this call sees its failure
            outcome = (None, exc)
        with self._changed:
            self._running = False
            self._finished, self._outcome = number, outcome
            self._changed.notify_all()
        return self._unpack(outcome)

    @staticmethod
    def _unpack(outcome: tuple[T | None, BaseException | None]) -> T:
        value, error = outcome
        if error is not None:
            raise error
        return value
