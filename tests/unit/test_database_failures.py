"""Which database failures are an outage worth a retry, which are the caller's, and which
mean the schema moved: by exception type and PostgreSQL SQLSTATE, and SQLite's words."""
from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from lazyconfig.db.unit_of_work import DATA, SCHEMA, UNREACHABLE, failure_kind, storage_error
from lazyconfig.errors import InvalidParameter, SchemaMoved, StorageUnavailable


def postgres(sqlstate: str) -> DBAPIError:
    error = psycopg.errors.lookup(sqlstate)("as the server says it")
    return DBAPIError.instance("SELECT 1", None, error, psycopg.Error)


def sqlite(kind: type, message: str) -> DBAPIError:
    return DBAPIError.instance("SELECT 1", None, kind(message), sqlite3.Error)


@pytest.mark.parametrize("sqlstate, kind", [
    ("08006", UNREACHABLE),  # connection failure
    ("57P01", UNREACHABLE),  # admin shutdown
    ("57P03", UNREACHABLE),  # cannot connect now
    ("53300", UNREACHABLE),  # too many connections
    ("40P01", UNREACHABLE),  # deadlock detected: nothing was changed, a retry may pass
    ("22021", DATA),  # character not in repertoire
    ("22P05", DATA),  # untranslatable character (a \u0000 in JSON)
    ("42P01", SCHEMA),  # undefined table
    ("42703", SCHEMA),  # undefined column
    ("23503", SCHEMA),  # foreign key violation: ours are never broken by our own writes
    ("42601", None),  # a syntax error is our bug, not an outage: a 500, logged
])
def test_postgresql_failures_by_sqlstate(sqlstate, kind):
    assert failure_kind(postgres(sqlstate)) == kind


@pytest.mark.parametrize("error, kind", [
    (sqlite(sqlite3.OperationalError, "database is locked"), UNREACHABLE),
    (sqlite(sqlite3.OperationalError, "disk I/O error"), UNREACHABLE),
    (sqlite(sqlite3.OperationalError, "unable to open database file"), UNREACHABLE),
    (sqlite(sqlite3.OperationalError, "no such table: config_values"), SCHEMA),
    (sqlite(sqlite3.OperationalError, "table changes has no column named actor"), SCHEMA),
    (sqlite(sqlite3.IntegrityError, "FOREIGN KEY constraint failed"), SCHEMA),
    (PoolTimeout("no connection came free"), UNREACHABLE),
    (ValueError("not a database failure"), None),
])
def test_sqlite_and_pool_failures(error, kind):
    assert failure_kind(error) == kind


def test_each_kind_becomes_its_domain_error():
    assert isinstance(storage_error(postgres("08006"), write=True), StorageUnavailable)
    assert isinstance(storage_error(postgres("22021"), write=False), InvalidParameter)
    refused = storage_error(postgres("22021"), write=True)
    assert "refused a value" in refused.message and "nothing was changed" in refused.message
    assert isinstance(storage_error(postgres("42P01"), write=True), SchemaMoved)
    assert storage_error(postgres("42601"), write=True) is None
