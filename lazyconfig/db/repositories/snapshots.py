"""Snapshot rows: the persisted layers captured at a revision, with their metadata."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import SnapshotRow


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
