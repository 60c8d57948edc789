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
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import sessionmaker

from ..errors import (ConfigurationError, InvalidParameter, SchemaMoved,
                      StorageUnavailable)
from .connection import WRITE_OPTION
from .repositories.access import AuditRepository, RevocationRepository, ServiceTokenRepository
from .repositories.analytics import ChangeAnalyticsRepository, RefusalRepository
from .repositories.change_requests import ChangePolicyRepository, ChangeRequestRepository
from .repositories.changes import ChangeRepository
from .repositories.compactions import CompactionRepository
from .repositories.experiments import ExperimentRepository
from .repositories.hosts import HostRepository
from .repositories.key_migrations import KeyMigrationRepository
from .repositories.rollouts import RolloutRepository
from .repositories.rules import RuleRepository
from .repositories.snapshots import SnapshotRepository
from .repositories.templates import TemplateRepository
from .repositories.users import UserRepository
from .repositories.values import ValueRepository
from .repositories.watch_clients import WatchClientRepository

log = logging.getLogger(__name__)
WRITE_LOCK_ID = 0x1A2C0F16  # pg_advisory_xact_lock key shared by every lazyconfig writer
UNREACHABLE, DATA, SCHEMA = "unreachable", "data", "schema"
# PostgreSQL's SQLSTATE codes (and classes), most specific first: only a failure to reach
# or keep the server is worth a retry; a value it cannot hold fails again every time; a
# table or column missing, or a constraint ours never breaks, means the schema moved.
SQLSTATES = (("57P01", UNREACHABLE), ("57P02", UNREACHABLE), ("57P03", UNREACHABLE),
             ("57014", UNREACHABLE), ("55P03", UNREACHABLE), ("08", UNREACHABLE),
             ("53", UNREACHABLE), ("58", UNREACHABLE), ("40", UNREACHABLE),
             ("22", DATA), ("54", DATA), ("42P01", SCHEMA), ("42703", SCHEMA), ("23", SCHEMA))
# SQLite says the same in words: its busy and I/O errors are OperationalErrors too.
SQLITE_SCHEMA = ("no such table", "no such column", "has no column named")


def failure_kind(exc: BaseException) -> str | None:
    """UNREACHABLE, DATA or SCHEMA for a database failure we can name, else None."""
    if isinstance(exc, PoolTimeout):  # no pooled connection came free in time
        return UNREACHABLE
    if not isinstance(exc, DBAPIError):
        return None
    if exc.connection_invalidated:
        return UNREACHABLE
    state = getattr(exc.orig, "sqlstate", None) or ""
    for prefix, kind in SQLSTATES:
        if state.startswith(prefix):
            return kind
    if isinstance(exc, IntegrityError) or any(m in str(exc.orig) for m in SQLITE_SCHEMA):
        return SCHEMA
    if isinstance(exc, DataError):
        return DATA
    return UNREACHABLE if isinstance(exc, (OperationalError, InterfaceError)) else None


def storage_error(exc: BaseException, write: bool) -> ConfigurationError | None:
    """The domain error a database failure stands for, or None if `exc` is not one."""
    kind = failure_kind(exc)
    reason = getattr(getattr(getattr(exc, "orig", None), "diag", None), "message_primary",
                     None) or getattr(exc, "orig", exc)
    if kind == DATA and write:  # the database refused a value: the caller's fault
        return ConfigurationError(f"the database refused a value ({reason}); "
                                  "nothing was changed")
    if kind == DATA:
        return InvalidParameter(f"the database cannot take a value of this request "
                                f"({reason}); nothing was read")
    if kind is None:
        return None
    log.error("database error during a %s: %s", "write" if write else "read", exc)
    if kind == SCHEMA:
        return SchemaMoved(f"the database schema no longer matches this server ({reason}); "
                           "nothing was changed: run `lazyconfig db upgrade`, and the "
                           "server loads its configuration again")
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
        self.compactions = CompactionRepository(self.session)
        self.snapshots = SnapshotRepository(self.session)
        self.hosts = HostRepository(self.session)
        self.templates = TemplateRepository(self.session)
        self.key_migrations = KeyMigrationRepository(self.session)
        self.tokens = ServiceTokenRepository(self.session)
        self.revocations = RevocationRepository(self.session)
        self.audit = AuditRepository(self.session)
        self.analytics = ChangeAnalyticsRepository(self.session)
        self.refusals = RefusalRepository(self.session)
        self.users = UserRepository(self.session)
        self.experiments = ExperimentRepository(self.session)
        self.policies = ChangePolicyRepository(self.session)
        self.change_requests = ChangeRequestRepository(self.session)
        self.rollouts = RolloutRepository(self.session)
        self.watch_clients = WatchClientRepository(self.session)
        try:
            if self.write and self.session.get_bind().dialect.name == "postgresql":
                self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                     {"id": WRITE_LOCK_ID})
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
            if failure_kind(exc) in (DATA, SCHEMA):  # refused, so surely not committed
                raise storage_error(exc, write=True) from exc
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
