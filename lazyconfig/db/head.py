"""The change log's head, asked on the hot path through a pool of its own."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from .connection import make_probe_engine
from .models import ChangeRow, HostRow
from .repositories.hosts import database_clock


class ChangeLogHead:
    """The change log's newest revision, asked before every API request and by the SQLite
    watcher. It has a small pool of its own (autocommit, raw DBAPI cursor, no pre-ping, no
    reset on return): through a Session's pool the same query costs many times as much, and
    it was most of the time of a read served from memory (bench/HISTORY.md)."""

    _SQL = f"SELECT max(id) FROM {ChangeRow.__tablename__}"

    def __init__(self, url: str):
        self._engine = make_probe_engine(url)
        self._dbapi_error = self._engine.dialect.loaded_dbapi.Error
        self._lease_sql = text(
            f"SELECT (SELECT max(id) FROM {ChangeRow.__tablename__}), "
            f"{database_clock(self._engine.dialect.name)}, (SELECT max(seen_at) FROM "
            f"{HostRow.__tablename__} WHERE id <> :me AND writes)")

    def __call__(self) -> int:
        try:
            conn = self._engine.raw_connection()
        except self._dbapi_error as exc:  # raw_connection() leaves a failed connect unwrapped
            raise DBAPIError.instance(self._SQL, None, exc, self._dbapi_error) from exc
        try:
            cursor = conn.cursor()
            cursor.execute(self._SQL)
            (head,) = cursor.fetchone()
            cursor.close()
        except self._dbapi_error as exc:
            conn.invalidate()  # without pre-ping a broken connection must not go back
            raise DBAPIError.instance(self._SQL, None, exc, self._dbapi_error) from exc
        finally:
            conn.close()
        return head or 0

    def lease_facts(self, host_id: str) -> tuple[int, float, float | None]:
        """In one statement (one snapshot): the change log's head, the database's clock,
        and when a host other than `host_id` that writes was last seen."""
        with self._engine.connect() as conn:
            head, now, seen = conn.execute(self._lease_sql, {"me": host_id}).one()
        return head or 0, now, seen

    def dispose(self) -> None:
        self._engine.dispose()
