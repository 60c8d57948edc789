"""The change log: append-only; its autoincrement id is the global revision."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Select, Text, cast, func, insert, select, text
from sqlalchemy.orm import Session

from ...domain import Change
from ...domain.past import KeyTrail
from ...domain.state import KeyMeta
from ...errors import ChangeLogCompacted
from ..base import detached
from ..connection import LARGE_READ, LARGE_ROW
from ..models import ChangeRow, CheckpointRow
from ..protocols import PAGE_BYTES, PAGE_ROWS
from . import past
from .compactions import compacted_through

NOTIFY_CHANNEL = "lazyconfig_changes"  # the change log trigger notifies it (migration 0002)
_CHANGES = ChangeRow.__table__
_APPEND = insert(_CHANGES)
_APPEND_RETURNING = _APPEND.returning(_CHANGES.c.id, sort_by_parameter_order=True)
_RETURNING_ROWS = 50  # above this, append_many reserves ids instead of INSERT ... RETURNING
_NEXT_IDS = text(f"SELECT nextval(pg_get_serial_sequence('{_CHANGES.name}', 'id')) "
                 "FROM generate_series(1, :count)")
# A big append on PostgreSQL goes through COPY, faster than a pipelined executemany
# (bench/HISTORY.md). The engine's rows hold every column.
_COPY_JSON = {"old_value", "new_value"}
_COPY_CHANGES = f"COPY {_CHANGES.name} ({', '.join(_CHANGES.c.keys())}) FROM STDIN"


def _text_length(column: Any) -> Any:
    return func.coalesce(func.length(cast(column, Text)), 0)


# What a change's values weigh, measured by the database as JSON text: pages stop at a
# number of bytes as well as rows, so a page of large values is not read whole.
_WEIGHT = _text_length(_CHANGES.c.old_value) + _text_length(_CHANGES.c.new_value)


def _change(row: Any) -> Change:
    """A change-log row (an ORM object, a plain row, or an appended row's dict) as a Change."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return Change(revision=get("id"), timestamp=get("at"), key=get("key"),
                  old_value=get("old_value"), new_value=get("new_value"), source=get("source"),
                  action=get("action"), user=get("actor"), description=get("description"),
                  batch_id=get("batch_id"), request_id=get("request_id"))


def _weighed(ids: Select, max_bytes: int, newest_first: bool) -> Select:
    """The changes whose ids `ids` selects (a page's worth), in page order, each with its
    weight, up to the first whose values bring the page to `max_bytes`: the database weighs
    them (a running sum), so no row past the cut reaches this process."""
    order = _CHANGES.c.id.desc() if newest_first else _CHANGES.c.id
    weighed = select(_CHANGES.c.id, _WEIGHT.label("weight"),
                     (func.sum(_WEIGHT).over(order_by=order) - _WEIGHT).label("before")
                     ).where(_CHANGES.c.id.in_(ids)).subquery()
    kept = select(weighed.c.id, weighed.c.weight).where(weighed.c.before < max_bytes).subquery()
    return select(_CHANGES, kept.c.weight).join(kept, kept.c.id == _CHANGES.c.id).order_by(order)


