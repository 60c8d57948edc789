"""Rollout rows: their definition, status and the step each is at; a step change is claimed
here by one conditional UPDATE, so only one process makes it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..base import detached
from ..models import RolloutObservationRow, RolloutRow


def _record(row: RolloutRow) -> dict[str, Any]:
    return {"id": row.id, "status": row.status, **detached(row.definition), "step": row.step,
            "step_at": row.step_at, "next_at": row.next_at, "created_at": row.created_at,
            "created_by": row.created_by, "ended_at": row.ended_at, "reason": row.reason}


class RolloutRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, definition: dict[str, Any], at: datetime, next_at: datetime | None,
            user: str | None) -> int:
        row = RolloutRow(status="running", definition=definition, step=0, step_at=at,
                         next_at=next_at, created_at=at, created_by=user)
        self.session.add(row)
        self.session.flush()
        return row.id

    def get(self, rollout_id: int) -> dict[str, Any] | None:
        row = self.session.get(RolloutRow, rollout_id)
        return None if row is None else _record(row)

    def page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        rows = self.session.scalars(select(RolloutRow).order_by(RolloutRow.id.desc())
                                    .limit(limit).offset(offset))
        total = self.session.scalar(select(func.count()).select_from(RolloutRow))
        return [_record(row) for row in rows], total

    def claim(self, rollout_id: int, step: int, statuses: tuple[str, ...], now: datetime | None,
              /, **columns: Any) -> bool:
        """Set `columns` if the rollout is still at `step` in one of `statuses` (and, given `now`,
        its step is due): True for the one caller whose UPDATE changed the row."""
        where = [RolloutRow.id == rollout_id, RolloutRow.step == step,
                 RolloutRow.status.in_(statuses)]
        if now is not None:
            where.append(RolloutRow.next_at <= now)
        done = self.session.execute(update(RolloutRow).where(*where).values(**columns)
                                    .execution_options(synchronize_session=False))
        return done.rowcount == 1

    def due(self) -> list[tuple[int, datetime | None]]:
        """(id, next_at) of the running rollouts."""
        return [tuple(r) for r in self.session.execute(
            select(RolloutRow.id, RolloutRow.next_at).where(RolloutRow.status == "running"))]

    def observe(self, rollout_id: int, observed: list[tuple[bool, str, float]],
                at: datetime) -> None:
        rows = [{"rollout_id": rollout_id, "new": new, "metric": metric, "value": value,
                 "at": at} for new, metric, value in observed]
        if rows:
            self.session.execute(RolloutObservationRow.__table__.insert(), rows)

    def window(self, rollout_id: int, metric: str, since: datetime) -> tuple[int, float | None]:
        """(count, mean) of the new cohort's observations of `metric` since `since`."""
        row = RolloutObservationRow
        count, mean = self.session.execute(
            select(func.count(), func.avg(row.value)).where(
                row.rollout_id == rollout_id, row.metric == metric, row.new.is_(True),
                row.at >= since)).one()
        return count, None if mean is None else float(mean)
