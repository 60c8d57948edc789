"""One worker's change fan-out on its event loop: the engine's changes, each rendered once
per form, put into every watcher's outgoing buffer in one pass.

The engine calls the fan-out on its own thread (a write here, or a change another process
made, seen by LISTEN/NOTIFY or polling); the change crosses to the loop with one
call_soon_threadsafe, and the loop does the rest. A watcher costs a small object and its
unsent bytes; one whose unsent bytes pass `MAX_UNSENT` is cut off (it resumes with its
last revision), so a client that stops reading never slows the others or grows memory.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable

from ..domain import Change

MAX_UNSENT = 1024 * 1024  # bytes a watcher may have waiting to be sent before it is cut off
RECENT = 1024  # changes kept to wake a blocking query that registered after they came
Renderer = Callable[[Any, Change, bool], bytes]  # (engine, change, unmasked) -> one form


class Rendered:
    """One change in the forms its watchers want, each rendered once."""

    def __init__(self, engine: Any, change: Change):
        self.engine, self.change = engine, change
        self._forms: dict[tuple[Renderer, bool], bytes] = {}

    def form(self, render: Renderer, include_sensitive: bool) -> bytes:
        data = self._forms.get((render, include_sensitive))
        if data is None:
            data = self._forms[render, include_sensitive] = render(
                self.engine, self.change, include_sensitive)
        return data


class Watcher:
    """One client waiting for changes (of `keys`, or all) after `cursor`. With a renderer,
    the changes are rendered into `unsent`; without, the watcher is only woken."""

    def __init__(self, keys: frozenset[str] | None, cursor: int,
                 render: Renderer | None = None, include_sensitive: bool = False, *,
                 admits: Callable[[str], bool] | None = None,
                 valid: Callable[[], bool] = lambda: True):
        self.keys, self.cursor = keys, cursor
        self.admits, self.valid = admits, valid  # the token's key scope; not yet revoked
        self.render, self.include_sensitive = render, include_sensitive
        self.unsent: deque[bytes] = deque()
        self.unsent_bytes = 0
        self.woken = asyncio.Event()
        self.ended: str | None = None  # why the fan-out let go of it: "behind" or "shutdown"

    def offer(self, rendered: Rendered) -> None:
        """Take the change if it is one of ours and new (on the loop, in revision order)."""
        change = rendered.change
        if change.revision <= self.cursor or (self.keys is not None
                                              and change.key not in self.keys):
            return
        if self.admits is not None and not self.admits(change.key):
            return  # outside the token's key scope
        self.cursor = change.revision
        if self.render is not None:
            self.put(rendered.form(self.render, self.include_sensitive))
        self.woken.set()

    def put(self, data: bytes) -> None:
        """Queue `data` to send; over MAX_UNSENT bytes waiting, the watcher is cut off."""
        if self.ended is not None:
            return
        self.unsent.append(data)
        self.unsent_bytes += len(data)
        if self.unsent_bytes > MAX_UNSENT:
            self.end("behind")
        self.woken.set()

    def take(self) -> list[bytes]:
        """Everything queued, oldest first. It counts as unsent until sent() says so."""
        data = list(self.unsent)
        self.unsent.clear()
        self.woken.clear()
        return data

    def sent(self, data: bytes) -> None:
        """`data`, taken before, has been handed to the transport."""
        self.unsent_bytes = max(self.unsent_bytes - len(data), 0)

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self.unsent.clear()
            self.unsent_bytes = 0
        self.woken.set()


class FanOut:
    """The watchers of one worker, fed by one subscription to its engine."""

    def __init__(self, engine: Any, loop: asyncio.AbstractEventLoop,
                 delivered: Callable[[Change], None] = lambda change: None):
        self.loop, self.delivered = loop, delivered
        self.watchers: set[Watcher] = set()
        # Who wants a change of a key: those of every key, and those who named it. A change
        # to a key few watch costs little, however many watch others.
        self._of_all: set[Watcher] = set()
        self._of_key: dict[str, set[Watcher]] = {}
        self.recent: deque[Change] = deque(maxlen=RECENT)
        self.closed = False
        self._engine = engine
        self._revocations_seen = engine.revocations.revision
        self._subscription = engine.subscribe(self._from_engine)
        # Read after subscribing: every later change reaches _deliver.
        self.head = engine.revision

    def join(self, watcher: Watcher, replay: bool = False) -> int:
        """Register `watcher` (on the loop); returns the head revision: every change up to
        it is in the change log, every later one reaches the watcher. With `replay`, the
        kept recent changes after its cursor are offered first; one it cannot be sure of
        having seen wakes it."""
        if self.closed:
            watcher.end("shutdown")
            return self.head
        self.watchers.add(watcher)
        if watcher.keys is None:
            self._of_all.add(watcher)
        for key in watcher.keys or ():
            self._of_key.setdefault(key, set()).add(watcher)
        if replay and watcher.cursor < self.head:
            if not self.recent or self.recent[0].revision > watcher.cursor + 1:
                watcher.woken.set()
            for change in self.recent:
                watcher.offer(Rendered(self._engine, change))
        return self.head

    def leave(self, watcher: Watcher) -> None:
        """Unregister `watcher` (before its keys change)."""
        self.watchers.discard(watcher)
        self._of_all.discard(watcher)
        for key in watcher.keys or ():
            named = self._of_key.get(key)
            if named is not None:
                named.discard(watcher)
                if not named:
                    del self._of_key[key]

    def revoked(self, watchers: list[Watcher]) -> list[Watcher]:
        """Those of `watchers` whose token was revoked since the last look (any thread: the
        check may ask the database); none when no revocation came meanwhile."""
        revocations = self._engine.revocations
        revocations.refresh_if_due()
        if revocations.revision == self._revocations_seen:
            return []
        self._revocations_seen = revocations.revision
        return [watcher for watcher in watchers if not watcher.valid()]

    def close(self) -> None:
        """End every watcher and refuse new ones (at shutdown)."""
        self.closed = True
        for watcher in list(self.watchers):
            watcher.end("shutdown")
        self.watchers.clear()
        self._of_all.clear()
        self._of_key.clear()
        self._engine.unsubscribe(self._subscription)

    def _from_engine(self, change: Change) -> None:
        # On the engine's thread, with its notifier's lock held: only hand over.
        try:
            self.loop.call_soon_threadsafe(self._deliver, change)
        except RuntimeError:  # the loop has closed: nobody watches any more
            pass

    def _deliver(self, change: Change) -> None:
        if change.revision <= self.head:
            return
        self.head = change.revision
        self.recent.append(change)
        rendered = Rendered(self._engine, change)  # each form once for every watcher
        for watcher in [*self._of_all, *self._of_key.get(change.key, ())]:
            watcher.offer(rendered)
            if watcher.ended is not None:
                self.leave(watcher)
        self.delivered(change)
