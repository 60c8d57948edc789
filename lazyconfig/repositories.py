"""One repository per table, and the unit of work that owns their session.

Repositories hold the SQL and no business rules. A unit of work rolls back unless
`commit()` is called; a writing one first takes the database-wide write lock, so change-log
ids are handed out in commit order and a reader can trust "everything up to revision N".
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from .db.connection import WRITE_OPTION
from .db.models import ChangeRow, RuleRow, SnapshotRow, ValueRow

NOTIFY_CHANNEL = "lazyconfig_changes"
_WRITE_LOCK_ID = 0x1A2C0F16  # pg_advisory_xact_lock key shared by every lazyconfig writer


class RuleRepository:
    def __init__(self, session: Session):
        self.session = session

    def all(self) -> list[RuleRow]:
        return list(self.session.scalars(select(RuleRow)))

    def for_keys(self, keys: Iterable[str]) -> list[RuleRow]:
        stmt = select(RuleRow).where(RuleRow.key.in_(list(keys)))
        return list(self.session.scalars(stmt.execution_options(populate_existing=True)))

    def keys(self) -> set[str]:
        return set(self.session.scalars(select(RuleRow.key)))

    def put(self, record: dict[str, Any], at: datetime, user: str | None) -> None:
        row = self.session.get(RuleRow, record["key"]) or RuleRow(key=record["key"])
        for name, value in record.items():
            setattr(row, name, value)
        row.updated_at, row.updated_by = at, user
        self.session.add(row)
        self.session.flush()


class ValueRepository:
    def __init__(self, session: Session):
        self.session = session

    def layers(self, keys: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        """The persisted layers as {key: {source: value}}, for all keys or the given ones.
        Plain columns, not ORM objects, so a read after a bulk upsert is never stale."""
        stmt = select(ValueRow.key, ValueRow.source, ValueRow.value)
        if keys is not None:
            stmt = stmt.where(ValueRow.key.in_(list(keys)))
        layers: dict[str, dict[str, Any]] = {}
        for key, source, value in self.session.execute(stmt):
            layers.setdefault(key, {})[source] = value
        return layers

    def put_many(self, rows: list[dict[str, Any]]) -> None:
        """Insert or replace (key, source) rows in one statement."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(ValueRow)
        stmt = stmt.on_conflict_do_update(
            index_elements=[ValueRow.key, ValueRow.source],
            set_={c: stmt.excluded[c] for c in
                  ("value", "revision", "updated_at", "updated_by", "description")})
        self.session.execute(stmt, rows)

    def delete_many(self, pairs: Iterable[tuple[str, str]]) -> None:
        by_source: dict[str, list[str]] = {}
        for key, source in pairs:
            by_source.setdefault(source, []).append(key)
        for source, keys in by_source.items():
            self.session.execute(
                delete(ValueRow).where(ValueRow.source == source, ValueRow.key.in_(keys)))


class ChangeRepository:
    def __init__(self, session: Session):
        self.session = session

    def append_many(self, rows: list[dict[str, Any]]) -> list[ChangeRow]:
        """Append rows to the log in order; each comes back with its revision."""
        objects = [ChangeRow(**row) for row in rows]
        self.session.add_all(objects)
        self.session.flush()
        return objects

    def head(self) -> int:
        return self.session.scalar(select(func.max(ChangeRow.id))) or 0

    def since(self, revision: int, limit: int | None = None) -> list[ChangeRow]:
        stmt = select(ChangeRow).where(ChangeRow.id > revision).order_by(ChangeRow.id)
        return list(self.session.scalars(stmt.limit(limit) if limit else stmt))

    def latest(self, limit: int, since: int | None = None, key: str | None = None,
               offset: int = 0) -> list[ChangeRow]:
        """With `since`: the oldest `limit` changes after it; without: the newest `limit`.
        Either way the result is in revision order."""
        stmt = select(ChangeRow)
        if key is not None:
            stmt = stmt.where(ChangeRow.key == key)
        if since is not None:
            stmt = stmt.where(ChangeRow.id > since).order_by(ChangeRow.id)
            return list(self.session.scalars(stmt.offset(offset).limit(limit)))
        stmt = stmt.order_by(ChangeRow.id.desc()).offset(offset).limit(limit)
        return list(reversed(list(self.session.scalars(stmt))))

    def count(self, key: str | None = None) -> int:
        stmt = select(func.count(ChangeRow.id))
        if key is not None:
            stmt = stmt.where(ChangeRow.key == key)
        return self.session.scalar(stmt) or 0

    def value_at(self, key: str, revision: int) -> tuple[bool, Any]:
        """(found, value): `key`'s effective value at `revision` as the log recorded it, the
        new value of its last change up to there, else the old value of its first one after."""
        upto = self.session.scalar(select(ChangeRow).where(
            ChangeRow.key == key, ChangeRow.id <= revision).order_by(ChangeRow.id.desc()).limit(1))
        if upto is not None:
            return True, upto.new_value
        after = self.session.scalar(select(ChangeRow).where(
            ChangeRow.key == key, ChangeRow.id > revision).order_by(ChangeRow.id).limit(1))
        return (True, after.old_value) if after is not None else (False, None)

    def last_per_key(self) -> list[ChangeRow]:
        newest = (select(func.max(ChangeRow.id).label("id")).group_by(ChangeRow.key)).subquery()
        return list(self.session.scalars(select(ChangeRow).join(newest, ChangeRow.id == newest.c.id)))


