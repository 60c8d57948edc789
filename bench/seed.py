"""Fill an empty, migrated lazyconfig database directly with SQL, for the scale scenario.

The history is one the service could have written: revision i + 1 defines key i (a custom
rule, action "rule"); every later revision r sets key (r - 1) % keys to the value r. So a
key's value is the revision of its last change (its version), each change's old value is the
key's previous one, and a snapshot taken at revision r holds exactly the values at r. Rows go
in through the models' tables: Core executemany on SQLite, COPY on PostgreSQL.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

from psycopg import sql
from sqlalchemy import Engine, Table, create_engine, text

from lazyconfig.db.base import JSONText, utcnow
from lazyconfig.db.models import ChangeRow, RuleRow, SnapshotRow, ValueRow
from lazyconfig.domain import ConfigurationValidationRule
from lazyconfig.domain.rules import ValueType

ACTOR = "bench-seed"
HISTORY = timedelta(days=10)  # inside the default 30-day snapshot age limit
CHUNK = 20_000


@dataclass(frozen=True)
class Scale:
    keys: int
    changes: int
    snapshots: int

    @cached_property
    def names(self) -> list[str]:
        return [f"bench_key_{index:05d}" for index in range(self.keys)]

    def last_change(self, index: int, revision: int) -> int:
        """The newest revision up to `revision` that touched key `index` (it must exist)."""
        return index + 1 + self.keys * ((revision - index - 1) // self.keys)

    def values_at(self, revision: int) -> dict[str, dict[str, Any]]:
        """The persisted layers at `revision` (>= 2 × keys, so every key has been set)."""
        return {name: {"runtime": self.last_change(i, revision)}
                for i, name in enumerate(self.names)}

    def snapshot_revisions(self) -> list[int]:
        """Spread evenly from 2 × keys (every key set) to the head; the oldest differs from
        the head in every key, so rolling back to it rewrites them all."""
        first = 2 * self.keys
        return [first + (self.changes - first) * s // self.snapshots for s in range(self.snapshots)]


FULL = Scale(keys=10_000, changes=1_000_000, snapshots=1_000)
QUICK = Scale(keys=500, changes=20_000, snapshots=20)


def seed(url: str, scale: Scale, vary: Callable[[dict], dict] | None = None) -> float:
    """Write rules, values, the change log and snapshots; returns the seconds it took.
    `vary` may change each change-log row (its action or actor) on its way in."""
    began = time.perf_counter()
    start = utcnow() - HISTORY
    step = HISTORY / scale.changes

    def at(revision: int):
        return start + step * revision

    tables = [(RuleRow.__table__, _rules(scale, at)), (ValueRow.__table__, _values(scale, at)),
              (ChangeRow.__table__, map(vary or (lambda row: row), _changes(scale, at))),
              (SnapshotRow.__table__, _snapshots(scale, at))]
    db = create_engine(url)
    try:
        (_copy if db.dialect.name == "postgresql" else _executemany)(db, tables)
    finally:
        db.dispose()
    return time.perf_counter() - began


def _rules(scale: Scale, at) -> Iterator[dict]:
    for i in range(scale.keys):
        rule = ConfigurationValidationRule(
            key=scale.names[i], default_value=0, value_type=ValueType.INT, min_value=0,
            max_value=2**40, description=f"benchmark key {i}")
        yield {**rule.to_record(), "updated_at": at(i + 1), "updated_by": ACTOR}


def _values(scale: Scale, at) -> Iterator[dict]:
    for i in range(scale.keys):
        revision = scale.last_change(i, scale.changes)
        yield {"id": i + 1, "key": scale.names[i], "source": "runtime", "value": revision,
               "revision": revision, "updated_at": at(revision), "updated_by": ACTOR,
               "description": None}


def _changes(scale: Scale, at) -> Iterator[dict]:
    for r in range(1, scale.changes + 1):
        i = (r - 1) % scale.keys
        defined = r <= scale.keys
        yield {"id": r, "at": at(r), "key": scale.names[i],
               "old_value": None if defined else (r - scale.keys if r > 2 * scale.keys else 0),
               "new_value": 0 if defined else r, "source": "default" if defined else "runtime",
               "action": "rule" if defined else "set", "actor": ACTOR,
               "description": "rule defined" if defined else None, "batch_id": None,
               "request_id": None}


def _snapshots(scale: Scale, at) -> Iterator[dict]:
    for n, revision in enumerate(scale.snapshot_revisions(), start=1):
        yield {"id": n, "description": f"benchmark snapshot {n}", "tags": ["bench"],
               "pinned": False, "created_at": at(revision), "created_by": ACTOR,
               "revision": revision, "key_count": scale.keys, "data": scale.values_at(revision)}


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _executemany(db: Engine, tables: list[tuple[Table, Iterable[dict]]]) -> None:
    with db.begin() as conn:  # one transaction: one fsync for the lot
        for table, rows in tables:
            for chunk in _chunks(rows, 50 if table is SnapshotRow.__table__ else CHUNK):
                conn.execute(table.insert(), chunk)


def _copy(db: Engine, tables: list[tuple[Table, Iterable[dict]]]) -> None:
    raw = db.raw_connection()
    try:
        with raw.driver_connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            for table, rows in tables:
                columns = [c.name for c in table.columns]
                as_json = [isinstance(c.type, JSONText) for c in table.columns]
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns)))
                with cursor.copy(statement) as copy:
                    for row in rows:  # JSON goes as text, which jsonb parses
                        copy.write_row([json.dumps(row[c], separators=(",", ":")) if j else row[c]
                                        for c, j in zip(columns, as_json)])
                if "id" in table.c:  # explicit ids leave the sequence behind
                    cursor.execute(sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), "
                                           "(SELECT max(id) FROM {}))").format(
                        sql.Literal(table.name), sql.Identifier(table.name)))
        raw.commit()
        with db.connect() as conn:  # planner statistics, as autovacuum would gather soon
            names = ", ".join(f'"{table.name}"' for table, _ in tables)
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text(f"ANALYZE {names}"))
    finally:
        raw.close()
