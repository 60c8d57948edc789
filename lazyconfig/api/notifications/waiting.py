"""Waiting for changes over HTTP: the server-sent event stream and the blocking query.

Both wait on the app's ChangeFeed (one engine subscription per process), so an open stream
costs a thread and a small queue, and no database connection. The change log is read only
to catch a client up (from its Last-Event-ID, or when a blocking query starts or wakes).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any, Callable, Iterator

from flask import Flask
from werkzeug.wsgi import ClosingIterator

from ...coherence.feed import ChangeFeed, FeedClosed, Listener
from ...domain import Change
from ...errors import ChangeLogCompacted, StorageUnavailable
from ...service.engine import ConfigurationEngine
from ..context import EXTENSION, settings
from ..schemas import ChangeSchema
from .departure import CHECK_SECONDS, never

log = logging.getLogger(__name__)
FEED = "lazyconfig.feed"
HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000  # how long an EventSource waits before it reconnects
CATCH_UP_PAGE = 500
DEFAULT_MAX_WAITERS = 256
_feed_lock = threading.Lock()
_schema = ChangeSchema()


def change_feed(app: Flask) -> ChangeFeed:
    """The app's change feed, made on first use. At most LAZYCONFIG_MAX_WAITING_CLIENTS
    streams and blocking queries wait at once (unset: DEFAULT_MAX_WAITERS, or under
    gunicorn what fit_to_threads makes of the worker's threads)."""
    feed = app.extensions.get(FEED)
    if feed is None:
        with _feed_lock:
            feed = app.extensions.get(FEED)
            if feed is None:
                limit = settings(app).max_waiting_clients
                feed = app.extensions[FEED] = ChangeFeed(
                    app.extensions[EXTENSION],
                    max_listeners=DEFAULT_MAX_WAITERS if limit is None else limit)
    return feed


def fit_to_threads(app: Flask, threads: int, reserved: int) -> ChangeFeed:
    """Unless LAZYCONFIG_MAX_WAITING_CLIENTS is set, let waiting clients take all but
    `reserved` of a worker's `threads` (at least half), so ordinary requests find one."""
    feed = change_feed(app)
    if settings(app).max_waiting_clients is None:
        feed.max_listeners = max(threads - reserved, threads // 2)
    return feed


def notification(engine: ConfigurationEngine, change: Change,
                 include_sensitive: bool) -> dict[str, Any]:
    """A change as GET /notifications shows it."""
    return engine.redaction(include_sensitive).change(change)


def wait_for_notifications(feed: ChangeFeed, fetch: Callable[[], list], key: str | None,
                           wait: float, gone: Callable[[], bool] = never) -> list:
    """fetch() now; if it finds nothing, again as soon as a change (of `key`) is made
    anywhere, until `wait` seconds have passed or the client is `gone()` (looked at every
    CHECK_SECONDS, so a dropped client frees its slot). Raises FeedBusy when too many wait."""
    deadline = time.monotonic() + wait
    # Listen before the first fetch, so a change committed in between still wakes us.
    with feed.listen(None if key is None else [key]) as listener:
        found = fetch()
        while not found and not gone():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                woke = listener.wait(min(remaining, CHECK_SECONDS))
            except FeedClosed:  # shutting down: answer what we have
                break
            if woke:
                found = fetch()
    return found


def event_stream(engine: ConfigurationEngine, feed: ChangeFeed, *, key: str | None,
                 last_event_id: int | None, include_sensitive: bool, lifetime: float,
                 gone: Callable[[], bool] = never,
                 admits: Callable[[str], bool] = lambda _key: True) -> Iterator[str]:
    """Server-sent events: the changes after `last_event_id` from the change log, then live
    ones as the feed delivers them, a heartbeat comment when idle; ends after `lifetime`
    seconds (the token's), when the feed closes, when the client falls too far behind, or
    within CHECK_SECONDS of the client being `gone()`. Only changes of keys the caller's
    scope `admits` are shown.
    Registers with the feed at once (FeedBusy if it is full), before the first event."""
    listener = feed.listen(None if key is None else [key])
    shown = _Shown(engine, key, include_sensitive, admits)
    end = time.monotonic() + lifetime

    def events() -> Iterator[str]:
        cursor = listener.start if last_event_id is None else last_event_id
        try:
            # `id:` without data sets the client's resume point without an event.
            yield f": lazyconfig changes\nretry: {RETRY_MILLISECONDS}\nid: {cursor}\n\n"
            yield from _missed(shown, cursor, listener.start)
            yield from _live(shown, listener, max(cursor, listener.start), end, gone)
        except (FeedClosed, ChangeLogCompacted):
            # Shutdown, or too far behind: the client resumes from its last id (and is
            # told 410 if compaction has passed it meanwhile).
            pass
        except StorageUnavailable as exc:
            log.warning("change stream ended: %s", exc)
        finally:
            listener.close()

    # The server closes the iterable when the client goes, even before its first event.
    return ClosingIterator(events(), listener.close)


class _Shown:
    """What one stream shows: changes of its key (or all), masked unless it may see them."""

    def __init__(self, engine: ConfigurationEngine, key: str | None, include_sensitive: bool,
                 admits: Callable[[str], bool]):
        self.engine, self.key, self.include_sensitive = engine, key, include_sensitive
        self.admits = admits

    def logged(self, since: int, limit: int) -> list[dict[str, Any]]:
        return self.engine.get_notifications(limit, since=since, key=self.key,
                                             include_sensitive=self.include_sensitive)

    def event(self, change: Change) -> str:
        return _event(notification(self.engine, change, self.include_sensitive))


def _missed(shown: _Shown, cursor: int, start: int) -> Iterator[str]:
    """The events after `cursor` up to the listener's `start`, from the change log."""
    while cursor < start:
        # No more rows than revisions are left up to `start`: later ones are the feed's.
        limit = min(CATCH_UP_PAGE, start - cursor)
        page = [n for n in shown.logged(cursor, limit) if n["revision"] <= start]
        yield from (_event(item) for item in page if shown.admits(item["key"]))
        # A page may stop short of `limit` at its bytes (db/protocols.py): go on from it.
        cursor = page[-1]["revision"] if page else start


def _live(shown: _Shown, listener: Listener, cursor: int, end: float,
          gone: Callable[[], bool]) -> Iterator[str]:
    """The feed's changes after `cursor` as they come, a heartbeat when idle, until `end`
    or until the client is gone."""
    beat = time.monotonic() + HEARTBEAT_SECONDS
    while (now := time.monotonic()) < end and not gone():
        changes = listener.wait(min(beat, end, now + CHECK_SECONDS) - now)
        for change in changes:
            if change.revision > cursor:
                if shown.admits(change.key):
                    yield shown.event(change)
                cursor = change.revision
        if changes:
            beat = time.monotonic() + HEARTBEAT_SECONDS
        elif time.monotonic() >= beat:
            yield ": heartbeat\n\n"
            beat = time.monotonic() + HEARTBEAT_SECONDS


def _event(item: dict[str, Any]) -> str:
    data = json.dumps(_schema.dump(item), separators=(",", ":"))
    return f"id: {item['revision']}\nevent: change\ndata: {data}\n\n"