def change_log_head(engine: Engine) -> int:
    """The newest revision, asked on a plain connection outside any unit of work: the
    cheapest read there is (no session, no snapshot isolation), made before every request."""
    with engine.connect() as conn:
        return conn.scalar(select(func.max(ChangeRow.id))) or 0


class SnapshotRepository:
    _LISTED = (SnapshotRow.id, SnapshotRow.description, SnapshotRow.tags, SnapshotRow.pinned,
               SnapshotRow.created_at, SnapshotRow.created_by, SnapshotRow.revision,
               SnapshotRow.key_count)

    def __init__(self, session: Session):
        self.session = session

    def add(self, **fields: Any) -> SnapshotRow:
        row = SnapshotRow(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, snapshot_id: int) -> SnapshotRow | None:
        return self.session.get(SnapshotRow, snapshot_id)

    def page(self, limit: int, offset: int = 0) -> tuple[list[Any], int]:
        """Snapshot metadata, newest first, without the blobs; and the total count."""
        rows = self.session.execute(
            select(*self._LISTED).order_by(SnapshotRow.id.desc()).offset(offset).limit(limit))
        return list(rows), self.count()

    def count(self) -> int:
        return self.session.scalar(select(func.count(SnapshotRow.id))) or 0

    def delete(self, snapshot_id: int) -> bool:
        return self.session.execute(
            delete(SnapshotRow).where(SnapshotRow.id == snapshot_id)).rowcount > 0

    def prune(self, max_count: int, older_than: datetime) -> list[int]:
        """Delete unpinned snapshots past the age limit or beyond the newest `max_count`;
        the newest snapshot always stays."""
        newest = self.session.scalar(select(func.max(SnapshotRow.id)))
        newest_pinned = bool(self.session.scalar(
            select(SnapshotRow.pinned).where(SnapshotRow.id == newest)))
        unpinned = select(SnapshotRow.id).where(SnapshotRow.pinned.is_(False),
                                                SnapshotRow.id != newest)
        expired = set(self.session.scalars(unpinned.where(SnapshotRow.created_at < older_than)))
        # An unpinned newest takes one of the max_count places; a pinned one takes none.
        kept = max(max_count if newest_pinned else max_count - 1, 0)
        surplus = set(self.session.scalars(
            unpinned.order_by(SnapshotRow.id.desc()).offset(kept)))
        doomed = sorted(expired | surplus)
        if doomed:
            self.session.execute(delete(SnapshotRow).where(SnapshotRow.id.in_(doomed)))
        return doomed


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
        self.postgres = self.session.get_bind().dialect.name == "postgresql"
        if self.write and self.postgres:
            self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _WRITE_LOCK_ID})
        elif self.write:
            self.session.connection()  # BEGIN IMMEDIATE: take SQLite's write lock now
        return self

    def __exit__(self, *exc_info) -> None:
        # close() rolls back what was not committed, and leaves loaded rows readable.
        self.session.close()

    def notify(self, revision: int) -> None:
        """Tell listening processes that the log moved (PostgreSQL delivers it on commit)."""
        if self.postgres:
            self.session.execute(text("SELECT pg_notify(:channel, :rev)"),
                                 {"channel": NOTIFY_CHANNEL, "rev": str(revision)})

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
