"""The PostgreSQL watcher: a stream of change notifications costs a refresh per 10 ms, not one
per notification. (On SQLite the watcher polls; there is nothing to coalesce.)"""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from lazyconfig.db.repositories.changes import NOTIFY_CHANNEL
from lazyconfig.coherence.watcher import RevisionWatcher, libpq_dsn

NOTIFICATIONS = 50


class Refreshes:
    def __init__(self):
        self.count = 0
        self.happened = threading.Event()

    def __call__(self):
        self.count += 1
        self.happened.set()


def test_a_stream_of_notifications_is_not_a_refresh_each(postgres_url):
    if not postgres_url:
        pytest.skip("PostgreSQL only: the SQLite watcher polls")
    refreshes = Refreshes()
    watcher = RevisionWatcher(refreshes, postgres_url, poll_interval=0.2)
    watcher.start()
    try:
        assert refreshes.happened.wait(10), "the watcher never caught up after LISTEN"
        time.sleep(0.1)
        before = refreshes.count
        refreshes.happened.clear()
        # 50 writes' notifications, each committed on its own, about 2 ms apart: a refresh
        # per notification would be 50; one per REFRESH_SPACING (10 ms) is about 12.
        with psycopg.connect(libpq_dsn(postgres_url), autocommit=True) as conn:
            for n in range(NOTIFICATIONS):
                conn.execute(f"NOTIFY {NOTIFY_CHANNEL}, '{n}'")
                time.sleep(0.002)
        assert refreshes.happened.wait(5), "no refresh after the notifications"
        time.sleep(0.3)  # the last notifications are answered meanwhile
        made = refreshes.count - before
        assert 1 <= made <= NOTIFICATIONS // 2, made
    finally:
        watcher.stop()
