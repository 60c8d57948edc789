"""Database engines: SQLite in WAL mode with immediate write transactions, or PostgreSQL."""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

WRITE_OPTION = "lazyconfig_write"
WAL_ATTEMPTS = 250  # 5 s of asking
# Seconds to wait for a PostgreSQL connection (unless the URL sets connect_timeout): without
# it an unreachable host holds a request for the OS's TCP timeout, minutes.
CONNECT_TIMEOUT = 5
POOL_TIMEOUT = 10  # seconds a request waits for a free pooled connection
# Pooled SQLite connections move between threads; a locked database is waited for 30 s.
SQLITE_CONNECT_ARGS = {"timeout": 30, "check_same_thread": False}


# Set in a connection's info by a read of a large row (db/repositories/): libpq keeps each
# connection's input buffer as large as the largest row it has read, so such a connection
# is closed when it goes back to the pool instead of keeping that much for good
# (docs/architecture.md, "Worker model", Memory).
LARGE_READ = "lazyconfig_large_read"
LARGE_ROW = 256 << 10  # bytes of a row from which its connection is not kept


def connect_args(url) -> dict:
    """psycopg connection arguments that bound how long connecting may take."""
    return {} if "connect_timeout" in make_url(url).query else {"connect_timeout": CONNECT_TIMEOUT}


def make_probe_engine(url: str) -> Engine:
    """An engine for one cheap autocommit query at a time on raw connections: no pre-ping
    (a failed query invalidates its connection instead) and no rollback on return."""
    options = {"connect_args": SQLITE_CONNECT_ARGS}
    if make_url(url).get_backend_name() != "sqlite":
        options = {"connect_args": connect_args(url), "pool_timeout": POOL_TIMEOUT}
    return create_engine(url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None,
                         **options)


def _close_after_large_read(_dbapi_connection, record) -> None:
    if record.info.pop(LARGE_READ, False):
        record.invalidate()  # the pool opens a new connection in its place when needed


def _enter_wal(cursor) -> None:
    """Switch the database to WAL (once per file; a no-op after). On a new file the switch
    needs a moment alone, and SQLite answers "database is locked" at once, without waiting,
    to a connection that asks while others are opening it: ask again."""
    for attempt in range(WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.02)


def make_engine(url: str) -> Engine:
    """Build the engine for `url`; a write session (WRITE_OPTION) locks out other writers
    from its first statement, so writers queue instead of failing later with a deadlock."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               pool_timeout=POOL_TIMEOUT, connect_args=connect_args(url))
        event.listen(engine, "checkin", _close_after_large_read)
        return engine
    if not parsed.database or parsed.database == ":memory:" or "mode=memory" in str(parsed):
        # Every pooled connection would open its own empty database: the watcher and any
        # second thread would see no tables, or another configuration.
        raise ValueError(f"{url}: an in-memory SQLite database is not supported; "
                         "use a file, e.g. sqlite:///instance/lazyconfig.db")
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args=SQLITE_CONNECT_ARGS)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # We emit BEGIN ourselves (below); pysqlite's own transaction handling is off.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _enter_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
