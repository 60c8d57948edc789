"""Reads of the change log at a past revision: per key, its last change up to the revision,
found by one probe of the (key, id) index per key, so the cost grows with the number of
keys, not with the length of the log (docs/point-in-time.md)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ...domain.past import KeyTrail
from ...errors import ChangeLogCompacted
from ..connection import LARGE_READ
from ..models import ChangeRow, CheckpointRow, RuleRow
from .compactions import compacted_through

LARGE_CONFIGURATION = 1000  # keys read at once above which the connection is not pooled again
_C, _CP, _KEYS = ChangeRow.__table__, CheckpointRow.__table__, RuleRow.__table__


def _probe(*conditions, newest: bool):
    """The id of one key's (the outer rule row's) newest or oldest change meeting
    `conditions`: an index probe, never a scan of the key's changes."""
    order = _C.c.id.desc() if newest else _C.c.id
    return (select(_C.c.id).where(_C.c.key == _KEYS.c.key, *conditions)
            .order_by(order).limit(1).scalar_subquery())


def trails_at(session: Session, revision: int) -> dict[str, KeyTrail]:
    """Every defined key's trail at `revision`; ChangeLogCompacted before the compaction
    point. The value of a later change, or of the checkpoint, is read only for a key with
    no kept change up to `revision`."""
    through = compacted_through(session)
    if revision < through:
        raise ChangeLogCompacted(revision, through)
    marks = select(_KEYS.c.key, _probe(_C.c.id <= revision, newest=True).label("upto"),
                   _probe(_C.c.id > revision, newest=False).label("after")).subquery()
    upto, after = _C.alias("upto"), _C.alias("after")
    none_kept = marks.c.upto.is_(None)
    stmt = (select(marks.c.key, upto.c.id, upto.c.new_value, upto.c.at, upto.c.actor,
                   upto.c.source, after.c.id.label("after_id"), after.c.old_value,
                   _CP.c.revision, _CP.c.value, _CP.c.at.label("kept_at"),
                   _CP.c.actor.label("kept_actor"))
            .select_from(marks)
            .outerjoin(upto, upto.c.id == marks.c.upto)
            .outerjoin(_CP, and_(_CP.c.key == marks.c.key, none_kept))
            .outerjoin(after, and_(after.c.id == marks.c.after, none_kept,
                                   _CP.c.key.is_(None))))
    trails = {row.key: _trail(row) for row in session.execute(stmt)}
    if len(trails) >= LARGE_CONFIGURATION and session.get_bind().dialect.name == "postgresql":
        session.connection().info[LARGE_READ] = True  # libpq keeps its buffer this large
    return trails


def _trail(row) -> KeyTrail:
    if row.id is not None:
        return KeyTrail(row.key, row.id, row.new_value, row.at, row.actor, row.source)
    if row.revision is not None:
        return KeyTrail(row.key, row.revision, row.value, row.kept_at, row.kept_actor)
    return KeyTrail(row.key, changed_later=row.after_id is not None, before=row.old_value)


def revision_at(session: Session, at: datetime) -> int:
    """The newest revision committed at or before `at` (0 before the first change);
    ChangeLogCompacted when that revision was compacted away."""
    found = session.scalar(select(func.max(_C.c.id)).where(_C.c.at <= at))
    through = compacted_through(session)
    if found is not None or not through:
        return found or 0
    # No kept change by then: the compaction point, if its change was made by then.
    last_compacted = session.scalar(select(func.max(_CP.c.at)))
    if last_compacted is not None and last_compacted <= at:
        return through
    raise ChangeLogCompacted(0, through)
