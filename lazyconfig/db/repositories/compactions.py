"""Compaction of the change log: the checkpoint that keeps what removed changes told, the
record of each compaction, and the queries that find how far a compaction may go. Every
query is bounded by the rows a step removes, never by the size of the log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, true
from sqlalchemy.orm import Session

from ...domain.state import KeyMeta
from ..models import ChangeRow, CheckpointRow, CompactionRow

RECORDS_KEPT = 1000  # compaction records kept; older ones are dropped with each step
_C, _CP = ChangeRow.__table__, CheckpointRow.__table__
_THROUGH = select(CompactionRow.through).order_by(CompactionRow.id.desc()).limit(1)


def compacted_through(session: Session) -> int:
    """Every change up to this revision was compacted into the checkpoint (0: none)."""
    return session.scalar(_THROUGH) or 0


class CompactionRepository:
    def __init__(self, session: Session):
        self.session = session

    def through(self) -> int:
        return compacted_through(self.session)

    def nth_after(self, revision: int, n: int) -> int | None:
        """The revision of the `n`-th change after `revision`, if there are that many."""
        return self.session.scalar(select(_C.c.id).where(_C.c.id > revision)
                                   .order_by(_C.c.id).offset(n - 1).limit(1))

    def first_at_or_after(self, after: int, upto: int, cutoff: datetime) -> int | None:
        """The first change in (after, upto] made at or after `cutoff`, if any."""
        return self.session.scalar(select(_C.c.id).where(
            _C.c.id > after, _C.c.id <= upto, _C.c.at >= cutoff).order_by(_C.c.id).limit(1))

    def compact(self, through: int, at: datetime, actor: str | None) -> int:
        """Fold the changes after the current checkpoint up to `through` into it (each key's
        last one), delete them and record the step; returns how many were removed. Only
        inside a writing unit of work: the step is atomic with it."""
        start = self.through()
        span = (_C.c.id > start, _C.c.id <= through)
        last = select(func.max(_C.c.id).label("id")).where(*span).group_by(_C.c.key).subquery()
        folded = (select(_C.c.key, _C.c.id, _C.c.at, _C.c.actor, _C.c.new_value)
                  .join(last, _C.c.id == last.c.id).where(true()))
        self.session.execute(delete(_CP).where(_CP.c.key.in_(select(_C.c.key).where(*span))))
        self.session.execute(insert(_CP).from_select(
            ["key", "revision", "at", "actor", "value"], folded))
        removed = self.session.execute(delete(_C).where(*span)).rowcount
        row = CompactionRow(at=at, actor=actor, through=through, removed=removed)
        self.session.add(row)
        self.session.flush()
        self.session.execute(delete(CompactionRow).where(
            CompactionRow.id <= row.id - RECORDS_KEPT))
        return removed

    def checkpoint(self) -> dict[str, tuple[KeyMeta, object]]:
        """Each key the checkpoint holds: its last removed change's (meta, value)."""
        rows = self.session.execute(select(_CP))
        return {r.key: (KeyMeta(r.revision, r.at, r.actor), r.value) for r in rows}

    def records(self, limit: int = 20) -> list[dict]:
        """The newest compaction records: who compacted, when, up to which revision."""
        rows = self.session.execute(select(CompactionRow).order_by(
            CompactionRow.id.desc()).limit(limit)).scalars()
        return [{"at": r.at, "user": r.actor, "through": r.through, "removed": r.removed}
                for r in rows]
