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
import json.encoder
import json.scanner
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import (Boolean, Connection, Engine, Integer, String, Table, Text, cast,
                        create_engine, event, func, select, text)

from .base import JSONText, UTCDateTime
from .connection import WRITE_OPTION
from .models import Base
from .unit_of_work import WRITE_LOCK_ID

# Operational tables, not configuration: which hosts are alive (read_lease.py) and which
# process took the last scheduled backup. A restored database starts without them.
EXCLUDED = frozenset({"hosts", "backup_schedule"})
# Kept by a trigger on `changes` (change analytics, migration 0009): restoring the log makes
# the trigger count it again, so these come last and replace what it made with the counts
# backed up, which also hold the compacted part of the log.
DERIVED = frozenset({"change_counts", "change_undos"})
STREAM_ROWS = 5_000  # rows fetched, and inserted, per round trip
PG_TIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'  # what datetime.isoformat gives in UTC
# json's C encoder called directly: JSONEncoder.encode builds one per call. Its arguments:
# markers (no cycle check), default, string encoder, indent, separators, sort_keys,
# skipkeys, allow_nan.
_ENCODE = json.encoder.c_make_encoder(None, lambda value: _iso(value),
                                      json.encoder.encode_basestring_ascii, None, ":", ",",
                                      True, False, False)
_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # one C call per JSON text


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, parents before children, the DERIVED ones last."""
    tables = [table for table in Base.metadata.sorted_tables if table.name not in EXCLUDED]
    return sorted(tables, key=lambda table: table.name in DERIVED)  # stable: keeps the rest


def header(table: Table) -> dict[str, Any]:
    return {"table": table.name, "columns": [column.name for column in table.columns]}


def _ordered(table: Table, dialect: str):
    keys = []
    # A table without a primary key is ordered by all its columns, so its order is fixed too.
    for column in table.primary_key.columns or table.columns:
        # PostgreSQL sorts text by its collation, SQLite by bytes: ask both for bytes.
        text_key = isinstance(column.type, String) and dialect == "postgresql"
        keys.append(column.collate("C") if text_key else column)
    columns = table.columns if dialect != "postgresql" else [_pg_text(c) for c in table.columns]
    return select(*columns).order_by(*keys)


def _pg_text(column):
    """Times as their canonical text and JSON as text, made by PostgreSQL: cheaper than a
    datetime per row, and than psycopg's JSON loader (which goes through json.loads)."""
    if isinstance(column.type, UTCDateTime):
        return func.to_char(func.timezone("UTC", column), PG_TIME_FORMAT).label(column.name)
    if isinstance(column.type, JSONText):
        return cast(column, Text).label(column.name)
    return column


def reading(engine: Engine) -> Connection:
    """A connection in one consistent snapshot: REPEATABLE READ on PostgreSQL, a read
    transaction on SQLite in WAL mode. Writers go on. Close it after."""
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="REPEATABLE READ",
                                          postgresql_readonly=True)
    conn = engine.connect()
    conn.begin()
    return conn


def dump(conn: Connection) -> Iterator[tuple[Table, Iterator[str]]]:
    """Each backed-up table and the canonical lines of its rows, read on `conn` (from
    `reading`, so that every table comes from the same snapshot)."""
    for table in backed_up_tables():
        yield table, _lines(conn, table)


