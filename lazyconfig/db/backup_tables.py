"""The tables a backup holds, as canonical rows: read in one consistent read transaction,
written back in one write transaction (docs/backups.md).

Every table of `Base.metadata` is backed up, in dependency order, except the operational
ones in EXCLUDED: a feature's new table is included with no edit here. A row's canonical
form is the JSON array of its column values, object keys sorted, datetimes in ISO 8601 UTC,
rows ordered by primary key (byte order for text on both databases), so the same state
gives the same lines on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Connection, Engine, Integer, String, Table, func, select, text

from .base import UTCDateTime
from .connection import WRITE_OPTION
from .models import Base
from .unit_of_work import WRITE_LOCK_ID

# Operational tables, not configuration: which hosts are alive (read_lease.py) and which
# process took the last scheduled backup. A restored database starts without them.
EXCLUDED = frozenset({"hosts", "backup_schedule"})
STREAM_ROWS = 5_000  # rows fetched, and inserted, per round trip
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False,
                            default=lambda value: value.isoformat())


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    return [table for table in Base.metadata.sorted_tables if table.name not in EXCLUDED]


def header(table: Table) -> dict[str, Any]:
    return {"table": table.name, "columns": [column.name for column in table.columns]}


def encode_row(row: Iterable[Any]) -> str:
    """A row's canonical line (without the newline)."""
    return _ENCODER.encode(tuple(row))


def row_decoder(table: Table, columns: list[str]) -> Callable[[list[Any]], dict[str, Any]]:
    """Turns a canonical row of `columns` back into the values `table.insert()` takes."""
    known = {column.name: column for column in table.columns}
    missing = set(columns) ^ set(known)
    if missing:
        raise ValueError(f"table {table.name}: columns {sorted(missing)} differ from this "
                         "lazyconfig's schema")
    dates = [i for i, name in enumerate(columns) if isinstance(known[name].type, UTCDateTime)]

    def decode(values: list[Any]) -> dict[str, Any]:
        for i in dates:
            if values[i] is not None:
                values[i] = datetime.fromisoformat(values[i])
        return dict(zip(columns, values))
    return decode


def _ordered(table: Table, dialect: str):
    keys = []
    for column in table.primary_key.columns:
        # PostgreSQL sorts text by its collation, SQLite by bytes: ask both for bytes.
        text_key = isinstance(column.type, String) and dialect == "postgresql"
        keys.append(column.collate("C") if text_key else column)
    return select(table).order_by(*keys)


def reading(engine: Engine) -> Connection:
    """A connection whose first statement starts one consistent snapshot: REPEATABLE READ
    on PostgreSQL, a deferred read transaction on SQLite in WAL mode. Writers go on."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ",
                                          postgresql_readonly=True)
    return engine.connect()


def dump(conn: Connection) -> Iterator[tuple[Table, Iterator[str]]]:
    """Each backed-up table and the canonical lines of its rows, read on `conn` (open a
    transaction on it first: every table then comes from the same snapshot)."""
    for table in backed_up_tables():
        yield table, _lines(conn, table)


def _lines(conn: Connection, table: Table) -> Iterator[str]:
    result = conn.execution_options(yield_per=STREAM_ROWS).execute(
        _ordered(table, conn.dialect.name))
    for rows in result.partitions():
        for row in rows:
            yield encode_row(row)


def head_revision(conn: Connection) -> int:
    """The change log's newest revision (0 for a new database)."""
    return conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM changes")) or 0


def is_empty(conn: Connection) -> bool:
    """True when no backed-up table holds a row."""
    return all(conn.execute(select(1).select_from(table).limit(1)).first() is None
               for table in backed_up_tables())


def writing(engine: Engine) -> Connection:
    """A connection for one write transaction holding the database-wide write lock, the
    one every lazyconfig writer takes (db/unit_of_work.py)."""
    conn = engine.execution_options(**{WRITE_OPTION: True}).connect()
    conn.begin()
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITE_LOCK_ID})
    return conn


def clear(conn: Connection) -> None:
    """Delete every row of the backed-up tables, children first."""
    for table in reversed(backed_up_tables()):
        conn.execute(table.delete())


def insert(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> int:
    """Insert `rows` into `table` a batch at a time; returns how many."""
    count, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) == STREAM_ROWS:
            conn.execute(table.insert(), batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(table.insert(), batch)
    return count + len(batch)


def reset_sequences(conn: Connection) -> None:
    """On PostgreSQL, move each integer id's sequence past the restored ids (SQLite takes
    max + 1 by itself)."""
    if conn.dialect.name != "postgresql":
        return
    for table in backed_up_tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer) or not keys[0].autoincrement:
            continue
        sequence = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": keys[0].name})
        if sequence is not None:
            top = conn.scalar(select(func.max(keys[0])))
            conn.execute(text("SELECT setval(:s, :v, :called)"),
                         {"s": sequence, "v": top or 1, "called": top is not None})
