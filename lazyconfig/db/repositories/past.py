"""Reads of the change log at a past revision: per key, its last change up to the revision,
found by one probe of the (key, id) index per key, so the cost grows with the number of
keys, not with the length of the log (docs/point-in-time.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.past import KeyTrail
from ...errors import ChangeLogCompacted
from ..connection import LARGE_READ
from ..models import ChangeRow, CheckpointRow, RuleRow
from .compactions import compacted_through

LARGE_CONFIGURATION = 1000  # keys read at once above which the connection is not pooled again
CHUNK = 1000  # ids or keys in one IN (...) list
_C, _CP, _KEYS = ChangeRow.__table__, CheckpointRow.__table__, RuleRow.__table__


def _probe(*conditions, newest: bool):
    """The id of one key's (the outer rule row's) newest or oldest change meeting
    `conditions`: an index probe, never a scan of the key's changes."""
    order = _C.c.id.desc() if newest else _C.c.id
    return (select(_C.c.id).where(_C.c.key == _KEYS.c.key, *conditions)
            .order_by(order).limit(1).scalar_subquery())


def trails_at(session: Session, revision: int) -> dict[str, KeyTrail]:
    """Every defined key's trail at `revision`; ChangeLogCompacted before the compaction
    point. In steps the planner cannot turn into a scan of the log: each key's last change
    id up to `revision` (an index probe per key), then those rows by primary key; the
    checkpoint and the next change are looked up only for keys with no such change."""
    through = compacted_through(session)
    if revision < through:
        raise ChangeLogCompacted(revision, through)
    upto = _ids(session, _C.c.id <= revision, newest=True)
    ids = [found for found in upto.values() if found is not None]
    trails = {row.key: KeyTrail(row.key, row.id, row.new_value, row.at, row.actor, row.source)
              for row in _rows(session, ids, _C.c.new_value, _C.c.at, _C.c.actor, _C.c.source)}
    if len(trails) < len(ids):  # a compaction took rows between the two reads: read again
        return trails_at(session, revision)
    missing = [key for key, found in upto.items() if found is None]
    for chunk in _chunks(missing):
        for row in session.execute(select(_CP).where(_CP.c.key.in_(chunk))):
            trails[row.key] = KeyTrail(row.key, row.revision, row.value, row.at, row.actor)
    missing = [key for key in missing if key not in trails]
    after = _ids(session, _C.c.id > revision, newest=False, keys=missing) if missing else {}
    befores = {row.key: row.old_value for row in _rows(
        session, [i for i in after.values() if i is not None], _C.c.old_value)}
    for key in missing:
        trails[key] = KeyTrail(key, changed_later=key in befores, before=befores.get(key))
    if len(trails) >= LARGE_CONFIGURATION and session.get_bind().dialect.name == "postgresql":
        session.connection().info[LARGE_READ] = True  # libpq keeps its buffer this large
    return trails


def _ids(session: Session, condition, newest: bool,
         keys: list[str] | None = None) -> dict[str, int | None]:
    """{key: the id of its newest (or oldest) change meeting `condition`}, for every defined
    key or those of `keys`."""
    probe = select(_KEYS.c.key, _probe(condition, newest=newest))
    if keys is None:
        return dict(session.execute(probe).all())
    return {key: found for chunk in _chunks(keys)
            for key, found in session.execute(probe.where(_KEYS.c.key.in_(chunk)))}


def _rows(session: Session, ids: list[int], *columns):
    """The changes of `ids`, by primary key, a chunk at a time."""
    for chunk in _chunks(ids):
        yield from session.execute(select(_C.c.id, _C.c.key, *columns).where(_C.c.id.in_(chunk)))


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


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