def _lines(conn: Connection, table: Table) -> Iterator[str]:
    # The driver's cursor, not SQLAlchemy's result: its per-cell processing was most of a
    # backup's time; the canonical form needs work on SQLite's JSON, times and booleans only.
    fixes = _read_fixes(table, conn.dialect.name)
    statement = str(_ordered(table, conn.dialect.name).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    raw = conn.connection.dbapi_connection
    cursor = raw.cursor(name=f"backup_{table.name}") if conn.dialect.name == "postgresql" \
        else raw.cursor()
    try:
        cursor.execute(statement)
        while rows := cursor.fetchmany(STREAM_ROWS):
            for row in rows:
                if fixes:
                    row = list(row)
                    for index, fix in fixes:
                        if row[index] is not None:
                            row[index] = fix(row[index])
                yield "".join(_ENCODE(row, 0))
    finally:
        cursor.close()


def _read_fixes(table: Table, dialect: str) -> list[tuple[int, Callable[[Any], Any]]]:
    """What turns a column's value as read into its canonical one, by position: JSON text
    parsed; on SQLite, its time text and 0/1 booleans too (PostgreSQL sends both ready)."""
    fixes = []
    for index, column in enumerate(table.columns):
        kind = column.type
        if isinstance(kind, JSONText):
            fixes.append((index, _json_text))
        elif dialect == "sqlite" and isinstance(kind, UTCDateTime):
            fixes.append((index, _sqlite_time))
        elif dialect == "sqlite" and isinstance(kind, Boolean):
            fixes.append((index, bool))
    return fixes


def _sqlite_time(stored: str) -> str:
    # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (db/base.py: UTCDateTime)
    if len(stored) == 26 and stored[10] == " ":
        return f"{stored[:10]}T{stored[11:]}+00:00"
    return _iso(datetime.fromisoformat(stored).replace(tzinfo=timezone.utc))


def _json_text(stored: str) -> Any:
    try:
        return _SCAN(stored, 0)[0]
    except StopIteration:  # the scanner's word for "no JSON here"
        raise ValueError(f"not JSON: {stored[:40]!r}") from None


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


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


def scratch_sqlite(path: str) -> Engine:
    """An SQLite database for a trial restore: no journal and no fsync (it is thrown away
    after), foreign keys checked as on our engine."""
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=ON"):
            dbapi_connection.execute(f"PRAGMA {pragma}")
    return engine


def clear(conn: Connection) -> None:
    """Delete every row of the backed-up tables, children first."""
    for table in reversed(backed_up_tables()):
        conn.execute(table.delete())


def insert(conn: Connection, table: Table, columns: list[str],
           rows: Iterable[list[Any]]) -> int:
    """Insert canonical `rows` of `columns` into `table` through the driver (COPY on
    PostgreSQL, executemany on SQLite); returns how many. ValueError when `columns` are not
    the table's."""
    known = {column.name: column for column in table.columns}
    if set(columns) ^ set(known) or len(set(columns)) != len(columns):
        raise ValueError(f"table {table.name}: columns {columns} are not this lazyconfig's "
                         f"{list(known)}")
    fixes = _driver_fixes([known[name] for name in columns], conn.dialect.name)
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    count = 0
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(_fixed(row, fixes))
                    count += 1
            return count
        statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES " \
                    f"({', '.join('?' * len(columns))})"
        batch = []
        for row in rows:
            batch.append(_fixed(row, fixes))
            if len(batch) == STREAM_ROWS:
                cursor.executemany(statement, batch)
                count, batch = count + len(batch), []
        cursor.executemany(statement, batch)
        return count + len(batch)
    finally:
        cursor.close()


def _fixed(row: list[Any], fixes: list[tuple[int, Callable[[Any], Any]]]) -> list[Any]:
    for index, fix in fixes:
        row[index] = fix(row[index])
    return row


def _driver_fixes(columns, dialect: str) -> list[tuple[int, Callable[[Any], Any]]]:
    """What turns a canonical value into what the driver stores, by position: JSON as its
    text (JSON null for None, as JSONValue stores it), times as SQLite's text."""
    fixes = []
    for index, column in enumerate(columns):
        if isinstance(column.type, JSONText):
            fixes.append((index, lambda value: "".join(_ENCODE(value, 0))))
        elif isinstance(column.type, UTCDateTime):
            fixes.append((index, _stored_time if dialect == "sqlite" else _checked_time))
    return fixes


def _stored_time(value: str | None) -> str | None:
    """A canonical time as SQLAlchemy stores it in SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'."""
    if value is None:
        return None
    return _checked_time(value)[:26].replace("T", " ")


def _checked_time(value: str | None) -> str | None:
    if value is None:
        return None
    if not (len(value) == 32 and value.endswith("+00:00")):
        value = _iso(datetime.fromisoformat(value))  # ValueError for what is no time
    return value


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
