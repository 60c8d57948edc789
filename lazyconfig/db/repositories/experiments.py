"""Experiment rows, their exposures and metric observations; results are aggregated here,
in SQL (count, sum and sum of squares per variant and metric)."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..base import detached
from ..models import ExperimentRow, ExposureRow, ObservationRow


def _record(row: ExperimentRow) -> dict[str, Any]:
    return {"id": row.id, "key": row.key, "status": row.status,
            **detached(row.definition), "created_at": row.created_at,
            "created_by": row.created_by, "ended_at": row.ended_at, "winner": row.winner}


@functools.cache
def _first_exposures(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING: a unit's first exposure is the one kept."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        ExposureRow.__table__).on_conflict_do_nothing()


class ExperimentRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, key: str, definition: dict[str, Any], at: datetime, user: str | None) -> int:
        row = ExperimentRow(key=key, status="running", definition=definition, created_at=at,
                            created_by=user)
        self.session.add(row)
        self.session.flush()
        return row.id

    def update(self, experiment_id: int, **columns: Any) -> None:
        row = self.session.get(ExperimentRow, experiment_id)
        for name, value in columns.items():
            setattr(row, name, value)
        self.session.flush()

    def get(self, experiment_id: int) -> dict[str, Any] | None:
        row = self.session.get(ExperimentRow, experiment_id)
        return None if row is None else _record(row)

    def page(self, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
        rows = self.session.scalars(select(ExperimentRow).order_by(ExperimentRow.id.desc())
                                    .limit(limit).offset(offset))
        total = self.session.scalar(select(func.count()).select_from(ExperimentRow))
        return [_record(row) for row in rows], total

    def expose(self, experiment_id: int, seen: Iterable[tuple[str, str]], at: datetime) -> None:
        rows = [{"experiment_id": experiment_id, "unit": unit, "variant": variant, "at": at}
                for unit, variant in seen]
        if rows:
            self.session.execute(_first_exposures(self.session.get_bind().dialect.name), rows)

    def observe(self, experiment_id: int, observed: Iterable[tuple[str, str, float]],
                at: datetime) -> None:
        rows = [{"experiment_id": experiment_id, "variant": variant, "metric": metric,
                 "value": value, "at": at} for variant, metric, value in observed]
        if rows:
            self.session.execute(ObservationRow.__table__.insert(), rows)

    def exposures(self, experiment_id: int) -> dict[str, int]:
        """Units exposed, per variant."""
        return dict(self.session.execute(
            select(ExposureRow.variant, func.count()).where(
                ExposureRow.experiment_id == experiment_id).group_by(ExposureRow.variant)).all())

    def sums(self, experiment_id: int) -> list[tuple[str, str, int, float, float]]:
        """(variant, metric, count, sum, sum of squares) of the observations."""
        value = ObservationRow.value
        return [tuple(row) for row in self.session.execute(
            select(ObservationRow.variant, ObservationRow.metric, func.count(), func.sum(value),
                   func.sum(value * value)).where(ObservationRow.experiment_id == experiment_id)
            .group_by(ObservationRow.variant, ObservationRow.metric))]