class ChangeRepository:
    def __init__(self, session: Session):
        self.session = session
        self._postgres = session.get_bind().dialect.name == "postgresql"
        self.appended: list[Change] = []  # this session's changes, in order

    def append_many(self, rows: list[dict[str, Any]]) -> list[Change]:
        """Append rows ({at, key, old_value, new_value, source, action, actor, description,
        batch_id, request_id}) to the log in order; returns them as Changes, each with its
        revision. The rows are taken over, not copied (a 10,000-key rollback made two copies
        of 10,000 rows): each gets its id and a value of its own where the caller might
        change one later. Only inside a writing unit of work, whose lock makes the next
        revisions ours to hand out."""
        for row in rows:
            row["old_value"], row["new_value"] = (detached(row["old_value"]),
                                                  detached(row["new_value"]))
        if len(rows) <= _RETURNING_ROWS:
            for row, revision in zip(rows, self.session.scalars(_APPEND_RETURNING, rows)):
                row["id"] = revision
        else:
            # Reserving the ids in one query and inserting with them beat INSERT ...
            # RETURNING for large appends (bench/HISTORY.md); PostgreSQL then uses COPY.
            for row, revision in zip(rows, self._reserve(len(rows))):
                row["id"] = revision
            if self._postgres:
                self._copy(rows)
            else:
                self.session.execute(_APPEND, rows)
        changes = [_change(row) for row in rows]
        self.appended += changes
        return changes

    def _copy(self, rows: list[dict[str, Any]]) -> None:
        """PostgreSQL's COPY, encoding JSON as the INSERT would (None as JSON null). COPY
        fires the table's statement trigger (NOTIFY) as an INSERT does."""
        columns = _CHANGES.c.keys()
        cursor = self.session.connection().connection.cursor()
        with cursor, cursor.copy(_COPY_CHANGES) as copy:
            for row in rows:
                copy.write_row([Jsonb(row[c]) if c in _COPY_JSON else row[c] for c in columns])

    def _reserve(self, count: int) -> list[int]:
        if self._postgres:
            return sorted(self.session.scalars(_NEXT_IDS, {"count": count}))
        first = self.head() + 1  # SQLite gives an INTEGER PRIMARY KEY max + 1 itself
        return list(range(first, first + count))

    def head(self) -> int:
        return self.session.scalar(select(func.max(ChangeRow.id))) or 0

    def since(self, revision: int, limit: int = PAGE_ROWS,
              max_bytes: int = PAGE_BYTES) -> list[Change]:
        """The first page of changes after `revision`, oldest first: at most `limit`, and
        none after the first whose values bring the page to `max_bytes` (db/protocols.py).
        Read by every catch-up, so from plain rows, without building ORM objects."""
        return self.latest(limit, since=revision, max_bytes=max_bytes)

    def latest(self, limit: int, since: int | None = None, key: str | None = None,
               max_bytes: int = PAGE_BYTES) -> list[Change]:
        """With `since`: the oldest `limit` changes after it; without: the newest `limit`.
        Either way the result is in revision order, cut at `max_bytes` of values, and only
        its rows are read."""
        if since is None:
            return list(reversed(self.newest_first(limit, key=key, max_bytes=max_bytes)))
        ids = self._ids(key).where(_CHANGES.c.id > since).order_by(_CHANGES.c.id)
        return self._read(_weighed(ids.limit(limit), max_bytes, newest_first=False))

    def newest_first(self, limit: int, offset: int = 0, key: str | None = None,
                     max_bytes: int = PAGE_BYTES) -> list[Change]:
        """The page of `limit` changes (of `key`, or all) after the newest `offset`, newest
        first, cut at `max_bytes` of values; the database skips the `offset` and weighs the
        values, so only the page's rows are read."""
        ids = self._ids(key).order_by(_CHANGES.c.id.desc()).offset(offset).limit(limit)
        return self._read(_weighed(ids, max_bytes, newest_first=True))

    @staticmethod
    def _ids(key: str | None) -> Select:
        stmt = select(_CHANGES.c.id)
        return stmt if key is None else stmt.where(_CHANGES.c.key == key)

    def _read(self, stmt: Select) -> list[Change]:
        # Plain rows, not ORM objects: nothing stays in the session's identity map.
        rows = self.session.execute(stmt).all()
        if self._postgres and any(row.weight >= LARGE_ROW for row in rows):
            self.session.connection().info[LARGE_READ] = True
        return [_change(row) for row in rows]

    def count(self, key: str | None = None) -> int:
        stmt = select(func.count(ChangeRow.id))
        if key is not None:
            stmt = stmt.where(ChangeRow.key == key)
        return self.session.scalar(stmt) or 0

    def value_at(self, key: str, revision: int) -> tuple[bool, Any]:
        """(found, value): `key`'s effective value at `revision` as the log recorded it, the
        new value of its last change up to there, else the old value of its first one after.
        Before the compacted part of the log: ChangeLogCompacted, never a guess."""
        through = compacted_through(self.session)
        if revision < through:
            raise ChangeLogCompacted(revision, through)
        upto = self.session.scalar(select(ChangeRow).where(
            ChangeRow.key == key, ChangeRow.id <= revision).order_by(ChangeRow.id.desc()).limit(1))
        if upto is not None:
            return True, upto.new_value
        kept = self.session.get(CheckpointRow, key) if through else None
        if kept is not None:  # its last change up to `revision` was compacted: the checkpoint's
            return True, kept.value
        after = self.session.scalar(select(ChangeRow).where(
            ChangeRow.key == key, ChangeRow.id > revision).order_by(ChangeRow.id).limit(1))
        return (True, after.old_value) if after is not None else (False, None)

    def trails_at(self, revision: int) -> dict[str, KeyTrail]:
        """Each defined key's trail at `revision` (db/repositories/past.py)."""
        return past.trails_at(self.session, revision)

    def revision_at(self, at: datetime) -> int:
        """The newest revision committed at or before `at`."""
        return past.revision_at(self.session, at)

    def last_per_key(self) -> dict[str, KeyMeta]:
        """Each key's last change: its version, when and by whom."""
        newest = (select(func.max(ChangeRow.id).label("id")).group_by(ChangeRow.key)).subquery()
        rows = self.session.scalars(select(ChangeRow).join(newest, ChangeRow.id == newest.c.id))
        kept = self.session.execute(select(CheckpointRow.key, CheckpointRow.revision,
                                           CheckpointRow.at, CheckpointRow.actor))
        # A key whose changes were all compacted keeps its version from the checkpoint.
        return {**{r.key: KeyMeta(r.revision, r.at, r.actor) for r in kept},
                **{row.key: KeyMeta(row.id, row.at, row.actor) for row in rows}}
