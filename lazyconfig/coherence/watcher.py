"""Keeps an engine current with writes made by other processes.

On PostgreSQL it LISTENs for the writers' NOTIFY and refreshes at once (with a slow poll as a
safety net); on SQLite it polls the change log's head, which is one indexed lookup.
"""
from __future__ import annotations

import logging
import os
import selectors
import threading
import time
from typing import Callable

import psycopg
from sqlalchemy.engine import make_url

from ..db.connection import connect_args
from ..db.repositories.changes import NOTIFY_CHANNEL

log = logging.getLogger(__name__)
# Least time between two refreshes started by notifications: bounds a worker's refreshes
# to 100 a second, at the cost of up to 10 ms more propagation delay.
REFRESH_SPACING = 0.01


class RevisionWatcher:
    def __init__(self, refresh: Callable[[], object], database_url: str, poll_interval: float):
        self._refresh = refresh
        self._url = make_url(database_url)
        self._poll_interval = poll_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lazyconfig-watcher", daemon=True)
        # stop() writes to this pipe to end a wait for notifications at once.
        self._wake = os.pipe() if self._url.get_backend_name() == "postgresql" else None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._wake is not None:
            os.write(self._wake[1], b"x")
        self._thread.join(timeout=5)
        if self._wake is not None and not self._thread.is_alive():
            for fd in self._wake:
                os.close(fd)
            self._wake = None

    def _run(self) -> None:
        listen = self._url.get_backend_name() == "postgresql"
        while not self._stop.is_set():
            try:
                self._listen() if listen else self._poll()
            except Exception as exc:  # database gone: keep serving memory, try again soon
                log.warning("change watcher lost the database (%s); retrying", exc)
                self._stop.wait(1.0)

    def _poll(self) -> None:
        while not self._stop.wait(self._poll_interval):
            self._refresh()

    def _listen(self) -> None:
        with psycopg.connect(libpq_dsn(self._url), autocommit=True, **connect_args(self._url)) as conn, \
                selectors.DefaultSelector() as selector:
            conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            selector.register(conn.fileno(), selectors.EVENT_READ)
            selector.register(self._wake[0], selectors.EVENT_READ)
            self._refresh()  # catch up on anything written before LISTEN took effect
            last = time.monotonic()
            while not self._stop.is_set():
                # Wake for a notification or for stop(), so closing an engine is immediate
                # without polling; the refresh runs on a notification, or once a second as a
                # safety net for a notification lost with a dropped connection.
                ready = {key.fd for key, _ in selector.select(1.0)}
                if self._stop.is_set():
                    break
                notified = conn.fileno() in ready and _drained(conn)
                if notified:
                    # Under a stream of writes, one refresh per REFRESH_SPACING catches up
                    # with all of them: a refresh per write in every worker cost more CPU
                    # than the writes themselves.
                    self._stop.wait(max(0.0, last + REFRESH_SPACING - time.monotonic()))
                    _drained(conn)
                if notified or time.monotonic() - last >= 1.0:
                    self._refresh()
                    last = time.monotonic()


def libpq_dsn(url) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg's own connect() takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _drained(conn: psycopg.Connection) -> bool:
    """Consume every notification that has arrived; whether there was one."""
    return sum(1 for _ in conn.notifies(timeout=0)) > 0
