"""The unit of work: a transaction and the repositories on it.

A unit of work rolls back unless `commit()` is called; a writing one first takes the
database-wide write lock, so change-log ids are handed out in commit order and a reader can
trust "everything up to revision N".
"""
from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from .connection import WRITE_OPTION
from .repositories.changes import ChangeRepository
from .repositories.hosts import HostRepository
from .repositories.rules import RuleRepository
from .repositories.snapshots import SnapshotRepository
from .repositories.values import ValueRepository

_WRITE_LOCK_ID = 0x1A2C0F16  # pg_advisory_xact_lock key shared by every lazyconfig writer


class UnitOfWork:
    """A transaction and the repositories on it; rolls back unless committed."""

    def __init__(self, session_factory: sessionmaker, write: bool = False):
        self._factory = session_factory
        self.write = write

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        self.rules = RuleRepository(self.session)
        self.values = ValueRepository(self.session)
        self.changes = ChangeRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
        self.hosts = HostRepository(self.session)
        self.postgres = self.session.get_bind().dialect.name == "postgresql"
        if self.write and self.postgres:
            self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _WRITE_LOCK_ID})
        elif self.write:
            self.session.connection()  # BEGIN IMMEDIATE: take SQLite's write lock now
        return self

    def __exit__(self, *exc_info) -> None:
        # close() rolls back what was not committed, and leaves loaded rows readable.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


def session_factories(engine: Engine) -> tuple[sessionmaker, sessionmaker]:
    """(reader, writer) session factories. PostgreSQL readers use REPEATABLE READ so that one
    refresh sees one consistent state; SQLite readers get that from WAL snapshots."""
    reader_engine = engine
    if engine.dialect.name == "postgresql":
        reader_engine = engine.execution_options(isolation_level="REPEATABLE READ")
    writer_engine = engine.execution_options(**{WRITE_OPTION: True})
    return (sessionmaker(reader_engine, expire_on_commit=False),
            sessionmaker(writer_engine, expire_on_commit=False))
