"""Snapshot rows: the persisted layers captured at a revision, with their metadata."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ...domain.model import Snapshot, SnapshotInfo
from ..connection import LARGE_READ
from ..models import SnapshotRow


def _info(row: Any) -> SnapshotInfo:
    return SnapshotInfo(row.id, row.description, tuple(row.tags or ()), row.created_at,
                        row.created_by, row.revision, row.key_count, row.pinned)


class SnapshotRepository:
    _LISTED = (SnapshotRow.id, SnapshotRow.description, SnapshotRow.tags, SnapshotRow.pinned,
               SnapshotRow.created_at, SnapshotRow.created_by, SnapshotRow.revision,
               SnapshotRow.key_count)

    def __init__(self, session: Session):
        self.session = session

    def add(self, *, description: str | None, tags: list[str], pinned: bool,
            created_at: datetime, created_by: str | None, revision: int,
            data: dict[str, dict[str, Any]]) -> SnapshotInfo:
        row = SnapshotRow(description=description, tags=list(tags), pinned=pinned,
                          created_at=created_at, created_by=created_by, revision=revision,
                          key_count=len(data), data=data)
        self.session.add(row)
        self.session.flush()
        return _info(row)

    def get(self, snapshot_id: int) -> Snapshot | None:
        row = self.session.get(SnapshotRow, snapshot_id)
        if row is not None and self.session.get_bind().dialect.name == "postgresql":
            # All of a configuration in one row: its connection is not kept (LARGE_READ).
            self.session.connection().info[LARGE_READ] = True
        return None if row is None else Snapshot(_info(row), row.data)

    def exists(self, snapshot_id: int) -> bool:
        """Whether the snapshot is there, without loading its data."""
        return self.session.scalar(
            select(SnapshotRow.id).where(SnapshotRow.id == snapshot_id)) is not None

    def page(self, limit: int, offset: int = 0) -> tuple[list[SnapshotInfo], int]:
        """Snapshot metadata, newest first, without the blobs; and the total count."""
        rows = self.session.execute(
            select(*self._LISTED).order_by(SnapshotRow.id.desc()).offset(offset).limit(limit))
        total = self.session.scalar(select(func.count(SnapshotRow.id))) or 0
        return [_info(row) for row in rows], total

    def retention_listing(self) -> list[tuple[int, bool, datetime]]:
        """(id, pinned, created_at) of every snapshot, newest first: what retention decides on."""
        stmt = select(SnapshotRow.id, SnapshotRow.pinned, SnapshotRow.created_at)
        return [tuple(row) for row in self.session.execute(stmt.order_by(SnapshotRow.id.desc()))]

    def replace_data(self, snapshot_id: int, data: dict[str, dict[str, Any]]) -> None:
        """Replace what a snapshot holds (a config migration renames keys in it)."""
        self.session.execute(update(SnapshotRow).where(SnapshotRow.id == snapshot_id).values(
            data=data, key_count=len(data)))

    def set_pinned(self, snapshot_id: int, pinned: bool) -> tuple[SnapshotInfo, bool] | None:
        """Pin or unpin a snapshot: its metadata after and whether it changed, or None when
        there is no such snapshot."""
        changed = self.session.execute(update(SnapshotRow).where(
            SnapshotRow.id == snapshot_id, SnapshotRow.pinned != pinned).values(pinned=pinned))
        row = self.session.execute(
            select(*self._LISTED).where(SnapshotRow.id == snapshot_id)).first()
        return None if row is None else (_info(row), bool(changed.rowcount))

    def delete_many(self, snapshot_ids: Iterable[int]) -> int:
        """Delete these snapshots; returns how many there were."""
        ids = list(snapshot_ids)
        if not ids:
            return 0
        return self.session.execute(delete(SnapshotRow).where(SnapshotRow.id.in_(ids))).rowcount
