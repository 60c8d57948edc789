"""The SQLAlchemy unit of work: a transaction and the repositories on it.

A unit of work rolls back unless `commit()` is called; a writing one first takes the
database-wide write lock, so change-log ids are handed out in commit order and a reader can
trust "everything up to revision N". Database failures leave it as the domain's errors, said
once here: StorageUnavailable when the database is out of reach, ConfigurationError when it
refused a value.
"""
from __future__ import annotations

import logging

from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

from ..errors import ConfigurationError, StorageUnavailable
from .connection import WRITE_OPTION
from .repositories.changes import ChangeRepository
from .repositories.hosts import HostRepository
from .repositories.rules import RuleRepository
from .repositories.snapshots import SnapshotRepository
from .repositories.values import ValueRepository

log = logging.getLogger(__name__)
_WRITE_LOCK_ID = 0x1A2C0F16  # pg_advisory_xact_lock key shared by every lazyconfig writer
# The database is down, unreachable, or so busy that no pooled connection came free in time.
UNREACHABLE = (DBAPIError, PoolTimeout)


def storage_error(exc: BaseException, write: bool) -> ConfigurationError | None:
    """The domain error a database failure stands for, or None if `exc` is not one."""
    if write and isinstance(exc, DataError):  # the database refused a value: the caller's fault
        reason = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
        return ConfigurationError(f"the database refused a value ({reason or exc.orig}); "
                                  "nothing was changed")
    if not isinstance(exc, UNREACHABLE):
        return None
    log.error("database error during a %s: %s", "write" if write else "read", exc)
    return StorageUnavailable("the configuration database is unavailable"
                              + ("; nothing was changed" if write else ""))


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker, write: bool = False):
        self._factory = session_factory
        self.write = write

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._factory()
        self.rules = RuleRepository(self.session)
        self.values = ValueRepository(self.session)
        self.changes = ChangeRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
        self.hosts = HostRepository(self.session)
        try:
            if self.write and self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                     {"id": _WRITE_LOCK_ID})
            elif self.write:
                self.session.connection()  # BEGIN IMMEDIATE: take SQLite's write lock now
        except Exception as exc:
            self.session.close()
            raise storage_error(exc, self.write) or exc
        return self

    def __exit__(self, kind, exc, traceback) -> None:
        # close() rolls back what was not committed, and leaves loaded rows readable.
        self.session.close()
        translated = storage_error(exc, self.write) if exc is not None else None
        if translated is not None:
            raise translated from exc

    def commit(self) -> None:
        # A connection lost during COMMIT leaves the outcome unknown: the database may have
        # committed before it went, so "nothing was changed" would be a lie.
        try:
            self.session.commit()
        except DBAPIError as exc:
            log.error("database error while committing a write: %s", exc)
            raise StorageUnavailable("the configuration database became unavailable while "
                                     "committing; the change may or may not have been "
                                     "applied: read it back before retrying") from exc


class SqlStorage:
    """Units of work on one database. PostgreSQL readers use REPEATABLE READ so that one
    refresh sees one consistent state; SQLite readers get that from WAL snapshots."""

    def __init__(self, engine: Engine, unit_of_work: type[SqlUnitOfWork] = SqlUnitOfWork):
        self.engine, self._unit_of_work = engine, unit_of_work
        reader = engine
        if engine.dialect.name == "postgresql":
            reader = engine.execution_options(isolation_level="REPEATABLE READ")
        writer = engine.execution_options(**{WRITE_OPTION: True})
        self._reader = sessionmaker(reader, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)

    def reading(self) -> SqlUnitOfWork:
        return self._unit_of_work(self._reader)

    def writing(self) -> SqlUnitOfWork:
        return self._unit_of_work(self._writer, write=True)
