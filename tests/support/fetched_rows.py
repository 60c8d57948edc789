"""Counting the rows a database driver hands to SQLAlchemy, for tests that show a read
fetches no more rows than it returns: every cursor of the engine counts what it fetches."""
from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy import Engine, event

from lazyconfig.db import migrate
from lazyconfig.db.connection import make_engine


class Fetched:
    """`rows`: how many rows the cursors of `database` have fetched since it was set to 0."""

    def __init__(self, url: str) -> None:
        self.rows = 0
        self.database: Engine = make_engine(url)
        event.listen(self.database, "do_connect", self._counting_cursors)
        migrate.run(self.database)

    def _counting_cursors(self, dialect, connection_record, cargs, cparams) -> None:
        # The driver's own connect() then makes every cursor a counting one.
        if dialect.name == "sqlite":
            counting = self._cursor_class(sqlite3.Cursor)

            class Connection(sqlite3.Connection):
                def cursor(self, factory=counting):
                    return super().cursor(factory)
            cparams["factory"] = Connection
        else:
            cparams["cursor_factory"] = self._cursor_class(psycopg.Cursor)

    def _cursor_class(self, base: type) -> type:
        fetched = self

        class Counting(base):
            def fetchone(self):
                found = super().fetchone()
                fetched.rows += found is not None
                return found

            def fetchmany(self, *args, **kwargs):
                found = super().fetchmany(*args, **kwargs)
                fetched.rows += len(found)
                return found

            def fetchall(self):
                found = super().fetchall()
                fetched.rows += len(found)
                return found
        return Counting
