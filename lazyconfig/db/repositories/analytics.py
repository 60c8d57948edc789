"""Change analytics: sums over the per-day counts a trigger keeps of the change log
(change_counts, change_undos: migration 0009), and the refusal record; the database adds
them up (GROUP BY), never this process."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ..models import ChangeCountRow, RefusalRow, UndoRow

_COUNTS, _UNDOS, _REFUSALS = ChangeCountRow.__table__, UndoRow.__table__, RefusalRow.__table__
NO_USER = ""  # change_counts' name for changes without a recorded user


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in UTC."""
    start = datetime.combine(first, time(), timezone.utc)
    if last == date.max:  # no day after it to stop at
        return start, datetime.max.replace(tzinfo=timezone.utc)
    return start, datetime.combine(last + timedelta(days=1), time(), timezone.utc)


class ChangeAnalyticsRepository:
    def __init__(self, session: Session):
        self.session = session

    def counts_by(self, group_by: str, first: date, last: date,
                  limit: int) -> list[tuple[Any, int]]:
        """(group, changes) from day `first` to `last` (UTC, inclusive): days oldest first,
        keys, users and actions most first, at most `limit` of them."""
        dimension = "key" if group_by == "key" else "user"
        group = {"day": _COUNTS.c.day, "action": _COUNTS.c.action}.get(group_by, _COUNTS.c.name)
        total = func.sum(_COUNTS.c.changes).label("changes")
        stmt = (select(group, total).where(_COUNTS.c.dimension == dimension,
                                           _COUNTS.c.day.between(first.isoformat(),
                                                                 last.isoformat()))
                .group_by(group).order_by(*((group,) if group_by == "day"
                                            else (total.desc(), group))).limit(limit))
        return [(None if group_by == "user" and name == NO_USER else name, int(count))
                for name, count in self.session.execute(stmt)]

    def by_action(self, first: date, last: date) -> dict[str, int]:
        """How many changes of each action word from day `first` to `last`."""
        return dict(self.counts_by("action", first, last, 1000))

    def median_undo_seconds(self, first: date, last: date) -> float | None:
        """The median seconds from a change to the revert or rollback that took it back,
        over the reverts and rollbacks made from day `first` to `last`."""
        start, end = day_bounds(first, last)
        delays = select(_UNDOS.c.seconds).where(_UNDOS.c.at >= start, _UNDOS.c.at < end)
        count = self.session.scalar(select(func.count()).select_from(delays.subquery())) or 0
        if not count:
            return None
        # The middle one or two, found by the database; portable where percentile_cont is not.
        middle = delays.order_by(_UNDOS.c.seconds).offset((count - 1) // 2).limit(2 - count % 2)
        values = [float(v) for v in self.session.scalars(middle)]
        return sum(values) / len(values)

    def refusals_by_key(self, first: date, last: date, limit: int) -> list[tuple[str, int]]:
        """(key, refusals) from day `first` to `last`, most first."""
        start, end = day_bounds(first, last)
        count = func.count().label("refusals")
        stmt = (select(_REFUSALS.c.key, count)
                .where(_REFUSALS.c.at >= start, _REFUSALS.c.at < end)
                .group_by(_REFUSALS.c.key).order_by(count.desc(), _REFUSALS.c.key).limit(limit))
        return [tuple(row) for row in self.session.execute(stmt)]


class RefusalRepository:
    def __init__(self, session: Session):
        self.session = session

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Record refusals ({at, key, action}); inside a writing unit of work."""
        if rows:
            self.session.execute(insert(_REFUSALS), rows)
