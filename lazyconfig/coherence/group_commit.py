"""Group commit: writes that queue up while one is in the database go in together.

A writer queues its write and takes the engine lock. Whoever holds the lock runs every write
queued by then (up to MAX_GROUP) in one transaction, and the others find theirs done when
they get the lock. Under a stream of writes, one transaction, one turn of the database-wide
lock, one catch-up and one notification serve many writes; a lone write runs alone, as
before. The engine's `run` callable decides what a group's failure means for its members.
"""
from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable

MAX_GROUP = 64  # writes per transaction: bounds how long one transaction holds the lock


class Queued:
    """One write waiting for its group, then its outcome: a result, the changes it made and
    the state it left (later writes of its group excluded), or the error it failed with."""

    __slots__ = ("operation", "expected_revision", "done", "result", "changes", "state",
                 "error")

    def __init__(self, operation: Callable, expected_revision: int | None):
        self.operation, self.expected_revision = operation, expected_revision
        self.done, self.result, self.changes, self.state, self.error = False, None, [], None, None

    def succeed(self, result: Any, changes: list, state: Any) -> None:
        self.result, self.changes, self.state, self.done = result, changes, state, True

    def fail(self, error: BaseException) -> None:
        self.error, self.done = error, True

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class GroupCommit:
    def __init__(self, lock: threading.RLock, run: Callable[[list[Queued]], None]):
        self._lock = lock
        self._run = run  # runs a group; every member is done when it returns
        self._queue: deque[Queued] = deque()  # appended by any thread, taken under the lock

    def waiting(self) -> int:
        """How many writes are queued and not yet taken into a group."""
        return len(self._queue)

    def submit(self, operation: Callable, expected_revision: int | None = None) -> Queued:
        """Queue a write and return it once done (its group committed or failed)."""
        mine = Queued(operation, expected_revision)
        self._queue.append(mine)
        with self._lock:
            while not mine.done:
                size = min(len(self._queue), MAX_GROUP)
                group = [self._queue.popleft() for _ in range(size)]
                try:
                    self._run(group)
                except BaseException as exc:
                    error: BaseException = exc
                else:
                    error = RuntimeError("the write was left unfinished by its group")
                for queued in group:  # a waiting writer must never be left hanging
                    if not queued.done:
                        queued.fail(error)
        return mine
